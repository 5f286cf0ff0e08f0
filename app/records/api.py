"""REST API for patients: /api/v1/patients/.

A patient's fields are answered and taken field group by field group
(app/records/rules.py): a field the user may not read is absent from every
answer (the key, not only its value), a filter or an order on it is
refused, and a body naming a field the user may not write is refused
before anything is applied (403 naming the field).
"""

from flask import Response, current_app, request
from flask_appbuilder.api import expose, protect
from marshmallow import Schema, fields, validate

from app.core.actor import current_actor
from app.core.api import CareTrailModelApi, safe
from app.core.datamodel import CareTrailInterface
from app.core.db_context import REASON_MAX_LENGTH
from app.core.extensions import db
from app.core.normalize import is_digits
from app.core.schemas import Id, load_json_body
from app.records.models import (
    BLOOD_GROUPS,
    EDITABLE_PATIENT_FIELDS,
    PATIENT_STATUSES,
    PROFESSIONS,
    ROOM_KINDS,
    SEXES,
    Patient,
    Room,
    Staff,
)
from app.records.rules import (
    PATIENT_RULES,
    ROOM_RULES,
    STAFF_RULES,
    check_patient_filters,
    check_patient_input,
    duplicate_confirmed,
    hidden_patient_fields,
    merge_patients,
    visible_patient_data,
)
from app.records.validators import (
    NIR_TYPED_MAX_LENGTH,
    api_rule,
    birth_date_rule,
    nir_rule,
    phone_rule,
    room_code_rule,
    rpps_rule,
)
from app.security.glass import reading_patient
from app.security.journal import journal_patient_read
from app.security.roles import PATIENTS, ROOMS, STAFF

READ_COLUMNS = ["id", "mrn", *EDITABLE_PATIENT_FIELDS, "merged_into_id", "created_at", "updated_at"]


class MergeSchema(Schema):
    into = Id(required=True, metadata={"description": "the patient kept"})
    # Its length is the rule's to refuse (app/core/db_context.py), as at every door.
    reason = fields.String(load_default=None, allow_none=True, metadata={"maxLength": REASON_MAX_LENGTH})


