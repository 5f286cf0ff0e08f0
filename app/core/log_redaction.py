"""Secrets that travel in URLs are kept out of the logs.

A calendar app cannot sign in, so a doctor's iCalendar feed lives at a
secret address, /calendar/feed/<token>.ics (app/agenda/views/feeds.py):
whoever reads a log line holding it can read the doctor's agenda, patient
names included.  Only the token's hash is stored; this keeps the token out
of the request lines the server logs (`make run` serves with werkzeug) and
out of Flask's error reports.  A front proxy or another WSGI server keeps
its own access log: the README says to mask that path there too.
"""

import logging
import re

SECRET_PATH = re.compile(r"(/calendar/feed/)[^/\s?#\"]+(\.ics)")
REDACTED = r"\1[token]\2"


class RedactSecretPaths(logging.Filter):
    """Rewrites a record whose message holds a secret path (its arguments
    are merged into the message: the token may be one of them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call: logging reports it, a filter must not raise
            return True
        redacted = SECRET_PATH.sub(REDACTED, message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


_FILTER = RedactSecretPaths()


def redact_secret_paths(app_logger: logging.Logger) -> None:
    """Install the filter on werkzeug's request log and on the app's logger
    (once per logger: the test-suite builds many apps)."""
    for logger in (logging.getLogger("werkzeug"), app_logger):
        logger.addFilter(_FILTER)  # a no-op when already there
