"""Admission of costly searches: they may use only a share of a process's CPU, measured.

Fuzzy words (`word~2`) and prefixes (`kube*`) are allowed, but each costs ten to a hundred
times a plain word. A flood of them would fill every server thread, and every other search
would queue behind it. So a process lets costly searches spend at most `share` of one CPU:
a bucket of CPU seconds, refilled at `share` per second and at most `burst` deep, with at
most `concurrent` of them running at once. When the bucket is empty or every slot is taken,
the search is refused at once with `Overloaded`, which says when to try again. Plain
searches never wait here, and answers already cached never get this far.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable, Iterator

from .errors import Overloaded

DEFAULT_SHARE = 0.1
DEFAULT_BURST = 0.2


class CostlyGate:
    """A per-process budget of CPU time for costly searches."""

    def __init__(
        self,
        *,
        share: float = DEFAULT_SHARE,
        burst: float = DEFAULT_BURST,
        concurrent: int = 1,
        clock: Callable[[], float] = time.monotonic,
        cpu_clock: Callable[[], float] = time.thread_time,
    ) -> None:
        if share <= 0 or burst <= 0 or concurrent < 1:
            raise ValueError("share and burst must be positive and concurrent at least 1")
        self.share = share
        self.burst = burst
        self.concurrent = concurrent
        self._clock = clock
        self._cpu_clock = cpu_clock
        self._lock = threading.Lock()
        self._tokens = burst
        self._refilled_at = clock()
        self._running = 0
        self.admitted = 0
        self.refused = 0

    @contextlib.contextmanager
    def admit(self) -> Iterator[None]:
        """Run the block as one costly search, or raise `Overloaded` without running it."""
        with self._lock:
            self._refill()
            if self._running >= self.concurrent or self._tokens <= 0:
                self.refused += 1
                raise Overloaded(
                    "too many searches with wildcards or fuzzy words are running; try again "
                    "in a moment, or search without * and ~",
                    retry_after=self._retry_after(),
                )
            self._running += 1
            self.admitted += 1
        started = self._cpu_clock()
        try:
            yield
        finally:
            spent = self._cpu_clock() - started
            with self._lock:
                self._running -= 1
                # Charged after the fact: the cost is only known once the search has run, so
                # one search may overdraw the bucket, and the next ones wait for it to refill.
                self._tokens -= spent

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._refilled_at) * self.share)
        self._refilled_at = now

    def _retry_after(self) -> int:
        if self._tokens > 0:
            return 1  # only the slots are taken; one search is short
        return max(1, math.ceil(-self._tokens / self.share))


def unlimited() -> contextlib.AbstractContextManager[None]:
    """What a process without a gate (the command line, tests of the library) runs under."""
    return contextlib.nullcontext()
