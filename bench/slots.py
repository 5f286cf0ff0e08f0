"""Time to find the next free slots, on a busy hospital's agenda.

    .venv/bin/python -m bench.slots [--database-url URL] [--appointments 100000] [--repeat 20]

50 doctors in 5 specialties, weekly hours (Mon-Fri 8:00-12:00 and
13:30-18:00) valid for one year, and about 100,000 appointments of 30
minutes over that year (booked through the database's rules: every row
passes the exclusion constraints and the working-hours trigger).  One doctor
is fully booked for the next eight weeks.  Prints the median time of
find_free_slots() for the next 10 free slots of one doctor, of a specialty
(10 doctors), and of the fully booked doctor (the search has to walk past
eight busy weeks), over a 92-day window, from tomorrow.
"""

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta

import psycopg

from bench._database import benchmark_database

DOCTORS = 50
SPECIALTIES = ("Cardiology", "Dermatology", "Paediatrics", "Radiology", "General medicine")

SETUP = """
INSERT INTO staff (last_name, first_name, profession, specialty)
SELECT 'Doctor' || g, 'Bench', 'doctor', (%(specialties)s::text[])[1 + (g - 1) %% 5]
  FROM generate_series(1, %(doctors)s) g;
INSERT INTO patients (last_name, first_name, birth_date, sex)
SELECT 'Patient' || g, 'Bench', DATE '1970-01-01' + (g %% 15000), 'F' FROM generate_series(1, 20000) g;
INSERT INTO doctor_schedule (doctor_id, day_of_week, start_time, end_time, valid_from, valid_until)
SELECT s.id, d, r.start_time, r.end_time, current_date, current_date + 365
  FROM staff s, generate_series(1, 5) d,
       (VALUES (time '08:00', time '12:00'), (time '13:30', time '18:00')) AS r(start_time, end_time)
 WHERE s.first_name = 'Bench';
"""

# Every 30-minute slot of the year, for each doctor; a share of them booked.
# Patients are spread so that no patient has two appointments at once.
BOOK = """
WITH doctors AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM staff WHERE first_name = 'Bench'),
patients AS (SELECT array_agg(id ORDER BY id) AS ids FROM patients WHERE first_name = 'Bench'),
slots AS (
    SELECT (day::date + r.start_time) AT TIME ZONE hospital_time_zone() + make_interval(mins => 30 * k) AS starts_at,
           row_number() OVER () AS slot_number
      FROM generate_series(current_date + 1, current_date + 365, interval '1 day') AS day,
           (VALUES (time '08:00', 8), (time '13:30', 9)) AS r(start_time, count),
           generate_series(0, 8) AS k
     WHERE extract(isodow FROM day) <= 5 AND k < r.count
)
INSERT INTO appointments (patient_id, doctor_id, type_id, starts_at, duration_minutes)
SELECT patients.ids[1 + ((slots.slot_number * %(doctors)s + doctors.n) %% 20000)], doctors.id,
       (SELECT id FROM appointment_types WHERE code = 'consultation'), slots.starts_at, 30
  FROM slots, doctors, patients
 WHERE (doctors.n = 1 AND slots.starts_at < now() + interval '8 weeks') OR random() < %(share)s
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="server to use (default: embedded PostgreSQL)")
    parser.add_argument("--appointments", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    with benchmark_database(args.database_url) as (url, conninfo):
        with psycopg.connect(conninfo, autocommit=True) as conn:
            for statement in filter(str.strip, SETUP.split(";")):
                conn.execute(statement, {"specialties": list(SPECIALTIES), "doctors": DOCTORS})
            capacity = DOCTORS * 261 * 17  # doctors x working days x slots a day
            started = time.perf_counter()
            conn.execute(BOOK, {"doctors": DOCTORS, "share": args.appointments / capacity})
            (count,) = conn.execute("SELECT count(*) FROM appointments").fetchone()
            print(f"{count:,} appointments booked in {time.perf_counter() - started:.1f} s (every row checked)")
            conn.execute("VACUUM ANALYZE")
            (busy, free) = conn.execute(
                "SELECT min(id), max(id) FROM staff WHERE first_name = 'Bench' AND specialty = 'Cardiology'"
            ).fetchone()

        from app import create_app
        from app.agenda.slots import find_free_slots
        from app.core.extensions import db
        from config import Config

        app = create_app(Config, SQLALCHEMY_DATABASE_URI=url)
        now = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
        cases = {
            "one doctor, next 10": {"doctor_ids": [free]},
            "a specialty (10 doctors), next 10": {"specialty": "Cardiology"},
            "a doctor booked solid for 8 weeks, next 10": {"doctor_ids": [busy]},
        }
        with app.app_context():
            print(f"\n{'search (92-day window, 30 min)':<46}{'median ms':>10}{'min ms':>9}{'first slot in':>15}")
            for label, target in cases.items():
                timings, slots = [], []
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    slots = find_free_slots(
                        starts=now, ends=now + timedelta(days=92), duration_minutes=30, limit=10, **target
                    )
                    timings.append((time.perf_counter() - started) * 1000)
                    db.session.rollback()
                ahead = (slots[0].starts_at - now).days if slots else None
                print(f"{label:<46}{statistics.median(timings):>10.1f}{min(timings):>9.1f}{ahead!s:>12} d")
            db.engine.dispose()


if __name__ == "__main__":
    main()
