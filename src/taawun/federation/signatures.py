"""Signing and checking the HTTP requests that federated servers send each other.

Two schemes are in use, and a server has to speak both:

* **draft-cavage-http-signatures-12**, the draft that Mastodon and nearly every older
  ActivityPub server sign and verify with: a ``Signature`` header of ``keyId``, ``algorithm``,
  ``headers`` and ``signature``, over a signing string of ``name: value`` lines, with the body
  bound through an RFC 3230 ``Digest`` header. Without it we could talk to almost nobody.
* **RFC 9421** (HTTP Message Signatures), the standard that replaces it: ``Signature-Input``
  names the covered components and parameters per label, ``Signature`` carries the bytes, and
  the body is bound through an RFC 9530 ``Content-Digest``. Newer servers, Mastodon among
  them, speak it too, and it is where the fediverse is going.

Both put their value in a header called ``Signature`` with incompatible syntax, so one request
carries one scheme or the other, never both. On receipt, a ``Signature-Input`` header means
RFC 9421; otherwise a ``Signature`` (or ``Authorization: Signature``) header means cavage.

Nothing here touches Django or the network: keys arrive parsed, headers and bodies arrive as
plain values, and every refusal is a :class:`SignatureRefused` with a short machine code, so an
inbox can answer the internet without a parsing error ever escaping as a crash.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import cached_property
from typing import Any, TypeAlias
from urllib.parse import SplitResult, parse_qsl, urlsplit

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.ec import (
    EllipticCurvePrivateKey,
    EllipticCurvePublicKey,
)
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from http_sfv import Dictionary, InnerList, Item
from http_sfv import List as SfList

PublicKey: TypeAlias = RSAPublicKey | Ed25519PublicKey | EllipticCurvePublicKey
PrivateKey: TypeAlias = RSAPrivateKey | Ed25519PrivateKey | EllipticCurvePrivateKey

REFUSAL_CODES = frozenset(
    {"unsigned", "malformed", "bad_digest", "stale", "unknown_key", "bad_signature", "not_covered"}
)


class SignatureRefused(Exception):
    """Why a request's signature was not accepted.

    ``code`` is one of "unsigned", "malformed", "bad_digest", "stale", "unknown_key",
    "bad_signature", "not_covered": stable words a caller can count and answer on, while
    ``detail`` is for a log line."""

    def __init__(self, code: str, detail: str) -> None:
        if code not in REFUSAL_CODES:
            raise ValueError(f"unknown refusal code {code!r}")
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


# --- Structured fields: fast paths -----------------------------------------------------------
#
# http_sfv is the parser and serialiser of record. The fields an inbox sees on every request
# are nearly always in one plain shape, though, and http_sfv reads them a character at a time;
# these fast paths take only that plain shape (exactly, or they decline) and give what
# http_sfv would give, which the tests check against http_sfv on random input.

_BYTES_MEMBER = re.compile(r"([a-z*][a-z0-9_\-.*]*)=:([A-Za-z0-9+/]*={0,2}):")
_SF_KEY = re.compile(r"[a-z*][a-z0-9_\-.*]*")


def _plain_bytes_dictionary(value: str) -> dict[str, bytes] | None:
    """``name=:base64:, ...`` with no parameters and no outer whitespace, else None."""
    members: dict[str, bytes] = {}
    for part in value.split(","):
        match = _BYTES_MEMBER.fullmatch(part.strip(" \t"))
        if match is None:
            return None
        try:
            members[match[1]] = base64.b64decode(match[2], validate=True)
        except binascii.Error:
            return None
    return members if value == value.strip(" \t") else None


_STRING = r'"[ !#-\[\]-~]*"'  # an sf-string without escapes
_PARAMETER = r';[a-z*][a-z0-9_\-.*]*(?:=(?:"[ !#-\[\]-~]*"|-?[0-9]{1,15}|\?[01]))?'
_LIST_ITEM = rf"{_STRING}(?:{_PARAMETER})*"
_INPUT_MEMBER = re.compile(
    rf"([a-z*][a-z0-9_\-.*]*)=\(((?:{_LIST_ITEM}(?: {_LIST_ITEM})*)?)\)((?:{_PARAMETER})*)"
)
_MEMBER_SEPARATOR = re.compile(r"[ \t]*,[ \t]*")
_ITEM_PARTS = re.compile(rf"({_STRING})((?:{_PARAMETER})*)")
_PARAMETER_PARTS = re.compile(
    r';([a-z*][a-z0-9_\-.*]*)(?:=(?:"([ !#-\[\]-~]*)"|(-?[0-9]{1,15})|\?([01])))?'
)


def _plain_parameters_of(text: str) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for match in _PARAMETER_PARTS.finditer(text):
        name, string, integer, boolean = match.groups()
        if string is not None:
            params[name] = string
        elif integer is not None:
            params[name] = int(integer)
        else:
            params[name] = boolean != "0"
    return params


def _plain_inner_list_dictionary(value: str) -> dict[str, InnerList] | None:
    """``label=("a" "b";k="v");k=1;k="v", ...`` (Signature-Input's usual shape: strings
    without escapes, integers and booleans, single spaces), else None."""
    members: dict[str, InnerList] = {}
    position, end = 0, len(value)
    while True:
        match = _INPUT_MEMBER.match(value, position)
        if match is None:
            return None
        inner = InnerList()
        for item_match in _ITEM_PARTS.finditer(match[2]):
            item = Item(item_match[1][1:-1])
            item.params.update(_plain_parameters_of(item_match[2]))
            inner.append(item)
        inner.params.update(_plain_parameters_of(match[3]))
        members[match[1]] = inner
        position = match.end()
        if position == end:
            return members
        separator = _MEMBER_SEPARATOR.match(value, position)
        if separator is None or separator.end() == end:
            return None
        position = separator.end()


def _plain_string(value: object) -> str | None:
    """An sf-string that needs no escaping, quoted; else None."""
    if (
        type(value) is str
        and value.isascii()
        and value.isprintable()
        and '"' not in value
        and "\\" not in value
    ):
        return f'"{value}"'
    return None


def _plain_parameters(params: Mapping[str, Any]) -> str | None:
    out = []
    for name, value in params.items():
        if _SF_KEY.fullmatch(name) is None:
            return None
        if value is True:
            out.append(f";{name}")
        elif type(value) is int and -(10**15) < value < 10**15:
            out.append(f";{name}={value}")
        else:
            quoted = _plain_string(value)
            if quoted is None:
                return None
            out.append(f";{name}={quoted}")
    return "".join(out)


def _serialise_item(item: Item) -> str:
    quoted = _plain_string(item.value)
    params = _plain_parameters(item.params) if quoted is not None else None
    return quoted + params if quoted is not None and params is not None else str(item)


def _serialise_inner_list(inner: InnerList) -> str:
    params = _plain_parameters(inner.params)
    if params is None:
        return str(inner)
    return f"({' '.join(_serialise_item(item) for item in inner.data)}){params}"


# --- Digests -------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def digest_header(body: bytes) -> str:
    """The RFC 3230 ``Digest`` value that draft-cavage signers cover, as Mastodon sends it."""
    return "SHA-256=" + _b64(hashlib.sha256(body).digest())


def content_digest_header(body: bytes) -> str:
    """The RFC 9530 ``Content-Digest`` value (a structured dictionary) for RFC 9421 signers."""
    return "sha-256=:" + _b64(hashlib.sha256(body).digest()) + ":"


_DIGESTS: dict[str, Callable[[bytes], Any]] = {
    "sha-256": hashlib.sha256,
    "sha-512": hashlib.sha512,
}


def _check_digests(pairs: Iterable[tuple[str, bytes]], body: bytes, header: str) -> None:
    """At least one digest we know must match and none we know may differ: an unknown
    algorithm is skipped (a sender may add a newer one), but a wrong known one is an attack
    or a corruption either way."""
    matched = False
    for algorithm, claimed in pairs:
        make = _DIGESTS.get(algorithm)
        if make is None:
            continue
        if not hmac.compare_digest(make(body).digest(), claimed):
            raise SignatureRefused("bad_digest", f"{header} {algorithm} does not match the body")
        matched = True
    if not matched:
        raise SignatureRefused("bad_digest", f"{header} has no sha-256 or sha-512 digest")


def _check_content_digest(value: str, body: bytes) -> None:
    plain = _plain_bytes_dictionary(value)
    if plain is not None:
        _check_digests(plain.items(), body, "Content-Digest")
        return
    try:
        parsed = Dictionary()
        parsed.parse(value.encode("ascii"))
    except Exception:
        raise SignatureRefused(
            "malformed", "Content-Digest is not a structured dictionary"
        ) from None
    pairs: list[tuple[str, bytes]] = []
    for algorithm, member in parsed.items():
        if algorithm in _DIGESTS:
            if not isinstance(member, Item) or not isinstance(member.value, bytes):
                raise SignatureRefused("malformed", f"Content-Digest {algorithm} is not bytes")
            pairs.append((algorithm, member.value))
    _check_digests(pairs, body, "Content-Digest")


def _check_legacy_digest(value: str, body: bytes) -> None:
    pairs: list[tuple[str, bytes]] = []
    for part in value.split(","):
        algorithm, equals, encoded = part.strip().partition("=")
        algorithm = algorithm.lower()
        if not equals:
            raise SignatureRefused("malformed", "Digest is not algorithm=value")
        if algorithm in _DIGESTS:
            try:
                pairs.append((algorithm, base64.b64decode(encoded.strip(), validate=True)))
            except (binascii.Error, ValueError):
                raise SignatureRefused("malformed", f"Digest {algorithm} is not base64") from None
    _check_digests(pairs, body, "Digest")


# --- Keys ----------------------------------------------------------------------------------


def generate_actor_key() -> RSAPrivateKey:
    """RSA-2048 with e=65537: Mastodon, and so most of the fediverse, verifies only RSA."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_key_pem(key: PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def load_private_key_pem(pem: str) -> PrivateKey:
    """A private key from PEM; garbage (or a kind of key we cannot sign with) is "malformed"."""
    try:
        key = serialization.load_pem_private_key(pem.encode("utf-8"), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm, UnicodeError):
        raise SignatureRefused("malformed", "not a PEM private key") from None
    if not isinstance(key, RSAPrivateKey | Ed25519PrivateKey | EllipticCurvePrivateKey):
        raise SignatureRefused("malformed", f"{type(key).__name__} keys are not supported")
    return key


