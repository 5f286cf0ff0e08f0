"""The CareTrail application factory: the ONE place where screens and APIs are registered."""

import logging
from pathlib import Path

from flask import Flask
from flask_appbuilder import AppBuilder

from app.db_context import init_db_context
from app.extensions import db, migrate
from app.log_redaction import redact_secret_paths
from app.security.csrf import init_csrf

PROJECT_DIR = Path(__file__).resolve().parent.parent

# FAB's own security APIs warn at every start about relation columns they do
# not filter on; nothing for us to act on.
logging.getLogger("flask_appbuilder.models.filters").setLevel(logging.ERROR)


def create_app(config_object: object | str = "config.Config", **overrides) -> Flask:
    """Build the app.  Touches no database: the schema comes from migrations
    (`flask --app run.py db upgrade`) and roles from `flask --app run.py roles sync`."""
    app = Flask(__name__, template_folder=str(PROJECT_DIR / "templates"), instance_relative_config=False)
    app.config.from_object(config_object)
    app.config.update(overrides)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        raise RuntimeError(
            "DATABASE_URL is not set. Use `make run` (it starts an embedded PostgreSQL), "
            "or set DATABASE_URL=postgresql+psycopg://user@host/dbname."
        )

    redact_secret_paths(app.logger)
    # An empty value shows as nothing, not as "None" (FAB's show and list
    # pages print a column's value as it is: a patient without a birth name).
    app.jinja_env.finalize = _blank_if_none
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_DIR / "sql"))
    init_csrf(app)
    init_db_context(app)

    with app.app_context():
        # One AppBuilder per app (the test-suite builds many apps); code reaches
        # it through current_app.appbuilder.
        from app.security.manager import CareTrailSecurityManager

        appbuilder = AppBuilder(indexview=_index_view(), security_manager_class=CareTrailSecurityManager)
        appbuilder.init_app(app, db.session)
        _register_views(appbuilder)
        _rate_limit_api_login(appbuilder)

    from app.cli import register_cli

    register_cli(app)
    return app


def _blank_if_none(value):
    return "" if value is None else value


def _index_view():
    from app.views.home import HomeView

    return HomeView


