"""Before any page: the gates a signed-in user must pass first (2FA
enrolment for a role that requires it, a new password after a forced
reset), and the security headers on every answer."""

from flask import Flask, jsonify, redirect, request, session, url_for

from app.security.account import GATE_KEY, GATE_MFA

# Reachable with a gate pending: the gate's own page, signing out, static files.
OPEN_ENDPOINTS = {"static", "appbuilder.static", "LocaleView.index"}
GATE_PAGES = {GATE_MFA: ("MfaView.", "MfaView.enrol"), "password": ("CareTrailResetMyPasswordView.", None)}
SIGN_OUT = ("CareTrailAuthDBView.logout",)

SCREEN_CSP = (
    "default-src 'self'; "
    # FAB's screens (and its JS widgets) put their scripts and styles inline.
    "script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# JSON: nothing in it is run, loaded nor framed.
API_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"
# PDF, iCalendar, files: not framed (a stricter policy would stop the
# browser's own PDF viewer from showing a printed prescription).
FILE_CSP = "frame-ancestors 'none'"


def init_gates(app: Flask) -> None:
    @app.before_request
    def pass_the_gate():
        gate = session.get(GATE_KEY)
        if not gate or request.endpoint is None:
            return None
        prefix, page = GATE_PAGES.get(gate, (None, None))
        endpoint = request.endpoint
        if endpoint in OPEN_ENDPOINTS or endpoint in SIGN_OUT or (prefix and endpoint.startswith(prefix)):
            return None
        if request.path.startswith("/api/") and not request.headers.get("Authorization", "").startswith("Bearer "):
            return jsonify(message="Finish signing in first (two-factor enrolment or a new password)."), 403
        if gate == GATE_MFA:
            return redirect(url_for(page))
        return redirect(url_for("CareTrailResetMyPasswordView.this_form_get"))

    @app.after_request
    def security_headers(response):
        headers = response.headers
        is_static = request.endpoint in ("static", "appbuilder.static")
        policy = {"text/html": SCREEN_CSP, "application/json": API_CSP}.get(response.mimetype, FILE_CSP)
        headers.setdefault("Content-Security-Policy", policy)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        if request.is_secure or app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if not is_static:
            # Every answer but the static files may carry patient data: never
            # kept by the browser's or a proxy's cache.
            headers["Cache-Control"] = "no-store"
            headers["Pragma"] = "no-cache"
        return response
