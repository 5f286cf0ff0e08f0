"""The embedded PostgreSQL behind `make run` and `make test`."""

import os
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


@pytest.fixture
def cluster_dir():
    """A directory the unprivileged cluster user can traverse, removed afterwards."""
    with traversable_tempdir("ct-pg-test-") as base:
        yield base


@pytest.fixture
def cluster(cluster_dir):
    server = EmbeddedPostgres(cluster_dir / "data", fast=True, log=lambda _m: None)
    yield server
    server.stop()


def postmaster_pid(server: EmbeddedPostgres) -> int:
    return int((server.data_dir / "postmaster.pid").read_text().splitlines()[0])


def test_start_initialises_and_serves_with_the_extensions(cluster):
    cluster.start()
    with psycopg.connect(cluster.conninfo(), autocommit=True) as conn:
        for extension in REQUIRED_EXTENSIONS:
            conn.execute(f"CREATE EXTENSION IF NOT EXISTS {extension}")
        assert conn.execute("SELECT current_database()").fetchone() == ("caretrail",)
    assert oct(cluster.socket_dir.stat().st_mode & 0o777) == "0o700"


def test_data_and_url_survive_a_restart(cluster):
    cluster.start()
    url = cluster.url()
    with psycopg.connect(cluster.conninfo(), autocommit=True) as conn:
        conn.execute("CREATE TABLE yesterday (note text)")
        conn.execute("INSERT INTO yesterday VALUES ('still here')")
    cluster.stop()
    cluster.start()
    assert cluster.url() == url
    with psycopg.connect(cluster.conninfo()) as conn:
        assert conn.execute("SELECT note FROM yesterday").fetchone() == ("still here",)


def test_stop_leaves_no_process_and_twice_is_harmless(cluster):
    cluster.start()
    cluster.start()  # already running: reused
    pid = postmaster_pid(cluster)
    cluster.stop()
    assert not process_is_running(pid)
    cluster.stop()


def test_start_after_a_crash_recovers(cluster):
    cluster.start()
    pid = postmaster_pid(cluster)
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while process_is_running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    cluster.start()  # stale postmaster.pid and socket lock left behind
    with psycopg.connect(cluster.conninfo()) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_no_tcp_port_is_opened(cluster):
    cluster.start()
    with psycopg.connect(cluster.conninfo()) as conn:
        assert conn.execute("SHOW listen_addresses").fetchone() == ("",)


def test_binaries_are_found():
    bindir = find_postgres_bindir()
    assert bindir is not None and (bindir / "initdb").is_file()
    assert ensure_postgres_installed(install=False) == bindir


def test_missing_extensions_name_the_command_to_run(monkeypatch, tmp_path):
    monkeypatch.setattr(embedded_postgres, "postgres_sharedir", lambda _bindir: tmp_path)
    with pytest.raises(EmbeddedPostgresError, match="apt-get install postgresql postgresql-contrib"):
        ensure_postgres_installed(install=False)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root gets a dedicated system user")
def test_as_root_the_cluster_runs_as_an_unprivileged_user(cluster):
    cluster.start()
    owner = cluster.data_dir.stat().st_uid
    assert owner != 0
    assert (Path("/proc") / str(postmaster_pid(cluster))).stat().st_uid == owner
