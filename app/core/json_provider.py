"""Flask's JSON answers encoded by orjson (C): the calendar's all-doctors
week is 3,000 events, and Python's json module spent a quarter of that
request encoding them (issue 22).

The answers mean the same as with Flask's own provider: keys sorted, dates
in Flask's HTTP format (orjson hands them back to Flask's default), Decimal
and UUID as strings.  Only the bytes differ: non-ASCII characters are
written as UTF-8 instead of \\u escapes.  What orjson cannot encode (an
integer past 64 bits, an indented answer in debug mode) goes to Flask's
encoder as before.  Reading JSON is left to Python's json module: its
answers to malformed bodies (nesting, lone surrogates) are the ones the
rest of the app turns into 400s.
"""

import orjson
from flask.json.provider import DefaultJSONProvider

OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


class FastJSONProvider(DefaultJSONProvider):
    def dumps(self, obj, **kwargs) -> str:
        if kwargs.keys() - {"separators"}:  # indent, a default of the caller's...: Flask's encoder
            return super().dumps(obj, **kwargs)
        try:
            return orjson.dumps(obj, default=self.default, option=OPTIONS).decode()
        except (orjson.JSONEncodeError, TypeError):
            return super().dumps(obj, **kwargs)
