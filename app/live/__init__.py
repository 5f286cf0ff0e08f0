"""Live notifications: new alerts, appointments booked for me, a patient
arrived for me, pushed to open pages by Server-Sent Events.

The database NOTIFYs (triggers/0115/01_live_notify.sql, ids only); one
LISTEN connection per web process (hub.py) fans them out to the open pages'
streams (stream.py), which re-read each row through the rules as the page's
user (events.py).  static/js/live.js shows the toasts and the bell."""


def register(appbuilder) -> None:
    from flask import Blueprint, current_app

    from app.live.stream import live_stream

    blueprint = Blueprint("live", __name__)
    blueprint.add_url_rule("/live/stream", "stream", live_stream, methods=["GET"])
    current_app.register_blueprint(blueprint)


def stop(app) -> None:
    """Close the process's LISTEN connection (tests: before their database is dropped)."""
    hub = app.extensions.get("caretrail_live_hub")
    if hub is not None:
        hub.stop()
