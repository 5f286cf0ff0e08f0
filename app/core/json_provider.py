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
from flask import Response
from flask.json.provider import DefaultJSONProvider

OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


class FastJSONProvider(DefaultJSONProvider):
    def dumps(self, obj, **kwargs) -> str:
        if kwargs.keys() - {"separators"}:  # indent, a default of the caller's...: Flask's encoder
            return super().dumps(obj, **kwargs)
        encoded = self._encoded(obj)
        return super().dumps(obj, **kwargs) if encoded is None else encoded.decode()

    def response(self, *args, **kwargs) -> Response:
        """orjson's bytes as the body, as they are: Flask's own response()
        goes through dumps() to a str and back to bytes (two copies of the
        all-doctors week's 2.4 MB, a tenth of that request)."""
        if (self.compact is None and self._app.debug) or self.compact is False:
            return super().response(*args, **kwargs)  # indented: Flask's encoder
        encoded = self._encoded(self._prepare_response_obj(args, kwargs), orjson.OPT_APPEND_NEWLINE)
        if encoded is None:
            return super().response(*args, **kwargs)
        return self._app.response_class(encoded, mimetype=self.mimetype)

    def _encoded(self, obj, option: int = 0) -> bytes | None:
        """The object by orjson, or None for Flask's encoder to write."""
        try:
            return orjson.dumps(obj, default=self.default, option=OPTIONS | option)
        except (orjson.JSONEncodeError, TypeError):
            return None
