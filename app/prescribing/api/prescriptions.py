"""REST API of prescriptions: /api/v1/prescriptions/.

CRUD of drafts (a POST or PUT carries the lines as `items`), and the acts:
`POST /check` (the alerts for a draft body, nothing saved), `GET /<id>/alerts`,
`POST /<id>/sign` (`override_reason` needed when a contraindication is
found: 422 with the alerts otherwise), `/<id>/renew`, `/<id>/replace`
(a correction, as a draft), `/<id>/cancel`, and `GET /renewals_due`.
Everything goes through app/prescribing/rules.py, like the screens;
a doctor writes only their own prescriptions (403), only the prescriber
signs.
"""

from flask import g, request
from flask_appbuilder.api import expose, protect, safe

from app.core.api import CareTrailModelApi, load_json_body
from app.core.datamodel import CareTrailInterface
from app.core.errors import (
    CareTrailError,
    ConstraintViolation,
    DatabaseWriteFailed,
    NotFound,
    OverrideRequired,
    PrescriptionForbidden,
)
from app.core.extensions import db
from app.prescribing import rules as prescribing
from app.prescribing.access import is_admin, own_doctor_id
from app.prescribing.checks import check_draft, check_prescription, needs_override
from app.prescribing.lists import DEFAULT_DUE_DAYS, MAX_DUE_DAYS, renewals_due
from app.prescribing.models import Medication, Prescription
from app.prescribing.schemas import (
    CancelSchema,
    CheckSchema,
    DraftChangesSchema,
    DraftSchema,
    PrescriptionSchema,
    RenewSchema,
    SignSchema,
)
from app.records.models import Patient
from app.security.roles import PRESCRIPTIONS


