"""Start-up steps: first admin, role sync, schema check, demo data."""

import logging

import pytest
from sqlalchemy import func, select

from app.bootstrap import NotMigrated, check_schema_is_current, ensure_first_admin
from app.demo.hospital import seed_demo_data
from app.records.models import Patient, Room, Staff
from app.records.nir import nir_error
from app.security.roles import ROLE_MATRIX
from app.security.sync import sync_roles
from tests.conftest import api_token, dispose, make_test_app, migrate_to_head, unique_name


def role_permissions(app, role_name: str) -> set[str]:
    role = app.appbuilder.sm.find_role(role_name)
    return {f"{pvm.permission.name}|{pvm.view_menu.name}" for pvm in role.permissions}


def test_first_admin_is_created_only_when_no_user_exists(app, sql_conn):
    sql_conn.execute("DELETE FROM ab_user")
    with app.app_context():
        generated = ensure_first_admin(app.appbuilder, username="chief", password=None, email="chief@h.fr")
        assert generated and len(generated) >= 12
        again = ensure_first_admin(app.appbuilder, username="other", password="x", email="o@h.fr")
        assert again is None
    assert sql_conn.execute("SELECT username FROM ab_user").fetchall() == [("chief",)]
    assert api_token(app.test_client(), "chief", generated)


def test_given_admin_password_is_used_and_not_returned(app, sql_conn):
    sql_conn.execute("DELETE FROM ab_user")
    with app.app_context():
        assert ensure_first_admin(app.appbuilder, username="chief", password="S3cret-pass", email="c@h.fr") is None
    assert api_token(app.test_client(), "chief", "S3cret-pass")


def test_role_sync_is_idempotent_and_reverts_manual_drift(app, sql_conn):
    with app.app_context():
        assert str(sync_roles(app.appbuilder)) == "roles already in sync"
        sm = app.appbuilder.sm
        # Someone grants nurses the right to delete patients by hand...
        sm.add_permission_role(sm.find_role("Nurse"), sm.find_permission_view_menu("can_delete", "Patient"))
        assert "can_delete|Patient" in role_permissions(app, "Nurse")
        report = sync_roles(app.appbuilder)
        assert report.removed == ["Nurse: can delete on Patient"]
        assert "can_delete|Patient" not in role_permissions(app, "Nurse")


def test_role_sync_drops_the_permissions_no_view_uses_any_more(app, sql_conn):
    """What a removed screen or method leaves behind is dropped, quietly."""
    with app.app_context():
        sm = app.appbuilder.sm
        for permission, view_menu in (("can_retired", "Patient"), ("can_read", "RetiredView")):
            pvm = sm.add_permission_view_menu(permission, view_menu)
            for role in ("Admin", "Nurse"):
                sm.add_permission_role(sm.find_role(role), pvm)
        with WarningsOf("flask_appbuilder") as warnings:
            report = sync_roles(app.appbuilder)
        assert sorted(report.removed) == [
            "Admin: can read on RetiredView",
            "Admin: can retired on Patient",
            "Nurse: can read on RetiredView",
            "Nurse: can retired on Patient",
        ]
        assert str(sync_roles(app.appbuilder)) == "roles already in sync"
    assert warnings.messages == []
    assert sql_conn.execute("SELECT count(*) FROM ab_view_menu WHERE name = 'RetiredView'").fetchone() == (0,)
    assert sql_conn.execute("SELECT count(*) FROM ab_permission WHERE name = 'can_retired'").fetchone() == (0,)


def test_roles_match_the_matrix(app):
    with app.app_context():
        for role_name, grants in ROLE_MATRIX.items():
            permissions = role_permissions(app, role_name)
            for resource, actions in grants.items():
                for action in ("can_read", "can_write", "can_delete"):
                    assert (f"{action}|{resource}" in permissions) == (action in actions), (role_name, resource, action)
        admin = role_permissions(app, "Admin")
        assert {"can_delete|Patient", "can_list|UserDBModelView", "can_write|Room"} <= admin


def test_typo_in_the_matrix_fails_loudly(app, monkeypatch):
    monkeypatch.setitem(ROLE_MATRIX, "Nurse", {"Patinet": ("can_read",)})
    with app.app_context(), pytest.raises(LookupError, match="Patinet"):
        sync_roles(app.appbuilder)


