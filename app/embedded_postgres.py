"""A private PostgreSQL cluster for `make run` (data kept under instance/) and
for the test-suite (a throwaway one).

It runs from the machine's PostgreSQL server binaries with initdb + pg_ctl,
listens on a Unix socket only (in a 0700 directory, so `trust` auth reaches
nobody but its owner and root) and so never clashes with another server's
port.  PostgreSQL refuses to run as root: when we are root, the cluster runs
as the unprivileged system user `caretrail-pg`.

The PyPI wheels that embed PostgreSQL ship no contrib extensions, which the
schema needs; hence the system binaries.
"""

import argparse
import getpass
import hashlib
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

REQUIRED_EXTENSIONS = ("btree_gist", "pg_trgm", "unaccent", "pgcrypto")
INSTALL_HINT = "sudo apt-get install postgresql postgresql-contrib"
SYSTEM_USER = "caretrail-pg"
# Unix socket paths are limited to 107 bytes, `/.s.PGSQL.NNNNN` included.
MAX_SOCKET_DIR_LENGTH = 90


class EmbeddedPostgresError(RuntimeError):
    pass


def find_postgres_bindir() -> Path | None:
    """Directory holding initdb, pg_ctl and postgres: PATH, pg_config, then
    the newest /usr/lib/postgresql/*/bin (Debian keeps them off PATH)."""
    candidates: list[Path] = []
    for tool in ("initdb", "postgres", "pg_ctl"):
        found = shutil.which(tool)
        if found:
            candidates.append(Path(found).resolve().parent)
    pg_config = shutil.which("pg_config")
    if pg_config:
        result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if result.returncode == 0:
            candidates.append(Path(result.stdout.strip()))
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    candidates.extend(versions)
    for bindir in candidates:
        if all((bindir / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return bindir
    return None


def _version_key(path: Path) -> float:
    try:
        return float(path.parent.name)
    except ValueError:
        return 0.0


def postgres_sharedir(bindir: Path) -> Path:
    pg_config = bindir / "pg_config"
    if pg_config.is_file():
        result = subprocess.run([str(pg_config), "--sharedir"], capture_output=True, text=True, check=False)
        if result.returncode == 0:
            return Path(result.stdout.strip())
    # Debian: /usr/lib/postgresql/15/bin -> /usr/share/postgresql/15
    return Path("/usr/share/postgresql") / bindir.parent.name


def missing_extensions(bindir: Path) -> list[str]:
    extension_dir = postgres_sharedir(bindir) / "extension"
    return [name for name in REQUIRED_EXTENSIONS if not (extension_dir / f"{name}.control").is_file()]


def ensure_postgres_installed(*, install: bool = True, log: Callable[[str], None] = print) -> Path:
    """The server binaries' directory, installing Debian's packages when they
    (or the contrib extensions) are missing and we may; else a clear error."""
    bindir = find_postgres_bindir()
    if bindir is not None and not missing_extensions(bindir):
        return bindir
    can_install = install and os.geteuid() == 0 and shutil.which("apt-get")
    if not can_install:
        what = "PostgreSQL server binaries" if bindir is None else f"extensions {', '.join(missing_extensions(bindir))}"
        raise EmbeddedPostgresError(f"{what} not found; install them with: {INSTALL_HINT}")
    log("PostgreSQL server or contrib extensions missing: installing Debian's postgresql package")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    for packages in (["postgresql", "postgresql-contrib"], ["postgresql"]):
        command = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages]
        if subprocess.run(command, env=env, check=False).returncode == 0:
            break
    return ensure_postgres_installed(install=False)


class EmbeddedPostgres:
    """One cluster in `data_dir`; `start()`/`stop()` are idempotent."""

    def __init__(
        self,
        data_dir: Path,
        *,
        dbname: str = "caretrail",
        fast: bool = False,
        log: Callable[[str], None] = print,
    ):
        self.data_dir = Path(data_dir).resolve()
        self.dbname = dbname
        self.fast = fast  # no fsync: for throwaway test clusters only
        self.log = log
        self.bindir = ensure_postgres_installed(install=False)
        self.as_root = os.geteuid() == 0
        self.user = "caretrail" if self.as_root else getpass.getuser()
        self.log_file = self.data_dir.parent / "postgres.log"
        self.socket_dir = self._choose_socket_dir()
        self.port = 5432  # replaced by the cluster's own port once initialised
        self._owner: tuple[int, int] | None = None

    # -- public -------------------------------------------------------------

    def start(self) -> None:
        self._prepare_directories()
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()
        self.port = self._read_port()
        self._remove_stale_pid_file()
        if self._is_running():
            self.log(f"PostgreSQL already running for {self.data_dir}")
        else:
            self.log(f"starting PostgreSQL ({self.bindir.parent.name}) on socket {self.socket_dir}")
            result = self._pg_ctl("start", "-w", "-t", "60", "-l", str(self.log_file), "-o", self._server_options())
            if result.returncode != 0:
                raise EmbeddedPostgresError(f"PostgreSQL did not start:\n{self._log_tail()}")
        self._create_database()

    def stop(self) -> None:
        if not (self.data_dir / "PG_VERSION").exists() or not self._is_running():
            return
        self.log(f"stopping PostgreSQL ({self.data_dir})")
        result = self._pg_ctl("stop", "-m", "fast", "-w", "-t", "60")
        if result.returncode != 0 and self._is_running():
            raise EmbeddedPostgresError(f"PostgreSQL did not stop: {result.stderr.strip()}")

    def url(self, dbname: str | None = None) -> str:
        """SQLAlchemy URL (psycopg 3) through the Unix socket."""
        host = quote(str(self.socket_dir), safe="")
        return f"postgresql+psycopg://{self.user}@/{dbname or self.dbname}?host={host}&port={self.port}"

    def conninfo(self, dbname: str | None = None) -> str:
        return f"host={self.socket_dir} port={self.port} user={self.user} dbname={dbname or self.dbname}"

    def __enter__(self) -> "EmbeddedPostgres":
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- internals ------------------------------------------------------------

    def _choose_socket_dir(self) -> Path:
        preferred = self.data_dir.parent / "socket"
        if len(str(preferred)) <= MAX_SOCKET_DIR_LENGTH:
            return preferred
        # A deep checkout: the socket goes to a short, stable path instead.
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"caretrail-pg-{digest}"

    def _prepare_directories(self) -> None:
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(mode=0o700, exist_ok=True)
        self.socket_dir.mkdir(mode=0o700, exist_ok=True)
        if self.as_root:
            self._owner = _system_user()
            self._check_traversable(self.data_dir)
            for path in (self.data_dir.parent, self.data_dir, self.socket_dir):
                os.chown(path, *self._owner)
            if self.log_file.exists():
                os.chown(self.log_file, *self._owner)
        self.data_dir.chmod(0o700)
        self.socket_dir.chmod(0o700)

    def _check_traversable(self, path: Path) -> None:
        for parent in path.parents:
            if parent.exists() and not parent.stat().st_mode & 0o001:
                raise EmbeddedPostgresError(
                    f"{parent} cannot be entered by the {SYSTEM_USER} user that runs PostgreSQL "
                    "(PostgreSQL refuses root); move the project or set CARETRAIL_INSTANCE_PATH "
                    "to a directory whose parents are world-executable, e.g. under /srv or /tmp"
                )

    def _initdb(self) -> None:
        self.log(f"initialising a PostgreSQL cluster in {self.data_dir}")
        port = _free_port()
        for locale in ("C.UTF-8", "C"):
            result = self._run(
                self.bindir / "initdb",
                "-D", str(self.data_dir),
                "--username", self.user,
                "--auth", "trust",
                "--encoding", "UTF8",
                "--locale", locale,
            )  # fmt: skip
            if result.returncode == 0:
                break
        else:
            raise EmbeddedPostgresError(f"initdb failed: {result.stderr.strip()}")
        settings = [
            "listen_addresses = ''",
            f"port = {port}",
            f"unix_socket_directories = '{self.socket_dir}'",
            "unix_socket_permissions = 0700",
            # The server log must not quote refused rows (patient data).
            "log_error_verbosity = terse",
        ]
        with open(self.data_dir / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write("\n# CareTrail embedded server\n" + "\n".join(settings) + "\n")

    def _server_options(self) -> str:
        # The socket directory may differ between runs (see _choose_socket_dir).
        options = [f"-k {self.socket_dir}", f"-p {self.port}"]
        if self.fast:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        return " ".join(options)

    def _read_port(self) -> int:
        port = 5432
        for line in (self.data_dir / "postgresql.conf").read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "port":
                port = int(value.split("#")[0].strip())
        return port

    def _is_running(self) -> bool:
        pid = self._postmaster_pid()
        return pid is not None and _process_alive(pid) and self._pg_ctl("status").returncode == 0

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.data_dir / "postmaster.pid").read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None

    def _remove_stale_pid_file(self) -> None:
        """After a crash (killed launcher, reboot) postmaster.pid outlives the
        server (and its socket's lock file); an exited but unreaped postmaster
        (a zombie) even fools PostgreSQL's own check, so we remove them once
        that process is gone."""
        pid = self._postmaster_pid()
        if pid is not None and not _process_alive(pid):
            self.log(f"removing the lock files of a server that is gone (pid {pid})")
            (self.data_dir / "postmaster.pid").unlink(missing_ok=True)
            for leftover in (f".s.PGSQL.{self.port}.lock", f".s.PGSQL.{self.port}"):
                (self.socket_dir / leftover).unlink(missing_ok=True)

    def _create_database(self) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.conninfo("postgres"), autocommit=True, connect_timeout=10) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.dbname]).fetchone()
            if not exists:
                self.log(f"creating database {self.dbname}")
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.dbname)))

    def _pg_ctl(self, *args: str) -> subprocess.CompletedProcess:
        return self._run(self.bindir / "pg_ctl", "-D", str(self.data_dir), *args)

    def _run(self, *command) -> subprocess.CompletedProcess:
        extra = {}
        if self.as_root:
            uid, gid = self._owner or _system_user()
            extra = {"user": uid, "group": gid, "extra_groups": [], "cwd": "/"}
        return subprocess.run([str(part) for part in command], capture_output=True, text=True, check=False, **extra)

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_file.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


