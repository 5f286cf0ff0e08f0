"""A freshly migrated database for a benchmark run.

--database-url (or BENCH_DATABASE_URL) names a server whose user may CREATE
DATABASE; without it a throwaway embedded PostgreSQL is started, with fsync
ON (benchmarks must pay for durability like production does).
"""

import os
import shutil
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url


@contextmanager
def benchmark_database(server_url: str | None = None):
    """Yields (sqlalchemy_url, psycopg_conninfo) of a new migrated database; drops it afterwards."""
    server_url = server_url or os.environ.get("BENCH_DATABASE_URL")
    embedded = None
    base = None
    if not server_url:
        from app.embedded_postgres import EmbeddedPostgres

        base = Path(tempfile.mkdtemp(prefix="caretrail-bench-", dir="/tmp"))
        base.chmod(0o755)
        embedded = EmbeddedPostgres(base / "data", dbname="postgres", log=lambda m: print(f"[bench] {m}"))
        embedded.start()
        server_url = embedded.url("postgres")
    name = f"caretrail_bench_{uuid.uuid4().hex[:8]}"
    admin = make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(server_url).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    try:
        _migrate(url)
        yield url, make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if embedded:
            embedded.stop()
            shutil.rmtree(base, ignore_errors=True)


def _migrate(url: str) -> None:
    import logging

    from flask_migrate import upgrade

    from app import create_app
    from app.core.extensions import db
    from config import Config

    logging.getLogger("alembic").setLevel(logging.WARNING)
    app = create_app(Config, SQLALCHEMY_DATABASE_URI=url, MIGRATION_DATABASE_URL=None)
    with app.app_context():
        upgrade()
        db.engine.dispose()
