"""The administration record's round times and windows from a free-text
frequency, and the due-vaccination arithmetic on whole months of age."""

import itertools
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.care.dosing import slots_on, times_of_day
from app.care.due import Dose, Step, add_months, due_vaccinations, months_between

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    ("frequency", "hours"),
    [
        ("once a day", [8]),
        ("daily", [8]),
        ("once a day, in the evening", [20]),
        ("twice a day", [8, 20]),
        ("matin et soir", [8, 20]),
        ("3 times a day", [8, 13, 20]),
        ("3 fois par jour", [8, 13, 20]),
        ("every 8 hours", [6, 14, 22]),
        ("2x/j", [8, 20]),
        ("if pain", []),
        ("every 5 hours", []),
        ("", []),
    ],
)
def test_round_times_of_a_frequency(frequency, hours):
    assert [t.hour for t in times_of_day(frequency)] == hours


def test_windows_never_overlap_the_next_dose():
    slots = slots_on("every 2 hours", date(2026, 12, 7), PARIS)
    assert len(slots) == 12
    for slot, following in itertools.pairwise(slots):
        assert slot.window_ends <= following.window_starts
        assert slot.window_starts < slot.planned_at < slot.window_ends
    once = slots_on("once a day", date(2026, 12, 7), PARIS)[0]
    assert once.planned_at.time() == time(8) and once.window_ends - once.window_starts == timedelta(hours=2)


def test_months_of_age():
    assert months_between(date(2000, 1, 31), date(2000, 2, 29)) == 0
    assert months_between(date(2000, 1, 31), date(2000, 3, 1)) == 1
    assert add_months(date(2000, 1, 31), 1) == date(2000, 2, 29)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)


def step(code, disease, due, until=None, repeat=None, tolerance=1, overdue=3):
    return Step(hash(code) % 1000, code, disease, code, due, until, repeat, tolerance, overdue)


def test_a_repeated_booster_asks_for_its_latest_occurrence_only():
    every_10y = step("dtp", "tetanus", 900, repeat=120, tolerance=24, overdue=12)
    birth = date(1930, 6, 1)
    today = date(2026, 12, 6)  # 96 years old: occurrences at 75, 85, 95
    (due,) = due_vaccinations(birth, [every_10y], [Dose(date(2012, 1, 1), frozenset({"tetanus"}))], today)
    assert due.due_on == date(2025, 6, 1) and due.status == "overdue"
    assert due_vaccinations(birth, [every_10y], [Dose(date(2024, 1, 1), frozenset({"tetanus"}))], today) == []


def test_one_dose_counts_once_per_disease_and_for_every_disease_it_covers():
    steps = [step("d1", "diphtheria", 2, 72), step("d2", "diphtheria", 4, 72), step("h1", "hib", 2, 60)]
    birth = date(2026, 1, 1)
    hexavalent = Dose(date(2026, 3, 5), frozenset({"diphtheria", "hib"}))
    due = due_vaccinations(birth, steps, [hexavalent], date(2026, 6, 1))
    assert [d.step.code for d in due] == ["d2"]  # the 2-month dose stands for d1 and for hib's step
