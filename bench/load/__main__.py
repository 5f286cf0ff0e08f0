"""`make bench`'s short form of the load test: a throwaway database filled at
--scale 0.02 (10,000 patients), then bench.load.run on it for 15 seconds.

    .venv/bin/python -m bench.load [--database-url SERVER_URL] [--scale 0.02] [--seconds 15] [--baseline DIR]

The figures of the README come from the full form: bench.load.generate
--scale 1 into a database you keep, then bench.load.run against it."""

import argparse
import sys

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from bench._database import benchmark_database
from bench.load import run
from bench.load.generate import generate
from bench.load.users import ensure_users

APP_ROLE, APP_PASSWORD = "caretrail_bench_app", "caretrail-bench-app"


def app_role_url(url: str, conninfo: str) -> str:
    """A login role member of caretrail_app, as the app runs in production."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE]).fetchone():
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE caretrail_app").format(
                    sql.Identifier(APP_ROLE), sql.Literal(APP_PASSWORD)
                )
            )
    return make_url(url).set(username=APP_ROLE, password=APP_PASSWORD).render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a server whose user may CREATE DATABASE (else embedded)")
    parser.add_argument("--scale", type=float, default=0.02)
    parser.add_argument("--seconds", default="15")
    parser.add_argument("--baseline", help="another checkout to compare with")
    args = parser.parse_args()
    with benchmark_database(args.database_url) as (url, conninfo):
        generate(conninfo, args.scale)
        ensure_users(url)
        argv = ["bench.load.run", "--database-url", url, "--app-database-url", app_role_url(url, conninfo)]
        argv += ["--seconds", args.seconds, "--repeat", "5"]
        if args.baseline:
            argv += ["--baseline", args.baseline]
        sys.argv = argv
        run.main()


if __name__ == "__main__":
    main()
