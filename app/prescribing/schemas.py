"""Marshmallow schemas of /api/v1/prescriptions/: what a draft, a check,
a signature, a renewal or a cancellation takes, and how a prescription is shown."""

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from app.core.schemas import MAX_ID
from app.prescribing.lists import DEFAULT_DUE_DAYS, MAX_DUE_DAYS
from app.prescribing.models import PRESCRIPTION_STATUSES
from app.prescribing.rules import MAX_LINES


def _id(**kwargs):
    """A JSON id: a number (strict), within bigint."""
    return fields.Integer(strict=True, validate=validate.Range(1, MAX_ID), **kwargs)


def _positive_dose(value) -> None:
    if not 0 < value < 10_000_000:
        raise ValidationError("The dose is more than 0 and less than 10,000,000.")


class ItemSchema(Schema):
    medication_id = _id(required=True)
    # A plain function, not validate.Range: apispec would print a Decimal
    # range into the spec as strings ("minimum": "0"), which is invalid OpenAPI.
    dose = fields.Decimal(
        required=True,
        validate=_positive_dose,
        as_string=True,
        metadata={"description": "more than 0 and less than 10,000,000"},
    )
    dose_unit = fields.String(required=True, validate=validate.Length(1, 20))
    frequency = fields.String(required=True, validate=validate.Length(1, 100))
    duration_days = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(1, 366))
    route = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=30))
    instructions = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=2000))
    quantity = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(1, 9999))
    is_ald = fields.Boolean(
        load_default=False, metadata={"description": "for the long-term condition (ALD): the two-zone print"}
    )


class DraftSchema(Schema):
    patient_id = _id(required=True)
    prescriber_id = _id(load_default=None, metadata={"description": "admins only; a doctor prescribes as themselves"})
    valid_until = fields.Date(load_default=None, metadata={"description": "default: 90 days from today"})
    renewals_allowed = fields.Integer(load_default=0, validate=validate.Range(0, 12))
    notes = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=5000))
    items = fields.List(fields.Nested(ItemSchema), required=True, validate=validate.Length(1, MAX_LINES))


class DraftChangesSchema(Schema):
    prescriber_id = _id()
    valid_until = fields.Date()
    renewals_allowed = fields.Integer(validate=validate.Range(0, 12))
    notes = fields.String(allow_none=True, validate=validate.Length(max=5000))
    items = fields.List(fields.Nested(ItemSchema), validate=validate.Length(1, MAX_LINES))


class CheckItemSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # the rest of a line (dose...) does not change the checks

    medication_id = _id(required=True)


class CheckSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    patient_id = _id(required=True)
    items = fields.List(fields.Nested(CheckItemSchema), required=True, validate=validate.Length(1, 50))
    replaces_id = _id(load_default=None)
    renewal_of_id = _id(load_default=None)


class DueSchema(Schema):
    """GET /renewals_due: within how many days, whose prescriptions (rules.renewals_due decides)."""

    days = fields.Integer(load_default=DEFAULT_DUE_DAYS, validate=validate.Range(0, MAX_DUE_DAYS))
    prescriber_id = fields.Integer(validate=validate.Range(1, MAX_ID), load_default=None)


class SignSchema(Schema):
    override_reason = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=500))


class RenewSchema(SignSchema):
    valid_until = fields.Date(load_default=None)
    sign = fields.Boolean(load_default=False)


class CancelSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(1, 500))


class ItemOutSchema(Schema):
    id = fields.Integer()
    position = fields.Integer()
    medication_id = fields.Integer()
    medication_name = fields.String(attribute="medication.name")
    dose = fields.Decimal(as_string=True)
    dose_unit = fields.String()
    frequency = fields.String()
    duration_days = fields.Integer()
    route = fields.String()
    instructions = fields.String()
    quantity = fields.Integer()
    is_ald = fields.Boolean()


class PrescriptionSchema(Schema):
    id = fields.Integer()
    patient_id = fields.Integer()
    prescriber_id = fields.Integer()
    status = fields.String(metadata={"enum": list(PRESCRIPTION_STATUSES)})
    prescribed_on = fields.Date()
    valid_until = fields.Date()
    renewals_allowed = fields.Integer()
    renewals_used = fields.Integer()
    notes = fields.String()
    override_reason = fields.String()
    replaces_id = fields.Integer()
    renewal_of_id = fields.Integer()
    signed_at = fields.DateTime()
    cancelled_at = fields.DateTime()
    cancellation_reason = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    items = fields.List(fields.Nested(ItemOutSchema))
