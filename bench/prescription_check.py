"""Time to check a prescription against a hospital-sized drug reference.

    .venv/bin/python -m bench.prescription_check [--database-url URL] [--medications 15000]
        [--interactions 50000] [--repeat 50]

A reference of 15,000 medications (3,000 substances, a fifth of the
medications combining two, ATC codes over 600 level-4 classes) and 50,000
interaction pairs (three quarters substance-substance, a quarter
substance-class at ATC levels 3 and 4); a patient with 20 active lines (four
signed prescriptions of five) and two active allergies (a substance and a
class), among 10,000 other patients with a signed prescription each.
Prints the median time of check_draft() (the service the screens
and the API call: the SQL function prescription_alerts() plus the messages)
for a 10-line draft, over `repeat` drafts drawn at random, and of the SQL
function alone; then the indexes the function's plan uses (auto_explain).
"""

import argparse
import random
import statistics
import time

import psycopg

from bench._database import benchmark_database

SUBSTANCES = 3000
CLASSES = 600  # level-4 ATC classes (e.g. N06AB)

SETUP = """
-- Level-4 classes: a letter, two digits, two letters (e.g. C10AA), spread over the anatomical groups.
CREATE TEMP TABLE bench_classes AS
SELECT g AS n, substr('ABCDGHJLMNPRSV', 1 + g %% 14, 1) || lpad((1 + (g / 14) %% 20)::text, 2, '0')
       || chr(65 + (g / 280) %% 8) || chr(65 + g %% 26) AS atc
  FROM generate_series(0, %(classes)s - 1) g;
INSERT INTO medications (code, name, substances, atc_code, route)
SELECT 'B' || lpad(g::text, 7, '0'), 'Bench medication ' || g,
       CASE WHEN g %% 5 = 0
            THEN ARRAY['substance ' || (g %% %(substances)s), 'substance ' || ((g * 7 + 1) %% %(substances)s)]
            ELSE ARRAY['substance ' || (g %% %(substances)s)] END,
       c.atc || lpad((g %% 99 + 1)::text, 2, '0'), 'oral'
  FROM generate_series(1, %(medications)s) g
  JOIN bench_classes c ON c.n = (g %% %(substances)s) %% %(classes)s;
"""

INTERACTIONS = """
INSERT INTO drug_interactions (a_kind, a_value, b_kind, b_value, severity, message, source)
SELECT a_kind, a_value, 'substance', 'substance ' || d.b, severity, 'Bench interaction', 'bench'
  FROM (
    SELECT d.*, c.atc,
           CASE WHEN d.k < 0.75 THEN 'substance' ELSE 'atc' END AS a_kind,
           CASE WHEN d.k < 0.75 THEN 'substance ' || d.a ELSE left(c.atc, CASE WHEN d.k < 0.9 THEN 4 ELSE 5 END)
           END AS a_value,
           (ARRAY['contraindicated', 'avoid', 'precaution', 'consider'])[1 + floor(d.s * 4)::int] AS severity
      FROM (SELECT random() AS k, random() AS s, (random() * (%(substances)s - 1))::int AS a,
                   (random() * (%(substances)s - 1))::int AS b, (random() * (%(classes)s - 1))::int AS class_n
              FROM generate_series(1, %(count)s)) AS d
      JOIN bench_classes c ON c.n = d.class_n
  ) AS d
 WHERE (a_kind, a_value) <> ('substance', 'substance ' || d.b)
ON CONFLICT DO NOTHING
"""

