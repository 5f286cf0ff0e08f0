"""A private PostgreSQL cluster for `make run` (data kept under instance/) and
for the test-suite (a throwaway one).

It runs from the machine's PostgreSQL server binaries with initdb + pg_ctl:
the PyPI wheels that embed PostgreSQL ship no contrib extensions, which the
schema needs.  It listens on a Unix socket only, in a 0700 directory, so
`trust` authentication reaches nobody but the socket's owner and root, and no
TCP port can clash with another server.  PostgreSQL refuses to run as root:
when we are root, the cluster runs as the unprivileged system user
`caretrail-pg`.  Linux only (it reads /proc).
"""

import grp
import hashlib
import os
import pwd
import shlex
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

REQUIRED_EXTENSIONS = ("btree_gist", "pg_trgm", "unaccent", "pgcrypto")
INSTALL_COMMAND = "sudo apt-get install postgresql postgresql-contrib"
SERVER_TOOLS = ("initdb", "pg_ctl", "postgres")
SYSTEM_USER = "caretrail-pg"
ROOT_SUPERUSER = "caretrail"
MAX_SOCKET_PATH = 107  # bytes in sockaddr_un.sun_path, less the final NUL
# A throwaway cluster needs no durability: after a crash it is thrown away.
FAST_SETTINGS = ("-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off")
Log = Callable[[str], None]


class EmbeddedPostgresError(RuntimeError):
    """The embedded server cannot be installed, started or stopped; the message says why."""


def find_postgres_bindir() -> Path | None:
    """Directory holding initdb, pg_ctl and postgres: from PATH (through
    symlinks), then `pg_config --bindir`, then the newest
    /usr/lib/postgresql/*/bin (Debian keeps the server tools off PATH)."""
    candidates = [Path(found).resolve().parent for tool in ("postgres", "initdb") if (found := shutil.which(tool))]
    pg_config = shutil.which("pg_config")
    if pg_config and (bindir := _output(pg_config, "--bindir")):
        candidates.append(Path(bindir))
    versions = Path("/usr/lib/postgresql").glob("*/bin")  # newest first: 15 before 9.6
    candidates += sorted(versions, key=lambda path: [int(n) for n in path.parent.name.split(".") if n.isdigit()])[::-1]
    return next((path for path in candidates if all(os.access(path / t, os.X_OK) for t in SERVER_TOOLS)), None)


def postgres_sharedir(bindir: Path) -> Path:
    """Where the server looks for extensions (`<sharedir>/extension`).  The
    pg_config beside the server knows; the one on PATH may come from another
    version's client package.  Without one, Debian's layout:
    /usr/lib/postgresql/15/bin -> /usr/share/postgresql/15."""
    sharedir = _output(bindir / "pg_config", "--sharedir")
    return Path(sharedir) if sharedir else Path("/usr/share/postgresql") / bindir.parent.name


def ensure_postgres_installed(*, install: bool = True, log: Log = print) -> Path:
    """The server binaries' directory.  When they or the contrib extensions
    are missing, installs Debian's packages if `install` is set and we are
    root with apt-get; otherwise the error names the command to run."""
    bindir, problem = _check_installation()
    if problem is None:
        return bindir
    if not (install and os.geteuid() == 0 and shutil.which("apt-get")):
        raise EmbeddedPostgresError(f"{problem}; install them with: {INSTALL_COMMAND}")
    log(f"{problem}: installing them with apt-get (takes a minute)")
    _apt_get(log, "update")
    try:
        _apt_get(log, "install", "-y", "--no-install-recommends", "postgresql", "postgresql-contrib")
    except EmbeddedPostgresError:
        # Where `postgresql` ships contrib itself, postgresql-contrib may be a name apt cannot install.
        _apt_get(log, "install", "-y", "--no-install-recommends", "postgresql")
    bindir, problem = _check_installation()
    if problem is not None:
        raise EmbeddedPostgresError(f"{problem} even after apt-get install; install them with: {INSTALL_COMMAND}")
    return bindir