def public_key_pem(key: PublicKey) -> str:
    """SubjectPublicKeyInfo PEM, the form an actor's ``publicKeyPem`` carries."""
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


# Verifying with an RSA key costs about the square of its size, and a remote actor chooses
# its key: past this many bits, the choice is refused rather than paid for on every request.
MAX_RSA_BITS = 8192


def load_public_key_pem(pem: str) -> PublicKey:
    """A public key from an actor document (SubjectPublicKeyInfo, or PKCS#1 for RSA). A remote
    actor controls this text, so anything unusable is a refusal ("malformed"), never an
    exception of another kind."""
    try:
        key = serialization.load_pem_public_key(pem.encode("utf-8"))
    except (ValueError, TypeError, UnsupportedAlgorithm, UnicodeError):
        raise SignatureRefused("malformed", "not a PEM public key") from None
    if not isinstance(key, RSAPublicKey | Ed25519PublicKey | EllipticCurvePublicKey):
        raise SignatureRefused("malformed", f"{type(key).__name__} keys are not supported")
    if isinstance(key, RSAPublicKey) and key.key_size > MAX_RSA_BITS:
        raise SignatureRefused("malformed", f"an RSA key of {key.key_size} bits is too large")
    return key


# --- Algorithms ----------------------------------------------------------------------------

