"""The load test's users: 20 people signed in at once, as in the issue's run.

bench_secretary1..10, bench_doctor1..6 (each linked to a generated doctor,
so "my agenda" is theirs), bench_nurse1..2, bench_auditor1..2; all with the
password PASSWORD.  The load test serves the app with MFA_REQUIRED_ROLES
empty: a benchmark has no phone to read a code from."""

PASSWORD = "Bench-Load-2026!"  # noqa: S105 (the generated bench users only)
USERS = (
    [(f"bench_secretary{i}", "Secretary") for i in range(1, 11)]
    + [(f"bench_doctor{i}", "Doctor") for i in range(1, 7)]
    + [(f"bench_nurse{i}", "Nurse") for i in range(1, 3)]
    + [(f"bench_auditor{i}", "Auditor") for i in range(1, 3)]
)


def ensure_users(database_url: str) -> None:
    from sqlalchemy import text

    from app import create_app
    from app.core.extensions import db
    from app.security.sync import sync_roles
    from config import Config

    app = create_app(Config, SQLALCHEMY_DATABASE_URI=database_url, MIGRATION_DATABASE_URL=None)
    with app.app_context():
        sync_roles(app.appbuilder)
        sm = app.appbuilder.sm
        for username, role in USERS:
            user = sm.find_user(username=username)
            if user is None:
                email = f"{username}@bench.local"
                user = sm.add_user(username, username, "Bench", email, sm.find_role(role), password=PASSWORD)
            if role == "Doctor":
                rpps = f"{90000000000 + int(username.removeprefix('bench_doctor')):011d}"
                db.session.execute(
                    text("UPDATE staff SET user_id = :uid WHERE rpps = :rpps AND user_id IS NULL"),
                    {"uid": user.id, "rpps": rpps},
                )
        db.session.commit()
        db.engine.dispose()
    print(f"[generate] {len(USERS)} load-test users ready (password {PASSWORD!r})", flush=True)
