"""The transparency log under ``/api/log``: signed heads, entries' public envelopes, inclusion
and consistency proofs, and a check of a head a witness kept. All of it is public but an
entry's content, which members read to check it against its envelope.

Hashes travel as standard base64, as in checkpoints; ``taawun verify`` and the standalone
``verifier.py`` read exactly these answers."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Path, Query, Router, Schema
from pydantic import Field, StringConstraints

from taawun.apikeys.auth import PUBLIC, SIGNED_IN
from taawun.apikeys.schemas import ERRORS, MAX_ID

from . import actions, selectors, signing

router = Router(tags=["transparency log"])

Size = Annotated[int, Field(ge=0, le=MAX_ID)]
Seq = Annotated[int, Field(ge=1, le=MAX_ID)]
NOTE_RESPONSE = {
    "responses": {
        "200": {
            "description": "A signed checkpoint (c2sp.org/tlog-checkpoint) as a signed note.",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    }
}


def _b64(hashes: list[bytes]) -> list[str]:
    return [base64.b64encode(h).decode() for h in hashes]


def _note(text: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


class LogKeyOut(Schema):
    origin: str = Field(description="The log's name, the first line of every checkpoint.")
    key: str = Field(description="The verifier key: name+keyhash+base64(0x01 ‖ Ed25519 key).")


class LogEnvelopeOut(Schema):
    seq: int
    at: str
    action: str
    subject: str
    policy_version: int | None
    content: str = Field(description="SHA-256 of the entry's salt and canonical text, in hex.")


class LogEntriesIn(Schema):
    start: Seq = 1
    limit: Annotated[int, Field(ge=1, le=selectors.ENTRIES_PAGE)] = selectors.ENTRIES_PAGE


class LogEntriesOut(Schema):
    entries: list[LogEnvelopeOut]


class LogEntryContentOut(Schema):
    seq: int
    canonical: str
    salt: str


class LogInclusionIn(Schema):
    seq: Seq
    size: Size


class LogInclusionOut(Schema):
    size: int
    envelope: LogEnvelopeOut
    path: list[str]


class LogConsistencyIn(Schema):
    old: Size
    new: Size


class LogConsistencyOut(Schema):
    old_size: int
    new_size: int
    path: list[str]


class LogWitnessIn(Schema):
    note: Annotated[str, StringConstraints(max_length=actions.MAX_NOTE)]


class LogWitnessOut(Schema):
    kept_size: int
    checkpoint: str
    old_size: int
    new_size: int
    path: list[str]


@router.get("/key", response={200: LogKeyOut, **ERRORS}, summary="The log's public key", **PUBLIC)
def log_key(request: HttpRequest) -> LogKeyOut:
    return LogKeyOut(origin=signing.origin(), key=str(signing.public_key()))


@router.get(
    "/checkpoint",
    response=ERRORS,
    summary="The newest signed tree head, as a signed checkpoint note",
    auth=PUBLIC["auth"],
    openapi_extra={**PUBLIC["openapi_extra"], **NOTE_RESPONSE},
)
def get_checkpoint(request: HttpRequest) -> HttpResponse:
    return _note(actions.fresh_tree_head().note)


@router.post(
    "/checkpoint",
    response=ERRORS,
    summary="Sign a head of the log as it is now (members and the board)",
    auth=SIGNED_IN,
    openapi_extra=NOTE_RESPONSE,
)
def sign_checkpoint(request: HttpRequest) -> HttpResponse:
    signed = actions.sign_on_request(actor=request.auth)  # type: ignore[attr-defined]
    return _note(signed.note)


@router.get(
    "/entries",
    response={200: LogEntriesOut, **ERRORS},
    summary="Entries' public envelopes, in order, up to 1000 at once",
    **PUBLIC,
)
def list_envelopes(request: HttpRequest, page: Query[LogEntriesIn]) -> dict[str, Any]:
    return {"entries": selectors.envelopes(page.start, page.limit)}


@router.get(
    "/entries/{seq}/content",
    response={200: LogEntryContentOut, **ERRORS},
    summary="An entry's canonical text and salt (members and the board)",
    auth=SIGNED_IN,
)
def entry_content(request: HttpRequest, seq: Path[Seq]) -> LogEntryContentOut:
    found = selectors.entry_content(request.auth, seq)  # type: ignore[attr-defined]
    return LogEntryContentOut(seq=found.seq, canonical=found.canonical, salt=found.salt)


@router.get(
    "/proof/inclusion",
    response={200: LogInclusionOut, **ERRORS},
    summary="The audit path of one entry in the log of a given size",
    **PUBLIC,
)
def inclusion_proof(request: HttpRequest, asked: Query[LogInclusionIn]) -> dict[str, Any]:
    public, path = selectors.inclusion(asked.seq, asked.size)
    return {"size": asked.size, "envelope": public, "path": _b64(path)}


@router.get(
    "/proof/consistency",
    response={200: LogConsistencyOut, **ERRORS},
    summary="The proof that the log of one size extends the log of a smaller one",
    **PUBLIC,
)
def consistency_proof(request: HttpRequest, asked: Query[LogConsistencyIn]) -> dict[str, Any]:
    path = selectors.consistency(asked.old, asked.new)
    return {"old_size": asked.old, "new_size": asked.new, "path": _b64(path)}


@router.post(
    "/witness",
    response={200: LogWitnessOut, **ERRORS},
    summary="Check a signed head you kept against the log (a fork answers 409)",
    **PUBLIC,
)
def witness(request: HttpRequest, payload: LogWitnessIn) -> dict[str, Any]:
    latest, kept, path = actions.check_kept_head(payload.note)
    return {
        "kept_size": kept.size,
        "checkpoint": latest.note,
        "old_size": kept.size,
        "new_size": latest.size,
        "path": _b64(path),
    }
