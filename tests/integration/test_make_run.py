"""`make run`'s start-up path end to end: embedded server, migrations, admin,
demo data, HTTP 200 on /login/, then a clean shutdown with no orphan postgres."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import traversable_tempdir
from tests.factories import process_is_running

PROJECT_DIR = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_http(url: str, process: subprocess.Popen, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"launcher exited early:\n{process.stdout.read()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {timeout}s")


def api_get(base: str, path: str, username: str, password: str):
    import json

    login = urllib.request.Request(
        f"{base}/api/v1/security/login",
        data=json.dumps({"username": username, "password": password, "provider": "db"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(login, timeout=10) as response:
        token = json.load(response)["access_token"]
    request = urllib.request.Request(f"{base}{path}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


@pytest.fixture
def instance_dir():
    """A throwaway instance/ (embedded database, secret key) for the launcher."""
    with traversable_tempdir("ct-run-") as base:
        yield base


def launch(instance_dir: Path, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL", "DEMO_DATA")}
    env.update(
        CARETRAIL_INSTANCE_PATH=str(instance_dir),
        PORT=str(port),
        HOST="127.0.0.1",
        ADMIN_PASSWORD="Admin-pass-1",
        DEMO_PASSWORD="Demo-pass-1",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "app.launcher"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=60)
    return output


def test_make_run_starts_serves_and_stops_cleanly(instance_dir):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = launch(instance_dir, port)
    try:
        assert wait_for_http(f"{base}/login/", process) == 200
        pid_file = instance_dir / "postgres" / "data" / "postmaster.pid"
        postgres_pid = int(pid_file.read_text().splitlines()[0])
        patients = api_get(base, "/api/v1/patients/?q=(page_size:1)", "admin", "Admin-pass-1")
        assert patients["count"] == 200  # demo data loaded into the embedded database
        assert api_get(base, "/api/v1/patients/?q=(page_size:1)", "secretary", "Demo-pass-1")["count"] == 200
    finally:
        output = stop(process)
    assert process.returncode == 0, output
    for step in ("initialising a PostgreSQL cluster", "migrating the schema", f"open http://127.0.0.1:{port}/"):
        assert step in output
    assert not process_is_running(postgres_pid)
    assert not pid_file.exists()

    # The next day: same data, nothing initialised or loaded twice.
    process = launch(instance_dir, port)
    try:
        assert wait_for_http(f"{base}/login/", process) == 200
        assert api_get(base, "/api/v1/patients/?q=(page_size:1)", "admin", "Admin-pass-1")["count"] == 200
    finally:
        output = stop(process)
    assert process.returncode == 0, output
    assert "initialising" not in output
    assert "0 patient(s) added" in output
