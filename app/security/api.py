"""The JWT login (POST /api/v1/security/login) and refresh, FAB's with the
protections of the browser login: the per-account lockout, the second
factor (`otp`: a code of the authenticator or a recovery code) for a user
who enrolled, and no token for a user whose role requires 2FA before they
enrolled in the browser.  Every token is registered (app/security/sessions.py)
so that a password change or "sign out everywhere" ends it."""

from flask import g, request
from flask_appbuilder.api import safe
from flask_appbuilder.views import expose
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token, get_jwt_identity, jwt_required

from app.security import account, mfa, seclog, sessions
from app.security.token_api import SecurityApi as TokenSecurityApi


def _registered(token: str, user_id: int, kind: str) -> str:
    sessions.start(user_id, kind, secret=decode_token(token)["jti"], client_addr=request.remote_addr)
    return token


# The class keeps FAB's name (the blueprint's and the permission's, "SecurityApi.login").
class SecurityApi(TokenSecurityApi):
    @expose("/login", methods=["POST"])
    @safe
    def login(self):
        """Sign in and get a JWT (and a refresh token when asked)
        ---
        post:
          description: >-
            Authenticate and get a JWT access token (and a refresh token).
            A user who enrolled in two-factor sign-in adds `otp`: the code of
            the authenticator app, or one of the recovery codes.
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [username, password]
                  properties:
                    username: {type: string, maxLength: 256}
                    password: {type: string, maxLength: 256}
                    provider: {type: string, enum: [db]}
                    refresh: {type: boolean}
                    otp: {type: string, maxLength: 32}
          responses:
            200:
              description: Signed in
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      access_token: {type: string}
                      refresh_token: {type: string}
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
        """
        payload = request.get_json(silent=True) if request.is_json else None
        if not isinstance(payload, dict):
            return self.response_400(message="Request payload is not JSON")
        fields = {name: payload.get(name) for name in ("username", "password", "otp")}
        if any(value is not None and not isinstance(value, str) for value in fields.values()):
            return self.response_400(message="username, password and otp are strings")
        if payload.get("provider", "db") != "db" or not isinstance(payload.get("refresh", False), bool):
            return self.response_400(message="provider is 'db'; refresh is true or false")
        if not fields["username"] or not fields["password"]:
            return self.response_400(message="username and password are required")
        g.caretrail_login_door = "api"
        sm = self.appbuilder.sm
        user = sm.auth_user_db(fields["username"], fields["password"])
        if not user:
            return self.response_401()
        if mfa.is_enrolled(user.id):
            if not fields["otp"]:
                return self.response(401, message="Two-factor sign-in: send the code as `otp`.")
            how = mfa.verify(user.id, fields["otp"])
            if not how:
                seclog.record("mfa_failed", user=user)
                return self.response_401()
            if how == "recovery":
                seclog.record("mfa_recovery_used", user=user)
        elif mfa.is_required_for(role.name for role in user.roles):
            return self.response(401, message="Set up two-factor sign-in in the browser first.")
        if account.must_change_password(user.id):
            return self.response(401, message="Choose a new password in the browser first.")
        access = create_access_token(identity=str(user.id), fresh=True)
        answer = {"access_token": _registered(access, user.id, "access")}
        if payload.get("refresh"):
            answer["refresh_token"] = _registered(create_refresh_token(identity=str(user.id)), user.id, "refresh")
        seclog.record("login", user=user, detail="otp" if mfa.is_enrolled(user.id) else "password")
        return self.response(200, **answer)

    @expose("/refresh", methods=["POST"])
    @jwt_required(refresh=True)
    @safe
    def refresh(self):
        """A new access token for a live refresh token
        ---
        post:
          responses:
            200:
              description: Refresh Successful
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      access_token: {type: string}
            401:
              $ref: '#/components/responses/401'
          security:
            - jwt_refresh: []
        """
        identity = get_jwt_identity()
        token = _registered(create_access_token(identity=identity, fresh=False), int(identity), "access")
        return self.response(200, access_token=token)
