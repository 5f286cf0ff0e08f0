"""Working hours, absences and appointment types screens.

Hours and absences belong to one doctor's agenda: a doctor or radiologist
changes only their own, a secretary or an admin anyone's.  The agenda's
rules check it at every add, edit and delete (app/agenda/rules.py,
AgendaRowRules); a refusal is a message on the form, never an error page.  Appointment types are read by everyone who
works with the agenda and extended by admins (the role matrix).
"""

from flask_appbuilder.models.sqla.filters import FilterEqual, FilterIn
from wtforms import SelectField, StringField, TimeField
from wtforms.validators import DataRequired

from app.agenda.absences import ABSENCE_RULES
from app.agenda.models import WEEKDAYS, AppointmentType, DoctorAbsence, DoctorSchedule
from app.agenda.rules import APPOINTMENT_TYPE_RULES, SCHEDULE_RULES
from app.agenda.views.absence_fields import CoveredAppointmentsField
from app.agenda.views.filters import AgendaFilterConverter
from app.core.datamodel import CareTrailInterface
from app.core.errors import CareTrailError
from app.core.fields import FORM_CONTROL, LocalDateTimeField, yes_no
from app.core.timezone import local_time
from app.core.views import CareTrailModelView
from app.security.roles import ABSENCES, APPOINTMENT_TYPES, SCHEDULES


class AgendaInterface(CareTrailInterface):
    """With the day filters (hospital time) on starts_at."""

    filter_converter_class = AgendaFilterConverter


# The doctor selects list people who take appointments.
DOCTORS_ONLY = {"doctor": [["profession", FilterIn, ["doctor", "radiologist"]], ["is_active", FilterEqual, True]]}


def hour(value) -> str:
    return value.strftime("%H:%M") if value is not None else ""


class AgendaOwnedView(CareTrailModelView):
    """Rows with a doctor: the doctor is chosen among those who take appointments."""

    add_form_query_rel_fields = edit_form_query_rel_fields = search_form_query_rel_fields = DOCTORS_ONLY


class ScheduleView(AgendaOwnedView):
    datamodel = CareTrailInterface(DoctorSchedule, rules=SCHEDULE_RULES)
    class_permission_name = SCHEDULES
    route_base = "/schedules"

    list_title = "Working hours"
    show_title = "Working hours"
    add_title = "New working hours"
    edit_title = "Edit working hours"

    list_columns = ["doctor", "day_of_week", "start_time", "end_time", "valid_from", "valid_until"]
    order_columns = ["day_of_week", "start_time", "valid_from"]
    base_order = ("day_of_week", "asc")
    search_columns = ["doctor", "day_of_week", "valid_from", "valid_until"]
    show_columns = [*list_columns, "created_at", "updated_at"]
    add_columns = edit_columns = list_columns
    label_columns = {
        "day_of_week": "Day",
        "start_time": "From",
        "end_time": "To",
        "valid_from": "Valid from",
        "valid_until": "Valid until",
        "created_at": "Created",
        "updated_at": "Last changed",
    }
    description_columns = {
        "start_time": "Hospital time, e.g. 08:30; several ranges a day are fine (morning, afternoon)",
        "valid_from": "Leave empty: applies already",
        "valid_until": "Leave empty: until further notice",
    }
    formatters_columns = {"day_of_week": lambda day: WEEKDAYS.get(day, day), "start_time": hour, "end_time": hour}
    add_form_extra_fields = edit_form_extra_fields = {
        "day_of_week": SelectField(
            "Day", coerce=int, choices=list(WEEKDAYS.items()), validators=[DataRequired()], render_kw=FORM_CONTROL
        ),
        "start_time": TimeField("From", validators=[DataRequired()], render_kw=FORM_CONTROL),
        "end_time": TimeField("To", validators=[DataRequired()], render_kw=FORM_CONTROL),
    }


class AbsenceView(AgendaOwnedView):
    datamodel = AgendaInterface(DoctorAbsence, rules=ABSENCE_RULES)
    class_permission_name = ABSENCES
    route_base = "/absences"

    list_title = "Absences"
    show_title = "Absence"
    add_title = "New absence"
    edit_title = "Edit absence"

    list_columns = ["doctor", "starts_at", "ends_at", "reason"]
    order_columns = ["starts_at", "ends_at"]
    base_order = ("starts_at", "desc")
    search_columns = ["doctor", "starts_at", "reason"]
    show_columns = [*list_columns, "created_at", "updated_at"]
    # decisions: the booked appointments the absence covers, and what to do with each.
    add_columns = edit_columns = [*list_columns, "decisions"]
    label_columns = {
        "starts_at": "From",
        "ends_at": "Until",
        "created_at": "Created",
        "updated_at": "Last changed",
        "decisions": "Booked appointments it covers",
    }
    search_form_extra_fields = {"starts_at": StringField("From", description="A day: 2026-12-07 or 07/12/2026")}
    description_columns = {"reason": "Time off, training, on call elsewhere..."}
    formatters_columns = {"starts_at": local_time, "ends_at": local_time}
    add_form_extra_fields = edit_form_extra_fields = {
        "starts_at": LocalDateTimeField("From", validators=[DataRequired()], render_kw=FORM_CONTROL),
        "ends_at": LocalDateTimeField("Until", validators=[DataRequired()], render_kw=FORM_CONTROL),
        "decisions": CoveredAppointmentsField("Booked appointments it covers"),
    }

    @staticmethod
    def _write(form, write) -> bool:
        """A refusal that lists the appointments the absence covers shows them
        on the form, each with its choice (never a silent absence)."""

        def writing():
            try:
                write()
            except CareTrailError as refusal:
                if "appointments" in refusal.details and "decisions" in form:
                    form["decisions"].covered = refusal.details["appointments"]
                raise

        return CareTrailModelView._write(form, writing)


class AppointmentTypeView(CareTrailModelView):
    datamodel = CareTrailInterface(AppointmentType, rules=APPOINTMENT_TYPE_RULES)
    class_permission_name = APPOINTMENT_TYPES
    route_base = "/appointment-types"

    list_title = "Appointment types"
    show_title = "Appointment type"
    add_title = "New appointment type"
    edit_title = "Edit appointment type"

    list_columns = ["name", "code", "default_duration_minutes", "is_emergency", "requires_room", "is_active"]
    order_columns = ["name", "code", "default_duration_minutes"]
    base_order = ("name", "asc")
    search_columns = ["name", "code", "is_emergency", "requires_room", "is_active"]
    show_columns = [*list_columns, "created_at", "updated_at"]
    add_columns = edit_columns = list_columns
    label_columns = {
        "default_duration_minutes": "Usual duration (min)",
        "is_emergency": "Emergency",
        "requires_room": "Needs a room",
        "is_active": "In use",
        "created_at": "Created",
        "updated_at": "Last changed",
    }
    description_columns = {
        "code": "Lower-case letters, digits and _ (used by the API), e.g. dressing_change",
        "is_emergency": "May be booked outside working hours or during an absence, with a reason",
        "requires_room": "An appointment of this type must have a room (imaging, procedures)",
        "is_active": "Types no longer in use stay on old appointments but are not offered",
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "is_emergency": yes_no("Emergency", default=False),
        "requires_room": yes_no("Needs a room", default=False),
        "is_active": yes_no("In use", default=True),
    }
