"""Real PostgreSQL for every test.

The server is TEST_DATABASE_URL's when set (its user must be allowed to
CREATE DATABASE), else a throwaway embedded cluster.  Migrations run ONCE into
a template database (with the roles synced and one user per role); each test
gets its own database cloned from it and dropped afterwards, so tests never
see each other's writes.
"""

import os
import re
import shutil
import tempfile
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from app import create_app
from app.audit.search import AUDITED_TABLES
from app.core.datamodel import estimates_of
from app.core.extensions import db
from app.home.audit_activity import ACTIVITY_COUNTS
from config import TestingConfig

TEST_PASSWORD = "Correct-Horse-42"
# The app under test logs in as a member of caretrail_app, like in production:
# it may read and write records, not alter the schema nor touch the audit.
APP_ROLE = "caretrail_test_app"
APP_ROLE_PASSWORD = "caretrail-test-app"
ROLE_USERS = {
    "admin": "Admin",
    "doctor": "Doctor",
    "nurse": "Nurse",
    "secretary": "Secretary",
    "radiologist": "Radiologist",
    "auditor": "Auditor",
}


@dataclass
class PostgresServer:
    url: str  # SQLAlchemy URL of a database we can connect to for CREATE DATABASE

    def database_url(self, name: str) -> str:
        """The owner's URL (migrations, fixtures)."""
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    def app_database_url(self, name: str) -> str:
        """The application's URL: the caretrail_app member role."""
        url = make_url(self.url).set(database=name, username=APP_ROLE, password=APP_ROLE_PASSWORD)
        return url.render_as_string(hide_password=False)

    def conninfo(self, name: str | None = None) -> str:
        """psycopg connection string (same server, database `name`)."""
        url = make_url(self.url)
        if name:
            url = url.set(database=name)
        return url.set(drivername="postgresql").render_as_string(hide_password=False)

    def admin_connection(self) -> psycopg.Connection:
        return psycopg.connect(self.conninfo(), autocommit=True)

    def create_database(self, name: str, template: str | None = None) -> None:
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        with self.admin_connection() as conn:
            conn.execute(statement)

    def drop_database(self, name: str) -> None:
        with self.admin_connection() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def postgres_server():
    """The PostgreSQL server the suite runs against."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield PostgresServer(url=url)
        return
    from app.embedded_postgres import EmbeddedPostgres

    with traversable_tempdir("caretrail-test-") as base:
        server = EmbeddedPostgres(base / "data", dbname="postgres", fast=True, log=lambda _msg: None)
        server.start()
        try:
            yield PostgresServer(url=server.url("postgres"))
        finally:
            server.stop()


@contextmanager
def traversable_tempdir(prefix: str):
    """A temporary directory under /tmp, not under pytest's (0700) tmp dir:
    when the suite runs as root, the embedded cluster runs as an unprivileged
    user who must be able to traverse the path."""
    base = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    base.chmod(0o755)
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def make_test_app(database_url: str, **overrides):
    return create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url, **overrides)


def dispose(app) -> None:
    from app import live

    live.stop(app)  # its LISTEN connection, before the test's database is dropped
    estimates_of(app).clear()  # the lists' estimated counts were this database's
    app.extensions[ACTIVITY_COUNTS].clear()  # and so were the audit's activity counts
    app.extensions.pop(AUDITED_TABLES, None)  # and its audited tables
    with app.app_context():
        db.engine.dispose()


def migrate_to_head(app) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()


@pytest.fixture(scope="session")
def template_database(postgres_server):
    """A database at the head migration, roles synced, one user per role."""
    from app.security.sync import sync_roles

    name = unique_name("caretrail_template")
    postgres_server.create_database(name)
    app = make_test_app(postgres_server.database_url(name))
    migrate_to_head(app)
    with postgres_server.admin_connection() as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE]).fetchone()
        if not exists:
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE caretrail_app").format(
                    sql.Identifier(APP_ROLE), sql.Literal(APP_ROLE_PASSWORD)
                )
            )
    with app.app_context():
        sync_roles(app.appbuilder)
        sm = app.appbuilder.sm
        for username, role in ROLE_USERS.items():
            sm.add_user(
                username, username.title(), "Test", f"{username}@test.local", sm.find_role(role), password=TEST_PASSWORD
            )
    dispose(app)
    yield name
    postgres_server.drop_database(name)


@pytest.fixture(scope="session")
def worker_database_name():
    """The name every test of this process gives its database (see `app`)."""
    return unique_name("caretrail_test")


@pytest.fixture
def database_name(postgres_server, template_database, worker_database_name):
    """A fresh database cloned from the template, dropped after the test."""
    postgres_server.create_database(worker_database_name, template=template_database)
    yield worker_database_name
    postgres_server.drop_database(worker_database_name)


@pytest.fixture
def database_url(postgres_server, database_name):
    """SQLAlchemy URL of this test's own database, as the application's role."""
    return postgres_server.app_database_url(database_name)


@pytest.fixture
def sql_conn(postgres_server, database_name):
    """A plain psycopg connection (autocommit) to this test's database, as a DBA in psql."""
    with psycopg.connect(postgres_server.conninfo(database_name), autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="session")
def _shared_apps():
    """Apps by database URL, kept for the whole run (see `app`)."""
    apps = {}
    yield apps
    for app in apps.values():
        dispose(app)


@pytest.fixture
def app(_shared_apps, database_url):
    """The CareTrail app bound to this test's database.

    Building an app takes about 1.4 s (FAB's views, URL rules and API
    schemas), more than most tests.  Every test of a process gets a new
    database under the same name, so one app serves them all: after each
    test its connections are closed (the next test's database is a new one)
    and its configuration is put back as it was."""
    app = _shared_apps.get(database_url)
    if app is None:
        app = _shared_apps[database_url] = make_test_app(database_url)
    config = dict(app.config)
    yield app
    dispose(app)
    app.config.clear()
    app.config.update(config)


@pytest.fixture
def client(app):
    """A Flask test client (not logged in)."""
    return app.test_client()


def csrf_token(html: str) -> str:
    match = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def browser_login(client, username: str, password: str = TEST_PASSWORD):
    """Log in through the real login form (CSRF token included)."""
    page = client.get("/login/")
    return client.post(
        "/login/",
        data={"username": username, "password": password, "csrf_token": csrf_token(page.get_data(as_text=True))},
        follow_redirects=True,
    )


def browser_logout(client):
    """Sign out as a person does: the logout form's POST, with its CSRF token."""
    page = client.get("/logout/")
    if page.status_code != 200:
        return page  # not signed in
    return client.post("/logout/", data={"csrf_token": csrf_token(page.get_data(as_text=True))})


@pytest.fixture
def login(client):
    """login(username) signs the test client in through the login form."""

    def _login(username: str, password: str = TEST_PASSWORD):
        response = browser_login(client, username, password)
        assert response.status_code == 200
        return response

    return _login


def api_token(client, username: str, password: str = TEST_PASSWORD) -> str:
    response = client.post(
        "/api/v1/security/login", json={"username": username, "password": password, "provider": "db"}
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()["access_token"]


@pytest.fixture
def api(client):
    """api(username) -> headers with a JWT for that user."""

    def _headers(username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_token(client, username)}"}

    return _headers
