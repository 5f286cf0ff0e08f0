"""Appointment screens: list (filters by day or period, doctor, status,
patient), show (with its .ics), add and edit.

Add and edit go through app/agenda/rules.py like the calendar and
the API (book_appointment, update_appointment, with the version the form
was opened at): the same database rules, the same plain-words refusals
("Dr Paul MARTIN already sees Mme Dubois from 10:00 to 10:30"), shown on the
form next to the field; the rules also refuse another doctor's agenda.
"""

from flask import Response, abort, flash, jsonify, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterIn
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.widgets import ShowWidget
from flask_babel import gettext
from markupsafe import Markup
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, NumberRange, Optional, ValidationError

from app.agenda import rules as booking
from app.agenda.access import agenda_writer
from app.agenda.calendar import STATUS_COLOURS
from app.agenda.feeds import appointment_calendar
from app.agenda.models import STATUSES, TRANSITIONS, Appointment
from app.agenda.views.filters import AgendaFilterConverter
from app.agenda.views.schedules import AgendaOwnedView
from app.core.actor import current_actor
from app.core.answers import wants_json
from app.core.datamodel import CareTrailInterface
from app.core.errors import CareTrailError
from app.core.extensions import db
from app.core.fields import FORM_CONTROL, LocalDateTimeField
from app.core.timezone import hospital_zone, local_time, today
from app.records.fields import PatientShownField, patient_picker
from app.security.permissions import METHOD_PERMISSION_MAP
from app.security.roles import APPOINTMENTS


class AppointmentInterface(CareTrailInterface):
    """Appointments, found by day and by patient; written by the booking rules."""

    filter_converter_class = AgendaFilterConverter


STATUS_CHOICES = [SelectChoice(code, label) for code, label in STATUSES.items()]


class StatusSelectField(SelectField):
    """The statuses the edit form may set.  Postponed is not one of them: it
    needs the new time (the Postpone button, app/agenda/views/find_slot.py);
    it is only shown on an appointment that is already postponed."""

    def iter_choices(self):
        for choice in super().iter_choices():
            if choice[0] != "postponed" or self.object_data == "postponed":
                yield choice

    def pre_validate(self, form):
        if self.data == "postponed" and self.object_data != "postponed":
            raise ValidationError("To postpone, use the Postpone button: it asks for the new time.")
        super().pre_validate(form)


class AppointmentShowWidget(ShowWidget):
    template = "pages/appointment_show_widget.html"


def _status_badge(status: str) -> Markup:
    return Markup('<span class="label ct-status-{}" style="background: {}">{}</span>').format(
        status, STATUS_COLOURS.get(status, "#777"), STATUSES.get(status, status)
    )


