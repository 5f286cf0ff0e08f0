"""Latency of an alert: from a committed change to the stored alert, and to
the e-mail received by a local SMTP server, with a real worker running.

    .venv/bin/python -m bench.alert_latency [--database-url URL] [--changes 200]

A throwaway database (bench/_database.py), a local SMTP server (aiosmtpd),
and `flask --app run.py worker` started as in production (ALERT_POLL_SECONDS
as configured, 1 s by default).  Only the sensitive-field rule is enabled,
with one plain recipient: each change (a blood group changed in plain SQL,
committed, one after the other) raises one alert and one e-mail.  Prints
p50, p95 and max of both latencies.
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from email import message_from_bytes, policy
from pathlib import Path

import psycopg
from aiosmtpd.controller import Controller

from bench._database import benchmark_database

PROJECT_DIR = Path(__file__).resolve().parent.parent


class Inbox:
    def __init__(self):
        self.arrivals: list[float] = []

    async def handle_DATA(self, server, session, envelope):
        self.arrivals.append(time.monotonic())
        message_from_bytes(envelope.original_content, policy=policy.default)
        return "250 OK"


def wait_until(predicate, timeout: float = 30.0) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return time.monotonic()
        time.sleep(0.005)
    raise TimeoutError("the worker did not answer in 30 s")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--changes", type=int, default=200)
    args = parser.parse_args()
    inbox = Inbox()
    with socket.socket() as probe:  # a free port (aiosmtpd's controller cannot take 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        with benchmark_database(args.database_url) as (url, conninfo):
            run(url, conninfo, port, inbox, args.changes)
    finally:
        smtp.stop()


def run(url: str, conninfo: str, port: int, inbox: Inbox, changes: int) -> None:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("UPDATE alert_rules SET is_enabled = (code = 'sensitive_field')")
        conn.execute(
            "UPDATE alert_rules SET recipient_roles = '{}', recipient_emails = '{bench@hopital.test}'"
            " WHERE code = 'sensitive_field'"
        )
        patient = conn.execute(
            "INSERT INTO patients (last_name, first_name, birth_date, sex)"
            " VALUES ('Bench', 'Latence', '1980-01-01', 'F') RETURNING id"
        ).fetchone()[0]
        env = {**os.environ, "DATABASE_URL": url, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port)}
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "run.py", "worker"],
            cwd=PROJECT_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:

            def count() -> int:
                return conn.execute("SELECT count(*) FROM alerts").fetchone()[0]

            wait_until(lambda: worker.poll() is None and _ready(conn), timeout=60)
            base_alerts, base_mails = count(), len(inbox.arrivals)
            to_alert, to_mail = [], []
            for i in range(changes):
                group = ("A+", "O-")[i % 2]
                committed = time.monotonic()
                conn.execute("UPDATE patients SET blood_group = %s WHERE id = %s", [group, patient])
                stored = wait_until(lambda i=i: count() >= base_alerts + i + 1)
                wait_until(lambda i=i: len(inbox.arrivals) >= base_mails + i + 1)
                to_alert.append(stored - committed)
                to_mail.append(inbox.arrivals[base_mails + i] - committed)
        finally:
            worker.terminate()
            worker.wait(30)
    for label, values in (("change -> stored alert", to_alert), ("change -> e-mail received", to_mail)):
        print(
            f"{label}: p50 {statistics.median(values) * 1000:.0f} ms, p95 {percentile(values, 0.95) * 1000:.0f} ms,"
            f" max {max(values) * 1000:.0f} ms ({len(values)} changes)"
        )


def _ready(conn) -> bool:
    """The worker has registered with the queue (its watcher starts with it)."""
    return conn.execute("SELECT count(*) FROM procrastinate_workers").fetchone()[0] > 0


if __name__ == "__main__":
    main()
