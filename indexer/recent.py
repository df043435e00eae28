"""A bounded map shared by threads, least recently used entries out first.

Every cache of the project is one of these: a generation's answers, parsed queries, matches
and moments shown (`indexer.search`), and the web app's encoded answers and rendered pages.
Each is bounded by a number of entries and, where entries vary in size, by their total size.
Caches read on every line of a page (a moment's words, a tag's link) are plain dicts emptied
when full instead (`remembered`): no lock, no order to keep, and refilled in a few pages.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


def remembered(cache: dict[K, V], key: K, make: Callable[[], V], *, limit: int) -> V:
    """`cache[key]`, made with `make()` when missing; the cache is emptied when it holds `limit`.

    Safe across threads without a lock: two threads may both make a value, and either is kept.
    """
    found = cache.get(key)
    if found is None:
        found = make()
        if len(cache) >= limit:
            cache.clear()
        cache[key] = found
    return found


class Recent(Generic[K, V]):
    """At most `max_items` entries and, with `size`, at most `max_size` of them in total."""

    def __init__(
        self,
        *,
        max_items: int,
        max_size: int | None = None,
        size: Callable[[V], int] | None = None,
    ) -> None:
        if (max_size is None) != (size is None):
            raise ValueError("max_size and size go together")
        self.max_items = max_items
        self.max_size = max_size
        self._size = size
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._total = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def total_size(self) -> int:
        return self._total

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[0]

    def put(self, key: K, value: V) -> None:
        size = self._size(value) if self._size is not None else 0
        with self._lock:
            replaced = self._entries.pop(key, None)
            self._total += size - (replaced[1] if replaced is not None else 0)
            self._entries[key] = (value, size)
            # The newest entry stays even alone over the size: it is the one being used.
            while len(self._entries) > 1 and self._over():
                _, (_, dropped) = self._entries.popitem(last=False)
                self._total -= dropped

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._total = 0

    def _over(self) -> bool:
        if len(self._entries) > self.max_items:
            return True
        return self.max_size is not None and self._total > self.max_size
