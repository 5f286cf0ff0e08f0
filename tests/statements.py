"""The statements a page sends to PostgreSQL, captured as a user opens it
(for the tests that EXPLAIN them)."""

from collections.abc import Callable

from sqlalchemy import event

from app.core.extensions import db


def statements_of(
    app, client, path: str, params: dict, wanted: Callable[[str], bool], headers: dict | None = None
) -> list[tuple[str, dict]]:
    """(statement, parameters) of each statement `wanted` accepts, sent while
    `client` GETs the page (which must answer 200)."""
    captured = []

    def record(_conn, _cursor, statement, parameters, _context, _many):
        if wanted(statement):
            captured.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(path, query_string=params, headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:300])
    return captured
