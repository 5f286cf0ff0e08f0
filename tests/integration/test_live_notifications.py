"""Live notifications: a change made elsewhere (a plain SQL insert, another
session) reaches an open page's Server-Sent Events stream within seconds,
through PostgreSQL's NOTIFY; only what the page's user may see reaches it."""

import json
import re
import threading
import time

import pytest
import requests
from werkzeug.serving import make_server

from tests.agenda import book, make_doctor, make_patient, next_weekday, paris, weekly_hours
from tests.conftest import TEST_PASSWORD

WITHIN_SECONDS = 8


@pytest.fixture
def server(app):
    """The app on a real threaded server (streams need one), with short-lived streams."""
    app.config.update(LIVE_HEARTBEAT_SECONDS=0.3, LIVE_STREAM_SECONDS=WITHIN_SECONDS + 2)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=10)
    httpd.server_close()


@pytest.fixture
def signed_in(server):
    """signed_in(username) -> a requests session signed in through the login form."""

    def _signed_in(username):
        session = requests.Session()
        form = session.get(f"{server}/login/").text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
        answer = session.post(
            f"{server}/login/", data={"username": username, "password": TEST_PASSWORD, "csrf_token": token}
        )
        assert answer.ok and "/login/" not in answer.url
        session.base = server
        return session

    return _signed_in


class Stream:
    """An open /live/stream read in a background thread, parsed into events."""

    def __init__(self, session, headers=None):
        self.events: list[dict] = []
        self.response = session.get(f"{session.base}/live/stream", stream=True, headers=headers or {}, timeout=30)
        assert self.response.status_code == 200, self.response.status_code
        assert self.response.headers["Content-Type"].startswith("text/event-stream")
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        buffer = ""
        try:
            for chunk in self.response.iter_content(chunk_size=None, decode_unicode=True):
                buffer += chunk
                while "\n\n" in buffer:
                    block, buffer = buffer.split("\n\n", 1)
                    self._parse(block)
        except (requests.RequestException, AttributeError, ValueError):
            return  # closed by the test

    def _parse(self, block):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and line[0] != ":")
        if "event" in fields:
            self.events.append({"event": fields["event"], "id": fields.get("id"), "data": json.loads(fields["data"])})

    def wait_for(self, predicate, seconds=WITHIN_SECONDS):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for event in list(self.events):
                if predicate(event):
                    return event
            time.sleep(0.05)
        return None

    def close(self):
        self.response.close()


def insert_alert(conn, summary="3 patients changed at 03:12 by nightly-import") -> int:
    return conn.execute(
        "INSERT INTO alerts (rule_code, severity, summary, audit_entry_ids, occurred_at) "
        "VALUES ('off_hours', 'warning', %s, '{1}', now()) RETURNING id",
        [summary],
    ).fetchone()[0]


def test_a_new_alert_inserted_in_sql_reaches_an_admins_open_stream(signed_in, sql_conn):
    stream = Stream(signed_in("admin"))
    try:
        assert stream.wait_for(lambda e: e["event"] == "hello"), "no hello from the stream"
        alert_id = insert_alert(sql_conn)
        event = stream.wait_for(lambda e: e["event"] == "notify")
        assert event, "the alert did not reach the open stream"
        assert event["data"]["type"] == "alert" and event["data"]["id"] == alert_id
        assert event["data"]["bell"] >= 1
        assert event["id"] and event["id"].isdigit(), "each event has an id for Last-Event-ID"
    finally:
        stream.close()


def test_a_user_who_may_not_read_alerts_is_not_told_of_them(signed_in, sql_conn):
    stream = Stream(signed_in("secretary"))
    try:
        assert stream.wait_for(lambda e: e["event"] == "hello")
        insert_alert(sql_conn)
        assert stream.wait_for(lambda e: e["event"] == "notify", seconds=2) is None
    finally:
        stream.close()


def test_the_notification_carries_ids_only(sql_conn, postgres_server, database_name):
    """NOTIFY's payload is seen by every listener: no summary, no name in it."""
    import psycopg

    with psycopg.connect(postgres_server.conninfo(database_name), autocommit=True) as listener:
        listener.execute("LISTEN caretrail_live")
        insert_alert(sql_conn, summary="Dubois Marie changed")
        payloads = [n.payload for n in listener.notifies(timeout=3, stop_after=1)]
    assert payloads, "no NOTIFY"
    news = json.loads(payloads[0])
    assert set(news) == {"kind", "id", "at"} and news["kind"] == "alert"
    assert "Dubois" not in payloads[0]


def test_a_booking_and_an_arrival_reach_the_doctor_whose_agenda_it_is(signed_in, sql_conn):
    doctor_user = sql_conn.execute("SELECT id FROM ab_user WHERE username = 'doctor'").fetchone()[0]
    doctor_id = make_doctor(sql_conn, user_id=doctor_user)
    other_doctor = make_doctor(sql_conn, last_name="Bernard")
    weekly_hours(sql_conn, doctor_id)
    weekly_hours(sql_conn, other_doctor)
    patient_id = make_patient(sql_conn, last_name="Lefebvre")
    day = next_weekday(2)
    stream = Stream(signed_in("doctor"))
    try:
        assert stream.wait_for(lambda e: e["event"] == "hello")
        book(sql_conn, patient_id, other_doctor, paris(day.year, day.month, day.day, 9))
        mine = book(sql_conn, patient_id, doctor_id, paris(day.year, day.month, day.day, 10))
        booked = stream.wait_for(lambda e: e["event"] == "notify")
        assert booked and booked["data"]["type"] == "appointment_booked" and booked["data"]["id"] == mine
        assert "Lefebvre" in booked["data"]["text"]
        assert [e["data"]["id"] for e in stream.events if e["event"] == "notify"] == [mine], "another doctor's"
    finally:
        stream.close()


def test_a_stream_that_reconnects_gets_what_it_missed(signed_in, sql_conn):
    """Last-Event-ID: the alert raised while the page was away is replayed."""
    admin = signed_in("admin")
    first = Stream(admin)
    try:
        assert first.wait_for(lambda e: e["event"] == "hello")
        insert_alert(sql_conn, summary="first")
        seen = first.wait_for(lambda e: e["event"] == "notify")
        assert seen
    finally:
        first.close()
    missed_id = insert_alert(sql_conn, summary="while away")
    time.sleep(0.5)  # the process's listener has it; no page is open
    again = Stream(admin, headers={"Last-Event-ID": seen["id"]})
    try:
        replayed = again.wait_for(lambda e: e["event"] == "notify")
        assert replayed and replayed["data"]["id"] == missed_id
    finally:
        again.close()


def test_one_listening_connection_serves_every_open_page(signed_in, sql_conn):
    admin = signed_in("admin")
    streams = [Stream(admin) for _ in range(4)]
    try:
        for stream in streams:
            assert stream.wait_for(lambda e: e["event"] == "hello")
        listeners = sql_conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE application_name = 'caretrail-live' AND datname = current_database()"
        ).fetchone()[0]
        assert listeners == 1
        insert_alert(sql_conn)
        for stream in streams:
            assert stream.wait_for(lambda e: e["event"] == "notify")
    finally:
        for stream in streams:
            stream.close()
