"""Load test: 20 signed-in users with no think time against gunicorn, the
issue-22 mix, one build or several side by side on the same database.

    .venv/bin/python -m bench.load.run --database-url OWNER_URL --app-database-url APP_URL
        [--baseline /work/wt/main-baseline] [--seconds 60] [--users 20] [--workers 4]

For each build (this checkout, and --baseline's when given), in turn: start
gunicorn on it (4 workers; the build's own gunicorn.conf.py, if any, decides
--preload), sign the users in (browser sessions with the login form, JWTs
with /api/v1/security/login), then
1. one request at a time: each main page, median server time (the app's
   X-Server-Time header: from the request reaching the app to its answer
   ready, without the HTTP exchange's and the client's share) and queries,
   as a ratio of the anonymous login page's time measured in the same run;
2. the search doors on the 50 most common surnames (p50/p95), and the typos;
3. the mix for --seconds: per endpoint p50/p95/p99, requests per second,
   errors and queries per request; RSS (and PSS: shared pages counted once)
   per worker; the CPU each request cost on this machine's two sides, the
   gunicorn workers and the PostgreSQL processes (when the database is
   local), read from /proc: unlike times, that does not move with the other
   work the machine does (only the steal it reports tells how shared it was).
Before each build the previous one's leftover statements are ended and the
machine is waited for until idle. The table printed at the end puts the
builds side by side with the machine's
load average: the machine may be shared, ratios between builds measured in
one run are what to quote.  Needs a database filled by bench.load.generate.
"""

import argparse
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from array import array
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import psycopg
import requests
from sqlalchemy.engine import make_url

from bench.load.users import PASSWORD, USERS

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
TYPOS = ("dubuis", "lefevbre", "martn", "bernrad", "fontane")
BROWSER_MIX = {  # secretaries and nurses, in the screens
    "patient list": 15,
    "patient page": 20,
    "quick search": 15,
    "last name filter": 10,
    "picker": 15,
    "calendar week (one doctor)": 20,
    "calendar page": 5,
}
API_MIX = {"api search": 40, "api show": 30, "api create": 15, "api update": 15}  # doctors, with JWTs
AUDIT_MIX = {"audit list": 100}  # auditors


class Fixtures:
    """What the requests ask for, read once from the database."""

    def __init__(self, conninfo: str):
        with psycopg.connect(conninfo) as conn:
            # The ids that exist: a sequence keeps its gaps (rolled-back inserts,
            # deleted patients), and an id drawn between min and max could be a 404.
            self.patient_ids = array("q", (row[0] for row in conn.execute("SELECT id FROM patients ORDER BY id")))
            self.surnames = [
                r[0]
                for r in conn.execute(
                    "SELECT lower(last_name) FROM patients GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 50"
                )
            ]
            self.doctors = [r[0] for r in conn.execute("SELECT id FROM staff WHERE rpps LIKE '9000000%' ORDER BY id")]
            self.patients = conn.execute("SELECT count(*) FROM patients").fetchone()[0]
            self.appointments = conn.execute("SELECT count(*) FROM appointments").fetchone()[0]
            self.audit = conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        monday = date.today() - timedelta(days=date.today().weekday())
        self.week = (f"{monday}T00:00:00", f"{monday + timedelta(days=7)}T00:00:00")

    def patient_id(self, rng) -> int:
        return rng.choice(self.patient_ids)


