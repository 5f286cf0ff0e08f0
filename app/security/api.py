"""The JWT login (POST /api/v1/security/login) and refresh, FAB's with the
protections of the browser login: the per-account lockout, the second
factor (`otp`: a code of the authenticator or a recovery code) for a user
who enrolled, and no token for a user whose role requires 2FA before they
enrolled in the browser.  Every token is registered (app/security/sessions.py)
so that a password change or "sign out everywhere" ends it.

Also the journal of reads' API (/api/v1/access_log/, Admin and Auditor).
"""

from flask import g, request
from flask_appbuilder.api import expose, protect
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token, get_jwt_identity, jwt_required

from app.core.actor import current_actor, role_names_of
from app.core.api import CareTrailApi, safe
from app.core.extensions import db
from app.security import account, mfa, seclog, sessions
from app.security.journal import search_accesses, whole_number_arg
from app.security.roles import ACCESS_LOG
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
            return self.response_400(message={"body": ["The request body is not a JSON object."]})
        fields = {name: payload.get(name) for name in ("username", "password", "otp")}
        # Every refusal names its field, like the rest of the API.
        wrong = {
            name: ["Text is expected."]
            for name, value in fields.items()
            if value not in (None, "") and not isinstance(value, str)
        }
        wrong |= {name: ["This field is required."] for name in ("username", "password") if not fields[name]}
        if payload.get("provider", "db") != "db":
            wrong["provider"] = ["Only 'db' is accepted."]
        if not isinstance(payload.get("refresh", False), bool):
            wrong["refresh"] = ["true or false is expected."]
        if wrong:
            return self.response_400(message=wrong)
        g.caretrail_login_door = "api"
        sm = self.appbuilder.sm
        user = sm.auth_user_db(fields["username"], fields["password"])
        if not user:
            return self.response_401()
        if mfa.is_enrolled(user.id):
            if not fields["otp"]:
                return self.response(401, message="Two-factor sign-in: send the code as `otp`.")
            how = mfa.verify(user, fields["otp"])
            if not how:
                seclog.record("mfa_failed", user=user)
                return self.response_401()
            if how == "recovery":
                seclog.record("mfa_recovery_used", user=user)
        elif mfa.is_required_for(role_names_of(user)):
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


class AccessLogApi(CareTrailApi):
    resource_name = "access_log"
    openapi_spec_tag = "Journal of reads"
    class_permission_name = ACCESS_LOG
    method_permission_name = {"accesses": "read", "patient_accesses": "read"}

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def accesses(self):
        """The journal of reads, newest first.
        ---
        get:
          summary: Reads of patients' records, by patient and/or user
          parameters:
          - {in: query, name: patient_id, schema: {type: integer}}
          - {in: query, name: user, schema: {type: string}}
          - {in: query, name: action, schema: {type: string, enum: [view, export, print, history, break_glass]}}
          - {in: query, name: before, schema: {type: integer}, description: the last id of the previous page}
          - {in: query, name: page_size, schema: {type: integer, maximum: 500}}
          responses:
            200: {description: 'A page of reads: {"result": [...], "next_before": id or null}'}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
        """
        return self._answer(whole_number_arg("patient_id"))

    @expose("/patient/<int:patient_id>", methods=["GET"])
    @protect()
    @safe
    def patient_accesses(self, patient_id: int):
        """Who accessed this patient's record (GDPR art. 15).
        ---
        get:
          summary: Reads of one patient's record, newest first
          parameters:
          - {in: path, name: patient_id, required: true, schema: {type: integer}}
          - {in: query, name: user, schema: {type: string}}
          - {in: query, name: action, schema: {type: string, enum: [view, export, print, history, break_glass]}}
          - {in: query, name: before, schema: {type: integer}}
          - {in: query, name: page_size, schema: {type: integer, maximum: 500}}
          responses:
            200: {description: 'A page of reads'}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
        """
        return self._answer(patient_id)

    def _answer(self, patient_id: int | None):
        page_size = whole_number_arg("page_size") or 50
        accesses = search_accesses(
            db.session,
            current_actor(),
            patient_id=patient_id,
            username=request.args.get("user") or None,
            action=request.args.get("action") or None,
            before_id=whole_number_arg("before"),
            page_size=page_size,
        )
        next_before = accesses[-1].id if len(accesses) == page_size else None
        return self.response(200, result=[access.as_dict() for access in accesses], next_before=next_before)
