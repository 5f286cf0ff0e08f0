"""Screen pieces for every record that belongs to a patient (appointments,
prescriptions, allergies, documents, reports): a patient picker searched as
you type (static/js/patient_picker.js asks /patient-lookup/) instead of a
select of every patient, and a list filter finding the patient by name, IPP
or NIR (accents and capitals ignored).  `_flt_0_patient=<id>` (the
patient's own list, from their page) stays FAB's filter on the id."""

from flask import url_for
from flask_appbuilder.fields import AJAXSelectField
from flask_appbuilder.models.filters import BaseFilter
from flask_babel import gettext
from markupsafe import Markup
from wtforms import Field, StringField
from wtforms.validators import DataRequired

from app.core.datamodel import CareTrailInterface
from app.core.extensions import db
from app.core.normalize import is_digits
from app.core.search import FoldedFilterConverter, person_name_matches
from app.records.lookup import born_on, patient_choice
from app.records.models import Patient


class PatientPickerWidget:
    def __call__(self, field, **kwargs):
        patient = field.data if isinstance(field.data, Patient) else None
        if patient is None and field.data:
            patient = db.session.get(Patient, field.data)
        label = patient_choice(patient)["label"] if patient is not None else ""
        return Markup(
            '<div class="ct-patient-picker" data-lookup-url="{url}">'
            '<input type="search" class="form-control ct-patient-query" id="{id}-query" value="{label}"'
            ' placeholder="{placeholder}" autocomplete="off" aria-label="{purpose}">'
            '<input type="hidden" class="ct-patient-id" id="{id}" name="{name}" value="{value}">'
            '<div class="list-group ct-patient-matches" role="listbox"></div>'
            "</div>"
        ).format(
            url=url_for("PatientLookupView.search"),
            id=field.id,
            name=field.name,
            value=patient.id if patient is not None else "",
            label=label,
            placeholder=gettext("Type a name, IPP or NIR"),
            purpose=gettext("Find a patient"),
        )


class PatientPickerField(AJAXSelectField):
    """A patient by id (the hidden input the picker fills), as the Patient row."""

    widget = PatientPickerWidget()

    def process_formdata(self, valuelist):
        value = (valuelist or [""])[0].strip()
        self.data = db.session.get(Patient, int(value)) if is_digits(value) else None


def patient_picker(datamodel, label="Patient") -> PatientPickerField:
    """The add form's patient, required, found as you type."""
    return PatientPickerField(label, validators=[DataRequired()], datamodel=datamodel, col_name="patient")


class PatientShownWidget:
    """The patient, read-only: name, IPP and birth date, linked to their page."""

    def __call__(self, field, **kwargs):
        patient = field.data if isinstance(field.data, Patient) else None
        if patient is None:
            return Markup('<p class="form-control-static" id="{}"></p>').format(field.id)
        born = born_on(patient.birth_date)
        return Markup(
            '<p class="form-control-static ct-patient-shown" id="{id}">'
            '<a href="{url}"><strong>{name}</strong></a> &middot; <span class="ct-mrn" title="IPP">{mrn}</span>'
            " &middot; {born}</p>"
        ).format(
            id=field.id,
            url=url_for("PatientView.show", pk=patient.id),
            name=f"{patient.last_name.upper()} {patient.first_name}",
            mrn=patient.mrn,
            born=born,
        )


class PatientShownField(Field):
    """The record's patient on an edit form where it cannot change: shown,
    never posted nor written (the form's data stays the record's patient)."""

    widget = PatientShownWidget()

    def process_formdata(self, valuelist):
        """Nothing is posted for it: what was loaded from the record stays."""


class FilterPatientName(BaseFilter):
    """Every word typed is in the patient's names, IPP or NIR."""

    name = "Name, IPP or NIR"
    arg_name = "patient_name"

    def apply(self, query, value):
        condition = person_name_matches(Patient, value)
        return query if condition is None else query.filter(self.model.patient.has(condition))


class PatientFilterConverter(FoldedFilterConverter):
    """Adds the name search on a record's patient, after FAB's own filters:
    `_flt_0_patient=<id>` stays "equal to" (the patient's own list, from their
    page, and the add forms it fills in), `_flt_2_patient=<name>` the search."""

    name_search_first = False

    def convert(self, col_name):
        filters = super().convert(col_name) or []
        if col_name == "patient":
            name = FilterPatientName(col_name, self.datamodel)
            filters = [name, *filters] if self.name_search_first else [*filters, name]
        return filters


class PatientRecordInterface(CareTrailInterface):
    """A record belonging to a patient, found by the patient's name."""

    filter_converter_class = PatientFilterConverter


# The search form's patient box: text (a name, or an id for "Equal to"), not a select of every patient.
PATIENT_SEARCH_FIELDS = {"patient": StringField("Patient")}