_SHA256 = hashes.SHA256()
_SHA384 = hashes.SHA384()
_SHA512 = hashes.SHA512()
_PKCS1 = padding.PKCS1v15()
_PSS_SIGN = padding.PSS(mgf=padding.MGF1(_SHA512), salt_length=64)
# Verification reads the salt length from the signature, so a signer using the maximum salt
# (as some libraries do by default) is still understood.
_PSS_VERIFY = padding.PSS(mgf=padding.MGF1(_SHA512), salt_length=padding.PSS.AUTO)
_ECDSA_SHA256 = ec.ECDSA(_SHA256)
_ECDSA_SHA384 = ec.ECDSA(_SHA384)

# RFC 9421's ECDSA algorithms: (curve, octets in each of r and s, ECDSA with its hash).
_EC_ALGS: dict[str, tuple[type[ec.EllipticCurve], int, ec.ECDSA]] = {
    "ecdsa-p256-sha256": (ec.SECP256R1, 32, _ECDSA_SHA256),
    "ecdsa-p384-sha384": (ec.SECP384R1, 48, _ECDSA_SHA384),
}
RFC9421_ALGORITHMS = frozenset(
    {"rsa-pss-sha512", "rsa-v1_5-sha256", "hmac-sha256", "ed25519", *_EC_ALGS}
)


def _mismatch(alg: str, key: object) -> SignatureRefused:
    return SignatureRefused("bad_signature", f"a {type(key).__name__} cannot be used for {alg}")


def _sign_rfc9421(alg: str, key: PrivateKey | bytes, data: bytes) -> bytes:
    if alg == "hmac-sha256" and isinstance(key, bytes):
        return hmac.new(key, data, hashlib.sha256).digest()
    if alg == "ed25519" and isinstance(key, Ed25519PrivateKey):
        return key.sign(data)
    if alg == "rsa-v1_5-sha256" and isinstance(key, RSAPrivateKey):
        return key.sign(data, _PKCS1, _SHA256)
    if alg == "rsa-pss-sha512" and isinstance(key, RSAPrivateKey):
        return key.sign(data, _PSS_SIGN, _SHA512)
    if alg in _EC_ALGS and isinstance(key, EllipticCurvePrivateKey):
        curve, size, ecdsa = _EC_ALGS[alg]
        if isinstance(key.curve, curve):
            r, s = decode_dss_signature(key.sign(data, ecdsa))
            return r.to_bytes(size, "big") + s.to_bytes(size, "big")
    raise ValueError(f"{alg} cannot sign with a {type(key).__name__}")


def _verify_rfc9421(alg: str, key: PublicKey | bytes, signature: bytes, data: bytes) -> bool:
    """True when the signature is good, False when not; a key that cannot be used with ``alg``
    is a refusal of its own, since it tells the operator the actor's key is not what the
    signer claims."""
    try:
        if alg == "hmac-sha256":
            if not isinstance(key, bytes):
                raise _mismatch(alg, key)
            return hmac.compare_digest(hmac.new(key, data, hashlib.sha256).digest(), signature)
        if alg == "ed25519":
            if not isinstance(key, Ed25519PublicKey):
                raise _mismatch(alg, key)
            key.verify(signature, data)
        elif alg == "rsa-v1_5-sha256":
            if not isinstance(key, RSAPublicKey):
                raise _mismatch(alg, key)
            key.verify(signature, data, _PKCS1, _SHA256)
        elif alg == "rsa-pss-sha512":
            if not isinstance(key, RSAPublicKey):
                raise _mismatch(alg, key)
            key.verify(signature, data, _PSS_VERIFY, _SHA512)
        elif alg in _EC_ALGS:
            curve, size, ecdsa = _EC_ALGS[alg]
            if not isinstance(key, EllipticCurvePublicKey) or not isinstance(key.curve, curve):
                raise _mismatch(alg, key)
            if len(signature) != 2 * size:
                return False
            r = int.from_bytes(signature[:size], "big")
            s = int.from_bytes(signature[size:], "big")
            key.verify(encode_dss_signature(r, s), data, ecdsa)
        else:
            raise SignatureRefused("bad_signature", f"unsupported algorithm {alg!r}")
    except InvalidSignature:
        return False
    return True


def _rfc9421_alg_for(key: PrivateKey | PublicKey) -> str:
    """The algorithm we sign with for a key: rsa-v1_5-sha256 for RSA because that is what
    Mastodon sends and checks."""
    if isinstance(key, RSAPrivateKey | RSAPublicKey):
        return "rsa-v1_5-sha256"
    if isinstance(key, Ed25519PrivateKey | Ed25519PublicKey):
        return "ed25519"
    if isinstance(key.curve, ec.SECP256R1):
        return "ecdsa-p256-sha256"
    if isinstance(key.curve, ec.SECP384R1):
        return "ecdsa-p384-sha384"
    raise ValueError(f"no RFC 9421 algorithm for the curve {key.curve.name}")


