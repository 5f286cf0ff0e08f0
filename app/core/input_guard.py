"""What no door should ever pass to the rules or the database, refused once,
before any view runs: every refusal is a 400 naming where the bad input is.

- a NUL character (PostgreSQL text cannot hold one) in the path, a query
  parameter, a form field or a JSON string;
- text that is not valid Unicode (a lone surrogate such as "\\ud800" in JSON);
- JSON nested deeper than MAX_JSON_DEPTH (Python's parser would exhaust its
  stack on 5,000 levels: a crash, not an answer);
- a body declared as JSON that is not JSON (the answer says where the parser
  stopped), and an API write whose body is not a JSON object (`[1, 2]` or
  `null` reached FAB's update as a 500);
- an id in the URL beyond PostgreSQL's bigint (the `int` converter: 404);
- a request body over MAX_CONTENT_LENGTH (Flask's own check: 413, answered
  by app/core/answers.py).
"""

import json

import prison
from flask import Flask, request
from werkzeug.routing import IntegerConverter

from app.core.errors import BadInput
from app.core.schemas import MAX_ID

MAX_JSON_DEPTH = 32


class BoundedIntConverter(IntegerConverter):
    """`<int:pk>` that matches only what fits a bigint: a larger id is simply no record (404)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def install_converters(app: Flask) -> None:
    """Before any route is added (create_app does it first)."""
    app.url_map.converters["int"] = BoundedIntConverter


WRITES = frozenset({"POST", "PUT", "PATCH"})

# APIs whose `q` is the text typed, not FAB's Rison (the global search).
PLAIN_TEXT_Q = frozenset({"/api/v1/search"})


def init_input_guard(app: Flask) -> None:
    @app.before_request
    def refuse_malformed_input() -> None:
        _check_text("path", request.path)
        for name, values in request.args.lists():
            _check_text(name, name)
            for value in values:
                _check_text(name, value)
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for name, values in request.form.lists():
                for value in values:
                    _check_text(name, value)
        # An empty body (no length sent, as curl does without -d) is the
        # endpoint's to judge: some take none (a prescription's signature).
        raw = request.get_data(cache=True) if request.is_json and request.content_length != 0 else b""
        if raw.strip():
            body = _check_json(raw)
            if request.method in WRITES and request.path.startswith("/api/") and not isinstance(body, dict):
                raise BadInput('The body must be a JSON object, such as {"city": "Lyon"}.', field="body")
        if request.path.startswith("/api/") and request.args.get("q") and request.path.rstrip("/") not in PLAIN_TEXT_Q:
            _check_rison(request.args["q"])


def _check_text(where: str, value: str) -> None:
    if "\x00" in value:
        raise BadInput("A NUL character is not allowed.", field=_field_name(where))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadInput("This text is not valid Unicode.", field=_field_name(where)) from None


def _check_rison(text: str) -> None:
    """FAB reads `q` with prison, whose parser can fail in ways FAB does not
    catch (`((((` was a 500): refuse what it cannot read."""
    try:
        prison.loads(text)
    except Exception:
        raise BadInput("Not a Rison expression, e.g. (page:0,page_size:25).", field="q") from None


def _field_name(where: str) -> str:
    # The name itself may be what is malformed: never echo a NUL or a surrogate back.
    return where.encode("utf-8", "replace").decode("utf-8").replace("\x00", "?")[:100]


def _check_json(raw: bytes):
    """The body, parsed once checked."""
    if _nesting_depth(raw) > MAX_JSON_DEPTH:
        raise BadInput(f"JSON nested more than {MAX_JSON_DEPTH} levels deep.", field="body")
    try:
        body = json.loads(raw)
    except UnicodeDecodeError:
        raise BadInput("The body is not UTF-8 text.", field="body") from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise BadInput(f"The body is not valid JSON: {exc.msg} ({where}).", field="body") from None
    _walk(body, "body")
    return body


def _walk(value, where: str) -> None:
    if isinstance(value, str):
        _check_text(where, value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(where, key)
            _walk(item, key)
    elif isinstance(value, list):
        for item in value:
            _walk(item, where)


def _nesting_depth(raw: bytes) -> int:
    """The deepest [ or { nesting of a JSON text, without parsing it (strings skipped)."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_JSON_DEPTH:
        return 0  # cannot be deeper than that: skip the byte-by-byte walk
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_JSON_DEPTH:
                return deepest
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest
