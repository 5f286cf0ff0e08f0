"""REST API of care (in the OpenAPI spec, tag "Care"):

- /api/v1/care_tasks/: GET ?patient_id (a patient's tasks), POST (plan one),
  POST /<id>/stop, GET /overdue (the worklist, ?patient_id optional);
- /api/v1/care_task_checks/: POST (check off an occurrence);
- /api/v1/administrations/: GET /planned ?patient_id&day (the day's
  planned doses with their outcome), GET ?prescription_id (what was given
  of a prescription), POST (record given / refused / held);
- /api/v1/vaccinations/: GET ?patient_id, POST, GET /due ?patient_id;
- /api/v1/vaccines/ and /api/v1/vaccination_schedule/: the reference
  (read; administrators write).

Everything goes through app/care/rules.py, like the screens: the rules
refuse (403, 404, 409 for a dose given twice, 422 naming the field).
"""

from flask import request
from flask_appbuilder.api import expose, protect

from app.care import rules
from app.care.models import VaccinationStep, Vaccine
from app.care.schemas import (
    AdministrationSchema,
    CareTaskSchema,
    CheckSchema,
    DayQuery,
    OverdueQuery,
    PatientQuery,
    PrescriptionQuery,
    TaskQuery,
    VaccinationSchema,
    administration_json,
    care_task_json,
    check_json,
    due_json,
    planned_json,
    vaccination_json,
)
from app.core.actor import current_actor
from app.core.api import CareTrailApi, CareTrailModelApi, safe
from app.core.datamodel import CareTrailInterface
from app.core.extensions import db
from app.core.rules import RecordRules
from app.core.schemas import load_json_body, load_query
from app.security.roles import (
    ADMINISTRATIONS,
    CARE_CHECKS,
    CARE_TASKS,
    VACCINATION_SCHEDULE,
    VACCINATIONS,
    VACCINES,
)

TAG = "Care"


class CareTaskApi(CareTrailApi):
    resource_name = "care_tasks"
    openapi_spec_tag = TAG
    class_permission_name = CARE_TASKS
    method_permission_name = {"listing": "read", "plan": "write", "stop": "write", "overdue": "read"}

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def listing(self):
        """A patient's care tasks.
        ---
        get:
          summary: The care tasks of a patient (active first)
          parameters:
          - {in: query, name: patient_id, required: true, schema: {type: integer}}
          responses:
            200: {description: 'result: the tasks'}
            400: {$ref: '#/components/responses/400'}
        """
        query = load_query(PatientQuery(), request.args)
        tasks = rules.patient_care_tasks(db.session, current_actor(), query["patient_id"])
        return self.response(200, result=[care_task_json(t) for t in tasks])

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def plan(self):
        """Plan a care task.
        ---
        post:
          summary: Plan a care task (once, or every N hours), by hand or from a signed prescription line
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [patient_id, description, starts_at]
                  properties:
                    patient_id: {type: integer}
                    description: {type: string, maxLength: 200}
                    starts_at: {type: string, format: date-time}
                    every_hours: {type: integer, minimum: 1, maximum: 168}
                    ends_at: {type: string, format: date-time}
                    prescription_item_id: {type: integer}
          responses:
            201: {description: The task}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {description: Your role may not do this}
            422: {$ref: '#/components/responses/422'}
        """
        values = load_json_body(CareTaskSchema())
        task = rules.plan_care_task(db.session, current_actor(), **values)
        return self.response(201, id=task.id, result=care_task_json(task))

    @expose("/<int:pk>/stop", methods=["POST"])
    @protect()
    @safe
    def stop(self, pk):
        """Stop a care task.
        ---
        post:
          summary: Stop a care task (its past check-offs stay)
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200: {description: The task}
            404: {description: No such task}
        """
        task = rules.stop_care_task(db.session, current_actor(), pk)
        return self.response(200, id=task.id, result=care_task_json(task))

    @expose("/overdue", methods=["GET"])
    @protect()
    @safe
    def overdue(self):
        """The worklist.
        ---
        get:
          summary: Occurrences of care tasks past their time and not checked off, oldest first
          parameters:
          - {in: query, name: patient_id, schema: {type: integer}}
          responses:
            200: {description: 'result: [{care_task_id, patient_id, description, due_at}]'}
            400: {$ref: '#/components/responses/400'}
        """
        query = load_query(OverdueQuery(), request.args)
        found = rules.overdue_care(db.session, current_actor(), patient_id=query["patient_id"])
        return self.response(
            200,
            result=[
                {
                    "care_task_id": o.task.id,
                    "patient_id": o.task.patient_id,
                    "description": o.task.description,
                    "due_at": o.due_at.isoformat(),
                }
                for o in found
            ],
        )


