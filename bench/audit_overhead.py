"""Write throughput on `patients` with the audit trigger and without.

    .venv/bin/python -m bench.audit_overhead [--database-url URL] [--rounds 5] [--clients 4]

Five designs are measured in the same run, interleaved round by round:
  none       no audit trigger
  row        CareTrail's AFTER ROW triggers (audit_capture.sql in triggers/)
  statement  statement-level triggers with transition tables, one
             INSERT ... SELECT per statement (bench/sql/statement_trigger.sql)
  lean       the floor: a bare row trigger copying old/new as JSONB into an
             unindexed table, without attribution, masking or changed
             columns (bench/sql/lean_trigger.sql)
  indexed    the floor for a log the DBA's questions can use: the same bare
             trigger, plus the row's key, transaction and user and the four
             btrees those questions need (bench/sql/lean_trigger.sql)
for single-row INSERT, UPDATE, DELETE (one transaction each) and a 1,000-row
UPDATE, with several concurrent clients.  Prints audited/unaudited ratios:
median and [min - max] over the rounds.  Sessions run with
synchronous_commit=off by default so the commit's disk flush does not hide
the trigger's own cost; --synchronous-commit on measures what production
(which keeps the default, on) sees.
"""

import argparse
import contextlib
import multiprocessing
import statistics
import threading
import time
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

from app.core.db_context import context_record
from bench._database import benchmark_database
from bench.audit_instructions import BENCH_ACTOR

DESIGNS = ("none", "row", "statement", "lean", "indexed")
WORKLOADS = ("insert", "update", "delete", "bulk_update")
BASE_ROWS = 20_000
BULK_SIZE = 1_000


def set_design(conn, design: str) -> None:
    conn.execute("SELECT audit_detach('public.patients')")
    conn.execute("SELECT bench_detach_statement_triggers('public.patients')")
    conn.execute("SELECT bench_detach_lean_trigger('public.patients')")
    if design == "row":
        conn.execute("SELECT audit_attach('public.patients')")
    elif design == "statement":
        conn.execute("SELECT bench_attach_statement_triggers('public.patients')")
    elif design == "lean":
        conn.execute("SELECT bench_attach_lean_trigger('public.patients')")
    elif design == "indexed":
        conn.execute("SELECT bench_attach_indexed_trigger('public.patients')")


def run_clients(conninfo: str, clients: int, work, synchronous_commit: str) -> float:
    """Run work(conn, client_number) in parallel processes; returns elapsed seconds.

    Processes, not threads: with threads the clients share one interpreter
    lock, the client side becomes the bottleneck and the ratios swing from
    round to round (seen here: 0.5 to 1.2 for the same design)."""
    context = multiprocessing.get_context("fork")
    ready = context.Barrier(clients + 1)
    errors = context.SimpleQueue()

    def client(n: int) -> None:
        try:
            with psycopg.connect(conninfo, autocommit=True) as conn:
                conn.execute("SELECT set_config('synchronous_commit', %s, false)", [synchronous_commit])
                for name, value in {"context": context_record(BENCH_ACTOR), **BENCH_ACTOR}.items():
                    conn.execute("SELECT set_config(%s, %s, false)", [f"caretrail.{name}", value])
                ready.wait()
                work(conn, n)
        except Exception as exc:  # reported to the parent, re-raised below
            errors.put(f"client {n}: {exc!r}")
            ready.abort()

    processes = [context.Process(target=client, args=(n,)) for n in range(clients)]
    for process in processes:
        process.start()
    # A client that failed before starting breaks the barrier; its error is in the queue.
    with contextlib.suppress(threading.BrokenBarrierError):
        ready.wait()
    started = time.perf_counter()
    for process in processes:
        process.join()
    elapsed = time.perf_counter() - started
    if not errors.empty():
        raise RuntimeError(errors.get())
    return elapsed


