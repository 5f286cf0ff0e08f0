"""Fixtures shared by the integration tests: the agenda screens' clinic,
the prescribing ward seen today."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.agenda import book
from tests.agenda_screens import make_clinic
from tests.prescribing import allergy, make_ward


@pytest.fixture
def clinic(sql_conn):
    """Two doctors at work Mon-Fri (Dr Martin is the `doctor` login), two patients, two rooms."""
    return make_clinic(sql_conn)


@pytest.fixture
def ward_today(sql_conn):
    """The prescribing ward with Hélène Dubois seen today by Dr Martin (the `doctor` login), arrived; an allergy."""
    ward = make_ward(sql_conn)
    (today_10,) = sql_conn.execute("SELECT date_trunc('day', now() AT TIME ZONE hospital_time_zone())").fetchone()
    starts = (today_10 + timedelta(hours=10)).replace(tzinfo=None)
    zone = sql_conn.execute("SELECT hospital_time_zone()").fetchone()[0]
    starts = datetime.combine(starts.date(), starts.time(), ZoneInfo(zone))
    appointment = book(sql_conn, ward["dubois"], ward["martin"], starts, kind="emergency", override_reason="test")
    sql_conn.execute("UPDATE appointments SET status = 'arrived' WHERE id = %s", [appointment])
    allergy(sql_conn, ward["dubois"], substance="PENICILLINE")
    sql_conn.execute(
        "UPDATE patients SET sex = 'M', nir = '185057800608491', birth_date = DATE '1985-05-12' WHERE id = %s",
        [ward["dubois"]],
    )
    return {**ward, "appointment": appointment}
