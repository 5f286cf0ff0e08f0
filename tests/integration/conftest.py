"""Fixtures shared by the integration tests: the agenda screens' clinic,
the prescribing ward seen today."""

import pytest

from tests.agenda_screens import make_clinic
from tests.prescribing import ward_seen_today


@pytest.fixture
def clinic(sql_conn):
    """Two doctors at work Mon-Fri (Dr Martin is the `doctor` login), two patients, two rooms."""
    return make_clinic(sql_conn)


@pytest.fixture
def ward_today(sql_conn):
    """The prescribing ward with Hélène Dubois seen today by Dr Martin (the `doctor` login), arrived; an allergy."""
    return ward_seen_today(sql_conn)
