"""The oversight home's audit activity (app/home/audit_activity.py): counted
by the hospital's hour, the settled hours counted once, the hour under way
at every load."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from app.home import audit_activity
from app.home.audit_activity import SETTLED_HOURS

ENTRY = (
    "INSERT INTO audit_log (occurred_at, statement_id, table_name, operation, row_pk, new_row, app_username)"
    " SELECT %s, 1, 'public.rooms', 'INSERT', '1', '{\"id\": 1}', %s FROM generate_series(1, %s)"
)


@pytest.fixture
def half_past_three(app, sql_conn, monkeypatch):
    """The hospital's clock at 15:30 today, for the home (the database's own clock is not read)."""
    zone = ZoneInfo(sql_conn.execute("SELECT hospital_time_zone()").fetchone()[0])
    day = datetime.now(zone).date()
    moment = datetime.combine(day, time(15, 30), zone)
    monkeypatch.setattr(audit_activity, "now", lambda: moment)
    monkeypatch.setattr(audit_activity, "today", lambda: day)
    return lambda hour, minute: datetime.combine(day, time(hour, minute), zone)


def oversight(client, api) -> dict:
    answer = client.get("/api/v1/home/oversight", headers=api("auditor"))
    assert answer.status_code == 200
    return answer.get_json()["audit"]


def counted(sql_conn, at, hour: int) -> int:
    """The entries of that hour up to the home's clock (15:30): when the suite
    runs in that hour, the fixtures' own entries fall in it too."""
    return sql_conn.execute(
        "SELECT count(*) FROM audit_log WHERE occurred_at >= %s AND occurred_at < least(%s, %s)",
        [at(hour, 0), at(hour, 59).replace(second=59, microsecond=999999), at(15, 30)],
    ).fetchone()[0]


def test_settled_hours_are_counted_once_and_the_hour_under_way_each_time(app, client, api, sql_conn, half_past_three):
    at = half_past_three
    sql_conn.execute(ENTRY, [at(9, 10), "alice", 3])
    sql_conn.execute(ENTRY, [at(15, 5), "bob", 2])
    first = oversight(client, api)
    assert first["per_hour"][9] == counted(sql_conn, at, 9) >= 3
    assert first["per_hour"][15] == counted(sql_conn, at, 15) >= 2
    assert {"user": "alice", "count": 3} in first["top_users"]
    assert first["total"] == sum(first["per_hour"])

    # Later entries: the settled hour (9:00, over since 10:10) is not counted again, the hour under way is.
    sql_conn.execute(ENTRY, [at(9, 20), "alice", 4])
    sql_conn.execute(ENTRY, [at(15, 10), "bob", 1])
    second = oversight(client, api)
    assert second["per_hour"][9] == first["per_hour"][9]
    assert second["per_hour"][15] == first["per_hour"][15] + 1

    app.extensions[SETTLED_HOURS].clear()  # a new worker counts what is there
    third = oversight(client, api)
    assert third["per_hour"][9] == first["per_hour"][9] + 4
    assert {"user": "alice", "count": 7} in third["top_users"]
    assert third["per_hour"][16:] == [0] * 8, "no hour after the clock's"
