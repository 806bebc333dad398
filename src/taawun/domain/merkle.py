"""The transparency log's Merkle tree (pure): hashes, appends, proofs and their verification.

The tree is the one of RFC 9162 §2.1: a leaf hashes as SHA-256(0x00 ‖ entry), an inner node as
SHA-256(0x01 ‖ left ‖ right), and the tree of n leaves splits at the largest power of two smaller
than n, so every left subtree is perfect and only the right edge is ragged.

What is stored is every **complete subtree**: node (level, position) is the hash of the perfect
subtree of 2**level leaves starting at leaf position * 2**level. Those hashes never change once
written, so the store is append-only like the log itself. An append writes the leaf and the
complete subtrees it closes (at most log2 n + 1 nodes); the hash of any prefix, and every proof
element, is a fold of at most log2 n + 1 stored nodes, so roots and proofs need O(log n) reads
whatever the size of the log.

The hashes and the proof verifiers come from :mod:`taawun.verifier`, the standalone checker
anyone can run: the log is built with the very functions that check it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple, Protocol, TypeVar

from taawun.verifier import (
    EMPTY_ROOT,
    HASH_SIZE,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

from .errors import InvalidInput, gettext_noop

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "leaf_hash",
    "node_hash",
    "root",
    "verify_consistency",
    "verify_inclusion",
]

T = TypeVar("T")


class Node(NamedTuple):
    """The hash of the complete subtree of 2**level leaves from leaf position * 2**level."""

    level: int
    position: int
    digest: bytes


class NodeStore(Protocol):
    """Where complete-subtree hashes live: a dict in tests, a table in the database."""

    def get(self, level: int, position: int) -> bytes:
        """The hash of node (level, position); raises ``KeyError`` if it was never written."""
        ...

    def put(self, nodes: Sequence[Node]) -> None:
        """Write the nodes one append created (in one go, so a table can insert them at once)."""
        ...


def append(store: NodeStore, size: int, new_leaf_hash: bytes) -> list[Node]:
    """Add leaf number ``size`` and the complete subtrees it closes; return the nodes written.

    ``size`` is the number of leaves already in the store. Each trailing one bit of ``size`` is a
    perfect left sibling the new leaf completes, so the work is O(log n) reads and hashes.
    """
    _check_size(size)
    if len(new_leaf_hash) != HASH_SIZE:
        raise InvalidInput(
            "bad_leaf_hash",
            gettext_noop("A leaf hash is %(expected)s bytes, not %(actual)s."),
            expected=HASH_SIZE,
            actual=len(new_leaf_hash),
        )
    nodes = [Node(0, size, new_leaf_hash)]
    position, digest = size, new_leaf_hash
    while position & 1:
        digest = node_hash(_read(store, nodes[-1].level, position - 1), digest)
        position >>= 1
        nodes.append(Node(nodes[-1].level + 1, position, digest))
    store.put(nodes)
    return nodes


def edge(size: int) -> list[tuple[int, int]]:
    """The complete subtrees a tree of ``size`` leaves ends in, largest first: all the stored
    nodes any number of further appends will read, so a batch can fetch them at once."""
    _check_size(size)
    nodes, start = [], 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            nodes.append((level, start >> level))
            start += 1 << level
    return nodes


def prefetched(
    fetch: Callable[[Iterable[tuple[int, int]]], dict[tuple[int, int], bytes]],
    compute: Callable[[NodeStore], T],
) -> T:
    """Run ``compute`` (a root, a proof) with every node it reads fetched in one go.

    Which nodes a root or a proof reads depends only on the sizes and indexes asked for, never
    on the hashes, so a first run over placeholder hashes lists them, ``fetch`` reads them all at
    once (one query instead of dozens), and a second run computes the real result.
    """
    wanted = _Wanted()
    compute(wanted)
    return compute(_Fetched(fetch(wanted.nodes)))


def root_at(store: NodeStore, size: int) -> bytes:
    """The root of the first ``size`` leaves (a past or the current tree head)."""
    _check_size(size)
    return _range_hash(store, 0, size)


def inclusion_proof(store: NodeStore, index: int, size: int) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of ``size`` leaves (RFC 9162 §2.1.3.1).

    Walks PATH(m, D[n]) from the top: going left records the right subtree's hash, going right
    the (perfect) left subtree's; the RFC lists them leaf-side first, hence the reversal.
    """
    _check_size(size)
    if not 0 <= index < size:
        raise InvalidInput(
            "leaf_index_out_of_range",
            gettext_noop("Leaf %(index)s is not in a log of %(size)s entries."),
            index=index,
            size=size,
        )
    path = []
    start, count, offset = 0, size, index
    while count > 1:
        split = _largest_power_of_two_below(count)
        if offset < split:
            path.append(_range_hash(store, start + split, count - split))
            count = split
        else:
            path.append(_range_hash(store, start, split))
            start, count, offset = start + split, count - split, offset - split
    path.reverse()
    return path