class EmbeddedPostgres:
    """One cluster in `data_dir`.  start() and stop() are idempotent, and the
    URL (socket directory, port, user) is the same on every run."""

    def __init__(self, data_dir: Path, *, dbname: str = "caretrail", fast: bool = False, log: Log = print):
        self.data_dir = Path(data_dir).resolve()
        self.dbname = dbname
        self.fast = fast  # no fsync: for throwaway (test) clusters only
        self.log = log
        self.bindir = ensure_postgres_installed(install=False)
        self.as_root = os.geteuid() == 0
        self.user = ROOT_SUPERUSER if self.as_root else pwd.getpwuid(os.geteuid()).pw_name
        self.log_file = self.data_dir / "postgres.log"
        # The port only names the socket file and keys shared memory; a free one avoids any clash.
        self.port = self._saved_port() or _free_port()
        self.socket_dir = self._choose_socket_dir()

    def start(self) -> None:
        """Initialise the cluster on first use, start it unless it already
        runs, and create `dbname` if missing."""
        self._prepare_directories()
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()
        if self._running_pid() is not None:
            self.log(f"PostgreSQL already running from {self.data_dir}: reusing it")
        else:
            self._remove_stale_locks()
            version = (self.data_dir / "PG_VERSION").read_text().strip()
            self.log(f"starting PostgreSQL {version} (socket {self.socket_dir})")
            # pg_ctl hands -o to a shell, hence the quoting.
            options = " ".join([f"-k {shlex.quote(str(self.socket_dir))}", *(FAST_SETTINGS if self.fast else ())])
            try:
                self._pg_ctl("start", "-w", "-t", "60", "-l", self.log_file, "-o", options)
            except EmbeddedPostgresError as exc:
                if not self.log_file.is_file():
                    raise EmbeddedPostgresError(f"PostgreSQL did not start: {exc}") from exc
                tail = "\n".join(self.log_file.read_text(errors="replace").splitlines()[-20:])
                raise EmbeddedPostgresError(f"PostgreSQL did not start; {self.log_file} ends with:\n{tail}") from exc
        self._create_database()

    def stop(self) -> None:
        """Stop the server, also one that start() found running (whoever owns
        data_dir owns its server), and return only once its postmaster has
        exited, so that no process of this cluster is left."""
        pid = self._running_pid()
        if pid is None:
            return
        self.log(f"stopping PostgreSQL ({self.data_dir})")
        try:  # -w waits for postmaster.pid to go, which the postmaster removes just before it exits
            self._pg_ctl("stop", "-m", "fast", "-w", "-t", "60")
        except EmbeddedPostgresError:
            if _runs_in(pid, self.data_dir):
                raise
        deadline = time.monotonic() + 10
        while _runs_in(pid, self.data_dir):
            if time.monotonic() > deadline:
                raise EmbeddedPostgresError(f"PostgreSQL (pid {pid}) still runs after `pg_ctl stop`")
            time.sleep(0.01)

    def url(self, dbname: str | None = None) -> str:
        """SQLAlchemy URL (psycopg 3 driver) through the Unix socket."""
        user, database = quote(self.user, safe=""), quote(dbname or self.dbname, safe="")
        return f"postgresql+psycopg://{user}@/{database}?host={quote(str(self.socket_dir), safe='')}&port={self.port}"

    def psycopg_conninfo(self, dbname: str | None = None) -> str:
        """The same connection as url(), as a libpq key=value string."""
        from psycopg.conninfo import make_conninfo

        return make_conninfo(host=str(self.socket_dir), port=self.port, user=self.user, dbname=dbname or self.dbname)

    def __enter__(self) -> "EmbeddedPostgres":
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _saved_port(self) -> int | None:
        """The port _initdb wrote to postgresql.conf, if initialised."""
        try:
            lines = (self.data_dir / "postgresql.conf").read_text(encoding="utf-8").splitlines()
        except OSError:
            return None
        ports = [line.partition("=")[2].split("#")[0] for line in lines if line.partition("=")[0].strip() == "port"]
        return int(ports[-1]) if ports else None

    def _choose_socket_dir(self) -> Path:
        """Beside data_dir, unless the socket's path would be too long; then a
        short directory in the temp dir, named after data_dir so that the URL
        stays the same and a running server is found again."""
        preferred = self.data_dir.parent / "socket"
        if len(os.fsencode(preferred / f".s.PGSQL.{self.port}")) <= MAX_SOCKET_PATH:
            return preferred
        digest = hashlib.sha256(os.fsencode(self.data_dir)).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"ct-pg-{digest}"

    def _server_owner(self) -> tuple[int, int] | None:
        """(uid, gid) the server runs as when that is not us."""
        return _system_user() if self.as_root else None

    def _prepare_directories(self) -> None:
        """data_dir and the socket directory, mode 0700 (PostgreSQL insists on
        it for data_dir; for the socket it is what keeps others out) and owned
        by the user that runs the server."""
        owner = self._server_owner()
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        if owner:
            for directory in {self.data_dir.parent, self.socket_dir.parent}:
                _check_traversable(directory, *owner)
        allowed = {os.geteuid(), owner[0]} if owner else {os.geteuid()}
        for directory in (self.data_dir, self.socket_dir):
            directory.mkdir(mode=0o700, exist_ok=True)
            info = directory.lstat()  # the socket's may be in a shared /tmp: no symlinks, no squatters
            if not stat.S_ISDIR(info.st_mode) or info.st_uid not in allowed:
                names = " or ".join(sorted(pwd.getpwuid(uid).pw_name for uid in allowed))
                raise EmbeddedPostgresError(f"refusing to use {directory}: it is not a directory owned by {names}")
            if owner:
                os.chown(directory, *owner, follow_symlinks=False)
            directory.chmod(0o700)

    def _initdb(self) -> None:
        self.log(f"initialising a PostgreSQL cluster in {self.data_dir}")
        command = [self.bindir / "initdb", "-D", self.data_dir, f"--username={self.user}", "--auth=trust"]
        command += ["--encoding=UTF8", *(["--no-sync"] if self.fast else [])]
        try:
            _run(*command, "--locale=C.UTF-8", owner=self._server_owner())
        except EmbeddedPostgresError:  # a system without the C.UTF-8 locale
            _run(*command, "--locale=C", owner=self._server_owner())
        settings = [
            "listen_addresses = ''",
            f"port = {self.port}",
            "unix_socket_permissions = 0700",
            "log_error_verbosity = terse",  # keeps refused rows (patient data) out of the server log
            # A database on this machine's disk, read mostly from memory: a
            # random read costs about a sequential one (PostgreSQL's docs
            # advise 1.1 then).  At the default 4, one doctor's week was read
            # among all the doctors' (README, Production).
            "random_page_cost = 1.1",
        ]
        with open(self.data_dir / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write("\n# CareTrail embedded server\n" + "\n".join(settings) + "\n")

    def _running_pid(self) -> int | None:
        """PID of this cluster's postmaster, or None.  postmaster.pid alone
        cannot tell (nor can `pg_ctl status`, which trusts it): after a crash
        or reboot its PID may be a zombie or another program."""
        pid = _pid_in(self.data_dir / "postmaster.pid")
        return pid if pid is not None and _runs_in(pid, self.data_dir) else None

    def _remove_stale_locks(self) -> None:
        """Lock files of a server that is gone.  PostgreSQL clears them itself,
        except when their PID still exists (a zombie, or reused): then it
        refuses to start."""
        pid = _pid_in(self.data_dir / "postmaster.pid")
        if pid is not None and Path(f"/proc/{pid}").exists():
            self.log(f"removing the lock files of a PostgreSQL that is gone (pid {pid} is no longer it)")
            (self.data_dir / "postmaster.pid").unlink()
            for name in (f".s.PGSQL.{self.port}.lock", f".s.PGSQL.{self.port}"):
                (self.socket_dir / name).unlink(missing_ok=True)

    def _create_database(self) -> None:
        import psycopg
        from psycopg import sql

        try:
            with psycopg.connect(self.psycopg_conninfo("postgres"), autocommit=True, connect_timeout=10) as conn:
                if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.dbname]).fetchone():
                    self.log(f"creating database {self.dbname}")
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.dbname)))
        except psycopg.Error as exc:
            raise EmbeddedPostgresError(f"could not create database {self.dbname}: {exc}") from exc

    def _pg_ctl(self, *args) -> None:
        _run(self.bindir / "pg_ctl", "-D", self.data_dir, *args, owner=self._server_owner())


