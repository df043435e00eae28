"""Costly searches (wildcards, fuzzy words) get a share of the CPU; plain ones never wait."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from indexer import CostlyGate, Overloaded, QueryError, SearchIndex, SearchRequest


class Clocks:
    """A wall clock and a CPU clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0
        self.cpu = 0.0

    def gate(self, *, share: float, burst: float) -> CostlyGate:
        return CostlyGate(
            share=share, burst=burst, clock=lambda: self.now, cpu_clock=lambda: self.cpu
        )

    def run(self, gate: CostlyGate, cpu_seconds: float) -> None:
        with gate.admit():
            self.cpu += cpu_seconds


@pytest.mark.parametrize(
    ("text", "costly"),
    [
        ("kube*", True),
        ("kubernets~2", True),
        ("deploy~", True),
        ("redi?", True),
        ("docker AND (deplo* OR redis)", True),
        ("docker", False),
        ('"load balancer"', False),
        ("tag:python redis", False),
        ("redis NOT sidekiq", False),
    ],
)
def test_fuzzy_words_and_wildcards_are_costly(sample_index: Path, text: str, costly: bool) -> None:
    index = SearchIndex(sample_index)
    try:
        assert index.current().check(text).costly is costly
    finally:
        index.close()


def test_refusals_come_before_admission(sample_index: Path) -> None:
    gate = CostlyGate(share=1.0, burst=1.0, concurrent=1)
    index = SearchIndex(sample_index, gate=gate)
    try:
        with gate.admit():
            for refused in ("*a*", "word~9", "x*"):
                with pytest.raises(QueryError):
                    index.search(SearchRequest(q=refused))
        assert gate.refused == 0
    finally:
        index.close()


def test_costly_searches_run_until_their_cpu_share_is_spent() -> None:
    clocks = Clocks()
    gate = clocks.gate(share=0.25, burst=0.25)
    clocks.run(gate, 0.2)
    clocks.run(gate, 0.2)  # the bucket had 0.05 s left: admitted, and now 0.15 s overdrawn
    with pytest.raises(Overloaded) as refused:
        clocks.run(gate, 0.01)
    # 0.15 s of debt refilled at 0.25 s per second: 0.6 s, rounded up to whole seconds.
    assert refused.value.retry_after == 1
    assert (gate.admitted, gate.refused) == (2, 1)


def test_the_bucket_refills_at_the_share_and_no_deeper_than_the_burst() -> None:
    clocks = Clocks()
    gate = clocks.gate(share=0.1, burst=0.2)
    clocks.run(gate, 0.6)  # 0.4 s overdrawn: 4 s at 0.1 s per second
    with pytest.raises(Overloaded) as refused:
        clocks.run(gate, 0.0)
    assert refused.value.retry_after == 4
    clocks.now += 3.9
    with pytest.raises(Overloaded):
        clocks.run(gate, 0.0)
    clocks.now += 0.2
    clocks.run(gate, 0.05)
    clocks.now += 1000.0  # an idle hour saves no more than the burst
    clocks.run(gate, 0.19)
    clocks.run(gate, 0.02)
    with pytest.raises(Overloaded):
        clocks.run(gate, 0.0)


def test_only_so_many_costly_searches_run_at_once() -> None:
    gate = CostlyGate(share=1.0, burst=10.0, concurrent=1)
    with gate.admit():
        with pytest.raises(Overloaded) as refused:
            with gate.admit():
                pass  # pragma: no cover - never entered
        assert refused.value.retry_after == 1
    with gate.admit():
        pass  # the slot is free again once the first search is done


def test_a_failing_search_frees_its_slot_and_is_charged() -> None:
    clocks = Clocks()
    gate = clocks.gate(share=0.25, burst=0.25)
    with pytest.raises(ZeroDivisionError):
        with gate.admit():
            clocks.cpu += 0.3
            _ = 1 / 0
    with pytest.raises(Overloaded):  # charged: 0.05 s overdrawn
        clocks.run(gate, 0.0)
    clocks.now += 0.3
    clocks.run(gate, 0.0)  # and the slot was given back


def test_the_gate_is_safe_across_threads() -> None:
    gate = CostlyGate(share=1.0, burst=1000.0, concurrent=2)
    inside = 0
    most = 0
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def search() -> None:
        nonlocal inside, most
        barrier.wait()
        for _ in range(200):
            try:
                with gate.admit():
                    with lock:
                        inside += 1
                        most = max(most, inside)
                    with lock:
                        inside -= 1
            except Overloaded:
                pass

    threads = [threading.Thread(target=search) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most <= 2
    assert gate.admitted + gate.refused == 8 * 200 and gate.admitted > 0


@pytest.mark.parametrize(
    ("share", "burst", "concurrent"), [(0.0, 1.0, 1), (1.0, -1.0, 1), (1.0, 1.0, 0)]
)
def test_a_gate_without_a_budget_is_a_mistake(share: float, burst: float, concurrent: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        CostlyGate(share=share, burst=burst, concurrent=concurrent)


def test_a_search_index_refuses_costly_searches_while_the_slot_is_taken(
    sample_index: Path,
) -> None:
    gate = CostlyGate(share=1.0, burst=1.0, concurrent=1)
    index = SearchIndex(sample_index, gate=gate)
    try:
        with gate.admit():
            with pytest.raises(Overloaded):
                index.search(SearchRequest(q="deplo*"))
            # Plain searches are never held back.
            assert index.search(SearchRequest(q="deploy")).total > 0
        answer = index.search(SearchRequest(q="deplo*"))
        assert answer.total > 0
        with gate.admit():
            # A costly answer already cached costs nothing, so it is served.
            assert index.search(SearchRequest(q="deplo*")) == answer
    finally:
        index.close()


def test_without_a_gate_nothing_is_refused(sample_index: Path) -> None:
    index = SearchIndex(sample_index)
    try:
        for page in range(1, 4):
            index.search(SearchRequest(q="deplo* postgre~1", page=page))
    finally:
        index.close()
