"""`shownotes watch`: new and changed files become searchable within seconds, bursts debounced."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import free_port, wait_until_up

from indexer import BuildReport, SearchIndex, SearchRequest, Sources, build_index
from indexer.watch import watch

from support import write_episode

DEADLINE = 10.0


class Watcher:
    def __init__(self, index_dir: Path, folder: Path) -> None:
        self.reports: list[tuple[BuildReport, set[str]]] = []
        self.errors: list[Exception] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=watch,
            args=(index_dir, Sources(episodes=(folder,))),
            kwargs={
                "debounce": 0.3,
                "on_update": lambda report, changed: self.reports.append((report, changed)),
                "on_error": self.errors.append,
                "stop": self.stop,
            },
            daemon=True,
        )

    def wait_for(self, count: int) -> None:
        started = time.monotonic()
        while len(self.reports) < count and time.monotonic() - started < DEADLINE:
            time.sleep(0.02)
        assert len(self.reports) >= count, f"no update within {DEADLINE} s"


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[tuple[Watcher, Path, Path]]:
    folder, index_dir = tmp_path / "eps", tmp_path / "ix"
    write_episode(folder, "2024-01-01-1-first.md", title="First")
    build_index(index_dir, Sources(episodes=(folder,)))
    watcher = Watcher(index_dir, folder)
    watcher.thread.start()
    time.sleep(0.2)  # let the observer start before the test writes
    yield watcher, folder, index_dir
    watcher.stop.set()
    watcher.thread.join(5)


def test_a_new_file_becomes_searchable(watched: tuple[Watcher, Path, Path]) -> None:
    watcher, folder, index_dir = watched
    write_episode(
        folder, "2024-02-01-2-new.md", title="New", topics=("1:00 -- Kubernetes operators",)
    )
    watcher.wait_for(1)
    report, changed = watcher.reports[0]
    assert report.added == ["podcast/2-new"]
    assert any(p.endswith("2024-02-01-2-new.md") for p in changed)
    live = SearchIndex(index_dir)
    assert live.search(SearchRequest(q="operators")).total == 1
    live.close()


def test_a_burst_of_saves_is_one_update(watched: tuple[Watcher, Path, Path]) -> None:
    watcher, folder, _ = watched
    for n in range(5):
        write_episode(folder, "2024-02-01-2-new.md", title=f"Draft {n}")
        time.sleep(0.03)
    watcher.wait_for(1)
    time.sleep(0.6)
    assert len(watcher.reports) == 1
    assert watcher.reports[0][0].added == ["podcast/2-new"]


def test_a_broken_file_is_reported_and_the_rest_lands(watched: tuple[Watcher, Path, Path]) -> None:
    watcher, folder, _ = watched
    (folder / "2024-03-01-3-bad.md").write_text("---\ntitle: [\n---\n", encoding="utf-8")
    write_episode(folder, "2024-02-01-2-new.md", title="New")
    watcher.wait_for(1)
    report, _ = watcher.reports[0]
    assert report.added == ["podcast/2-new"]
    assert len(report.skipped) == 1 and "2024-03-01-3-bad.md" in report.skipped[0]


def test_serve_watch_finds_a_new_file_without_a_restart(tmp_path: Path) -> None:
    folder, index_dir = tmp_path / "eps", tmp_path / "ix"
    write_episode(folder, "2024-01-01-1-first.md", title="First")
    build_index(index_dir, Sources(episodes=(folder,)))
    port = free_port()
    command = [sys.executable, "-m", "indexer", "serve", "--watch", "--source", str(folder),
               "--index", str(index_dir), "--port", str(port)]  # fmt: skip
    server = subprocess.Popen(
        command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/healthz")
        time.sleep(1.0)  # the watcher starts beside the server
        write_episode(folder, "2024-02-01-2-new.md", title="New", topics=("1:00 -- Quokkas",))
        started = time.monotonic()
        total = 0
        while total == 0 and time.monotonic() - started < DEADLINE:
            with urllib.request.urlopen(base + "/api/search?q=quokkas", timeout=5) as response:
                total = json.loads(response.read())["total"]
            time.sleep(0.05)
        assert total == 1
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)
