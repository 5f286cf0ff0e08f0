"""REST API of the clinical record, in the OpenAPI spec:

- /api/v1/consultations/: drafts (POST, PUT with `diagnoses` replacing them
  all, DELETE), `POST /<id>/sign`, `POST /<id>/addenda` (a signed one only);
- /api/v1/problems/: the problem list and history (POST, PUT, DELETE);
- /api/v1/observations/: vital signs (POST; never changed), and
  `GET /chart/<patient_id>/<kind>`, the chart's data (bmi derived);
- /api/v1/icd10/search?term=: ICD-10 by code or words, accent-insensitive.

Every write goes through app/clinical/rules.py, like the screens: the role
matrix decides who reaches an endpoint (FAB's @protect), the rules who
writes which row, the database what may be stored (422 naming the field).
"""

from flask import request
from flask_appbuilder.api import expose, protect

from app.clinical import charts
from app.clinical import rules as clinical
from app.clinical.models import Consultation, Observation, PatientProblem
from app.clinical.schemas import (
    AddendumInSchema,
    AddendumOutSchema,
    ConsultationInSchema,
    ConsultationSchema,
    ConsultationTexts,
    Icd10SearchSchema,
    ObservationInSchema,
    ObservationSchema,
    ProblemChangesSchema,
    ProblemInSchema,
    ProblemSchema,
)
from app.core.actor import current_actor
from app.core.api import CareTrailApi, CareTrailModelApi, safe
from app.core.datamodel import CareTrailInterface
from app.core.errors import BadInput
from app.core.extensions import db
from app.core.schemas import load_json_body, load_query
from app.security.permissions import METHOD_PERMISSION_MAP
from app.security.roles import CONSULTATIONS, OBSERVATIONS, PROBLEMS


class ConsultationApi(CareTrailModelApi):
    resource_name = "consultations"
    datamodel = CareTrailInterface(Consultation, rules=clinical.CONSULTATION_RULES)
    class_permission_name = CONSULTATIONS
    openapi_spec_tag = "Consultations"
    # Deleting a draft is the writer's (the rules refuse a signed one, and another's).
    method_permission_name = {
        **CareTrailModelApi.method_permission_name,
        "delete": "write",
        "sign": "write",
        "addendum": "write",
    }
    list_columns = ["id", "patient_id", "clinician_id", "appointment_id", "status", "started_at", "reason", "signed_at"]
    show_columns = [*list_columns, "history", "examination", "conclusion", "plan", "created_at", "updated_at"]
    order_columns = ["id", "started_at", "patient_id", "clinician_id", "status"]
    search_columns = ["patient_id", "clinician_id", "status", "started_at"]
    base_order = ("started_at", "desc")
    add_columns = list(ConsultationInSchema._declared_fields)
    edit_columns = list(ConsultationTexts._declared_fields)
    add_model_schema = ConsultationInSchema()
    edit_model_schema = ConsultationTexts()
    show_model_schema = ConsultationSchema()

    def post_headless(self):
        """A draft consultation (from an appointment: the patient is marked arrived)."""
        return self._answering(self._create)

    def _create(self):
        values = load_json_body(ConsultationInSchema())
        return self._shown(201, clinical.open_consultation(db.session, current_actor(), **values))

    def put_headless(self, pk):
        """Change a draft (`diagnoses` replaces them all); a signed one: 422."""
        return self._answering(self._update, pk)

    def _update(self, pk):
        changes = load_json_body(ConsultationTexts())
        if not changes:
            raise BadInput("Nothing to change.")
        self._check_if_match(pk)  # 412 when the draft changed since the client read it
        return self._shown(200, clinical.update_consultation(db.session, current_actor(), pk, changes=changes))

    @expose("/<int:pk>/sign", methods=["POST"])
    @protect()
    @safe
    def sign(self, pk):
        """Sign a draft: it never changes again.
        ---
        post:
          summary: Sign a consultation (its clinician only); its diagnoses join the problem list
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200: {description: The signed consultation}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
        """
        return self._shown(200, clinical.sign_consultation(db.session, current_actor(), pk))

    @expose("/<int:pk>/addenda", methods=["POST"])
    @protect()
    @safe
    def addendum(self, pk):
        """Amend a signed consultation: the original is kept as signed.
        ---
        post:
          summary: Add an addendum to a signed consultation
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {type: object, required: [body], properties: {body: {type: string, maxLength: 10000}}}
          responses:
            201: {description: The addendum}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            422: {$ref: '#/components/responses/422'}
        """
        values = load_json_body(AddendumInSchema())
        addendum = clinical.add_addendum(db.session, current_actor(), pk, **values)
        return self.response(201, id=addendum.id, result=AddendumOutSchema().dump(addendum))

    def _shown(self, status: int, consultation):
        return self.response(status, id=consultation.id, result=ConsultationSchema().dump(consultation))


