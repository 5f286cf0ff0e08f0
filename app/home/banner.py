"""The patient at a glance: the banner on every patient page and form.

Name, sex in words, age, hospital number (IPP), NIR spaced the French way
(for roles that read it), the allergy flag (red when an active allergy is
recorded or noted), and the actions the role may take: edit, book,
prescribe, print.  Every part asks the domain that owns it (field matrix,
role matrix, the documents' and prescriptions' own access rules), so the
banner offers only what the user may read and do.
"""

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import request, url_for
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

from app.core.actor import Actor
from app.core.ages import age_on, months_on
from app.core.extensions import db
from app.core.formatting import format_date
from app.core.normalize import is_digits
from app.core.timezone import today
from app.documents.access import may_issue
from app.prescribing.access import may_renew, own_doctor_query, remember_own_doctor_id
from app.prescribing.models import PatientAllergy
from app.records.models import Patient
from app.records.page import OWN_USER_ID, Reads, json_rows
from app.security.policy import READ, WRITE, may, readable_fields
from app.security.roles import ALLERGIES, APPOINTMENTS, PATIENTS, PRESCRIPTIONS

SEX_WORDS = {"F": _l("female"), "M": _l("male"), "U": _l("unknown"), "X": _l("other")}
CLINICAL_ROLES = frozenset({"Doctor", "Nurse", "Radiologist"})


@dataclass
class PatientBanner:
    id: int
    name: str
    sex: str
    age: str
    birth_date: str
    mrn: str
    nir: str | None
    status: str
    allergy: str  # "active", "none", or "" when the role may not know
    allergies: list[str] = field(default_factory=list)
    actions: list[dict] = field(default_factory=list)
    clinical_first: bool = False


def spaced_nir(nir: str | None) -> str | None:
    """1 85 05 78 006 084 91: sex, year, month, place (2 + 3), order, key."""
    if not nir or len(nir) != 15:
        return nir
    return " ".join((nir[0], nir[1:3], nir[3:5], nir[5:7], nir[7:10], nir[10:13], nir[13:15]))


def age_in_words(born: date | None, on: date) -> str:
    if born is None:
        return ""
    years = age_on(born, on)
    if years >= 2:
        return gettext("%(num)s years", num=years)
    return ngettext("%(num)s month", "%(num)s months", months_on(born, on))


def is_clinical(actor: Actor) -> bool:
    return bool(actor.roles & CLINICAL_ROLES)


def active_allergy_agents(patient_id: int) -> sa.Select:
    """The agents of the patient's active allergies, first recorded first."""
    agent = sa.func.coalesce(
        PatientAllergy.substance, "ATC class " + PatientAllergy.atc_code, PatientAllergy.description
    )
    return sa.select(agent.label("agent")).where(
        PatientAllergy.patient_id == patient_id, PatientAllergy.status == "active"
    )


def banner_reads(patient_id, actor: Actor) -> Reads:
    """What the banner reads on the patient's page, with the sections: the
    allergies' agents (for who reads allergies), whether the login is a
    doctor's (for the Prescribe button)."""
    reads = {}
    if may(actor, READ, PATIENTS) and may(actor, READ, ALLERGIES):
        reads["allergies"] = json_rows(active_allergy_agents(patient_id), PatientAllergy.id)
    own_doctor = own_doctor_query(actor, OWN_USER_ID)
    if own_doctor is not None and may(actor, WRITE, PRESCRIPTIONS):
        reads["own_doctor_id"] = own_doctor.scalar_subquery()
    return reads


def banner_on_patient_page(patient_id: int, actor: Actor, read: dict) -> "PatientBanner | None":
    """The patient page's banner, from what banner_reads() read."""
    if "own_doctor_id" in read:
        remember_own_doctor_id(actor, read["own_doctor_id"])
    agents = [row["agent"] for row in read["allergies"]] if "allergies" in read else None
    return patient_banner(db.session, actor, patient_id, allergy_agents=agents)


