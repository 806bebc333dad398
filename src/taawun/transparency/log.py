"""The Merkle log in the database: :mod:`taawun.domain.merkle` over the ``LogNode`` table.

Appends happen inside ``audit.write``, in the transaction of the actions being recorded and
under the audit counter's row lock, so the tree always holds exactly the committed entries and
two transactions never extend it at once. Reads fetch every node a root or a proof needs in one
query (``merkle.prefetched``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection

from taawun.domain import merkle

from .models import Counter, LogNode
from .rows import Batch, append_rows

TABLE = LogNode._meta.db_table


def fetch(positions: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """The stored hashes of the nodes at ``positions``, in one query.

    Written out rather than through the ORM: building the composite-key lookup costs the ORM
    more than the database spends answering it, and every append and proof asks it."""
    wanted = [number for node in positions for number in node]
    if not wanted:
        return {}
    pairs = ", ".join(["(%s, %s)"] * (len(wanted) // 2))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT level, position, digest FROM {TABLE} "  # noqa: S608 (only placeholders)  # nosec B608
            f"WHERE (level, position) IN (VALUES {pairs})",
            wanted,
        )
        return {(level, position): bytes(digest) for level, position, digest in cursor}


NODE_COLUMNS = ("level", "position", "digest")
COUNTER = Counter._meta.db_table
ADVANCE = f"UPDATE {COUNTER} SET last = last + %s WHERE name = 'audit' RETURNING last, edge"  # noqa: S608  # nosec B608
STORE_EDGE = f"UPDATE {COUNTER} SET edge = %s WHERE name = 'audit'"  # noqa: S608  # nosec B608


class _Batch:
    """A node store for one batch of appends: the tree's right edge known up front, the nodes
    the batch makes kept in memory until they are inserted together."""

    def __init__(self, edge: dict[tuple[int, int], bytes]) -> None:
        self.known = edge
        self.made: list[merkle.Node] = []

    def get(self, level: int, position: int) -> bytes:
        return self.known[level, position]

    def put(self, nodes: Sequence[merkle.Node]) -> None:
        for node in nodes:
            self.known[node.level, node.position] = node.digest
        self.made += nodes


def packed_edge(size: int, known: dict[tuple[int, int], bytes]) -> bytes:
    """The edge of the tree of ``size`` leaves as the counter keeps it: the size, then the
    hashes, so a copy can never be taken for the edge of another tree."""
    return size.to_bytes(8, "big") + b"".join(known[node] for node in merkle.edge(size))


def unpacked(size: int, packed: bytes) -> dict[tuple[int, int], bytes] | None:
    """The edge of the tree of ``size`` leaves from the counter's packed copy; None when the
    copy is of another tree (or none was kept yet), so the caller reads the nodes instead."""
    positions = merkle.edge(size)
    hashes = packed[8:]
    if packed[:8] != size.to_bytes(8, "big") or len(hashes) != merkle.HASH_SIZE * len(positions):
        return None
    return {
        node: hashes[i * merkle.HASH_SIZE : (i + 1) * merkle.HASH_SIZE]
        for i, node in enumerate(positions)
    }


def grown(
    size: int, leaf_hashes: Sequence[bytes], edge: dict[tuple[int, int], bytes] | None = None
) -> tuple[Batch, bytes]:
    """What appending leaves ``size``, ``size + 1``… adds to the stored tree: its nodes, as
    rows to insert, and the new tree's edge, packed for the counter. ``edge`` is the tree's
    edge when the caller has it already."""
    batch = _Batch(fetch(merkle.edge(size)) if edge is None else edge)
    for offset, leaf in enumerate(leaf_hashes):
        merkle.append(batch, size + offset, leaf)
    return (LogNode, NODE_COLUMNS, batch.made), packed_edge(size + len(leaf_hashes), batch.known)


def extend(size: int, leaf_hashes: Sequence[bytes]) -> None:
    """Append leaves ``size``, ``size + 1``… to the stored tree: one read, one insert, and the
    new edge kept with the audit counter."""
    nodes, packed = grown(size, leaf_hashes)
    append_rows(nodes, then=(STORE_EDGE, [packed]))


def size() -> int:
    """The number of entries in the log (the audit counter, which moves with the tree)."""
    last = Counter.objects.filter(name="audit").values_list("last", flat=True).first()
    return int(last or 0)


def root_at(tree_size: int) -> bytes:
    return merkle.prefetched(fetch, lambda store: merkle.root_at(store, tree_size))


def inclusion_proof(index: int, tree_size: int) -> list[bytes]:
    return merkle.prefetched(fetch, lambda store: merkle.inclusion_proof(store, index, tree_size))


def consistency_proof(old_size: int, new_size: int) -> list[bytes]:
    return merkle.prefetched(
        fetch, lambda store: merkle.consistency_proof(store, old_size, new_size)
    )