def consistency_proof(store: NodeStore, old_size: int, new_size: int) -> list[bytes]:
    """The proof that the first ``old_size`` leaves are unchanged in the tree of ``new_size``.

    Walks PROOF(m, D[n]) = SUBPROOF(m, D[n], true) of RFC 9162 §2.1.4.1 from the top. The proof
    opens with the subtree hash the old tree ends in, except when the old tree is itself a
    perfect subtree on the new tree's left edge: its hash is then the old root, which the
    verifier already has. Empty when there is nothing to prove: the old tree is empty or the
    same size.
    """
    _check_size(old_size)
    if new_size < old_size:
        raise InvalidInput(
            "tree_sizes_out_of_order",
            gettext_noop(
                "The older tree (%(old)s entries) cannot be larger than the newer one "
                "(%(new)s entries)."
            ),
            old=old_size,
            new=new_size,
        )
    proof = []
    if 0 < old_size < new_size:
        start, count, old_count, on_left_edge = 0, new_size, old_size, True
        while old_count != count:
            split = _largest_power_of_two_below(count)
            if old_count <= split:
                proof.append(_range_hash(store, start + split, count - split))
                count = split
            else:
                proof.append(_range_hash(store, start, split))
                start, count, old_count = start + split, count - split, old_count - split
                on_left_edge = False
        if not on_left_edge:
            proof.append(_range_hash(store, start, count))
        proof.reverse()
    return proof


class MemoryNodeStore:
    """A :class:`NodeStore` in memory: one contiguous byte row per level, counting reads.

    Nodes arrive in position order within a level, so a level is a ``bytearray`` of 32-byte slots:
    a log of ten million leaves fits in about 640 MB instead of gigabytes of small objects.
    """

    def __init__(self) -> None:
        self._levels: list[bytearray] = []
        self.reads = 0

    @classmethod
    def of_leaves(cls, leaf_hashes: Sequence[bytes]) -> MemoryNodeStore:
        """The whole tree over ``leaf_hashes`` at once, level by level: an audit rebuilds a log
        this way many times faster than one checked append per leaf."""
        store = cls()
        level = b"".join(leaf_hashes)
        while level:
            store._levels.append(bytearray(level))
            pairs = len(level) // (2 * HASH_SIZE)
            level = b"".join(
                node_hash(level[i : i + HASH_SIZE], level[i + HASH_SIZE : i + 2 * HASH_SIZE])
                for i in range(0, pairs * 2 * HASH_SIZE, 2 * HASH_SIZE)
            )
        return store

    def get(self, level: int, position: int) -> bytes:
        """The node's hash; counts the read so tests can bound the work a proof does."""
        self.reads += 1
        start = position * HASH_SIZE
        if level >= len(self._levels) or not 0 <= start < len(self._levels[level]):
            raise KeyError((level, position))
        return bytes(self._levels[level][start : start + HASH_SIZE])

    def put(self, nodes: Sequence[Node]) -> None:
        """Write the next node of each level; anything else would rewrite or skip history.
        All the nodes are checked before any is written, so a refused batch leaves nothing."""
        sizes = [len(stored) // HASH_SIZE for stored in self._levels]
        for level, position, digest in nodes:
            if level == len(sizes):
                sizes.append(0)
            if level > len(sizes) or sizes[level] != position or len(digest) != HASH_SIZE:
                raise InvalidInput(
                    "node_out_of_order",
                    gettext_noop(
                        "Log node (%(level)s, %(position)s) is not the next one to write."
                    ),
                    level=level,
                    position=position,
                )
            sizes[level] += 1
        for level, _position, digest in nodes:
            if level == len(self._levels):
                self._levels.append(bytearray())
            self._levels[level] += digest


class _Wanted:
    """A store that answers every read with a placeholder and remembers what was read."""

    def __init__(self) -> None:
        self.nodes: set[tuple[int, int]] = set()

    def get(self, level: int, position: int) -> bytes:
        self.nodes.add((level, position))
        return EMPTY_ROOT

    def put(self, nodes: Sequence[Node]) -> None:
        raise TypeError("reads only")


class _Fetched:
    """A read-only store over nodes fetched in advance."""

    def __init__(self, nodes: dict[tuple[int, int], bytes]) -> None:
        self._nodes = nodes

    def get(self, level: int, position: int) -> bytes:
        return self._nodes[level, position]

    def put(self, nodes: Sequence[Node]) -> None:
        raise TypeError("reads only")


def _range_hash(store: NodeStore, start: int, count: int) -> bytes:
    """The Merkle tree hash of leaves [start, start + count) from stored complete subtrees.

    Valid for the subtrees the RFC's recursion visits, whose start is a multiple of a power of
    two at least ``count``: then the binary digits of ``count`` cut the range into stored perfect
    subtrees, largest first, and folding them from the right rebuilds the ragged edge.
    """
    parts = []
    while count:
        level = count.bit_length() - 1
        parts.append(_read(store, level, start >> level))
        start += 1 << level
        count -= 1 << level
    if not parts:
        return EMPTY_ROOT
    digest = parts.pop()
    while parts:
        digest = node_hash(parts.pop(), digest)
    return digest


def _read(store: NodeStore, level: int, position: int) -> bytes:
    try:
        return store.get(level, position)
    except KeyError:
        raise InvalidInput(
            "tree_size_beyond_log",
            gettext_noop("The log does not have that many entries yet."),
        ) from None


def _largest_power_of_two_below(count: int) -> int:
    return 1 << ((count - 1).bit_length() - 1)


def _check_size(size: int) -> None:
    if size < 0:
        raise InvalidInput(
            "negative_tree_size",
            gettext_noop("A log size cannot be negative: %(size)s."),
            size=size,
        )