def measure(conninfo: str, admin, design: str, args) -> dict[str, float]:
    """Operations (rows for the bulk update) per second for each workload."""
    clients, ops, bulk_ops = args.clients, args.ops, args.bulk_ops
    set_design(admin, design)
    # Rows each client will update or delete, made outside the timing.
    first_id = admin.execute("SELECT coalesce(max(id), 0) + 1 FROM patients").fetchone()[0]
    set_design(admin, "none")
    admin.execute(
        "INSERT INTO patients (last_name, first_name, birth_date, sex) "
        "SELECT 'Victim' || g, 'X', DATE '1980-01-01', 'M' FROM generate_series(1, %s) g",
        [clients * ops],
    )
    set_design(admin, design)
    rates = {}

    def insert(conn, n):
        for i in range(ops):
            conn.execute(
                "INSERT INTO patients (last_name, first_name, birth_date, sex, city) "
                "VALUES (%s, 'Bench', DATE '1990-01-01', 'F', 'Paris')",
                [f"Client{n}-{i}"],
            )

    def update(conn, n):
        for i in range(ops):
            conn.execute(
                "UPDATE patients SET city = %s WHERE id = %s",
                [f"City {time.monotonic_ns()}", (n * 997 + i * 13) % BASE_ROWS + 1],
            )

    def delete(conn, n):
        start = first_id + n * ops
        for i in range(ops):
            conn.execute("DELETE FROM patients WHERE id = %s", [start + i])

    def bulk_update(conn, n):
        start = 1 + n * BULK_SIZE
        for _ in range(bulk_ops):
            conn.execute(
                "UPDATE patients SET city = %s WHERE id BETWEEN %s AND %s",
                [f"Bulk {time.monotonic_ns()}", start, start + BULK_SIZE - 1],
            )

    for name, work, count in (
        ("insert", insert, clients * ops),
        ("update", update, clients * ops),
        ("delete", delete, clients * ops),
        ("bulk_update", bulk_update, clients * bulk_ops * BULK_SIZE),
    ):
        rates[name] = count / run_clients(conninfo, clients, work, args.synchronous_commit)
    admin.execute("VACUUM (ANALYZE) patients")
    return rates


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} [{min(values):.2f} - {max(values):.2f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="server to use (default: embedded PostgreSQL)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--ops", type=int, default=1500, help="single-row operations per client per workload")
    parser.add_argument("--bulk-ops", type=int, default=5, help="1,000-row updates per client per round")
    parser.add_argument(
        "--drop-index", action="append", default=[], help="drop this audit_log index first (to measure its cost)"
    )
    parser.add_argument("--synchronous-commit", choices=("on", "off"), default="off")
    args = parser.parse_args()

    with benchmark_database(args.database_url) as (_url, conninfo), psycopg.connect(conninfo, autocommit=True) as admin:
        for script in ("statement_trigger.sql", "lean_trigger.sql"):
            admin.execute((Path(__file__).parent / "sql" / script).read_text())
        # The clients log in like the application does: a member of
        # caretrail_app, not a superuser (the trigger's trust check and the
        # SECURITY DEFINER switch then take the production path).
        admin.execute(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'caretrail_bench') THEN "
            "CREATE ROLE caretrail_bench LOGIN; END IF; END $$"
        )
        admin.execute("GRANT caretrail_app TO caretrail_bench")
        admin.execute("GRANT INSERT ON bench_lean_log, bench_indexed_log TO caretrail_app")
        client_conninfo = make_conninfo(conninfo, user="caretrail_bench")
        for index in args.drop_index:
            admin.execute(f"DROP INDEX {index}")
        admin.execute("SELECT audit_detach('public.patients')")
        admin.execute(
            "INSERT INTO patients (last_name, first_name, birth_date, sex, city) "
            "SELECT 'Base' || g, 'Row', DATE '1970-01-01' + (g %% 15000), 'F', 'Lyon' FROM generate_series(1, %s) g",
            [BASE_ROWS],
        )
        admin.execute("VACUUM (ANALYZE) patients")
        version = admin.execute("SHOW server_version").fetchone()[0]
        print(f"PostgreSQL {version}; {args.clients} clients, {args.ops} single-row ops per client, "
              f"{args.bulk_ops} x {BULK_SIZE}-row updates per client, {args.rounds} rounds, "
              f"synchronous_commit={args.synchronous_commit}")  # fmt: skip
        results = {design: {w: [] for w in WORKLOADS} for design in DESIGNS}
        for round_number in range(args.rounds):
            # Rotate the order so no design always runs first (warm caches) or last.
            shift = round_number % len(DESIGNS)
            order = DESIGNS[shift:] + DESIGNS[:shift]
            for design in order:
                for workload, rate in measure(client_conninfo, admin, design, args).items():
                    results[design][workload].append(rate)
            print(f"  round {round_number + 1}/{args.rounds} done ({', '.join(order)})", flush=True)
        set_design(admin, "row")

    print()
    audited = {
        "row": "row (CareTrail)",
        "statement": "statement",
        "lean": "lean (floor)",
        "indexed": "lean + 4 btrees",
    }
    print(f"{'workload':<14}{'unaudited ops/s':>17}" + "".join(f"{label:>22}" for label in audited.values()))
    for workload in WORKLOADS:
        base = results["none"][workload]
        ratios = {design: [a / b for a, b in zip(results[design][workload], base, strict=True)] for design in audited}
        print(f"{workload:<14}{statistics.median(base):>17,.0f}" + "".join(f"{spread(ratios[d]):>22}" for d in audited))
    print("\nratio = audited throughput / unaudited throughput in the same round (1.00 = no overhead)")


if __name__ == "__main__":
    main()
