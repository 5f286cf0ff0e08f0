"""Alert rules and the alerts they raise (migration 0082)."""

from datetime import datetime

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, Boolean, DateTime, FetchedValue, ForeignKey, Identity, Integer, String, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

SEVERITIES = ("info", "warning", "critical")
ALERT_STATUSES = ("new", "acknowledged")
# How the screens name them, in the user's language (the stored values and the API keep the codes).
SEVERITY_LABELS = {"info": _l("Information"), "warning": _l("Warning"), "critical": _l("Critical")}
ALERT_STATUS_LABELS = {"new": _l("New"), "acknowledged": _l("Acknowledged")}


class AlertRule(Model):
    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    is_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=FetchedValue())
    severity: Mapped[str] = mapped_column(String(10), nullable=False)
    settings: Mapped[dict] = mapped_column(JSONB, nullable=False, server_default=FetchedValue())
    recipient_roles: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, server_default=FetchedValue())
    recipient_usernames: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, server_default=FetchedValue())
    recipient_emails: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, server_default=FetchedValue())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=FetchedValue())

    def __repr__(self) -> str:
        return self.code


class Alert(Model):
    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    rule_code: Mapped[str] = mapped_column(String(40), ForeignKey("alert_rules.code"), nullable=False)
    severity: Mapped[str] = mapped_column(String(10), nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False)
    audit_entry_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), nullable=False)
    # The journal of reads' rows (access_log ids) an alert of the journal's rules covers (migration 0087).
    access_entry_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), nullable=False, default=list)
    subject: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=FetchedValue())
    status: Mapped[str] = mapped_column(String(12), nullable=False, server_default=FetchedValue())
    acknowledged_by_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("ab_user.id"))
    acknowledged_by: Mapped[User | None] = relationship(User)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ack_comment: Mapped[str | None] = mapped_column(Text)

    __mapper_args__ = {"eager_defaults": True}

    def __repr__(self) -> str:
        return f"alert {self.id}"
