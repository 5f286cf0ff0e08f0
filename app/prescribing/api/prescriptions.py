"""REST API of prescriptions: /api/v1/prescriptions/.

CRUD of drafts (a POST or PUT carries the lines as `items`), and the acts:
`POST /check` (the alerts for a draft body, nothing saved), `GET /<id>/alerts`,
`POST /<id>/sign` (`override_reason` needed when a contraindication is
found: 422 with the alerts otherwise), `/<id>/renew`, `/<id>/replace`
(a correction, as a draft), `/<id>/cancel`, and `GET /renewals_due`.
Everything goes through app/prescribing/rules.py, like the screens;
a doctor writes only their own prescriptions (403), only the prescriber
signs: the rules refuse, app/core/answers.py answers.
"""

from flask import request
from flask_appbuilder.api import expose, protect

from app.core.actor import current_actor
from app.core.api import CareTrailModelApi, safe
from app.core.datamodel import CareTrailInterface
from app.core.db_context import clean_reason
from app.core.errors import BadInput
from app.core.extensions import db
from app.core.schemas import load_json_body, load_query
from app.prescribing import rules as prescribing
from app.prescribing.checks import check_prescription, check_typed_draft, needs_override
from app.prescribing.models import Prescription
from app.prescribing.schemas import (
    CancelSchema,
    CheckSchema,
    DraftChangesSchema,
    DraftSchema,
    DueSchema,
    PrescriptionSchema,
    RenewSchema,
    SignSchema,
)
from app.security.roles import PRESCRIPTIONS


class PrescriptionApi(CareTrailModelApi):
    resource_name = "prescriptions"
    datamodel = CareTrailInterface(Prescription, rules=prescribing.PRESCRIPTION_RULES)
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
        return self._answering(self._create)

    def _create(self):
        values = load_json_body(DraftSchema())
        return self._shown(201, prescribing.create_draft(db.session, current_actor(), **values))

    def put_headless(self, pk):
        """Change a draft (`items` replaces all its lines)."""
        return self._answering(self._update, pk)

    def _update(self, pk):
        changes = load_json_body(DraftChangesSchema())
        if not changes:
            raise BadInput("Nothing to change.")
        return self._shown(200, prescribing.update_draft(db.session, current_actor(), pk, changes=changes))

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
        values = load_json_body(CheckSchema())
        alerts = check_typed_draft(
            db.session,
            values["patient_id"],
            [item["medication_id"] for item in values["items"]],
            replaces_id=values["replaces_id"],
            renewal_of_id=values["renewal_of_id"],
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
        values = load_json_body(SignSchema(), optional=True)
        return self._shown(200, prescribing.sign_prescription(db.session, current_actor(), pk, **values))

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
        values = load_json_body(RenewSchema(), optional=True)
        return self._shown(201, prescribing.renew_prescription(db.session, current_actor(), pk, **values))

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
        return self._shown(201, prescribing.replace_prescription(db.session, current_actor(), pk))

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
        values = load_json_body(CancelSchema())
        reason = clean_reason(values["reason"])
        return self._shown(200, prescribing.cancel_prescription(db.session, current_actor(), pk, reason=reason))

    @expose("/renewals_due", methods=["GET"])
    @protect()
    @safe
    def due(self):
        """Prescriptions ending soon.
        ---
        get:
          summary: Signed prescriptions ending within `days` (a doctor's own; everyone's, or one prescriber's, for
            the other readers)
          parameters:
          - {in: query, name: days, schema: {type: integer, default: 14, maximum: 92}}
          - {in: query, name: prescriber_id, schema: {type: integer}, description: 'a doctor: only their own'}
          responses:
            200: {description: The prescriptions, soonest first, with the renewals left}
            400: {$ref: '#/components/responses/400'}
            403: {$ref: '#/components/responses/403'}
        """
        args = load_query(DueSchema(), request.args.to_dict())
        rows = prescribing.renewals_due(
            db.session, current_actor(), prescriber_id=args["prescriber_id"], days=args["days"]
        )
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

    def _shown(self, status: int, prescription):
        return self.response(status, id=prescription.id, result=PrescriptionSchema().dump(prescription))