# The rest of the hospital, so that the planner meets tables of a realistic
# size: other patients, each with an allergy and a signed prescription of three lines.
OTHERS = """
INSERT INTO patients (last_name, first_name, birth_date, sex)
SELECT 'Other' || g, 'Bench', DATE '1940-01-01' + g %% 20000, 'M' FROM generate_series(1, %(others)s) g;
INSERT INTO patient_allergies (patient_id, substance)
SELECT id, 'substance ' || (id %% %(substances)s) FROM patients WHERE first_name = 'Bench' AND last_name LIKE 'Other%%';
INSERT INTO prescriptions (patient_id, prescriber_id)
SELECT id, %(doctor)s FROM patients WHERE first_name = 'Bench' AND last_name LIKE 'Other%%';
INSERT INTO prescription_items (prescription_id, position, medication_id, dose, dose_unit, frequency)
SELECT p.id, k, 1 + (p.id * 31 + k * 7919) %% %(medications)s, 1, 'tablet', 'daily'
  FROM prescriptions p, generate_series(1, 3) k WHERE p.status = 'draft';
UPDATE prescriptions SET status = 'signed', override_reason = 'bench' WHERE status = 'draft'
"""

PATIENT = """
INSERT INTO staff (last_name, first_name, profession) VALUES ('Bench', 'Doctor', 'doctor') RETURNING id
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="server to use (default: embedded PostgreSQL)")
    parser.add_argument("--medications", type=int, default=15_000)
    parser.add_argument("--interactions", type=int, default=50_000)
    parser.add_argument("--other-patients", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    rng = random.Random(20261202)

    with benchmark_database(args.database_url) as (url, conninfo):
        with psycopg.connect(conninfo, autocommit=True) as conn:
            started = time.perf_counter()
            params = {"classes": CLASSES, "substances": SUBSTANCES, "medications": args.medications}
            for statement in filter(str.strip, SETUP.split(";")):
                conn.execute(statement, params)
            (count,) = conn.execute("SELECT count(*) FROM drug_interactions").fetchone()
            while count < args.interactions:
                conn.execute(INTERACTIONS, {**params, "count": int((args.interactions - count) * 1.1)})
                (count,) = conn.execute("SELECT count(*) FROM drug_interactions").fetchone()
            conn.execute(
                "DELETE FROM drug_interactions WHERE id IN"
                " (SELECT id FROM drug_interactions ORDER BY id DESC LIMIT %s)",
                [count - args.interactions],
            )
            medication_ids = [row[0] for row in conn.execute("SELECT id FROM medications ORDER BY id").fetchall()]
            patient_id = _patient(conn, rng, medication_ids)
            (doctor_id,) = conn.execute("SELECT id FROM staff WHERE last_name = 'Bench'").fetchone()
            others = {**params, "others": args.other_patients, "doctor": doctor_id}
            for statement in filter(str.strip, OTHERS.split(";")):
                conn.execute(statement, others)
            conn.execute("VACUUM ANALYZE")
            sizes = conn.execute(
                "SELECT (SELECT count(*) FROM medications), (SELECT count(*) FROM drug_interactions),"
                " (SELECT count(*) FROM prescription_items i JOIN prescriptions p ON p.id = i.prescription_id"
                "   WHERE p.patient_id = %s AND p.status = 'signed')",
                [patient_id],
            ).fetchone()
            print(
                f"{sizes[0]:,} medications, {sizes[1]:,} interactions, {sizes[2]} active lines for the patient,"
                f" {args.other_patients:,} other patients with a prescription of 3 lines"
                f" (set up in {time.perf_counter() - started:.1f} s)"
            )
            drafts = [rng.sample(medication_ids, 10) for _ in range(args.repeat)]
            sql_times, found = _time_sql(conn, patient_id, drafts)
            _print_plan(conn, patient_id, drafts[0])
        service_times = _time_service(url, patient_id, drafts)
    print(f"alerts per check: median {statistics.median(found):.0f} (min {min(found)}, max {max(found)})")
    print(f"prescription_alerts() in SQL, 10 lines vs 20 active: median {statistics.median(sql_times):.2f} ms")
    print(
        f"check_draft() (service, as the screens and API call it): median {statistics.median(service_times):.2f} ms"
        f" [min {min(service_times):.2f} - max {max(service_times):.2f}] over {len(service_times)} drafts"
    )


def _patient(conn, rng: random.Random, medication_ids: list[int]) -> int:
    """A patient with four signed prescriptions of five lines and two allergies."""
    (doctor_id,) = conn.execute(PATIENT).fetchone()
    (patient_id,) = conn.execute(
        "INSERT INTO patients (last_name, first_name, birth_date, sex) VALUES ('Bench', 'Patient', '1950-01-01', 'F')"
        " RETURNING id"
    ).fetchone()
    conn.execute("INSERT INTO patient_allergies (patient_id, substance) VALUES (%s, 'substance 17')", [patient_id])
    conn.execute("INSERT INTO patient_allergies (patient_id, atc_code) VALUES (%s, 'N05')", [patient_id])
    for _ in range(4):
        (prescription_id,) = conn.execute(
            "INSERT INTO prescriptions (patient_id, prescriber_id) VALUES (%s, %s) RETURNING id",
            [patient_id, doctor_id],
        ).fetchone()
        for position, medication_id in enumerate(rng.sample(medication_ids, 5), start=1):
            conn.execute(
                "INSERT INTO prescription_items (prescription_id, position, medication_id, dose, dose_unit, frequency)"
                " VALUES (%s, %s, %s, 1, 'tablet', 'daily')",
                [prescription_id, position, medication_id],
            )
        conn.execute(
            "UPDATE prescriptions SET status = 'signed', override_reason = 'bench' WHERE id = %s", [prescription_id]
        )
    return patient_id


def _time_sql(conn, patient_id: int, drafts: list[list[int]]) -> tuple[list[float], list[int]]:
    times, found = [], []
    query = "SELECT count(*) FROM prescription_alerts(%s, %s::bigint[])"
    conn.execute(query, [patient_id, drafts[0]])  # warm the caches once
    for draft in drafts:
        started = time.perf_counter()
        (alerts,) = conn.execute(query, [patient_id, draft]).fetchone()
        times.append((time.perf_counter() - started) * 1000)
        found.append(alerts)
    return times, found


def _time_service(url: str, patient_id: int, drafts: list[list[int]]) -> list[float]:
    from app import create_app
    from app.core.extensions import db
    from app.prescribing.checks import check_draft
    from config import Config

    app = create_app(Config, SQLALCHEMY_DATABASE_URI=url, MIGRATION_DATABASE_URL=None)
    times = []
    with app.app_context():
        check_draft(patient_id, drafts[0])
        for draft in drafts:
            started = time.perf_counter()
            check_draft(patient_id, draft)
            times.append((time.perf_counter() - started) * 1000)
            db.session.rollback()
        db.engine.dispose()
    return times


def _print_plan(conn, patient_id: int, draft: list[int]) -> None:
    """The plan of the function's query, through auto_explain (superuser only)."""
    plans: list[str] = []
    conn.add_notice_handler(lambda notice: plans.append(notice.message_primary or ""))
    try:
        conn.execute("LOAD 'auto_explain'")
    except psycopg.Error as unavailable:
        print(f"(plan not shown: {unavailable.diag.message_primary})")
        return
    for setting in ("log_min_duration = 0", "log_nested_statements = on", "log_analyze = off"):
        conn.execute(f"SET auto_explain.{setting}")
    conn.execute("SET client_min_messages = log")
    conn.execute("SELECT count(*) FROM prescription_alerts(%s, %s::bigint[])", [patient_id, draft])
    conn.execute("SET client_min_messages = notice")
    plan = "\n".join(plans)
    indexes = sorted(
        {line.split(" using ")[1].split()[0] for line in plan.splitlines() if " using " in line}
        | {
            line.split("Bitmap Index Scan on ")[1].split()[0]
            for line in plan.splitlines()
            if "Bitmap Index Scan on " in line
        }
    )
    scans = sorted({line.split("Seq Scan on ")[1].split()[0] for line in plan.splitlines() if "Seq Scan on " in line})
    print(f"indexes used: {', '.join(indexes) or 'none'}; sequential scans: {', '.join(scans) or 'none'}")


if __name__ == "__main__":
    main()
