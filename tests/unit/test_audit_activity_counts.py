"""The oversight home's counts kept per app (app/home/audit_activity.py):
what two threads counting at once, or a day's end, may not do."""

from collections import Counter
from datetime import UTC, datetime, timedelta

from app.home.audit_activity import ActivityCounts

MONDAY = datetime(2026, 12, 6, 23, tzinfo=UTC)  # a local midnight
NINE = MONDAY + timedelta(hours=10)


def test_counts_add_up_from_horizon_to_horizon():
    counts = ActivityCounts()
    assert counts.known(MONDAY) == (0, Counter())
    counts.add(MONDAY, 0, 100, Counter({(NINE, "alice"): 3}))
    counts.add(MONDAY, 100, 140, Counter({(NINE, "alice"): 2}))
    assert counts.known(MONDAY) == (140, Counter({(NINE, "alice"): 5}))


def test_a_count_from_a_horizon_already_passed_is_not_added_twice():
    """Two threads read the same horizon; the second to finish finds it moved."""
    counts = ActivityCounts()
    counts.add(MONDAY, 0, 100, Counter({(NINE, "alice"): 3}))
    counts.add(MONDAY, 100, 120, Counter({(NINE, "bob"): 1}))
    counts.add(MONDAY, 100, 125, Counter({(NINE, "bob"): 1}))
    assert counts.known(MONDAY) == (120, Counter({(NINE, "alice"): 3, (NINE, "bob"): 1}))


def test_the_horizon_never_goes_back():
    counts = ActivityCounts()
    counts.add(MONDAY, 0, 100, Counter())
    counts.add(MONDAY, 100, 90, Counter())
    assert counts.known(MONDAY)[0] == 100


def test_a_new_day_starts_from_nothing_and_a_late_count_of_the_last_one_is_dropped():
    tuesday = MONDAY + timedelta(days=1)
    counts = ActivityCounts()
    counts.add(MONDAY, 0, 100, Counter({(NINE, "alice"): 3}))
    assert counts.known(tuesday) == (0, Counter())
    counts.add(tuesday, 0, 150, Counter({(tuesday, "bob"): 1}))
    counts.add(MONDAY, 100, 160, Counter({(NINE, "alice"): 1}))  # begun before midnight
    counts.add(MONDAY, 0, 160, Counter({(NINE, "alice"): 1}))
    assert counts.known(tuesday) == (150, Counter({(tuesday, "bob"): 1}))
    assert counts.known(MONDAY) == (0, Counter())
