"""The JSON answers encoded by orjson mean exactly what Flask's own encoder
wrote (app/core/json_provider.py)."""

import dataclasses
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from flask_babel import Babel, lazy_gettext
from markupsafe import Markup

from app.core.json_provider import FastJSONProvider


@dataclasses.dataclass
class Slot:
    starts: datetime
    doctor: str


PAYLOAD = {
    "z": 1,
    "a": [1.5, None, True, "Hélène DUBOIS · consultation"],
    "when": datetime(2026, 12, 7, 9, 30, tzinfo=UTC),
    "day": date(2026, 12, 7),
    "amount": Decimal("12.50"),
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "slot": Slot(datetime(2026, 12, 7, 10, 0, tzinfo=UTC), "Dr MARTIN"),
    "markup": Markup("<b>x</b>"),
    "label": lazy_gettext("Arrived"),
}


def providers():
    app = Flask(__name__)
    Babel(app)
    return app, FastJSONProvider(app), DefaultJSONProvider(app)


def test_the_fast_answer_means_what_flask_wrote():
    app, fast, default = providers()
    with app.test_request_context():
        ours, flasks = fast.dumps(PAYLOAD), default.dumps(PAYLOAD)
    assert json.loads(ours) == json.loads(flasks)
    assert list(json.loads(ours)) == sorted(json.loads(ours))  # keys sorted, as Flask sorts them
    assert "Hélène" in ours  # written by orjson (Flask escapes it as \u00e9)


def test_what_orjson_cannot_encode_goes_to_flasks_encoder():
    app, fast, default = providers()
    with app.test_request_context():
        huge = {"id": 10**30}
        assert json.loads(fast.dumps(huge)) == json.loads(default.dumps(huge)) == huge
        assert fast.dumps({"b": 1}, indent=2) == default.dumps({"b": 1}, indent=2)


def test_the_app_answers_with_it(app):
    assert isinstance(app.json, FastJSONProvider)


def test_a_response_carries_orjsons_bytes_as_flask_would_answer():
    """Same meaning, mimetype and trailing newline as Flask's response(),
    written from orjson's bytes (no str in between); Flask's encoder for
    what orjson cannot encode and for debug mode's indented answers."""
    app, fast, default = providers()
    with app.test_request_context():
        ours, flasks = fast.response(PAYLOAD), default.response(PAYLOAD)
        assert json.loads(ours.get_data()) == json.loads(flasks.get_data())
        assert ours.mimetype == flasks.mimetype == "application/json"
        assert ours.get_data().endswith(b"}\n") and "Hélène".encode() in ours.get_data()
        huge = {"id": 10**30}
        assert fast.response(huge).get_data() == default.response(huge).get_data()
        app.debug = True
        assert fast.response({"b": 1}).get_data() == default.response({"b": 1}).get_data() == b'{\n  "b": 1\n}\n'
