"""Instructions per audited write, counted by callgrind: the same figures on
a busy machine as on an idle one, unlike throughput.

    .venv/bin/python -m bench.audit_instructions [--ops 200]

Starts a throwaway PostgreSQL cluster, migrates a database, then runs the
server under `valgrind --tool=callgrind` (so needs valgrind).  For each
single-row workload (INSERT, UPDATE, DELETE on `patients`, one transaction
each, driven by a PL/pgSQL procedure so that no client is counted) and each
design (none, CareTrail's row triggers, the lean floor of bench/sql/,
that floor with the four btrees the DBA's questions need, and two
well-known open audit triggers kept in ../shared/anchors/ for comparison
only: 2ndQuadrant's 91plus and supa_audit 0.3.1, each installed into a
schema of its own and attached with its own defaults), one
backend logged in as a member of caretrail_app warms up, then writes --ops
rows, three times (medians are printed: a backend's count moves by a few
thousand instructions from one run to the next).  Only the measured rows
are counted (callgrind zeroes its counters at each CALL), not what a
backend pays once (start-up, loading hstore, compiling the trigger
function), which a pooled connection pays once for thousands of writes.

Prints the instructions of an unaudited write; what the AFTER triggers add
(callgrind's inclusive cost of AfterTriggerEndQuery, minus what the
unaudited write spends there: foreign-key cascades) with the ratio
unaudited / (unaudited + that); and "whole", unaudited / audited
instructions of the whole backend per write, which also counts what the
audit costs outside the trigger function (a trigger's WHEN clause, queueing
the trigger events, more locks to release at commit).  What the server
spends outside the backend (WAL writer, fsync) and the client are not
counted.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from app.core.db_context import context_record
from bench._database import _migrate

# The reference triggers (not CareTrail's code, never copied into it): read
# from the shared anchors directory and renamed on the way in, as its README says.
ANCHORS = Path(os.environ.get("AUDIT_ANCHORS_DIR", Path(__file__).resolve().parents[2] / "shared" / "anchors"))
ANCHOR_RENAMES = {
    "audit_trigger_91plus.sql": ((r"\baudit\.", "a91."), (r"SCHEMA audit\b", "SCHEMA a91")),
    "supa_audit--0.3.1.sql": (
        (r"\baudit\.", "asupa."),
        (r"schema if not exists audit\b", "schema if not exists asupa"),
        (r"(?m)^.*pg_extension_config_dump.*$", ""),
    ),
}

# What a request of the application tells the audit (app/core/db_context.py).
BENCH_ACTOR = {
    "user_id": "1",
    "username": "bench",
    "request_id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    "client_addr": "192.0.2.10",
    "reason": "",
    "on_behalf_of": "",
}

WARM_UP = 30
RUNS = 3
PROCEDURES = """
CREATE OR REPLACE PROCEDURE bench_insert(n int) LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1 .. n LOOP
        INSERT INTO patients (last_name, first_name, birth_date, sex, city)
        VALUES ('Ins' || i, 'Bench', DATE '1990-01-01', 'F', 'Paris');
        COMMIT;
    END LOOP;
END $$;
CREATE OR REPLACE PROCEDURE bench_update(n int) LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1 .. n LOOP
        UPDATE patients SET city = 'City ' || i || '-' || random() WHERE id = 1 + (i * 7919) % 20000;
        COMMIT;
    END LOOP;
END $$;
CREATE OR REPLACE PROCEDURE bench_delete(n int) LANGUAGE plpgsql AS $$
DECLARE victim bigint;
BEGIN
    FOR i IN 1 .. n LOOP
        SELECT max(id) INTO victim FROM patients;
        DELETE FROM patients WHERE id = victim;
        COMMIT;
    END LOOP;
