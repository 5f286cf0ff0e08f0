"""Routes of the interface layer: theme preference, PWA manifest, service
worker (served from / so its scope is the whole app), offline page; and the
language a user picks (FAB's /lang/<locale>) remembered for their next visit."""

import hashlib
from importlib import metadata
from pathlib import Path

from flask import (
    Blueprint,
    Flask,
    current_app,
    jsonify,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import get_locale, lazy_gettext
from flask_login import user_logged_in

from app.core.actor import current_actor
from app.core.extensions import db
from app.interface.preferences import LOCALES, preferences_of, save_preference

blueprint = Blueprint("interface", __name__)
# The signed-in user's theme, kept in their session from sign-in on: the
# pages read it there, not from user_preferences (a query on every page).
THEME_KEY = "caretrail_theme"


@blueprint.route("/preferences/theme", methods=["POST"])
def theme():
    theme = request.form.get("theme", request.get_json(silent=True, force=True) or {})
    if isinstance(theme, dict):
        theme = theme.get("theme", "")
    save_preference(db.session, current_actor(), theme=theme)
    session[THEME_KEY] = theme or None
    return jsonify(theme=theme or None)


@blueprint.route("/manifest.webmanifest")
def manifest():
    icons = [
        {"src": f"/static/icons/icon-{size}.png", "sizes": f"{size}x{size}", "type": "image/png", "purpose": "any"}
        for size in (192, 512)
    ]
    icons.append(
        {"src": "/static/icons/icon-maskable-512.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable"}
    )
    body = {
        "name": "CareTrail",
        "short_name": "CareTrail",
        "description": str(lazy_gettext("Hospital administration")),
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#2c5f8a",
        "lang": str(get_locale() or "fr"),
        "icons": icons,
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    return response


@blueprint.route("/sw.js")
def service_worker():
    response = send_from_directory(current_app.static_folder, "js/sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Service-Worker-Allowed"] = "/"
    return response


def service_worker_url() -> str:
    """/sw.js?v=<the static files' version>: the worker keeps static files
    cache-first, so a release that changes any of them must register a new
    worker, whose new cache replaces the old one (sw.js names its cache after
    `v`).  Computed once per app, read by every page."""
    app = current_app._get_current_object()
    url = app.extensions.get(SERVICE_WORKER_URL)
    if url is None:
        url = app.extensions[SERVICE_WORKER_URL] = url_for("interface.service_worker", v=static_version(app))
    return url


SERVICE_WORKER_URL = "caretrail_service_worker_url"


def static_version(app: Flask) -> str:
    """A digest of the app's own static files (names and contents) and of
    Flask-AppBuilder's version (its static files, under /static/appbuilder/,
    change only with it)."""
    digest = hashlib.sha256(metadata.version("Flask-AppBuilder").encode())
    root = Path(app.static_folder)
    for path in sorted(file for file in root.rglob("*") if file.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@blueprint.route("/offline")
def offline():
    """The page the service worker shows when the network is down (cached: no patient data in it)."""
    return render_template("interface/offline.html")


def init_preferences(app: Flask) -> None:
    app.add_template_global(ui_preferences, "ui_preferences")
    app.add_template_global(service_worker_url, "service_worker_url")

    def restore_language(_sender, user, **_extra):
        # The language this user chose last time; else the hospital's.
        chosen = preferences_of(db.session, user.id)
        session["locale"] = chosen["locale"] or app.config["BABEL_DEFAULT_LOCALE"]
        session[THEME_KEY] = chosen["theme"]

    # Held strongly: blinker would otherwise drop this local function at once.
    user_logged_in.connect(restore_language, app, weak=False)

    @app.after_request
    def remember_language(response):
        # FAB's /lang/<locale> puts the choice in the session; keep it for next time.
        if request.endpoint == "LocaleView.index" and response.status_code in (301, 302):
            locale = (request.view_args or {}).get("locale")
            actor = current_actor()
            if locale in LOCALES and actor.user_id is not None:
                save_preference(db.session, actor, locale=locale)
        return response


def ui_preferences() -> dict:
    actor = current_actor()
    if actor.user_id is None:
        return {"locale": str(get_locale() or "en"), "theme": None}
    if THEME_KEY not in session:  # a session opened before the theme was kept in it
        session[THEME_KEY] = preferences_of(db.session, actor.user_id)["theme"]
    return {"locale": str(get_locale() or "en"), "theme": session[THEME_KEY]}
