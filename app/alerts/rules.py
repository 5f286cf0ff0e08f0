"""The alerts' rules for people: reading them, acknowledging one, changing a
rule's settings.  Each takes (session, actor), refuses what the actor may not
do, and commits."""

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.alerts.models import ALERT_STATUSES, SEVERITIES, Alert, AlertRule
from app.core.actor import Actor
from app.core.db_context import clean_reason
from app.core.errors import BadInput, ConstraintViolation, NotFound
from app.core.rules import run_and_commit
from app.security.policy import READ, WRITE, may, require
from app.security.roles import ALERT_RULES, ALERTS

RULE_LABELS = {
    "off_hours": _l("Change outside working hours"),
    "mass_change": _l("Many patients changed by one user"),
    "sensitive_field": _l("Sensitive field changed"),
    "new_patient": _l("New patient"),
    "sensitive_deletion": _l("Sensitive deletion"),
    "privilege_change": _l("Privilege change"),
    "outside_app": _l("Change outside the application"),
    "break_glass": _l("Break-the-glass access"),
    "off_hours_read": _l("Record read outside working hours"),
}
PAGE_SIZE = 50


def unread_count(session, actor: Actor) -> int | None:
    """New alerts, for the bell; None for whoever may not read alerts."""
    if actor.is_system or not may(actor, READ, ALERTS):
        return None
    return session.execute(sa.select(sa.func.count()).select_from(Alert).where(Alert.status == "new")).scalar_one()


def list_alerts(session, actor: Actor, *, rule: str = "", severity: str = "", status: str = "", page: int = 0):
    require(actor, READ, ALERTS)
    query = sa.select(Alert).order_by(Alert.id.desc())
    if rule:
        if rule not in RULE_LABELS:
            raise BadInput("Unknown alert rule.", field="rule")
        query = query.where(Alert.rule_code == rule)
    if severity:
        if severity not in SEVERITIES:
            raise BadInput("Severity must be info, warning or critical.", field="severity")
        query = query.where(Alert.severity == severity)
    if status:
        if status not in ALERT_STATUSES:
            raise BadInput("Status must be new or acknowledged.", field="status")
        query = query.where(Alert.status == status)
    return session.execute(query.limit(PAGE_SIZE).offset(page * PAGE_SIZE)).scalars().all()


def acknowledge_alert(session, actor: Actor, alert_id: int, comment: str | None = None) -> Alert:
    """New -> acknowledged, by this user, now, with an optional comment.
    Acknowledging again changes nothing."""
    require(actor, WRITE, ALERTS)
    comment = clean_reason(comment, field="comment")
    alert = session.get(Alert, alert_id, with_for_update=True)
    if alert is None:
        raise NotFound("No such alert.")
    if alert.status == "acknowledged":
        session.rollback()
        return alert
    if actor.user_id is None:
        raise ConstraintViolation("acknowledged_by", "An alert is acknowledged by a person (a user account).")

    def change():
        alert.status = "acknowledged"
        alert.acknowledged_by_id = actor.user_id
        alert.acknowledged_at = datetime.now(UTC)
        alert.ack_comment = comment
        return alert

    return run_and_commit(session, change)


def list_rules(session, actor: Actor) -> list[AlertRule]:
    require(actor, READ, ALERT_RULES)
    return session.execute(sa.select(AlertRule).order_by(AlertRule.id)).scalars().all()


def _words(raw: str | None) -> list[str]:
    return [word.strip() for word in (raw or "").replace(";", ",").split(",") if word.strip()]


def update_alert_rule(
    session,
    actor: Actor,
    code: str,
    *,
    is_enabled: bool,
    severity: str,
    settings: str,
    recipient_roles: str = "",
    recipient_usernames: str = "",
    recipient_emails: str = "",
) -> AlertRule:
    """Change one rule: enabled, severity, settings (a JSON object, checked
    against what the rule reads) and recipients (comma-separated)."""
    require(actor, WRITE, ALERT_RULES)
    rule = session.execute(sa.select(AlertRule).where(AlertRule.code == code).with_for_update()).scalar_one_or_none()
    if rule is None:
        raise NotFound("No such alert rule.")
    if severity not in SEVERITIES:
        raise ConstraintViolation("severity", "Severity must be info, warning or critical.")
    try:
        parsed = json.loads(settings or "{}")
    except ValueError as exc:
        raise ConstraintViolation("settings", f"Settings are not valid JSON: {exc.msg} (line {exc.lineno}).") from None
    if not isinstance(parsed, dict):
        raise ConstraintViolation("settings", "Settings must be a JSON object.")
    check_settings(code, parsed)

    def change():
        rule.is_enabled = is_enabled
        rule.severity = severity
        rule.settings = parsed
        rule.recipient_roles = _words(recipient_roles)
        rule.recipient_usernames = _words(recipient_usernames)
        rule.recipient_emails = _words(recipient_emails)
        rule.updated_at = datetime.now(UTC)
        return rule

    return run_and_commit(session, change)


def check_settings(code: str, settings: dict) -> None:
    """Refuse settings the engine could not read (422 on `settings`)."""

    def refuse(why: str):
        raise ConstraintViolation("settings", why)

    if code == "mass_change":
        for key in ("max_patients", "minutes"):
            if not isinstance(settings.get(key), int) or settings[key] < 1:
                refuse(f"{key} must be a whole number of at least 1.")
    elif code in ("off_hours", "off_hours_read"):
        hours = settings.get("hours")
        if not isinstance(hours, dict) or set(hours) - {str(day) for day in range(1, 8)}:
            refuse('hours: an object from ISO weekday ("1" Monday ... "7" Sunday) to ["HH:MM", "HH:MM"] or null.')
        for day, window in hours.items():
            if window is None:
                continue
            if not (isinstance(window, list) and len(window) == 2 and all(_is_clock(v) for v in window)):
                refuse(f'hours of day {day}: ["HH:MM", "HH:MM"] or null.')
            if window[0] >= window[1]:
                refuse(f"hours of day {day}: the end must be after the start.")
        country = settings.get("holidays")
        if country is not None:
            import holidays

            if country not in holidays.list_supported_countries():
                refuse(f"holidays: {country!r} is not a country code python-holidays knows (e.g. FR).")
        for day in settings.get("extra_holidays") or ():
            try:
                datetime.strptime(day, "%Y-%m-%d")
            except (TypeError, ValueError):
                refuse(f"extra_holidays: {day!r} is not a date like 2026-12-24.")
    elif code == "sensitive_field":
        columns = settings.get("columns")
        if not isinstance(columns, dict) or not all(
            isinstance(v, list) and all(isinstance(c, str) for c in v) for v in columns.values()
        ):
            refuse('columns: an object from table ("public.patients") to a list of column names.')
    elif code == "sensitive_deletion":
        tables = settings.get("tables")
        if not isinstance(tables, list) or not all(isinstance(t, str) for t in tables):
            refuse('tables: a list of table names ("public.patients").')


def _is_clock(value) -> bool:
    try:
        datetime.strptime(value, "%H:%M")
    except (TypeError, ValueError):
        return False
    return len(value) == 5
