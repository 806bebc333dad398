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

# seq (unsigned 64-bit), digest prefix (16 ASCII hex characters), CRC-32 of the two.
_RECORD = struct.Struct("<Q16sI")
CONFIRM_SECONDS = 2.0

Version = tuple[int, str]


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
            seq, digest, check = _RECORD.unpack(self._map[: _RECORD.size])
            if check == zlib.crc32(_RECORD.pack(seq, digest, 0)[:-4]) and seq:
                return seq, digest.decode("ascii")
        return None

    def publish(self, version: Version, *, replace: bool = False) -> None:
        """Put ``version`` in the file if it is newer than the one there (or always, with
        ``replace``). Writers take the file's lock, so the comparison and the write are one."""
        seq, digest = version
        body = _RECORD.pack(seq, digest[:16].encode("ascii"), 0)[:-4]
        record = body + struct.pack("<I", zlib.crc32(body))
        with open(self.path, "rb") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                current = self.read()
                if replace or current is None or current[0] < seq:
                    self._map[: _RECORD.size] = record
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def due_for_confirmation(self) -> bool:
        return time.monotonic() - self.confirmed_at >= CONFIRM_SECONDS

    def confirmed(self) -> None:
        self.confirmed_at = time.monotonic()
