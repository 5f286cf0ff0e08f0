"""The worker's alert watcher: a short poll of audit_log's and access_log's
newest ids (index reads, once a second), and a pass of the engine when it moved past the
cursor.  Runs in a thread of the worker process (`flask worker`), inside
the app, as the worker; a failed pass is logged and tried again at the next
tick (the cursor did not move: nothing is lost, nothing is evaluated twice).
"""

import logging
import threading

from sqlalchemy import text

from app.alerts.engine import evaluate_pending
from app.alerts.journal_rules import evaluate_pending_reads, has_new_reads
from app.core.actor import acting_as
from app.core.extensions import db

log = logging.getLogger(__name__)

HAS_NEW = text(
    "SELECT (SELECT max(id) FROM audit_log) > c.last_entry_id OR cardinality(c.pending_txids) > 0"
    " FROM alert_cursor c WHERE c.id = 1"
)


def after_alerts_hook():
    """What runs with the alerts, in their transaction: their e-mails are enqueued."""
    from app.alerts.mail import enqueue_alert_mail

    return enqueue_alert_mail


def evaluate_all(session) -> tuple[int, int]:
    """Passes until nothing is pending, over the audit then over the journal
    of reads (app/alerts/journal_rules.py); (entries and reads evaluated, alerts raised)."""
    entries = raised = 0
    for evaluate, has_new in ((evaluate_pending, _has_new_entries), (evaluate_pending_reads, has_new_reads)):
        while True:
            result = evaluate(session, after_alerts=after_alerts_hook())
            entries += result.entries
            raised += len(result.alerts)
            if result.entries == 0 or not _asked(session, has_new):
                break
    return entries, raised


def _has_new_entries(session) -> bool:
    return bool(session.execute(HAS_NEW).scalar())


def _asked(session, question) -> bool:
    found = question(session)
    session.rollback()
    return found


def _has_new(session) -> bool:
    """Audit entries or reads not evaluated yet."""
    return _asked(session, lambda s: _has_new_entries(s) or has_new_reads(s))


class AlertWatcher(threading.Thread):
    def __init__(self, flask_app, actor, interval: float = 1.0):
        super().__init__(name="caretrail-alert-watcher", daemon=True)
        self.flask_app, self.actor, self.interval = flask_app, actor, interval
        self.stopping = threading.Event()

    def run(self) -> None:
        with self.flask_app.app_context(), acting_as(self.actor):
            while not self.stopping.is_set():
                try:
                    if _has_new(db.session):
                        evaluate_all(db.session)
                except Exception:
                    db.session.rollback()
                    log.exception("alert evaluation failed; tried again at the next tick")
                finally:
                    db.session.remove()
                self.stopping.wait(self.interval)

    def stop(self) -> None:
        self.stopping.set()
        self.join(10)
