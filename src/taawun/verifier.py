"""Check a Taawun co-op's transparency log yourself.

This one file needs only Python 3.11+ and the ``cryptography`` package, so anyone can read it,
copy it and run it without the rest of the platform (each co-op also serves it at
``/log/verifier.py``). Taawun itself hashes, proves and signs with the functions below, so the
code that checks the log is the code that builds it.

The log is the Merkle tree of RFC 9162 §2.1 over the co-op's audit trail: entry number ``seq`` is
leaf ``seq - 1``. A leaf is the canonical JSON of the entry's public **envelope**: its number,
time, action, kind of subject, rules version and ``content``, the SHA-256 of a random salt
followed by the entry's full canonical text. The public can so check the structure of the log
without seeing any content; a member, who can read the content and its salt, can check that the
content is what was logged. Tree heads are C2SP checkpoints in Ed25519-signed notes, which
existing transparency-log witnesses understand.

Online, against a co-op (keeps the heads it has seen in a state file, and fails loudly when the
log forks or its past is rewritten)::

    python verifier.py --log https://coop.example --key 'coop.example/log+1a2b3c4d+AV...'
    python verifier.py --log https://coop.example --key KEY --audit     # recompute every leaf
    python verifier.py --log https://coop.example --key KEY --entry 42  # one entry's inclusion

Offline, a saved proof against saved tree heads::

    python verifier.py --key KEY --head head.txt inclusion-42.json [--content entry-42.json]
    python verifier.py --key KEY --head old.txt --head new.txt consistency.json
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

HASH_SIZE = 32
"""Bytes in a SHA-256 digest: the size of every leaf, node and root hash."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""The root of the tree of no leaves (RFC 9162 §2.1.1: the hash of the empty string)."""

ED25519 = 0x01
"""The signature type byte of an Ed25519 key in a signed note."""

ENTRIES_PAGE = 1000
"""Envelopes fetched per request in a full audit (the most the co-op's API hands out at once)."""


class VerificationFailed(Exception):
    """The log, a proof or a signature does not check out."""


class ForkDetected(VerificationFailed):
    """Two signed heads that cannot both be true: the log was forked or its past rewritten."""


# --- Hashes and canonical bytes --------------------------------------------------------------


def canonical_json(value: Any) -> bytes:
    """JSON with sorted keys, no insignificant whitespace and UTF-8 text: one byte string per
    value, so every party hashes the same bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def leaf_hash(data: bytes) -> bytes:
    """The hash of one log entry; the 0x00 prefix keeps a leaf from passing for a node."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an inner node from its two children's hashes."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def content_hash(salt: str, canonical: str) -> str:
    """The hex SHA-256 of an entry's salt (hex) and canonical text: what the public sees of it.

    The salt makes the hash useless for guessing content: without it, a small amount or a
    member number could be found by hashing every candidate."""
    return hashlib.sha256(bytes.fromhex(salt) + canonical.encode()).hexdigest()


def envelope(body: dict[str, Any], canonical: str, salt: str) -> dict[str, Any]:
    """The public part of an audit entry: what happened when, under which rules, and a salted
    hash standing for everything else. ``body`` is the entry's parsed canonical text."""
    return {
        "seq": body["seq"],
        "at": body["at"],
        "action": body["action"],
        "subject": body["subject"]["type"],
        "policy_version": body["policy_version"],
        "content": content_hash(salt, canonical),
    }


def envelope_leaf(public: dict[str, Any]) -> bytes:
    """The leaf hash of an entry's public envelope."""
    return leaf_hash(canonical_json(public))


def entry_leaves(entries: Sequence[tuple[str, str]]) -> list[tuple[bytes, str]]:
    """Each entry's leaf and content hash, rebuilt from its canonical text and salt: how a
    member, or the co-op's own audit, checks the log against the entries themselves."""
    rebuilt = []
    for canonical, salt in entries:
        public = envelope(json.loads(canonical), canonical, salt)
        rebuilt.append((envelope_leaf(public), public["content"]))
    return rebuilt


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash of a whole list of leaf hashes, for audits that start from entries.

    Pairs neighbours level by level and lifts an odd last hash unchanged to the next level:
    that builds exactly the tree of the largest-power-of-two split, without recursion.
    """
    level = list(leaf_hashes)
    if not level:
        return EMPTY_ROOT
    while len(level) > 1:
        lifted = level[-1:] if len(level) & 1 else []
        # zip stops at the shorter slice, leaving the odd last hash to ``lifted``.
        level = [
            node_hash(left, right) for left, right in zip(level[::2], level[1::2], strict=False)
        ]
        level += lifted
    return level[0]


# --- Proofs ----------------------------------------------------------------------------------


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], expected_root: bytes
) -> bool:
    """Whether ``proof`` shows ``leaf`` at ``index`` in the tree ``expected_root`` of ``size``.

    RFC 9162 §2.1.3.2: ``node`` tracks the position on the way up, ``last`` the tree's last
    position at that level. A proof too long or too short is refused, never truncated.
    """
    if not 0 <= index < size:
        return False
    node, last = index, size - 1
    digest = leaf
    for sibling in proof:
        if last == 0:
            return False
        if node & 1 or node == last:
            digest = node_hash(sibling, digest)
            while not node & 1 and node != 0:
                node, last = node >> 1, last >> 1
        else:
            digest = node_hash(digest, sibling)
        node, last = node >> 1, last >> 1
    return last == 0 and digest == expected_root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree ``old_root`` is a prefix of the tree ``new_root``.

    RFC 9162 §2.1.4.2, rebuilding both roots from one path. Equal sizes need equal roots and an
    empty proof; the empty tree is a prefix of every tree, given its root is the empty hash.
    """
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    node, last = old_size - 1, new_size - 1
    while node & 1:
        node, last = node >> 1, last >> 1
    old_digest = new_digest = path[0]
    for sibling in path[1:]:
        if last == 0:
            return False
        if node & 1 or node == last:
            old_digest = node_hash(sibling, old_digest)
            new_digest = node_hash(sibling, new_digest)
            while not node & 1 and node != 0:
                node, last = node >> 1, last >> 1
        else:
            new_digest = node_hash(new_digest, sibling)
        node, last = node >> 1, last >> 1
    return last == 0 and old_digest == old_root and new_digest == new_root


# --- Signed notes and checkpoints (c2sp.org/signed-note, c2sp.org/tlog-checkpoint) -----------


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: the log's name, its number of entries and its root hash."""

    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        """The checkpoint's note text, the exact bytes that are signed."""
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"


@dataclass(frozen=True)
class VerifierKey:
    """A signer's public key as a note verifier names it: ``name+keyhash+base64(type ‖ key)``."""

    name: str
    public: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public)

    def __str__(self) -> str:
        encoded = base64.b64encode(bytes([ED25519]) + self.public).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"


def key_id(name: str, public: bytes) -> bytes:
    """The four bytes that tie a note signature to a named key (c2sp.org/signed-note)."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public).digest()[:4]


def parse_key(text: str) -> VerifierKey:
    """Read a verifier key string; refuses anything but a well-formed Ed25519 key."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3 or not _valid_name(parts[0]):
        raise VerificationFailed("the key is not of the form name+keyhash+key")
    name, hash_hex, encoded = parts
    try:
        raw = base64.b64decode(encoded, validate=True)
    except ValueError:
        raise VerificationFailed("the key is not valid base64") from None
    if len(raw) != 1 + HASH_SIZE or raw[0] != ED25519:
        raise VerificationFailed("the key is not an Ed25519 key")
    key = VerifierKey(name, raw[1:])
    if key.key_id.hex() != hash_hex.lower():
        raise VerificationFailed("the key's hash does not match its name and key")
    return key


def sign_note(text: str, name: str, private: Ed25519PrivateKey) -> str:
    """``text`` followed by one signature line of the key ``name``."""
    _check_note_text(text)
    public = private.public_key().public_bytes_raw()
    signature = base64.b64encode(key_id(name, public) + private.sign(text.encode())).decode()
    return f"{text}\n\u2014 {name} {signature}\n"


def open_note(note: str, key: VerifierKey) -> str:
    """The text of a signed note, once a signature by ``key`` on it is checked."""
    text, separator, signatures = note.rpartition("\n\n")
    if not separator:
        raise VerificationFailed("this is not a signed note")
    text += "\n"
    _check_note_text(text)
    for line in signatures.splitlines():
        prefix = f"\u2014 {key.name} "
        if not line.startswith(prefix):
            continue
        try:
            raw = base64.b64decode(line[len(prefix) :], validate=True)
        except ValueError:
            continue
        if raw[:4] != key.key_id:
            continue
        try:
            Ed25519PublicKey.from_public_bytes(key.public).verify(raw[4:], text.encode())
        except InvalidSignature:
            raise VerificationFailed(f"the signature of {key.name} does not verify") from None
        return text
    raise VerificationFailed(f"the note carries no signature of {key.name}")


def parse_checkpoint(text: str) -> Checkpoint:
    """The tree head a checkpoint text states (extension lines, if any, are ignored)."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise VerificationFailed("a checkpoint has an origin, a size and a root hash, one a line")
    origin, size_text, root_text = lines[:3]
    if not size_text.isascii() or not size_text.isdigit() or size_text != str(int(size_text)):
        raise VerificationFailed("the checkpoint's size is not a plain decimal number")
    try:
        root_hash = base64.b64decode(root_text, validate=True)
    except ValueError:
        raise VerificationFailed("the checkpoint's root hash is not valid base64") from None
    if len(root_hash) != HASH_SIZE or not origin:
        raise VerificationFailed("the checkpoint's origin or root hash is malformed")
    return Checkpoint(origin, int(size_text), root_hash)


def open_checkpoint(note: str, key: VerifierKey) -> Checkpoint:
    """The tree head of a signed checkpoint, once the signature and the log's name check out."""
    head = parse_checkpoint(open_note(note, key))
    if head.origin != key.name:
        raise VerificationFailed(f"the checkpoint is of {head.origin!r}, not of {key.name!r}")
    return head


def _valid_name(name: str) -> bool:
    return bool(name) and name.isprintable() and " " not in name and "+" not in name


def _check_note_text(text: str) -> None:
    lines = text.split("\n")
    if lines[-1] != "" or not all(line and line.isprintable() for line in lines[:-1]):
        raise VerificationFailed("a note's text is printable lines, each ending in a newline")


# --- Checking a saved head, a proof, a whole log ----------------------------------------------


def check_consistent(
    old: Checkpoint, new: Checkpoint, proof: Sequence[bytes], *, old_note: str, new_note: str
) -> None:
    """Raise :class:`ForkDetected`, quoting both signed heads, unless ``new`` extends ``old``."""
    if old.size > new.size:
        raise ForkDetected(
            f"the log shrank from {old.size} to {new.size} entries: its past was rewritten.\n"
            f"Keep both signed heads as evidence:\n{old_note}\n{new_note}"
        )
    if not verify_consistency(old.size, new.size, old.root, new.root, proof):
        raise ForkDetected(
            f"the log of {new.size} entries does not extend the one of {old.size} entries it "
            f"signed before: the log forked or its past was rewritten.\n"
            f"Keep both signed heads as evidence:\n{old_note}\n{new_note}"
        )


def check_inclusion(
    bundle: dict[str, Any], head: Checkpoint, content: dict[str, Any] | None
) -> str:
    """Check an inclusion proof as the co-op's API hands it out; returns what was shown."""
    public = bundle["envelope"]
    seq, size = int(public["seq"]), int(bundle["size"])
    if size != head.size:
        raise VerificationFailed(f"the proof is for a log of {size} entries, the head {head.size}")
    if content is not None:
        canonical = content["canonical"]
        if envelope(json.loads(canonical), canonical, content["salt"]) != public:
            raise VerificationFailed(f"entry {seq}'s content is not what the log holds")
    path = [_b64(h) for h in bundle["path"]]
    if not verify_inclusion(envelope_leaf(public), seq - 1, size, path, head.root):
        raise VerificationFailed(f"entry {seq} is not in the log of {size} entries")
    shown = "entry and content" if content is not None else "entry"
    return f"{shown} {seq} is in the log of {size} entries"


def audit(head: Checkpoint, envelopes: Iterator[dict[str, Any]]) -> int:
    """Recompute the root from every envelope; returns the number of entries checked."""
    leaves = []
    for seq, public in enumerate(envelopes, start=1):
        if public.get("seq") != seq:
            raise VerificationFailed(f"entry {seq} is missing or out of order")
        leaves.append(envelope_leaf(public))
        if seq == head.size:
            break
    if len(leaves) != head.size or root(leaves) != head.root:
        raise ForkDetected(
            f"the {len(leaves)} entries the log serves do not make the root it signed for "
            f"{head.size} entries"
        )
    return len(leaves)


def _b64(text: str) -> bytes:
    try:
        digest = base64.b64decode(text, validate=True)
    except ValueError:
        raise VerificationFailed("a proof hash is not valid base64") from None
    if len(digest) != HASH_SIZE:
        raise VerificationFailed("a proof hash is not 32 bytes")
    return digest


class Log:
    """A co-op's log API over HTTP(S); ``fetch`` is swappable so tests can call in-process."""

    def __init__(self, base: str, fetch: Callable[[str], bytes] | None = None) -> None:
        self.base = base.rstrip("/") + "/api/log/"
        self._fetch = fetch or _http_get

    def get(self, path: str, **query: int) -> bytes:
        url = self.base + path + (f"?{urllib.parse.urlencode(query)}" if query else "")
        return self._fetch(url)

    def json(self, path: str, **query: int) -> Any:
        return json.loads(self.get(path, **query))

    def envelopes(self) -> Iterator[dict[str, Any]]:
        start = 1
        while True:
            page = self.json("entries", start=start, limit=ENTRIES_PAGE)["entries"]
            yield from page
            if len(page) < ENTRIES_PAGE:
                return
            start += len(page)


