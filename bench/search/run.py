"""The global search at 1M patients: typo-tolerant name search p50/p95,
and the plan that proves it is index-backed.

    .venv/bin/python -m bench.search.run [--server-url postgresql://postgres@127.0.0.1:5432/postgres]
                                         [--database caretrail_bench20] [--patients 1000000] [--repeat 30]

The first run creates the database, migrates it and fills it with
bench/load/generate.py (1M patients at --patients 1000000, with their
appointments and the bench users); later runs reuse it.  Each query is
GET /api/v1/search?q= through the app (a secretary's JWT), so the timing
includes the rules, the role filtering and the JSON.
"""

import argparse
import statistics
import time

import psycopg
import sqlalchemy as sa
from psycopg import sql
from sqlalchemy.engine import make_url

QUERIES = {
    "typo (dubuis)": "dubuis",
    "typo (moreua)": "moreua",
    "exact common (martin)": "martin",
    "accents + first name (helene dubois)": "HELENE dubois",
    "birth date (12/03/1985)": "12/03/1985",
    "NIR with spaces": "1 85 05 78 006 084 91",
}


def ensure_database(server_url: str, name: str, patients: int) -> str:
    admin = make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    url = make_url(server_url).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as conn:
        migrated = conn.execute("SELECT to_regclass('public.patients')").fetchone()[0]
        have = conn.execute("SELECT count(*) FROM patients").fetchone()[0] if migrated else 0
    if not migrated:
        from bench._database import _migrate

        _migrate(url)
    if have < patients:
        from bench.load.generate import PATIENTS_AT_SCALE_1, generate
        from bench.load.users import ensure_users

        generate(conninfo, patients / PATIENTS_AT_SCALE_1)
        ensure_users(url)
    return url


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="caretrail_bench20")
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    url = ensure_database(args.server_url, args.database, args.patients)

    from app import create_app
    from app.core.extensions import db
    from app.core.search import similar_names
    from app.records.models import Patient
    from bench.load.users import PASSWORD
    from config import Config

    app = create_app(Config, SQLALCHEMY_DATABASE_URI=url, MIGRATION_DATABASE_URL=None, MFA_REQUIRED_ROLES="")
    client = app.test_client()
    login = client.post(
        "/api/v1/security/login", json={"username": "bench_secretary1", "password": PASSWORD, "provider": "db"}
    )
    headers = {"Authorization": f"Bearer {login.get_json()['access_token']}"}
    with app.app_context():
        total = db.session.scalar(sa.text("SELECT count(*) FROM patients"))
    print(f"[search] {total:,} patients in {args.database}; {args.repeat} runs per query (after one warm-up)")
    print(f"{'query':<40} {'p50 ms':>8} {'p95 ms':>8} {'found':>6}")
    for label, q in QUERIES.items():
        client.get("/api/v1/search", query_string={"q": q}, headers=headers)
        times, found = [], 0
        for _ in range(args.repeat):
            started = time.perf_counter()
            answer = client.get("/api/v1/search", query_string={"q": q}, headers=headers)
            times.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200, answer.get_json()
            found = len(answer.get_json()["groups"].get("patients", []))
        print(f"{label:<40} {statistics.median(times):>8.1f} {percentile(times, 95):>8.1f} {found:>6}")

    with app.app_context():
        query = sa.select(Patient.id).where(similar_names(Patient, ["dubuis"])).limit(8)
        compiled = str(query.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
        raw = db.engine.raw_connection()  # no parameters: the compiled text's %% are plain %
        try:
            plan = [row[0] for row in raw.cursor().execute("EXPLAIN " + compiled.replace("%%", "%")).fetchall()]
        finally:
            raw.close()
    print("[search] plan of the typo fallback (similar last names to 'dubuis'):")
    for line in plan:
        print("   ", line)
    used = [line.strip() for line in plan if "Index" in line and "search" in line]
    print("[search] index-backed:", "yes, " + used[0] if used else "NO")


if __name__ == "__main__":
    main()
