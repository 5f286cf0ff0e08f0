"""Sending an SMS: a small pluggable interface.

CareTrail ships no gateway.  `SMS_SENDER` names the sender class as
"module:Class" (default: LoggingSmsSender, which only logs that a message
would go out, with the number masked).  To plug a real gateway, write a
class with `__init__(self, config)` and `send(self, phone: str, text: str)`
that raises when the message was not accepted (the job is then retried),
e.g. `hospital_sms:OvhSender`, and set SMS_SENDER to it.
"""

import importlib
import logging
from typing import Protocol

log = logging.getLogger(__name__)


class SmsSender(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class LoggingSmsSender:
    """No gateway: logs the masked number and the length, never the text."""

    def __init__(self, config):
        self.config = config

    def send(self, phone: str, text: str) -> None:
        log.info("SMS (not sent: no gateway configured) to %s, %d characters", mask(phone), len(text))


def mask(phone: str) -> str:
    return phone[:3] + "*" * max(len(phone) - 5, 0) + phone[-2:]


def sms_sender(config) -> SmsSender:
    path = config.get("SMS_SENDER") or "app.agenda.sms:LoggingSmsSender"
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)(config)
