"""The booking API end to end against a bare Django JSON view, side by side, on PostgreSQL.

One command (``make bench-booking``): builds a co-op with CLIENTS customers and CLIENTS drivers
in a fresh database through the real actions (``booking_seed.py``), serves it with gunicorn, and
drives it with CLIENTS concurrent clients (threads with keep-alive connections; the same client
code for both targets):

1. the bare view, GET, for SECONDS;
2. booking flows for SECONDS: each client, as a customer, asks for the upfront price
   (``POST /api/market/trips/quote``) and requests the ride at that price
   (``POST /api/market/trips/``), then, as a driver, takes it (``POST .../take``), picks up and
   completes it (``POST .../complete``, which posts the sale to the books).

Prints requests per second, p50 and p99 per call and for the whole flow, and the ratio to the bare
view; then the time of one dispatch batch (as many requests as drivers), measured in process,
since batches run on the Policy's clock (at least a second), not per request. Afterwards it
checks every completed flow is one sale in the books and the books are sound.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run

HOST, PORT = run.BIND.split(":")
TRIPS = "/api/market/trips"


class Client:
    """One keep-alive connection that times every call by its name."""

    def __init__(self, times: dict[str, list[float]]) -> None:
        self.connection = http.client.HTTPConnection(HOST, int(PORT), timeout=30)
        self.times = times
        self.errors = 0

    def call(
        self,
        name: str,
        method: str,
        path: str,
        token: str = "",
        body: object = None,
        key: bool = False,
    ) -> dict[str, object]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if key:
            headers["Idempotency-Key"] = uuid.uuid4().hex
        data = json.dumps(body) if body is not None else None
        start = time.perf_counter()
        self.connection.request(method, path, body=data, headers=headers)
        response = self.connection.getresponse()
        payload = response.read()
        self.times[name].append((time.perf_counter() - start) * 1000)
        if response.status >= 300:
            self.errors += 1
            raise RuntimeError(f"{name}: {response.status} {payload[:200]!r}")
        return json.loads(payload) if payload else {}


def drive(seconds: float, work: list[threading.Thread], stop: threading.Event) -> float:
    for thread in work:
        thread.start()
    start = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for thread in work:
        thread.join()
    return time.perf_counter() - start


def bare(clients: int, seconds: float) -> tuple[dict[str, list[float]], int]:
    times: dict[str, list[float]] = defaultdict(list)
    stop = threading.Event()
    errors = [0]

    def loop() -> None:
        client = Client(times)
        while not stop.is_set():
            try:
                client.call("bare", "GET", "/bench/bare/")
            except RuntimeError:
                errors[0] += 1

    drive(seconds, [threading.Thread(target=loop) for _ in range(clients)], stop)
    return times, errors[0]


def flows(people: dict[str, object], seconds: float) -> tuple[dict[str, list[float]], int, int]:
    times: dict[str, list[float]] = defaultdict(list)
    stop = threading.Event()
    done = [0]
    errors = [0]
    lock = threading.Lock()
    where = {"pickup": {"place": people["pickup"]}, "dropoff": {"place": people["dropoff"]}}

    def loop(customer: str, driver: str) -> None:
        client = Client(times)
        while not stop.is_set():
            start = time.perf_counter()
            try:
                quote = client.call(
                    "quote", "POST", f"{TRIPS}/quote", customer, {"kind": "ride", **where}
                )
                order = client.call(
                    "request",
                    "POST",
                    f"{TRIPS}/",
                    customer,
                    {"kind": "ride", **where, "method": "cash", "expected_price": quote["price"]},
                    key=True,
                )
                number = order["order"]["id"]  # type: ignore[index]
                client.call("take", "POST", f"{TRIPS}/{number}/take", driver)
                client.call("pickup", "POST", f"{TRIPS}/{number}/pickup", driver)
                client.call(
                    "complete",
                    "POST",
                    f"{TRIPS}/{number}/complete",
                    driver,
                    {"km": "1.9", "minutes": 6},
                    key=True,
                )
            except RuntimeError as problem:
                with lock:
                    errors[0] += 1
                print(f"   error: {problem}", file=sys.stderr)
                continue
            times["whole flow"].append((time.perf_counter() - start) * 1000)
            with lock:
                done[0] += 1

    customers, drivers = people["customers"], people["workers"]
    work = [
        threading.Thread(target=loop, args=pair)
        for pair in zip(customers, drivers, strict=True)  # type: ignore[call-overload]
    ]
    drive(seconds, work, stop)
    return times, done[0], errors[0]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def django(*args: str) -> str:
    return subprocess.run(
        [sys.executable, *args], env=run.env(), capture_output=True, text=True, check=True
    ).stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--rounds", type=int, default=20, help="dispatch batches timed")
    args = parser.parse_args()
    run.recreate_database()
    here = str(run.HERE / "booking_seed.py")
    people = json.loads(django(here, "seed", str(args.clients)))
    server = subprocess.Popen(
        [
            str(run.BIN / "gunicorn"),
            "taawun.wsgi:application",
            "--bind",
            run.BIND,
            "--workers",
            str(args.workers),
        ],
        env=run.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        run.wait_until_up(f"http://{run.BIND}/bench/bare/")
        bare(args.clients, 2)  # warm every worker
        flows(people, 2)
        base_times, base_errors = bare(args.clients, args.seconds)
        flow_times, done, errors = flows(people, args.seconds)
    finally:
        server.terminate()
        server.wait(timeout=30)
    dispatch_ms = json.loads(django(here, "dispatch", str(args.rounds)))
    check = django(str(run.HERE / "booking_check.py"))

    base_rps = len(base_times["bare"]) / args.seconds
    calls = sum(len(v) for k, v in flow_times.items() if k != "whole flow")
    rps = calls / args.seconds
    print(
        f"{args.clients} clients, {args.workers} gunicorn workers, PostgreSQL, {args.seconds:g}s"
        " each, the same Python client for both"
    )
    print(f"{'call':<22}{'calls':>8}{'p50 ms':>9}{'p99 ms':>9}")
    for name in ("bare", "quote", "request", "take", "pickup", "complete", "whole flow"):
        values = base_times[name] if name == "bare" else flow_times[name]
        if values:
            print(
                f"{name:<22}{len(values):>8}{percentile(values, 0.5):>9.1f}"
                f"{percentile(values, 0.99):>9.1f}"
            )
    p99 = max(percentile(v, 0.99) for k, v in flow_times.items() if k != "whole flow")
    ratio = rps / base_rps
    print(f"bare view: {base_rps:.0f} req/s, errors {base_errors}")
    print(
        f"booking API: {rps:.0f} req/s ({done / args.seconds:.1f} complete bookings/s), errors"
        f" {errors}; vs bare {ratio:.0%} (target >= 33%: {'met' if ratio >= 1 / 3 else 'MISSED'});"
        f" worst p99 of a call {p99:.1f} ms (target < 100 ms: {'met' if p99 < 100 else 'MISSED'})"
    )
    print(
        f"dispatch batch of {args.clients} requests x {args.clients} drivers, in process:"
        f" median {statistics.median(dispatch_ms):.1f} ms, max {max(dispatch_ms):.1f} ms"
        f" over {len(dispatch_ms)} batches"
    )
    print(check.strip())


if __name__ == "__main__":
    main()
