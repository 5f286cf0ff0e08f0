"""Fixtures shared by the agenda screens' tests."""

import pytest

from tests.agenda_screens import make_clinic


@pytest.fixture
def clinic(sql_conn):
    """Two doctors at work Mon-Fri (Dr Martin is the `doctor` login), two patients, two rooms."""
    return make_clinic(sql_conn)
