"""Crash safety: an indexer killed at any point, or out of disk, never breaks the served index."""

from __future__ import annotations

import os
import random
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from indexer import SearchIndex, SearchRequest, Sources, build_index, store

from support import REPO

KILL_RUNS = 30


def make_corpus(folder: Path, copies: int) -> int:
    """The sample episodes `copies` times over, under new numbers: a build worth interrupting."""
    samples = sorted((REPO / "episodes").glob("*.md"))
    count = 0
    for copy in range(copies):
        for number, path in enumerate(samples):
            # Date and number prefix replaced; the rest of the name keeps slugs unique.
            target = folder / f"2020-01-01-{copy * 100 + number}-copy-{copy}-{path.name[11:]}"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
            count += 1
    return count


def index_command(index_dir: Path, source: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "indexer",
        "index",
        "--rebuild",
        "-q",
        "--source",
        str(source),
        "--index",
        str(index_dir),
    ]


def served_total(index_dir: Path) -> int:
    live = SearchIndex(index_dir)
    try:
        return live.search(SearchRequest()).total
    finally:
        live.close()


def test_sigkill_at_random_points_never_breaks_the_served_index(tmp_path: Path) -> None:
    small, large, index_dir = tmp_path / "small", tmp_path / "large", tmp_path / "ix"
    sizes = {make_corpus(small, 1), make_corpus(large, 6)}
    build_index(index_dir, Sources(episodes=(small,)))

    started = time.monotonic()
    subprocess.run(index_command(index_dir, large), check=True, cwd=tmp_path)
    full_run = time.monotonic() - started

    rng = random.Random(20261204)
    outcomes: dict[str, int] = {}
    for run in range(KILL_RUNS):
        source = large if run % 2 else small
        before = store.read_pointer(index_dir)
        process = subprocess.Popen(index_command(index_dir, source), cwd=tmp_path)
        time.sleep(rng.uniform(0.0, full_run))
        process.send_signal(signal.SIGKILL)
        process.wait()
        after = store.read_pointer(index_dir)
        leftovers = [p.name for p in index_dir.iterdir() if p.name.startswith(".building")]
        phase = "switched" if after != before else "writing" if leftovers else "before writing"
        outcomes[phase] = outcomes.get(phase, 0) + 1
        # Whatever the moment, what is served is one complete generation.
        assert served_total(index_dir) in sizes

    finish = subprocess.run(index_command(index_dir, small), cwd=tmp_path)
    assert finish.returncode == 0
    assert [p.name for p in index_dir.iterdir() if p.name.startswith(".building")] == []
    assert served_total(index_dir) == min(sizes)
    # The kills landed in more than one phase of the build.
    assert len(outcomes) >= 2, outcomes
    print(f"kill outcomes over {KILL_RUNS} runs: {outcomes}")


@pytest.mark.skipif(not hasattr(resource, "RLIMIT_FSIZE"), reason="needs RLIMIT_FSIZE")
def test_a_full_disk_fails_cleanly(tmp_path: Path) -> None:
    source, index_dir = tmp_path / "eps", tmp_path / "ix"
    count = make_corpus(source, 2)
    build_index(index_dir, Sources(episodes=(REPO / "episodes",)))
    before = store.read_pointer(index_dir)

    def small_disk() -> None:
        # Writes past 64 KiB fail with EFBIG instead of killing the process.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    result = subprocess.run(
        index_command(index_dir, source),
        cwd=tmp_path,
        preexec_fn=small_disk,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert result.returncode == 1
    assert "cannot write the index" in result.stderr and "File too large" in result.stderr
    assert store.read_pointer(index_dir) == before
    assert [p.name for p in index_dir.iterdir() if p.name.startswith(".building")] == []
    assert served_total(index_dir) == 15 != count
    # The lock was released: the next run (with room) completes.
    assert subprocess.run(index_command(index_dir, source), cwd=tmp_path).returncode == 0
    assert served_total(index_dir) == count