class CareTaskCheckApi(CareTrailApi):
    resource_name = "care_task_checks"
    openapi_spec_tag = TAG
    class_permission_name = CARE_CHECKS
    method_permission_name = {"check": "write", "listing": "read"}

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def listing(self):
        """A care task's check-offs.
        ---
        get:
          summary: Who checked off each occurrence of a care task, and when (newest first)
          parameters:
          - {in: query, name: care_task_id, required: true, schema: {type: integer}}
          responses:
            200: {description: 'result: the check-offs'}
            400: {$ref: '#/components/responses/400'}
        """
        query = load_query(TaskQuery(), request.args)
        checks = rules.care_task_checks(db.session, current_actor(), query["care_task_id"])
        return self.response(200, result=[check_json(c) for c in checks])

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def check(self):
        """Check off an occurrence.
        ---
        post:
          summary: Check off the occurrence of a care task planned at due_at (who and when are recorded)
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [care_task_id, due_at]
                  properties:
                    care_task_id: {type: integer}
                    due_at: {type: string, format: date-time}
                    note: {type: string, maxLength: 500}
          responses:
            201: {description: The check-off}
            409: {description: Already checked off}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {description: Your role may not do this}
            422: {$ref: '#/components/responses/422'}
        """
        values = load_json_body(CheckSchema())
        task_id = values.pop("care_task_id")
        check = rules.check_care_task(db.session, current_actor(), task_id, **values)
        return self.response(201, id=check.id, result=check_json(check))


class AdministrationApi(CareTrailApi):
    resource_name = "administrations"
    openapi_spec_tag = TAG
    class_permission_name = ADMINISTRATIONS
    method_permission_name = {"planned": "read", "of_prescription": "read", "record": "write"}

    @expose("/planned", methods=["GET"])
    @protect()
    @safe
    def planned(self):
        """A patient's planned doses of a day.
        ---
        get:
          summary: The planned doses of every signed prescription line in force, with their outcome
          parameters:
          - {in: query, name: patient_id, required: true, schema: {type: integer}}
          - {in: query, name: day, schema: {type: string, format: date}, description: 'default: today'}
          responses:
            200: {description: 'result: the planned doses, in time order'}
            400: {$ref: '#/components/responses/400'}
        """
        query = load_query(DayQuery(), request.args)
        doses = rules.planned_doses(db.session, current_actor(), query["patient_id"], query["day"])
        return self.response(200, result=[planned_json(d) for d in doses])

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def of_prescription(self):
        """What was given of a prescription.
        ---
        get:
          summary: The recorded doses of a prescription, newest first (the prescriber's view)
          parameters:
          - {in: query, name: prescription_id, required: true, schema: {type: integer}}
          responses:
            200: {description: 'result: the records'}
            400: {$ref: '#/components/responses/400'}
        """
        query = load_query(PrescriptionQuery(), request.args)
        records = rules.administrations_of_prescription(db.session, current_actor(), query["prescription_id"])
        return self.response(200, result=[administration_json(r) for r in records])

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def record(self):
        """Record a planned dose's outcome.
        ---
        post:
          summary: Given, refused or held (refused and held need a reason); a dose is given once in its window
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [prescription_item_id, planned_at, status]
                  properties:
                    prescription_item_id: {type: integer}
                    planned_at: {type: string, format: date-time}
                    status: {type: string, enum: [given, refused, held]}
                    reason: {type: string, maxLength: 500}
                    note: {type: string, maxLength: 500}
          responses:
            201: {description: The record}
            409: {description: 'Given already within its window, or this slot has an outcome'}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {description: Your role may not do this}
            422: {$ref: '#/components/responses/422'}
        """
        values = load_json_body(AdministrationSchema())
        record = rules.record_administration(db.session, current_actor(), **values)
        return self.response(201, id=record.id, result=administration_json(record))


