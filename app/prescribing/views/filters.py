"""List filters of the prescribing screens: a patient found by name, IPP or
NIR (accents and capitals ignored), rather than picked from a list of every
patient.  `_flt_0_patient=<id>` (the patient's own, from their page) stays
FAB's filter on the patient's id."""

from flask_appbuilder.models.filters import BaseFilter
from wtforms import StringField

from app.core.datamodel import CareTrailInterface
from app.core.search import FoldedFilterConverter, person_name_matches
from app.records.models import Patient


class FilterPatientName(BaseFilter):
    """Every word typed is in the patient's names, IPP or NIR."""

    name = "Name, IPP or NIR"
    arg_name = "patient_name"

    def apply(self, query, value):
        condition = person_name_matches(Patient, value)
        return query if condition is None else query.filter(self.model.patient.has(condition))


class PrescribingFilterConverter(FoldedFilterConverter):
    def convert(self, col_name):
        filters = super().convert(col_name) or []
        if col_name == "patient":
            filters = [*filters, FilterPatientName(col_name, self.datamodel)]
        return filters


class PrescribingInterface(CareTrailInterface):
    filter_converter_class = PrescribingFilterConverter


# The search form's patient box: text (a name, or an id for "Equal to"), not a select of every patient.
PATIENT_SEARCH_FIELDS = {"patient": StringField("Patient")}
