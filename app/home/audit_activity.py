"""Today's audit activity on the oversight home: changes per hour and the
most active users.

A busy day holds hundreds of thousands of audit entries (an import, a batch
job: 808,000 in the generated hospital), and counting them all at each load
of the home (re-read every two minutes) took 350-450 ms in PostgreSQL.  So
each app counts an entry once, and what makes that exact is PostgreSQL's
own horizon: the xmin of a statement's snapshot is the oldest transaction
still running.  Every transaction below it has ended, so the entries it
wrote (an entry's txid is its transaction's) are all visible, and none
will come.  Each load reads, through the txid index, only the day's
entries at or above the previous load's horizon; those below the new
horizon are kept, the others (written by transactions still running) are
shown, and read again at the next load.

Until this, an hour was taken as settled ten minutes after its end (an
entry carries its transaction's start time): an import begun at 9:58 that
committed at 10:20 was never counted by an app that had settled 9:00, and
the hour under way was counted whole at each load (250-440 ms in the hour
after an import).
"""

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.core.statement_plans import CUSTOM_PLANS
from app.core.timezone import hospital_zone, local_midnight, now, today

TOP_USERS = 5
ACTIVITY_COUNTS = "caretrail_audit_activity_counts"

# The horizon comes first, from an earlier snapshot than the count's: a
# transaction below it had ended before the count began, so the count sees
# all it wrote.  With this transaction's statements planned for their values:
# the day's first count reads every entry, the next ones a few.
HORIZON = sa.text(f"SELECT {CUSTOM_PLANS}, pg_snapshot_xmin(pg_current_snapshot())::text")
NEW_ENTRIES = sa.text(
    "SELECT date_bin('1 hour', occurred_at, :origin) AS hour, coalesce(app_username, 'db:' || db_user) AS who,"
    " txid < CAST(:horizon AS xid8) AS final, count(*) AS entries"
    " FROM audit_log WHERE occurred_at >= :start AND occurred_at < :end AND txid >= CAST(:since AS xid8)"
    " GROUP BY 1, 2, 3"
)


@dataclass
class _DayCounts:
    start: datetime | None = None
    horizon: int = 0  # every entry of the day below this txid is in `entries`
    entries: Counter = field(default_factory=Counter)  # by (hour, who)


class ActivityCounts:
    """The day's entries below the horizon, counted; one per app, shared by
    its threads."""

    def __init__(self):
        self._day = _DayCounts()
        self._lock = threading.Lock()

    def known(self, start: datetime) -> tuple[int, Counter]:
        """The day's horizon so far and what was counted below it."""
        with self._lock:
            if self._day.start != start:
                return 0, Counter()
            return self._day.horizon, Counter(self._day.entries)

    def add(self, start: datetime, since: int, horizon: int, entries: Counter) -> None:
        """The entries counted from `since` up to `horizon`, unless another
        thread has counted from `since` meanwhile (its count stands)."""
        with self._lock:
            if self._day.start != start:
                if since or (self._day.start is not None and self._day.start > start):
                    return
                self._day = _DayCounts(start)
            if self._day.horizon != since:
                return
            self._day.entries.update(entries)
            self._day.horizon = max(since, horizon)

    def clear(self) -> None:
        with self._lock:
            self._day = _DayCounts()


def audit_today(session, counts: ActivityCounts) -> dict:
    """{"per_hour": 24 counts by the hospital's hour, "total", "top_users"}."""
    moment = now()
    start, end = local_midnight(today()), local_midnight(today() + timedelta(days=1))
    since, known = counts.known(start)
    horizon = session.execute(HORIZON).one()[1]
    parameters = {"origin": start, "start": start, "end": end, "since": str(since), "horizon": horizon}
    final, running = Counter(), Counter()
    for hour, who, below_horizon, entries in session.execute(NEW_ENTRIES, parameters):
        (final if below_horizon else running)[(hour, who)] += entries
    counts.add(start, since, int(horizon), final)

    per_hour, users = [0] * 24, Counter()
    zone = hospital_zone()
    for (hour, who), entries in (known + final + running).items():
        if hour <= moment:  # (an hour after the clock's holds only the clocks' disagreement)
            # Hours as instants (date_bin from the local midnight): an hour is
            # a wall-clock hour, 23 or 25 of them on a day the clocks change.
            per_hour[hour.astimezone(zone).hour] += entries
            users[who] += entries
    top = sorted(users.items(), key=lambda item: (-item[1], item[0]))[:TOP_USERS]
    return {"per_hour": per_hour, "total": sum(per_hour), "top_users": [{"user": w, "count": n} for w, n in top]}
