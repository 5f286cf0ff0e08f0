"""A record's page address for lists built outside a view (the timeline):
url_for inside a request, None outside one (CLI, jobs), where no page is opened."""

from flask import has_request_context, url_for
from werkzeug.routing import BuildError


def page_url(endpoint: str, **values) -> str | None:
    if not has_request_context():
        return None
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None  # the screen is not installed in this app
