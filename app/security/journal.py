"""The journal of reads (access_log, migration 0071): every read of a
patient's record, by whom, when, what (view, export, print, history), from
where (the door and the client address), on whose behalf and why.

The doors call `journal_patient_read()` once the read succeeded; it
writes in a transaction of its own, committed at once: a read that was
answered is journaled whatever happens to the request's own transaction,
and the objects the page is showing are not expired by a commit.  The
application's database role may only INSERT and SELECT the journal; a
trigger refuses any change to everyone.  It is not part of the change
audit: a read is not a change.

`search_accesses()` is the "who accessed this record" of the screens and
the API, for those the role matrix lets read the journal (Admin, Auditor).
"""

import logging
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from flask import has_request_context, request
from flask_babel import lazy_gettext
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.core.actor import Actor
from app.core.errors import BadInput
from app.core.extensions import committed_as_run
from app.core.normalize import is_digits
from app.core.request_locals import request_g
from app.core.rules import refusal_of
from app.core.sent_ahead import send_committed
from app.security.policy import READ, require
from app.security.roles import ACCESS_LOG

ACTIONS = ("view", "export", "print", "history")
# Breaking the glass is journaled too (app/security/glass.py), not a read of its own.
JOURNAL_ACTIONS = (*ACTIONS, "break_glass")
DOORS = ("screen", "api", "document", "cli")
# What the journal's screen calls each kind of read and each door (the
# codes stay the API's and the database's).
ACTION_LABELS = {
    "view": lazy_gettext("Record opened"),
    "export": lazy_gettext("Exported"),
    "print": lazy_gettext("Printed"),
    "history": lazy_gettext("History of changes read"),
    "break_glass": lazy_gettext("Break-the-glass"),
}
DOOR_LABELS = {
    "screen": lazy_gettext("Screen"),
    "api": lazy_gettext("API"),
    "document": lazy_gettext("Document"),
    "cli": lazy_gettext("Command line"),
}
MAX_PAGE_SIZE = 500
log = logging.getLogger(__name__)


def journal_patient_read(
    session,
    actor: Actor,
    patient_id: int,
    action: str,
    *,
    door: str,
    reason: str | None = None,
    on_behalf_of: str | None = None,
) -> None:
    """Record that `actor` read patient `patient_id`'s record, committed at once
    on a connection of its own (`session` gives the database): one statement,
    committed as it runs.  Within reads_journaled_by_the_end(), the statement
    is sent and the request goes on; the block's end reads its answer."""
    if action not in JOURNAL_ACTIONS or door not in DOORS:
        raise ValueError(f"unknown read: {action} from {door}")
    client_addr = request.remote_addr if has_request_context() else None
    params = _params(actor, patient_id, action, door, client_addr, on_behalf_of, reason)
    try:
        sent = send_committed(session.get_bind(), _INSERT_SENT, [params[name] for name, _type in _COLUMNS])
        waiting = request_g().get(_SENT) if has_request_context() else None
        if waiting is None:
            sent.answer()
        else:
            waiting.append(sent)
    except SQLAlchemyError as exc:
        raise refusal_of(exc) from exc


@contextmanager
def reads_journaled_by_the_end():
    """Within: a read journaled (journal_patient_read) is sent to the
    database and the request goes on, the page reading and drawing the
    record meanwhile; when the block ends, each is answered.  A read that
    could not be journaled stops the page there: the block raises its
    refusal, and nothing of the page is shown."""
    request_globals = request_g()
    outer, sent = request_globals.get(_SENT), []
    setattr(request_globals, _SENT, sent)
    try:
        yield
    except BaseException:
        _answer_all(sent)  # the page failed anyway: a journal that failed too is logged
        raise
    else:
        failure = _answer_all(sent)
        if failure is not None:
            raise refusal_of(failure) from failure
    finally:
        setattr(request_globals, _SENT, outer)


def _answer_all(sent: list) -> SQLAlchemyError | None:
    """Each statement's answer (every connection goes back); the first failure."""
    failures = []
    for statement in sent:
        try:
            statement.answer()
        except SQLAlchemyError as exc:
            log.error("the journal of reads could not be written: %s", type(getattr(exc, "orig", exc)).__name__)
            failures.append(exc)
    return failures[0] if failures else None


def journal_patient_reads(session, actor: Actor, patient_ids: list[int], action: str, *, door: str) -> None:
    """journal_patient_read() for many patients at once (an export of a list):
    one row per patient, one statement, committed at once."""
    if action not in ACTIONS or door not in DOORS:
        raise ValueError(f"unknown read: {action} from {door}")
    if not patient_ids:
        return
    client_addr = request.remote_addr if has_request_context() else None
    params = _params(actor, 0, action, door, client_addr, None, None)
    try:
        with committed_as_run(session.get_bind()) as connection:
            connection.execute(_INSERT, [{**params, "patient_id": patient_id} for patient_id in patient_ids])
    except SQLAlchemyError as exc:
        raise refusal_of(exc) from exc


