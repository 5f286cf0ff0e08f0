"""GET /live/stream: Server-Sent Events for the signed-in user's open page.

A stream lasts at most LIVE_STREAM_SECONDS, then ends: the browser's
EventSource reconnects by itself (after `retry` ms) with Last-Event-ID, the
login and session gates run again on that new request, and what happened
in between is replayed from the process's ring.  A comment line every
LIVE_HEARTBEAT_SECONDS keeps proxies from closing an idle stream and lets
the server notice a page that has gone.
"""

import json
import queue
import time

from flask import Response, current_app, request, stream_with_context

from app.core.actor import acting_as, current_actor
from app.core.extensions import db
from app.core.normalize import is_digits
from app.live.events import bell, event_for
from app.live.hub import hub_of

RETRY_MS = 3000


def sse(data: dict, event: str, event_id: int | None = None) -> str:
    lines = [f"event: {event}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append("data: " + json.dumps(data, ensure_ascii=False))
    return "\n".join(lines) + "\n\n"


def last_event_id() -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.args.get("last_event_id") or ""
    return int(raw) if is_digits(raw) and len(raw) < 20 else None


def live_stream() -> Response:
    actor = current_actor()
    if actor.user_id is None:
        return Response("Sign in first.", status=401, mimetype="text/plain")
    app = current_app._get_current_object()
    hub = hub_of(app)
    after = last_event_id()
    subscriber, missed = hub.subscribe(after)
    heartbeat = float(app.config.get("LIVE_HEARTBEAT_SECONDS", 15))
    lifetime = float(app.config.get("LIVE_STREAM_SECONDS", 300))

    def read(work):
        # A short transaction per event: no connection is held while waiting.
        try:
            with acting_as(actor):
                return work()
        finally:
            db.session.remove()

    def events():
        try:
            yield f"retry: {RETRY_MS}\n\n"
            yield sse(read(lambda: bell(db.session, actor)) or {}, "hello", after)
            for news in missed:
                event = read(lambda news=news: event_for(db.session, actor, news))
                if event:
                    yield sse(event, "notify", news["at"])
            deadline = time.monotonic() + lifetime
            while time.monotonic() < deadline:
                try:
                    news = subscriber.get(timeout=heartbeat)
                except queue.Empty:
                    yield ": keep-alive\n\n"
                    continue
                event = read(lambda news=news: event_for(db.session, actor, news))
                if event:
                    yield sse(event, "notify", news["at"])
        finally:
            hub.unsubscribe(subscriber)

    response = Response(stream_with_context(events()), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass each event through at once
    return response