def request_for(kind: str, fx: Fixtures, rng) -> tuple[str, str, dict]:
    """(method, path, extra requests kwargs) of one request of `kind`."""
    name = rng.choice(fx.surnames)
    if kind == "patient list":
        return "GET", "/patients/list/", {}
    if kind == "patient page":
        return "GET", f"/patients/show/{fx.patient_id(rng)}", {}
    if kind == "quick search":
        return "GET", "/patients/list/", {"params": {"_flt_0_last_name": name}}
    if kind == "last name filter":
        return "GET", "/patients/list/", {"params": {"_flt_1_last_name": name}}
    if kind == "picker":
        return "GET", "/patient-lookup/", {"params": {"q": name}}
    if kind == "calendar week (one doctor)":
        start, end = fx.week
        return "GET", "/calendar/events", {"params": {"start": start, "end": end, "doctor_id": rng.choice(fx.doctors)}}
    if kind == "calendar week (all doctors)":
        start, end = fx.week
        return "GET", "/calendar/events", {"params": {"start": start, "end": end}}
    if kind == "calendar page":
        return "GET", "/calendar/", {}
    if kind == "audit list":
        return "GET", "/audit/", {}
    if kind == "api search":
        rison = f"(filters:!((col:last_name,opr:name,value:{name})),page_size:20)"
        return "GET", "/api/v1/patients/", {"params": {"q": rison}}
    if kind == "api show":
        return "GET", f"/api/v1/patients/{fx.patient_id(rng)}", {}
    if kind == "api create":
        body = {
            "last_name": f"Charge{rng.randint(1, 10**9)}",
            "first_name": "Test",
            "birth_date": f"{rng.randint(1930, 2020)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
            "sex": rng.choice("FM"),
        }
        return "POST", "/api/v1/patients/", {"json": body, "params": {"confirm_duplicate": "true"}}
    if kind == "api update":
        return "PUT", f"/api/v1/patients/{fx.patient_id(rng)}", {"json": {"city": rng.choice(["Lyon", "Paris"])}}
    raise ValueError(kind)


class Server:
    """gunicorn serving one build, stopped with the `with` block."""

    def __init__(self, source: Path, port: int, workers: int, app_url: str):
        self.source, self.port, self.workers, self.app_url = source, port, workers, app_url
        self.base = f"http://127.0.0.1:{port}"

    def __enter__(self):
        env = dict(
            os.environ,
            DATABASE_URL=self.app_url,
            SECRET_KEY="bench-load-secret-key-for-both-builds",  # noqa: S106 (a throwaway server)
            MFA_REQUIRED_ROLES="",
            AUTH_RATE_LIMIT="100000 per second",
            HOST="127.0.0.1",
            PORT=str(self.port),
            WEB_CONCURRENCY=str(self.workers),
        )
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [
            str(gunicorn),
            "--chdir",
            str(self.source),
            "--pythonpath",
            str(HERE / "serve"),
            "-w",
            str(self.workers),
        ]
        command += ["-b", f"127.0.0.1:{self.port}", "--log-level", "warning", "counting_wsgi:app"]
        self.process = subprocess.Popen(command, cwd=self.source, env=env, start_new_session=True)
        deadline = time.time() + 180
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn on {self.source} stopped (exit {self.process.returncode})")
            try:
                if requests.get(self.base + "/login/", timeout=30).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.5)
        self.__exit__()
        raise RuntimeError(f"gunicorn on {self.source} did not answer")

    def __exit__(self, *_exc):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def worker_pids(self) -> list[str]:
        return Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()

    def memory(self) -> list[tuple[int, int]]:
        """(RSS, PSS) in MB of each worker."""
        result = []
        for pid in self.worker_pids():
            fields = {}
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
                key, value = line.split(":", 1)
                fields[key] = int(value.split()[0])
            result.append((fields["Rss"] // 1024, fields["Pss"] // 1024))
        return result


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pids) -> dict[str, float]:
    """User + system CPU seconds of each of these processes still running."""
    seconds = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14, 15)
    return seconds


def postgres_pids() -> list[str]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(entry.name)
            except OSError:
                continue
    return pids


