"""List filters of the agenda screens: days in the hospital's time zone,
and the appointment's patient found by name (accents and capitals ignored)."""

from app.core.search import FilterFromDay, FilterOnDay, FilterUntilDay
from app.records.fields import PatientFilterConverter


class AgendaFilterConverter(PatientFilterConverter):
    """Adds, first in each list: day filters on starts_at, the name search on
    the patient (`_flt_0_patient=dubois`; the patient's own list is `_flt_1_`)."""

    name_search_first = True

    def convert(self, col_name):
        filters = super().convert(col_name) or []
        if col_name == "starts_at":
            filters = [*(f(col_name, self.datamodel) for f in (FilterOnDay, FilterFromDay, FilterUntilDay)), *filters]
        return filters
