"""Audit statistics for a period: changes per day, per user, per table and
action, and the weekday x hour heat map, in the hospital's time zone.

Each aggregate is one SQL query over the period's partitions, read through
audit_log_time_idx; bench/audit_api times them on millions of entries.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from app.core.errors import BadInput
from app.core.extensions import db
from app.core.statement_plans import plan_for_their_values
from app.core.timezone import hospital_zone

MAX_DAYS = 366
TOP_USERS = 20
ACTOR = "coalesce(app_username, 'db:' || db_user)"
PERIOD = "occurred_at >= :start AND occurred_at < :end"


@dataclass
class AuditStatistics:
    start: datetime
    end: datetime
    timezone: str
    total: int
    per_day: list[tuple[date, int]]
    per_user: list[tuple[str, int]]
    per_table: list[tuple[str, dict[str, int]]]
    per_action: dict[str, int]
    heat_map: list[list[int]]  # [weekday 0 = Monday][hour]

    def as_dict(self) -> dict:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "timezone": self.timezone,
            "total": self.total,
            "per_day": [{"day": day.isoformat(), "count": count} for day, count in self.per_day],
            "per_user": [{"user": user, "count": count} for user, count in self.per_user],
            "per_table": [{"table": table, "actions": actions} for table, actions in self.per_table],
            "per_action": self.per_action,
            "heat_map": [{"weekday": weekday + 1, "hours": hours} for weekday, hours in enumerate(self.heat_map)],
        }


def audit_statistics(start: datetime, end: datetime) -> AuditStatistics:
    """In the hospital's time zone (days, hours of the heat map)."""
    if end <= start:
        raise BadInput("The end of the period must be after its start.", field="to")
    if end - start > timedelta(days=MAX_DAYS):
        raise BadInput(f"A period of at most {MAX_DAYS} days.", field="to")
    zone = hospital_zone()
    tz = zone.key
    params = {"start": start, "end": end, "tz": tz}
    plan_for_their_values(db.session)  # a period of ten entries or millions
    run = db.session.execute

    counts = dict(
        run(
            sa.text(f"SELECT (occurred_at AT TIME ZONE :tz)::date, count(*) FROM audit_log WHERE {PERIOD} GROUP BY 1"),
            params,
        ).all()
    )
    first, last = start.astimezone(zone).date(), (end - timedelta(microseconds=1)).astimezone(zone).date()
    per_day = [
        (first + timedelta(days=n), counts.get(first + timedelta(days=n), 0)) for n in range((last - first).days + 1)
    ]

    users = run(
        sa.text(f"SELECT {ACTOR} AS who, count(*) FROM audit_log WHERE {PERIOD} GROUP BY 1 ORDER BY 2 DESC, 1"), params
    ).all()
    per_user = [(who, count) for who, count in users[:TOP_USERS]]
    if len(users) > TOP_USERS:
        per_user.append(("others", sum(count for _, count in users[TOP_USERS:])))

    tables: dict[str, dict[str, int]] = {}
    per_action: dict[str, int] = {}
    for table, operation, count in run(
        sa.text(f"SELECT table_name, operation, count(*) FROM audit_log WHERE {PERIOD} GROUP BY 1, 2"), params
    ):
        tables.setdefault(table.removeprefix("public."), {})[operation] = count
        per_action[operation] = per_action.get(operation, 0) + count
    per_table = sorted(tables.items(), key=lambda item: -sum(item[1].values()))

    heat_map = [[0] * 24 for _ in range(7)]
    for weekday, hour, count in run(
        sa.text(
            "SELECT extract(isodow FROM occurred_at AT TIME ZONE :tz)::int, "
            "extract(hour FROM occurred_at AT TIME ZONE :tz)::int, count(*) "
            f"FROM audit_log WHERE {PERIOD} GROUP BY 1, 2"
        ),
        params,
    ):
        heat_map[weekday - 1][hour] = count

    return AuditStatistics(
        start=start.astimezone(zone),  # shown and answered in the zone it is labelled with
        end=end.astimezone(zone),
        timezone=tz,
        total=sum(per_action.values()),
        per_day=per_day,
        per_user=per_user,
        per_table=per_table,
        per_action=per_action,
        heat_map=heat_map,
    )
