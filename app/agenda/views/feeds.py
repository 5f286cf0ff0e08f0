"""A doctor's agenda in a calendar app (app/agenda/feeds.py).

- /calendar/feed/<token>.ics: the feed itself, WITHOUT login (calendar
  apps cannot sign in): the secret token is the key.  It carries patient
  names: private to the doctor.  A revoked or unknown token is a 404.
- /calendar/feeds/: create, regenerate or revoke the address, for the doctor
  themself or a secretary / admin (the feeds' rules refuse the others); the
  full address is shown once, right after it is created, and never again.
"""

from flask import Response, abort, flash, redirect, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext

from app.agenda.access import manages_every_agenda, staff_id_of
from app.agenda.calendar import bookable_doctors
from app.agenda.feeds import active_feeds, create_feed, doctor_calendar, doctor_of_token, revoke_feed
from app.core.actor import current_actor
from app.core.errors import CareTrailError
from app.core.extensions import db
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
        try:
            doctor, token = create_feed(db.session, current_actor(), doctor_id)
        except CareTrailError as refused:
            flash(refused.message, "danger")
            return redirect(url_for("CalendarFeedAdminView.index"))
        return self._render(
            new_feed={"doctor": doctor, "url": url_for("CalendarFeedView.feed", token=token, _external=True)}
        )

    @expose("/<int:doctor_id>/revoke", methods=["POST"])
    @has_access
    def revoke(self, doctor_id: int):
        try:
            doctor, revoked = revoke_feed(db.session, current_actor(), doctor_id)
        except CareTrailError as refused:
            flash(refused.message, "danger")
        else:
            if revoked:
                flash(gettext("The calendar address of %(name)s no longer works.", name=doctor.display_name), "success")
            else:
                flash(gettext("%(name)s had no calendar address.", name=doctor.display_name), "info")
        return redirect(url_for("CalendarFeedAdminView.index"))

    def _render(self, new_feed: dict | None = None):
        actor = current_actor()
        doctors = bookable_doctors()
        if not manages_every_agenda(actor):
            own = staff_id_of(db.session, actor)
            doctors = [d for d in doctors if d.id == own]
        feeds = active_feeds([doctor.id for doctor in doctors])  # one statement, not one per doctor
        rows = [{"doctor": doctor, "feed": feeds.get(doctor.id)} for doctor in doctors]
        return self.render_template("pages/calendar_feeds.html", rows=rows, new_feed=new_feed)
