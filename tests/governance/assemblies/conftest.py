"""A co-op with six members with a vote (``voters``, from the governance tests), a frozen clock,
and an assembly called by the founder for a day two weeks ahead."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from taawun.accounts.models import User
from taawun.governance.assemblies import actions
from taawun.governance.assemblies.models import Assembly
from tests.core.conftest import clock, fast_password_hashing  # noqa: F401
from tests.core.helpers import START, Clock

# 17:00 in Hebron (UTC+2 in March) on 15 March 2030, two weeks after the clock's start.
ASSEMBLY_DAY = START + dt.timedelta(days=14, hours=5)


def call(founder: User, **overrides: object) -> Assembly:
    values: dict[str, object] = {
        "kind": "annual",
        "title": "Annual general assembly 2030",
        "starts_at": ASSEMBLY_DAY,
        "place": "Co-op hall, Ramallah",
        "notice": "The annual accounts and the board election.\nBring your member card.",
        "agenda": [
            actions.AgendaEntry(title="Accounts of 2029", text="The board presents them."),
            actions.AgendaEntry(title="Election of the board"),
        ],
    }
    values.update(overrides)
    return actions.call_assembly(actor=founder, **values)  # type: ignore[arg-type]


@pytest.fixture
def called(clock: Clock, voters: list[User]) -> Assembly:  # noqa: F811
    return call(voters[0])


@pytest.fixture
def in_session(clock: Clock, called: Assembly, voters: list[User]) -> Assembly:  # noqa: F811
    clock.now = ASSEMBLY_DAY
    return actions.open_assembly(actor=voters[0], number=called.number)


@pytest.fixture
def web(client: Client) -> Client:
    """A browser asking for English, whatever the Arabic catalogue says."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client
