"""Name searches that stay fast at hospital scale (issue 22).

Three habits, shared by every search door (the lists' quick search and
"Last name" filter, the agenda's patient picker, the REST API's filters):

- **Matches sorted, not walked.**  Fetching the first page of a common
  surname sorted by name made PostgreSQL walk the name-order index and
  filter ~500,000 rows (2 s for "moreau").  A searched list is ordered by
  `greatest(column)` instead of the column (sort_keys): the same order,
  which no index provides, so PostgreSQL finds the matches once through the
  trigram index and sorts them: "martin" (16,700 matches) 19 ms.  (Until
  issue 22's second pass the matches were fenced as `id = ANY(ARRAY(...))`,
  which fetched every match twice: 50 ms.)  Only for words of at least
  MIN_LETTERS letters: a trigram index has nothing to look up in one or
  two letters.
- **One or two letters ask for one more** (MIN_LETTERS), quickly, instead of
  scanning every patient for "du".
- **A typo still finds the patient.**  When nothing matches exactly, names
  similar to the words typed (pg_trgm similarity, on the same index) are
  offered instead: "dubuis" finds Dubois and Dupuis.
"""

import sqlalchemy as sa
from flask import flash, g, has_request_context, request
from flask_babel import lazy_gettext

from app.core.errors import BadInput
from app.core.extensions import db

MIN_LETTERS = 3
TOO_SHORT = lazy_gettext("Type at least 3 letters (or digits) to search by name.")
SIMILAR_SHOWN = lazy_gettext("No exact match: similar names are shown.")


def long_enough(text: str) -> bool:
    return len(text) >= MIN_LETTERS


# The models a name search narrowed in this request (g.<this>): their
# lists are then ordered by sort_keys (app/core/datamodel.py).
SEARCHED_MODELS = "ct_name_searched"


def matches_sorted(model, condition):
    """The search's condition, noted for the request: a FAB list or API of
    `model` that applies it then orders by sort_keys, which PostgreSQL can
    only sort, never walk."""
    if has_request_context():
        g.setdefault(SEARCHED_MODELS, set()).add(model)
    return condition


def name_searched(model) -> bool:
    return has_request_context() and model in g.get(SEARCHED_MODELS, ())


def sort_keys(*columns):
    """`greatest(column)` for each column: sorts exactly as the column (same
    type, collation and NULLs), but matches no index, so a search's matches
    are sorted rather than found by walking an index in the list's order
    and filtering every row (PostgreSQL does not simplify a one-argument
    GREATEST; tests/integration/test_name_search_plans.py checks it)."""
    return [sa.func.greatest(column) for column in columns]


def any_match(model, condition) -> bool:
    """Whether some row matches (remembered for the request: FAB applies a
    list's filters twice, for the count and for the page)."""
    key = ("ct_any_match", model.__name__, str(condition.compile(compile_kwargs={"literal_binds": True})))
    cache = g.setdefault("ct_name_search", {}) if has_request_context() else {}
    if key not in cache:
        # Through the (trigram) index, never a walk: a plain EXISTS lets the
        # planner expect an early hit and walk the name-order index, which
        # once the table is vacuumed (index-only) read 302,000 names to reach
        # "moreau" (0.5 s).  A materialized CTE is planned for all its rows
        # (a bitmap scan); EXISTS then reads its first: 2 ms.
        matches = sa.select(model.id).where(condition).cte("matches").prefix_with("MATERIALIZED")
        cache[key] = bool(db.session.scalar(sa.select(sa.exists().select_from(matches))))
    return cache[key]


def similar_to(expression, word: str):
    """pg_trgm's `%` (similarity above pg_trgm.similarity_threshold, 0.3): indexable."""
    return expression.op("%")(sa.func.normalize_search_text(sa.literal(word)))


def too_short(field: str):
    """One or two letters: the API refuses (400 naming the field); a screen
    says so once and shows nothing (answered at once, no scan)."""
    if not has_request_context() or request.path.startswith("/api/") or g.get("json_endpoint"):
        raise BadInput(str(TOO_SHORT), field=field)
    note(TOO_SHORT)
    return sa.false()


def note(message) -> None:
    """A flashed message, once per request whatever the number of filters applied."""
    if not has_request_context() or request.path.startswith("/api/") or g.get("json_endpoint"):
        return
    shown = g.setdefault("ct_search_notes", set())
    if str(message) not in shown:
        shown.add(str(message))
        flash(message, "info")
