"""`make run`: embedded PostgreSQL when DATABASE_URL is unset, migrate, set
up, serve; the embedded server stops with the app.

Each step prints what it does.  Usable on its own: `.venv/bin/python -m app.launcher`.
"""

import os
import signal
import sys
from contextlib import ExitStack, suppress
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def say(message: str) -> None:
    print(f"[caretrail] {message}", flush=True)


def _stop_on_sigterm(_signum, _frame):
    # Turn `kill` into a normal exit so the embedded server is stopped too.
    raise KeyboardInterrupt


def start_embedded_database(stack: ExitStack, instance_dir: Path) -> str:
    from app.embedded_postgres import EmbeddedPostgres, EmbeddedPostgresError, ensure_postgres_installed

    try:
        ensure_postgres_installed(install=True)
        server = EmbeddedPostgres(instance_dir / "postgres" / "data", log=say)
        server.start()
    except EmbeddedPostgresError as exc:
        say(f"cannot start the embedded PostgreSQL: {exc}")
        sys.exit(1)
    stack.callback(server.stop)
    say(f"embedded PostgreSQL ready, data in {server.data_dir}")
    return server.url()


APP_LOGIN_ROLE = "caretrail_web"


def ensure_app_login_role(owner_url: str) -> str:
    """The URL the app uses on the embedded server: a login role in
    caretrail_app (created by the migrations), which may read and write
    records but not alter the schema nor touch the audit."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    engine = create_engine(owner_url)
    with engine.begin() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": APP_LOGIN_ROLE}).first()
        if not exists:
            connection.execute(text(f"CREATE ROLE {APP_LOGIN_ROLE} LOGIN IN ROLE caretrail_app"))
    engine.dispose()
    return make_url(owner_url).set(username=APP_LOGIN_ROLE).render_as_string(hide_password=False)


def main() -> None:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    instance_dir = Path(os.environ.get("CARETRAIL_INSTANCE_PATH", PROJECT_DIR / "instance"))
    with ExitStack() as stack:
        embedded = not os.environ.get("DATABASE_URL")
        if embedded:
            owner_url = start_embedded_database(stack, instance_dir)
            # Migrations run as the cluster's owner, the app as caretrail_web.
            os.environ["MIGRATION_DATABASE_URL"] = owner_url
            os.environ["DATABASE_URL"] = owner_url
            os.environ["CARETRAIL_EMBEDDED_DB"] = "1"
        else:
            say("DATABASE_URL is set: using that server, starting no database")
        # Config reads the environment when imported: only now.
        from flask_migrate import upgrade
        from sqlalchemy.engine import make_url

        from app import create_app
        from app.bootstrap import prepare_to_serve
        from app.core.extensions import db
        from app.demo.hospital import seed_demo_data

        app = create_app()
        with app.app_context():
            say("migrating the schema to the latest version")
            upgrade()
        if embedded:
            with app.app_context():
                db.engine.dispose()  # the owner's connections: the app runs as caretrail_web
            app = create_app(SQLALCHEMY_DATABASE_URI=ensure_app_login_role(os.environ["MIGRATION_DATABASE_URL"]))
        say(f"database: {make_url(app.config['SQLALCHEMY_DATABASE_URI']).render_as_string(hide_password=True)}")
        with app.app_context():
            prepare_to_serve(app, log=say)
            if app.config["DEMO_DATA"]:
                say("loading demo data (DEMO_DATA is on)")
                say(f"demo data: {seed_demo_data(app.appbuilder, password=app.config['DEMO_PASSWORD'])}")
        host = os.environ.get("HOST", "127.0.0.1")
        port = int(os.environ.get("PORT", "5000"))
        say(f"open http://{host}:{port}/  (Ctrl+C stops the app and its database)")
        with suppress(KeyboardInterrupt):
            app.run(host=host, port=port, debug=False, use_reloader=False, threaded=True)
        say("stopping")


if __name__ == "__main__":
    main()
