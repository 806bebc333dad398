"""The Merkle log against published vectors and a naive transcription of RFC 9162's definitions."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taawun.domain.errors import InvalidInput
from taawun.domain.merkle import (
    EMPTY_ROOT,
    MemoryNodeStore,
    Node,
    append,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    root_at,
    verify_consistency,
    verify_inclusion,
)

# The eight entries of the Certificate Transparency reference tests and the roots of their
# first 1..8 entries.
CT_ENTRIES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

LARGEST = 300


# --- The oracle: RFC 9162 §2.1 read literally, recursive and slow, on the entries themselves.


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def naive_mth(entries: list[bytes]) -> bytes:
    n = len(entries)
    if n == 0:
        return _sha256(b"")
    if n == 1:
        return _sha256(b"\x00" + entries[0])
    k = _split(n)
    return _sha256(b"\x01" + naive_mth(entries[:k]) + naive_mth(entries[k:]))


def naive_path(m: int, entries: list[bytes]) -> list[bytes]:
    n = len(entries)
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return [*naive_path(m, entries[:k]), naive_mth(entries[k:])]
    return [*naive_path(m - k, entries[k:]), naive_mth(entries[:k])]


def naive_subproof(m: int, entries: list[bytes], whole: bool) -> list[bytes]:
    n = len(entries)
    if m == n:
        return [] if whole else [naive_mth(entries)]
    k = _split(n)
    if m <= k:
        return [*naive_subproof(m, entries[:k], whole), naive_mth(entries[k:])]
    return [*naive_subproof(m - k, entries[k:], False), naive_mth(entries[:k])]


def naive_proof(m: int, entries: list[bytes]) -> list[bytes]:
    return naive_subproof(m, entries, True)


# --- A shared log of distinct entries, built once through ``append``.


def entry(number: int) -> bytes:
    return f"entry {number}".encode()


ENTRIES = [entry(number) for number in range(LARGEST)]


@cache
def shared_log() -> MemoryNodeStore:
    store = MemoryNodeStore()
    for size, data in enumerate(ENTRIES):
        append(store, size, leaf_hash(data))
    return store


@cache
def shared_root(size: int) -> bytes:
    return root_at(shared_log(), size)


def build(entries: list[bytes]) -> MemoryNodeStore:
    store = MemoryNodeStore()
    for size, data in enumerate(entries):
        append(store, size, leaf_hash(data))
    return store


def flip(data: bytes, bit: int) -> bytes:
    bit %= len(data) * 8
    changed = bytearray(data)
    changed[bit // 8] ^= 1 << (bit % 8)
    return bytes(changed)


def ceil_log2(n: int) -> int:
    return (n - 1).bit_length()


sizes = st.integers(min_value=1, max_value=LARGEST)


@st.composite
def size_and_index(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(sizes)
    return size, draw(st.integers(min_value=0, max_value=size - 1))


@st.composite
def old_and_new_size(draw: st.DrawFn) -> tuple[int, int]:
    new_size = draw(st.integers(min_value=0, max_value=LARGEST))
    return draw(st.integers(min_value=0, max_value=new_size)), new_size


# --- Known values.


def test_the_hashes_carry_their_domain_prefixes() -> None:
    assert leaf_hash(b"abc") == _sha256(b"\x00abc")
    assert node_hash(b"L" * 32, b"R" * 32) == _sha256(b"\x01" + b"L" * 32 + b"R" * 32)
    assert leaf_hash(b"").hex() == CT_ROOTS[0]


def test_the_empty_tree_hashes_as_the_empty_string() -> None:
    assert EMPTY_ROOT.hex() == EMPTY_SHA256
    assert root([]).hex() == EMPTY_SHA256
    assert root_at(MemoryNodeStore(), 0).hex() == EMPTY_SHA256
    assert naive_mth([]).hex() == EMPTY_SHA256


def test_a_one_leaf_tree_is_its_leaf_hash() -> None:
    store = build([b"only"])
    assert root_at(store, 1) == _sha256(b"\x00only")
    assert root([leaf_hash(b"only")]) == _sha256(b"\x00only")
    assert inclusion_proof(store, 0, 1) == []
    assert verify_inclusion(leaf_hash(b"only"), 0, 1, [], _sha256(b"\x00only"))


@pytest.mark.parametrize("size", range(1, 9))
def test_the_certificate_transparency_vectors(size: int) -> None:
    entries = CT_ENTRIES[:size]
    expected = CT_ROOTS[size - 1]
    assert naive_mth(entries).hex() == expected
    assert root([leaf_hash(data) for data in entries]).hex() == expected
    assert root_at(build(CT_ENTRIES), size).hex() == expected


def test_three_leaves_split_two_and_one() -> None:
    a, b, c = (leaf_hash(data) for data in CT_ENTRIES[:3])
    store = build(CT_ENTRIES[:3])
    assert root_at(store, 3) == node_hash(node_hash(a, b), c)
    assert inclusion_proof(store, 2, 3) == [node_hash(a, b)]
    assert inclusion_proof(store, 0, 3) == [b, c]
    assert consistency_proof(store, 1, 3) == [b, c]
    assert consistency_proof(store, 2, 3) == [c]


def test_an_append_writes_the_leaf_and_the_subtrees_it_completes() -> None:
    a, b, c, d = (leaf_hash(data) for data in CT_ENTRIES[:4])
    store = build(CT_ENTRIES[:3])
    store.reads = 0
    written = append(store, 3, d)
    assert written == [
        Node(0, 3, d),
        Node(1, 1, node_hash(c, d)),
        Node(2, 0, node_hash(node_hash(a, b), node_hash(c, d))),
    ]
    assert store.reads == 2
    assert store.get(2, 0) == written[-1].digest
    assert append(store, 4, a) == [Node(0, 4, a)]


# --- Properties against the oracle.


@given(st.lists(st.binary(max_size=8), max_size=LARGEST), st.data())
def test_the_incremental_root_is_the_merkle_tree_hash(
    entries: list[bytes], data: st.DataObject
) -> None:
    store = build(entries)
    size = data.draw(st.integers(min_value=0, max_value=len(entries)))
    expected = naive_mth(entries[:size])
    assert root_at(store, size) == expected
    assert root([leaf_hash(item) for item in entries[:size]]) == expected


@given(size_and_index())
def test_inclusion_proofs_are_the_rfc_paths_and_verify(case: tuple[int, int]) -> None:
    size, index = case
    proof = inclusion_proof(shared_log(), index, size)
    assert proof == naive_path(index, ENTRIES[:size])
    assert len(proof) <= ceil_log2(size)
    assert verify_inclusion(leaf_hash(ENTRIES[index]), index, size, proof, shared_root(size))


@given(old_and_new_size())
def test_consistency_proofs_are_the_rfc_proofs_and_verify(case: tuple[int, int]) -> None:
    old_size, new_size = case
    proof = consistency_proof(shared_log(), old_size, new_size)
    expected = [] if old_size in (0, new_size) else naive_proof(old_size, ENTRIES[:new_size])
    assert proof == expected
    assert verify_consistency(
        old_size, new_size, shared_root(old_size), shared_root(new_size), proof
    )


def test_every_proof_up_to_the_largest_size_verifies_in_logarithmic_reads() -> None:
    store = shared_log()
    for size in range(1, LARGEST + 1):
        bound = 2 * ceil_log2(size) + 1
        for index in range(size):
            store.reads = 0
            proof = inclusion_proof(store, index, size)
            assert store.reads <= bound, (index, size, store.reads)
            assert verify_inclusion(
                leaf_hash(ENTRIES[index]), index, size, proof, shared_root(size)
            )
        for old_size in range(size + 1):
            store.reads = 0
            proof = consistency_proof(store, old_size, size)
            assert store.reads <= bound, (old_size, size, store.reads)
            assert verify_consistency(
                old_size, size, shared_root(old_size), shared_root(size), proof
            )
        store.reads = 0
        root_at(store, size)
        assert store.reads == size.bit_count()


@given(size_and_index(), st.integers(min_value=0), st.integers(min_value=0))
def test_a_single_flipped_bit_breaks_an_inclusion_proof(
    case: tuple[int, int], target: int, bit: int
) -> None:
    size, index = case
    leaf = leaf_hash(ENTRIES[index])
    proof = inclusion_proof(shared_log(), index, size)
    expected_root = shared_root(size)
    target %= len(proof) + 2
    if target == len(proof):
        leaf = flip(leaf, bit)
    elif target == len(proof) + 1:
        expected_root = flip(expected_root, bit)
    else:
        proof[target] = flip(proof[target], bit)
    assert not verify_inclusion(leaf, index, size, proof, expected_root)


@given(old_and_new_size(), st.integers(min_value=0), st.integers(min_value=0))
def test_a_single_flipped_bit_breaks_a_consistency_proof(
    case: tuple[int, int], target: int, bit: int
) -> None:
    old_size, new_size = case
    proof = consistency_proof(shared_log(), old_size, new_size)
    old_root, new_root = shared_root(old_size), shared_root(new_size)
    # The empty tree is a prefix of every tree: from size 0 the new root is not constrained.
    target %= len(proof) + (1 if old_size == 0 else 2)
    if target == len(proof):
        old_root = flip(old_root, bit)
    elif target == len(proof) + 1:
        new_root = flip(new_root, bit)
    else:
        proof[target] = flip(proof[target], bit)
    assert not verify_consistency(old_size, new_size, old_root, new_root, proof)


@given(size_and_index(), size_and_index())
def test_an_inclusion_proof_holds_only_for_its_own_index_and_size(
    case: tuple[int, int], other: tuple[int, int]
) -> None:
    size, index = case
    other_size, other_index = other
    proof = inclusion_proof(shared_log(), index, size)
    leaf = leaf_hash(ENTRIES[index])
    if other_index != index:
        assert not verify_inclusion(leaf, other_index, size, proof, shared_root(size))
    if other_size != size:
        assert not verify_inclusion(leaf, index, other_size, proof, shared_root(other_size))


@given(old_and_new_size(), old_and_new_size())
def test_a_consistency_proof_holds_only_for_its_own_sizes(
    case: tuple[int, int], other: tuple[int, int]
) -> None:
    proof = consistency_proof(shared_log(), *case)
    old_size, new_size = other
    roots = shared_root(old_size), shared_root(new_size)
    if other != case and verify_consistency(old_size, new_size, *roots, proof):
        # Only the empty proof is shared: by pairs of equal sizes or from the empty tree.
        assert consistency_proof(shared_log(), old_size, new_size) == proof == []


# --- Malformed input: refused when building, rejected when verifying.


def test_a_proof_of_the_wrong_length_is_rejected() -> None:
    proof = inclusion_proof(shared_log(), 5, 13)
    leaf, expected_root = leaf_hash(ENTRIES[5]), shared_root(13)
    assert verify_inclusion(leaf, 5, 13, proof, expected_root)
    assert not verify_inclusion(leaf, 5, 13, proof[:-1], expected_root)
    assert not verify_inclusion(leaf, 5, 13, [*proof, proof[-1]], expected_root)
    consistency = consistency_proof(shared_log(), 5, 13)
    old_root = shared_root(5)
    assert verify_consistency(5, 13, old_root, expected_root, consistency)
    assert not verify_consistency(5, 13, old_root, expected_root, consistency[:-1])
    assert not verify_consistency(5, 13, old_root, expected_root, [*consistency, consistency[0]])
    assert not verify_consistency(5, 13, old_root, expected_root, [])


def test_a_proof_cut_or_padded_cannot_pass_off_another_tree() -> None:
    store = shared_log()
    first, second = leaf_hash(ENTRIES[0]), leaf_hash(ENTRIES[1])
    proof = inclusion_proof(store, 0, 8)
    assert verify_inclusion(first, 0, 2, proof[:1], node_hash(first, second))
    assert not verify_inclusion(first, 0, 8, proof[:1], node_hash(first, second))
    assert not verify_inclusion(first, 0, 1, [second], node_hash(second, first))
    consistency = consistency_proof(store, 2, 8)
    assert verify_consistency(2, 4, shared_root(2), shared_root(4), consistency[:1])
    assert not verify_consistency(2, 8, shared_root(2), shared_root(4), consistency[:1])


def test_verification_rejects_impossible_positions_and_sizes() -> None:
    leaf, expected_root = leaf_hash(ENTRIES[0]), shared_root(1)
    assert verify_inclusion(leaf, 0, 1, [], expected_root)
    assert not verify_inclusion(leaf, 1, 1, [], expected_root)
    assert not verify_inclusion(leaf, -1, 1, [], expected_root)
    assert not verify_inclusion(leaf, 0, 0, [], EMPTY_ROOT)
    four, eight = shared_root(4), shared_root(8)
    proof = consistency_proof(shared_log(), 4, 8)
    assert verify_consistency(4, 8, four, eight, proof)
    assert not verify_consistency(8, 4, eight, four, proof)
    assert not verify_consistency(-4, 8, four, eight, proof)
    assert not verify_consistency(4, 4, four, eight, [])
    assert not verify_consistency(4, 4, four, four, proof)
    assert not verify_consistency(0, 8, four, eight, [])
    assert not verify_consistency(0, 8, EMPTY_ROOT, eight, proof)
    assert verify_consistency(0, 8, EMPTY_ROOT, eight, [])


@pytest.mark.parametrize(
    ("build_proof", "code"),
    [
        (lambda store: inclusion_proof(store, 13, 13), "leaf_index_out_of_range"),
        (lambda store: inclusion_proof(store, -1, 13), "leaf_index_out_of_range"),
        (lambda store: inclusion_proof(store, 0, -1), "negative_tree_size"),
        (lambda store: inclusion_proof(store, 0, 14), "tree_size_beyond_log"),
        (lambda store: consistency_proof(store, 8, 5), "tree_sizes_out_of_order"),
        (lambda store: consistency_proof(store, -1, 5), "negative_tree_size"),
        (lambda store: consistency_proof(store, 5, 14), "tree_size_beyond_log"),
        (lambda store: root_at(store, 14), "tree_size_beyond_log"),
        (lambda store: root_at(store, -1), "negative_tree_size"),
        (lambda store: append(store, 13, b"short"), "bad_leaf_hash"),
        (lambda store: append(store, 12, leaf_hash(b"again")), "node_out_of_order"),
        (lambda store: append(store, 14, leaf_hash(b"gap")), "node_out_of_order"),
    ],
)
def test_building_refuses_malformed_requests(
    build_proof: Callable[[MemoryNodeStore], object], code: str
) -> None:
    store = build(ENTRIES[:13])
    before = [store.get(0, position) for position in range(13)]
    with pytest.raises(InvalidInput) as refusal:
        build_proof(store)
    assert refusal.value.code == code
    assert [store.get(0, position) for position in range(13)] == before
    with pytest.raises(KeyError):
        store.get(0, 13)


def test_a_refused_batch_of_nodes_writes_none_of_them() -> None:
    store = MemoryNodeStore()
    append(store, 0, leaf_hash(b"a"))
    good = Node(0, 1, leaf_hash(b"b"))
    with pytest.raises(InvalidInput) as excinfo:
        store.put([good, Node(1, 5, leaf_hash(b"c"))])
    assert excinfo.value.code == "node_out_of_order"
    assert root_at(store, 1) == leaf_hash(b"a")
    with pytest.raises(InvalidInput):
        root_at(store, 2)


@given(st.lists(st.binary(min_size=32, max_size=32), max_size=70))
def test_a_store_built_at_once_equals_one_built_by_appends(leaves: list[bytes]) -> None:
    appended = MemoryNodeStore()
    for size, leaf in enumerate(leaves):
        append(appended, size, leaf)
    built = MemoryNodeStore.of_leaves(leaves)
    for size in range(len(leaves) + 1):
        assert root_at(built, size) == root_at(appended, size) == root(leaves[:size])
