"""What the care API and screens take, and how records are answered."""

from datetime import UTC, date, datetime

from marshmallow import Schema, fields, validate

from app.care.models import ADMINISTRATION_STATUSES, SITES
from app.core.schemas import Id, Instant, Text

# Days and instants a ward deals with: beyond, Python's calendar would overflow.
DAYS = validate.Range(min=date(1900, 1, 1), max=date(2200, 12, 31))
INSTANTS = validate.Range(min=datetime(1900, 1, 1, tzinfo=UTC), max=datetime(2200, 12, 31, tzinfo=UTC))


def Day(**kwargs) -> fields.Date:
    return fields.Date(validate=DAYS, **kwargs)


def When(**kwargs) -> Instant:
    return Instant(validate=INSTANTS, **kwargs)


class PatientQuery(Schema):
    patient_id = Id(required=True)


class DayQuery(Schema):
    patient_id = Id(required=True)
    day = Day(load_default=None)


class PrescriptionQuery(Schema):
    prescription_id = Id(required=True)


class TaskQuery(Schema):
    care_task_id = Id(required=True)


class OverdueQuery(Schema):
    patient_id = Id(load_default=None)


class CareTaskSchema(Schema):
    patient_id = Id(required=True)
    description = Text(200, required=True)
    starts_at = When(required=True)
    every_hours = fields.Integer(strict=True, allow_none=True, load_default=None, validate=validate.Range(1, 168))
    ends_at = When(allow_none=True, load_default=None)
    prescription_item_id = Id(allow_none=True, load_default=None)


class CheckSchema(Schema):
    care_task_id = Id(required=True)
    due_at = When(required=True)
    note = Text(500, allow_none=True, load_default=None)


class AdministrationSchema(Schema):
    prescription_item_id = Id(required=True)
    planned_at = When(required=True)
    status = fields.String(required=True, validate=validate.OneOf(list(ADMINISTRATION_STATUSES)))
    reason = Text(500, allow_none=True, load_default=None)
    note = Text(500, allow_none=True, load_default=None)


class VaccinationSchema(Schema):
    patient_id = Id(required=True)
    vaccine_id = Id(required=True)
    given_on = Day(required=True)
    lot_number = Text(40, required=True)
    site = fields.String(required=True, validate=validate.OneOf(list(SITES)))
    dose_number = fields.Integer(strict=True, load_default=1, validate=validate.Range(1, 20))
    notes = Text(500, allow_none=True, load_default=None)


def care_task_json(task) -> dict:
    return {
        "id": task.id,
        "patient_id": task.patient_id,
        "prescription_item_id": task.prescription_item_id,
        "description": task.description,
        "starts_at": task.starts_at.isoformat(),
        "every_hours": task.every_hours,
        "ends_at": task.ends_at.isoformat() if task.ends_at else None,
        "status": task.status,
        "planned_by_id": task.planned_by_id,
        "version": task.version,
    }


def check_json(check) -> dict:
    return {
        "id": check.id,
        "care_task_id": check.care_task_id,
        "due_at": check.due_at.isoformat(),
        "done_at": check.done_at.isoformat(),
        "done_by_id": check.done_by_id,
        "note": check.note,
    }


def administration_json(record) -> dict:
    return {
        "id": record.id,
        "patient_id": record.patient_id,
        "prescription_item_id": record.prescription_item_id,
        "planned_at": record.planned_at.isoformat(),
        "status": record.status,
        "reason": record.reason,
        "note": record.note,
        "recorded_at": record.recorded_at.isoformat(),
        "recorded_by_id": record.recorded_by_id,
    }


def planned_json(dose) -> dict:
    return {
        "prescription_item_id": dose.line.id,
        "prescription_id": dose.line.prescription_id,
        "medication": dose.line.medication.name,
        "dose": dose.line.dose_text,
        "planned_at": dose.slot.planned_at.isoformat(),
        "window_starts": dose.slot.window_starts.isoformat(),
        "window_ends": dose.slot.window_ends.isoformat(),
        "record": administration_json(dose.record) if dose.record else None,
    }


def vaccination_json(v) -> dict:
    return {
        "id": v.id,
        "patient_id": v.patient_id,
        "vaccine_id": v.vaccine_id,
        "vaccine": v.vaccine.name,
        "diseases": list(v.vaccine.diseases),
        "dose_number": v.dose_number,
        "given_on": v.given_on.isoformat(),
        "lot_number": v.lot_number,
        "site": v.site,
        "given_by_id": v.given_by_id,
        "notes": v.notes,
        "version": v.version,
    }


def due_json(due) -> dict:
    return {
        "schedule_id": due.step.id,
        "code": due.step.code,
        "disease": due.step.disease,
        "label": due.step.label,
        "due_on": due.due_on.isoformat(),
        "status": due.status,
    }
