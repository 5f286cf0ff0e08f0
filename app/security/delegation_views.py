"""Delegation screens (app/security/delegation.py holds the rules).

- /delegations/: administrators grant, list (active, future, ended,
  revoked) and revoke with a reason; auditors list.
- /delegations/mine: every signed-in user sees their own delegations in
  force or to come, and chooses to act for someone (or to stop); the top
  bar shows whom they act for.
"""

from datetime import datetime

from flask import flash, g, redirect, request, session, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext
from flask_login import current_user

from app.core.actor import DELEGATED_POWERS, current_actor
from app.core.errors import CareTrailError, ConstraintViolation
from app.core.extensions import db
from app.core.timezone import aware
from app.security import delegation
from app.security.policy import WRITE, may
from app.security.roles import DELEGATIONS


def _form_time(name: str) -> datetime | None:
    """A datetime-local field (the hospital's local time), None when empty."""
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    try:
        return aware(datetime.fromisoformat(raw))
    except ValueError:
        raise ConstraintViolation(name, "A date and time is expected (2026-12-24 08:00).") from None


def _refused(refusal: CareTrailError) -> None:
    field = f"{refusal.field}: " if refusal.field else ""
    flash(f"{field}{refusal.message}", "danger")


class DelegationView(BaseView):
    route_base = "/delegations"
    default_view = "index"
    class_permission_name = DELEGATIONS
    method_permission_name = {"index": "read", "grant": "write", "revoke": "write"}

    @expose("/")
    @has_access
    def index(self):
        status = request.args.get("status", "").strip() or None
        username = request.args.get("user", "").strip()[:150] or None
        actor = current_actor()
        return self.render_template(
            "security/delegations.html",
            delegations=delegation.search(db.session, actor, status=status, username=username),
            status=status or "",
            username=username or "",
            statuses=delegation.STATUSES,
            roles=delegation.delegable_roles(),
            may_grant=may(actor, WRITE, DELEGATIONS),
        )

    @expose("/grant", methods=["POST"])
    @has_access
    def grant(self):
        form = request.form
        kind = form.get("kind", "role")
        try:
            delegation_id = delegation.grant(
                db.session,
                current_actor(),
                grantee=form.get("grantee", ""),
                role=form.get("role") if kind == "role" else None,
                acts_for=form.get("acts_for") if kind == "acts_for" else None,
                starts_at=_form_time("starts_at"),
                ends_at=_form_time("ends_at"),
                reason=form.get("reason"),
            )
            flash(lazy_gettext("Delegation %(id)s granted.", id=delegation_id), "success")
        except CareTrailError as refused:
            _refused(refused)
        return redirect(url_for("DelegationView.index"))

    @expose("/<int:delegation_id>/revoke", methods=["POST"])
    @has_access
    def revoke(self, delegation_id: int):
        try:
            delegation.revoke(db.session, current_actor(), delegation_id, request.form.get("reason"))
            flash(lazy_gettext("Delegation %(id)s revoked.", id=delegation_id), "success")
        except CareTrailError as refused:
            _refused(refused)
        return redirect(url_for("DelegationView.index"))


class MyDelegationsView(BaseView):
    """Every signed-in user's own delegations, and whom they act for."""

    route_base = "/delegations/mine"
    default_view = "index"

    @expose("/")
    def index(self):
        if not current_user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_login)
        return self.render_template(
            "security/my_delegations.html",
            delegations=delegation.my_delegations(db.session, current_actor()),
            powers=g.get(DELEGATED_POWERS),
        )

    @expose("/act-for", methods=["POST"])
    def act_for(self):
        """Act for someone under a delegation in force (an empty name: stop)."""
        if not current_user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_login)
        username = (request.form.get("username") or "").strip()
        if not username:
            session.pop(delegation.ACT_FOR_SESSION_KEY, None)
            flash(lazy_gettext("You act in your own name again."), "info")
            return redirect(url_for("MyDelegationsView.index"))
        try:
            powers = delegation.powers_for(db.session, current_user.id, username)
        except CareTrailError as refused:
            flash(refused.message, "danger")
            return redirect(url_for("MyDelegationsView.index"))
        session[delegation.ACT_FOR_SESSION_KEY] = powers.on_behalf_of
        flash(lazy_gettext("You now act on behalf of %(name)s.", name=powers.on_behalf_of), "info")
        return redirect(self.appbuilder.get_url_for_index)


def delegation_badge():
    """For the top bar: the request's delegations in force (no query)."""
    powers = g.get(DELEGATED_POWERS)
    if powers is None or not (powers.roles or powers.may_act_for or powers.on_behalf_of):
        return None
    return powers
