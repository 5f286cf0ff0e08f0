"""List filters of the agenda screens: days in the hospital's time zone,
and patients found by name (accents and capitals ignored)."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import get_field_setup_query

from app.agenda.models import Appointment
from app.agenda.rules import hospital_zone
from app.core.search import FoldedFilterConverter, person_name_matches
from app.records.models import Patient


def _local_day(value) -> datetime | None:
    """Midnight (hospital time) of the day typed: 2026-12-07, 07/12/2026, or a date and time."""
    text = str(value or "").strip()[:10]
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=hospital_zone())
        except ValueError:
            continue
    return None


class FilterOnDay(BaseFilter):
    """Appointments starting on that day, in the hospital's time zone."""

    name = "On day"
    arg_name = "day"

    def apply(self, query, value):
        query, field = get_field_setup_query(query, self.model, self.column_name)
        day = _local_day(value)
        if day is None:
            return query.filter(sa.false())
        return query.filter(field >= day, field < _next_day(day))


class FilterFromDay(BaseFilter):
    name = "From day"
    arg_name = "from_day"

    def apply(self, query, value):
        query, field = get_field_setup_query(query, self.model, self.column_name)
        day = _local_day(value)
        return query.filter(sa.false()) if day is None else query.filter(field >= day)


class FilterUntilDay(BaseFilter):
    name = "Until day (included)"
    arg_name = "until_day"

    def apply(self, query, value):
        query, field = get_field_setup_query(query, self.model, self.column_name)
        day = _local_day(value)
        return query.filter(sa.false()) if day is None else query.filter(field < _next_day(day))


def _next_day(day: datetime) -> datetime:
    # Add a calendar day in local time (23 or 25 hours on daylight-saving days).
    return (day.replace(tzinfo=None) + timedelta(days=1)).replace(tzinfo=day.tzinfo)


class FilterPatientName(BaseFilter):
    """Every word typed is in the patient's names, IPP or NIR (accents and capitals ignored)."""

    name = "Name, IPP or NIR"
    arg_name = "patient_name"

    def apply(self, query, value):
        condition = person_name_matches(Patient, value)
        return query if condition is None else query.filter(Appointment.patient.has(condition))


class AgendaFilterConverter(FoldedFilterConverter):
    """Adds, first in each list: day filters on starts_at, a name search on an
    appointment's patient."""

    def convert(self, col_name):
        filters = super().convert(col_name) or []
        if col_name == "starts_at":
            extra = [FilterOnDay, FilterFromDay, FilterUntilDay]
        elif col_name == "patient" and self.datamodel.obj is Appointment:
            extra = [FilterPatientName]
        else:
            return filters
        return [*(f(col_name, self.datamodel) for f in extra), *filters]
