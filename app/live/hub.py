"""One LISTEN connection per web process, fanned out to every open page.

PostgreSQL's NOTIFY reaches every session that LISTENs on the channel, in
every process on every machine: so each web process (werkzeug threaded,
gunicorn's workers) holds exactly one dedicated connection, outside the
SQLAlchemy pool, and one thread reading it.  Each open page's stream is a
subscriber with its own small queue; a page costs a thread of the threaded
server and a queue, never a database connection.

Notifications are kept in a short ring (by their `at` id, the trigger's
clock in microseconds) so a page that reconnects with Last-Event-ID gets
what it missed while it was away, whichever process it lands on.
"""

import contextlib
import json
import logging
import os
import queue
import threading
from collections import deque

import psycopg
from sqlalchemy.engine import make_url

CHANNEL = "caretrail_live"
RING_SIZE = 500
SUBSCRIBER_QUEUE_SIZE = 100
RECONNECT_SECONDS = 2.0

log = logging.getLogger(__name__)


def conninfo_of(sqlalchemy_url: str) -> str:
    """The SQLAlchemy URL as libpq connection info (psycopg's own driver name)."""
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


class LiveHub:
    """LISTEN caretrail_live in one thread; publish to subscribers' queues."""

    def __init__(self, conninfo: str):
        self.conninfo = conninfo
        self._subscribers: set[queue.Queue] = set()
        self._ring: deque[dict] = deque(maxlen=RING_SIZE)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None

    # -- the listening thread -------------------------------------------
    def start(self) -> None:
        """Start listening (once per process: a forked worker starts its own)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
                return
            self._stop.clear()
            self._ready.clear()
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="caretrail-live-listen", daemon=True)
            self._thread.start()
        self._ready.wait(timeout=5)

    def stop(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=5)
        self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True, application_name="caretrail-live") as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._ready.set()
                    while not self._stop.is_set():
                        for notify in conn.notifies(timeout=1.0):
                            self._publish(notify.payload)
            except psycopg.Error as exc:  # database restarted, dropped: listen again
                self._ready.set()
                log.warning("live notifications: listening again in %ss (%s)", RECONNECT_SECONDS, exc)
                self._stop.wait(RECONNECT_SECONDS)

    def _publish(self, payload: str) -> None:
        try:
            news = json.loads(payload)
            news = {"kind": str(news["kind"]), "id": int(news["id"]), "at": int(news["at"])}
        except (ValueError, KeyError, TypeError):
            log.warning("live notifications: ignored a malformed payload")
            return
        with self._lock:
            self._ring.append(news)
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            # A page that stopped reading misses it: it reconnects and replays from the ring.
            with contextlib.suppress(queue.Full):
                subscriber.put_nowait(news)

    # -- the pages -------------------------------------------------------
    def subscribe(self, after: int | None = None) -> tuple[queue.Queue, list[dict]]:
        """A new queue, and what was published after `after` (Last-Event-ID)."""
        self.start()
        subscriber: queue.Queue = queue.Queue(maxsize=SUBSCRIBER_QUEUE_SIZE)
        with self._lock:
            self._subscribers.add(subscriber)
            missed = [news for news in self._ring if after is not None and news["at"] > after]
        return subscriber, missed

    def unsubscribe(self, subscriber: queue.Queue) -> None:
        with self._lock:
            self._subscribers.discard(subscriber)

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscribers)


_creating = threading.Lock()


def hub_of(app) -> LiveHub:
    """The app's hub (created on first use; the thread starts with the first page).
    Locked: two first pages at once must not open two LISTEN connections."""
    with _creating:
        hub = app.extensions.get("caretrail_live_hub")
        if hub is None:
            hub = app.extensions["caretrail_live_hub"] = LiveHub(conninfo_of(app.config["SQLALCHEMY_DATABASE_URI"]))
    return hub