END $$;
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=200, help="writes counted per backend (after a warm-up)")
    parser.add_argument(
        "--drop-index", action="append", default=[], help="drop this audit_log index first (to count its cost)"
    )
    parser.add_argument(
        "--only", action="append", default=[], help="measure only this design (and the unaudited write); repeatable"
    )
    args = parser.parse_args()
    if not shutil.which("valgrind") or not shutil.which("callgrind_annotate"):
        raise SystemExit("valgrind is needed: apt-get install valgrind")

    from app.embedded_postgres import EmbeddedPostgres

    base = Path(tempfile.mkdtemp(prefix="caretrail-callgrind-", dir="/tmp"))
    base.chmod(0o755)
    cluster = EmbeddedPostgres(base / "data", dbname="bench", log=lambda m: print(f"[bench] {m}"))
    try:
        cluster.start()
        _migrate(cluster.url("bench"))
        with psycopg.connect(cluster.psycopg_conninfo("bench"), autocommit=True) as conn:
            _prepare(conn)
            for index in args.drop_index:
                conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(index)))
        cluster.stop()
        with _under_callgrind(cluster, base) as counts:
            _report(cluster, counts, args.ops, args.only)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _install_anchors(conn) -> None:
    """91plus into schema a91, supa_audit into asupa (with the extensions they need)."""
    conn.execute("CREATE EXTENSION IF NOT EXISTS hstore")
    conn.execute('CREATE EXTENSION IF NOT EXISTS "uuid-ossp"')
    for name, renames in ANCHOR_RENAMES.items():
        text = (ANCHORS / name).read_text()
        for pattern, replacement in renames:
            text = re.sub(pattern, replacement, text)
        conn.execute(text)


def _detach_all(conn) -> None:
    conn.execute("SELECT audit_detach('public.patients')")
    conn.execute("SELECT bench_detach_lean_trigger('public.patients')")
    conn.execute("DROP TRIGGER IF EXISTS audit_trigger_row ON public.patients")
    conn.execute("DROP TRIGGER IF EXISTS audit_trigger_stm ON public.patients")
    conn.execute("SELECT asupa.disable_tracking('public.patients'::regclass)")


def _prepare(conn) -> None:
    conn.execute((Path(__file__).parent / "sql" / "lean_trigger.sql").read_text())
    _install_anchors(conn)
    conn.execute(PROCEDURES)
    conn.execute(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'caretrail_bench') THEN "
        "CREATE ROLE caretrail_bench LOGIN; END IF; END $$"
    )
    conn.execute("GRANT caretrail_app TO caretrail_bench")
    conn.execute("GRANT INSERT ON bench_lean_log, bench_indexed_log TO caretrail_app")
    conn.execute("SELECT audit_detach('public.patients')")
    conn.execute(
        "INSERT INTO patients (last_name, first_name, birth_date, sex, city) "
        "SELECT 'Base' || g, 'Row', DATE '1970-01-01' + (g % 15000), 'F', 'Lyon' FROM generate_series(1, 20000) g"
    )
    conn.execute("SELECT audit_attach('public.patients')")
    conn.execute("VACUUM ANALYZE")


