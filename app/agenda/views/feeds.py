"""A doctor's agenda in a calendar app (app/agenda/feeds.py).

- /calendar/feed/<token>.ics: the feed itself, WITHOUT login (calendar
  apps cannot sign in): the secret token is the key.  It carries patient
  names: private to the doctor.  A revoked or unknown token is a 404.
- /calendar/feeds/: create, regenerate or revoke the address, for the doctor
  themself or a secretary / admin (may_write_agenda); the full address is
  shown once, right after it is created, and never again.
"""

from flask import Response, abort, flash, g, redirect, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access

from app.agenda.access import MANAGES_EVERY_AGENDA, may_write_agenda, staff_id_of
from app.agenda.calendar import bookable_doctors
from app.agenda.feeds import active_feed, create_feed, doctor_calendar, doctor_of_token, revoke_feed
from app.agenda.views.json import NOT_YOUR_AGENDA
from app.core.extensions import db
from app.records.models import Staff
from app.security.roles import APPOINTMENTS


class CalendarFeedView(BaseView):
    """The public feed: no permission, the token is the key."""

    route_base = "/calendar/feed"
    class_permission_name = APPOINTMENTS

    @expose("/<token>.ics")
    def feed(self, token: str):
        doctor = doctor_of_token(token)
        if doctor is None:
            abort(404)
        return Response(
            doctor_calendar(doctor),
            mimetype="text/calendar",
            headers={
                "Content-Disposition": 'inline; filename="agenda.ics"',
                "Cache-Control": "private, no-store",
                "Referrer-Policy": "no-referrer",
                "X-Robots-Tag": "noindex",
            },
        )


class CalendarFeedAdminView(BaseView):
    route_base = "/calendar/feeds"
    default_view = "index"
    class_permission_name = APPOINTMENTS
    method_permission_name = {"index": "write", "create": "write", "revoke": "write"}

    @expose("/")
    @has_access
    def index(self):
        return self._render()

    @expose("/<int:doctor_id>/create", methods=["POST"])
    @has_access
    def create(self, doctor_id: int):
        """A new address (the previous one stops working), shown this once."""
        doctor = self._doctor_or_refuse(doctor_id)
        if doctor is None:
            return redirect(url_for("CalendarFeedAdminView.index"))
        token = create_feed(doctor_id)
        return self._render(
            new_feed={"doctor": doctor, "url": url_for("CalendarFeedView.feed", token=token, _external=True)}
        )

    @expose("/<int:doctor_id>/revoke", methods=["POST"])
    @has_access
    def revoke(self, doctor_id: int):
        doctor = self._doctor_or_refuse(doctor_id)
        if doctor is not None:
            if revoke_feed(doctor_id):
                flash(f"The calendar address of {doctor.display_name} no longer works.", "success")
            else:
                flash(f"{doctor.display_name} had no calendar address.", "info")
        return redirect(url_for("CalendarFeedAdminView.index"))

    def _doctor_or_refuse(self, doctor_id: int) -> Staff | None:
        doctor = db.session.get(Staff, doctor_id)
        if doctor is None:
            flash(f"No doctor {doctor_id}.", "danger")
            return None
        if not may_write_agenda(g.user, doctor_id):
            flash(NOT_YOUR_AGENDA, "danger")
            return None
        return doctor

    def _render(self, new_feed: dict | None = None):
        roles = {role.name for role in g.user.roles}
        if roles & MANAGES_EVERY_AGENDA:
            doctors = bookable_doctors()
        else:
            own = staff_id_of(g.user)
            doctors = [d for d in bookable_doctors() if d.id == own]
        rows = [{"doctor": doctor, "feed": active_feed(doctor.id)} for doctor in doctors]
        return self.render_template("pages/calendar_feeds.html", rows=rows, new_feed=new_feed)
