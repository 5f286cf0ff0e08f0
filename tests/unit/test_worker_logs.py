"""The worker's log lines never show an e-mail address (procrastinate quotes job arguments)."""

import logging

from app.jobs.cli import MaskAddresses


def test_addresses_in_job_lines_are_masked():
    record = logging.LogRecord(
        "procrastinate.worker",
        logging.ERROR,
        __file__,
        1,
        "Job alerts.mail[3](to='dpo@hopital.fr', alert_ids=[1, 2]) ended with status: %s",
        ("Error",),
        None,
    )
    assert MaskAddresses().filter(record)
    assert record.getMessage() == "Job alerts.mail[3](to='[address]', alert_ids=[1, 2]) ended with status: Error"
