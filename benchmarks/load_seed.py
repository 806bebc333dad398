"""The load test's co-op, built through the real actions in the database ``taawun_load``.

``python load_seed.py WORKERS CUSTOMERS VOTERS PROPOSALS``: a co-op with WORKERS working members
available for "Home cleaning" (60 minutes) every day from 08:00 to 20:00 and online for trips,
CUSTOMERS customers (the first VOTERS of them also user-class members with a vote) and PROPOSALS
open decisions every voting member may vote on. Prints, as JSON, what the load's users need:
API tokens, the members' sign-in emails and password, the service, the places and the proposals.
Run by load.py in a fresh database (``bench_settings``).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import database
from seeds import PICKUP, found_bench_coop

DB_NAME = "taawun_load"
PASSWORD = "load-password-123"
OPENS, CLOSES = dt.time(8), dt.time(20)


def seed(workers: int, customers: int, voters: int, proposals: int) -> dict[str, object]:
    database.setup_django(DB_NAME, "load")

    from taawun.accounts.actions import create_account
    from taawun.accounts.models import User
    from taawun.apikeys import actions as apikeys
    from taawun.domain import geo
    from taawun.governance import actions as governance
    from taawun.market.services import actions as services
    from taawun.market.trips import actions as trips
    from taawun.members import actions as members

    board, places = found_bench_coop(
        handle="load", name_ar="تعاونية الحمل", name_en="Load Co-op", password=PASSWORD
    )
    service = services.create_service(
        actor=board, title_ar="تنظيف المنازل", title_en="Home cleaning", duration_minutes=60
    )

    def member(email: str, name: str, member_class: str) -> User:
        person = create_account(email=email, full_name=name, password=PASSWORD)
        application = members.apply_for_membership(actor=person, member_class=member_class)
        members.approve_application(actor=board, application_id=application.pk)
        return person

    worker_tokens, worker_emails = [], []
    week = [(day, OPENS, CLOSES) for day in range(7)]
    for n in range(workers):
        person = member(f"worker{n}@load.example", f"Worker {n}", "worker")
        services.set_availability(actor=person, windows=week)
        trips.set_presence(actor=person, online=True, position=geo.point(*PICKUP))
        worker_tokens.append(apikeys.create_token(actor=person, name="load")[1])
        worker_emails.append(person.email)
    customer_tokens, voter_tokens, voter_emails = [], list(worker_tokens), list(worker_emails)
    for n in range(customers):
        email, name = f"customer{n}@load.example", f"Customer {n}"
        if n < voters:
            person = member(email, name, "user")
        else:
            person = create_account(email=email, full_name=name, password=PASSWORD)
        token = apikeys.create_token(actor=person, name="load")[1]
        customer_tokens.append(token)
        if n < voters:
            voter_tokens.append(token)
            voter_emails.append(email)
    numbers = [
        governance.propose(
            actor=board,
            kind="ordinary",
            title=f"Decision {n + 1} of the load test",
            body="Members vote yes, no or abstain.",
        ).number
        for n in range(proposals)
    ]
    return {
        "service": service.pk,
        "pickup": places[0].pk,
        "dropoff": places[1].pk,
        "customers": customer_tokens,
        "workers": worker_tokens,
        "voters": voter_tokens,
        "members": voter_emails,
        "password": PASSWORD,
        "proposals": numbers,
    }


if __name__ == "__main__":
    print(json.dumps(seed(*(int(a) for a in sys.argv[1:5]))))
