"""The log filter that keeps calendar feed tokens out of the logs."""

import logging

from app.core.log_redaction import RedactSecretPaths


def record(message: str, *args) -> logging.LogRecord:
    return logging.LogRecord("werkzeug", logging.INFO, __file__, 1, message, args, None)


def test_the_token_is_replaced_wherever_it_sits_in_the_message():
    line = record('"%s" %s %s', "GET /calendar/feed/Ab-_09xyz.ics?refresh=1 HTTP/1.1", "200", "-")
    assert RedactSecretPaths().filter(line)
    assert line.getMessage() == '"GET /calendar/feed/[token].ics?refresh=1 HTTP/1.1" 200 -'


def test_other_lines_and_malformed_calls_pass_untouched():
    other = record('"%s" %s', "GET /calendar/feeds/ HTTP/1.1", "200")
    malformed = record("two %s %s", "one")
    assert RedactSecretPaths().filter(other) and RedactSecretPaths().filter(malformed)
    assert other.getMessage() == '"GET /calendar/feeds/ HTTP/1.1" 200'
    assert (malformed.msg, malformed.args) == ("two %s %s", ("one",))