def _http_get(url: str) -> bytes:
    if not url.startswith(("https://", "http://")):
        raise VerificationFailed("the log's address must start with https:// or http://")
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (scheme checked)  # nosec B310
        body: bytes = response.read()
        return body


def follow(log: Log, key: VerifierKey, state: Path) -> list[str]:
    """Fetch the log's newest head and check it extends every head kept in ``state``.

    The state file is a witness's memory: heads it has checked, kept as signed notes so that a
    fork can be shown to anyone. Returns what was checked, one line each."""
    note = log.get("checkpoint").decode()
    head = open_checkpoint(note, key)
    kept = json.loads(state.read_text()) if state.exists() else {"heads": []}
    report = [f"signed head: {head.size} entries, root {head.root.hex()}"]
    for old_note in kept["heads"]:
        old = open_checkpoint(old_note, key)
        proof = []
        if 0 < old.size < head.size:
            answer = log.json("proof/consistency", old=old.size, new=head.size)
            proof = [_b64(h) for h in answer["path"]]
        check_consistent(old, head, proof, old_note=old_note, new_note=note)
        report.append(f"extends the head of {old.size} entries kept before")
    kept["heads"] = [*kept["heads"][-9:], note] if note not in kept["heads"] else kept["heads"]
    state.write_text(json.dumps(kept, indent=1))
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; exit status 0 when everything checked, 1 on a failure, 3 on a fork."""
    parser = argparse.ArgumentParser(prog="verifier", description=__doc__.split("\n\n")[0])
    parser.add_argument("--key", required=True, help="the co-op's log key (name+hash+key)")
    parser.add_argument("--log", help="the co-op's address, to check the live log")
    parser.add_argument("--state", type=Path, default=Path("taawun-witness.json"))
    parser.add_argument("--audit", action="store_true", help="recompute the root from every entry")
    parser.add_argument("--entry", type=int, help="check that this entry number is in the log")
    parser.add_argument("--head", type=Path, action="append", default=[], help="a saved head")
    parser.add_argument("--content", type=Path, help="an entry's content and salt (members)")
    parser.add_argument("proof", type=Path, nargs="?", help="a saved proof to check offline")
    args = parser.parse_args(argv)
    try:
        for line in _run(args):
            print(f"ok: {line}")
    except ForkDetected as fork:
        print(f"\n!!! FORK DETECTED !!!\n{fork}", file=sys.stderr)
        return 3
    except (VerificationFailed, OSError, ValueError, KeyError) as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        return 1
    return 0


def _run(args: argparse.Namespace) -> list[str]:
    key = parse_key(args.key)
    content = json.loads(args.content.read_text()) if args.content else None
    if args.log:
        log = Log(args.log)
        report = follow(log, key, args.state)
        head = open_checkpoint(json.loads(args.state.read_text())["heads"][-1], key)
        if args.audit:
            report.append(f"all {audit(head, log.envelopes())} entries make the signed root")
        if args.entry is not None:
            bundle = log.json("proof/inclusion", seq=args.entry, size=head.size)
            report.append(check_inclusion(bundle, head, content))
        return report
    if args.proof is None or not args.head:
        raise VerificationFailed("give --log, or a saved proof with the --head it is checked to")
    notes = [path.read_text() for path in args.head]
    heads = [open_checkpoint(note, key) for note in notes]
    bundle = json.loads(args.proof.read_text())
    if "envelope" in bundle:
        return [check_inclusion(bundle, heads[-1], content)]
    if len(heads) != 2:
        raise VerificationFailed("a consistency proof is checked between two saved heads")
    (old, old_note), (new, new_note) = sorted(zip(heads, notes, strict=True), key=_size)
    if {old.size, new.size} != {int(bundle["old_size"]), int(bundle["new_size"])}:
        raise VerificationFailed("the proof is not between the sizes of the two heads")
    proof = [_b64(h) for h in bundle["path"]]
    check_consistent(old, new, proof, old_note=old_note, new_note=new_note)
    return [f"the log of {new.size} entries extends the one of {old.size} entries"]


def _size(signed: tuple[Checkpoint, str]) -> int:
    return signed[0].size


if __name__ == "__main__":
    sys.exit(main())
