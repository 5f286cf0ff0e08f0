"""Instructions per request of each main page, counted by callgrind: the
ratios to the login page (issue 22: every main page at most three times the
anonymous login page) without the noise of a shared machine's clock.

    .venv/bin/python -m bench.request_instructions --database-url OWNER_URL --app-database-url APP_URL
        [--baseline DIR] [--requests 10] [--warmup 3]
    .venv/bin/python -m bench.request_instructions --database-url ... --profile "audit list"

Needs valgrind, gcc and valgrind's headers (a ten-line helper is compiled to
start, zero and dump callgrind's counters from Python through ctypes), and a
database filled by bench.load.generate with its users (bench.load.users);
without --database-url a throwaway one is made at --scale 0.02.

For each build (this checkout, then --baseline's), one Python process runs
under `valgrind --tool=callgrind --instr-atstart=no`: it creates the build's
app, signs the load test's users in (a browser session for the screens, a
JWT for the API), and for each page: --warmup requests, then --requests
requests, each counted alone (the median is printed: one
request now and then pays for a cache refilled, a pool connection opened).
Each request is a WSGI call of the
app with an environ built beforehand, its body read to the end: what is
counted is the app's own work for the request (Flask, FAB, SQLAlchemy,
psycopg, rendering), not an HTTP server's nor the client's, nor
PostgreSQL's (another process).  Counts move by well under 1% between runs.

--profile KIND runs one page under cProfile instead (no valgrind): where
its time goes, by Python function (BENCH_PROFILE_SORT=tottime orders it by
each function's own time, BENCH_PROFILE_FILTER=REGEX keeps the functions whose
file matches, as templates/, BENCH_PROFILE_CALLERS=REGEX prints who calls the
functions matching REGEX, BENCH_PROFILE_OUT=FILE keeps the profile).  BENCH_KEEP_DUMPS=DIR keeps callgrind's dumps
(one per request) for callgrind_annotate.
"""

import argparse
import logging
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HELPER_C = """
#include <valgrind/callgrind.h>
void bench_start(void) { CALLGRIND_START_INSTRUMENTATION; }
void bench_zero(void) { CALLGRIND_ZERO_STATS; }
void bench_dump(const char *label) { CALLGRIND_DUMP_STATS_AT(label); }
"""
LOGIN_PAGE = "login page"
# Pages outside the load test's mix: the login page, and each role's home (where it lands).
OWN_PATHS = {LOGIN_PAGE: "/login/", **{f"{role}'s home": "/" for role in ("secretary", "nurse", "doctor", "auditor")}}
# (kind of bench.load.run.request_for, who asks): the main pages of the issue and the search doors.
PAGES = (
    (LOGIN_PAGE, None),
    ("secretary's home", "screens"),
    ("nurse's home", "nurse"),
    ("doctor's home", "doctor"),
    ("auditor's home", "audit"),
    ("patient list", "screens"),
    ("patient page", "screens"),
    ("audit list", "audit"),
    ("calendar week (one doctor)", "screens"),
    ("calendar page", "screens"),
    ("quick search", "screens"),
    ("last name filter", "screens"),
    ("picker", "screens"),
    ("api search", "api"),
    ("api show", "api"),
)
USERS = {
    "screens": "bench_secretary1",
    "nurse": "bench_nurse1",
    "doctor": "bench_doctor2",
    "audit": "bench_auditor1",
    "api": "bench_doctor1",
}


def compile_helper(directory: Path) -> Path:
    source, library = directory / "bench_callgrind.c", directory / "bench_callgrind.so"
    source.write_text(HELPER_C)
    subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-o", str(library), str(source)], check=True)
    return library


def measure(source: Path, app_url: str, requests: int, warmup: int, pages: str | None) -> dict[str, float]:
    """Median instructions per request of each page, for the build in `source`."""
    with tempfile.TemporaryDirectory(prefix="bench-requests-") as scratch:
        scratch = Path(scratch)
        library = compile_helper(scratch)
        command = ["valgrind", "--tool=callgrind", "--instr-atstart=no", "-q"]
        command += [f"--callgrind-out-file={scratch}/callgrind.out"]
        command += [sys.executable, __file__, "--child", "--helper", str(library), "--source", str(source)]
        command += ["--app-database-url", app_url, "--requests", str(requests), "--warmup", str(warmup)]
        command += ["--pages", pages] if pages else []
        subprocess.run(command, check=True, cwd=source)
        if os.environ.get("BENCH_KEEP_DUMPS"):  # for callgrind_annotate: where the instructions go, by C function
            shutil.copytree(scratch, os.environ["BENCH_KEEP_DUMPS"], dirs_exist_ok=True)
        counts = defaultdict(list)
        for dump in scratch.glob("callgrind.out.*"):
            text = dump.read_text(errors="replace")
            label = re.search(r"^desc: Trigger: Client Request: (.+)#\d+$", text, re.M)
            total = re.search(r"^(?:summary|totals): (\d+)", text, re.M)
            if label and total:
                counts[label.group(1)].append(int(total.group(1)))
        return {kind: statistics.median(counts[kind]) for kind, _who in PAGES if kind in counts}


