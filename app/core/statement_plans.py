"""Statements planned for their own values.

The connections keep their prepared statements (request_transaction.py),
and after five runs of one PostgreSQL may plan it once for any values (a
generic plan) when that looks no costlier than the plans made for each.
For most statements (a record by its id, the signed-in user, a patient's
page) that saves the planning and changes nothing else.  For a period of
the audit it does not: the generic plan guesses how many entries any
period holds, and a period may hold ten or a million.  The oversight
home's count of a day of 808,000 entries took 350 ms planned for its
values (a parallel scan of the month's partition) and 560 ms on the
generic plan (an index scan of every entry, on one core).

So the readers of a period of the audit (its search, its statistics, the
oversight home's activity) have their transaction plan each statement for
its values: `set_config(..., true)` lasts until the transaction ends.
"""

import sqlalchemy as sa

# A column of a SELECT, to set it in a statement the reader runs anyway.
CUSTOM_PLANS = "set_config('plan_cache_mode', 'force_custom_plan', true)"
_PLAN_FOR_THEIR_VALUES = sa.text(f"SELECT {CUSTOM_PLANS}")


def plan_for_their_values(session) -> None:
    """This transaction's statements are planned for their own values."""
    session.execute(_PLAN_FOR_THEIR_VALUES)