def _run(*command, owner: tuple[int, int] | None = None, env=None) -> str:
    """Run a tool, as `owner` (uid, gid) if given, and return its stdout; a
    failure becomes an EmbeddedPostgresError quoting the command and its stderr."""
    argv = [str(part) for part in command]
    as_owner = {"user": owner[0], "group": owner[1], "extra_groups": [], "cwd": "/"} if owner else {}
    try:
        result = subprocess.run(argv, capture_output=True, text=True, check=False, env=env, **as_owner)
    except OSError as exc:
        raise EmbeddedPostgresError(f"could not run {argv[0]}: {exc}") from exc
    if result.returncode != 0:
        output = (result.stderr.strip() or result.stdout.strip())[-2000:]
        raise EmbeddedPostgresError(f"`{shlex.join(argv)}` failed (exit {result.returncode}): {output}")
    return result.stdout


def _output(*command) -> str | None:
    """A tool's stdout, or None if it is missing or fails."""
    try:
        return _run(*command).strip() or None
    except EmbeddedPostgresError:
        return None


def _check_installation() -> tuple[Path | None, str | None]:
    """(bindir, what is missing), the latter None when nothing is."""
    bindir = find_postgres_bindir()
    if bindir is None:
        return None, "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found"
    extension_dir = postgres_sharedir(bindir) / "extension"
    missing = [name for name in REQUIRED_EXTENSIONS if not (extension_dir / f"{name}.control").is_file()]
    if missing:
        return bindir, f"PostgreSQL extensions {', '.join(missing)} not found in {extension_dir}"
    return bindir, None


