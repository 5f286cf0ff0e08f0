"""`make run`: embedded PostgreSQL when DATABASE_URL is unset, migrate, set
up, serve; the embedded server stops with the app.

Each step prints what it does.  Usable on its own: `.venv/bin/python -m app.launcher`.

Nothing may be lost: a second start on the same instance (or on a port in
use) refuses in one line before it touches anything; Ctrl+C, `kill` and a
closed terminal stop the app and then its database, whatever signal
dispositions this process inherited.
"""

import errno
import fcntl
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
from contextlib import ExitStack, suppress
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
# As root, the cluster runs as caretrail-pg; when that user cannot enter the
# instance directory (a clone under /root), the cluster lives here instead.
SHARED_CLUSTERS_DIR = Path("/var/lib/caretrail")
LOCK_FILE = "caretrail.lock"


class Refused(Exception):
    """The launcher will not start; the message, one line, says why."""


def say(message: str) -> None:
    with suppress(OSError):  # the terminal is gone (SIGHUP): stopping the database matters more
        print(f"[caretrail] {message}", flush=True)


def stop_on_signals() -> None:
    """Ctrl+C (SIGINT), `kill` (SIGTERM) and a closed terminal (SIGHUP) stop
    the app and then its database.  Set here whatever was inherited: a
    script's `make run &` starts us with SIGINT ignored, and Python then
    installs no KeyboardInterrupt; a supervisor may hand signals down
    blocked.  SIGHUP inherited as ignored (nohup) stays ignored."""
    signals = {signal.SIGINT, signal.SIGTERM}
    if signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:
        signals.add(signal.SIGHUP)
    for signum in signals:
        signal.signal(signum, _stop)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, signals)


def _stop(_signum, _frame):
    shield_from_signals()
    raise KeyboardInterrupt