def test_a_fresh_install_syncs_the_roles_with_nothing_to_warn_about(postgres_server):
    """FAB warned 16 times "Refused to delete permission view" on every start:
    a screen and its API share a resource, each with part of its permissions."""
    name = unique_name("caretrail_fresh_roles")
    postgres_server.create_database(name)
    app = make_test_app(postgres_server.database_url(name))
    warnings = WarningsOf("flask_appbuilder")
    try:
        migrate_to_head(app)  # (Alembic's logging setup drops pytest's caplog handler)
        with app.app_context(), warnings:
            first = sync_roles(app.appbuilder)
            second = sync_roles(app.appbuilder)  # the next start
            assert "can_delete|Patient" in role_permissions(app, "Admin")
    finally:
        dispose(app)
        postgres_server.drop_database(name)
    assert first.added and not first.removed
    assert str(second) == "roles already in sync"
    assert warnings.messages == []


class WarningsOf(logging.Handler):
    """Collects the warnings a logger (and its children) emit while entered."""

    def __init__(self, logger_name: str):
        super().__init__(logging.WARNING)
        self.logger = logging.getLogger(logger_name)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.name}: {record.getMessage()}")

    def __enter__(self):
        self.logger.addHandler(self)
        return self

    def __exit__(self, *exc_info) -> None:
        self.logger.removeHandler(self)


def test_serving_refuses_an_unmigrated_database(postgres_server):
    name = "caretrail_unmigrated_check"
    postgres_server.drop_database(name)
    postgres_server.create_database(name)
    app = make_test_app(postgres_server.database_url(name))
    try:
        with app.app_context(), pytest.raises(NotMigrated, match="db upgrade"):
            check_schema_is_current(app)
    finally:
        dispose(app)
        postgres_server.drop_database(name)


def test_demo_data_is_plausible_and_idempotent(app, sql_conn):
    sql_conn.execute("DELETE FROM ab_user WHERE username <> 'admin'")
    with app.app_context():
        first = seed_demo_data(app.appbuilder, password="Demo-pass-1", patient_count=40)
        assert (first.users, first.staff, first.rooms, first.patients) == (5, 11, 8, 40)
        assert first.generated_password is None
        # Mon-Fri mornings and afternoons for the 4 doctors and the radiologist, 3 absences,
        # and a few dozen appointments over two weeks, every one accepted by the database.
        assert (first.schedules, first.absences) == (50, 3)
        assert 20 <= first.appointments <= 80
        second = seed_demo_data(app.appbuilder, password="Demo-pass-1", patient_count=40)
        assert (second.users, second.staff, second.rooms, second.patients) == (0, 0, 0, 0)
        assert (second.schedules, second.absences, second.appointments) == (0, 0, 0)
        session = app.appbuilder.session
        assert session.scalar(select(func.count()).select_from(Patient)) == 40
        assert session.scalar(select(func.count()).select_from(Room)) == 8
        nirs = session.scalars(select(Patient.nir)).all()
        assert all(nir_error(nir) is None for nir in nirs)
        doctor = session.scalar(select(Staff).where(Staff.user.has(username="doctor")))
        assert doctor.profession == "doctor" and doctor.rpps
    client = app.test_client()
    for username in ("doctor", "nurse", "secretary", "radiologist"):
        assert api_token(client, username, "Demo-pass-1")


def test_demo_password_is_generated_when_not_configured(app, sql_conn):
    sql_conn.execute("DELETE FROM ab_user WHERE username = 'nurse'")
    with app.app_context():
        summary = seed_demo_data(app.appbuilder, password=None, patient_count=0)
    assert summary.users == 1 and summary.generated_password
    assert api_token(app.test_client(), "nurse", summary.generated_password)


def test_api_login_is_rate_limited(database_url):
    app = make_test_app(database_url, AUTH_RATE_LIMITED=True, AUTH_RATE_LIMIT="3 per minute")
    try:
        client = app.test_client()
        codes = [
            client.post(
                "/api/v1/security/login", json={"username": "doctor", "password": "bad", "provider": "db"}
            ).status_code
            for _ in range(4)
        ]
        assert codes == [401, 401, 401, 429]
    finally:
        dispose(app)
