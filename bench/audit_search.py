"""The DBA's questions on a large audit_log: time at 1M and at 10M entries.

    .venv/bin/python -m bench.audit_search [--database-url URL] [--sizes 1000000,10000000] [--explain]

Fills audit_log with synthetic entries (one every 3 seconds, 50 users, five
tables, 200,000 records), then times each documented question (median of
several runs with random parameters) at each size and prints the ratio of the
largest size to the smallest.  An index-backed query stays nearly flat; a scan
grows tenfold.  --explain prints each query's plan at the first size.
"""

import argparse
import random
import statistics
import time

import psycopg

from bench._database import benchmark_database

STEP_SECONDS = 3
RUNS = 15

QUESTIONS = {
    "history of one record": (
        "SELECT * FROM audit_log WHERE table_name = 'public.patients' AND row_pk = %(record)s ORDER BY id DESC LIMIT 50"
    ),
    "one user, one day": (
        "SELECT * FROM audit_log WHERE app_username = %(user)s"
        " AND occurred_at >= %(day)s AND occurred_at < %(day)s + interval '1 day' ORDER BY occurred_at DESC LIMIT 100"
    ),
    "everything in 10 minutes": (
        "SELECT * FROM audit_log WHERE occurred_at >= %(day)s AND occurred_at < %(day)s + interval '10 minutes'"
        " ORDER BY occurred_at"
    ),
    "one transaction": "SELECT * FROM audit_log WHERE txid = %(txid)s::xid8 ORDER BY id",
    "changes of one column, one day": (
        "SELECT * FROM audit_log WHERE changed_columns @> ARRAY['blood_group']"
        " AND occurred_at >= %(day)s AND occurred_at < %(day)s + interval '1 day' LIMIT 100"
    ),
    # The audit screens' patient filter (app/audit/search.py): the patient's
    # own row and every row holding its patient_id (audit_log.patient_id).
    "one patient's history": (
        "SELECT * FROM audit_log WHERE (table_name = 'public.patients' AND row_pk = %(record)s)"
        " OR (patient_id IS NOT NULL AND patient_id = %(record)s) ORDER BY occurred_at DESC, id DESC LIMIT 50"
    ),
    # What audit_seal() reads (triggers/0021/05_audit_seal.sql): the entries
    # of transactions since the previous seal's snapshot, or pending then.
    "what the next seal reads": (
        "SELECT id FROM audit_log WHERE txid >= %(recent)s::xid8 OR txid = ANY (ARRAY[%(txid)s::xid8]) ORDER BY id"
    ),
    "deletions in one week": (
        "SELECT * FROM audit_log WHERE operation = 'DELETE'"
        " AND occurred_at >= %(day)s AND occurred_at < %(day)s + interval '7 days' LIMIT 500"
    ),
}

FILL = f"""
INSERT INTO audit_log (occurred_at, txid, statement_id, table_name, operation, row_pk, old_row, new_row,
                       changed_columns, app_user_id, app_username, db_user, application_name, request_id,
                       patient_id)
SELECT %(origin)s::timestamptz + make_interval(secs => g * {STEP_SECONDS}),
       ((g / 3) + 1000)::text::xid8,
       g / 3,
       (ARRAY['public.patients', 'public.patients', 'public.staff', 'public.rooms', 'public.appointments'])[1 + g %% 5],
       CASE WHEN g %% 50 = 0 THEN 'DELETE' WHEN g %% 7 = 0 THEN 'INSERT' ELSE 'UPDATE' END,
       (1 + (g * 7919) %% 200000)::text,
       CASE WHEN g %% 7 = 0 AND g %% 50 <> 0 THEN NULL
            ELSE jsonb_build_object('id', g, 'city', 'Lyon', 'phone', '+33123456789', 'blood_group', 'A+')
                 || CASE WHEN g %% 5 = 4 THEN jsonb_build_object('patient_id', 1 + (g * 7919) %% 200000)
                         ELSE '{{}}' END END,
       CASE WHEN g %% 50 = 0 THEN NULL
            ELSE jsonb_build_object('id', g, 'city', 'Paris', 'phone', '+33123456789', 'blood_group', 'O-')
                 || CASE WHEN g %% 5 = 4 THEN jsonb_build_object('patient_id', 1 + (g * 7919) %% 200000)
                         ELSE '{{}}' END END,
       CASE WHEN g %% 50 = 0 OR g %% 7 = 0 THEN NULL
            WHEN g %% 11 = 0 THEN ARRAY['blood_group', 'updated_at'] ELSE ARRAY['city', 'updated_at'] END,
       g %% 50, 'user' || g %% 50, 'caretrail_web', 'caretrail-web', md5(g::text),
       CASE WHEN g %% 5 = 4 THEN (1 + (g * 7919) %% 200000)::text END
  FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g
"""


def fill(conn, origin, first: int, last: int) -> None:
    batch = 500_000
    for start in range(first, last + 1, batch):
        conn.execute(FILL, {"origin": origin, "first": start, "last": min(start + batch - 1, last)})
        print(f"  filled up to {min(start + batch - 1, last):,}", flush=True)
    conn.execute("VACUUM (ANALYZE) audit_log")


def parameters(rng: random.Random, origin, size: int) -> dict:
    g = rng.randint(1, size)
    return {
        "record": str(1 + (rng.randint(1, size) * 7919) % 200_000),
        "user": f"user{rng.randint(0, 49)}",
        "day": origin.__class__.fromtimestamp(origin.timestamp() + g * STEP_SECONDS, origin.tzinfo),
        "txid": str(g // 3 + 1000),
        "recent": str(size // 3 + 1000 - 100),  # about 300 entries written since the previous seal
    }


def time_question(conn, query: str, origin, size: int) -> float:
    rng = random.Random(42)
    timings = []
    for _ in range(RUNS):
        params = parameters(rng, origin, size)
        started = time.perf_counter()
        conn.execute(query, params).fetchall()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    with benchmark_database(args.database_url) as (_url, conninfo), psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")
        origin = conn.execute("SELECT date_trunc('day', now() - interval '360 days')").fetchone()[0]
        conn.execute("SELECT audit_ensure_partitions(1, %s::date)", [origin])
        results: dict[str, list[float]] = {q: [] for q in QUESTIONS}
        filled = 0
        for size in sizes:
            print(f"filling audit_log to {size:,} entries", flush=True)
            fill(conn, origin, filled + 1, size)
            filled = size
            for question, query in QUESTIONS.items():
                time_question(conn, query, origin, size)  # warm-up
                results[question].append(time_question(conn, query, origin, size))
            if args.explain and size == sizes[0]:
                for question, query in QUESTIONS.items():
                    plan = conn.execute("EXPLAIN " + query, parameters(random.Random(1), origin, size)).fetchall()
                    print(f"\n-- {question}\n" + "\n".join(row[0] for row in plan))

    header = "".join(f"{f'{s:,} (ms)':>16}" for s in sizes)
    print(f"\n{'question':<34}{header}{'ratio':>10}")
    for question, timings in results.items():
        cells = "".join(f"{t:>16.2f}" for t in timings)
        print(f"{question:<34}{cells}{timings[-1] / timings[0]:>10.2f}")
    print(f"\nratio = time at {sizes[-1]:,} / time at {sizes[0]:,} (median of {RUNS} runs each)")


if __name__ == "__main__":
    main()
