"""Loading the vaccine reference and the vaccination calendar from CSV
files, the way the drug reference is loaded (app/prescribing/drug_import.py:
the same reader, reports and one transaction; a bad file imports nothing,
a bad line is rejected with its number and reason).

The default files ship in app/care/data/: vaccines.csv (a few products
used in France) and french_calendar.csv (the French vaccination calendar:
the infant series, the childhood and adolescent boosters, dTP at 25, 45,
65 and every 10 years from 75, shingles and influenza from 65).
"""

import re
from functools import partial
from pathlib import Path

from app.care.models import DISEASES, VaccinationStep, Vaccine
from app.core.actor import Actor
from app.core.normalize import is_digits
from app.prescribing.drug_import import ImportReport, LineRejected, _flag, _import, _upsert
from app.security.policy import WRITE, require
from app.security.roles import VACCINATION_SCHEDULE, VACCINES

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_VACCINES = DATA_DIR / "vaccines.csv"
DEFAULT_CALENDAR = DATA_DIR / "french_calendar.csv"

VACCINE_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,19}$")
STEP_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def import_vaccines(
    session, actor: Actor, source=DEFAULT_VACCINES, *, dry_run=False, commit=True, keep_existing=False
) -> ImportReport:
    """Upsert vaccines by code: code, name, diseases ('|'-separated) [, manufacturer, is_active];
    keep_existing: add the missing ones only (the demo never puts a changed row back as shipped)."""
    require(actor, WRITE, VACCINES)
    return _import(
        session,
        source,
        "vaccines",
        ("code", "name", "diseases"),
        ("manufacturer", "is_active"),
        _vaccine,
        partial(_upsert, model=Vaccine, key=("code",), keep_existing=keep_existing),
        dry_run=dry_run,
        commit=commit,
    )


def import_calendar(
    session, actor: Actor, source=DEFAULT_CALENDAR, *, dry_run=False, commit=True, keep_existing=False
) -> ImportReport:
    """Upsert calendar steps by code; keep_existing as for import_vaccines."""
    require(actor, WRITE, VACCINATION_SCHEDULE)
    return _import(
        session,
        source,
        "calendar steps",
        ("code", "disease", "label", "due_age_months"),
        ("until_age_months", "repeat_every_months", "tolerance_months", "overdue_after_months", "is_active"),
        _step,
        partial(_upsert, model=VaccinationStep, key=("code",), keep_existing=keep_existing),
        dry_run=dry_run,
        commit=commit,
    )


def _vaccine(row: dict) -> dict:
    if "_error" in row:
        raise LineRejected(row["_error"])
    code = row["code"].upper()
    if not VACCINE_CODE.match(code):
        raise LineRejected(f"code {row['code']!r}: capital letters, digits, '-' or '_', 20 characters at most")
    name = " ".join(row["name"].split())
    if not name or len(name) > 200:
        raise LineRejected("name: required, 200 characters at most")
    diseases = [d.strip().lower() for d in re.split(r"[|+;]", row["diseases"]) if d.strip()]
    unknown = [d for d in diseases if d not in DISEASES]
    if not diseases or unknown:
        raise LineRejected(f"diseases: one or more of {', '.join(DISEASES)} (unknown: {', '.join(unknown)})")
    manufacturer = " ".join(row.get("manufacturer", "").split()) or None
    if manufacturer and len(manufacturer) > 100:
        raise LineRejected("manufacturer: 100 characters at most")
    return {
        "_key": code,
        "code": code,
        "name": name,
        "diseases": list(dict.fromkeys(diseases)),
        "manufacturer": manufacturer,
        "is_active": _flag(row, "is_active", default=True),
    }


def _months(row: dict, column: str, *, default: int | None = None, lowest: int = 0) -> int | None:
    raw = row.get(column, "").strip()
    if not raw:
        return default
    if not is_digits(raw) or not lowest <= int(raw) <= 1800:
        raise LineRejected(f"{column} {raw!r}: a whole number of months")
    return int(raw)


def _step(row: dict) -> dict:
    if "_error" in row:
        raise LineRejected(row["_error"])
    code = row["code"].lower()
    if not STEP_CODE.match(code):
        raise LineRejected(f"code {row['code']!r}: lower-case letters, digits, '-' or '_'")
    disease = row["disease"].lower()
    if disease not in DISEASES:
        raise LineRejected(f"disease {row['disease']!r}: one of {', '.join(DISEASES)}")
    label = " ".join(row["label"].split())
    if not label or len(label) > 200:
        raise LineRejected("label: required, 200 characters at most")
    values = {
        "_key": code,
        "code": code,
        "disease": disease,
        "label": label,
        "due_age_months": _months(row, "due_age_months"),
        "until_age_months": _months(row, "until_age_months"),
        "repeat_every_months": _months(row, "repeat_every_months", lowest=1),
        "tolerance_months": _months(row, "tolerance_months", default=1),
        "overdue_after_months": _months(row, "overdue_after_months", default=3),
        "is_active": _flag(row, "is_active", default=True),
    }
    if values["due_age_months"] is None:
        raise LineRejected("due_age_months: required")
    if values["until_age_months"] is not None and values["until_age_months"] <= values["due_age_months"]:
        raise LineRejected("until_age_months: after due_age_months")
    return values
