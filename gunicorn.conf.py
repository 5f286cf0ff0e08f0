"""gunicorn's settings when it serves CareTrail from this directory
(`make serve`, or `gunicorn run:app`): read by gunicorn itself.

preload_app: the app is built once in the master and the workers are forked
from it, sharing its memory pages (FAB's views, API schemas, babel
catalogues: issue 22 measured 128 MB private per worker without it).
Building the app never touches the database (run.py), so no connection is
shared across the fork."""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
preload_app = True
# Threads: a page open on the live notifications (app/live, Server-Sent
# Events) holds one for as long as it stays open; the LISTEN connection each
# worker shares among them is opened at the first page, after the fork.
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "32"))
