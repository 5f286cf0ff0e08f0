"""Marshmallow schemas of the clinical record's REST API: what a
consultation, a problem or an observation takes, and how each is shown."""

from marshmallow import Schema, ValidationError, fields, validate

from app.clinical.models import DIAGNOSIS_RANKS, OBSERVATION_KINDS, PROBLEM_CATEGORIES, PROBLEM_STATUSES
from app.clinical.rules import MAX_DIAGNOSES
from app.core.schemas import MAX_ID, Instant


def _id(**kwargs):
    return fields.Integer(strict=True, validate=validate.Range(1, MAX_ID), **kwargs)


def _text(most: int, **kwargs):
    return fields.String(allow_none=True, validate=validate.Length(max=most), **kwargs)


def _measure(value) -> None:
    # A plain function, not validate.Range (apispec would print Decimal bounds as strings).
    # The physiological bounds are the database's (422 naming the kind's range); this only
    # keeps a number the column cannot hold from reaching it.
    if not -10_000 < value < 10_000:
        raise ValidationError("Not a plausible measurement.")


class DiagnosisInSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(1, 10), metadata={"example": "J45.0"})
    rank = fields.String(load_default="secondary", validate=validate.OneOf(list(DIAGNOSIS_RANKS)))


class ConsultationTexts(Schema):
    reason = _text(2000)
    history = _text(20000)
    examination = _text(20000)
    conclusion = _text(20000)
    plan = _text(20000)
    diagnoses = fields.List(fields.Nested(DiagnosisInSchema), validate=validate.Length(max=MAX_DIAGNOSES))


class ConsultationInSchema(ConsultationTexts):
    patient_id = _id(required=True)
    appointment_id = _id(load_default=None, metadata={"description": "the appointment it is opened from"})
    clinician_id = _id(load_default=None, metadata={"description": "admins only; a doctor writes as themselves"})


class AddendumInSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(1, 10000))


class DiagnosisOutSchema(Schema):
    id = fields.Integer()
    icd10_code = fields.String()
    label = fields.String()
    rank = fields.String()


class AddendumOutSchema(Schema):
    id = fields.Integer()
    author_id = fields.Integer()
    author = fields.String(attribute="author.display_name")
    body = fields.String()
    created_at = fields.DateTime()


class ConsultationSchema(Schema):
    id = fields.Integer()
    patient_id = fields.Integer()
    clinician_id = fields.Integer()
    appointment_id = fields.Integer()
    status = fields.String()
    started_at = fields.DateTime()
    reason = fields.String()
    history = fields.String()
    examination = fields.String()
    conclusion = fields.String()
    plan = fields.String()
    signed_at = fields.DateTime()
    signed_by_id = fields.Integer()
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    diagnoses = fields.List(fields.Nested(DiagnosisOutSchema))
    addenda = fields.List(fields.Nested(AddendumOutSchema))


class ProblemChangesSchema(Schema):
    category = fields.String(validate=validate.OneOf(list(PROBLEM_CATEGORIES)))
    icd10_code = fields.String(allow_none=True, validate=validate.Length(max=10))
    label = fields.String(validate=validate.Length(1, 255))
    status = fields.String(validate=validate.OneOf(list(PROBLEM_STATUSES)))
    onset_on = fields.Date(allow_none=True)
    resolved_on = fields.Date(allow_none=True)
    relative = fields.String(allow_none=True, validate=validate.Length(max=60))
    notes = _text(2000)


class ProblemInSchema(ProblemChangesSchema):
    patient_id = _id(required=True)


class ProblemSchema(Schema):
    id = fields.Integer()
    patient_id = fields.Integer()
    category = fields.String()
    icd10_code = fields.String()
    label = fields.String()
    is_coded = fields.Boolean()
    status = fields.String()
    onset_on = fields.Date()
    resolved_on = fields.Date()
    relative = fields.String()
    notes = fields.String()
    source_diagnosis_id = fields.Integer()
    recorded_by_id = fields.Integer()
    recorded_at = fields.DateTime()
    version = fields.Integer()
    updated_at = fields.DateTime()


class ObservationInSchema(Schema):
    patient_id = _id(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(list(OBSERVATION_KINDS)))
    value = fields.Decimal(
        required=True, validate=_measure, as_string=True, metadata={"description": "systolic for blood_pressure"}
    )
    diastolic = fields.Decimal(allow_none=True, load_default=None, validate=_measure, as_string=True)
    measured_at = Instant(load_default=None, metadata={"description": "default: now"})
    note = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=500))


class ObservationSchema(Schema):
    id = fields.Integer()
    patient_id = fields.Integer()
    kind = fields.String()
    value = fields.Decimal(as_string=True)
    diastolic = fields.Decimal(as_string=True)
    unit = fields.String()
    is_abnormal = fields.Boolean()
    measured_at = fields.DateTime()
    note = fields.String()
    recorded_by_id = fields.Integer()
    created_at = fields.DateTime()


class Icd10SearchSchema(Schema):
    term = fields.String(required=True, validate=validate.Length(1, 100))
    limit = fields.Integer(load_default=20, validate=validate.Range(1, 100))
