"""The CareTrail application factory.

DOMAINS is the one ordered list of what CareTrail is made of: each domain
package registers its own screens and APIs (`register(appbuilder)`), so
every screen is found from here.
"""

import logging
from pathlib import Path

from flask import Flask
from flask_appbuilder import AppBuilder

from app import (
    agenda,
    alerts,
    audit,
    care,
    clinical,
    documents,
    home,
    interface,
    jobs,
    live,
    prescribing,
    records,
    search,
    security,
)
from app.core.actor import current_actor
from app.core.answers import init_answers
from app.core.datamodel import ESTIMATES, Estimates
from app.core.db_context import init_db_context
from app.core.extensions import db, mail, migrate
from app.core.formatting import install_filters
from app.core.input_guard import init_input_guard, install_converters
from app.core.json_provider import FastJSONProvider
from app.core.list_rows import install_list_rows, install_page_links
from app.core.log_redaction import redact_secret_paths
from app.core.request_transaction import ping_without_round_trip
from app.core.rison_schemas import install as install_rison_schemas
from app.core.show_fields import install_show_fields
from app.core.timezone import local_time
from app.home.audit_activity import ACTIVITY_COUNTS, ActivityCounts
from app.interface.jinja_environment import CareTrailEnvironment
from app.interface.request_translations import install_request_translations
from app.security.csrf import init_csrf
from app.security.gates import init_gates
from app.security.policy import may

PROJECT_DIR = Path(__file__).resolve().parent.parent

# In menu order.
DOMAINS = (
    records,
    agenda,
    clinical,
    prescribing,
    care,
    documents,
    audit,
    alerts,
    jobs,
    search,
    home,
    security,
    live,
    interface,
)

# FAB's own security APIs warn at every start about relation columns they do
# not filter on; nothing for us to act on.
logging.getLogger("flask_appbuilder.models.filters").setLevel(logging.ERROR)


def load_models() -> None:
    """Import every domain's tables onto FAB's metadata (Alembic's env, the app)."""
    for domain in DOMAINS:
        if (PROJECT_DIR / "app" / domain.__name__.split(".")[-1] / "models.py").exists():
            __import__(f"{domain.__name__}.models")


def create_app(config_object: object | str = "config.Config", **overrides) -> Flask:
    """Build the app.  Touches no database: the schema comes from migrations
    (`flask --app run.py db upgrade`) and roles from `flask --app run.py roles sync`."""
    app = Flask(__name__, template_folder=str(PROJECT_DIR / "templates"), instance_relative_config=False)
    app.jinja_environment = CareTrailEnvironment  # before the environment is made (app/interface/jinja_environment.py)
    app.json = FastJSONProvider(app)
    install_converters(app)  # before any route: ids beyond bigint are no records
    install_rison_schemas()  # FAB's list queries checked against validators built once
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
    # Every page shows instants the one way (app/core/timezone.py), and asks
    # the role matrix (not the database) what to offer: may('can_write', 'Appointment').
    app.add_template_global(local_time, "local_time")
    install_list_rows(app)  # a list's rows drawn in Python (the patient list)
    install_show_fields(app)  # a show page's fields drawn in Python (every show page)
    install_filters(app)  # |date, |datetime, |time_of_day: one format per language (app/core/formatting.py)
    app.add_template_global(lambda permission, resource: may(current_actor(), permission, resource), "may")
    db.init_app(app)
    with app.app_context():
        ping_without_round_trip(db.engine)  # one round trip less a request (app/core/request_transaction.py)
    app.extensions[ESTIMATES] = Estimates()  # the lists' estimated counts (app/core/datamodel.py)
    app.extensions[ACTIVITY_COUNTS] = ActivityCounts()  # the oversight home's audit counts (app/home/audit_activity.py)
    migrate.init_app(app, db, directory=str(PROJECT_DIR / "sql"))
    mail.init_app(app)
    init_input_guard(app)
    init_csrf(app)
    init_gates(app)
    init_db_context(app)
    init_answers(app)
    load_models()

    with app.app_context():
        # One AppBuilder per app (the test-suite builds many apps); code reaches
        # it through current_app.appbuilder.
        from app.home.views import RoleHomeView
        from app.security.manager import CareTrailSecurityManager

        appbuilder = AppBuilder(
            indexview=RoleHomeView, security_manager_class=CareTrailSecurityManager, base_template="pages/base.html"
        )
        appbuilder.init_app(app, db.session)
        for domain in DOMAINS:
            domain.register(appbuilder)
        _rate_limit_api_login(appbuilder)
    install_page_links(app)  # the lists' pagination links, one url_for a page
    install_request_translations(app)

    from app.cli import register_cli

    register_cli(app)
    return app


def _blank_if_none(value):
    return "" if value is None else value


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
