"""The care domain's sources of the patient timeline (app/core/timeline.py):
doses recorded, vaccinations, care tasks checked off.  Each applies the
domain's read rules: a role that may not read the kind gets nothing."""

from datetime import datetime, time

import sqlalchemy as sa
from flask_babel import gettext

from app.care.models import DISEASES, CareTask, CareTaskCheck, MedicationAdministration
from app.care.rules import patient_administrations, patient_vaccinations
from app.core.timeline import TimelineItem, timeline_source
from app.core.timezone import hospital_zone
from app.security.policy import READ, may
from app.security.roles import ADMINISTRATIONS, CARE_TASKS, VACCINATIONS


@timeline_source("administration")
def administrations(session, patient_id: int, actor):
    if not may(actor, READ, ADMINISTRATIONS):
        return []
    return [_administration(record) for record in patient_administrations(session, actor, patient_id)]


def _administration(record: MedicationAdministration) -> TimelineItem:
    line = record.prescription_item
    title = gettext(
        "%(medication)s %(dose)s: %(status)s",
        medication=line.medication.name,
        dose=line.dose_text,
        status=gettext(record.status_label),
    )
    return TimelineItem(
        at=record.recorded_at if record.status == "given" else record.planned_at,
        kind="administration",
        title=title,
        detail=record.reason or record.note or "",
        url=f"/prescriptions/show/{line.prescription_id}",
    )


@timeline_source("vaccination")
def vaccinations(session, patient_id: int, actor):
    if not may(actor, READ, VACCINATIONS):
        return []
    zone = hospital_zone()
    return [
        TimelineItem(
            at=datetime.combine(v.given_on, time(12), tzinfo=zone),
            kind="vaccination",
            title=gettext("Vaccination: %(vaccine)s (dose %(dose)s)", vaccine=v.vaccine.name, dose=v.dose_number),
            detail=", ".join(str(DISEASES.get(d, d)) for d in v.vaccine.diseases),
            url=f"/vaccinations/show/{v.id}",
        )
        for v in patient_vaccinations(session, actor, patient_id)
    ]


@timeline_source("care")
def care_checks(session, patient_id: int, actor):
    if not may(actor, READ, CARE_TASKS):
        return []
    rows = session.scalars(
        sa.select(CareTaskCheck)
        .join(CareTask)
        .where(CareTask.patient_id == patient_id)
        .order_by(CareTaskCheck.done_at.desc())
    )
    return [
        TimelineItem(
            at=check.done_at,
            kind="care",
            title=gettext("Care done: %(task)s", task=check.care_task.description),
            detail=check.note or "",
            url=f"/caretasks/show/{check.care_task_id}",
        )
        for check in rows
    ]
