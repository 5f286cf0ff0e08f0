"""Periodic audit reports by e-mail: a daily and a weekly summary of the
changes (counts by user, table and action) and of the alerts of the period,
with the counts as a CSV file, to AUDIT_REPORT_RECIPIENTS.

Periods end at the time the task was scheduled for (procrastinate's
periodic timestamp), so a report sent late, or retried while SMTP was down,
covers the same period; one message per report: sent once.
"""

import csv
import io
import logging
from datetime import UTC, datetime, timedelta

from flask_mail import Message
from sqlalchemy import text

from app.core.timezone import local_time
from app.jobs.registry import in_flask_app, job

log = logging.getLogger(__name__)

COUNTS = text(
    """
    SELECT coalesce(app_username, 'database role ' || db_user) AS who, table_name, operation, count(*) AS changes
      FROM audit_log
     WHERE occurred_at >= :start AND occurred_at < :end
     GROUP BY 1, 2, 3
     ORDER BY 4 DESC, 1, 2, 3
    """
)
ALERTS = text(
    "SELECT rule_code, severity, summary, status FROM alerts WHERE occurred_at >= :start AND occurred_at < :end"
    " ORDER BY id"
)


def recipients(config) -> list[str]:
    return [a.strip() for a in str(config.get("AUDIT_REPORT_RECIPIENTS") or "").split(",") if a.strip()]


def audit_report(session, title: str, start: datetime, end: datetime, to: list[str]) -> Message:
    counts = session.execute(COUNTS, {"start": start, "end": end}).all()
    alerts = session.execute(ALERTS, {"start": start, "end": end}).all()
    session.rollback()
    total = sum(row.changes for row in counts)
    lines = [
        f"CareTrail {title}: {local_time(start)} to {local_time(end)}",
        "",
        f"{total} changes recorded in the audit, {len(alerts)} alert(s).",
        "",
        "Changes by user, table and action (all of them in the attached CSV):",
        *(f"  {row.who}: {row.operation} {row.table_name} x {row.changes}" for row in counts[:30]),
        "",
        "Alerts of the period:",
        *(f"  [{row.severity}] {row.summary} ({row.status})" for row in alerts[:50]),
    ]
    if len(alerts) > 50:
        lines.append(f"  ... and {len(alerts) - 50} more (Alerts > Alert history).")
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(["user", "table", "action", "changes"])
    writer.writerows([row.who, row.table_name, row.operation, row.changes] for row in counts)
    message = Message(
        subject=f"[CareTrail] {title}: {total} changes, {len(alerts)} alert(s)",
        recipients=to,
        body="\n".join(lines) + "\n",
        extra_headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach(f"audit-{start:%Y%m%d}-{end:%Y%m%d}.csv", "text/csv", table.getvalue().encode("utf-8"))
    return message


def _send(context, timestamp: int, title: str, days: int) -> str:
    from app.core.extensions import db, mail

    with in_flask_app(context) as flask_app:
        to = recipients(flask_app.config)
        if not to:
            log.info("%s: no AUDIT_REPORT_RECIPIENTS, nothing sent", title)
            return "no recipients"
        end = datetime.fromtimestamp(timestamp, UTC)
        mail.send(audit_report(db.session, title, end - timedelta(days=days), end, to))
        return "sent"


@job("reports.daily_audit", queue="mail", cron="0 5 * * *", periodic_id="daily")
def daily_audit_report(context, timestamp: int) -> str:
    return _send(context, timestamp, "daily audit summary", 1)


@job("reports.weekly_audit", queue="mail", cron="30 5 * * 1", periodic_id="weekly")
def weekly_audit_report(context, timestamp: int) -> str:
    return _send(context, timestamp, "weekly audit summary", 7)
