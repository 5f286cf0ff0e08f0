"""The alert engine: reads the audit entries written since it last looked,
runs the enabled rules over them, stores the alerts, and moves its cursor
in the same transaction, so every entry is evaluated once and only once,
whichever door wrote it (screen, API, psql), also after a crash.

The cursor (alert_cursor) is the last entry id read plus the transactions
still running at that moment: an entry gets its id when written, but becomes
visible when its transaction commits, so a long transaction's entries may
appear below the cursor later.  Those are read at the next pass (and only
they: a transaction is either running, and its entries invisible, or done).
The cursor's row is locked for the pass: two workers never evaluate the same
entries.  Entries of the alerts table itself are skipped (an alert written at
night is no off-hours change).

Called by the worker's watcher (app/alerts/watch.py: a short poll) and by
`flask alerts run-once`.
"""

import logging
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, text

from app.alerts.describe import COLUMN_LABELS, Namer, patient_id_of, row_of, table_label, value, when, who
from app.alerts.hours import off_hours_reason
from app.alerts.models import Alert, AlertRule
from app.core.actor import DEMO_LOADER, SETUP, WORKER
from app.core.timezone import hospital_zone

log = logging.getLogger(__name__)

BATCH_LIMIT = 5000
SKIPPED_TABLES = ("public.alerts",)
SIGN_IN_REASONS = ("sign-in", "failed sign-in")
# The worker's own scheduled work (prescriptions expiring at night, reminders
# sent), the start-up steps (role sync) and the migrations' own rows (sql/env.py
# works as "migration") are no person working off-hours nor a mass change.
# Known by name and by having no user id (a user named so is a person).
MIGRATION_USERNAME = "migration"
MACHINE_ACTORS = frozenset({WORKER.username, SETUP.username, MIGRATION_USERNAME})


def is_machine_work(entry: dict) -> bool:
    return entry["app_username"] in MACHINE_ACTORS and entry["app_user_id"] is None


def is_demo_loading(entry: dict) -> bool:
    """An entry of the demo loader's (no user id: not a user of that name)."""
    return entry["app_username"] == DEMO_LOADER.username and entry["app_user_id"] is None


LOCK_CURSOR = text(
    "SELECT last_entry_id, CAST(pending_txids AS text[]) AS pending FROM alert_cursor WHERE id = 1 FOR UPDATE"
)
# One statement, so the entries read and the running transactions come from one snapshot.
READ_ENTRIES = text(
    """
    WITH snap AS MATERIALIZED (SELECT pg_current_snapshot() AS s)
    SELECT CAST(ARRAY(SELECT pg_snapshot_xip(snap.s)) AS text[]) AS in_progress, e.*
      FROM snap
      LEFT JOIN (
            SELECT id, occurred_at, CAST(txid AS text) AS txid, table_name, operation, row_pk, old_row, new_row,
                   changed_columns, app_user_id, app_username, db_user, application_name, reason
              FROM audit_log
             WHERE txid = ANY(CAST(:pending AS xid8[])) AND id <= :last_id
            UNION ALL
            (SELECT id, occurred_at, CAST(txid AS text), table_name, operation, row_pk, old_row, new_row,
                    changed_columns, app_user_id, app_username, db_user, application_name, reason
               FROM audit_log
              WHERE id > :last_id
              ORDER BY id
              LIMIT :limit)
      ) e ON true
     ORDER BY e.id
    """
)
MOVE_CURSOR = text(
    "UPDATE alert_cursor SET last_entry_id = :last_id, pending_txids = CAST(:pending AS xid8[]), updated_at = now()"
    " WHERE id = 1"
)


@dataclass
class Raised:
    rule: str
    summary: str
    entry_ids: list[int]
    occurred_at: datetime
    subject: str | None = None


@dataclass
class Pass:
    entries: int = 0
    alerts: list[Alert] = field(default_factory=list)
    last_entry_id: int = 0