class PrescriptionApi(CareTrailModelApi):
    resource_name = "prescriptions"
    datamodel = CareTrailInterface(Prescription)
    class_permission_name = PRESCRIPTIONS
    openapi_spec_tag = "Prescriptions"
    method_permission_name = {
        **CareTrailModelApi.method_permission_name,
        "check": "read",
        "alerts": "read",
        "due": "read",
        "sign": "write",
        "renew": "write",
        "replace": "write",
        "cancel": "write",
    }

    list_columns = [
        "id",
        "patient_id",
        "prescriber_id",
        "status",
        "prescribed_on",
        "valid_until",
        "renewals_allowed",
        "renewals_used",
        "replaces_id",
        "renewal_of_id",
        "signed_at",
        "updated_at",
    ]
    show_columns = [
        *list_columns,
        "notes",
        "override_reason",
        "cancelled_at",
        "cancellation_reason",
        "created_at",
    ]
    order_columns = ["id", "prescribed_on", "valid_until", "status", "patient_id", "prescriber_id", "updated_at"]
    search_columns = ["patient_id", "prescriber_id", "status", "valid_until", "prescribed_on"]
    base_order = ("id", "desc")
    # The custom schemas' fields (FAB's _info describes these columns from them).
    add_columns = list(DraftSchema._declared_fields)
    edit_columns = list(DraftChangesSchema._declared_fields)
    add_model_schema = DraftSchema()
    edit_model_schema = DraftChangesSchema()
    show_model_schema = PrescriptionSchema()

    def post_headless(self):
        """A new draft with its lines."""
        values, problem = load_json_body(DraftSchema(), self)
        if problem:
            return problem
        return self._act(201, lambda: prescribing.create_draft(user=g.user, **values))

    def put_headless(self, pk):
        """Change a draft (`items` replaces all its lines)."""
        changes, problem = load_json_body(DraftChangesSchema(), self)
        if problem:
            return problem
        if not changes:
            return self.response_400(message="Nothing to change.")
        return self._act(200, lambda: prescribing.update_draft(pk, user=g.user, changes=changes))

    @expose("/check", methods=["POST"])
    @protect()
    @safe
    def check(self):
        """The alerts for a draft, without saving it.
        ---
        post:
          summary: Allergy, interaction and duplicate-therapy alerts for a draft (nothing is saved)
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [patient_id, items]
                  properties:
                    patient_id: {type: integer}
                    items: {type: array, items: {type: object, properties: {medication_id: {type: integer}}}}
                    replaces_id: {type: integer, description: the prescription this one would correct}
                    renewal_of_id: {type: integer, description: the prescription this one would renew}
          responses:
            200:
              description: The alerts, most severe first; needs_override when one is contraindicated
            400: {$ref: '#/components/responses/400'}
            422: {$ref: '#/components/responses/422'}
        """
        values, problem = load_json_body(CheckSchema(), self)
        if problem:
            return problem
        if db.session.get(Patient, values["patient_id"]) is None:
            return self.response_422(message={"patient_id": [f"No patient {values['patient_id']}."]})
        ids = [item["medication_id"] for item in values["items"]]
        known = set(db.session.scalars(db.select(Medication.id).where(Medication.id.in_(ids))))
        unknown = [f"Line {n}: no medication {i} in the reference." for n, i in enumerate(ids, 1) if i not in known]
        if unknown:
            return self.response_422(message={"items": unknown})
        alerts = check_draft(
            values["patient_id"], ids, replaces_id=values["replaces_id"], renewal_of_id=values["renewal_of_id"]
        )
        return self.response(200, alerts=[a.as_dict() for a in alerts], needs_override=needs_override(alerts))

    @expose("/<int:pk>/alerts", methods=["GET"])
    @protect()
    @safe
    def alerts(self, pk):
        """The alerts of a saved prescription, as when it is signed.
        ---
        get:
          summary: The alerts of a prescription (allergies, interactions, duplicates)
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200: {description: The alerts, most severe first}
            404: {$ref: '#/components/responses/404'}
        """
        prescription = self.datamodel.get(pk)
        if prescription is None:
            return self.response_404()
        alerts = check_prescription(prescription)
        return self.response(200, alerts=[a.as_dict() for a in alerts], needs_override=needs_override(alerts))

    @expose("/<int:pk>/sign", methods=["POST"])
    @protect()
    @safe
    def sign(self, pk):
        """Sign a draft (by its prescriber).
        ---
        post:
          summary: Sign a draft; a contraindication needs override_reason (422 with the alerts without it)
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema: {type: object, properties: {override_reason: {type: string, maxLength: 500}}}
          responses:
            200: {description: The prescription}
            400: {$ref: '#/components/responses/400'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
        """
        values, problem = load_json_body(SignSchema(), self, optional=True)
        if problem:
            return problem
        return self._act(200, lambda: prescribing.sign_prescription(pk, user=g.user, **values))

    @expose("/<int:pk>/renew", methods=["POST"])
    @protect()
    @safe
    def renew(self, pk):
        """Renew: a new prescription with the same lines, linked to the original.
        ---
        post:
          summary: Renew (a draft, or signed at once with sign=true; counted against the renewals allowed when signed)
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    valid_until: {type: string, format: date}
                    sign: {type: boolean, default: false}
                    override_reason: {type: string, maxLength: 500}
          responses:
            201: {description: The prescription}
            400: {$ref: '#/components/responses/400'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
        """
        values, problem = load_json_body(RenewSchema(), self, optional=True)
        if problem:
            return problem
        return self._act(201, lambda: prescribing.renew_prescription(pk, user=g.user, **values))

    @expose("/<int:pk>/replace", methods=["POST"])
    @protect()
    @safe
    def replace(self, pk):
        """Correct a signed prescription: a draft copy that replaces it once signed.
        ---
        post:
          summary: Start a correction (a draft; signing it cancels the prescription it replaces)
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            201: {description: The prescription}
            400: {$ref: '#/components/responses/400'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
        """
        return self._act(201, lambda: prescribing.replace_prescription(pk, user=g.user))

    @expose("/<int:pk>/cancel", methods=["POST"])
    @protect()
    @safe
    def cancel(self, pk):
        """Cancel a draft or a signed prescription, with a reason.
        ---
        post:
          summary: Cancel (the reason is kept with the prescription)
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {type: object, required: [reason], properties: {reason: {type: string, maxLength: 500}}}
          responses:
            200: {description: The prescription}
            400: {$ref: '#/components/responses/400'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
        """
        values, problem = load_json_body(CancelSchema(), self)
        if problem:
            return problem
        return self._act(200, lambda: prescribing.cancel_prescription(pk, user=g.user, reason=values["reason"]))

    @expose("/renewals_due", methods=["GET"])
    @protect()
    @safe
    def due(self):
        """Prescriptions ending soon.
        ---
        get:
          summary: Signed prescriptions ending within `days` (a doctor's own by default)
          parameters:
          - {in: query, name: days, schema: {type: integer, default: 14, maximum: 92}}
          - {in: query, name: prescriber_id, schema: {type: integer}, description: 'default: yours (doctors)'}
          responses:
            200: {description: The prescriptions, soonest first, with the renewals left}
            400: {$ref: '#/components/responses/400'}
        """
        try:
            days = int(request.args.get("days", DEFAULT_DUE_DAYS))
            prescriber = request.args.get("prescriber_id")
            prescriber_id = int(prescriber) if prescriber else None
        except ValueError:
            return self.response_400(message={"days": ["days and prescriber_id are whole numbers."]})
        if not 0 <= days <= MAX_DUE_DAYS:
            return self.response_400(message={"days": [f"days: 0 to {MAX_DUE_DAYS}."]})
        if prescriber_id is None and not is_admin(g.user):
            prescriber_id = own_doctor_id(g.user)
        rows = renewals_due(prescriber_id=prescriber_id, days=days)
        schema = PrescriptionSchema()
        return self.response(
            200,
            result=[
                {
                    **schema.dump(row.prescription),
                    "renewals_left": row.renewals_left,
                    "days_left": row.days_left,
                    "pending_renewal_id": row.pending_draft_id,
                }
                for row in rows
            ],
        )

    def _act(self, status: int, act):
        try:
            prescription = act()
        except OverrideRequired as needed:
            return self.response(422, message=needed.as_messages(), alerts=[alert.as_dict() for alert in needed.alerts])
        except PrescriptionForbidden as forbidden:
            return self.response(403, message=forbidden.message)
        except NotFound as missing:
            return self.response(404, message=missing.message)
        except ConstraintViolation as violation:
            return self.response_422(message=violation.as_messages())
        except DatabaseWriteFailed as failure:
            return self.response(503, message=failure.message)
        except CareTrailError as problem:  # e.g. a reason too long
            return self.response_422(message={getattr(problem, "field", None) or "_schema": [str(problem)]})
        return self.response(status, id=prescription.id, result=PrescriptionSchema().dump(prescription))
