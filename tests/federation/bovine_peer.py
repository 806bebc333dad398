"""An ActivityPub actor that nobody here wrote, for interoperability tests: bovine's own parts
(its actor document, WebFinger answer, activity factory, HTTP signer and signature checker)
behind a small aiohttp server on a loopback port, running in a background thread.

What bovine accepts or refuses is bovine's judgement, not ours, so a test against it shows
that Taawun speaks the fediverse's dialect of ActivityPub and not only its own."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Awaitable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from aiohttp import ClientResponse, ClientSession, web
from bovine import BovineActor
from bovine.activitystreams import Actor
from bovine.activitystreams.activity_factory import ActivityFactory
from bovine.clients import lookup_uri_with_webfinger
from bovine.clients.signed_http import SignedHttpClient, legacy_digest_method
from bovine.clients.signed_http_methods import signed_post
from bovine.crypto import build_validate_http_signature_raw, generate_rsa_public_private_key
from bovine.crypto.signature import Signature
from bovine.crypto.types import CryptographicIdentifier
from bovine.utils import webfinger_response_json

from .network import free_port

T = TypeVar("T")
ACTIVITY_JSON = "application/activity+json"


@dataclass(frozen=True)
class Delivery:
    """One POST to the peer's inbox and what bovine's checker made of its signature."""

    activity: dict[str, Any]
    key_id: str | None
    signer: str | None  # the key's owner, when the signature verified

    @property
    def verified(self) -> bool:
        return self.signer is not None


class _KeepHeaders:
    """Takes the place of the aiohttp session in bovine's ``signed_post`` and keeps the headers
    bovine built instead of sending them, so a test can alter the request afterwards."""

    headers: dict[str, str]

    async def post(self, url: str, data: str, headers: dict[str, str]) -> None:
        self.headers = headers


class BovinePeer:
    """``name@127.0.0.1:port``: a Person with an RSA key made by bovine."""

    def __init__(self, name: str = "buttercup") -> None:
        self.name = name
        self.port = free_port()
        public_pem, private_pem = generate_rsa_public_private_key()
        self.received: list[Delivery] = []
        self.document: dict[str, Any] = Actor(
            id=self.actor_id,
            preferred_username=name,
            name=f"{name.title()}, a bovine",
            inbox=f"{self.url}/inbox",
            public_key=public_pem,
            public_key_name="main-key",
        ).build()
        self.activities = ActivityFactory(self.document, id_generator=self._new_id)
        self._actor = BovineActor(
            actor_id=self.actor_id, public_key_url=self.key_id, secret=private_pem
        )
        self._verify = build_validate_http_signature_raw(self._public_key)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="bovine", daemon=True)
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def actor_id(self) -> str:
        return f"{self.url}/actor"

    @property
    def key_id(self) -> str:
        return f"{self.actor_id}#main-key"

    @property
    def address(self) -> str:
        return f"{self.name}@127.0.0.1:{self.port}"

    def _new_id(self) -> str:
        return f"{self.url}/activities/{uuid.uuid4()}"

    # --- The server ----------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()
        self.run(self._start())

    async def _start(self) -> None:
        await self._actor.init()
        app = web.Application()
        app.router.add_get("/.well-known/webfinger", self._webfinger)
        app.router.add_get("/actor", self._actor_document)
        app.router.add_post("/inbox", self._inbox)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    def stop(self) -> None:
        self.run(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._actor.session is not None:
            await self._actor.session.close()

    async def _webfinger(self, request: web.Request) -> web.Response:
        account = f"acct:{self.address}"
        if request.query.get("resource") != account:
            return web.json_response({}, status=404)
        return web.json_response(
            webfinger_response_json(account, self.actor_id), content_type="application/jrd+json"
        )

    async def _actor_document(self, request: web.Request) -> web.Response:
        return web.json_response(self.document, content_type=ACTIVITY_JSON)

    async def _inbox(self, request: web.Request) -> web.Response:
        body = await request.read()
        signer = await self._verify(request.method, str(request.url), request.headers, request.read)
        header = request.headers.get("Signature")
        key_id = Signature.from_signature_header(header).key_id if header else None
        self.received.append(Delivery(json.loads(body), key_id, signer))
        return web.Response(status=202 if signer else 401)

    async def _public_key(self, key_id: str) -> CryptographicIdentifier:
        """As bovine's own test server does: GET the key's document (signed) and read its
        ``publicKey``."""
        document = await self._actor.get(key_id)
        return CryptographicIdentifier.from_public_key(document["publicKey"])

    # --- The client, for the test's thread -----------------------------------------------------

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the peer's event loop and wait for it."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=60)

    def webfinger(self, account: str, server: str) -> tuple[str | None, bool | None]:
        """bovine's WebFinger lookup of ``acct:...`` at ``server`` (given with its scheme, since
        bovine otherwise assumes https)."""
        assert self._actor.session is not None
        return self.run(lookup_uri_with_webfinger(self._actor.session, account, domain=server))

    def fetch(self, url: str) -> Any:
        return self.run(self._actor.get(url))

    def post(
        self, url: str, activity: dict[str, Any], *, private_pem: str | None = None
    ) -> tuple[int, Any]:
        """POST ``activity`` signed by bovine's client, with our key or with ``private_pem``
        under our key's id."""
        assert self._actor.session is not None
        client = self._actor.client
        if private_pem is not None:
            client = SignedHttpClient(self._actor.session, self.key_id, private_pem)
        assert isinstance(client, SignedHttpClient)
        return self.run(self._answer(client.post(url, json.dumps(activity))))

    def signed_headers(self, url: str, body: str) -> dict[str, str]:
        """The headers bovine's ``signed_post`` sends with ``body``."""
        return self.run(self._signed_headers(url, body))

    async def _signed_headers(self, url: str, body: str) -> dict[str, str]:
        assert isinstance(self._actor.client, SignedHttpClient)
        kept = _KeepHeaders()
        secret = self._actor.client.secret
        await signed_post(cast(ClientSession, kept), secret, url, body, legacy_digest_method)
        return kept.headers

    def send(self, url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, Any]:
        """POST exactly these bytes and headers."""
        assert self._actor.session is not None
        return self.run(self._answer(self._actor.session.post(url, data=body, headers=headers)))

    @staticmethod
    async def _answer(pending: Awaitable[ClientResponse]) -> tuple[int, Any]:
        async with await pending as response:
            return response.status, await response.json(content_type=None)