def _system_user() -> tuple[int, int]:
    """uid/gid of caretrail-pg, created on first use."""
    try:
        entry = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
             "--shell", "/usr/sbin/nologin", SYSTEM_USER],
            check=True,
        )  # fmt: skip
        entry = pwd.getpwnam(SYSTEM_USER)
    return entry.pw_uid, entry.pw_gid


def _process_alive(pid: int) -> bool:
    """True while `pid` runs; an exited, unreaped process (zombie) is not alive."""
    status = Path(f"/proc/{pid}/status")
    if status.exists():
        try:
            state = next(line for line in status.read_text().splitlines() if line.startswith("State:"))
        except (OSError, StopIteration):
            return False
        return "Z" not in state.split()[1]
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _free_port() -> int:
    """A port number nobody listens on; used only for the socket's name and the
    shared-memory key, but a free one avoids any clash."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check-install", action="store_true", help="find (or install) the server binaries")
    args = parser.parse_args(argv)
    if args.check_install:
        if os.environ.get("TEST_DATABASE_URL"):
            return 0
        try:
            bindir = ensure_postgres_installed(install=True)
        except EmbeddedPostgresError as exc:
            print(f"[caretrail] {exc}", file=sys.stderr)
            return 1
        print(f"[caretrail] PostgreSQL server binaries: {bindir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
