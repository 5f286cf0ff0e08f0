"""Today's audit activity on the oversight home: changes per hour and the
most active users.

A busy day holds hundreds of thousands of audit entries (an import, a batch
job: 808,000 in the generated hospital), and counting them all at each load
of the home (re-read every two minutes) took 450 ms in PostgreSQL.  An
hour's counts stop changing once it is over: the audit is append-only, and
an entry carries its transaction's start time, so an hour is taken as
settled SETTLED after its end, when late commits have landed.  Settled hours
are kept per app; each load counts only the hours not settled yet.
"""

import threading
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.core.statement_plans import plan_for_their_values
from app.core.timezone import hospital_zone, local_midnight, now, today

SETTLED = timedelta(minutes=10)
HOUR = timedelta(hours=1)
TOP_USERS = 5
SETTLED_HOURS = "caretrail_settled_audit_hours"

BY_HOUR_AND_USER = sa.text(
    "SELECT date_bin('1 hour', occurred_at, :origin) AS hour, coalesce(app_username, 'db:' || db_user) AS who,"
    " count(*) FROM audit_log WHERE occurred_at >= :start AND occurred_at < :end GROUP BY 1, 2"
)


@dataclass(frozen=True)
class HourActivity:
    total: int
    by_user: Counter


class SettledHours:
    """Each settled hour's activity, by the hour's start; two days are kept."""

    def __init__(self):
        self._kept: dict[datetime, HourActivity] = {}
        self._lock = threading.Lock()  # the workers' threads share it

    def get(self, hour: datetime) -> HourActivity | None:
        with self._lock:
            return self._kept.get(hour)

    def keep(self, hour: datetime, activity: HourActivity) -> None:
        with self._lock:
            self._kept[hour] = activity
            for old in [start for start in self._kept if start < hour - timedelta(days=2)]:
                del self._kept[old]

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


def audit_today(session, settled: SettledHours) -> dict:
    """{"per_hour": 24 counts by the hospital's hour, "total", "top_users"}."""
    moment = now()
    start, end = local_midnight(today()), local_midnight(today() + timedelta(days=1))
    # The day's hours so far, as instants (in UTC: an aware datetime plus an
    # hour is a wall-clock hour); 23 or 25 on a day the clocks change.
    hours, hour = [], start.astimezone(UTC)
    while hour < min(end, moment):
        hours.append(hour)
        hour += HOUR
    activity = {hour: settled.get(hour) for hour in hours}
    missing = [hour for hour, known in activity.items() if known is None]
    if missing:
        counted: dict[datetime, Counter] = {hour: Counter() for hour in missing}
        plan_for_their_values(session)  # an hour of ten entries or of an import's million
        rows = session.execute(BY_HOUR_AND_USER, {"origin": start, "start": missing[0], "end": min(end, moment)})
        for hour, who, count in rows:
            if hour in counted:
                counted[hour][who] += count
        for hour in missing:
            activity[hour] = HourActivity(sum(counted[hour].values()), counted[hour])
            if hour + HOUR + SETTLED <= moment:
                settled.keep(hour, activity[hour])
    per_hour, users = [0] * 24, Counter()
    for hour, hour_activity in activity.items():
        per_hour[hour.astimezone(hospital_zone()).hour] += hour_activity.total
        users.update(hour_activity.by_user)
    top = sorted(users.items(), key=lambda item: (-item[1], item[0]))[:TOP_USERS]
    return {"per_hour": per_hour, "total": sum(per_hour), "top_users": [{"user": w, "count": n} for w, n in top]}
