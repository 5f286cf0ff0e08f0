"""A local outbox for `make run` when no SMTP server is configured.

With the embedded database and no MAIL_SERVER, nothing could deliver the
demo's appointment reminders and alert e-mails: the worker would retry them
for half an hour, printing a traceback at each attempt.  Instead the
launcher starts this SMTP server on 127.0.0.1 (aiosmtpd, the one the tests
use) and keeps each message it accepts as one .eml file, which any mail
client opens.  Setting MAIL_SERVER sends through a real server instead.
"""

import re
import socket
from datetime import UTC, datetime
from email.message import Message as EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message


class EmlFolder(Message):
    """Keeps each accepted message as <UTC time>-<n>-<subject>.eml in `folder`."""

    def __init__(self, folder: Path):
        super().__init__()
        self.folder = folder
        self.count = 0

    def handle_message(self, message: EmailMessage) -> None:
        self.count += 1
        subject = re.sub(r"[^\w-]+", "-", str(message.get("Subject", "")), flags=re.ASCII).strip("-")[:60]
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        (self.folder / f"{stamp}-{self.count:04d}-{subject or 'message'}.eml").write_bytes(message.as_bytes())


def free_local_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_outbox(folder: Path) -> tuple[Controller, int]:
    """Start the outbox server; returns it (call .stop()) and its port."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_local_port()
    controller = Controller(EmlFolder(folder), hostname="127.0.0.1", port=port)
    controller.start()
    return controller, port