def _register_views(appbuilder: AppBuilder) -> None:
    from app.api.patient import PatientApi
    from app.api.room import RoomApi
    from app.api.staff import StaffApi
    from app.security.roles import MENU_ITEMS, PATIENTS, RECORDS_MENU, ROOMS, STAFF
    from app.views.patient import PatientView
    from app.views.room import RoomView
    from app.views.staff import StaffView

    # Menu names come from the role matrix, which grants menu_access on them.
    appbuilder.add_view(
        PatientView, MENU_ITEMS[PATIENTS][0], icon="fa-user", category=RECORDS_MENU, category_icon="fa-folder-open"
    )
    appbuilder.add_view(StaffView, MENU_ITEMS[STAFF][0], icon="fa-user-md", category=RECORDS_MENU)
    appbuilder.add_view(RoomView, MENU_ITEMS[ROOMS][0], icon="fa-door-open", category=RECORDS_MENU)

    from app.security.roles import AUDIT_LOG_MENU, AUDIT_MENU, AUDIT_STATS_MENU, DELETED_PATIENTS_MENU
    from app.views.audit import AuditLogView
    from app.views.audit_restore import AuditRestoreView, DeletedPatientsView
    from app.views.audit_stats import AuditStatsView

    appbuilder.add_view(
        AuditLogView, AUDIT_LOG_MENU, icon="fa-history", category=AUDIT_MENU, category_icon="fa-shield-alt"
    )
    appbuilder.add_view(AuditStatsView, AUDIT_STATS_MENU, icon="fa-chart-bar", category=AUDIT_MENU)
    appbuilder.add_view(DeletedPatientsView, DELETED_PATIENTS_MENU, icon="fa-trash-restore", category=AUDIT_MENU)
    appbuilder.add_view_no_menu(AuditRestoreView)

    appbuilder.add_api(PatientApi)
    appbuilder.add_api(StaffApi)
    appbuilder.add_api(RoomApi)
    from app.api.audit import AuditApi

    appbuilder.add_api(AuditApi)

    # Agenda screens: calendar, find a slot, lists and forms, calendar-app feeds.
    from app.security.roles import (
        ABSENCES,
        AGENDA_MENU,
        APPOINTMENT_TYPES,
        APPOINTMENTS_MENU,
        CALENDAR_MENU,
        FIND_SLOT_MENU,
        SCHEDULES,
    )
    from app.views.agenda import AbsenceView, AppointmentTypeView, ScheduleView
    from app.views.appointment import AppointmentView
    from app.views.calendar import CalendarView, PatientLookupView
    from app.views.calendar_feed import CalendarFeedAdminView, CalendarFeedView
    from app.views.find_slot import FindSlotView

    appbuilder.add_view(
        CalendarView, CALENDAR_MENU, icon="fa-calendar-alt", category=AGENDA_MENU, category_icon="fa-calendar"
    )
    appbuilder.add_view(FindSlotView, FIND_SLOT_MENU, icon="fa-search", category=AGENDA_MENU)
    appbuilder.add_view(AppointmentView, APPOINTMENTS_MENU, icon="fa-list", category=AGENDA_MENU)
    appbuilder.add_view(ScheduleView, MENU_ITEMS[SCHEDULES][0], icon="fa-clock", category=AGENDA_MENU)
    appbuilder.add_view(AbsenceView, MENU_ITEMS[ABSENCES][0], icon="fa-plane", category=AGENDA_MENU)
    appbuilder.add_view(AppointmentTypeView, MENU_ITEMS[APPOINTMENT_TYPES][0], icon="fa-tags", category=AGENDA_MENU)
    appbuilder.add_view_no_menu(PatientLookupView)
    appbuilder.add_view_no_menu(CalendarFeedView)
    appbuilder.add_view_no_menu(CalendarFeedAdminView)

    # Agenda: appointments, working hours, absences, types, free slots.
    from app.api.appointment import AbsenceApi, AppointmentApi, AppointmentTypeApi, ScheduleApi, SlotApi

    appbuilder.add_api(AppointmentApi)
    appbuilder.add_api(ScheduleApi)
    appbuilder.add_api(AbsenceApi)
    appbuilder.add_api(AppointmentTypeApi)
    appbuilder.add_api(SlotApi)

    # Prescriptions: prescriptions and renewals due, the drug reference,
    # patient allergies (from the patient's page, which also lists both).
    from flask import current_app

    from app.api.drug_reference import DrugInteractionApi, MedicationApi, PatientAllergyApi
    from app.api.prescription import PrescriptionApi
    from app.security.roles import (
        DRUG_INTERACTIONS,
        MEDICATIONS,
        PRESCRIBING_MENU,
        PRESCRIPTIONS_MENU,
        RENEWALS_DUE_MENU,
    )
    from app.views.drug_reference import DrugInteractionView, MedicationLookupView, MedicationView, PatientAllergyView
    from app.views.prescription import PrescriptionView, RenewalsDueView, prescribing_on_patient_page

    appbuilder.add_view(
        PrescriptionView,
        PRESCRIPTIONS_MENU,
        icon="fa-prescription",
        category=PRESCRIBING_MENU,
        category_icon="fa-pills",
    )
    appbuilder.add_view(RenewalsDueView, RENEWALS_DUE_MENU, icon="fa-redo", category=PRESCRIBING_MENU)
    appbuilder.add_view(MedicationView, MENU_ITEMS[MEDICATIONS][0], icon="fa-capsules", category=PRESCRIBING_MENU)
    appbuilder.add_view(
        DrugInteractionView, MENU_ITEMS[DRUG_INTERACTIONS][0], icon="fa-exchange-alt", category=PRESCRIBING_MENU
    )
    appbuilder.add_view_no_menu(PatientAllergyView)
    appbuilder.add_view_no_menu(MedicationLookupView)
    appbuilder.add_api(PrescriptionApi)
    appbuilder.add_api(MedicationApi)
    appbuilder.add_api(DrugInteractionApi)
    appbuilder.add_api(PatientAllergyApi)
    current_app.add_template_global(prescribing_on_patient_page, "patient_prescribing")

    # Documents: the archive, issuing from the patient's page, certificate
    # templates, hospitalisation reports, the letterhead; their REST API.
    from app.api.document import register_document_api
    from app.views.document import register_document_views

    register_document_views(appbuilder)
    register_document_api(appbuilder)


def _rate_limit_api_login(appbuilder: AppBuilder) -> None:
    """FAB's AUTH_RATE_LIMITED covers the browser login form only; the JWT
    login (POST /api/v1/security/login) gets the same limit here."""
    from flask import current_app

    if not current_app.config.get("AUTH_RATE_LIMITED"):
        return
    sm = appbuilder.sm
    for view in appbuilder.baseviews:
        if isinstance(view, sm.security_api):
            sm.limiter.limit(sm.auth_rate_limit, methods=["POST"])(view.blueprint)
