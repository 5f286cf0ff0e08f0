"""`make run`'s start-up path end to end: embedded server, migrations, admin,
demo data, HTTP 200 on /login/, then a clean shutdown with no orphan postgres;
a second start refused without touching the first; signals inherited as
ignored; a clone in a private directory, as root."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import suppress
from pathlib import Path

import pytest

from app.embedded_postgres import EmbeddedPostgres
from app.launcher import WORKER_STOP_SECONDS
from tests.conftest import traversable_tempdir
from tests.factories import process_is_running

as_root_only = pytest.mark.skipif(os.geteuid() != 0, reason="only root runs the cluster as another user")

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


def wait_for_outbox(folder: Path, process: subprocess.Popen, *, to: str, timeout: float = 60):
    """The first .eml file of `folder` addressed `to`, waited for."""
    from email import message_from_bytes, policy

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"launcher exited early:\n{process.stdout.read()}")
        for path in sorted(folder.glob("*.eml")) if folder.is_dir() else ():
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            if message["To"] == to:
                return message
        time.sleep(0.5)
    raise AssertionError(f"no e-mail to {to} in {folder} within {timeout}s")


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


def stop_cluster_left_in(instance_dir: Path) -> None:
    """Whatever a failed test left running in instance_dir/postgres."""
    data_dir = instance_dir / "postgres" / "data"
    if (data_dir / "PG_VERSION").exists():
        EmbeddedPostgres(data_dir, log=lambda _message: None).stop()


@pytest.fixture
def instance_dir():
    """A throwaway instance/ (embedded database, secret key) for the launcher."""
    with traversable_tempdir("ct-run-") as base:
        try:
            yield base
        finally:
            stop_cluster_left_in(base)


def launch(
    instance_dir: Path | None, port: int, *, demo: bool = True, cwd: Path = PROJECT_DIR, **popen
) -> subprocess.Popen:
    """The launcher as `make run` starts it; instance_dir None: the clone's own instance/."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "TEST_DATABASE_URL", "DEMO_DATA", "CARETRAIL_INSTANCE_PATH")
    }
    env.update(PORT=str(port), HOST="127.0.0.1", ADMIN_PASSWORD="Admin-pass-1", DEMO_PASSWORD="Demo-pass-1")
    # The API checks below sign in as admin with a password only (2FA is
    # tested in test_two_factor.py; the demo's own path is in the README).
    env["MFA_REQUIRED_ROLES"] = ""
    if instance_dir is not None:
        env["CARETRAIL_INSTANCE_PATH"] = str(instance_dir)
    if not demo:
        env["DEMO_DATA"] = "0"
    return subprocess.Popen(
        [sys.executable, "-m", "app.launcher"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **popen,
    )


def stop(process: subprocess.Popen, signum: int = signal.SIGTERM) -> str:
    process.send_signal(signum)
    return finish(process)


# The most a launcher may take to stop: the worker's grace, then PostgreSQL's
# shutdown (pg_ctl stop waits up to 60 s for its checkpoint), and a margin.
# Under the whole suite's load the shutdown once took more than 60 s.
STOP_SECONDS = WORKER_STOP_SECONDS + 60 + 30


def finish(process: subprocess.Popen, timeout: float = STOP_SECONDS) -> str:
    """The output of a launcher that should end by itself within `timeout`;
    one that does not is killed, and the test fails."""
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        raise AssertionError(f"the launcher did not exit within {timeout}s:\n{output}") from None
    return output


def where_processes_wait(pid: int) -> str:
    """What a stuck process and its descendants wait on, thread by thread
    (state, kernel wait channel, kernel stack where readable): enough to tell
    a blocked write from a join or a wait for a child."""
    lines = []
    for each in [pid, *descendants(pid)]:
        proc = Path(f"/proc/{each}")
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            lines.append(f"pid {each}: {command[:200]}")
            for task in sorted((proc / "task").iterdir(), key=lambda path: int(path.name)):
                status = dict(
                    line.split(":\t", 1) for line in (task / "status").read_text().splitlines() if ":\t" in line
                )
                wchan = (task / "wchan").read_text()
                lines.append(f"  thread {task.name} {status.get('Name', '?')}: {status.get('State', '?')}, in {wchan}")
                with suppress(OSError):
                    stack = (task / "stack").read_text().split("\n")[:6]
                    lines += [f"    {frame}" for frame in stack if frame]
            fds = sorted((proc / "fd").iterdir(), key=lambda path: int(path.name))[:3]
            lines += [f"  fd {fd.name} -> {os.readlink(fd)}" for fd in fds]
        except OSError as exc:  # gone meanwhile
            lines.append(f"pid {each}: {exc}")
    return "\n".join(lines)


def descendants(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with suppress(OSError):
            children += [int(child) for child in (task / "children").read_text().split()]
    return [grandchild for child in children for grandchild in (child, *descendants(child))]


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
        # No MAIL_SERVER: the worker's first e-mail (the alert on the first
        # administrator's creation) lands in the local outbox as a .eml file.
        mail = wait_for_outbox(instance_dir / "outbox", process, to="admin@caretrail.local")
        assert "alert" in mail["Subject"].lower()
    finally:
        output = stop(process)
    assert process.returncode == 0, output
    assert f"e-mails are kept as .eml files in {instance_dir / 'outbox'}" in output
    assert "Traceback" not in output
    for step in ("initialising a PostgreSQL cluster", "migrating the schema", f"open http://127.0.0.1:{port}/"):
        assert step in output
    assert "[flask_appbuilder" not in output  # FAB's "Refused to delete permission view" and the like
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


def postmaster_pid(instance_dir: Path) -> int:
    return int((instance_dir / "postgres" / "data" / "postmaster.pid").read_text().split()[0])


def test_a_second_start_refuses_in_one_line_and_leaves_the_first_serving(instance_dir):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    first = launch(instance_dir, port, demo=False)
    try:
        assert wait_for_http(f"{base}/login/", first) == 200
        postgres_pid = postmaster_pid(instance_dir)
        # Twice by mistake (same instance, same port), then the same instance on
        # another port, then another instance on the first one's port.
        with traversable_tempdir("ct-run-other-") as other_instance:
            for instance, other_port, reason in (
                (instance_dir, port, "already running"),
                (instance_dir, free_port(), "already running"),
                (other_instance, port, f"port {port}"),
            ):
                second = launch(instance, other_port, demo=False)
                output = finish(second)
                assert second.returncode == 1, output
                lines = output.strip().splitlines()
                assert len(lines) == 1 and reason in lines[0], output
                assert process_is_running(postgres_pid)
            assert not (other_instance / "postgres").exists()  # refused before starting anything
        assert wait_for_http(f"{base}/login/", first) == 200
        assert api_get(base, "/api/v1/patients/?q=(page_size:1)", "admin", "Admin-pass-1")["count"] == 0
    finally:
        output = stop(first)
    assert first.returncode == 0, output
    assert not process_is_running(postgres_pid)


def _ignore_and_block_stop_signals() -> None:
    """What a script's `make run &` (SIGINT ignored) or a supervisor may hand down."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_stops_cleanly_on_a_signal_it_inherited_as_ignored(instance_dir, signum):
    port = free_port()
    process = launch(instance_dir, port, demo=False, preexec_fn=_ignore_and_block_stop_signals)
    try:
        assert wait_for_http(f"http://127.0.0.1:{port}/login/", process) == 200
        postgres_pid = postmaster_pid(instance_dir)
    finally:
        output = stop(process, signum)
    assert process.returncode == 0, output
    assert "stopping PostgreSQL" in output
    assert not process_is_running(postgres_pid)
    assert not (instance_dir / "postgres" / "data" / "postmaster.pid").exists()


def _hang_up_as_a_terminal_does() -> None:
    """A terminal's `make run` gets SIGHUP at its default.  A test run
    started under nohup would hand the launcher SIGHUP ignored, and the
    launcher keeps an inherited ignore (nohup make run): this test hung
    then, in every local run started with nohup (never in CI)."""
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def test_closing_the_terminal_stops_the_database_too(instance_dir):
    """SIGHUP, and nowhere left to print "stopping" to."""
    port = free_port()
    process = launch(instance_dir, port, demo=False, preexec_fn=_hang_up_as_a_terminal_does)
    try:
        assert wait_for_http(f"http://127.0.0.1:{port}/login/", process) == 200
        postgres_pid = postmaster_pid(instance_dir)
    finally:
        process.stdout.close()
        process.send_signal(signal.SIGHUP)
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            report = where_processes_wait(process.pid)
            process.kill()
            raise AssertionError(f"the launcher did not exit in {STOP_SECONDS}s; its processes:\n{report}") from None
    assert process.returncode == 0
    assert not process_is_running(postgres_pid)


@as_root_only
def test_as_root_a_clone_in_a_private_directory_runs_and_says_where_its_cluster_lives():
    private = Path(tempfile.mkdtemp(prefix="ct-clone-"))  # mode 0700, like /root or `mktemp -d`
    clone = private / "caretrail"
    ignored = shutil.ignore_patterns(".venv", ".git", "instance", "__pycache__", ".*_cache", "tests", "bench")
    shutil.copytree(PROJECT_DIR, clone, ignore=ignored)
    (clone / "instance" / "postgres").mkdir(parents=True)  # left by the refused start the issue reports
    cluster_home = None
    port = free_port()
    try:
        for start in ("first", "next"):
            process = launch(None, port, demo=False, cwd=clone)
            try:
                assert wait_for_http(f"http://127.0.0.1:{port}/login/", process) == 200
            finally:
                output = stop(process)
            assert process.returncode == 0, output
            link = clone / "instance" / "postgres"
            assert link.is_symlink()
            cluster_home = link.resolve()
            assert private not in cluster_home.parents  # where caretrail-pg can reach it
            assert f"data in {cluster_home / 'data'}" in output
            assert ("initialising" in output) == (start == "first")  # the same cluster, found again
    finally:
        if cluster_home is not None:
            EmbeddedPostgres(cluster_home / "data", log=lambda _message: None).stop()
            shutil.rmtree(cluster_home.parent, ignore_errors=True)
        shutil.rmtree(private, ignore_errors=True)


@as_root_only
def test_as_root_make_test_runs_from_a_clone_in_a_private_directory_and_says_where_its_cluster_lives():
    """`make test` (one small test of the suite) from a clone in a `mktemp -d`:
    the throwaway cluster lives where caretrail-pg can reach it, and the
    start-up output says where."""
    private = Path(tempfile.mkdtemp(prefix="ct-clone-"))  # mode 0700, like /root or `mktemp -d`
    clone = private / "caretrail"
    ignored = shutil.ignore_patterns(".venv", ".git", "instance", "__pycache__", ".*_cache", "bench")
    shutil.copytree(PROJECT_DIR, clone, ignore=ignored)
    (clone / ".venv").symlink_to(PROJECT_DIR / ".venv")
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "DATABASE_URL", "PYTEST_XDIST_WORKER")}
    env["PYTEST_ADDOPTS"] = (
        "-p no:cacheprovider tests/integration/test_constraints.py::test_nir_is_unique_when_present_and_optional"
    )
    try:
        # -o: the clone shares this checkout's .venv, never reinstalled here.
        done = subprocess.run(
            ["make", "-o", ".venv/.installed", "test", "TEST_WORKERS=0"],
            cwd=clone,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        shutil.rmtree(private, ignore_errors=True)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "1 passed" in output
    assert "one cluster per test process in /tmp/caretrail-test-*" in output


@pytest.mark.parametrize("command", [["-m", "app.launcher"], ["run.py"]])
def test_a_database_that_cannot_be_reached_is_one_line_at_start(instance_dir, command):
    """`make run` or `python run.py` with DATABASE_URL on a server that is down:
    one line naming the server (password hidden) and the reason, exit status 1."""
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "MIGRATION_DATABASE_URL")}
    env.update(
        DATABASE_URL=f"postgresql+psycopg://nobody:s3cret@127.0.0.1:{free_port()}/caretrail",
        CARETRAIL_INSTANCE_PATH=str(instance_dir),
        PORT=str(free_port()),
    )
    done = subprocess.run(
        [sys.executable, *command], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    lines = [line for line in (done.stdout + done.stderr).splitlines() if "cannot reach" in line]
    assert len(lines) == 1 and "Connection refused" in lines[0] and "s3cret" not in lines[0]
    assert "Traceback" not in done.stdout + done.stderr
