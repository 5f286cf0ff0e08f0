"""Alerts from the journal of reads (access_log, migration 0071): the
engine reads the journal the way it reads the audit (app/alerts/engine.py),
with a cursor of its own in the cursor row (last_access_id,
access_pending_txids, migration 0087) moved in the same transaction as the
alerts it produced, so each read is evaluated once, also after a crash or
with several workers.

Rules:
- break_glass: someone broke the glass on a record (one alert per grant,
  raised by the journal's 'break_glass' row, app/security/glass.py);
- off_hours_read: records read outside working hours (the off_hours rule's
  settings and app/alerts/hours.py): one alert per user and patient in a
  pass, covering all their reads of it.
"""

import logging
from collections import defaultdict

from sqlalchemy import select, text

from app.alerts.describe import Namer, when
from app.alerts.engine import MACHINE_ACTORS, Pass, Raised
from app.alerts.hours import off_hours_reason
from app.alerts.models import Alert, AlertRule
from app.core.actor import DEMO_LOADER, SYSTEM
from app.core.timezone import hospital_zone

log = logging.getLogger(__name__)

BATCH_LIMIT = 5000
JOURNAL_RULES = ("break_glass", "off_hours_read")
READ_WORDS = {"view": "opened", "export": "exported", "print": "printed", "history": "read the history of"}

LOCK_CURSOR = text(
    "SELECT last_access_id, CAST(access_pending_txids AS text[]) AS pending FROM alert_cursor WHERE id = 1 FOR UPDATE"
)
# One statement: the rows read and the transactions running come from one snapshot.
READ_ACCESSES = text(
    """
    WITH snap AS MATERIALIZED (SELECT pg_current_snapshot() AS s)
    SELECT CAST(ARRAY(SELECT pg_snapshot_xip(snap.s)) AS text[]) AS in_progress, a.*
      FROM snap
      LEFT JOIN (
            SELECT a.id, a.accessed_at, a.user_id, a.username, a.patient_id, a.action, a.door, a.on_behalf_of,
                   a.reason, a.break_glass_id, g.expires_at AS glass_expires_at
              FROM access_log a LEFT JOIN break_glass_grants g ON g.id = a.break_glass_id
             WHERE a.txid = ANY(CAST(:pending AS xid8[])) AND a.id <= :last_id
            UNION ALL
            (SELECT a.id, a.accessed_at, a.user_id, a.username, a.patient_id, a.action, a.door, a.on_behalf_of,
                    a.reason, a.break_glass_id, g.expires_at
               FROM access_log a LEFT JOIN break_glass_grants g ON g.id = a.break_glass_id
              WHERE a.id > :last_id
              ORDER BY a.id
              LIMIT :limit)
      ) a ON true
     ORDER BY a.id
    """
)
MOVE_CURSOR = text(
    "UPDATE alert_cursor SET last_access_id = :last_id, access_pending_txids = CAST(:pending AS xid8[]),"
    " updated_at = now() WHERE id = 1"
)
HAS_NEW = text(
    "SELECT (SELECT max(id) FROM access_log) > c.last_access_id OR cardinality(c.access_pending_txids) > 0"
    " FROM alert_cursor c WHERE c.id = 1"
)


def evaluate_pending_reads(session, *, limit: int = BATCH_LIMIT, after_alerts=None) -> Pass:
    """One pass over the journal's rows not evaluated yet; commits (the
    alerts, their e-mails through `after_alerts`, and the cursor, together)."""
    cursor = session.execute(LOCK_CURSOR).one()
    rows = session.execute(
        READ_ACCESSES, {"pending": cursor.pending, "last_id": cursor.last_access_id, "limit": limit}
    ).all()
    in_progress = list(rows[0].in_progress) if rows else []
    reads = [dict(row._mapping) for row in rows if row.id is not None]
    last_id = max((r["id"] for r in reads if r["id"] > cursor.last_access_id), default=cursor.last_access_id)
    result = Pass(entries=len(reads), last_entry_id=last_id)
    if reads:
        rules = session.execute(select(AlertRule).where(AlertRule.code.in_(JOURNAL_RULES))).scalars()
        namer = Namer(session)
        for rule in rules:
            if not rule.is_enabled:
                continue
            for raised in RULES[rule.code](reads, rule.settings or {}, namer):
                alert = Alert(
                    rule_code=rule.code,
                    severity=rule.severity,
                    summary=raised.summary[:2000],
                    audit_entry_ids=[],
                    access_entry_ids=raised.entry_ids,
                    subject=raised.subject,
                    occurred_at=raised.occurred_at,
                )
                session.add(alert)
                result.alerts.append(alert)
        session.flush()
        if result.alerts and after_alerts is not None:
            after_alerts(session, result.alerts)
    session.execute(MOVE_CURSOR, {"last_id": last_id, "pending": in_progress})
    session.commit()
    if result.alerts:
        log.info("alerts: %d raised from %d reads of the journal", len(result.alerts), len(reads))
    return result


def has_new_reads(session) -> bool:
    return bool(session.execute(HAS_NEW).scalar())


# Reads by the worker, the start-up steps, the demo loader or a command run
# as the operator (no user id: not a user of that name) are no person reading off-hours.
MACHINE_READERS = MACHINE_ACTORS | {DEMO_LOADER.username, SYSTEM.username}


def is_machine_read(read: dict) -> bool:
    return read["username"] in MACHINE_READERS and read["user_id"] is None


def break_glass(reads, settings, namer):
    zone = hospital_zone()
    for read in reads:
        if read["action"] != "break_glass":
            continue
        until = read["glass_expires_at"]
        until_words = f" until {until.astimezone(zone).strftime('%H:%M')}" if until else ""
        yield Raised(
            "break_glass",
            f"{read['username']} broke the glass on the record of {namer.patient(str(read['patient_id']))}"
            f" {when(read['accessed_at'], zone)}{until_words}, giving as the reason: \u201c{read['reason']}\u201d."
            " The access awaits an auditor's review.",
            [read["id"]],
            read["accessed_at"],
            subject=f"grant {read['break_glass_id']}",
        )


def off_hours_read(reads, settings, namer):
    zone = hospital_zone()
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for read in reads:
        if read["action"] not in READ_WORDS or is_machine_read(read):
            continue
        reason = off_hours_reason(read["accessed_at"], settings, zone)
        if reason:
            groups[(read["username"], read["patient_id"], reason)].append(read)
    for (username, patient_id, reason), group in groups.items():
        first = group[0]
        what = ", ".join(sorted({READ_WORDS[r["action"]] for r in group}))
        times = f" ({len(group)} reads)" if len(group) > 1 else ""
        glass = " under break-the-glass" if any(r["break_glass_id"] for r in group) else ""
        yield Raised(
            "off_hours_read",
            f"{username} {what} the record of {namer.patient(str(patient_id))}{glass}"
            f" {when(first['accessed_at'], zone)}{times}, {reason}.",
            [r["id"] for r in group],
            first["accessed_at"],
            subject=username,
        )


RULES = {"break_glass": break_glass, "off_hours_read": off_hours_read}
