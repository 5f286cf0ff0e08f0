"""The embedded PostgreSQL behind `make run` and `make test`, against the
machine's real server binaries."""

import os
import shutil
import signal
import time
from pathlib import Path

import psycopg
import pytest

from app import embedded_postgres
from app.embedded_postgres import (
    REQUIRED_EXTENSIONS,
    EmbeddedPostgres,
    EmbeddedPostgresError,
    ensure_postgres_installed,
    find_postgres_bindir,
)
from tests.conftest import traversable_tempdir
from tests.factories import process_is_running

as_root_only = pytest.mark.skipif(os.geteuid() != 0, reason="only root runs the cluster as another user")


@pytest.fixture
def base_dir():
    """Not pytest's tmp_path: as root, the cluster runs as caretrail-pg, who
    cannot enter /tmp/pytest-of-root (0700)."""
    with traversable_tempdir("ct-pg-test-") as base:
        yield base


@pytest.fixture
def cluster(base_dir):
    server = EmbeddedPostgres(base_dir / "data", fast=True, log=lambda _message: None)
    yield server
    server.stop()


def postmaster_pid(server: EmbeddedPostgres) -> int:
    return int((server.data_dir / "postmaster.pid").read_text().split()[0])


def processes_in(directory: Path) -> list[int]:
    """PIDs of the processes working in `directory`: a cluster's processes all do."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and (proc / "cwd").readlink() == directory:
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


def test_start_initialises_serves_and_has_the_extensions(cluster):
    cluster.start()
    with psycopg.connect(cluster.psycopg_conninfo(), autocommit=True) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
        assert conn.execute("SELECT current_database(), current_user").fetchone() == ("caretrail", cluster.user)
        for extension in REQUIRED_EXTENSIONS:
            conn.execute(f"CREATE EXTENSION {extension}")
        assert conn.execute("SHOW listen_addresses").fetchone() == ("",)  # no TCP at all
        # Refused rows kept out of the log; random reads priced as on an SSD (README, Production).
        assert conn.execute("SHOW log_error_verbosity").fetchone() == ("terse",)
        assert conn.execute("SHOW random_page_cost").fetchone() == ("1.1",)
    assert cluster.socket_dir.stat().st_mode & 0o777 == 0o700


def test_url_works_with_sqlalchemy(cluster):
    sqlalchemy = pytest.importorskip("sqlalchemy")
    cluster.start()
    engine = sqlalchemy.create_engine(cluster.url())
    with engine.connect() as connection:
        assert connection.execute(sqlalchemy.text("SELECT current_database()")).scalar() == "caretrail"
    engine.dispose()


def test_data_and_url_survive_a_restart(cluster, base_dir):
    cluster.start()
    url = cluster.url()
    with psycopg.connect(cluster.psycopg_conninfo(), autocommit=True) as conn:
        conn.execute("CREATE TABLE yesterday (note text)")
        conn.execute("INSERT INTO yesterday VALUES ('still here')")
    cluster.stop()
    cluster.start()
    assert cluster.url() == url
    assert EmbeddedPostgres(base_dir / "data", log=lambda _message: None).url() == url  # as in the next `make run`
    with psycopg.connect(cluster.psycopg_conninfo()) as conn:
        assert conn.execute("SELECT note FROM yesterday").fetchone() == ("still here",)


def test_stop_leaves_no_process_and_twice_is_harmless(cluster):
    cluster.start()
    pid = postmaster_pid(cluster)
    cluster.stop()
    assert not process_is_running(pid)
    assert processes_in(cluster.data_dir) == []
    # Gone for good once init reaps it (slow in some sandboxes).
    deadline = time.monotonic() + 10
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < deadline, f"postmaster {pid} still exists"
        time.sleep(0.05)
    cluster.stop()


def test_start_twice_reuses_the_running_server(cluster, base_dir):
    cluster.start()
    pid = postmaster_pid(cluster)
    cluster.start()
    assert postmaster_pid(cluster) == pid
    # Another object (the next `make run`) reuses it too, and its stop() stops it.
    other = EmbeddedPostgres(base_dir / "data", fast=True, log=lambda _message: None)
    other.start()
    assert postmaster_pid(other) == pid
    other.stop()
    assert not process_is_running(pid)


def test_start_after_the_server_was_killed(cluster):
    cluster.start()
    pid = postmaster_pid(cluster)
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while processes_in(cluster.data_dir) and time.monotonic() < deadline:  # its children notice and exit
        time.sleep(0.05)
    cluster.start()  # postmaster.pid and the socket's lock file are left behind
    assert postmaster_pid(cluster) != pid
    with psycopg.connect(cluster.psycopg_conninfo()) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_a_deep_data_dir_gets_a_short_socket_dir(base_dir):
    server = EmbeddedPostgres(base_dir / ("d" * 60) / ("e" * 60) / "data", fast=True, log=lambda _message: None)
    assert len(str(server.socket_dir)) < 40
    try:
        with server, psycopg.connect(server.psycopg_conninfo()) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        shutil.rmtree(server.socket_dir, ignore_errors=True)


def test_binaries_are_found():
    bindir = find_postgres_bindir()
    assert bindir is not None
    assert all((bindir / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres"))
    assert ensure_postgres_installed(install=False) == bindir


def test_missing_extensions_name_the_command_to_run(monkeypatch, tmp_path):
    monkeypatch.setattr(embedded_postgres, "postgres_sharedir", lambda _bindir: tmp_path)
    with pytest.raises(EmbeddedPostgresError, match="sudo apt-get install postgresql postgresql-contrib"):
        ensure_postgres_installed(install=False)


@as_root_only
def test_install_falls_back_to_plain_postgresql_then_names_the_command(monkeypatch, tmp_path):
    """With a stand-in apt-get: the real one would install packages."""
    calls = tmp_path / "calls"
    fake = tmp_path / "bin" / "apt-get"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\necho "$@" >> {calls}\ncase "$*" in *postgresql-contrib*) exit 100;; esac\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:{os.environ['PATH']}")
    assert shutil.which("apt-get") == str(fake)
    monkeypatch.setattr(embedded_postgres, "postgres_sharedir", lambda _bindir: tmp_path)
    with pytest.raises(EmbeddedPostgresError, match="even after apt-get install; install them with: sudo apt-get"):
        ensure_postgres_installed(install=True, log=lambda _message: None)
    assert calls.read_text().splitlines() == [
        "update",
        "install -y --no-install-recommends postgresql postgresql-contrib",
        "install -y --no-install-recommends postgresql",
    ]


@as_root_only
def test_as_root_the_cluster_runs_as_an_unprivileged_user(cluster):
    cluster.start()
    owner = cluster.data_dir.stat().st_uid
    assert owner != 0
    assert cluster.socket_dir.stat().st_uid == owner
    assert Path(f"/proc/{postmaster_pid(cluster)}").stat().st_uid == owner


@as_root_only
def test_as_root_a_parent_the_cluster_user_cannot_enter_is_reported(base_dir):
    private = base_dir / "private"
    private.mkdir(mode=0o700)
    server = EmbeddedPostgres(private / "instance" / "data", fast=True, log=lambda _message: None)
    with pytest.raises(EmbeddedPostgresError, match=f"{private} cannot be entered by the caretrail-pg user"):
        server.start()
    assert private.stat().st_mode & 0o777 == 0o700  # left as it was
