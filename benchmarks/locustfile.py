"""The load test's users (locust), started by load.py: a realistic mix of what people do.

- browse: anonymous pages (home, market, the services page, our rules, the public log);
- quote: a customer asks the upfront price of a ride;
- book: a customer reads a day's free slots and books one (``Idempotency-Key``);
- accept: a worker lists their work and confirms a booking waiting for them;
- vote: a member votes on an open decision, once per proposal;
- dashboard: a member signed in through the login form reads their membership page and the books.

A correct refusal (the slot was just taken, already voted, already confirmed) is a success under
a name of its own, e.g. "book [slot_taken]". A request that got no answer or a 503 is retried
after a short pause, a write with the same Idempotency-Key, for up to RETRY_SECONDS: what a
well-behaved app does. Anything else (a 500, an unexpected status, a retry that never got an
answer) is a failure.

Reads ``LOAD_PEOPLE`` (the seed's JSON) and ``LOAD_HOSTS`` (the servers, comma separated: users
are spread over them); writes ``LOAD_OUT`` when the test stops: every acknowledged booking with
the key it came from, the retried requests with their time, and requests per second.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import re
import threading
import time
import uuid
from collections import Counter, defaultdict
from typing import Any
from urllib.parse import urlencode

from locust import FastHttpUser, between, events, task

RETRY_SECONDS = 60.0
PEOPLE: dict[str, Any] = json.loads(open(os.environ["LOAD_PEOPLE"]).read())  # noqa: SIM115
HOSTS = os.environ.get("LOAD_HOSTS", "http://127.0.0.1:8801").split(",")
SERVICES = "/api/market/services"
PAGES = ["/", "/market/", "/market/services/", "/rules/", "/log/"]
# The refusals that are a correct answer to each kind of call: status and error code.
# "conflict": two writes raced for a lock and the database rolled one back whole.
REFUSALS = {
    "book": {(409, "slot_taken"), (400, "slot_in_past"), (409, "conflict")},
    "confirm": {(409, "order_changed"), (409, "conflict")},
    "vote": {(409, "already_voted"), (409, "conflict")},
}
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

_lock = threading.Lock()
_hosts = itertools.cycle(HOSTS)
_counters: dict[str, itertools.count[int]] = defaultdict(itertools.count)
acknowledged: dict[str, list[int]] = defaultdict(list)  # Idempotency-Key -> order ids answered
retried: list[tuple[float, str, str, str]] = []  # (time, host, call, "503" or "no answer")
per_second: Counter[int] = Counter()


def next_of(pool: str) -> Any:
    """The next person of a pool (tokens or emails), round robin over the locust users."""
    people = PEOPLE[pool]
    return people[next(_counters[pool]) % len(people)]


@events.request.add_listener
def _count(start_time: float | None = None, **_: Any) -> None:
    per_second[int(start_time or time.time())] += 1


@events.test_stop.add_listener
def _write(**_: Any) -> None:
    out = os.environ.get("LOAD_OUT")
    if not out:
        return
    with open(out, "w") as handle:
        json.dump(
            {
                "acknowledged": acknowledged,
                "retried": retried,
                "per_second": {str(k): v for k, v in sorted(per_second.items())},
            },
            handle,
        )


class Person(FastHttpUser):
    abstract = True
    wait_time = between(1, 3)

    def __init__(self, environment: Any) -> None:
        with _lock:
            self.host = next(_hosts)
        super().__init__(environment)
        self.headers: dict[str, str] = {}

    def call(
        self,
        method: str,
        path: str,
        name: str,
        *,
        body: object = None,
        key: str | None = None,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """One call, retried while it gets no answer or a 503; returns (status, parsed JSON or
        text). Statuses other than 2xx, 3xx and the kind's correct refusals are failures."""
        sent = {**self.headers, **(headers or {})}
        if key:
            sent["Idempotency-Key"] = key
        kind = name.split()[0]
        deadline = time.monotonic() + RETRY_SECONDS
        while True:
            options: dict[str, Any] = {"headers": sent, "name": name, "catch_response": True}
            if body is not None:
                options["json"] = body
            if form is not None:
                options["data"] = urlencode(form)
                sent["Content-Type"] = "application/x-www-form-urlencoded"
            with self.client.request(method, path, **options) as response:
                status = response.status_code
                text = response.text or ""
                if status in (0, 503):
                    why = "503" if status == 503 else "no answer"
                    with _lock:
                        retried.append((time.time(), self.host, name, why))
                    if time.monotonic() > deadline:
                        response.failure(f"still {why} after {RETRY_SECONDS:g} s")
                        return status, None
                    response.request_meta["name"] = f"{name} [{why}, retried]"
                    response.success()
                else:
                    payload: Any = text
                    if text[:1] in "{[":
                        try:
                            payload = json.loads(text)
                        except ValueError:
                            payload = text
                    code = payload.get("error") if isinstance(payload, dict) else None
                    if 200 <= status < 400:
                        response.success()
                    elif (status, code) in REFUSALS.get(kind, set()):
                        response.request_meta["name"] = f"{name} [{code}]"
                        response.success()
                    else:
                        response.failure(f"{status} {text[:200]!r}")
                    return status, payload
            time.sleep(random.uniform(0.5, 1.5))


