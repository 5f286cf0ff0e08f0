"""The day view: one column per doctor (or per room), drawn by EventCalendar
(MIT, bundled in static/vendor/event-calendar: FullCalendar's resource
views are not open source), and a printable day list per doctor.

The events are the calendar's own feed (CalendarView.events), so the same
rules decide what is shown; each event names its doctor.  For who may book,
clicking an empty slot in a doctor's column opens the calendar's booking
popup for that doctor at that time (the same form and rules).  On a phone
(<= 600 px) the script shows the day as a list instead of columns.
"""

from collections import defaultdict
from datetime import date, datetime, timedelta

from flask import request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access

from app.agenda.calendar import appointment_events, bookable_doctors
from app.agenda.views.calendar import active_rooms
from app.core.actor import current_actor
from app.core.formatting import format_date
from app.core.timezone import hospital_zone, local_midnight, today
from app.security.policy import WRITE, may
from app.security.roles import APPOINTMENTS


def chosen_day() -> date:
    try:
        return datetime.strptime(request.args.get("date", ""), "%Y-%m-%d").date()
    except ValueError:
        return today()


class CalendarDayView(BaseView):
    route_base = "/calendar/day"
    default_view = "index"
    class_permission_name = APPOINTMENTS
    method_permission_name = {"index": "read", "print_list": "read"}

    @expose("/")
    @has_access
    def index(self):
        by_room = request.args.get("by") == "room"
        if by_room:
            resources = [{"id": room.id, "title": f"{room.code} - {room.name}"} for room in active_rooms()]
        else:
            resources = [{"id": d.id, "title": d.display_name} for d in bookable_doctors()]
        config = {
            "date": chosen_day().isoformat(),
            "by": "room" if by_room else "doctor",
            "resources": resources,
            "timezone": hospital_zone().key,
            "canWrite": may(current_actor(), WRITE, APPOINTMENTS) and not by_room,
            "urls": {
                "events": url_for("CalendarView.events"),
                "show": url_for("AppointmentView.show", pk=0).replace("/0", "/__ID__"),
                "print": url_for("CalendarDayView.print_list"),
                "book": url_for("CalendarView.index"),
            },
        }
        return self.render_template("pages/calendar_day.html", config=config, by_room=by_room)

    @expose("/print")
    @has_access
    def print_list(self):
        """One doctor's day as a list to print (every doctor's, one page each, without doctor_id)."""
        day = chosen_day()
        doctor_id = request.args.get("doctor_id", type=int)
        doctors = [d for d in bookable_doctors() if doctor_id is None or d.id == doctor_id]
        start = local_midnight(day)
        end = local_midnight(day + timedelta(days=1))
        # Every doctor's day in one statement, shared out by doctor (one each was 50 at 50 doctors).
        by_doctor = defaultdict(list)
        for event in appointment_events(start, end, doctor_id=doctor_id):
            by_doctor[event["extendedProps"]["doctor_id"]].append(event)
        lists = [(doctor, by_doctor[doctor.id]) for doctor in doctors if by_doctor[doctor.id] or doctor_id is not None]
        return self.render_template("pages/calendar_day_print.html", day=format_date(day), lists=lists)
