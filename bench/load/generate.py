"""Fill a CareTrail database to a hospital's scale, through the real tables
(every constraint, trigger and the audit run as for a screen's write).

    .venv/bin/python -m bench.load.generate --database-url URL [--scale 0.02] [--audit-entries N]

--scale 1 is the issue-22 hospital: 500,200 patients, 50 doctors working
Mon-Fri 08:00-18:00, about 307,000 appointments over 17 months (most past,
some ahead), and the audit entries those writes leave (one per row);
--audit-entries adds synthetic older entries on top (4,000,000 brings the
audit to the issue's 4.99M).  The default scale (0.02: 10,000 patients) takes
seconds.  It also creates the load test's users (bench.load.users).  Each
step is one INSERT .. SELECT, parameterised, so 500k patients take minutes,
not hours.  Run it once into a database that has been migrated (`flask db
upgrade`) and keep that database: the load test only reads and adds a little.
"""

import argparse
import math
import time

import psycopg

from bench.load.names import FIRST_NAMES, SURNAMES

PATIENTS_AT_SCALE_1 = 500_200
APPOINTMENTS_AT_SCALE_1 = 307_000
DOCTORS = 50
SLOTS_PER_DAY = 20  # 08:00 to 17:30 every 30 minutes
FILL_RATIO = 0.85
# Syllables for the long tail of surnames: two or three of them make 27,000
# names that are not in the common list (a hospital's surnames are mostly rare).
SYLLABLES = [
    "ber",
    "lan",
    "dou",
    "mar",
    "ti",
    "gau",
    "chet",
    "vil",
    "ro",
    "pin",
    "fon",
    "tai",
    "ne",
    "lou",
    "ri",
    "ca",
    "mou",
    "lin",
    "bes",
    "son",
    "char",
    "pen",
    "tier",
    "gui",
    "lot",
    "ra",
    "vel",
    "dri",
    "quin",
]

DOCTORS_SQL = """
INSERT INTO staff (last_name, first_name, profession, specialty, rpps)
SELECT 'Bench' || g, (%(first_names)s::text[])[1 + g %% cardinality(%(first_names)s::text[])], 'doctor',
       'General medicine', lpad((90000000000 + g)::text, 11, '0')
  FROM generate_series(1, %(doctors)s) AS g
ON CONFLICT (rpps) DO NOTHING
"""

SCHEDULES_SQL = """
INSERT INTO doctor_schedule (doctor_id, day_of_week, start_time, end_time)
SELECT s.id, d, '08:00', '18:00'
  FROM staff s CROSS JOIN generate_series(1, 5) AS d
 WHERE s.rpps LIKE '9000000%%'
   AND NOT EXISTS (SELECT 1 FROM doctor_schedule x WHERE x.doctor_id = s.id)
"""

# i > active_count: deceased (the last 1%) so appointments never meet them.
PATIENTS_SQL = """
INSERT INTO patients (last_name, first_name, birth_name, birth_date, sex, city, postal_code, status, deceased_on)
SELECT last_name, first_name, birth_name, birth_date, sex, 'Lyon', '69003',
       CASE WHEN i > %(alive)s::int THEN 'deceased' ELSE 'active' END,
       CASE WHEN i > %(alive)s::int THEN least(current_date, birth_date + 20000) END
  FROM (
    SELECT i,
           CASE WHEN random() < 0.45
                THEN (%(surnames)s::text[])[1 + floor(cardinality(%(surnames)s::text[]) * random() ^ 1.6)::int]
                ELSE initcap((%(syl)s::text[])[1 + floor(random() * cardinality(%(syl)s::text[]))::int]
                          || (%(syl)s::text[])[1 + floor(random() * cardinality(%(syl)s::text[]))::int]
                          || CASE WHEN random() < 0.6
                                  THEN (%(syl)s::text[])[1 + floor(random() * cardinality(%(syl)s::text[]))::int]
                                  ELSE '' END)
           END AS last_name,
           (%(first_names)s::text[])[1 + floor(cardinality(%(first_names)s::text[]) * random() ^ 1.3)::int]
               AS first_name,
           CASE WHEN random() < 0.08
                THEN (%(surnames)s::text[])[1 + floor(cardinality(%(surnames)s::text[]) * random())::int]
           END AS birth_name,
           date '1925-01-01' + floor(random() * 36000)::int AS birth_date,
           CASE WHEN random() < 0.52 THEN 'F' ELSE 'M' END AS sex
      FROM generate_series(%(first)s::int, %(last)s::int) AS i
  ) AS generated
"""