class VaccinationApi(CareTrailApi):
    resource_name = "vaccinations"
    openapi_spec_tag = TAG
    class_permission_name = VACCINATIONS
    method_permission_name = {"listing": "read", "record": "write", "due": "read"}

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def listing(self):
        """A patient's vaccinations.
        ---
        get:
          summary: The vaccinations given to a patient, newest first
          parameters:
          - {in: query, name: patient_id, required: true, schema: {type: integer}}
          responses:
            200: {description: 'result: the vaccinations'}
            400: {$ref: '#/components/responses/400'}
        """
        query = load_query(PatientQuery(), request.args)
        given = rules.patient_vaccinations(db.session, current_actor(), query["patient_id"])
        return self.response(200, result=[vaccination_json(v) for v in given])

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def record(self):
        """Record a vaccination.
        ---
        post:
          summary: Record a vaccination given (by the signed-in user)
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [patient_id, vaccine_id, given_on, lot_number, site]
                  properties:
                    patient_id: {type: integer}
                    vaccine_id: {type: integer}
                    given_on: {type: string, format: date}
                    lot_number: {type: string, maxLength: 40}
                    site:
                      type: string
                      enum: [left_deltoid, right_deltoid, left_thigh, right_thigh, oral, intranasal, other]
                    dose_number: {type: integer, minimum: 1, maximum: 20}
                    notes: {type: string, maxLength: 500}
          responses:
            201: {description: The vaccination}
            400: {$ref: '#/components/responses/400'}
            401: {$ref: '#/components/responses/401'}
            403: {description: Your role may not do this}
            422: {$ref: '#/components/responses/422'}
        """
        values = load_json_body(VaccinationSchema())
        vaccination = rules.record_vaccination(db.session, current_actor(), **values)
        return self.response(201, id=vaccination.id, result=vaccination_json(vaccination))

    @expose("/due", methods=["GET"])
    @protect()
    @safe
    def due(self):
        """Due and overdue vaccinations.
        ---
        get:
          summary: The patient's due and overdue vaccinations from the calendar, for their age and given doses
          parameters:
          - {in: query, name: patient_id, required: true, schema: {type: integer}}
          responses:
            200: {description: 'result: [{schedule_id, code, disease, label, due_on, status}]'}
            400: {$ref: '#/components/responses/400'}
        """
        query = load_query(PatientQuery(), request.args)
        found = rules.vaccinations_due(db.session, current_actor(), query["patient_id"])
        return self.response(200, result=[due_json(d) for d in found])


class VaccineApi(CareTrailModelApi):
    resource_name = "vaccines"
    datamodel = CareTrailInterface(Vaccine, rules=RecordRules(VACCINES))
    class_permission_name = VACCINES
    openapi_spec_tag = TAG
    include_route_methods = {"get", "get_list", "info", "post", "put"}
    list_columns = show_columns = ["id", "code", "name", "diseases", "manufacturer", "is_active", "version"]
    add_columns = edit_columns = ["code", "name", "diseases", "manufacturer", "is_active"]
    order_columns = ["id", "code", "name"]
    search_columns = ["code", "name", "is_active"]


class VaccinationScheduleApi(CareTrailModelApi):
    resource_name = "vaccination_schedule"
    datamodel = CareTrailInterface(VaccinationStep, rules=RecordRules(VACCINATION_SCHEDULE))
    class_permission_name = VACCINATION_SCHEDULE
    openapi_spec_tag = TAG
    include_route_methods = {"get", "get_list", "info", "post", "put"}
    COLUMNS = [
        "code",
        "disease",
        "label",
        "due_age_months",
        "until_age_months",
        "repeat_every_months",
        "tolerance_months",
        "overdue_after_months",
        "is_active",
    ]
    list_columns = show_columns = ["id", *COLUMNS, "version"]
    add_columns = edit_columns = COLUMNS
    order_columns = ["id", "code", "disease", "due_age_months"]
    search_columns = ["code", "disease", "is_active"]


def register_api(appbuilder) -> None:
    for api in (CareTaskApi, CareTaskCheckApi, AdministrationApi, VaccinationApi, VaccineApi, VaccinationScheduleApi):
        appbuilder.add_api(api)
