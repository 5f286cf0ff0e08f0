"""gunicorn's entry point for the load test: the build's own `run:app`
(imported from the directory gunicorn runs in, so the baseline serves its
own code) plus two headers: X-Query-Count, the SQL statements the request
ran; X-Server-Time, the milliseconds from the request reaching the app to
its answer ready (the one-at-a-time table's "server time", without the
HTTP exchange's and the client's share)."""

import time

import flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from run import app


@event.listens_for(Engine, "before_cursor_execute")
def _count_query(*_args) -> None:
    if flask.has_request_context():
        flask.g._bench_queries = flask.g.get("_bench_queries", 0) + 1


@app.after_request
def _query_count_header(response):
    response.headers["X-Query-Count"] = str(flask.g.get("_bench_queries", 0))
    return response


class _ServerTime:
    """Around the whole app (its hooks included): Flask has rendered the
    answer when it starts the response."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        started = time.perf_counter()

        def timed(status, headers, exc_info=None):
            headers.append(("X-Server-Time", f"{(time.perf_counter() - started) * 1000:.3f}"))
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, timed)


app.wsgi_app = _ServerTime(app.wsgi_app)