def shield_from_signals() -> None:
    """While stopping, a second Ctrl+C must not cut the database's shutdown
    short (and leave it running): further stop signals only say so."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, _already_stopping)


def _already_stopping(_signum, _frame):
    say("already stopping, please wait")


def claim_instance(stack: ExitStack, instance_dir: Path, url: str) -> None:
    """Hold instance/caretrail.lock while we run.  The embedded database
    belongs to whoever holds it: a second `make run` on the same instance
    refuses instead of sharing the first one's database (and stopping it
    when it exits).  The kernel drops the lock when we exit, however we exit."""
    instance_dir.mkdir(parents=True, exist_ok=True)
    lock = open(instance_dir / LOCK_FILE, "a+", encoding="utf-8")  # noqa: SIM115 (held until exit)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        holder = lock.read().strip() or "another process"
        lock.close()
        raise Refused(
            f"CareTrail is already running from {instance_dir} ({holder}): nothing was started; "
            "stop that one first (Ctrl+C where it runs), or set CARETRAIL_INSTANCE_PATH to start another"
        ) from None
    lock.truncate(0)
    lock.write(f"pid {os.getpid()}, {url}\n")
    lock.flush()

    def release() -> None:
        lock.truncate(0)
        lock.close()

    stack.callback(release)


def reserve_port(host: str, port: int) -> socket.socket:
    """Listen on HOST:PORT before anything starts, so that a port in use
    stops us before we start a database, and nobody can take it meanwhile."""
    from werkzeug.serving import get_sockaddr, select_address_family

    family = select_address_family(host, port)
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug does
    try:
        listener.bind(get_sockaddr(host, port, family))
        listener.listen(128)
    except OSError as exc:
        listener.close()
        if exc.errno == errno.EADDRINUSE:
            problem = f"port {port} on {host} is already in use (by another CareTrail, or another program)"
        else:
            problem = f"cannot listen on port {port} on {host}: {exc.strerror}"
        raise Refused(f"{problem}: nothing was started; choose another port with PORT") from None
    return listener


def cluster_home(instance_dir: Path) -> Path:
    """instance/postgres, where the embedded cluster lives.

    As root, the cluster runs as caretrail-pg (PostgreSQL refuses root), who
    cannot enter a private directory (a clone under /root or in a
    `mktemp -d`).  Then the cluster lives in
    /var/lib/caretrail/<clone>-<digest>/postgres and instance/postgres is a
    link to it, made once: every start finds the same data, and
    `ls -l instance/` shows where it is."""
    from app.embedded_postgres import unreachable_parent

    home = instance_dir / "postgres"
    if home.is_symlink():
        return home
    closed = unreachable_parent(instance_dir)
    if closed is None or (home / "data" / "PG_VERSION").exists():
        return home  # an existing cluster stays where it is
    if home.exists():
        if any(not path.is_dir() for path in home.rglob("*")):
            return home  # not ours to move: EmbeddedPostgres says what is wrong
        shutil.rmtree(home)  # the empty directories of an earlier, refused start
    instance = instance_dir.resolve()
    digest = hashlib.sha256(os.fsencode(instance)).hexdigest()[:12]
    target = SHARED_CLUSTERS_DIR / f"{instance.parent.name}-{digest}" / "postgres"
    for directory in (SHARED_CLUSTERS_DIR, target.parent):  # caretrail-pg must enter them, whatever the umask
        directory.mkdir(exist_ok=True)
        directory.chmod(0o755)
    home.symlink_to(target, target_is_directory=True)
    say(f"{closed} is private and PostgreSQL cannot run as root: the cluster lives in {target} ({home} links to it)")
    return home


def start_embedded_database(stack: ExitStack, instance_dir: Path) -> str:
    from app.embedded_postgres import EmbeddedPostgres, EmbeddedPostgresError, ensure_postgres_installed

    try:
        ensure_postgres_installed(install=True)
        server = EmbeddedPostgres(cluster_home(instance_dir) / "data", log=say)
        # Before start(): a signal arriving while it starts must stop it too.
        # The cluster is ours (we hold the instance's lock), even one a killed
        # launcher left running.
        stack.callback(stop_database, server)
        server.start()
    except EmbeddedPostgresError as exc:
        raise Refused(f"cannot start the embedded PostgreSQL: {exc}") from None
    say(f"embedded PostgreSQL ready, data in {server.data_dir}")
    return server.url()


def stop_database(server) -> None:
    shield_from_signals()
    server.stop()


APP_LOGIN_ROLE = "caretrail_web"


def ensure_app_login_role(owner_url: str) -> str:
    """The URL the app uses on the embedded server: a login role in
    caretrail_app (created by the migrations), which may read and write
    records but not alter the schema nor touch the audit."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    engine = create_engine(owner_url)
    with engine.begin() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": APP_LOGIN_ROLE}).first()
        if not exists:
            connection.execute(text(f"CREATE ROLE {APP_LOGIN_ROLE} LOGIN IN ROLE caretrail_app"))
    engine.dispose()
    return make_url(owner_url).set(username=APP_LOGIN_ROLE).render_as_string(hide_password=False)


def serve(app, listener: socket.socket, host: str, port: int) -> None:
    """Werkzeug's development server (as app.run), on the socket reserved at start."""
    from werkzeug.serving import make_server

    server = make_server(host, port, app, threaded=True, fd=listener.fileno())
    say(f"open http://{host}:{port}/  (Ctrl+C stops the app and its database)")
    server.serve_forever()  # returns on KeyboardInterrupt, i.e. on a stop signal


WORKER_STOP_SECONDS = 15


def start_local_outbox(stack: ExitStack, folder: Path) -> None:
    """No MAIL_SERVER with the embedded database: e-mails (reminders,
    alerts, reports) go to .eml files in `folder` (app/outbox.py); the web
    process and the worker both read MAIL_SERVER/MAIL_PORT from here on."""
    from app.outbox import start_outbox

    controller, port = start_outbox(folder)
    stack.callback(controller.stop)
    os.environ["MAIL_SERVER"], os.environ["MAIL_PORT"] = "127.0.0.1", str(port)
    os.environ.pop("MAIL_USE_TLS", None)
    os.environ.pop("MAIL_USE_SSL", None)
    say(f"MAIL_SERVER is not set: e-mails are kept as .eml files in {folder} (set MAIL_SERVER to send them)")