def evaluate_pending(session, *, limit: int = BATCH_LIMIT, after_alerts=None) -> Pass:
    """One pass over the entries not evaluated yet (at most `limit` new
    ones); commits.  `after_alerts(session, alerts)` runs in the same
    transaction (e-mails are enqueued there)."""
    cursor = session.execute(LOCK_CURSOR).one()
    rows = session.execute(
        READ_ENTRIES, {"pending": cursor.pending, "last_id": cursor.last_entry_id, "limit": limit}
    ).all()
    in_progress = list(rows[0].in_progress) if rows else []
    entries = [dict(row._mapping) for row in rows if row.id is not None]
    last_id = max((e["id"] for e in entries if e["id"] > cursor.last_entry_id), default=cursor.last_entry_id)
    result = Pass(entries=len(entries), last_entry_id=last_id)
    evaluated = [e for e in entries if e["table_name"] not in SKIPPED_TABLES and not is_demo_loading(e)]
    if evaluated:
        # The rules of the journal of reads are app/alerts/journal_rules.py's.
        rules = {
            rule.code: rule
            for rule in session.execute(select(AlertRule)).scalars()
            if rule.is_enabled and rule.code in RULES
        }
        for rule_code, rule in rules.items():
            for raised in RULES[rule_code](session, evaluated, rule.settings or {}, Namer(session)):
                alert = Alert(
                    rule_code=rule_code,
                    severity=rule.severity,
                    summary=raised.summary[:2000],
                    audit_entry_ids=raised.entry_ids,
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
        log.info("alerts: %d raised from %d audit entries", len(result.alerts), len(entries))
    return result


def by_transaction(entries: list[dict]) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for entry in entries:
        groups[entry["txid"]].append(entry)
    return groups


def describe(entry: dict, namer: Namer) -> str:
    """What one entry did, without who and when."""
    table, operation = entry["table_name"], entry["operation"]
    if operation == "TRUNCATE":
        return f"emptied the table {table_label(table)} (TRUNCATE)"
    verb = {"INSERT": "added", "UPDATE": "changed", "DELETE": "deleted"}[operation]
    if table == "public.patients":
        patient = namer.patient(entry["row_pk"], entry)
        if operation == "UPDATE":
            columns = ", ".join(COLUMN_LABELS.get(c, c.replace("_", " ")) for c in entry["changed_columns"] or ())
            return f"changed the {columns} of {patient}"
        return f"{'created' if operation == 'INSERT' else 'deleted'} the patient {patient}"
    patient_id = patient_id_of(entry)
    if patient_id is not None:
        return f"{verb} a row of {table_label(table)} of {namer.patient(patient_id)}"
    return f"{verb} row {entry['row_pk']} of {table_label(table)}"


def describe_transaction(group: list[dict], namer: Namer) -> str:
    if len(group) == 1:
        return describe(group[0], namer)
    tables = sorted({table_label(e["table_name"]) for e in group})
    return f"changed {len(group)} rows ({', '.join(tables)})"


# --- the rules: each takes the entries of the pass and the rule's settings


def off_hours(session, entries, settings, namer):
    zone = hospital_zone()
    for group in by_transaction(entries).values():
        group = [e for e in group if e["reason"] not in SIGN_IN_REASONS and not is_machine_work(e)]
        if not group:
            continue
        reason = off_hours_reason(group[0]["occurred_at"], settings, zone)
        if reason:
            first = group[0]
            yield Raised(
                "off_hours",
                f"{who(first)} {describe_transaction(group, namer)} {when(first['occurred_at'], zone)}, {reason}.",
                [e["id"] for e in group],
                first["occurred_at"],
            )


def sensitive_field(session, entries, settings, namer):
    zone = hospital_zone()
    watched = settings.get("columns") or {}
    for entry in entries:
        columns = watched.get(entry["table_name"])
        if entry["operation"] != "UPDATE" or not columns:
            continue
        hit = [c for c in entry["changed_columns"] or () if c in columns]
        if not hit:
            continue
        old, new = entry["old_row"], entry["new_row"]
        if entry["table_name"] == "public.patients":
            of = namer.patient(entry["row_pk"], entry)
        else:
            of = f"{table_label(entry['table_name'])} row {entry['row_pk']}"
            patient_id = patient_id_of(entry) or _patient_of_prescription_item(session, new)
            if patient_id:
                of += f" of {namer.patient(patient_id)}"
        changes = "; ".join(
            f"the {COLUMN_LABELS.get(c, c)} of {of} from {value(old.get(c))} to {value(new.get(c))}" for c in hit
        )
        yield Raised(
            "sensitive_field",
            f"{who(entry)} changed {changes} {when(entry['occurred_at'], zone)}.",
            [entry["id"]],
            entry["occurred_at"],
        )


def _patient_of_prescription_item(session, row: dict) -> str | None:
    prescription_id = (row or {}).get("prescription_id")
    if prescription_id is None:
        return None
    found = session.execute(
        text("SELECT patient_id FROM prescriptions WHERE id = :id"), {"id": int(prescription_id)}
    ).first()
    return str(found[0]) if found else None


def new_patient(session, entries, settings, namer):
    zone = hospital_zone()
    for entry in entries:
        if entry["table_name"] == "public.patients" and entry["operation"] == "INSERT":
            yield Raised(
                "new_patient",
                f"{who(entry)} created the patient {namer.patient(entry['row_pk'], entry)}"
                f" {when(entry['occurred_at'], zone)}.",
                [entry["id"]],
                entry["occurred_at"],
            )


def sensitive_deletion(session, entries, settings, namer):
    zone = hospital_zone()
    tables = set(settings.get("tables") or ("public.patients",))
    for entry in entries:
        if entry["table_name"] in tables and entry["operation"] in ("DELETE", "TRUNCATE"):
            yield Raised(
                "sensitive_deletion",
                f"{who(entry)} {describe(entry, namer)} {when(entry['occurred_at'], zone)}.",
                [entry["id"]],
                entry["occurred_at"],
            )


def privilege_change(session, entries, settings, namer):
    zone = hospital_zone()
    for entry in entries:
        table, operation, row = entry["table_name"], entry["operation"], row_of(entry)
        what = None
        if table == "public.ab_user_role" and operation in ("INSERT", "DELETE"):
            role, user = namer.role(row.get("role_id")), namer.username(row.get("user_id"))
            granted = operation == "INSERT"
            what = f"granted the role {role} to {user}" if granted else f"removed the role {role} from {user}"
        elif table == "public.ab_user" and operation == "INSERT":
            what = f"created the user {row.get('username')}"
        elif table == "public.ab_user" and operation == "DELETE":
            what = f"deleted the user {row.get('username')}"
        elif table == "public.ab_user" and operation == "UPDATE" and "active" in (entry["changed_columns"] or ()):
            verb = "deactivated" if not entry["new_row"].get("active") else "reactivated"
            what = f"{verb} the user {row.get('username')}"
        if what:
            yield Raised(
                "privilege_change",
                f"{who(entry)} {what} {when(entry['occurred_at'], zone)}.",
                [entry["id"]],
                entry["occurred_at"],
            )


def outside_app(session, entries, settings, namer):
    zone = hospital_zone()
    ignored = set(settings.get("ignore_db_roles") or ())
    for group in by_transaction(entries).values():
        group = [e for e in group if not e["app_username"] and e["db_user"] not in ignored]
        if group:
            first = group[0]
            yield Raised(
                "outside_app",
                f"A change outside the application: {who(first)} {describe_transaction(group, namer)}"
                f" {when(first['occurred_at'], zone)}.",
                [e["id"] for e in group],
                first["occurred_at"],
                subject=first["db_user"],
            )


def mass_change(session, entries, settings, namer):
    """More than max_patients distinct patients changed by one user (or one
    database role) within `minutes`: one alert per burst (no second alert
    for the same user until `minutes` have passed since the first)."""
    zone = hospital_zone()
    limit, minutes = int(settings.get("max_patients", 20)), int(settings.get("minutes", 10))
    window = timedelta(minutes=minutes)
    batch = [e for e in entries if patient_id_of(e) is not None and not is_machine_work(e)]
    if not batch:
        return
    subjects = sorted({_subject(e) for e in batch})
    history = session.execute(
        text(
            """
            SELECT id, occurred_at,
                   coalesce(app_username, 'database role ' || db_user) AS subject,
                   CASE WHEN table_name = 'public.patients' THEN row_pk
                        ELSE coalesce(new_row, old_row) ->> 'patient_id' END AS patient
              FROM audit_log
             WHERE occurred_at BETWEEN :start AND :end AND id <= :max_id
               AND coalesce(app_username, 'database role ' || db_user) = ANY(:subjects)
               AND (table_name = 'public.patients' OR CAST(coalesce(new_row, old_row) AS jsonb) ? 'patient_id')
               AND table_name <> ALL(:skipped)
             ORDER BY occurred_at, id
            """
        ),
        {
            "start": min(e["occurred_at"] for e in batch) - window,
            "end": max(e["occurred_at"] for e in batch),
            "max_id": max(e["id"] for e in batch),
            "subjects": subjects,
            "skipped": list(SKIPPED_TABLES),
        },
    ).all()
    last_alert = dict(
        session.execute(
            text(
                "SELECT subject, max(occurred_at) FROM alerts WHERE rule_code = 'mass_change' AND subject = ANY(:s)"
                " GROUP BY subject"
            ),
            {"s": subjects},
        ).all()
    )
    batch_ids = {e["id"] for e in batch}
    for subject in subjects:
        recent: deque = deque()
        counts: dict[str, int] = defaultdict(int)
        for row in (r for r in history if r.subject == subject):
            recent.append(row)
            counts[row.patient] += 1
            while recent and recent[0].occurred_at < row.occurred_at - window:
                gone = recent.popleft()
                counts[gone.patient] -= 1
                if not counts[gone.patient]:
                    del counts[gone.patient]
            if len(counts) <= limit or row.id not in batch_ids:
                continue
            previous = last_alert.get(subject)
            if previous is not None and row.occurred_at - previous < window:
                continue
            last_alert[subject] = row.occurred_at
            yield Raised(
                "mass_change",
                f"{subject} changed {len(counts)} different patients within {minutes} minutes"
                f" (more than {limit}), up to {when(row.occurred_at, zone).removeprefix('at ')}.",
                [r.id for r in recent],
                row.occurred_at,
                subject=subject,
            )


def _subject(entry: dict) -> str:
    return entry["app_username"] or f"database role {entry['db_user']}"


RULES = {
    "off_hours": off_hours,
    "mass_change": mass_change,
    "sensitive_field": sensitive_field,
    "new_patient": new_patient,
    "sensitive_deletion": sensitive_deletion,
    "privilege_change": privilege_change,
    "outside_app": outside_app,
}
