"""The bounded map behind every cache: by count, by total size, least recently used out first."""

from __future__ import annotations

import threading

import pytest

from indexer.recent import Recent, remembered


def test_the_least_recently_used_entry_goes_first() -> None:
    recent: Recent[str, int] = Recent(max_items=2)
    recent.put("a", 1)
    recent.put("b", 2)
    assert recent.get("a") == 1  # now "b" is the oldest
    recent.put("c", 3)
    assert (recent.get("a"), recent.get("b"), recent.get("c")) == (1, None, 3)
    assert len(recent) == 2


def test_the_total_size_is_kept_and_the_newest_entry_stays() -> None:
    recent: Recent[str, bytes] = Recent(max_items=100, max_size=10, size=len)
    recent.put("a", b"1234")
    recent.put("b", b"1234")
    recent.put("c", b"1234")  # 12 > 10: "a" goes
    assert recent.get("a") is None and recent.total_size == 8
    recent.put("big", b"x" * 50)  # alone over the budget, but the one just made
    assert recent.get("big") == b"x" * 50 and len(recent) == 1 and recent.total_size == 50
    recent.put("big", b"xy")  # replaced: its old size no longer counts
    assert recent.total_size == 2
    recent.clear()
    assert len(recent) == 0 and recent.total_size == 0


def test_a_size_needs_a_budget() -> None:
    with pytest.raises(ValueError, match="together"):
        Recent(max_items=1, size=len)


def test_threads_share_one_map() -> None:
    recent: Recent[int, int] = Recent(max_items=50, max_size=1000, size=lambda v: v)

    def work(offset: int) -> None:
        for n in range(2000):
            recent.put(offset + n % 97, n % 30)
            recent.get(offset + n % 89)

    threads = [threading.Thread(target=work, args=(k * 1000,)) for k in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(recent) <= 50 and recent.total_size <= 1000
    assert recent.total_size == sum(recent.get(k) or 0 for k in list(recent._entries))  # noqa: SLF001


def test_remembered_makes_once_and_empties_when_full() -> None:
    made: list[str] = []

    def make(key: str) -> str:
        made.append(key)
        return key.upper()

    cache: dict[str, str] = {}
    assert remembered(cache, "a", lambda: make("a"), limit=2) == "A"
    assert remembered(cache, "a", lambda: make("a"), limit=2) == "A"
    remembered(cache, "b", lambda: make("b"), limit=2)
    remembered(cache, "c", lambda: make("c"), limit=2)  # full: emptied, then "c" kept
    assert made == ["a", "b", "c"] and cache == {"c": "C"}