class Browser(Person):
    """Someone looking around without signing in."""

    weight = 30

    @task
    def browse(self) -> None:
        page = random.choice(PAGES)
        self.call("GET", page, f"browse {page}")


class Customer(Person):
    """A customer who asks prices of rides and books cleanings."""

    weight = 40

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Bearer {next_of('customers')}"}
        self.where = {
            "pickup": {"place": PEOPLE["pickup"]},
            "dropoff": {"place": PEOPLE["dropoff"]},
        }

    @task(1)
    def quote(self) -> None:
        self.call("POST", "/api/market/trips/quote", "quote", body={"kind": "ride", **self.where})

    @task(1)
    def book(self) -> None:
        day = dt.date.today() + dt.timedelta(days=random.randint(1, 90))
        service = PEOPLE["service"]
        status, slots = self.call(
            "GET", f"{SERVICES}/services/{service}/slots?date={day}", "book: free slots"
        )
        if status != 200 or not slots:
            return
        slot = random.choice(slots)
        key = uuid.uuid4().hex
        status, order = self.call(
            "POST",
            f"{SERVICES}/bookings",
            "book",
            body={"service": service, "starts_at": slot["starts_at"], "method": "cash"},
            key=key,
        )
        if status == 201 and isinstance(order, dict):
            with _lock:
                acknowledged[key].append(order["id"])


class Worker(Person):
    """A worker who looks at their work and confirms a booking waiting for them."""

    weight = 10

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Bearer {next_of('workers')}"}

    @task
    def accept(self) -> None:
        status, work = self.call("GET", "/api/market/work", "accept: my work")
        if status != 200:
            return
        waiting = [o["id"] for o in work if o["sector"] == "service" and o["status"] == "requested"]
        if waiting:
            order = random.choice(waiting)
            self.call("POST", f"{SERVICES}/bookings/{order}/confirm", "confirm")


class Voter(Person):
    """A member voting on the open decisions, each once; then another member takes over."""

    weight = 10

    def on_start(self) -> None:
        self.next_member()

    def next_member(self) -> None:
        self.headers = {"Authorization": f"Bearer {next_of('voters')}"}
        self.ballots = list(PEOPLE["proposals"])
        random.shuffle(self.ballots)

    @task
    def vote(self) -> None:
        if not self.ballots:
            self.next_member()
        number = self.ballots.pop()
        self.call(
            "POST",
            f"/api/governance/proposals/{number}/ballots",
            "vote",
            body={"choice": random.choice(["yes", "yes", "no", "abstain"])},
        )


class Member(Person):
    """A member signed in through the login form, reading their own pages."""

    weight = 10
    # Signing in is rate limited per address (30 a minute): a fixed few members sign in once.
    fixed_count = int(os.environ.get("LOAD_MEMBERS", "5"))

    def on_start(self) -> None:
        self.email = next_of("members")
        self.sign_in()

    def sign_in(self) -> None:
        _status, page = self.call("GET", "/accounts/login/", "dashboard: sign-in form")
        found = CSRF.search(page if isinstance(page, str) else "")
        if found is None:
            return
        self.call(
            "POST",
            "/accounts/login/",
            "dashboard: sign in",
            form={
                "csrfmiddlewaretoken": found.group(1),
                "login": self.email,
                "password": PEOPLE["password"],
            },
            headers={"Referer": f"{self.host}/accounts/login/"},
        )

    @task
    def dashboard(self) -> None:
        for page, name in (
            ("/members/me/", "dashboard: my membership"),
            ("/books/", "dashboard: books"),
        ):
            status, text = self.call("GET", page, name)
            if status == 200 and isinstance(text, str) and 'name="password"' in text:
                self.sign_in()  # the session was lost: sign in again
                return