def start_worker(stack: ExitStack, database_url: str) -> subprocess.Popen | None:
    """One background worker beside the web server (`flask worker`), as the
    app's own role; stopped before the database (the stack unwinds in
    reverse).  WORKER=0 starts none (another machine runs the workers)."""
    if os.environ.get("WORKER", "1").strip().lower() in {"0", "false", "no", "off"}:
        say("WORKER is off: no background worker started (jobs wait for `make worker`)")
        return None
    env = {**os.environ, "DATABASE_URL": database_url}
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "run.py", "worker"], cwd=PROJECT_DIR, env=env)
    stack.callback(stop_worker, worker)
    say(f"background worker started (pid {worker.pid}): audit seal, prescriptions' expiry, alerts, e-mail")
    return worker


def stop_worker(worker: subprocess.Popen) -> None:
    """SIGTERM lets the running job finish (procrastinate's graceful stop)."""
    if worker.poll() is None:
        worker.terminate()
    try:
        worker.wait(WORKER_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        say("the background worker did not stop in time: killing it (its job will run again)")
        worker.kill()
        worker.wait()


def run(stack: ExitStack, instance_dir: Path, host: str, port: int) -> None:
    embedded = not os.environ.get("DATABASE_URL")
    if embedded:
        claim_instance(stack, instance_dir, f"http://{host}:{port}/")
    listener = stack.enter_context(reserve_port(host, port))
    if embedded:
        owner_url = start_embedded_database(stack, instance_dir)
        # Migrations run as the cluster's owner, the app as caretrail_web.
        os.environ["MIGRATION_DATABASE_URL"] = owner_url
        os.environ["DATABASE_URL"] = owner_url
        os.environ["CARETRAIL_EMBEDDED_DB"] = "1"
    else:
        say("DATABASE_URL is set: using that server, starting no database")
    if embedded and not os.environ.get("MAIL_SERVER"):
        start_local_outbox(stack, instance_dir / "outbox")
    # Config reads the environment when imported: only now.
    from flask_migrate import upgrade
    from sqlalchemy.engine import make_url

    from app import create_app
    from app.bootstrap import prepare_to_serve, unreachable_database
    from app.core.extensions import db
    from app.demo.hospital import seed_demo_data

    app = create_app()
    try:
        with app.app_context():
            say("migrating the schema to the latest version")
            upgrade()
    except Exception as exc:
        if (message := unreachable_database(exc, app.config["SQLALCHEMY_DATABASE_URI"])) is not None:
            raise Refused(message) from None
        raise
    if embedded:
        with app.app_context():
            db.engine.dispose()  # the owner's connections: the app runs as caretrail_web
        app = create_app(SQLALCHEMY_DATABASE_URI=ensure_app_login_role(os.environ["MIGRATION_DATABASE_URL"]))
    say(f"database: {make_url(app.config['SQLALCHEMY_DATABASE_URI']).render_as_string(hide_password=True)}")
    with app.app_context():
        prepare_to_serve(app, log=say)
        if app.config["DEMO_DATA"]:
            say("loading demo data (DEMO_DATA is on)")
            say(f"demo data: {seed_demo_data(app.appbuilder, password=app.config['DEMO_PASSWORD'])}")
    start_worker(stack, app.config["SQLALCHEMY_DATABASE_URI"])
    serve(app, listener, host, port)
    say("stopping")


def main() -> None:
    stop_on_signals()
    instance_dir = Path(os.environ.get("CARETRAIL_INSTANCE_PATH", PROJECT_DIR / "instance"))
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    try:
        with ExitStack() as stack:
            run(stack, instance_dir, host, port)
    except Refused as refusal:
        say(str(refusal))
        sys.exit(1)
    except KeyboardInterrupt:  # stopped while starting: the stack has stopped what it started
        say("stopped")


if __name__ == "__main__":
    main()
