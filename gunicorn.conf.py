"""gunicorn's settings when it serves CareTrail from this directory
(`make serve`, or `gunicorn run:app`): read by gunicorn itself.

preload_app: the app is built once in the master and the workers are forked
from it, sharing its memory pages (FAB's views, API schemas, babel
catalogues: issue 22 measured 128 MB private per worker without it).
Building the app never touches the database (run.py), so no connection is
shared across the fork."""

import gc
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
preload_app = True
# Threads: a page open on the live notifications (app/live, Server-Sent
# Events) holds one for as long as it stays open; the LISTEN connection each
# worker shares among them is opened at the first page, after the fork.
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "32"))
# No keep-alive: a kept-alive connection pins its client to the worker that
# accepted it, however busy (the load test's tail latencies), and a client
# reusing a connection as gunicorn closes it for idleness gets "connection
# reset" (the load test's one error in a few thousand requests).  Behind a
# reverse proxy, as in production, upstream connections are not kept alive
# anyway; on a hospital LAN a new connection costs a fraction of a millisecond.
keepalive = 0


def pre_fork(server, worker):
    """The app built by preload_app goes to the collector's permanent
    generation before each fork (Python's gc.freeze() advice): a full
    collection no longer walks its ~300,000 objects, which an all-doctors
    calendar week (thousands of surviving dicts) set off every few requests
    (issue 22: 15 ms of collection per request, 4 ms frozen), and the
    workers stop writing to the pages they share with the master."""
    gc.freeze()
