"""Rebuild the index when episode files change: debounced, so a burst of saves is one update."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from .build import EPISODE_SUFFIXES, BuildReport, Sources, build_index
from .errors import IndexBusy, ShownotesError

WATCHED_SUFFIXES = (*EPISODE_SUFFIXES, ".yml", ".yaml")


class _Changes(FileSystemEventHandler):
    """Remembers when an episode-like file last changed."""

    def __init__(self) -> None:
        self.last_change: float | None = None
        self.paths: set[str] = set()
        self.lock = threading.Lock()

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        paths = [str(event.src_path), str(getattr(event, "dest_path", "") or "")]
        relevant = [p for p in paths if p.lower().endswith(WATCHED_SUFFIXES)]
        if not relevant and not event.is_directory:
            return
        with self.lock:
            self.paths.update(p for p in relevant)
            self.last_change = time.monotonic()

    def requeue(self, paths: set[str]) -> None:
        with self.lock:
            self.paths |= paths
            self.last_change = time.monotonic()

    def take_if_quiet(self, debounce: float) -> set[str] | None:
        """The changed paths once nothing has changed for `debounce` seconds, else None."""
        with self.lock:
            if self.last_change is None or time.monotonic() - self.last_change < debounce:
                return None
            paths, self.paths, self.last_change = self.paths, set(), None
            return paths


def watch(
    index_dir: Path,
    sources: Sources,
    *,
    debounce: float = 0.5,
    on_update: Callable[[BuildReport, set[str]], None],
    on_error: Callable[[Exception], None],
    stop: threading.Event | None = None,
    poll: float = 0.1,
) -> None:
    """Watch the sources and update the index after each quiet spell, until `stop` is set."""
    stop = stop or threading.Event()
    changes = _Changes()
    observer = Observer()
    folders = {s if s.is_dir() else s.parent for s in sources.episodes}
    folders |= {p for p in (sources.tags,) if p is not None}
    folders |= {p.parent for p in (sources.config,) if p is not None}
    for folder in folders:
        observer.schedule(changes, str(folder), recursive=True)
    observer.start()
    try:
        while not stop.wait(poll):
            changed = changes.take_if_quiet(debounce)
            if changed is None:
                continue
            try:
                on_update(build_index(index_dir, sources), changed)
            except IndexBusy as exc:
                changes.requeue(changed)  # another indexer is writing: try again shortly
                on_error(exc)
            except (ShownotesError, OSError) as exc:
                on_error(exc)
    finally:
        observer.stop()
        observer.join()
