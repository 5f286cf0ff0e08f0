"""CSRF protection for every state-changing request authenticated by cookie.

FAB only puts a token in its forms; without CSRFProtect its delete endpoint
even accepts GET.  A request carrying `Authorization: Bearer` (the REST API
with a JWT) is not exposed to CSRF, since browsers never add that header on
their own, so it is not asked for a token; neither is an API call with no
signed-in session (it gets its 401); the JWT login itself is exempt.
"""

from flask import Flask, request
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

TOKEN_LOGIN_ENDPOINTS = {"SecurityApi.login", "SecurityApi.refresh"}


def init_csrf(app: Flask) -> None:
    # We call protect() ourselves so the Bearer rule above can apply.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)

    @app.before_request
    def check_csrf() -> None:
        if not app.config.get("WTF_CSRF_ENABLED", True):
            return
        if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
            return
        if request.endpoint in TOKEN_LOGIN_ENDPOINTS:
            return
        if request.headers.get("Authorization", "").startswith("Bearer "):
            return
        if request.path.startswith("/api/") and not current_user.is_authenticated:
            return  # no cookie session to abuse: the API answers 401 itself
        csrf.protect()
