"""The navbar's menu, rendered once per set of roles and language.

FAB renders the menu on every page: each entry asks the security manager
whether the user may see it and translates its label, 6% of a worker's CPU
under the load test (issue 22).  What the menu shows depends only on the
roles the user acts with (their own, their groups', those a delegation in
force adds), as the role matrix answers them, and on the language: the
rendered HTML is kept per (roles, language).  A role the matrix does not
describe (made by hand in the screens: the database says what it may do)
is rendered afresh each time.
"""

from functools import lru_cache

from flask import Flask, current_app, render_template, request
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

from app.security.policy import knows_roles

TEMPLATE = "appbuilder/navbar_menu.html"  # FAB's, unchanged


def navbar_menu() -> Markup:
    sm = current_app.appbuilder.sm
    if not current_user.is_authenticated:
        roles = frozenset()  # Public sees no entry (app/security/manager.py)
    else:
        roles = sm.effective_role_names(current_user)
        if sm.builtin_roles or not knows_roles(roles):
            return _render()
    return _rendered_for(current_app._get_current_object(), roles, str(get_locale()), request.script_root)


@lru_cache(maxsize=128)
def _rendered_for(_app: Flask, _roles: frozenset[str], _language: str, _script_root: str) -> Markup:
    """The arguments are the cache's key: the menu is the same for all
    requests that share them (each test app has its own)."""
    return _render()


def _render() -> Markup:
    return Markup(render_template(TEMPLATE, menu=current_app.appbuilder.menu))  # noqa: S704 (our own template's output)


def install(app: Flask) -> None:
    app.add_template_global(navbar_menu, "navbar_menu")
