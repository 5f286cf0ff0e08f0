"""The calendar feed's row and its event maker agree: each column lands in
the argument of its name (the rows are unpacked by position, for speed)."""

import inspect

from app.agenda.calendar import _event_rows, _EventMaker


def test_the_feeds_columns_are_the_event_makers_arguments_in_order():
    arguments = list(inspect.signature(_EventMaker.event).parameters)[1:]  # after self
    assert list(_event_rows().selected_columns.keys()) == arguments