def machine_steal_seconds() -> float:
    """CPU time the hypervisor gave to others (the `steal` column of /proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()
    return int(fields[8]) / CLOCK_TICKS


class CpuMeter:
    """CPU seconds spent by the app's workers and by PostgreSQL's processes
    (a connection opened meanwhile counts whole, one closed meanwhile is
    lost: the pools keep theirs open) between start() and stop()."""

    def __init__(self, server: "Server"):
        self.server = server

    def _read(self):
        return (
            process_cpu_seconds(self.server.worker_pids()),
            process_cpu_seconds(postgres_pids()),
            machine_steal_seconds(),
        )

    def start(self) -> None:
        self.before = self._read()

    def stop(self) -> tuple[float, float, float]:
        after = self._read()
        spent = [
            sum(seconds - before.get(pid, 0) for pid, seconds in now.items())
            for before, now in zip(self.before[:2], after[:2], strict=True)
        ]
        return spent[0], spent[1], after[2] - self.before[2]


def browser_session(base: str, username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(base + "/login/").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = session.post(base + "/login/", data={"username": username, "password": PASSWORD, "csrf_token": token})
    if response.status_code >= 400 or "/login/" in response.url:
        raise RuntimeError(f"{username} could not sign in ({response.status_code})")
    return session


def api_session(base: str, username: str) -> requests.Session:
    session = requests.Session()
    response = session.post(
        base + "/api/v1/security/login", json={"username": username, "password": PASSWORD, "provider": "db"}
    )
    response.raise_for_status()
    session.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
    return session


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.server_times: dict[str, list[float]] = defaultdict(list)  # X-Server-Time (counting_wsgi)
        self.queries: dict[str, list[int]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.samples: dict[str, str] = {}

    def timed(self, session, base: str, kind: str, method: str, path: str, **kwargs) -> requests.Response | None:
        started = time.perf_counter()
        try:
            response = session.request(method, base + path, timeout=60, allow_redirects=False, **kwargs)
        except requests.RequestException as exc:
            with self.lock:
                self.errors[kind] += 1
                self.samples.setdefault(kind, repr(exc))
            return None
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.times[kind].append(elapsed)
            self.server_times[kind].append(float(response.headers.get("X-Server-Time", "nan")))
            self.queries[kind].append(int(response.headers.get("X-Query-Count", "0")))
            if response.status_code >= 400:
                self.errors[kind] += 1
                self.samples.setdefault(kind, f"{response.status_code} {response.text[:200]}")
        return response


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def sign_in(base: str, users: int):
    chosen = (USERS * (users // len(USERS) + 1))[:users]
    people = []
    for username, role in chosen:
        if role == "Doctor":
            people.append((api_session(base, username), API_MIX))
        elif role == "Auditor":
            people.append((browser_session(base, username), AUDIT_MIX))
        else:
            people.append((browser_session(base, username), BROWSER_MIX))
    return people


def one_at_a_time(base: str, fx: Fixtures, repeat: int) -> dict:
    """Median server time and queries of each main page, one request at a time."""
    rng = random.Random(7)
    secretary, auditor = browser_session(base, "bench_secretary1"), browser_session(base, "bench_auditor1")
    doctor = api_session(base, "bench_doctor1")
    pages = {
        "login page (anonymous)": (requests.Session(), ("GET", "/login/", {})),
        "patient list": (secretary, None),
        "patient page": (secretary, None),
        "audit list": (auditor, None),
        "calendar week (one doctor)": (secretary, None),
        "calendar week (all doctors)": (secretary, None),
        "api search": (doctor, None),
        "api show": (doctor, None),
    }
    results = {}
    for kind, (session, fixed) in pages.items():
        recorder = Recorder()
        for _ in range(repeat + 1):
            method, path, kwargs = fixed or request_for(kind, fx, rng)
            recorder.timed(session, base, kind, method, path, **kwargs)
        # The server's time (the first request warms up): what the issue compares.
        times, queries = recorder.server_times[kind][1:], recorder.queries[kind][1:]
        results[kind] = (statistics.median(times), max(queries), recorder.errors[kind])
    return results


def search_doors(base: str, fx: Fixtures) -> dict:
    """p50/p95 of each search door over the 50 most common surnames, and what the typos find."""
    secretary, doctor = browser_session(base, "bench_secretary2"), api_session(base, "bench_doctor2")
    doors = {
        "quick search": secretary,
        "last name filter": secretary,
        "picker": secretary,
        "api search": doctor,
    }
    results = {}
    rng = random.Random(3)
    for kind, session in doors.items():
        recorder = Recorder()
        for name in fx.surnames:
            _method, path, kwargs = request_for(kind, fx, rng)
            kwargs = _with_name(kind, kwargs, name)
            recorder.timed(session, base, kind, "GET", path, **kwargs)
        times = recorder.times[kind]
        results[kind] = (percentile(times, 50), percentile(times, 95), recorder.errors[kind])
    typos = {}
    for typo in TYPOS:
        found = secretary.get(base + "/patient-lookup/", params={"q": typo}).json()
        typos[typo] = sorted({p["label"].split()[0] for p in found})[:4] if isinstance(found, list) else found
    results["typos"] = typos
    two = secretary.get(base + "/patient-lookup/", params={"q": "du"})
    results["two letters"] = f"{two.status_code} {two.text[:90]}"
    return results


def _with_name(kind: str, kwargs: dict, name: str) -> dict:
    params = dict(kwargs["params"])
    key = {"quick search": "_flt_0_last_name", "last name filter": "_flt_1_last_name", "picker": "q"}.get(kind)
    if key:
        params[key] = name
    else:
        params["q"] = f"(filters:!((col:last_name,opr:name,value:{name})),page_size:20)"
    return {"params": params}


def mix(base: str, fx: Fixtures, users: int, seconds: float, meter: CpuMeter) -> tuple[Recorder, float]:
    people = sign_in(base, users)  # (password hashing: before the CPU meter starts)
    recorder = Recorder()
    stop = time.time() + seconds

    def user_loop(index: int, session, weights: dict) -> None:
        rng = random.Random(index)
        kinds, cumulative = list(weights), list(weights.values())
        while time.time() < stop:
            kind = rng.choices(kinds, cumulative)[0]
            method, path, kwargs = request_for(kind, fx, rng)
            recorder.timed(session, base, kind, method, path, **kwargs)

    threads = [threading.Thread(target=user_loop, args=(i, s, w)) for i, (s, w) in enumerate(people)]
    meter.start()
    started = time.time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return recorder, time.time() - started


def settle(owner: str, app_url: str, most_seconds: float = 120) -> None:
    """Before a build is measured: the previous build's statements still
    running are ended (a slow build leaves queries behind its gunicorn),
    then the machine is waited for until it is idle (90% of its CPU over
    2 s), so that one build's aftermath is not counted in the next one's
    times."""
    role = make_url(app_url).username
    with psycopg.connect(owner, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s AND pid <> pg_backend_pid()",
            [role],
        )
    deadline = time.time() + most_seconds
    while time.time() < deadline and _idle_share(2.0) < 0.9:
        pass


def _idle_share(seconds: float) -> float:
    def read():
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        return fields[3] + fields[4], sum(fields)  # idle + iowait, total

    idle_before, total_before = read()
    time.sleep(seconds)
    idle_after, total_after = read()
    return (idle_after - idle_before) / max(1, total_after - total_before)


def measure(label: str, source: Path, args, fx: Fixtures, port: int) -> dict:
    settle(
        make_url(args.database_url).set(drivername="postgresql").render_as_string(hide_password=False),
        args.app_database_url,
    )
    print(f"[load] {label}: gunicorn -w {args.workers} on {source}", flush=True)
    with Server(source, port, args.workers, args.app_database_url) as server:
        for _ in range(args.workers * 3):  # every worker builds its app (without --preload) before the clock starts
            requests.get(server.base + "/login/", timeout=60)
        load_before = os.getloadavg()[0]
        single = one_at_a_time(server.base, fx, args.repeat)
        searches = search_doors(server.base, fx)
        meter = CpuMeter(server)
        recorder, elapsed = mix(server.base, fx, args.users, args.seconds, meter)
        cpu = meter.stop()
        memory = server.memory()
        load_after = os.getloadavg()[0]
    return {
        "label": label,
        "single": single,
        "searches": searches,
        "recorder": recorder,
        "elapsed": elapsed,
        "memory": memory,
        "cpu": cpu,
        "load": (load_before, load_after),
    }


def report(results: list[dict], fx: Fixtures, args) -> None:
    labels = [r["label"] for r in results]
    print()
    print(
        f"Database: {fx.patients:,} patients, {fx.appointments:,} appointments, {fx.audit:,} audit entries;"
        f" {args.users} users, gunicorn -w {args.workers}, {os.cpu_count()} CPUs;"
        f" {args.seconds:.0f} s of mix per build."
    )
    print(
        "Machine load (1-min average, before/after each build): "
        + "; ".join(f"{r['label']} {r['load'][0]:.1f}/{r['load'][1]:.1f}" for r in results)
    )
    print(
        "\n## One request at a time (median server time, X-Server-Time, in ms; queries;"
        " ratio to the login page of the same build)"
    )
    print("| page | " + " | ".join(labels) + " |")
    print("|---|" + "---|" * len(labels))
    for page in results[0]["single"]:
        cells = []
        for r in results:
            ms, queries, errors = r["single"][page]
            login = r["single"]["login page (anonymous)"][0]
            cells.append(f"{ms:.1f} ms, {queries} q, x{ms / login:.1f}" + (f", {errors} err" if errors else ""))
        print(f"| {page} | " + " | ".join(cells) + " |")
    print("\n## Search doors, 50 most common surnames (p50 / p95 ms)")
    print("| door | " + " | ".join(labels) + " |")
    print("|---|" + "---|" * len(labels))
    for door in ("quick search", "last name filter", "picker", "api search"):
        cells = [
            f"{r['searches'][door][0]:.0f} / {r['searches'][door][1]:.0f}"
            + (f" ({r['searches'][door][2]} err)" if r["searches"][door][2] else "")
            for r in results
        ]
        print(f"| {door} | " + " | ".join(cells) + " |")
    for r in results:
        print(f"typos ({r['label']}): {r['searches']['typos']}; 'du': {r['searches']['two letters']}")
    print(f"\n## Mix: {args.users} users, no think time")
    print("| endpoint | " + " | ".join(f"{label} p50/p95/p99 ms (queries)" for label in labels) + " |")
    print("|---|" + "---|" * len(labels))
    kinds = sorted({k for r in results for k in r["recorder"].times})
    for kind in kinds:
        cells = []
        for r in results:
            times, queries = r["recorder"].times.get(kind, []), r["recorder"].queries.get(kind, [])
            q = statistics.mean(queries) if queries else float("nan")
            cells.append(
                f"{percentile(times, 50):.0f} / {percentile(times, 95):.0f} / {percentile(times, 99):.0f} ({q:.1f})"
            )
        print(f"| {kind} | " + " | ".join(cells) + " |")
    cells = []
    for r in results:
        every = [t for times in r["recorder"].times.values() for t in times]
        cells.append(
            f"{len(every) / r['elapsed']:.1f} req/s; p50 {percentile(every, 50):.0f}, p95 {percentile(every, 95):.0f},"
            f" p99 {percentile(every, 99):.0f} ms; {sum(r['recorder'].errors.values())} errors"
        )
    print("| all | " + " | ".join(cells) + " |")
    cells = []
    for r in results:
        served = sum(len(times) for times in r["recorder"].times.values()) or 1
        app_cpu, db_cpu, steal = r["cpu"]
        cells.append(
            f"{1000 * app_cpu / served:.1f} + {1000 * db_cpu / served:.1f} ms"
            f" (steal {100 * steal / (r['elapsed'] * (os.cpu_count() or 1)):.0f}%)"
        )
    print("| CPU per request: workers + PostgreSQL | " + " | ".join(cells) + " |")
    cells = [", ".join(f"{rss}/{pss}" for rss, pss in r["memory"]) for r in results]
    print("| RSS/PSS per worker (MB) | " + " | ".join(cells) + " |")
    for r in results:
        for kind, sample in r["recorder"].samples.items():
            print(f"first error ({r['label']}, {kind}): {sample}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="owner's URL (reads the fixtures)")
    parser.add_argument("--app-database-url", required=True, help="the app's URL (a caretrail_app member)")
    parser.add_argument("--baseline", type=Path, help="another checkout (e.g. a worktree of main) to compare")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=10, help="requests per page, one at a time")
    parser.add_argument("--port", type=int, default=5122)
    args = parser.parse_args()
    owner = make_url(args.database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    fx = Fixtures(owner)
    builds = ([("main", args.baseline.resolve())] if args.baseline else []) + [("this branch", REPO)]
    results = [measure(label, source, args, fx, args.port + i) for i, (label, source) in enumerate(builds)]
    report(results, fx, args)


if __name__ == "__main__":
    main()