class ProblemApi(CareTrailModelApi):
    resource_name = "problems"
    datamodel = CareTrailInterface(PatientProblem, rules=clinical.PROBLEM_RULES)
    class_permission_name = PROBLEMS
    openapi_spec_tag = "Problems and history"
    method_permission_name = {**CareTrailModelApi.method_permission_name, "delete": "write"}
    list_columns = list(ProblemSchema._declared_fields)
    show_columns = list_columns
    order_columns = ["id", "onset_on", "resolved_on", "recorded_at", "status", "category"]
    search_columns = ["patient_id", "category", "status", "icd10_code", "is_coded"]
    base_order = ("id", "desc")
    add_columns = list(ProblemInSchema._declared_fields)
    edit_columns = list(ProblemChangesSchema._declared_fields)
    add_model_schema = ProblemInSchema()
    edit_model_schema = ProblemChangesSchema()
    show_model_schema = ProblemSchema()

    def post_headless(self):
        """A problem or a line of history (ICD-10 coded, or free text flagged uncoded)."""
        return self._answering(self._create)

    def _create(self):
        values = load_json_body(ProblemInSchema())
        problem = clinical.record_problem(db.session, current_actor(), **values)
        return self.response(201, id=problem.id, result=ProblemSchema().dump(problem))

    def put_headless(self, pk):
        return self._answering(self._update, pk)

    def _update(self, pk):
        changes = load_json_body(ProblemChangesSchema())
        if not changes:
            raise BadInput("Nothing to change.")
        self._check_if_match(pk)  # 412 when the problem changed since the client read it
        problem = clinical.update_problem(db.session, current_actor(), pk, changes=changes)
        return self.response(200, id=problem.id, result=ProblemSchema().dump(problem))


class ObservationApi(CareTrailModelApi):
    resource_name = "observations"
    datamodel = CareTrailInterface(Observation, rules=clinical.OBSERVATION_RULES)
    class_permission_name = OBSERVATIONS
    openapi_spec_tag = "Observations"
    # A measurement is recorded, never edited: a wrong one is followed by the right one.
    include_route_methods = {"get", "get_list", "post", "info", "chart"}
    method_permission_name = {**METHOD_PERMISSION_MAP, "chart": "read"}
    list_columns = list(ObservationSchema._declared_fields)
    show_columns = list_columns
    order_columns = ["id", "measured_at", "kind"]
    search_columns = ["patient_id", "kind", "is_abnormal", "measured_at"]
    base_order = ("measured_at", "desc")
    add_columns = list(ObservationInSchema._declared_fields)
    add_model_schema = ObservationInSchema()
    show_model_schema = ObservationSchema()

    def post_headless(self):
        """One measurement; out of physiological bounds: 422 naming the field and the range."""
        return self._answering(self._create)

    def _create(self):
        values = load_json_body(ObservationInSchema())
        observation = clinical.record_observation(db.session, current_actor(), **values)
        return self.response(201, id=observation.id, result=ObservationSchema().dump(observation))

    @expose("/chart/<int:patient_id>/<kind>", methods=["GET"])
    @protect()
    @safe
    def chart(self, patient_id, kind):
        """A chart's data: one kind's measurements over time.
        ---
        get:
          summary: The measurements of one kind (or bmi, derived) for a chart, oldest first
          parameters:
          - {in: path, name: patient_id, required: true, schema: {type: integer}}
          - {in: path, name: kind, required: true, schema: {type: string}}
          responses:
            200: {description: 'kind, label, unit, normal range, points [{at, value, diastolic, abnormal}]'}
            403: {$ref: '#/components/responses/403'}
            422: {$ref: '#/components/responses/422'}
        """
        return self.response(200, **charts.chart_series(db.session, current_actor(), patient_id, kind))


class Icd10Api(CareTrailApi):
    resource_name = "icd10"
    class_permission_name = PROBLEMS
    method_permission_name = {"search": "read"}
    openapi_spec_tag = "ICD-10"

    @expose("/search", methods=["GET"])
    @protect()
    @safe
    def search(self):
        """ICD-10 categories and subcategories by code or by words.
        ---
        get:
          summary: Search ICD-10 (WHO 2019, English labels) by code prefix or words, accent-insensitive
          parameters:
          - {in: query, name: term, required: true, schema: {type: string}}
          - {in: query, name: limit, schema: {type: integer, minimum: 1, maximum: 100}}
          responses:
            200: {description: '[{code, label}]'}
            400: {$ref: '#/components/responses/400'}
        """
        values = load_query(Icd10SearchSchema(), request.args.to_dict())
        found = clinical.search_icd10(db.session, current_actor(), values["term"], values["limit"])
        return self.response(200, result=[entry.as_dict() for entry in found])