# g.<this>: the journal's statements sent within reads_journaled_by_the_end().
_SENT = "ct_journal_sent"
# The journal's columns and their types, in the order of its INSERT.
_COLUMNS = (
    ("user_id", "integer"),
    ("username", "text"),
    ("patient_id", "bigint"),
    ("action", "text"),
    ("door", "text"),
    ("client_addr", "inet"),
    ("on_behalf_of", "text"),
    ("reason", "text"),
    ("break_glass_id", "bigint"),
)


def _insert(placeholders: dict[str, str]) -> str:
    """The journal's INSERT with these placeholders.  A read under a
    break-the-glass grant carries the grant and, unless the door gave one,
    the grant's reason."""
    values = dict(placeholders)
    values["reason"] = (
        f"coalesce({values['reason']}, (SELECT g.reason FROM break_glass_grants g"
        f" WHERE g.id = {values['break_glass_id']}))"
    )
    names = [name for name, _type in _COLUMNS]
    return f"INSERT INTO access_log ({', '.join(names)}) VALUES ({', '.join(values[name] for name in names)})"


_INSERT = text(_insert({name: f":{name}" for name, _type in _COLUMNS}))  # SQLAlchemy's, for many rows at once
_INSERT_SENT = _insert(  # libpq's, for one (app/core/sent_ahead.py)
    {name: f"${position}::{kind}" for position, (name, kind) in enumerate(_COLUMNS, start=1)}
)


def _params(actor, patient_id, action, door, client_addr, on_behalf_of, reason) -> dict:
    return {
        "user_id": actor.user_id,
        "username": actor.username,
        "patient_id": patient_id,
        "action": action,
        "door": door,
        "client_addr": client_addr or None,
        # Under a delegation, the person acted for (app/security/delegation.py).
        "on_behalf_of": on_behalf_of or actor.on_behalf_of,
        "reason": reason or None,
        "break_glass_id": actor.break_glass_id,
    }


@dataclass(frozen=True)
class Access:
    id: int
    accessed_at: datetime
    user_id: int | None
    username: str
    patient_id: int
    patient: str | None
    action: str
    door: str
    client_addr: str | None
    on_behalf_of: str | None
    reason: str | None

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "accessed_at": self.accessed_at.isoformat(),
            "user_id": self.user_id,
            "username": self.username,
            "patient_id": self.patient_id,
            "patient": self.patient,
            "action": self.action,
            "door": self.door,
            "client_addr": self.client_addr,
            "on_behalf_of": self.on_behalf_of,
            "reason": self.reason,
        }


def search_accesses(
    session,
    actor: Actor,
    *,
    patient_id: int | None = None,
    username: str | None = None,
    action: str | None = None,
    before_id: int | None = None,
    page_size: int = 50,
) -> list[Access]:
    """The journal, newest first, by patient and/or user (Admin, Auditor);
    `before_id` is the previous page's last id."""
    require(actor, READ, ACCESS_LOG, "Your role may not read the journal of reads.")
    if action is not None and action not in JOURNAL_ACTIONS:
        raise BadInput(f"The action is one of: {', '.join(JOURNAL_ACTIONS)}.", field="action")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise BadInput(f"The page size is a whole number from 1 to {MAX_PAGE_SIZE}.", field="page_size")
    rows = session.execute(
        text(
            """
            SELECT a.id, a.accessed_at, a.user_id, a.username, a.patient_id,
                   CASE WHEN p.id IS NULL THEN NULL ELSE upper(p.last_name) || ' ' || p.first_name END,
                   a.action, a.door, host(a.client_addr), a.on_behalf_of, a.reason
              FROM access_log a LEFT JOIN patients p ON p.id = a.patient_id
             WHERE (CAST(:patient_id AS bigint) IS NULL OR a.patient_id = :patient_id)
               AND (CAST(:username AS text) IS NULL OR a.username = :username)
               AND (CAST(:action AS text) IS NULL OR a.action = :action)
               AND (CAST(:before_id AS bigint) IS NULL OR a.id < :before_id)
             ORDER BY a.id DESC
             LIMIT :page_size
            """
        ),
        {
            "patient_id": patient_id,
            "username": username or None,
            "action": action,
            "before_id": before_id,
            "page_size": page_size,
        },
    ).all()
    return [Access(*row) for row in rows]


def whole_number_arg(name: str) -> int | None:
    """The query argument `name` as an id or a count (the journal's filters
    and paging, on its screen and its API); empty is None, anything else a 400."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if not is_digits(raw):
        raise BadInput("A whole number is expected.", field=name)
    if len(raw) > 18:  # past a bigint's digits: a number still, too large for any id or count
        raise BadInput("This number is too large.", field=name)
    return int(raw)
