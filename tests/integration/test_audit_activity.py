"""The oversight home's audit activity (app/home/audit_activity.py): counted
by the hospital's hour, each entry read once, below PostgreSQL's horizon,
and an entry of a transaction still running counted once it commits."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import psycopg
import pytest

from app.home import audit_activity
from app.home.audit_activity import ACTIVITY_COUNTS

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
    """What the log holds for that hour (the fixtures' own entries too, when
    the suite runs in it)."""
    return sql_conn.execute(
        "SELECT count(*) FROM audit_log WHERE occurred_at >= %s AND occurred_at < %s",
        [at(hour, 0), at(hour, 59).replace(second=59, microsecond=999999)],
    ).fetchone()[0]


def test_the_day_is_counted_by_the_hospitals_hour(client, api, sql_conn, half_past_three):
    at = half_past_three
    sql_conn.execute(ENTRY, [at(9, 10), "alice", 3])
    sql_conn.execute(ENTRY, [at(15, 5), "bob", 2])
    first = oversight(client, api)
    assert first["per_hour"][9] == counted(sql_conn, at, 9) >= 3
    assert first["per_hour"][15] == counted(sql_conn, at, 15) >= 2
    assert {"user": "alice", "count": 3} in first["top_users"]
    assert first["total"] == sum(first["per_hour"])
    assert first["per_hour"][16:] == [0] * 8, "no hour after the clock's"

    # Later entries, in the hour under way and in one long over: both counted.
    sql_conn.execute(ENTRY, [at(9, 20), "alice", 4])
    sql_conn.execute(ENTRY, [at(15, 10), "bob", 1])
    second = oversight(client, api)
    assert second["per_hour"][9] == counted(sql_conn, at, 9) == first["per_hour"][9] + 4
    assert second["per_hour"][15] == counted(sql_conn, at, 15) == first["per_hour"][15] + 1
    assert {"user": "alice", "count": 7} in second["top_users"]
    assert {"user": "bob", "count": 3} in second["top_users"]


def test_a_transaction_still_running_is_counted_once_it_commits(
    client, api, sql_conn, database_name, postgres_server, half_past_three
):
    """An import begun at 9:58 (its entries carry its start) that commits
    at 15:25: shown then in the 9:00 hour, which ended hours before (until
    this, a worker took an hour as settled ten minutes after its end)."""
    at = half_past_three
    sql_conn.execute(ENTRY, [at(9, 10), "alice", 3])
    with psycopg.connect(postgres_server.conninfo(database_name)) as importer:
        importer.execute(ENTRY, [at(9, 58), "import", 50])  # not committed yet
        while_running = oversight(client, api)
        assert while_running["per_hour"][9] == counted(sql_conn, at, 9)
        assert "import" not in {row["user"] for row in while_running["top_users"]}
        importer.commit()
    after = oversight(client, api)
    assert after["per_hour"][9] == counted(sql_conn, at, 9) == while_running["per_hour"][9] + 50
    assert {"user": "import", "count": 50} in after["top_users"]


def test_what_is_below_the_horizon_is_read_once(app, client, api, sql_conn, half_past_three):
    """Each load reads only the entries at or above the previous load's
    horizon.  Shown by an entry slipped in below it, with a transaction id
    long ended (only the log's owner can write one): a new app counts it,
    the app that had counted below the horizon does not read there again."""
    at = half_past_three
    sql_conn.execute(ENTRY, [at(15, 0), "alice", 2])
    first = oversight(client, api)
    below_horizon = ENTRY.replace("app_username)", "app_username, txid)").replace("%s FROM", "%s, '3'::xid8 FROM")
    sql_conn.execute(below_horizon, [at(15, 5), "slipped", 5])
    assert oversight(client, api)["per_hour"][15] == first["per_hour"][15], "the hour under way is not read whole"

    app.extensions[ACTIVITY_COUNTS].clear()  # a new worker counts what is there
    fresh = oversight(client, api)
    assert fresh["per_hour"][15] == counted(sql_conn, at, 15) == first["per_hour"][15] + 5
    assert {"user": "slipped", "count": 5} in fresh["top_users"]
