"""Form pieces shared by the agenda screens: a patient picker searched as you
type (static/js/patient_picker.js asks /patient-lookup/) instead of a select
of every patient, and instants shown and typed in the hospital's time zone."""

from datetime import datetime

from flask import url_for
from flask_appbuilder.fields import AJAXSelectField
from markupsafe import Markup
from wtforms.fields import DateTimeLocalField

from app.agenda.rules import hospital_zone
from app.core.extensions import db
from app.records.lookup import patient_choice
from app.records.models import Patient

FORM_CONTROL = {"class": "form-control"}  # Bootstrap's look, as FAB's own fields have it


class PatientPickerWidget:
    def __call__(self, field, **kwargs):
        patient = field.data if isinstance(field.data, Patient) else None
        if patient is None and field.data:
            patient = db.session.get(Patient, field.data)
        label = patient_choice(patient)["label"] if patient is not None else ""
        return Markup(
            '<div class="ct-patient-picker" data-lookup-url="{url}">'
            '<input type="search" class="form-control ct-patient-query" id="{id}-query" value="{label}"'
            ' placeholder="Type a name, IPP or NIR" autocomplete="off" aria-label="Find a patient">'
            '<input type="hidden" class="ct-patient-id" id="{id}" name="{name}" value="{value}">'
            '<div class="list-group ct-patient-matches" role="listbox"></div>'
            "</div>"
        ).format(
            url=url_for("PatientLookupView.search"),
            id=field.id,
            name=field.name,
            value=patient.id if patient is not None else "",
            label=label,
        )


class PatientPickerField(AJAXSelectField):
    """A patient by id (the hidden input the picker fills), as the Patient row."""

    widget = PatientPickerWidget()

    def process_formdata(self, valuelist):
        value = (valuelist or [""])[0].strip()
        self.data = db.session.get(Patient, int(value)) if value.isdigit() else None


class LocalDateTimeField(DateTimeLocalField):
    """<input type="datetime-local">, shown and read as the hospital's local time."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"])
        super().__init__(label, validators, **kwargs)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        if isinstance(self.data, datetime):
            moment = self.data.astimezone(hospital_zone()) if self.data.tzinfo else self.data
            return moment.strftime(self.format[0])
        return ""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if isinstance(self.data, datetime) and self.data.tzinfo is None:
            self.data = self.data.replace(tzinfo=hospital_zone())


def local_time(value) -> str:
    """An instant as the hospital reads it: Mon 07/12/2026 10:00."""
    if not isinstance(value, datetime):
        return "" if value is None else str(value)
    return value.astimezone(hospital_zone()).strftime("%a %d/%m/%Y %H:%M")