def patient_banner(
    session, actor: Actor, patient_id: int, *, allergy_agents: list[str] | None = None
) -> PatientBanner | None:
    """The banner; the active allergies' agents read here unless given."""
    if not may(actor, READ, PATIENTS):
        return None
    fields = readable_fields(actor, PATIENTS)
    reads_allergies = may(actor, READ, ALLERGIES)
    # The patient as the page read it (held for the request: no query), and
    # for who may read them the agents of their active allergies (one query,
    # none on the patient's page: read with its sections).
    # No autoflush: a form shown again after a refusal still holds the edit
    # the database refused; flushing it here would raise the refusal again.
    with session.no_autoflush:
        patient = session.get(Patient, patient_id)
        if patient is None:
            return None
        recorded = []
        if reads_allergies:
            recorded = allergy_agents
            if recorded is None:
                recorded = session.scalars(active_allergy_agents(patient_id).order_by(PatientAllergy.id)).all()
    allergy, agents = "", []
    if "allergies" in fields or reads_allergies:
        agents = list(recorded or [])
        if "allergies" in fields and patient.allergies:
            agents.append(patient.allergies)
        allergy = "active" if agents else "none"
    return PatientBanner(
        id=patient.id,
        name=f"{patient.last_name.upper()} {patient.first_name}",
        sex=str(SEX_WORDS.get(patient.sex, patient.sex or "")),
        age=age_in_words(patient.birth_date, patient.deceased_on or today()),
        birth_date=format_date(patient.birth_date),
        mrn=patient.mrn,
        nir=spaced_nir(patient.nir) if "nir" in fields else None,
        status=patient.status,
        allergy=allergy,
        allergies=agents,
        actions=_actions(session, actor, patient),
        clinical_first=is_clinical(actor),
    )


# Views saying `patient_banner = True` show a patient's banner above their
# pages: the show and edit pages of a record that belongs to one patient,
# and any page whose URL names the patient (patient_id).
RECORD_PAGES = ("show", "edit")


def record_banner(session, actor: Actor, appbuilder) -> PatientBanner | None:
    """The banner of the patient whose record this page shows or edits (one
    query for the record's patient_id), or None on any other page."""
    view_name, _, page = (request.endpoint or "").rpartition(".")
    args = request.view_args or {}
    if not view_name or not (is_digits(str(args.get("patient_id") or "")) or page in RECORD_PAGES):
        return None
    view = next((v for v in appbuilder.baseviews if v.endpoint == view_name), None)
    if view is None or not getattr(view, "patient_banner", False):
        return None
    if is_digits(str(args.get("patient_id") or "")):  # a page about one patient: /clinical/patients/<id>/...
        return patient_banner(session, actor, int(args["patient_id"]))
    pk = args.get("pk")
    if not is_digits(str(pk or "")):
        return None
    model = view.datamodel.obj
    with session.no_autoflush:
        patient_id = session.scalar(sa.select(model.patient_id).where(model.id == int(pk)))
    return patient_banner(session, actor, patient_id) if patient_id is not None else None


def _actions(session, actor: Actor, patient: Patient) -> list[dict]:
    actions = []
    if may(actor, WRITE, PATIENTS):
        actions.append(
            {
                "name": "edit",
                "label": gettext("Edit"),
                "icon": "fa-edit",
                "url": url_for("PatientView.edit", pk=patient.id),
            }
        )
    if may(actor, WRITE, APPOINTMENTS) and patient.status != "deceased":
        actions.append(
            {
                "name": "book",
                "label": gettext("Book"),
                "icon": "fa-calendar-plus",
                "url": url_for("FindSlotView.index", patient_id=patient.id),
            }
        )
    if may_renew(session, actor):
        actions.append(
            {
                "name": "prescribe",
                "label": gettext("Prescribe"),
                "icon": "fa-prescription",
                "url": url_for("PrescriptionView.add", patient_id=patient.id),
            }
        )
    if may_issue(actor, "patient_record"):
        actions.append(
            {
                "name": "print",
                "label": gettext("Print record"),
                "icon": "fa-print",
                "method": "post",
                "url": url_for("DocumentIssueView.issue", patient_id=patient.id, kind="patient_record"),
            }
        )
    return actions
