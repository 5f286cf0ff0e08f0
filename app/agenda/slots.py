"""Free slots: where an appointment of a given length fits.

One SQL query: the doctors' working-hour ranges for each local day of the
period (read in the hospital's time zone, so daylight-saving days come out
right), cut into candidate starts every `step` minutes, minus those that
overlap an active appointment of the doctor (or of the room, or of the
patient, when given) or one of the doctor's absences.  The overlap tests
use the exclusion constraints' own GiST indexes.  Exactly the rules the
database applies to a booking (within_working_hours(), doctor_absent_during()),
so a slot found here can be booked.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.agenda.models import AppointmentType
from app.core.errors import BadInput

MAX_PERIOD = timedelta(days=92)
MAX_RESULTS = 200

FREE_SLOTS = sa.text(
    """
    WITH zone AS (SELECT hospital_time_zone() AS tz),
    doctors AS (
        SELECT s.id FROM staff s
         WHERE s.is_active AND s.profession IN ('doctor', 'radiologist')
           AND (CAST(:doctor_ids AS bigint[]) IS NULL OR s.id = ANY (CAST(:doctor_ids AS bigint[])))
           AND (CAST(:specialty AS text) IS NULL
                OR normalize_search_text(s.specialty) = normalize_search_text(CAST(:specialty AS text)))
    ),
    days AS (
        SELECT d::date AS day
          FROM zone, generate_series((CAST(:starts AS timestamptz) AT TIME ZONE zone.tz)::date,
                                     (CAST(:ends AS timestamptz) AT TIME ZONE zone.tz)::date,
                                     interval '1 day') AS d
    ),
    ranges AS (
        SELECT s.doctor_id,
               (days.day + s.start_time) AT TIME ZONE zone.tz AS range_start,
               (days.day + s.end_time) AT TIME ZONE zone.tz AS range_end
          FROM zone, days
          JOIN doctor_schedule s ON s.day_of_week = extract(isodow FROM days.day)
                                AND (s.valid_from IS NULL OR s.valid_from <= days.day)
                                AND (s.valid_until IS NULL OR s.valid_until >= days.day)
          JOIN doctors ON doctors.id = s.doctor_id
    ),
    candidates AS (
        SELECT r.doctor_id, slot AS starts_at, slot + make_interval(mins => :duration) AS ends_at
          FROM ranges r,
               generate_series(r.range_start, r.range_end - make_interval(mins => :duration),
                               make_interval(mins => :step)) AS slot
    )
    SELECT c.doctor_id, c.starts_at, c.ends_at
      FROM candidates c
     WHERE c.starts_at >= CAST(:starts AS timestamptz) AND c.ends_at <= CAST(:ends AS timestamptz)
       AND NOT EXISTS (
           SELECT 1 FROM appointments a
            WHERE a.doctor_id = c.doctor_id AND a.status NOT IN ('cancelled', 'postponed', 'no_show')
              AND tstzrange(a.starts_at, a.ends_at) && tstzrange(c.starts_at, c.ends_at))
       AND NOT EXISTS (
           SELECT 1 FROM doctor_absence x
            WHERE x.doctor_id = c.doctor_id AND tstzrange(x.starts_at, x.ends_at) && tstzrange(c.starts_at, c.ends_at))
       AND (CAST(:room_id AS bigint) IS NULL OR NOT EXISTS (
           SELECT 1 FROM appointments a
            WHERE a.room_id = CAST(:room_id AS bigint)
              AND a.room_id IS NOT NULL AND a.status NOT IN ('cancelled', 'postponed', 'no_show')
              AND tstzrange(a.starts_at, a.ends_at) && tstzrange(c.starts_at, c.ends_at)))
       AND (CAST(:patient_id AS bigint) IS NULL OR NOT EXISTS (
           SELECT 1 FROM appointments a
            WHERE a.patient_id = CAST(:patient_id AS bigint) AND a.status NOT IN ('cancelled', 'postponed', 'no_show')
              AND tstzrange(a.starts_at, a.ends_at) && tstzrange(c.starts_at, c.ends_at)))
     ORDER BY c.starts_at, c.doctor_id
     LIMIT :limit
    """
)


@dataclass(frozen=True)
class FreeSlot:
    doctor_id: int
    starts_at: datetime
    ends_at: datetime

    def as_dict(self) -> dict:
        return {
            "doctor_id": self.doctor_id,
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
        }


def find_free_slots(
    session,
    *,
    starts: datetime,
    ends: datetime,
    duration_minutes: int | None = None,
    type_id: int | None = None,
    doctor_ids: list[int] | None = None,
    specialty: str | None = None,
    room_id: int | None = None,
    patient_id: int | None = None,
    step_minutes: int = 15,
    limit: int = 10,
) -> list[FreeSlot]:
    """The first `limit` free slots in [starts, ends), earliest first, for the
    given doctors or every doctor of a specialty (or every doctor), of
    `duration_minutes` or else the type's usual duration.  A type that needs
    a room (imaging, procedures) is refused without one, as its booking would be."""
    if type_id is not None:
        appointment_type = session.get(AppointmentType, type_id)
        if appointment_type is None:
            raise BadInput("Unknown appointment type.", field="type_id")
        if appointment_type.requires_room and room_id is None:
            raise BadInput(f"{appointment_type.name} needs a room: choose one.", field="room_id")
        duration_minutes = duration_minutes or appointment_type.default_duration_minutes
    if duration_minutes is None:
        raise BadInput("Choose a type of appointment or a duration.", field="duration")
    if starts.tzinfo is None or ends.tzinfo is None:
        raise ValueError("find_free_slots needs aware datetimes")
    if ends <= starts:
        raise BadInput("The end of the period must be after its start.", field="to")
    if ends - starts > MAX_PERIOD:
        raise BadInput(f"Search at most {MAX_PERIOD.days} days at a time.", field="to")
    if not 5 <= duration_minutes <= 720:
        raise BadInput("A duration is between 5 and 720 minutes.", field="duration")
    if not 5 <= step_minutes <= 240:
        raise BadInput("A step is between 5 and 240 minutes.", field="step")
    if not 1 <= limit <= MAX_RESULTS:
        raise BadInput(f"Ask for 1 to {MAX_RESULTS} slots.", field="limit")
    # Week by week, then doubling: the next free slots are usually close, and
    # each query only expands the days it covers.  Windows end at the local
    # midnight (no slot crosses one), so no slot falls between two windows.
    zone = ZoneInfo(session.scalar(sa.text("SELECT hospital_time_zone()")))
    found: list[FreeSlot] = []
    window_start, span = starts, timedelta(days=7)
    while window_start < ends and len(found) < limit:
        local_end = (window_start.astimezone(zone) + span).date()
        window_end = min(ends, datetime.combine(local_end, time(), tzinfo=zone))
        rows = session.execute(
            FREE_SLOTS,
            {
                "doctor_ids": doctor_ids,
                "specialty": specialty,
                "starts": window_start,
                "ends": window_end,
                "duration": duration_minutes,
                "step": step_minutes,
                "room_id": room_id,
                "patient_id": patient_id,
                "limit": limit - len(found),
            },
        ).all()
        found += [FreeSlot(row.doctor_id, row.starts_at, row.ends_at) for row in rows]
        window_start, span = window_end, span * 2
    return found
