"""Alert e-mails: one message per recipient for the alerts of one pass of
the engine (grouped when many fire together), HTML and plain text.

The engine enqueues the jobs (`enqueue_alert_mail`) in the transaction that
stores the alerts and moves its cursor: no alert is mailed before it exists,
none is forgotten if the worker dies.  One job per recipient, so a retry
(SMTP down: 4 s, 16 s, 64 s...) never sends again what another recipient
already got.  Recipients: the rule's roles (their active users with an
e-mail), usernames, and plain addresses.
"""

import logging
from collections import defaultdict

from flask import render_template
from flask_mail import Message
from sqlalchemy import select, text

from app.alerts.models import Alert, AlertRule
from app.core.timezone import local_time
from app.jobs.registry import defer, in_flask_app, job

log = logging.getLogger(__name__)

ROLE_EMAILS = text(
    """
    SELECT DISTINCT lower(u.email) FROM ab_user u
      JOIN ab_user_role ur ON ur.user_id = u.id JOIN ab_role r ON r.id = ur.role_id
     WHERE r.name = ANY(:roles) AND u.active AND coalesce(u.email, '') <> ''
    """
)
USER_EMAILS = text(
    "SELECT lower(email) FROM ab_user WHERE username = ANY(:usernames) AND active AND coalesce(email, '') <> ''"
)


def recipients_of(session, rule: AlertRule) -> set[str]:
    addresses = {e.strip().lower() for e in rule.recipient_emails or () if e.strip()}
    if rule.recipient_roles:
        addresses |= set(session.execute(ROLE_EMAILS, {"roles": list(rule.recipient_roles)}).scalars())
    if rule.recipient_usernames:
        addresses |= set(session.execute(USER_EMAILS, {"usernames": list(rule.recipient_usernames)}).scalars())
    # Non-ASCII addresses need SMTPUTF8, which Flask-Mail cannot send: a job
    # for one would fail at every retry.  Left out, and said once per pass.
    unsendable = {address for address in addresses if not address.isascii()}
    if unsendable:
        log.warning(
            "alert rule %s: %d recipient address(es) with non-ASCII characters left out", rule.code, len(unsendable)
        )
    return addresses - unsendable


def enqueue_alert_mail(session, alerts: list[Alert]) -> int:
    """In the engine's transaction: one "alerts.mail" job per recipient."""
    codes = {alert.rule_code for alert in alerts}
    rules = {r.code: r for r in session.execute(select(AlertRule).where(AlertRule.code.in_(codes))).scalars()}
    wanted: dict[str, list[int]] = defaultdict(list)
    for alert in alerts:
        for address in recipients_of(session, rules[alert.rule_code]):
            wanted[address].append(alert.id)
    for address, alert_ids in sorted(wanted.items()):
        defer(session, "alerts.mail", to=address, alert_ids=alert_ids)
    return len(wanted)


@job("alerts.mail", queue="mail")
def send_alert_mail(context, to: str, alert_ids: list[int]) -> None:
    """Send one recipient the alerts (raises while SMTP is unreachable: retried)."""
    from app.core.extensions import db, mail

    with in_flask_app(context):
        alerts = db.session.execute(select(Alert).where(Alert.id.in_(alert_ids)).order_by(Alert.id)).scalars().all()
        if not alerts:
            return
        message = alert_message(alerts, to)
        db.session.rollback()
        mail.send(message)
        log.info("alert e-mail sent: %d alert(s)", len(alerts))  # no address, no patient in the log


def alert_message(alerts: list[Alert], to: str) -> Message:
    from app.alerts.rules import RULE_LABELS

    worst = "critical" if any(a.severity == "critical" for a in alerts) else alerts[0].severity
    if len(alerts) == 1:
        subject = f"[CareTrail {worst}] {RULE_LABELS.get(alerts[0].rule_code, alerts[0].rule_code)}"
    else:
        subject = f"[CareTrail {worst}] {len(alerts)} alerts"
    values = {"alerts": alerts, "labels": RULE_LABELS, "local_time": local_time}
    return Message(
        subject=subject,
        recipients=[to],
        body=render_template("email/alerts.txt", **values),
        html=render_template("email/alerts.html", **values),
        extra_headers={"Auto-Submitted": "auto-generated"},
    )
