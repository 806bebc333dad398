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
from .rows import append_rows

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
            f"SELECT level, position, digest FROM {TABLE} "  # noqa: S608 (only placeholders)
            f"WHERE (level, position) IN (VALUES {pairs})",
            wanted,
        )
        return {(level, position): bytes(digest) for level, position, digest in cursor}


class _Batch:
    """A node store for one batch of appends: the tree's right edge read up front, the nodes the
    batch makes kept in memory until they are inserted together."""

    def __init__(self, size: int) -> None:
        self.known = fetch(merkle.edge(size))
        self.made: list[merkle.Node] = []

    def get(self, level: int, position: int) -> bytes:
        return self.known[level, position]

    def put(self, nodes: Sequence[merkle.Node]) -> None:
        for node in nodes:
            self.known[node.level, node.position] = node.digest
        self.made += nodes


def extend(size: int, leaf_hashes: Sequence[bytes]) -> None:
    """Append leaves ``size``, ``size + 1``… to the stored tree: one read, one insert."""
    batch = _Batch(size)
    for offset, leaf in enumerate(leaf_hashes):
        merkle.append(batch, size + offset, leaf)
    append_rows(LogNode, ("level", "position", "digest"), batch.made)


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