# One row per booked slot, in time order; patient k-th appointment goes to the
# (k * 7919 mod alive)-th living patient: injective, so one patient never has
# two appointments at the same time (the exclusion constraint would refuse).
APPOINTMENTS_SQL = """
WITH doctors AS (
    SELECT id, row_number() OVER (ORDER BY id) AS n FROM staff WHERE rpps LIKE '9000000%%'
), days AS (
    SELECT d::date AS day FROM generate_series(%(first_day)s::date, %(last_day)s::date, interval '1 day') AS d
     WHERE extract(isodow FROM d) <= 5
), slots AS (
    SELECT doctors.id AS doctor_id, doctors.n, days.day, s AS slot,
           ((days.day + time '08:00' + s * interval '30 minutes') AT TIME ZONE %(zone)s) AS starts_at
      FROM days CROSS JOIN doctors CROSS JOIN generate_series(0, %(slots)s - 1) AS s
     WHERE random() < %(fill)s
), numbered AS (
    SELECT slots.*, row_number() OVER (ORDER BY starts_at, doctor_id) AS k FROM slots
), living AS (
    SELECT id, row_number() OVER (ORDER BY id) - 1 AS rank FROM patients WHERE status <> 'deceased'
)
INSERT INTO appointments (patient_id, doctor_id, type_id, starts_at, duration_minutes, status, cancellation_reason)
SELECT living.id, numbered.doctor_id, t.id, numbered.starts_at, t.default_duration_minutes, st.status,
       CASE WHEN st.status = 'cancelled' THEN 'Patient request' END
  FROM numbered
  JOIN living ON living.rank = (numbered.k * 7919) %% %(living)s
  JOIN appointment_types t
    ON t.code = (ARRAY['consultation', 'consultation', 'follow_up', 'teleconsultation'])[1 + numbered.k %% 4]
  CROSS JOIN LATERAL (
    SELECT CASE WHEN numbered.day < current_date
                THEN CASE WHEN numbered.k %% 100 < 85 THEN 'completed'
                          WHEN numbered.k %% 100 < 93 THEN 'cancelled' ELSE 'no_show' END
                ELSE CASE WHEN numbered.k %% 10 < 7 THEN 'scheduled'
                          WHEN numbered.k %% 10 < 9 THEN 'confirmed' ELSE 'cancelled' END
           END AS status
  ) AS st
 ORDER BY numbered.k
 LIMIT %(limit)s
"""


def step(conn, label: str, statement: str, params: dict | None = None) -> None:
    started = time.perf_counter()
    rows = conn.execute(statement, params or {}).rowcount
    print(f"[generate] {label}: {rows:,} rows in {time.perf_counter() - started:.1f} s", flush=True)


def generate(conninfo: str, scale: float, audit_entries: int = 0, batch: int = 50_000) -> None:
    patients = max(1_000, round(PATIENTS_AT_SCALE_1 * scale))
    appointments = max(500, round(APPOINTMENTS_AT_SCALE_1 * scale))
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("SELECT setseed(0.22)")
        zone = conn.execute("SELECT hospital_time_zone()").fetchone()[0]
        step(conn, "doctors", DOCTORS_SQL, {"doctors": DOCTORS, "first_names": FIRST_NAMES})
        step(conn, "working hours", SCHEDULES_SQL)
        already = conn.execute("SELECT count(*) FROM patients").fetchone()[0]
        alive = math.floor(patients * 0.99)
        for first in range(already + 1, patients + 1, batch):
            last = min(first + batch - 1, patients)
            step(
                conn,
                f"patients {first:,}-{last:,}",
                PATIENTS_SQL,
                {"first": first, "last": last, "alive": alive}
                | {"surnames": SURNAMES, "first_names": FIRST_NAMES, "syl": SYLLABLES},
            )
        if conn.execute("SELECT count(*) FROM appointments").fetchone()[0] == 0:
            living = conn.execute("SELECT count(*) FROM patients WHERE status <> 'deceased'").fetchone()[0]
            living -= 1 if living % 7919 == 0 else 0
            working_days = math.ceil(appointments / (DOCTORS * SLOTS_PER_DAY * FILL_RATIO)) + 2
            days = math.ceil(working_days * 7 / 5)
            ahead = max(3, days // 6)  # about a sixth of the agenda is still to come
            first_day, last_day = conn.execute(
                "SELECT current_date - %s::int, current_date + %s::int", [days - ahead, ahead]
            ).fetchone()
            step(
                conn,
                f"appointments {first_day} to {last_day}",
                APPOINTMENTS_SQL,
                {
                    "first_day": first_day,
                    "last_day": last_day,
                    "zone": zone,
                    "slots": SLOTS_PER_DAY,
                    "fill": FILL_RATIO,
                    "living": living,
                    "limit": appointments,
                },
            )
        if audit_entries:
            add_audit_entries(conn, audit_entries)
        step(conn, "analyze", "ANALYZE")


def add_audit_entries(conn, count: int) -> None:
    """Older synthetic audit entries (bench.audit_search's filler), before the real ones."""
    from bench.audit_search import fill

    origin = conn.execute("SELECT date_trunc('day', now() - interval '720 days')").fetchone()[0]
    conn.execute("SELECT audit_ensure_partitions(1, %s::date)", [origin])
    fill(conn, origin, 1, count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="owner's URL of a migrated database")
    parser.add_argument("--scale", type=float, default=0.02, help="1 = 500,200 patients and 307,000 appointments")
    parser.add_argument("--audit-entries", type=int, default=0, help="synthetic audit entries to add")
    args = parser.parse_args()
    from sqlalchemy.engine import make_url

    conninfo = make_url(args.database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    started = time.perf_counter()
    generate(conninfo, args.scale, args.audit_entries)
    from bench.load.users import ensure_users

    ensure_users(make_url(args.database_url).set(drivername="postgresql+psycopg").render_as_string(hide_password=False))
    print(f"[generate] done in {time.perf_counter() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