def _apt_get(log: Log, *args: str) -> None:
    log(f"running: DEBIAN_FRONTEND=noninteractive apt-get {' '.join(args)}")
    _run("apt-get", *args, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def _system_user() -> tuple[int, int]:
    """(uid, gid) of caretrail-pg, created on first use."""
    try:
        grp.getgrnam(SYSTEM_USER)
    except KeyError:
        _run("groupadd", "--system", SYSTEM_USER)
    try:
        entry = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        _run("useradd", "--system", "--gid", SYSTEM_USER, "--no-create-home", "--home-dir", "/nonexistent",
             "--shell", "/usr/sbin/nologin", SYSTEM_USER)  # fmt: skip
        entry = pwd.getpwnam(SYSTEM_USER)
    return entry.pw_uid, entry.pw_gid


def unreachable_parent(directory: Path) -> Path | None:
    """As root: the outermost of `directory` and its existing parents that
    the cluster's user cannot enter (a clone under /root, or in a `mktemp -d`),
    else None.  Always None for anyone else: the cluster then runs as us."""
    if os.geteuid() != 0:
        return None
    return _closed_parent(Path(directory).absolute(), *_system_user())


def _closed_parent(directory: Path, uid: int, gid: int) -> Path | None:
    for path in (*reversed(directory.parents), directory):
        try:
            info = path.stat()
        except FileNotFoundError:
            return None  # the rest is still to be made
        bit = stat.S_IXUSR if info.st_uid == uid else stat.S_IXGRP if info.st_gid == gid else stat.S_IXOTH
        if not info.st_mode & bit:
            return path
    return None


def _check_traversable(directory: Path, uid: int, gid: int) -> None:
    """The server's user must be able to enter `directory` and its parents.
    We only say so: they are the caller's directories, not ours to chmod."""
    closed = _closed_parent(directory, uid, gid)
    if closed is not None:
        raise EmbeddedPostgresError(
            f"{closed} cannot be entered by the {SYSTEM_USER} user that runs PostgreSQL (which refuses root), "
            "so keep the data where every parent directory is world-searchable, "
            "e.g. CARETRAIL_INSTANCE_PATH=/srv/caretrail"
        )


def _pid_in(pid_file: Path) -> int | None:
    try:  # a single-user backend writes its PID negated
        return abs(int(pid_file.read_text().split()[0]))
    except (OSError, ValueError, IndexError):
        return None


def _runs_in(pid: int, data_dir: Path) -> bool:
    """Whether `pid` is a live process working in data_dir, as every process
    of a cluster does.  A zombie has no working directory."""
    try:
        return Path(os.readlink(f"/proc/{pid}/cwd")) == data_dir
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> int:
    """`make test` runs `python -m app.embedded_postgres --check-install`
    first, so that a missing server is installed (or named) up front."""
    if sys.argv[1:] != ["--check-install"]:
        sys.exit("usage: python -m app.embedded_postgres --check-install")
    if os.environ.get("TEST_DATABASE_URL"):  # the suite will start no embedded server
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
