"""The page after login: the signed-in role's home (app/home/rules.py)."""

from flask import g
from flask_appbuilder import IndexView, expose

from app.core.actor import current_actor
from app.core.errors import CareTrailError
from app.core.extensions import db
from app.home.rules import home_figures, home_kind


class RoleHomeView(IndexView):
    index_template = "pages/index.html"

    @expose("/")
    def index(self):
        figures, kind = None, None
        user = g.get("user")
        if user is not None and getattr(user, "is_authenticated", False):
            actor = current_actor()
            kind = home_kind(actor)
            if kind is not None:
                try:
                    figures = home_figures(db.session, actor, kind)
                except CareTrailError:  # e.g. a doctor's login linked to no doctor yet
                    figures = None
        return self.render_template(self.index_template, appbuilder=self.appbuilder, kind=kind, figures=figures)
