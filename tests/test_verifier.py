"""The standalone verifier: standalone indeed, signed notes to the published vector, and strict
about every byte of keys, notes and checkpoints."""

from __future__ import annotations

import ast
import base64
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

import taawun.verifier
from taawun.verifier import (
    Checkpoint,
    ForkDetected,
    VerificationFailed,
    VerifierKey,
    check_consistent,
    open_checkpoint,
    open_note,
    parse_checkpoint,
    parse_key,
    sign_note,
)

SOURCE = Path(taawun.verifier.__file__)

# The example key and signed note of the Go signed-note package (golang.org/x/mod/sumdb/note).
GO_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZS"
    "NXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)

SIGNER = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"test signer").digest())
KEY = VerifierKey("coop.example/log", SIGNER.public_key().public_bytes_raw())
HEAD = Checkpoint("coop.example/log", 1234, hashlib.sha256(b"a root").digest())


def test_it_imports_only_the_standard_library_and_cryptography() -> None:
    modules = set()
    for node in ast.walk(ast.parse(SOURCE.read_text())):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            modules.add((node.module or "").split(".")[0])
    assert modules - set(sys.stdlib_module_names) == {"cryptography"}


def test_it_runs_as_a_lone_file(tmp_path: Path) -> None:
    copy = tmp_path / "verifier.py"
    copy.write_bytes(SOURCE.read_bytes())
    ran = subprocess.run(  # noqa: S603 (our own interpreter and file)
        [sys.executable, "-I", str(copy), "--key", str(KEY)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert (ran.returncode, ran.stderr) == (
        1,
        "FAILED: give --log, or a saved proof with the --head it is checked to\n",
    )


def test_the_published_signed_note_verifies() -> None:
    key = parse_key(GO_KEY)
    assert (key.name, key.key_id.hex()) == ("PeterNeumann", "c74f20a3")
    assert str(key) == GO_KEY
    assert open_note(GO_NOTE, key) == GO_TEXT


def test_signing_and_opening_a_checkpoint_round_trips() -> None:
    note = sign_note(HEAD.text(), KEY.name, SIGNER)
    assert note.startswith("coop.example/log\n1234\n")
    assert open_checkpoint(note, KEY) == HEAD
    assert parse_key(str(KEY)) == KEY


@given(st.data())
def test_any_changed_bit_of_a_signed_head_is_refused(data: st.DataObject) -> None:
    note = sign_note(HEAD.text(), KEY.name, SIGNER).encode()
    position = data.draw(st.integers(min_value=0, max_value=len(note) - 2), label="byte")
    bit = data.draw(st.integers(min_value=0, max_value=7), label="bit")
    changed = bytearray(note)
    changed[position] ^= 1 << bit
    try:
        text = changed.decode()
    except UnicodeDecodeError:
        return  # not even text: nothing to open
    try:
        opened = open_checkpoint(text, KEY)
    except VerificationFailed:
        return
    # Base64 has slack in its last character's low bits: those decode to the same bytes.
    assert opened == HEAD


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("PeterNeumann+c74f20a3", "not of the form"),
        ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "not of the form"),
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "hash does not"),
        ("PeterNeumann+c74f20a3+AhpjZHZ0EDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "not an Ed25519"),
        ("PeterNeumann+c74f20a3+ARpc2Q==", "not an Ed25519"),
        ("PeterNeumann+c74f20a3+!!", "not valid base64"),
    ],
)
def test_malformed_keys_are_refused(key: str, problem: str) -> None:
    with pytest.raises(VerificationFailed, match=problem):
        parse_key(key)


@pytest.mark.parametrize(
    "text",
    [
        "coop.example/log\n01234\n" + base64.b64encode(HEAD.root).decode() + "\n",
        "coop.example/log\n-1\n" + base64.b64encode(HEAD.root).decode() + "\n",
        "coop.example/log\n1234\n" + base64.b64encode(HEAD.root[:31]).decode() + "\n",
        "coop.example/log\n1234\n" + base64.b64encode(HEAD.root).decode(),
        "\n1234\n" + base64.b64encode(HEAD.root).decode() + "\n",
        "coop.example/log\n1234\n",
    ],
)
def test_malformed_checkpoints_are_refused(text: str) -> None:
    with pytest.raises(VerificationFailed):
        parse_checkpoint(text)


def test_a_head_of_another_log_is_refused_even_if_signed() -> None:
    other = Checkpoint("elsewhere/log", 1, HEAD.root)
    with pytest.raises(VerificationFailed, match="is of 'elsewhere/log'"):
        open_checkpoint(sign_note(other.text(), KEY.name, SIGNER), KEY)


def test_a_shrunk_or_diverging_log_is_a_fork() -> None:
    bigger = Checkpoint(HEAD.origin, 2000, HEAD.root)
    with pytest.raises(ForkDetected, match="shrank from 2000 to 1234"):
        check_consistent(bigger, HEAD, [], old_note="old", new_note="new")
    same_size = Checkpoint(HEAD.origin, 1234, hashlib.sha256(b"other").digest())
    with pytest.raises(ForkDetected, match="Keep both signed heads as evidence:\nold\nnew"):
        check_consistent(same_size, HEAD, [], old_note="old", new_note="new")
