"""Alerts in plain words: who did what to whom, when.

"secretary changed the blood group of DUBOIS Marie (IPP00000123) from A+ to
O- at 23:14 on Sunday".  Names are looked up when the alert is raised (a
deleted patient's name comes from the audit entry itself).
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import text

COLUMN_LABELS = {
    "blood_group": "blood group",
    "allergies": "allergies (free text)",
    "nir": "NIR",
    "medication_id": "drug",
    "dose": "dose",
    "dose_unit": "dose unit",
    "frequency": "frequency",
}


def who(entry: dict) -> str:
    if entry["app_username"]:
        return entry["app_username"]
    app = f", {entry['application_name']}" if entry.get("application_name") else ""
    return f"database role {entry['db_user']} (outside the application{app})"


def when(instant: datetime, zone: ZoneInfo) -> str:
    local = instant.astimezone(zone)
    return f"at {local.strftime('%H:%M')} on {local.strftime('%A')} {local.strftime('%d/%m/%Y')}"


def row_of(entry: dict) -> dict:
    return entry["new_row"] or entry["old_row"] or {}


def patient_id_of(entry: dict) -> str | None:
    if entry["table_name"] == "public.patients":
        return entry["row_pk"]
    value = row_of(entry).get("patient_id")
    return None if value is None else str(value)


class Namer:
    """Names of patients, users and roles, looked up once per evaluation."""

    def __init__(self, session):
        self.session = session
        self._patients: dict[str, str] = {}

    def patient(self, patient_id: str | None, entry: dict | None = None) -> str:
        if patient_id is None:
            return "an unknown patient"
        if patient_id not in self._patients:
            row = None
            if entry is not None and entry["table_name"] == "public.patients":
                row = row_of(entry)
            if not row or "last_name" not in row:
                found = self.session.execute(
                    text("SELECT last_name, first_name, mrn FROM patients WHERE id = CAST(:id AS bigint)"),
                    {"id": patient_id},
                ).first()
                row = dict(found._mapping) if found else {}
            if row:
                name = f"{str(row.get('last_name', '')).upper()} {row.get('first_name', '')}".strip()
                self._patients[patient_id] = f"{name} ({row.get('mrn') or 'patient #' + patient_id})"
            else:
                self._patients[patient_id] = f"patient #{patient_id}"
        return self._patients[patient_id]

    def username(self, user_id) -> str:
        found = self.session.execute(text("SELECT username FROM ab_user WHERE id = :id"), {"id": int(user_id)}).first()
        return found[0] if found else f"user #{user_id}"

    def role(self, role_id) -> str:
        found = self.session.execute(text("SELECT name FROM ab_role WHERE id = :id"), {"id": int(role_id)}).first()
        return found[0] if found else f"role #{role_id}"


def value(raw) -> str:
    return "(empty)" if raw in (None, "") else str(raw)


def table_label(table_name: str) -> str:
    return table_name.removeprefix("public.")