def _rfc9421_algs_to_try(key: PublicKey) -> tuple[str, ...]:
    """Without an ``alg`` parameter the key decides; an RSA key may have made either RSA
    signature, so both are tried (the second only costs anything when the first fails)."""
    if isinstance(key, RSAPublicKey):
        return ("rsa-v1_5-sha256", "rsa-pss-sha512")
    try:
        return (_rfc9421_alg_for(key),)
    except ValueError:
        raise _mismatch("any RFC 9421 algorithm", key) from None


# --- Messages and RFC 9421 components -----------------------------------------------------

_OBS_FOLD = re.compile(r"\r?\n[ \t]+")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Fields whose structured type RFC 9421's sf parameter needs to know; others are tried as a
# dictionary, then a list, then an item.
_SF_TYPES: dict[str, type[Dictionary] | type[SfList] | type[Item]] = {
    "accept-signature": Dictionary,
    "cache-status": SfList,
    "cdn-cache-control": Dictionary,
    "content-digest": Dictionary,
    "priority": Dictionary,
    "proxy-status": SfList,
    "repr-digest": Dictionary,
    "signature": Dictionary,
    "signature-input": Dictionary,
    "want-content-digest": Dictionary,
    "want-repr-digest": Dictionary,
}


def _refuse(detail: str) -> SignatureRefused:
    return SignatureRefused("malformed", detail)


