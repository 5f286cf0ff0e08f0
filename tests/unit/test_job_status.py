"""The jobs screen lists every periodic task, in a process that imported
only the screen's module (the web server imports no task module itself),
and shortens a long list of arguments."""

import subprocess
import sys

from app.jobs.status import SHOWN_LIST_ITEMS, shown_arguments


def test_the_screen_module_knows_every_periodic_task_in_a_fresh_process():
    script = (
        "import app.jobs.status\n"
        "from app.jobs.registry import DECLARED\n"
        "print(sorted(name for name, spec in DECLARED.items() if spec.cron))\n"
    )
    declared = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    for task in ("audit.seal", "prescriptions.expire", "reminders.plan", "reports.daily_audit"):
        assert task in declared


def test_a_long_list_argument_is_shortened_and_says_how_long_it_was():
    shown = shown_arguments({"alert_ids": list(range(1, 369)), "to": "admin@caretrail.local"})
    assert shown["alert_ids"] == [*range(1, SHOWN_LIST_ITEMS + 1), "... 368 in all"]
    assert shown["to"] == "admin@caretrail.local"
    assert shown_arguments({"reminder_id": 3}) == {"reminder_id": 3}