class PatientApi(CareTrailModelApi):
    resource_name = "patients"
    datamodel = CareTrailInterface(Patient, rules=PATIENT_RULES)
    class_permission_name = PATIENTS
    method_permission_name = {**CareTrailModelApi.method_permission_name, "merge": "delete"}
    openapi_spec_tag = "Patients"

    list_columns = [
        "id",
        "mrn",
        "last_name",
        "first_name",
        "birth_name",
        "birth_date",
        "sex",
        "phone",
        "city",
        "status",
        "deceased_on",
    ]
    show_columns = READ_COLUMNS
    add_columns = edit_columns = EDITABLE_PATIENT_FIELDS
    order_columns = ["id", "mrn", "last_name", "first_name", "birth_date", "city", "updated_at"]
    # Pages in a stable order when the caller asks for none (by name, then id).
    base_order = ("last_name", "asc")
    search_columns = ["last_name", "first_name", "birth_name", "mrn", "nir", "birth_date", "city", "phone", "status"]
    validators_columns = {
        "nir": api_rule(nir_rule),
        "birth_date": api_rule(birth_date_rule),
        "phone": api_rule(phone_rule),
        "emergency_contact_phone": api_rule(phone_rule),
        "email": validate.Email(),
        "sex": validate.OneOf(list(SEXES)),
        "blood_group": validate.OneOf(BLOOD_GROUPS),
        "status": validate.OneOf(list(PATIENT_STATUSES)),
    }

    @expose("/<int:pk>/merge", methods=["POST"])
    @protect()
    @safe
    def merge(self, pk):
        """Merge this patient into another (administrators).
        ---
        post:
          summary: Merge this patient record into another, kept one; this one stays, inactive, "merged into" it
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  required: [into]
                  properties:
                    into: {type: integer, description: the patient kept}
                    reason: {type: string, maxLength: 500}
          responses:
            200: {description: What moved to the kept record and what stayed with this one, by table}
            400: {$ref: '#/components/responses/400'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
        """
        values = load_json_body(MergeSchema())
        result = merge_patients(db.session, current_actor(), pk, values["into"], reason=values["reason"])
        return self.response(200, **result)

    def _init_model_schemas(self):
        super()._init_model_schemas()
        # The NIR as people type it, in groups: FAB's generated field would
        # refuse more than the 15 characters it is stored in.
        for schema in (self.add_model_schema, self.edit_model_schema):
            typed = fields.String(
                allow_none=True,
                validate=[validate.Length(max=NIR_TYPED_MAX_LENGTH), api_rule(nir_rule)],
            )
            typed._bind_to_schema("nir", schema)
            schema.fields["nir"] = schema.load_fields["nir"] = typed

    def get_headless(self, pk, **kwargs):
        """GET one patient, read under the user's active break-the-glass grant on them, if any."""
        if not is_digits(str(pk)):
            return self._get_headless(pk, **kwargs)
        with reading_patient(db.session, int(pk)):
            return self._get_headless(pk, **kwargs)

    def _get_headless(self, pk, **kwargs):
        def showing():
            response = super(PatientApi, self).get_headless(pk, **kwargs)
            if response.status_code == 200:
                journal_patient_read(db.session, current_actor(), int(pk), "view", door="api")
            return response

        return self._narrowed(showing)

    def get_list_headless(self, **kwargs):
        def listing():
            rison = kwargs.get("rison") or {}
            filters = rison.get("filters") or []
            names = [item.get("col") for item in filters if isinstance(item, dict)]
            check_patient_filters(current_actor(), [*names, rison.get("order_column") or ""])
            return super(PatientApi, self).get_list_headless(**kwargs)

        return self._narrowed(lambda: self._answering(listing))

    def post_headless(self):
        """POST: a likely duplicate is a 409 with the candidates, unless
        `?confirm_duplicate=true` says this is another person."""
        confirmed = request.args.get("confirm_duplicate", "").lower() in ("1", "true", "yes")
        post = super().post_headless

        def posting():
            with duplicate_confirmed(confirmed):
                return post()

        return self._narrowed(lambda: self._answering(self._checked_input, posting))

    def put_headless(self, pk):
        put = super().put_headless
        return self._narrowed(lambda: self._answering(self._checked_input, put, pk))

    @staticmethod
    def _checked_input(endpoint, *args):
        body = request.get_json(silent=True)
        if isinstance(body, dict):
            check_patient_input(current_actor(), body.keys())
        return endpoint(*args)

    @staticmethod
    def _narrowed(endpoint):
        """The answer without the fields the user may not read (as FAB wrote
        it when the user reads them all: nothing to take out)."""
        response = endpoint()
        if not isinstance(response, Response) or response.mimetype != "application/json" or response.status_code >= 300:
            return response
        actor = current_actor()
        if not hidden_patient_fields(actor):
            return response
        body = response.get_json()
        result = body.get("result")
        if isinstance(result, dict):
            body["result"] = visible_patient_data(actor, result)
        elif isinstance(result, list):
            body["result"] = [visible_patient_data(actor, row) for row in result]
        for key in ("list_columns", "show_columns", "edit_columns", "add_columns"):
            if isinstance(body.get(key), list):
                body[key] = [name for name in body[key] if name in visible_patient_data(actor, {name: 1})]
        for key in ("label_columns", "description_columns"):
            if isinstance(body.get(key), dict):
                body[key] = visible_patient_data(actor, body[key])
        response.set_data(current_app.json.dumps(body))
        return response


STAFF_COLUMNS = [
    "last_name",
    "first_name",
    "profession",
    "specialty",
    "rpps",
    "email",
    "phone",
    "is_active",
    "user_id",
]


class StaffApi(CareTrailModelApi):
    resource_name = "staff"
    datamodel = CareTrailInterface(Staff, rules=STAFF_RULES)
    class_permission_name = STAFF
    openapi_spec_tag = "Staff"

    list_columns = ["id", "last_name", "first_name", "profession", "specialty", "rpps", "is_active"]
    show_columns = ["id", *STAFF_COLUMNS, "created_at", "updated_at"]
    add_columns = edit_columns = STAFF_COLUMNS
    order_columns = ["id", "last_name", "first_name", "profession", "specialty"]
    search_columns = ["last_name", "first_name", "profession", "specialty", "rpps", "is_active"]
    validators_columns = {
        "rpps": api_rule(rpps_rule),
        "phone": api_rule(phone_rule),
        "email": validate.Email(),
        "profession": validate.OneOf(list(PROFESSIONS)),
    }


ROOM_COLUMNS = ["code", "name", "kind", "is_active"]


class RoomApi(CareTrailModelApi):
    resource_name = "rooms"
    datamodel = CareTrailInterface(Room, rules=ROOM_RULES)
    class_permission_name = ROOMS
    openapi_spec_tag = "Rooms"

    list_columns = ["id", *ROOM_COLUMNS]
    show_columns = ["id", *ROOM_COLUMNS, "created_at", "updated_at"]
    add_columns = edit_columns = ROOM_COLUMNS
    order_columns = ["id", "code", "name", "kind"]
    search_columns = ["code", "name", "kind", "is_active"]
    validators_columns = {
        "code": api_rule(room_code_rule),
        "kind": validate.OneOf(list(ROOM_KINDS)),
    }
