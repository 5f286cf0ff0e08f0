"""gunicorn's entry point for the load test: the build's own `run:app`
(imported from the directory gunicorn runs in, so the baseline serves its
own code) plus an X-Query-Count header: the SQL statements the request ran."""

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
