"""The shared-mapping storage: its files read like Whoosh's own, and threads agree on answers."""

from __future__ import annotations

import io
import mmap
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer import SearchIndex, SearchRequest
from indexer.catalog import Catalog
from indexer.mapped import MappedFile

DATA = b"ab\ncd\n\nefgh\x00\x01\x02\x03" * 3


@pytest.fixture
def mapping(tmp_path: Path) -> Iterator[mmap.mmap]:
    path = tmp_path / "data"
    path.write_bytes(DATA)
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        yield mm


def test_a_window_reads_like_bytesio(mapping: mmap.mmap) -> None:
    steps: list[tuple[str, tuple[int, ...]]] = [
        ("readline", ()),
        ("read", (2,)),
        ("readline", (1,)),
        ("readline", (5,)),
        ("seek", (1, os.SEEK_CUR)),
        ("read", ()),
        ("seek", (-3, os.SEEK_END)),
        ("readline", ()),
        ("tell", ()),
        ("seek", (0,)),
        ("read", (100,)),
    ]
    for start in range(5):
        for length in range(len(DATA) - start):
            mapped = MappedFile(mapping, start, length, "x").file
            plain = io.BytesIO(DATA[start : start + length])
            for name, args in steps:
                assert getattr(mapped, name)(*args) == getattr(plain, name)(*args), (
                    start,
                    length,
                    name,
                    args,
                )


def test_subsets_and_position_free_reads(mapping: mmap.mmap) -> None:
    whole = MappedFile(mapping, 0, len(mapping), "x")
    part = whole.subset(3, 8)
    part.seek(2)
    assert part.get(4, 4) == DATA[7:11]
    assert part.tell() == 2  # `get` leaves the position alone, so readers can share a file
    assert list(whole.get_array(11, "H", 1)) == [0x0001]  # big-endian, as Whoosh writes
    assert part.read() == DATA[5:11]


def test_threads_share_one_mapping_and_agree(sample_index: Path) -> None:
    live = SearchIndex(sample_index)
    try:
        generation = live.current()
        requests = [SearchRequest(q=q) for q in ("postgres", "docker", "deploy*", "redis")]
        expected = [generation._search(r) for r in requests]
        answers: list[list[object]] = []

        def run() -> None:
            answers.append([generation._search(r) for r in requests * 5])

        threads = [threading.Thread(target=run) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(generation._searchers) >= 2
        assert answers == [expected * 5] * 4
        assert len(generation._storage._maps) == 1  # one mapping for every thread's searcher
    finally:
        live.close()
    assert not generation._storage._maps


def test_the_catalog_loads_what_it_saved(sample_index: Path) -> None:
    live = SearchIndex(sample_index)
    try:
        catalog = live.current().catalog
    finally:
        live.close()
    again = Catalog.from_json(catalog.to_json())
    assert again == catalog
    assert again.to_json() == catalog.to_json()
