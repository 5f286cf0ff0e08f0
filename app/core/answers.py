"""The one answer to a refusal, whatever the door.

Rules raise a CareTrailError (app/core/errors.py); this module is the only
place that turns one into an HTTP answer:

- under /api/: JSON `{"message": ..., **details}` with the error's status;
  a 400 or 422 naming a field says so FAB's way, `{"message": {"field": ["why"]}}`;
- a screen's own JSON endpoints (the calendar's fetch() calls, which ask for
  JSON): `{"ok": false, "message": "why", "field": ..., **details}`;
- a screen: an error page with the status and the message (forms put a
  refusal under its field themselves, app/core/views.py).

It also answers what is not a refusal but must not be a 500 either: a
database that cannot be reached (503, a plain page that needs no database),
an unexpected error under /api/ (JSON, never FAB's HTML), and HTTP errors
(404, 405, 413) under /api/ as JSON.
"""

import contextlib
import functools
import logging

from flask import Flask, Response, current_app, g, jsonify, render_template, request
from flask_login import current_user
from markupsafe import escape
from psycopg import errors as pg_errors
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from app.core.errors import BadInput, CareTrailError, DatabaseUnreachable
from app.core.msgids import N_

log = logging.getLogger(__name__)

# A refusal about one field names it: malformed (400), not the role's to
# read or write (403, field-level permissions), refused value (422).
FIELD_STATUSES = (400, 403, 422)
# Marked for extraction (N_): pages/error.html shows them through gettext.
SCREEN_MESSAGES = {
    403: N_("Your role does not give access to this page."),
    404: N_("This page or record does not exist (any more)."),
    405: N_("This page cannot be used that way."),
    413: N_("What was sent is too large."),
}


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def wants_json() -> bool:
    return is_api_request() or g.get("json_endpoint", False) or request.accept_mimetypes.best == "application/json"


def json_endpoint(view):
    """Marks a screen's endpoint that answers JSON (the calendar's feed and
    writes, the pickers): its refusals are answered in JSON too."""

    @functools.wraps(view)
    def answering_json(*args, **kwargs):
        g.json_endpoint = True
        return view(*args, **kwargs)

    return answering_json


def error_body(error: CareTrailError, *, screen_json: bool = False) -> dict:
    if screen_json:
        # A screen shows it to its user: in their language when the catalogue has it (the API keeps English).
        return {"ok": False, "message": _screen_text(error.message), "field": error.field, **error.details}
    if error.status in FIELD_STATUSES and error.field:
        return {"message": error.as_messages(), **error.details}
    return {"message": error.message, **error.details}


def page_status(error: CareTrailError | None) -> int:
    """The status of a screen's own page shown again with a refusal on it (a
    form with the message under its field): the refusal's own status, the one
    every other door answers it with; 200 when nothing was refused."""
    return 200 if error is None else error.status


def _screen_text(message):
    from flask_babel import gettext

    return gettext(message) if isinstance(message, str) and message and "%" not in message else message


def json_answer(error: CareTrailError):
    return jsonify(error_body(error, screen_json=not is_api_request())), error.status


def answer(error: CareTrailError):
    """The answer of the current door to this refusal."""
    if wants_json():
        return json_answer(error)
    if isinstance(error, DatabaseUnreachable):
        return _unreachable_page(error)
    try:
        if "user" not in g:
            g.user = current_user  # refused before FAB's own before_request ran (app/core/input_guard.py)
        appbuilder = current_app.appbuilder
        page = render_template(
            "pages/error.html",
            base_template=appbuilder.base_template,
            appbuilder=appbuilder,
            error=error,
            back=_same_site_referrer(),
        )
    except sa_exc.DBAPIError as exc:
        # The page's menu and user need the database: when it is the database
        # that is gone (e.g. a refused form while it is down), say that.
        unreachable = error_from_exception(exc)
        if not isinstance(unreachable, DatabaseUnreachable):
            raise
        _rollback()
        return _unreachable_page(unreachable)
    return page, error.status


def _unreachable_page(error: CareTrailError) -> Response:
    # No template: FAB's layout and Flask-Login's context both read the database.
    page = UNREACHABLE_PAGE.replace("{{ message }}", str(escape(error.message)))
    return Response(page, status=error.status, mimetype="text/html")


def _same_site_referrer() -> str | None:
    """Where the user came from, when it is a page of this site (no open redirect)."""
    referrer = request.referrer or ""
    if referrer.startswith(request.host_url) and referrer != request.url:
        return referrer
    return None


def error_from_exception(exc: BaseException) -> CareTrailError | None:
    """The refusal an exception stands for, or None for a real bug."""
    if isinstance(exc, CareTrailError):
        return exc
    if isinstance(exc, sa_exc.DBAPIError):
        orig = getattr(exc, "orig", None)
        if exc.connection_invalidated or isinstance(exc, sa_exc.InterfaceError) or _is_connection_failure(orig):
            return DatabaseUnreachable()
        if isinstance(orig, (pg_errors.NumericValueOutOfRange, pg_errors.InvalidTextRepresentation)):
            return BadInput("A number or an identifier in this request is out of range.")
    return None


def _is_connection_failure(orig) -> bool:
    sqlstate = getattr(orig, "sqlstate", None) or ""
    # 08: connection exceptions; 57P01-03: the server is shutting down or starting.
    if sqlstate.startswith("08") or sqlstate in ("57P01", "57P02", "57P03"):
        return True
    return orig is not None and type(orig).__name__ == "OperationalError" and not sqlstate


def answer_exception(exc: BaseException):
    """For FAB's @safe API methods (app/core/api.py): the refusal's answer,
    or a JSON 500 for a real bug (logged with its traceback)."""
    if isinstance(exc, HTTPException) and exc.code is not None and exc.code < 500:
        return jsonify({"message": exc.description or exc.name}), exc.code  # e.g. a body that is not JSON
    error = error_from_exception(exc)
    if error is None:
        log.error("unexpected error answering %s %s", request.method, request.path, exc_info=exc)
        return jsonify({"message": "Internal error; nothing was saved."}), 500
    return json_answer(error)


def init_answers(app: Flask) -> None:
    """Route every refusal and unreachable database through answer()."""

    @app.errorhandler(CareTrailError)
    def _refusal(error: CareTrailError):
        return answer(error)

    @app.errorhandler(sa_exc.DBAPIError)
    def _database(exc: sa_exc.DBAPIError):
        _rollback()
        error = error_from_exception(exc)
        if error is None:
            raise exc
        return answer(error)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        if wants_json():
            return jsonify({"message": exc.description or exc.name}), exc.code
        # A screen's 403, 404, 405, 413: the same page as a refusal, with the menu.
        error = CareTrailError(SCREEN_MESSAGES.get(exc.code, exc.description or exc.name))
        error.status = exc.code
        return answer(error)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return _http(exc)
        _rollback()
        if is_api_request():
            return answer_exception(exc)
        raise exc


def _rollback() -> None:
    from app.core.extensions import db

    with contextlib.suppress(Exception):  # the connection may be gone: nothing to roll back
        db.session.rollback()


UNREACHABLE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>CareTrail: database unavailable</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto; padding: 0 1em">
<h1>CareTrail is unavailable for a moment</h1><p>{{ message }}</p>
<p>Nothing you were doing was saved by this page. <a href="">Try again</a>.</p></body></html>"""