def child(args) -> None:
    """Runs under callgrind, in the build's directory."""
    import ctypes

    helper = ctypes.CDLL(args.helper) if args.helper else None
    from bench.load.run import Fixtures, request_for  # this checkout's bench, whichever build is measured
    from bench.load.users import PASSWORD

    source = Path(args.source).resolve()
    sys.path.insert(0, str(source))
    imported = sys.modules.get("app")
    same_build = imported is not None and Path(imported.__file__).resolve().parent.parent == source
    # Another build's app imported is replaced by this build's; the same
    # build's stays, its models mapped already (--profile on a throwaway
    # database this process filled).  config is read again either way: it
    # reads the environment set below when imported.
    for module in [
        name
        for name in sys.modules
        if name.startswith("config") or (not same_build and (name == "app" or name.startswith("app.")))
    ]:
        del sys.modules[module]
    os.environ.update(
        DATABASE_URL=args.app_database_url,
        SECRET_KEY="bench-request-instructions-for-callgrind",  # noqa: S106 (an app that serves no one)
        MFA_REQUIRED_ROLES="",
        AUTH_RATE_LIMIT="100000 per second",
    )
    os.environ.pop("MIGRATION_DATABASE_URL", None)
    from sqlalchemy.engine import make_url
    from werkzeug.test import EnvironBuilder

    from app import create_app

    app = create_app()
    logging.getLogger("flask_appbuilder").setLevel(logging.ERROR)  # "Invalid redirect" of each sign-in
    client = app.test_client()
    headers = {None: {}}
    for who, username in USERS.items():
        if who == "api":
            login = {"username": username, "password": PASSWORD, "provider": "db"}
            token = client.post("/api/v1/security/login", json=login).get_json()["access_token"]
            headers[who] = {"Authorization": f"Bearer {token}"}
            continue
        browser = app.test_client()
        page = browser.get("/login/").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        signed_in = browser.post("/login/", data={"username": username, "password": PASSWORD, "csrf_token": csrf})
        assert signed_in.status_code == 302, f"{username} could not sign in"
        cookie = browser.get_cookie(app.config["SESSION_COOKIE_NAME"])
        headers[who] = {"Cookie": f"{cookie.key}={cookie.value}"}

    conninfo = make_url(args.app_database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    fixtures = Fixtures(conninfo)
    rng = random.Random(22)

    def environs(kind: str, who, count: int) -> list[dict]:
        built = []
        for _ in range(count):
            if kind in OWN_PATHS:
                method, path, extra = "GET", OWN_PATHS[kind], {}
            else:
                method, path, extra = request_for(kind, fixtures, rng)
            builder = EnvironBuilder(
                path=path, method=method, query_string=extra.get("params"), json=extra.get("json"), headers=headers[who]
            )
            built.append(builder.get_environ())
        return built

    def call(environ: dict) -> None:
        status = []
        body = app.wsgi_app(environ, lambda code, _headers, _exc=None: status.append(code))
        try:
            for _chunk in body:
                pass
        finally:
            if hasattr(body, "close"):
                body.close()
        if not status[0].startswith("200"):
            raise RuntimeError(f"{environ['PATH_INFO']}: {status[0]}")

    if args.timing:
        time_pages(app, args, environs, call)
        return
    if helper is None:  # --profile: where one page's time goes, by Python function
        import cProfile
        import pstats

        who = dict(PAGES)[args.profile]
        for environ in environs(args.profile, who, args.warmup):
            call(environ)
        measured = environs(args.profile, who, args.requests)
        with cProfile.Profile() as profile:
            for environ in measured:
                call(environ)
        stats = pstats.Stats(profile).sort_stats(os.environ.get("BENCH_PROFILE_SORT", "cumulative"))
        stats.print_stats(*filter(None, [os.environ.get("BENCH_PROFILE_FILTER")]), 60)
        if os.environ.get("BENCH_PROFILE_OUT"):  # for snakeviz, or pstats by hand
            stats.dump_stats(os.environ["BENCH_PROFILE_OUT"])
        if os.environ.get("BENCH_PROFILE_CALLERS"):  # who calls the functions matching REGEX
            stats.print_callers(os.environ["BENCH_PROFILE_CALLERS"])
        return
    helper.bench_start()
    for kind, who in measured_pages(args.pages):
        for environ in environs(kind, who, args.warmup):
            call(environ)
        measured = environs(kind, who, args.requests)
        for number, environ in enumerate(measured):
            helper.bench_zero()
            call(environ)
            helper.bench_dump(f"{kind}#{number}".encode())
        print(f"[requests] {kind}: measured", flush=True)


def time_pages(app, args, environs, call) -> None:
    """--timing: each page's median time in this process, and how much of it
    was spent waiting on PostgreSQL (statements, and the pool's ping at
    checkout), one request at a time on an idle machine, the pages taken
    in turn."""
    import gc
    import time

    from sqlalchemy import event

    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
    waits = {"sql": 0.0, "statements": 0, "ping": 0.0}

    @event.listens_for(engine, "before_cursor_execute")
    def _started(conn, *_args) -> None:
        conn.info["bench_started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _finished(conn, _cursor, statement, *_args) -> None:
        took = time.perf_counter() - conn.info.pop("bench_started")
        waits["sql"] += took
        waits["statements"] += 1
        if os.environ.get("BENCH_TIMING_STATEMENTS"):  # each statement of the last request
            waits.setdefault("each", []).append(
                (took, " ".join(statement.split())[: int(os.environ.get("BENCH_TIMING_WIDTH", "100"))])
            )

    dialect, do_ping = engine.dialect, engine.dialect.do_ping

    def timed_ping(dbapi_connection):
        started = time.perf_counter()
        try:
            return do_ping(dbapi_connection)
        finally:
            waits["ping"] += time.perf_counter() - started

    dialect.do_ping = timed_ping

    def mark(label: str) -> None:
        """BENCH_TIMING_MARKS=1: a statement naming the page before and after
        each of its measured requests, for PostgreSQL's log
        (log_min_duration_statement=0 tells each statement's parse, bind and
        execute times on the server)."""
        if os.environ.get("BENCH_TIMING_MARKS"):
            with engine.connect() as connection:
                quoted = label.replace("'", "''")
                connection.exec_driver_sql(f"SELECT 'bench-timing {quoted}'")

    gc.freeze()  # as gunicorn.conf.py does before forking its workers
    pages = measured_pages(args.pages)
    for kind, who in pages:
        for environ in environs(kind, who, args.warmup):
            call(environ)
    # The pages in turn, one request of each a round: this VM's speed drifts
    # by up to 2x over a minute, and a page timed in a block of its own
    # compared its block with the login page's block.
    queued = {kind: iter(environs(kind, who, args.requests)) for kind, who in pages}
    rows, statements_seen = defaultdict(list), {}
    for _round in range(args.requests):
        for kind, _who in pages:
            environ = next(queued[kind])
            mark(f"{kind} start")
            waits.update(sql=0.0, statements=0, ping=0.0, each=[])
            started = time.perf_counter()
            call(environ)
            rows[kind].append((time.perf_counter() - started, waits["sql"], waits["ping"], waits["statements"]))
            mark(f"{kind} end")
            statements_seen[kind] = waits["each"]
    print(f"{'page':<28}{'ms':>8}{'x login':>9}{'in SQL':>9}{'ping':>7}{'rest':>8}{'stmts':>7}")
    login = statistics.median(took for took, *_waits in rows[LOGIN_PAGE])
    for kind, _who in pages:
        total, sql, ping, statements = (statistics.median(column) for column in zip(*rows[kind], strict=True))
        cells = f"{total * 1e3:>8.2f}{total / login:>9.2f}{sql * 1e3:>9.2f}{ping * 1e3:>7.2f}"
        print(f"{kind:<28}{cells}{(total - sql - ping) * 1e3:>8.2f}{statements:>7.0f}", flush=True)
        for took, statement in statements_seen[kind]:
            print(f"    {took * 1e3:7.2f} ms  {statement}")


def time_builds(args, app_url: str) -> None:
    """--timing --baseline: each build timed in a process of its own, in
    turn, and again in the other order (the machine's load drifts)."""
    sources = {"this build": REPO, f"baseline {Path(args.baseline).name}": Path(args.baseline).resolve()}
    for name, source in [*sources.items(), *reversed(sources.items())]:
        print(f"\n[timing] {name} ({source})", flush=True)
        command = [sys.executable, __file__, "--child", "--timing", "--source", str(source)]
        command += ["--app-database-url", app_url, "--requests", str(args.requests), "--warmup", str(args.warmup)]
        command += ["--pages", args.pages] if args.pages else []
        subprocess.run(command, check=True, cwd=source)


def measured_pages(chosen: str | None) -> list[tuple[str, str | None]]:
    if not chosen:
        return list(PAGES)
    names = {LOGIN_PAGE, *(name.strip() for name in chosen.split(","))}
    unknown = names - dict(PAGES).keys()
    if unknown:
        raise SystemExit(f"no such page: {', '.join(sorted(unknown))}")
    return [(kind, who) for kind, who in PAGES if kind in names]


def report(builds: dict[str, dict[str, float]]) -> None:
    names = list(builds)
    header = f"{'page':<28}" + "".join(f"{name:>26}" for name in names)
    print(header + "\n" + "-" * len(header))
    for kind in builds[names[0]]:
        cells = []
        for name in names:
            counts = builds[name]
            ratio = counts[kind] / counts[LOGIN_PAGE]
            cells.append(f"{counts[kind] / 1e6:>12.1f} M  x{ratio:>5.2f} login")
        print(f"{kind:<28}" + "".join(f"{cell:>26}" for cell in cells))
    if len(names) == 2:
        main, baseline = names
        changes = [builds[main][kind] / builds[baseline][kind] for kind in builds[main]]
        print(f"\n{main} / {baseline}: median {statistics.median(changes):.2f} of the instructions per request")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="owner URL of a database filled by bench.load.generate")
    parser.add_argument("--app-database-url", help="the app's login role on it (bench.load's caretrail_bench_app)")
    parser.add_argument("--baseline", help="another checkout to measure beside this one")
    parser.add_argument("--requests", type=int, help="measured requests per page (10; --timing: 60)")
    parser.add_argument("--warmup", type=int, help="requests per page before (3; --timing: 30)")
    parser.add_argument("--scale", type=float, default=0.02, help="without --database-url: the throwaway's size")
    parser.add_argument("--pages", help="only these pages, comma-separated (the login page is always measured)")
    parser.add_argument("--profile", choices=[kind for kind, _who in PAGES], help="cProfile one page instead")
    parser.add_argument(
        "--timing", action="store_true", help="time each page in this process instead (and its wait on PostgreSQL)"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--helper", help=argparse.SUPPRESS)
    parser.add_argument("--source", help=argparse.SUPPRESS)
    args = parser.parse_args()
    # Timed, a page is measured once PostgreSQL plans its statements once for
    # all: each of the pool's connections prepares a statement at its fifth
    # run, and PostgreSQL plans it anew for five more (the patient page's
    # statements took 2.3 ms of its 6.3 at 10 requests after 3, 1.2 at 60
    # after 30).  Counted instructions need no such wait.
    if args.requests is None:
        args.requests = 60 if args.timing else 10
    if args.warmup is None:
        args.warmup = 30 if args.timing else 3
    if args.child:
        child(args)
        return
    if args.timing and args.baseline:
        with bench_database(args) as application_url:
            time_builds(args, application_url)
        return
    if args.profile or args.timing:
        with bench_database(args) as application_url:
            args.source, args.app_database_url = str(REPO), application_url
            child(args)
        return
    sources = {"this build": REPO}
    if args.baseline:
        sources[f"baseline {Path(args.baseline).name}"] = Path(args.baseline).resolve()
    with bench_database(args) as application_url:
        builds = {
            name: measure(path, application_url, args.requests, args.warmup, args.pages)
            for name, path in sources.items()
        }
    report(builds)


@contextmanager
def bench_database(args):
    """The app's URL on the given database, or on a throwaway one filled at --scale."""
    from sqlalchemy.engine import make_url

    from bench._database import benchmark_database
    from bench.load.__main__ import app_role_url
    from bench.load.generate import generate
    from bench.load.users import ensure_users

    if args.database_url:
        conninfo = make_url(args.database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        yield args.app_database_url or app_role_url(args.database_url, conninfo)
        return
    with benchmark_database(None) as (url, conninfo):
        generate(conninfo, args.scale)
        ensure_users(url)
        yield app_role_url(url, conninfo)


if __name__ == "__main__":
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))  # run as a script under valgrind: `bench` is this checkout's
    main()
