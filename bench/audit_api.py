"""The audit API on a large log: page 1 vs page 100 of a filtered search, and the stats.

    .venv/bin/python -m bench.audit_api [--database-url URL] [--size 5000000]

Fills audit_log like bench/audit_search (one entry every 3 seconds), then
calls the real endpoints through the Flask app with an admin's JWT:
POST /api/audit/search walked page by page with its cursor, and
GET /api/audit/stats for 30 days.  Keyset pagination means page 100 costs
about what page 1 costs; the same page read with OFFSET is printed next to it
for contrast.  Times are medians of several walks.
"""

import argparse
import statistics
import time

import psycopg

from bench._database import benchmark_database
from bench.audit_search import fill

PAGE_SIZE = 50
PAGES = 100
WALKS = 5
ADMIN_PASSWORD = "Bench-Admin-Password-1"  # noqa: S105 (a throwaway database)
SEARCHES = {
    "all entries": {},
    "patients, updates": {"table": "patients", "action": "UPDATE"},
    "one user": {"user": "user7"},
}


def make_client(url: str):
    from app import create_app
    from app.security.sync import sync_roles
    from config import Config

    app = create_app(Config, SQLALCHEMY_DATABASE_URI=url, MIGRATION_DATABASE_URL=None, RATELIMIT_ENABLED=False)
    with app.app_context():
        sync_roles(app.appbuilder)
        sm = app.appbuilder.sm
        sm.add_user("bench", "Bench", "Admin", "bench@bench.local", sm.find_role("Admin"), password=ADMIN_PASSWORD)
    client = app.test_client()
    login = client.post(
        "/api/v1/security/login", json={"username": "bench", "password": ADMIN_PASSWORD, "provider": "db"}
    )
    return client, {"Authorization": f"Bearer {login.get_json()['access_token']}"}


def walk(client, headers, filters: dict) -> tuple[float, float]:
    """Milliseconds for page 1 and for page PAGES of one walk through the cursors."""
    cursor, first, last = None, 0.0, 0.0
    for page in range(1, PAGES + 1):
        body = {**filters, "page_size": PAGE_SIZE, **({"cursor": cursor} if cursor else {})}
        started = time.perf_counter()
        response = client.post("/api/audit/search", headers=headers, json=body)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.get_data(as_text=True)
        cursor = response.get_json()["next_cursor"]
        if page == 1:
            first = elapsed
        last = elapsed
        if not cursor:
            raise SystemExit(f"only {page} pages for {filters}: fill more entries")
    return first, last


def offset_page(conn, filters: dict, page: int) -> float:
    """The same page read the naive way, with OFFSET (SQL only, for contrast)."""
    where = ["true"]
    params: dict = {}
    if "table" in filters:
        where.append("table_name = %(table)s")
        params["table"] = f"public.{filters['table']}"
    if "action" in filters:
        where.append("operation = %(action)s")
        params["action"] = filters["action"]
    if "user" in filters:
        where.append("app_username = %(user)s")
        params["user"] = filters["user"]
    query = (
        f"SELECT * FROM audit_log WHERE {' AND '.join(where)} "
        f"ORDER BY occurred_at DESC, id DESC LIMIT {PAGE_SIZE} OFFSET {(page - 1) * PAGE_SIZE}"
    )
    timings = []
    for _ in range(WALKS):
        started = time.perf_counter()
        conn.execute(query, params).fetchall()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--size", type=int, default=5_000_000)
    args = parser.parse_args()

    with benchmark_database(args.database_url) as (url, conninfo), psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")
        # The newest entries end now, so "the last 30 days" has data.
        origin = conn.execute(
            "SELECT date_trunc('minute', now() - make_interval(secs => %s * 3))", [args.size]
        ).fetchone()[0]
        conn.execute("SELECT audit_ensure_partitions(1, %s::date)", [origin])
        print(f"filling audit_log to {args.size:,} entries", flush=True)
        fill(conn, origin, 1, args.size)
        client, headers = make_client(url)

        print(f"\n{'search':<22}{'page 1 (ms)':>13}{'page 100 (ms)':>15}{'ratio':>8}{'OFFSET p.100 (ms)':>20}")
        for name, filters in SEARCHES.items():
            walk(client, headers, filters)  # warm-up
            firsts, lasts = zip(*(walk(client, headers, filters) for _ in range(WALKS)), strict=True)
            first, last = statistics.median(firsts), statistics.median(lasts)
            offset = offset_page(conn, filters, PAGES)
            print(f"{name:<22}{first:>13.1f}{last:>15.1f}{last / first:>8.2f}{offset:>20.1f}")

        timings = []
        for _ in range(WALKS):
            started = time.perf_counter()
            response = client.get("/api/audit/stats", headers=headers)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.get_data(as_text=True)
        entries = min(args.size, 30 * 86400 // 3)
        print(f"\nGET /api/audit/stats, last 30 days (~{entries:,} entries): {statistics.median(timings):.0f} ms")
        print(f"\n{args.size:,} entries; median of {WALKS} walks of {PAGES} pages of {PAGE_SIZE}")


if __name__ == "__main__":
    main()