class _under_callgrind:
    """The cluster's postmaster under callgrind; each backend writes its own count file."""

    def __init__(self, cluster, base: Path):
        self.cluster, self.out_dir = cluster, base / "callgrind"

    def __enter__(self):
        self.out_dir.mkdir()
        owner = self.cluster._server_owner()
        if owner:
            os.chown(self.out_dir, *owner)
        command = [
            # Counters restart at each CALL: what a backend's file holds at exit
            # is the measured CALL (after the warm-up one), without the
            # backend's one-time costs (start-up, loading hstore, compiling
            # the trigger function), which a pooled connection pays once.
            "valgrind", "--tool=callgrind", f"--callgrind-out-file={self.out_dir}/cg.%p",
            "--zero-before=ExecuteCallStmt",
            str(self.cluster.bindir / "postgres"), "-D", str(self.cluster.data_dir),
            "-k", str(self.cluster.socket_dir), "-c", "listen_addresses=", "-c", "synchronous_commit=off",
        ]  # fmt: skip
        as_owner = {"user": owner[0], "group": owner[1], "extra_groups": []} if owner else {}
        self.server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **as_owner)
        for _ in range(120):
            try:
                psycopg.connect(self.cluster.psycopg_conninfo("bench"), connect_timeout=2).close()
                return self
            except psycopg.OperationalError:
                time.sleep(1)
        raise SystemExit("PostgreSQL did not start under valgrind")

    def __exit__(self, *exc_info):
        self.server.terminate()
        self.server.wait(timeout=120)

    def count(self, conninfo: str, workload: str, ops: int) -> tuple[float, float]:
        """(instructions per write, of which in AFTER triggers) for one backend."""
        with psycopg.connect(conninfo, autocommit=True) as conn:
            pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
            # Who acts, as the application says it: the one setting it sets
            # since migration 0085, and the settings one by one that earlier
            # releases read (so one bench measures both with the same values).
            for name, value in {"context": context_record(BENCH_ACTOR), **BENCH_ACTOR}.items():
                conn.execute("SELECT set_config(%s, %s, false)", [f"caretrail.{name}", value])
            conn.execute(f"CALL bench_{workload}({WARM_UP})")
            conn.execute(f"CALL bench_{workload}({ops})")
        out = self.out_dir / f"cg.{pid}"
        for _ in range(600):  # written when the backend exits
            if out.exists() and "\ntotals:" in out.read_text(errors="replace"):
                break
            time.sleep(0.5)
        total = int(out.read_text().split("\ntotals:")[1].split()[0])
        annotated = subprocess.run(
            ["callgrind_annotate", "--inclusive=yes", "--threshold=100", str(out)], capture_output=True, text=True
        ).stdout
        triggers = next(
            (
                int(line.split()[0].replace(",", ""))
                for line in annotated.splitlines()
                if "AfterTriggerEndQuery " in line
            ),
            0,
        )
        out.unlink()
        return total / ops, triggers / ops


def _report(cluster, counts: _under_callgrind, ops: int, only: list[str]) -> None:
    admin = cluster.psycopg_conninfo("bench")
    client = make_conninfo(admin, user="caretrail_bench")
    designs = {
        "none": None,
        "row (CareTrail)": "audit_attach",
        "lean (floor)": "bench_attach_lean_trigger",
        "lean + 4 btrees": "bench_attach_indexed_trigger",
        "91plus": "a91.audit_table",
        "supa_audit": "asupa.enable_tracking",
    }
    if only:
        designs = {name: attach for name, attach in designs.items() if name == "none" or name in only}
    print(f"\ninstructions per single-row write, {ops} writes per backend after {WARM_UP} to warm up,", end=" ")
    print(f"median of {RUNS} backends\n")
    audited = [name for name in designs if name != "none"]
    print(
        f"{'workload':<10}{'unaudited':>12}"
        + "".join(f"{name + ' adds':>24}{'ratio':>8}{'whole':>8}" for name in audited)
    )
    for workload in ("insert", "update", "delete"):
        results = {}
        for name, attach in designs.items():
            with psycopg.connect(admin, autocommit=True) as conn:
                _detach_all(conn)
                if attach:
                    conn.execute(f"SELECT {attach}('public.patients')")
                conn.execute("VACUUM patients")
            results[name] = [counts.count(client, workload, ops) for _ in range(RUNS)]
        base = statistics.median(total for total, _ in results["none"])
        base_triggers = statistics.median(trig for _, trig in results["none"])
        line = f"{workload:<10}{base:>12,.0f}"
        for name in audited:
            added = statistics.median(trig for _, trig in results[name]) - base_triggers
            whole = statistics.median(total for total, _ in results[name])
            line += f"{added:>24,.0f}{base / (base + added):>8.2f}{base / whole:>8.2f}"
        print(line, flush=True)
    print(
        "\nratio = unaudited / (unaudited + what the audit trigger adds); whole = unaudited / audited,"
        " instructions of the whole backend per write"
    )


if __name__ == "__main__":
    main()