class AppointmentView(AgendaOwnedView):
    datamodel = AppointmentInterface(Appointment, rules=booking.APPOINTMENT_RULES)
    class_permission_name = APPOINTMENTS
    method_permission_name = {**METHOD_PERMISSION_MAP, "ics": "read", "call": "write", "check_in": "write"}
    route_base = "/appointments"
    patient_banner = True  # its patient's banner on the show and edit pages (app/home/banner.py)
    show_widget = AppointmentShowWidget

    list_title = "Appointments"
    show_title = "Appointment"
    add_title = "New appointment"
    edit_title = "Edit appointment"

    list_columns = ["starts_at", "duration_minutes", "patient", "doctor", "type", "room", "status"]
    order_columns = ["starts_at", "duration_minutes", "status"]
    base_order = ("starts_at", "asc")
    search_columns = ["starts_at", "doctor", "status", "patient", "type", "room"]
    show_columns = [
        "patient",
        "doctor",
        "type",
        "starts_at",
        "ends_at",
        "duration_minutes",
        "room",
        "status",
        "notes",
        "cancellation_reason",
        "override_reason",
        "postponed_to_id",
        "needs_rebooking",
        "absence_exception_reason",
        "booked_by",
        "called_at",
        "called_by",
        "created_at",
        "updated_at",
    ]
    add_columns = ["patient", "doctor", "type", "starts_at", "duration_minutes", "room", "notes", "override_reason"]
    edit_columns = [
        "patient",
        "doctor",
        "type",
        "starts_at",
        "duration_minutes",
        "room",
        "status",
        "cancellation_reason",
        "notes",
        "override_reason",
    ]
    label_columns = {
        "starts_at": "Starts",
        "ends_at": "Ends",
        "duration_minutes": "Duration (min)",
        "cancellation_reason": "Cancellation reason",
        "override_reason": "Emergency: why outside hours",
        "postponed_to_id": "Postponed to (appointment no.)",
        "needs_rebooking": "To be rebooked (the doctor is away)",
        "absence_exception_reason": "Kept during the doctor's absence because",
        "booked_by": "Booked by",
        "called_at": "Called in at",
        "called_by": "Called in by",
        "created_at": "Created",
        "updated_at": "Last changed",
    }
    description_columns = {
        "duration_minutes": "Leave empty for the type's usual duration",
        "starts_at": "In the hospital's time zone, whatever the computer's own",
        "override_reason": "Only an emergency may be booked outside working hours or during an absence, with a reason",
        "status": "To postpone, use Postpone on the appointment's page or in the calendar (it asks for the new time)",
    }
    formatters_columns = {
        "starts_at": local_time,
        "ends_at": local_time,
        "status": _status_badge,
        "room": lambda room: room or "",
        "booked_by": lambda user: user or "",
        "called_at": lambda called_at: local_time(called_at) if called_at else "",
        "called_by": lambda user: user or "",
    }
    add_template = "pages/patient_picker_form.html"
    search_form_extra_fields = {
        "patient": StringField("Patient"),
        "status": SelectField("Status", choices=STATUS_CHOICES, widget=Select2Widget()),
        "starts_at": StringField("Starts", description="A day: 2026-12-07 or 07/12/2026"),
    }
    add_form_extra_fields = {
        "patient": patient_picker(datamodel),
        "starts_at": LocalDateTimeField("Starts", validators=[DataRequired()], render_kw=FORM_CONTROL),
        "duration_minutes": IntegerField(
            "Duration (min)", validators=[Optional(), NumberRange(5, 720)], render_kw=FORM_CONTROL
        ),
    }
    blank_choice_labels = {"room": "No room"}
    edit_form_extra_fields = {
        "patient": PatientShownField("Patient"),
        "starts_at": LocalDateTimeField("Starts", validators=[DataRequired()], render_kw=FORM_CONTROL),
        "duration_minutes": IntegerField(
            "Duration (min)", validators=[Optional(), NumberRange(5, 720)], render_kw=FORM_CONTROL
        ),
        "status": StatusSelectField("Status", choices=STATUS_CHOICES, widget=Select2Widget(), render_kw=FORM_CONTROL),
    }

    def _get_show_widget(self, pk, item, widgets=None, actions=None, show_fieldsets=None):
        """FAB's show widget, with the Postpone button when it applies."""
        widgets = super()._get_show_widget(pk, item, widgets=widgets, actions=actions, show_fieldsets=show_fieldsets)
        widgets["show"].template_args["can_postpone"] = may_postpone_from_here(item)
        widgets["show"].template_args["can_call"] = may_call_from_here(item)
        return widgets

    @expose("/call/<int:pk>", methods=["POST"])
    @has_access
    def call(self, pk: int):
        """Call the waiting patient in (app/agenda/rules.call_patient), then
        back to the page the button was on (the home, or this appointment)."""
        booking.call_patient(db.session, current_actor(), pk)
        flash(gettext("Patient called in."), "success")
        back = request.form.get("next") or ""
        if not back.startswith("/") or back.startswith("//"):
            back = url_for(f"{self.endpoint}.show", pk=pk)
        return redirect(back)

    @expose("/check-in/<int:pk>", methods=["POST"])
    @has_access
    def check_in(self, pk: int):
        """The patient has arrived (the reception's Check in button, on its
        home): app/agenda/rules.set_status to arrived, whose rules decide (the
        agenda's writer, the transition, the arrival's day).  A refusal is a
        message on the page the button was on; asked for JSON (static/js/home.js),
        the answer is JSON and the home redraws its lists without reloading."""
        try:
            booking.set_status(db.session, current_actor(), pk, "arrived")
        except CareTrailError as refusal:
            if wants_json():
                raise  # answered {"ok": false, "message": ...} (app/core/answers.py)
            flash(refusal.message, "danger")
        else:
            if wants_json():
                return jsonify({"ok": True, "id": pk, "status": "arrived", "message": gettext("Patient checked in.")})
            flash(gettext("Patient checked in."), "success")
        back = request.form.get("next") or ""
        if not back.startswith("/") or back.startswith("//"):
            back = url_for(f"{self.endpoint}.show", pk=pk)
        return redirect(back)

    @expose("/ics/<int:pk>")
    @has_access
    def ics(self, pk: int):
        """This appointment as an iCalendar file, for any calendar app."""
        appointment = self.datamodel.get(pk)
        if appointment is None:
            abort(404)
        return Response(
            appointment_calendar(appointment),
            mimetype="text/calendar",
            headers={"Content-Disposition": f'attachment; filename="appointment-{pk}.ics"'},
        )


def may_postpone_from_here(appointment: Appointment) -> bool:
    """An appointment still to be seen, in an agenda the user writes (the rules decide in the end)."""
    may_write = agenda_writer(db.session, current_actor())
    return "postponed" in TRANSITIONS.get(appointment.status, ()) and may_write(appointment.doctor_id)


def may_call_from_here(appointment: Appointment) -> bool:
    """An arrived patient, today, in an agenda the user writes (the rules decide in the end)."""
    return (
        appointment.status == "arrived"
        and appointment.starts_at.astimezone(hospital_zone()).date() == today()
        and agenda_writer(db.session, current_actor())(appointment.doctor_id)
    )


class AppointmentsToRebookView(AppointmentView):
    """The secretaries' list: appointments an absence covers that were marked
    to be rebooked, still to be seen (postponing or cancelling one takes it
    off the list).  Each opens on its page, with its Postpone button."""

    route_base = "/to-rebook"
    base_filters = [["needs_rebooking", FilterEqual, True], ["status", FilterIn, ["scheduled", "confirmed"]]]
    list_title = "Appointments to be rebooked"
    list_columns = ["starts_at", "patient", "doctor", "type", "status"]
