"""Addresses: a record's page for lists built outside a view (the timeline),
and the same-site paths a `next` may name."""

from flask import has_request_context, url_for
from werkzeug.routing import BuildError


def page_url(endpoint: str, **values) -> str | None:
    """url_for inside a request, None outside one (CLI, jobs), where no page is opened."""
    if not has_request_context():
        return None
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None  # the screen is not installed in this app


def local_path(url: str | None) -> str | None:
    """`url` if it is a path of this site, else None: a `next` followed or
    linked to never leads elsewhere (no open redirect)."""
    if url and url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return None