@dataclass(frozen=True)
class HttpMessage:
    """A request (``method`` and ``url``) or a response (``status``, with the ``request`` it
    answers for components marked ``;req``), as RFC 9421 sees it.

    ``headers`` is a mapping or a list of (name, value) pairs; a list keeps repeated field
    lines apart, which matters for ``;bs``. Names are matched without regard to case."""

    headers: Mapping[str, str] | Sequence[tuple[str, str]]
    method: str | None = None
    url: str | None = None
    status: int | None = None
    request: HttpMessage | None = None
    _fields: dict[str, list[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pairs = self.headers.items() if isinstance(self.headers, Mapping) else self.headers
        fields: dict[str, list[str]] = {}
        for name, value in pairs:
            lowered = name.lower()
            if lowered in fields:
                fields[lowered].append(value)
            else:
                fields[lowered] = [value]
        object.__setattr__(self, "_fields", fields)

    def field_lines(self, name: str) -> list[str] | None:
        """The values of every line of field ``name`` (lower case), or None when absent."""
        return self._fields.get(name)

    @cached_property
    def _parts(self) -> SplitResult:
        if self.url is None:
            raise _refuse("the message has no target URI")
        try:
            parts = urlsplit(self.url)
            _ = parts.port  # a bad port raises here, once
        except ValueError:
            raise _refuse("the target URI cannot be parsed") from None
        return parts


def _line_value(value: str) -> str:
    if "\n" in value or "\r" in value:
        value = _OBS_FOLD.sub(" ", value)
        if "\n" in value or "\r" in value:
            raise _refuse("a field value contains a line break")
    return value.strip(" \t")


def _authority(parts: SplitResult) -> str:
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        return f"{host}:{port}"
    return host


def _request_target(parts: SplitResult) -> str:
    target = parts.path or "/"
    return f"{target}?{parts.query}" if parts.query else target


_FORM_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789*-._")


def _form_encode(text: str) -> str:
    """Percent-encode with the WHATWG application/x-www-form-urlencoded set (space as %20),
    the encoding RFC 9421 fixes for @query-param names and values."""
    return "".join(
        chr(byte) if byte in _FORM_SAFE else f"%{byte:02X}" for byte in text.encode("utf-8")
    )


def _query_param(parts: SplitResult, name: object) -> str:
    if not isinstance(name, str):
        raise _refuse("@query-param needs a string name parameter")
    found = [
        value
        for key, value in parse_qsl(parts.query, keep_blank_values=True, errors="replace")
        if _form_encode(key) == name
    ]
    if len(found) != 1:
        raise _refuse(f"the query has {len(found)} parameters named {name!r}, not one")
    return _form_encode(found[0])


def _derived_value(message: HttpMessage, name: str, params: Mapping[str, Any]) -> str:
    allowed = {"req", "name"} if name == "@query-param" else {"req"}
    if not params.keys() <= allowed:
        raise _refuse(f"unknown parameters on {name}")
    if name == "@method":
        if message.method is None:
            raise _refuse("@method of a message that is not a request")
        return message.method
    if name == "@status":
        if message.status is None:
            raise _refuse("@status of a message that is not a response")
        return f"{message.status:03d}"
    if name == "@target-uri":
        _ = message._parts  # refuses a URL that cannot be parsed
        return message.url or ""
    parts = message._parts
    if name == "@authority":
        return _authority(parts)
    if name == "@scheme":
        return parts.scheme.lower()
    if name == "@request-target":
        return _request_target(parts)
    if name == "@path":
        return parts.path or "/"
    if name == "@query":
        return "?" + parts.query
    if name == "@query-param":
        return _query_param(parts, params.get("name"))
    raise _refuse(f"unknown derived component {name}")


def _structured(name: str, value: str) -> str:
    kinds = _SF_TYPES.get(name)
    for kind in (kinds,) if kinds is not None else (Dictionary, SfList, Item):
        parsed = kind()
        try:
            parsed.parse(value.encode("ascii"))
            return str(parsed)
        except Exception:  # noqa: S112 -- the next structured type may fit  # nosec B112
            continue
    raise _refuse(f"{name} is not a structured field")


def _field_value(message: HttpMessage, name: str, params: Mapping[str, Any]) -> str:
    if not params.keys() <= {"sf", "key", "bs", "req"}:
        raise _refuse(f"unsupported parameters on {name}")
    lines = message.field_lines(name)
    if lines is None:
        raise _refuse(f"the covered field {name} is absent")
    values = [_line_value(line) for line in lines]
    if params.get("bs"):
        if params.get("sf") or "key" in params:
            raise _refuse(f"{name} cannot be both bs and sf")
        try:
            return ", ".join(f":{_b64(value.encode('latin-1'))}:" for value in values)
        except UnicodeEncodeError:
            raise _refuse(f"{name} has characters that are not octets") from None
    combined = ", ".join(values)
    if "key" in params:
        key = params["key"]
        parsed = Dictionary()
        try:
            parsed.parse(combined.encode("ascii"))
            return str(parsed[key])
        except Exception:
            raise _refuse(f"{name} has no dictionary member {key!r}") from None
    if params.get("sf"):
        return _structured(name, combined)
    return combined


def _component_value(message: HttpMessage, component: Item) -> str:
    name = component.value
    if not isinstance(name, str) or not name or name != name.lower():
        raise _refuse("a component identifier is not a lower-case string")
    params: Mapping[str, Any] = component.params
    if params.get("req"):
        if message.request is None:
            raise _refuse(f"{name};req on a message with no request")
        message = message.request
    if name.startswith("@"):
        if name == "@signature-params":
            raise _refuse("@signature-params cannot be covered")
        return _derived_value(message, name, params)
    return _field_value(message, name, params)


def _as_inner_list(components: Sequence[Item | str], params: Mapping[str, Any] | None) -> InnerList:
    if isinstance(components, InnerList) and params is None:
        return components  # already parsed: used as it is, not copied
    inner = InnerList([c if isinstance(c, Item) else Item(c) for c in components])
    if params:
        inner.params.update(params)
    return inner


def signature_base(
    message: HttpMessage,
    components: Sequence[Item | str],
    params: Mapping[str, Any] | None = None,
) -> str:
    """The RFC 9421 §2.5 signature base: one ``"identifier": value`` line per covered
    component, then ``"@signature-params"``. ``components`` is a parsed inner list (whose own
    parameters are used when ``params`` is None) or plain identifiers. Anything that cannot be
    resolved on this message is a "malformed" refusal."""
    inner = _as_inner_list(components, params)
    lines: list[str] = []
    seen: set[str] = set()
    for component in inner.data:
        identifier = _serialise_item(component)
        if identifier in seen:
            raise _refuse(f"{identifier} is covered twice")
        seen.add(identifier)
        lines.append(f"{identifier}: {_component_value(message, component)}")
    lines.append(f'"@signature-params": {_serialise_inner_list(inner)}')
    return "\n".join(lines)


def _base_bytes(base: str) -> bytes:
    try:
        return base.encode("ascii")
    except UnicodeEncodeError:
        raise _refuse("the signature base is not ASCII") from None


def sign_rfc9421_components(
    message: HttpMessage,
    components: Sequence[Item | str],
    params: Mapping[str, Any],
    key: PrivateKey | bytes,
    alg: str,
    *,
    label: str = "sig1",
) -> tuple[str, str]:
    """Sign the given components; return the ``Signature-Input`` and ``Signature`` values for
    ``label`` (for example ``sig1=("@method");created=1`` and ``sig1=:...:``). ``params`` are
    serialised in the order given, because that order is part of what is signed."""
    if alg not in RFC9421_ALGORITHMS:
        raise ValueError(f"unsupported algorithm {alg!r}")
    inner = _as_inner_list(components, params)
    signature = _sign_rfc9421(alg, key, _base_bytes(signature_base(message, inner)))
    signature_input, signature_field = Dictionary(), Dictionary()
    signature_input[label] = inner
    signature_field[label] = signature
    return str(signature_input), str(signature_field)


def _parse_dictionary(message: HttpMessage, name: str) -> Mapping[str, Any]:
    lines = message.field_lines(name)
    if not lines:
        raise _refuse(f"no {name} header")
    if name == "signature-input":
        plain = _plain_inner_list_dictionary(", ".join(lines))
        if plain is not None:
            return plain
    parsed = Dictionary()
    try:
        parsed.parse(", ".join(lines).encode("ascii"))
    except Exception:
        raise _refuse(f"{name} is not a structured dictionary") from None
    return parsed


def _signature_bytes(message: HttpMessage, label: str) -> bytes:
    lines = message.field_lines("signature")
    plain = _plain_bytes_dictionary(", ".join(lines)) if lines else None
    if plain is not None:
        if label not in plain:
            raise _refuse(f"Signature has no byte sequence for {label}")
        return plain[label]
    member = _parse_dictionary(message, "signature").get(label)
    if not isinstance(member, Item) or not isinstance(member.value, bytes):
        raise _refuse(f"Signature has no byte sequence for {label}")
    return member.value


def _check_signature_params(inner: InnerList) -> None:
    for component in inner.data:
        if not isinstance(component.value, str):
            raise _refuse("a component identifier is not a string")
    for name in ("created", "expires"):
        value = inner.params.get(name)
        if value is not None and type(value) is not int:
            raise _refuse(f"{name} is not an integer")
    for name in ("keyid", "alg", "nonce", "tag"):
        value = inner.params.get(name)
        if value is not None and not isinstance(value, str):
            raise _refuse(f"{name} is not a string")


def verify_rfc9421_label(
    message: HttpMessage, label: str, key: PublicKey | bytes, *, alg: str | None = None
) -> dict[str, Any]:
    """Check the cryptography of one labelled signature on ``message`` (HMAC when ``key`` is
    bytes) and return its parameters. Freshness and which components must be covered are
    policy, left to the caller (:func:`verify_request` applies ours)."""
    member = _parse_dictionary(message, "signature-input").get(label)
    if not isinstance(member, InnerList):
        raise _refuse(f"Signature-Input has no inner list for {label}")
    _check_signature_params(member)
    signature = _signature_bytes(message, label)
    declared = member.params.get("alg")
    if alg is not None and declared is not None and alg != declared:
        raise SignatureRefused("bad_signature", f"alg {declared!r} where {alg!r} was expected")
    chosen = alg or declared
    if chosen is not None:
        candidates: tuple[str, ...] = (chosen,)
    elif isinstance(key, bytes):
        candidates = ("hmac-sha256",)
    else:
        candidates = _rfc9421_algs_to_try(key)
    data = _base_bytes(signature_base(message, member))
    if not any(_verify_rfc9421(candidate, key, signature, data) for candidate in candidates):
        raise SignatureRefused("bad_signature", f"the signature {label} does not verify")
    return dict(member.params)


# --- Time ----------------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _unix(moment: datetime) -> int:
    return int(_utc(moment).timestamp())


def _http_date(moment: datetime) -> str:
    return format_datetime(_utc(moment).replace(microsecond=0), usegmt=True)


def _check_fresh(what: str, then: int, now: int, max_age: int) -> None:
    if abs(now - then) > max_age:
        raise SignatureRefused("stale", f"{what} is {now - then} s from now, over {max_age} s")


def _check_expires(expires: int | None, now: int) -> None:
    if expires is not None and expires < now:
        raise SignatureRefused("stale", f"the signature expired {now - expires} s ago")


# --- Signing -------------------------------------------------------------------------------

_BODYLESS_METHODS = frozenset({"GET", "HEAD"})


def _lowered(headers: Mapping[str, str] | None) -> dict[str, str]:
    return {name.lower(): value for name, value in (headers or {}).items()}


def _carries_body(method: str, body: bytes) -> bool:
    return bool(body) or method.upper() not in _BODYLESS_METHODS


def sign_cavage(
    *,
    method: str,
    url: str,
    body: bytes,
    key_id: str,
    private_key: PrivateKey,
    now: datetime,
    headers: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The headers to add (Host, Date, Digest for a request with a body, Signature) to sign a
    request with draft-cavage-12 the way Mastodon does and expects.

    ``headers`` are the request's other headers: a Host or Date among them is signed as given
    rather than derived, and one already carrying a signature is refused, since the two schemes
    cannot share a request. RSA keys sign ``rsa-sha256``; other keys ``hs2019``."""
    given = _lowered(headers)
    if "signature" in given or "signature-input" in given:
        raise ValueError("the request already carries a signature")
    if '"' in key_id or "\n" in key_id:
        raise ValueError("a keyId cannot contain quotes or line breaks")
    parts = urlsplit(url)
    host = given.get("host") or _authority(parts)
    date = given.get("date") or _http_date(now)
    added = {"Host": host, "Date": date}
    covered = ["(request-target)", "host", "date"]
    lines = [
        f"(request-target): {method.lower()} {_request_target(parts)}",
        f"host: {host}",
        f"date: {date}",
    ]
    if _carries_body(method, body):
        added["Digest"] = digest_header(body)
        covered.append("digest")
        lines.append(f"digest: {added['Digest']}")
    data = "\n".join(lines).encode("utf-8")
    if isinstance(private_key, RSAPrivateKey):
        algorithm, signature = "rsa-sha256", private_key.sign(data, _PKCS1, _SHA256)
    elif isinstance(private_key, Ed25519PrivateKey):
        algorithm, signature = "hs2019", private_key.sign(data)
    else:
        algorithm, signature = "hs2019", private_key.sign(data, _ECDSA_SHA256)
    added["Signature"] = (
        f'keyId="{key_id}",algorithm="{algorithm}",headers="{" ".join(covered)}",'
        f'signature="{_b64(signature)}"'
    )
    return added


def sign_rfc9421(
    *,
    method: str,
    url: str,
    body: bytes,
    key_id: str,
    private_key: PrivateKey,
    now: datetime,
    headers: Mapping[str, str] | None = None,
    label: str = "sig1",
) -> dict[str, str]:
    """The headers to add (Content-Digest for a request with a body, Signature-Input,
    Signature) to sign a request with RFC 9421, covering ``"@method" "@target-uri"`` and
    ``"content-digest"``, with ``created``, ``keyid`` and ``alg``.

    ``headers`` are the request's other headers, taken only to refuse one that already carries
    a signature: the covered set is fixed, so nothing else from them is signed."""
    given = _lowered(headers)
    if "signature" in given or "signature-input" in given:
        raise ValueError("the request already carries a signature")
    added: dict[str, str] = {}
    components = ["@method", "@target-uri"]
    if _carries_body(method, body):
        added["Content-Digest"] = content_digest_header(body)
        components.append("content-digest")
    message = HttpMessage(added, method=method, url=url)
    alg = _rfc9421_alg_for(private_key)
    params = {"created": _unix(now), "keyid": key_id, "alg": alg}
    signature_input, signature = sign_rfc9421_components(
        message, components, params, private_key, alg, label=label
    )
    added["Signature-Input"] = signature_input
    added["Signature"] = signature
    return added


# --- Verifying -----------------------------------------------------------------------------

_CAVAGE_ALGORITHMS = frozenset(
    {"hs2019", "rsa-sha256", "rsa-sha512", "ed25519", "ecdsa-sha256", "ecdsa-sha384"}
)
_PARAM_NAME = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")


def _cavage_params(value: str) -> dict[str, str]:
    """``keyId="..",algorithm="..",headers="..",signature=".."`` (and unquoted ``created`` /
    ``expires``) into lower-cased names; a repeated name is refused rather than guessed at."""
    params: dict[str, str] = {}
    position, end = 0, len(value)
    while position < end:
        while position < end and value[position] in " \t,":
            position += 1
        if position == end:
            break
        equals = value.find("=", position)
        if equals < 0:
            raise _refuse("a Signature parameter has no value")
        name = value[position:equals].strip().lower()
        if not name or not _PARAM_NAME.issuperset(name):
            raise _refuse("a Signature parameter name is not a word")
        position = equals + 1
        if position < end and value[position] == '"':
            close = value.find('"', position + 1)
            if close < 0:
                raise _refuse("a quoted Signature parameter is not closed")
            item, position = value[position + 1 : close], close + 1
        else:
            comma = value.find(",", position)
            comma = end if comma < 0 else comma
            item, position = value[position:comma].strip(), comma
        if name in params:
            raise _refuse(f"the Signature parameter {name} is repeated")
        params[name] = item
        while position < end and value[position] in " \t":
            position += 1
        if position < end and value[position] != ",":
            raise _refuse("Signature parameters are not separated by commas")
    return params


def _unix_param(params: Mapping[str, str], name: str) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()):
        raise _refuse(f"{name} is not a whole number of seconds")
    return int(value)


def _verify_cavage_signature(algorithm: str, key: PublicKey, signature: bytes, data: bytes) -> bool:
    """draft-cavage's algorithm names; ``hs2019`` lets the key decide, and with an RSA key
    means PKCS#1 v1.5 with SHA-256 in practice (Mastodon), with RSA-PSS accepted as the draft
    reads."""
    try:
        if isinstance(key, RSAPublicKey):
            if algorithm == "rsa-sha256":
                key.verify(signature, data, _PKCS1, _SHA256)
            elif algorithm == "rsa-sha512":
                key.verify(signature, data, _PKCS1, _SHA512)
            elif algorithm == "hs2019":
                try:
                    key.verify(signature, data, _PKCS1, _SHA256)
                except InvalidSignature:
                    key.verify(signature, data, _PSS_VERIFY, _SHA512)
            else:
                raise _mismatch(algorithm, key)
        elif isinstance(key, Ed25519PublicKey):
            if algorithm not in ("hs2019", "ed25519"):
                raise _mismatch(algorithm, key)
            key.verify(signature, data)
        else:
            if algorithm == "ecdsa-sha384" or (
                algorithm == "hs2019" and isinstance(key.curve, ec.SECP384R1)
            ):
                key.verify(signature, data, _ECDSA_SHA384)
            elif algorithm in ("hs2019", "ecdsa-sha256"):
                key.verify(signature, data, _ECDSA_SHA256)
            else:
                raise _mismatch(algorithm, key)
    except InvalidSignature:
        return False
    return True


@dataclass(frozen=True, slots=True)
class _Pending:
    """A request whose form, digest, coverage and freshness have passed; only its key and
    the cryptography remain, which is when the (possibly costly) key lookup is worth it."""

    key_id: str
    algorithms: tuple[str, ...] | None  # RFC 9421 candidates; None until the key decides
    cavage_algorithm: str | None  # set for draft-cavage
    signature: bytes
    data: bytes


def _prepare_cavage(
    value: str, message: HttpMessage, body: bytes, now: int, max_age: int
) -> _Pending:
    params = _cavage_params(value)
    key_id = params.get("keyid")
    encoded = params.get("signature")
    if not key_id or encoded is None:
        raise _refuse("Signature lacks keyId or signature")
    try:
        signature = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise _refuse("the signature is not base64") from None
    algorithm = params.get("algorithm", "hs2019").lower()
    if algorithm not in _CAVAGE_ALGORITHMS:
        raise SignatureRefused("bad_signature", f"unsupported algorithm {algorithm!r}")
    covered = params.get("headers", "(created)").lower().split()
    created = _unix_param(params, "created")
    expires = _unix_param(params, "expires")

    digest = message.field_lines("digest")
    if digest is not None:
        _check_legacy_digest(", ".join(digest), body)
    elif body:
        raise SignatureRefused("bad_digest", "a request with a body has no Digest header")
    missing = [name for name in ("(request-target)", "host") if name not in covered]
    if "date" not in covered and "(created)" not in covered:
        missing.append("date")
    if body and "digest" not in covered:
        missing.append("digest")
    if missing:
        raise SignatureRefused("not_covered", f"the signature does not cover {' '.join(missing)}")

    if "date" in covered:
        date = message.field_lines("date")
        if date is None or len(date) != 1:
            raise _refuse("the covered Date header is absent or repeated")
        try:
            sent = _unix(parsedate_to_datetime(date[0]))
        except (TypeError, ValueError, IndexError, OverflowError):
            raise _refuse("the Date header is not a date") from None
        _check_fresh("Date", sent, now, max_age)
    if created is not None:
        _check_fresh("created", created, now, max_age)
    _check_expires(expires, now)

    lines: list[str] = []
    for name in covered:
        if name == "(request-target)":
            method = (message.method or "").lower()
            lines.append(f"(request-target): {method} {_request_target(message._parts)}")
        elif name in ("(created)", "(expires)"):
            stamp = created if name == "(created)" else expires
            if stamp is None:
                raise _refuse(f"{name} is covered but has no parameter")
            lines.append(f"{name}: {stamp}")
        else:
            values = message.field_lines(name)
            if values is None:
                raise _refuse(f"the covered header {name} is absent")
            lines.append(f"{name}: {', '.join(_line_value(v) for v in values)}")
    return _Pending(key_id, None, algorithm, signature, "\n".join(lines).encode("utf-8"))


def _coverage_problem(inner: InnerList, has_body: bool, has_query: bool) -> str | None:
    """What our policy misses in a label's covered components, or None when it is enough:
    the method, the whole target (``@target-uri``, or ``@authority`` with ``@request-target``,
    or with ``@path`` and, when there is a query, ``@query``) and, with a body,
    ``content-digest``. Components with parameters (``;req``, ``;sf``...) do not count."""
    names: set[str] = set()
    for component in inner.data:
        if not isinstance(component.value, str):
            raise _refuse("a component identifier is not a string")
        if not component.params:
            names.add(component.value)
    missing = []
    if "@method" not in names:
        missing.append("@method")
    path_ok = "@path" in names and (not has_query or "@query" in names)
    target_ok = "@target-uri" in names or (
        "@authority" in names and ("@request-target" in names or path_ok)
    )
    if not target_ok:
        missing.append("@target-uri")
    if has_body and "content-digest" not in names:
        missing.append("content-digest")
    return " ".join(missing) if missing else None


def _prepare_rfc9421(message: HttpMessage, body: bytes, now: int, max_age: int) -> _Pending:
    inputs = _parse_dictionary(message, "signature-input")

    digest = message.field_lines("content-digest")
    if digest is not None:
        _check_content_digest(", ".join(digest), body)
    elif body:
        raise SignatureRefused("bad_digest", "a request with a body has no Content-Digest header")

    has_query = bool(message._parts.query)
    label, chosen, problem = "", None, "there is no signature label"
    for candidate, member in inputs.items():
        if not isinstance(member, InnerList):
            raise _refuse(f"Signature-Input {candidate} is not an inner list")
        missing = _coverage_problem(member, bool(body), has_query)
        if missing is None:
            label, chosen = candidate, member
            break
        if problem == "there is no signature label":
            problem = f"the signature {candidate} does not cover {missing}"
    if chosen is None:
        raise SignatureRefused("not_covered", problem)

    _check_signature_params(chosen)
    key_id = chosen.params.get("keyid")
    if not key_id:
        raise _refuse(f"the signature {label} has no keyid")
    created = chosen.params.get("created")
    if created is None:
        raise SignatureRefused("stale", f"the signature {label} has no created time")
    _check_fresh("created", created, now, max_age)
    _check_expires(chosen.params.get("expires"), now)
    alg = chosen.params.get("alg")
    if alg is not None and alg not in RFC9421_ALGORITHMS:
        raise SignatureRefused("bad_signature", f"unsupported algorithm {alg!r}")
    signature = _signature_bytes(message, label)
    data = _base_bytes(signature_base(message, chosen))
    return _Pending(key_id, (alg,) if alg else None, None, signature, data)


def verify_request(
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    public_key_for: Callable[[str], PublicKey | None],
    now: datetime,
    max_age: int = 300,
) -> str:
    """Check a received request and return the keyId that signed it, or raise
    :class:`SignatureRefused`.

    A ``Signature-Input`` header means RFC 9421; otherwise a ``Signature`` header (or
    ``Authorization: Signature``) means draft-cavage; neither is "unsigned". ``url`` is the
    full URL as the client addressed it.

    In both schemes a body must come with a digest header that matches it ("bad_digest") and
    is covered ("not_covered"); the method, target and host must be covered, and the signature
    must be fresh (``max_age`` seconds either way from ``now``: "stale"). All of that is
    checked before ``public_key_for`` is called, so a stale or badly formed request never
    costs a key lookup; errors raised by ``public_key_for`` itself are the caller's and pass
    through unchanged.

    With RFC 9421, only the first label whose covered components satisfy this policy is
    checked: another label (a proxy's, or one meant for someone else) is neither trusted nor
    held against the request."""
    try:
        message = HttpMessage(headers, method=method, url=url)
        current = _unix(now)
        if message.field_lines("signature-input"):
            pending = _prepare_rfc9421(message, body, current, max_age)
        else:
            value = ", ".join(message.field_lines("signature") or ()).strip()
            if not value:
                authorization = ", ".join(message.field_lines("authorization") or ()).strip()
                scheme, _, rest = authorization.partition(" ")
                if scheme.lower() == "signature":
                    value = rest.strip()
            if not value:
                raise SignatureRefused("unsigned", "the request carries no signature")
            pending = _prepare_cavage(value, message, body, current, max_age)
    except SignatureRefused:
        raise
    except Exception as error:
        # The internet may send anything; whatever slipped past the checks above is still
        # only a request we refuse.
        raise _refuse(f"unreadable request ({type(error).__name__})") from None

    key = public_key_for(pending.key_id)
    if key is None:
        raise SignatureRefused("unknown_key", f"no key is known for {pending.key_id}")
    if pending.cavage_algorithm is not None:
        good = _verify_cavage_signature(
            pending.cavage_algorithm, key, pending.signature, pending.data
        )
    else:
        algorithms = pending.algorithms or _rfc9421_algs_to_try(key)
        good = any(_verify_rfc9421(alg, key, pending.signature, pending.data) for alg in algorithms)
    if not good:
        raise SignatureRefused("bad_signature", "the signature does not verify")
    return pending.key_id
