"""A bounded load test of a realistic mix, with faults, on PostgreSQL + Redis + Celery.

One command (``make bench-load``): builds a co-op in a fresh database ``taawun_load`` through
the real actions (``load_seed.py``), starts the production shape on loopback — SERVERS
``taawun serve`` processes (gunicorn, WORKERS each), the shared cache and broker in Redis, one
``taawun worker --beat`` — and drives it with locust (``locustfile.py``: browse, quote, book,
accept, vote, dashboard) for MINUTES, users spread over the servers. Prints throughput, p50 and
p99 per kind of request and overall, and the errors; then checks every invariant
(``load_check.py``). Exits non-zero on any failed request or violated invariant.

``--faults``: at a third of the run one gunicorn worker is killed (its master starts another)
and one whole server is killed and started again 5 s later; at two thirds PostgreSQL is
restarted and Redis stopped for 20 s. Each window reports its requests, the 503s and unanswered
requests the clients retried, and the time until the last of them (recovery). Outside the
windows a 503 or an unanswered request is a failure.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import database
import load_seed
import run

RESULTS = run.HERE / "results" / "load"
REDIS_URL = "redis://127.0.0.1:6379/12"
FIRST_PORT = 8801
WINDOW_SECONDS = 60.0  # how long after a fault its retries are counted as its own


def env() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database.url(load_seed.DB_NAME),
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "PYTHONPATH": f"{run.HERE}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "TAAWUN_DATA_DIR": str(RESULTS / "data"),
        "REDIS_URL": REDIS_URL,
        "CELERY_BROKER_URL": REDIS_URL,
        "TAAWUN_BACKGROUND": "celery",
        "EMAIL_URL": "dummymail://",  # notices are rendered and sent, into nowhere
        "LANGUAGE_CODE": "ar",
    }


def taawun(*args: str) -> str:
    return subprocess.run(
        [str(run.BIN / "taawun"), *args], env=env(), capture_output=True, text=True, check=True
    ).stdout


def redis(*args: str) -> str:
    return subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", "6379", *args], capture_output=True, text=True
    ).stdout.strip()


@dataclass
class Server:
    port: int
    workers: int
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def log(self) -> Path:
        return RESULTS / f"server-{self.port}.log"

    def start(self) -> None:
        self.starts += 1
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [
                    str(run.BIN / "taawun"),
                    "serve",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    str(self.workers),
                ],
                env=env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def children(self) -> list[int]:
        assert self.process is not None
        found = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True
        ).stdout
        return [int(pid) for pid in found.split()]

    def kill(self) -> None:
        """kill -9 the master and its workers at once, as a crash would."""
        assert self.process is not None
        for pid in [*self.children(), self.process.pid]:
            os.kill(pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)


@dataclass
class Fault:
    name: str
    started: float
    ended: float = 0.0
    notes: list[str] = field(default_factory=list)


def postgres_version() -> str:
    return sorted(os.listdir("/etc/postgresql"), key=lambda v: [int(p) for p in v.split(".")])[-1]


def inject_faults(servers: list[Server], seconds: float, faults: list[Fault]) -> None:
    try:
        _inject_faults(servers, seconds, faults)
    except Exception as problem:  # say so: the windows would otherwise look clean
        print(f"FAIL: injecting the faults stopped: {problem!r}", flush=True)
        faults.append(Fault(f"(faults stopped: {problem!r})", time.time(), time.time()))


def _inject_faults(servers: list[Server], seconds: float, faults: list[Fault]) -> None:
    """The faults, on the run's clock (see the module docstring)."""
    start = time.time()
    time.sleep(seconds / 3)
    fault = Fault("kill -9 one gunicorn worker", time.time())
    victim = servers[0].children()[0]
    os.kill(victim, signal.SIGKILL)
    fault.notes.append(f"worker {victim} of :{servers[0].port}")
    fault.ended = time.time()
    faults.append(fault)
    time.sleep(2)
    fault = Fault("kill -9 one whole server, start it 5 s later", time.time())
    servers[-1].kill()
    time.sleep(5)
    servers[-1].start()
    run.wait_until_up(f"http://127.0.0.1:{servers[-1].port}/bench/bare/", timeout=60)
    fault.ended = time.time()
    fault.notes.append(f":{servers[-1].port} down {fault.ended - fault.started:.1f} s")
    faults.append(fault)
    time.sleep(max(0.0, start + 2 * seconds / 3 - time.time()))
    fault = Fault("restart PostgreSQL", time.time())
    version = postgres_version()
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True
    )
    fault.ended = time.time()
    fault.notes.append(f"PostgreSQL {version} restarted in {fault.ended - fault.started:.1f} s")
    faults.append(fault)
    time.sleep(10)
    fault = Fault("stop Redis for 20 s", time.time())
    redis("shutdown", "nosave")
    time.sleep(20)
    subprocess.run(
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            "6379",
            "--daemonize",
            "yes",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    while redis("ping") != "PONG":
        time.sleep(0.2)
    fault.ended = time.time()
    faults.append(fault)


def wait_for_background(seconds: float = 120) -> None:
    """Until the broker holds no wake-up and one more beat round has run."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and redis("-n", "12", "llen", "celery") not in ("0", ""):
        time.sleep(1)
    time.sleep(12)  # one beat (CELERY_BEAT_SECONDS, 10 s) and its round


def warm_up(servers: list[Server]) -> None:
    """Each page a few times on each server, so the run does not time the first imports."""
    for server in servers:
        for page in ("/", "/market/", "/market/services/", "/rules/", "/log/", "/accounts/login/"):
            for _ in range(3 * server.workers):
                urllib.request.urlopen(f"http://127.0.0.1:{server.port}{page}", timeout=60).read()


def stats(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle))


def report(rows: list[dict[str, str]], seconds: float) -> int:
    """Print the table; returns the number of failed requests."""
    print(f"{'request':<40}{'count':>8}{'fail':>6}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}")
    failures = 0
    for row in sorted(rows, key=lambda r: (r["Name"] == "Aggregated", r["Name"])):
        count, failed = int(row["Request Count"]), int(row["Failure Count"])
        name = "overall" if row["Name"] == "Aggregated" else row["Name"]
        if name != "overall":
            failures += failed
        print(
            f"{name[:39]:<40}{count:>8}{failed:>6}{count / seconds:>8.1f}"
            f"{row['50%']:>8}{row['99%']:>8}"
        )
    return failures


def windows(faults: list[Fault], out: dict[str, object], run_end: float) -> int:
    """Per fault: requests, 503s and unanswered requests retried, time to recovery. Returns the
    number of retried requests outside every window (failures)."""
    retried: list[list[object]] = out["retried"]  # type: ignore[assignment]
    per_second = {int(k): v for k, v in out["per_second"].items()}  # type: ignore[attr-defined]
    bounds = []
    for n, fault in enumerate(faults):
        end = min(fault.ended + WINDOW_SECONDS, run_end)
        if n + 1 < len(faults):
            end = min(end, faults[n + 1].started)
        bounds.append((fault, fault.started, end))
    claimed = set()
    if bounds:
        print(f"{'fault window':<48}{'req':>7}{'503':>6}{'no ans.':>8}{'recovery s':>11}")
    for fault, begin, end in bounds:
        mine = [r for r in retried if begin <= float(r[0]) <= end]  # type: ignore[arg-type]
        claimed.update(id(r) for r in mine)
        requests = sum(v for t, v in per_second.items() if begin <= t <= end)
        last = max((float(r[0]) for r in mine), default=begin)  # type: ignore[arg-type]
        print(
            f"{fault.name:<48}{requests:>7}{sum(r[3] == '503' for r in mine):>6}"
            f"{sum(r[3] == 'no answer' for r in mine):>8}{last - begin:>11.1f}"
        )
        if fault.notes:
            print(f"    {'; '.join(fault.notes)}")
    outside = [r for r in retried if id(r) not in claimed]
    if outside:
        print(f"FAIL: {len(outside)} requests got a 503 or no answer outside a fault window:")
        for r in outside[:5]:
            print(f"    {time.strftime('%H:%M:%S', time.localtime(float(r[0])))} {r[1:]}")  # type: ignore[arg-type]
    return len(outside)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument(
        "--users", type=int, default=120, help="locust users: 120 saturate two quiet cores"
    )
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--faults", action="store_true")
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--workers-per-server", type=int, default=2)
    parser.add_argument(
        "--members-signed-in",
        type=int,
        help="members signed in through the form (default a tenth of the users, at most 25:"
        " sign-in is limited to 30 a minute per address)",
    )
    parser.add_argument(
        "--seed", default="60,300,140,20", help="workers,customers,voters,proposals"
    )
    args = parser.parse_args()
    seconds = args.minutes * 60
    if args.members_signed_in is None:
        args.members_signed_in = max(1, min(25, args.users // 10))
    RESULTS.mkdir(parents=True, exist_ok=True)
    for old in RESULTS.glob("*.log"):
        old.unlink()

    print(f"seeding {load_seed.DB_NAME} …", flush=True)
    database.recreate(load_seed.DB_NAME)
    people = subprocess.run(
        [sys.executable, str(run.HERE / "load_seed.py"), *args.seed.split(",")],
        env=env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (RESULTS / "people.json").write_text(people)
    taawun("manage", "collectstatic", "--noinput", "--verbosity", "0")
    redis("-n", "12", "flushdb")

    servers = [Server(FIRST_PORT + n, args.workers_per_server) for n in range(args.servers)]
    worker_log = (RESULTS / "worker.log").open("w")
    worker = subprocess.Popen(
        [str(run.BIN / "taawun"), "worker", "--beat", "--concurrency", "1"],
        env=env(),
        stdout=worker_log,
        stderr=subprocess.STDOUT,
    )
    faults: list[Fault] = []
    out_path = RESULTS / "users.json"
    try:
        for server in servers:
            server.start()
        for server in servers:
            run.wait_until_up(f"http://127.0.0.1:{server.port}/bench/bare/", timeout=60)
        warm_up(servers)
        print(
            f"{args.users} users over {args.servers} servers x {args.workers_per_server} gunicorn"
            f" workers, 1 Celery worker, {args.minutes:g} min"
            f"{', with faults' if args.faults else ''}",
            flush=True,
        )
        injector = threading.Thread(
            target=inject_faults, args=(servers, seconds, faults), daemon=True
        )
        started = time.time()
        locust = subprocess.Popen(
            [
                str(run.BIN / "locust"),
                "-f",
                str(run.HERE / "locustfile.py"),
                "--headless",
                "--users",
                str(args.users),
                "--spawn-rate",
                str(args.spawn_rate),
                "--run-time",
                f"{int(seconds)}s",
                "--stop-timeout",
                "90",
                "--csv",
                str(RESULTS / "locust"),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            env={
                **os.environ,
                "LOAD_PEOPLE": str(RESULTS / "people.json"),
                "LOAD_HOSTS": ",".join(f"http://127.0.0.1:{s.port}" for s in servers),
                "LOAD_OUT": str(out_path),
                "LOAD_MEMBERS": str(args.members_signed_in),
            },
            stdout=(RESULTS / "locust.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        if args.faults:
            injector.start()
        locust.wait()
        ended = time.time()
        injector.join(timeout=120) if args.faults else None
        wait_for_background()
    finally:
        for server in servers:
            server.stop()
        worker.terminate()
        worker.wait(timeout=60)

    rows = stats(RESULTS / "locust_stats.csv")
    print(f"ran {ended - started:.0f} s")
    failures = report(rows, seconds)
    total = next(r for r in rows if r["Name"] == "Aggregated")
    out = json.loads(out_path.read_text())
    print(
        f"throughput {int(total['Request Count']) / seconds:.1f} req/s; failed requests"
        f" {failures}; bookings acknowledged {len(out['acknowledged'])}"
    )
    outside = windows(faults, out, ended)
    retried = len(out["retried"])
    rounds = (RESULTS / "worker.log").read_text(errors="replace")
    print(
        f"requests retried (no answer or 503): {retried}; background rounds run:"
        f" {rounds.count('succeeded in')}, jobs failed and retried by the next round:"
        f" {rounds.count('background job')}"
    )
    logs = [str(s.log) for s in servers]
    check = subprocess.run(
        [sys.executable, str(run.HERE / "load_check.py"), str(out_path), *logs], env=env()
    )
    stopped = any(f.name.startswith("(faults stopped") for f in faults)
    if failures or outside or stopped or check.returncode:
        sys.exit(1)


if __name__ == "__main__":
    main()
