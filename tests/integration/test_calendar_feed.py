"""A doctor's agenda in a calendar app: the iCalendar feed at a secret,
revocable address (no login), parsed back with the icalendar library."""

import hashlib
import logging
import re
import threading
import urllib.request
from datetime import UTC, datetime, timedelta

import icalendar
from werkzeug.serving import make_server

from tests.agenda import book
from tests.agenda_screens import at
from tests.conftest import csrf_token

FEED_URL = re.compile(r'id="new-feed-url">(http[^<]+)</a>')


def create_feed(client, doctor_id: int) -> str:
    """Creates (or regenerates) the doctor's feed from the screen; returns the path shown once."""
    page = client.get("/calendar/feeds/")
    assert page.status_code == 200
    response = client.post(
        f"/calendar/feeds/{doctor_id}/create", data={"csrf_token": csrf_token(page.get_data(as_text=True))}
    )
    assert response.status_code == 200, response.status_code
    [url] = FEED_URL.findall(response.get_data(as_text=True))
    return url.replace("http://localhost", "")


def parse(response) -> icalendar.Calendar:
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    return icalendar.Calendar.from_ical(response.data)


def test_the_feed_is_valid_icalendar_with_utc_times_and_stable_uids(app, client, login, clinic):
    conn = clinic["conn"]
    kept = book(conn, clinic["dubois"], clinic["martin"], at(10), room_id=clinic["room"])
    cancelled = book(conn, clinic["durand"], clinic["martin"], at(11))
    conn.execute("UPDATE appointments SET status = 'cancelled', cancellation_reason = 'ill' WHERE id = %s", [cancelled])
    book(conn, clinic["durand"], clinic["petit"], at(10))  # another doctor's: not in this feed
    login("doctor")
    path = create_feed(client, clinic["martin"])
    assert re.fullmatch(r"/calendar/feed/[A-Za-z0-9_-]{43}\.ics", path)

    anonymous = app.test_client()  # a calendar app: no session, no login
    calendar = parse(anonymous.get(path))
    assert str(calendar["version"]) == "2.0" and "Dr Paul MARTIN" in str(calendar["x-wr-calname"])
    events = {str(event["uid"]): event for event in calendar.walk("VEVENT")}
    assert set(events) == {f"appointment-{kept}@caretrail", f"appointment-{cancelled}@caretrail"}
    event = events[f"appointment-{kept}@caretrail"]
    assert event.decoded("dtstart") == at(10) and event.decoded("dtend") == at(10, 30)
    assert event.decoded("dtstart").utcoffset() == timedelta(0)  # written in UTC
    assert b"DTSTART:" in anonymous.get(path).data and b"Z\r\n" in anonymous.get(path).data
    assert str(event["summary"]) == "DUBOIS Hélène - Consultation" and "CONS-9" in str(event["location"])
    assert str(event["status"]) == "CONFIRMED"
    assert str(events[f"appointment-{cancelled}@caretrail"]["status"]) == "CANCELLED"
    # The same UID on the next fetch, after a move: calendar apps update rather than duplicate.
    conn.execute("UPDATE appointments SET starts_at = %s WHERE id = %s", [at(15), kept])
    again = {str(e["uid"]): e for e in parse(anonymous.get(path)).walk("VEVENT")}
    assert again[f"appointment-{kept}@caretrail"].decoded("dtstart") == at(15)


def test_only_the_tokens_hash_is_stored(client, login, clinic):
    login("doctor")
    path = create_feed(client, clinic["martin"])
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    [(stored,)] = clinic["conn"].execute("SELECT token_hash FROM calendar_feeds").fetchall()
    assert bytes(stored) == hashlib.sha256(token.encode()).digest()
    page = client.get("/calendar/feeds/").get_data(as_text=True)
    assert token not in page and "active since" in page  # shown once, never again


def test_the_feed_covers_a_month_back_and_a_year_ahead(app, client, login, clinic):
    conn = clinic["conn"]
    emergency = "SELECT id FROM appointment_types WHERE code = 'emergency'"
    for days in (-45, -20, 300, 400):
        conn.execute(
            "INSERT INTO appointments (patient_id, doctor_id, type_id, starts_at, duration_minutes, override_reason) "
            f"VALUES (%s, %s, ({emergency}), %s, 30, 'on call')",
            [clinic["dubois"], clinic["martin"], datetime.now(UTC) + timedelta(days=days)],
        )
    login("secretary")
    path = create_feed(client, clinic["martin"])
    starts = sorted(e.decoded("dtstart") for e in parse(app.test_client().get(path)).walk("VEVENT"))
    now = datetime.now(UTC)
    assert [round((s - now).total_seconds() / 86400) for s in starts] == [-20, 300]


def test_regenerating_revokes_the_old_address_and_revoked_or_unknown_ones_are_404(app, client, login, clinic):
    login("secretary")
    old = create_feed(client, clinic["martin"])
    new = create_feed(client, clinic["martin"])
    anonymous = app.test_client()
    assert anonymous.get(old).status_code == 404
    assert anonymous.get(new).status_code == 200
    page = client.get("/calendar/feeds/")
    client.post(
        f"/calendar/feeds/{clinic['martin']}/revoke", data={"csrf_token": csrf_token(page.get_data(as_text=True))}
    )
    assert anonymous.get(new).status_code == 404
    assert anonymous.get("/calendar/feed/not-a-token-anyone-was-given.ics").status_code == 404
    (active,) = clinic["conn"].execute("SELECT count(*) FROM calendar_feeds WHERE revoked_at IS NULL").fetchone()
    assert active == 0


def test_a_doctor_manages_only_their_own_feed(client, login, clinic):
    login("doctor")
    page = client.get("/calendar/feeds/").get_data(as_text=True)
    assert f'data-doctor-id="{clinic["martin"]}"' in page and f'data-doctor-id="{clinic["petit"]}"' not in page
    response = client.post(
        f"/calendar/feeds/{clinic['petit']}/create", data={"csrf_token": csrf_token(page)}, follow_redirects=True
    )
    assert "You may only change your own agenda." in response.get_data(as_text=True)
    assert clinic["conn"].execute("SELECT count(*) FROM calendar_feeds").fetchone() == (0,)


def test_a_nurse_cannot_create_feeds(client, login, clinic):
    login("nurse")
    assert client.get("/calendar/feeds/").status_code == 403


def test_the_feed_token_never_reaches_the_logs(app, client, login, clinic, caplog):
    """Served by werkzeug as `make run` does: the request line is logged with
    the token replaced, and so is the error report of a feed that fails."""
    login("doctor")
    path = create_feed(client, clinic["martin"])
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO):
            with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}{path}") as response:
                assert response.status == 200 and b"BEGIN:VCALENDAR" in response.read()
            app.logger.error("Exception on %s [GET]", path)  # what Flask logs when a view raises
    finally:
        server.shutdown()
        thread.join()
    logged = [record.getMessage() for record in caplog.records]
    assert any('"GET /calendar/feed/[token].ics HTTP/1.1" 200' in line for line in logged), logged
    assert "Exception on /calendar/feed/[token].ics [GET]" in logged
    assert not any(token in line for line in logged)
