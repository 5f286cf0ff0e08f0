"""The prescription editor's form: the prescription and its lines on one
page (static/js/prescription_form.js adds lines and finds medications as
you type; without JavaScript, blank lines are there to fill and a
medication may be typed by its code or exact name).

The form only reads what was typed; app/prescribing/rules.py decides
what is acceptable, and its messages name the line ("Line 2: ...").
"""

import re

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional

from app.core.errors import ConstraintViolation
from app.core.extensions import db
from app.core.normalize import is_digits
from app.prescribing.models import Medication, normalize_substance
from app.records.models import Patient, Staff

BLANK_LINES = 2  # offered after the lines already there
FORM_CONTROL = {"class": "form-control"}
LABEL_CODE = re.compile(r"\[([^\]]+)\]\s*$")  # "Amoxicillin 1 g [DEMO-0023]" -> DEMO-0023


class ItemForm(Form):
    medication_id = HiddenField()
    medication = StringField(_l("Medication"), render_kw={**FORM_CONTROL, "autocomplete": "off"})
    dose = StringField(_l("Dose"), render_kw={**FORM_CONTROL, "inputmode": "decimal"})
    dose_unit = StringField(_l("Unit"), render_kw={**FORM_CONTROL, "placeholder": _l("mg, tablet...")})
    frequency = StringField(_l("How often"), render_kw={**FORM_CONTROL, "placeholder": _l("3 times a day")})
    duration_days = IntegerField(_l("Days"), validators=[Optional(), NumberRange(1, 366)], render_kw=FORM_CONTROL)
    route = StringField(_l("Route"), render_kw={**FORM_CONTROL, "placeholder": _l("oral...")})
    quantity = IntegerField(_l("Packs"), validators=[Optional(), NumberRange(1, 9999)], render_kw=FORM_CONTROL)
    instructions = StringField(_l("Instructions"), render_kw=FORM_CONTROL)
    is_ald = BooleanField(_l("ALD (long-term condition)"))

    def is_blank(self) -> bool:
        # The ALD box alone does not make a line.
        typed = (name for name in self._fields if name not in ("csrf_token", "is_ald"))
        return not any((self[name].raw_data or [""])[0].strip() for name in typed)


class PrescriptionForm(Form):
    patient_id = HiddenField()
    prescriber_id = SelectField(_l("Prescriber"), coerce=str, validate_choice=False, render_kw=FORM_CONTROL)
    valid_until = DateField(_l("Valid until"), validators=[Optional()], render_kw=FORM_CONTROL)
    renewals_allowed = IntegerField(
        _l("Renewals allowed"), validators=[Optional(), NumberRange(0, 12)], default=0, render_kw=FORM_CONTROL
    )
    notes = TextAreaField(_l("Notes"), render_kw={**FORM_CONTROL, "rows": 2})
    override_reason = TextAreaField(_l("Override reason"), render_kw={**FORM_CONTROL, "rows": 2})
    items = FieldList(FormField(ItemForm), min_entries=1)


def prescriber_choices() -> list[SelectChoice]:
    doctors = db.session.scalars(
        sa.select(Staff).where(Staff.profession == "doctor", Staff.is_active).order_by(Staff.last_name)
    )
    return [
        SelectChoice("", gettext("Choose...")),
        *(SelectChoice(str(doctor.id), doctor.display_name) for doctor in doctors),
    ]


def form_for(prescription=None, formdata=None, *, patient_id: int | None = None) -> PrescriptionForm:
    """The form, filled from the request, or from a saved draft, with blank lines to add to."""
    form = PrescriptionForm(formdata=formdata, obj=None if formdata else prescription)
    if formdata is None:
        if prescription is not None:
            form.patient_id.data = str(prescription.patient_id)
            form.prescriber_id.data = str(prescription.prescriber_id)
            while len(form.items):
                form.items.pop_entry()
            for item in prescription.items:
                form.items.append_entry(
                    {
                        "medication_id": str(item.medication_id),
                        "medication": item.medication.label,
                        "dose": f"{item.dose.normalize():f}",
                        "dose_unit": item.dose_unit,
                        "frequency": item.frequency,
                        "duration_days": item.duration_days,
                        "route": item.route,
                        "quantity": item.quantity,
                        "instructions": item.instructions,
                        "is_ald": item.is_ald,
                    }
                )
        elif patient_id:
            form.patient_id.data = str(patient_id)
        for _ in range(BLANK_LINES):
            form.items.append_entry()
    form.prescriber_id.choices = prescriber_choices()
    return form


def draft_values(form: PrescriptionForm) -> dict:
    """What the service takes, from the form; ConstraintViolation on `items`
    for a medication that cannot be found."""
    lines = []
    for number, entry in enumerate((e.form for e in form.items if not e.form.is_blank()), start=1):
        lines.append(
            {
                "medication_id": _medication_id(entry, number),
                "dose": (entry.dose.data or "").strip() or None,
                "dose_unit": entry.dose_unit.data,
                "frequency": entry.frequency.data,
                "duration_days": entry.duration_days.data,
                "route": entry.route.data,
                "quantity": entry.quantity.data,
                "instructions": entry.instructions.data,
                "is_ald": bool(entry.is_ald.data),
            }
        )
        if lines[-1]["dose"] is None:
            raise ConstraintViolation("items", f"Line {number}: give the dose (e.g. 500, with its unit mg).")
    return {
        "prescriber_id": int(form.prescriber_id.data) if is_digits(form.prescriber_id.data or "") else None,
        "valid_until": form.valid_until.data,
        "renewals_allowed": form.renewals_allowed.data or 0,
        "notes": form.notes.data,
        "items": lines,
    }


def form_patient(form: PrescriptionForm) -> Patient | None:
    value = (form.patient_id.data or "").strip()
    return db.session.get(Patient, int(value)) if is_digits(value) else None


def _medication_id(entry: ItemForm, number: int) -> int:
    """The medication picked in the list, else the one typed by code, label or exact name."""
    chosen = (entry.medication_id.data or "").strip()
    if is_digits(chosen):
        return int(chosen)
    typed = (entry.medication.data or "").strip()
    if not typed:
        raise ConstraintViolation("items", f"Line {number}: choose a medication.")
    label_code = LABEL_CODE.search(typed)
    code = label_code.group(1) if label_code else typed
    found = db.session.scalars(
        sa.select(Medication.id).where(
            Medication.is_active,
            sa.or_(
                sa.func.upper(Medication.code) == code.upper(),
                sa.func.normalize_search_text(Medication.name) == normalize_substance(typed),
            ),
        )
    ).all()
    if len(found) != 1:
        raise ConstraintViolation("items", f"Line {number}: no medication matches {typed!r}; pick one from the list.")
    return found[0]
