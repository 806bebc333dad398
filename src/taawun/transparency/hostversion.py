"""The data version shared through memory by every process on one host.

Reading the version from the database costs a round trip on every request, and on a busy
server that round trip (the wake-up of another process, twice) was most of what a cached page
cost. When every process that writes to the co-op runs on one host (``DATA_VERSION_ON_HOST``),
each one publishes the version in a small memory-mapped file as its transaction commits, and
reading it is a read of shared memory.

The database stays the truth:
- a commit publishes only after it succeeded, and only a version newer than the one there, so
  two commits finishing out of order never move it back;
- each process confirms the file against the database every ``CONFIRM_SECONDS``, and puts the
  database's version there if the file is behind (a process that died between its commit and
  its publishing) or names an entry the trail does not hold (a restored database);
- a record caught half-written fails its checksum and is read again, then from the database.

A write is seen by every request that starts after its response was sent, as before.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import struct
import time
import zlib
from pathlib import Path
from typing import NamedTuple

# The trail's last entry (number, digest prefix), the rules version (number, tag), CRC-32.
_RECORD = struct.Struct("<Q16sQ16sI")
_BODY = _RECORD.size - 4
CONFIRM_SECONDS = 2.0


class Version(NamedTuple):
    """What the data version and the rules version are made of (see ``versioning``)."""

    seq: int
    digest: str  # the first 16 hex digits of the trail's last entry
    rules: int  # how many times roles, memberships, accounts or the policy changed
    rules_tag: str  # the first 16 hex digits of the entry that changed them last

    @classmethod
    def from_row(cls, row: tuple[int, str, int | None, bytes | None]) -> Version:
        seq, digest, rules, tag = row
        return cls(seq, digest[:16], rules or 0, bytes(tag or b"").decode("ascii")[:16])


class HostVersion:
    """One process's view of the shared file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < _RECORD.size:
                os.ftruncate(fd, _RECORD.size)  # zeros: a record that fails its checksum
            self._map = mmap.mmap(fd, _RECORD.size)
        finally:
            os.close(fd)
        self.confirmed_at = float("-inf")

    def read(self) -> Version | None:
        """The version in the file, or ``None`` if there is none yet or it cannot be read."""
        for _attempt in range(3):
            record = self._map[: _RECORD.size]
            seq, digest, rules, tag, check = _RECORD.unpack(record)
            if check == zlib.crc32(record[:_BODY]) and seq:
                return Version(seq, digest.decode("ascii"), rules, tag.decode("ascii"))
        return None

    def publish(self, version: Version, *, replace: bool = False) -> None:
        """Put ``version`` in the file where it is newer than what is there: the trail's part
        and the rules' part each move forward only (or both are replaced, with ``replace``).
        Writers take the file's lock, so the comparison and the write are one."""
        # Opened afresh each time: a descriptor kept from before a fork would be shared with the
        # children, and flock does not keep apart holders of one open file.
        lock = os.open(self.path, os.O_RDONLY)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                current = self.read()
                if not replace and current is not None:
                    if current.seq >= version.seq:
                        version = version._replace(seq=current.seq, digest=current.digest)
                    if current.rules >= version.rules:
                        version = version._replace(rules=current.rules, rules_tag=current.rules_tag)
                    if version == current:
                        return
                body = _RECORD.pack(
                    version.seq,
                    version.digest.encode("ascii"),
                    version.rules,
                    version.rules_tag.encode("ascii"),
                    0,
                )[:_BODY]
                self._map[: _RECORD.size] = body + struct.pack("<I", zlib.crc32(body))
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        finally:
            os.close(lock)

    def due_for_confirmation(self) -> bool:
        return time.monotonic() - self.confirmed_at >= CONFIRM_SECONDS

    def confirmed(self) -> None:
        self.confirmed_at = time.monotonic()
