"""The clinical record's part of the patient timeline: consultations (and
their addenda), diagnoses, problems and history, observations; each for
whoever may read its kind (a secretary sees none of them)."""

import sqlalchemy as sa

from app.clinical.models import PROBLEM_CATEGORIES, Consultation, Observation, PatientProblem
from app.core.actor import Actor
from app.core.links import page_url
from app.core.timeline import TimelineItem, timeline_source
from app.core.timezone import local_midnight
from app.security.policy import READ, may
from app.security.roles import CONSULTATIONS, OBSERVATIONS, PROBLEMS


def _consultations(session, patient_id: int):
    return session.scalars(sa.select(Consultation).where(Consultation.patient_id == patient_id))


@timeline_source("consultation")
def consultations(session, patient_id: int, actor: Actor):
    if not may(actor, READ, CONSULTATIONS):
        return
    for row in _consultations(session, patient_id):
        url = page_url("ConsultationView.show", pk=row.id)
        yield TimelineItem(
            at=row.started_at,
            kind="consultation",
            title=f"Consultation with {row.clinician.display_name}: {row.reason or '(no reason yet)'}",
            detail="signed" if row.is_signed else "draft",
            url=url,
        )
        for addendum in row.addenda:
            yield TimelineItem(
                at=addendum.created_at,
                kind="consultation",
                title=f"Addendum by {addendum.author.display_name} to the consultation of {row.started_at:%Y-%m-%d}",
                detail=addendum.body[:200],
                url=url,
            )


@timeline_source("diagnosis")
def diagnoses(session, patient_id: int, actor: Actor):
    if not may(actor, READ, CONSULTATIONS):
        return
    for row in _consultations(session, patient_id):
        for diagnosis in row.diagnoses:
            yield TimelineItem(
                at=row.started_at,
                kind="diagnosis",
                title=f"{diagnosis.icd10_code} {diagnosis.label}",
                detail=diagnosis.rank + ("" if row.is_signed else " (draft)"),
                url=page_url("ConsultationView.show", pk=row.id),
            )


@timeline_source("problem")
def problems(session, patient_id: int, actor: Actor):
    if not may(actor, READ, PROBLEMS):
        return
    for row in session.scalars(sa.select(PatientProblem).where(PatientProblem.patient_id == patient_id)):
        code = f"{row.icd10_code} " if row.icd10_code else ""
        yield TimelineItem(
            at=local_midnight(row.onset_on) if row.onset_on else row.recorded_at,
            kind="problem",
            title=f"{PROBLEM_CATEGORIES[row.category]}: {code}{row.label}",
            detail=row.status + ("" if row.is_coded else ", not coded"),
            url=page_url("ClinicalRecordView.problems", patient_id=patient_id),
        )


@timeline_source("observation")
def observations(session, patient_id: int, actor: Actor):
    if not may(actor, READ, OBSERVATIONS):
        return
    for row in session.scalars(sa.select(Observation).where(Observation.patient_id == patient_id)):
        yield TimelineItem(
            at=row.measured_at,
            kind="observation",
            title=f"{row.label} {row.shown_value}",
            detail="abnormal" if row.is_abnormal else "",
            url=page_url("ClinicalRecordView.observations", patient_id=patient_id, kind=row.kind),
        )
