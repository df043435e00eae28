"""The index directory on disk: generations, the pointer to the live one, and the writer lock.

    index_data/
      CURRENT            the name of the live generation; replaced atomically
      .lock              held (flock) by the one indexer allowed at a time
      gen-000007/        a complete generation: Whoosh, catalog.json, words.json, manifest.json
      gen-000006/        the previous one, kept as a fallback and for readers still holding it
      gen-000005/        older ones are removed a minute after they were replaced
      .building-000008/  a generation being written; never read, removed if left behind

Whoosh commits are atomic but not durable, and `create_in` over a live index shows readers an
empty index, so every build writes a new directory, fsyncs it, and only then switches CURRENT.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import IndexBusy, IndexCorrupt, NoIndex

POINTER = "CURRENT"
LOCK = ".lock"
GENERATION_PREFIX = "gen-"
BUILDING_PREFIX = ".building-"
GENERATION_NAME = re.compile(r"^gen-(?P<seq>\d{6,})$")
SEQUENCE = re.compile(r"^(?:gen-|\.building-)(?P<seq>\d{6,})$")
KEEP_PREVIOUS = 1
# Seconds a replaced generation stays on disk (readers close theirs after 30 s).
RETIRED_GRACE = 60.0


def read_pointer(index_dir: Path) -> str:
    """The live generation's name, or `NoIndex`."""
    try:
        name = (index_dir / POINTER).read_text(encoding="utf-8").strip()
    except FileNotFoundError as exc:
        raise NoIndex(f"no index in {index_dir}; build one with `shownotes index`") from exc
    except OSError as exc:
        raise IndexCorrupt(f"cannot read {index_dir / POINTER}: {exc.strerror}") from exc
    if not GENERATION_NAME.match(name):
        raise IndexCorrupt(f"{index_dir / POINTER} names no generation ({name[:40]!r})")
    return name


def generation_path(index_dir: Path, name: str) -> Path:
    return index_dir / name


@contextlib.contextmanager
def writer_lock(index_dir: Path) -> Iterator[None]:
    """Hold the one-indexer-at-a-time lock, or raise `IndexBusy` at once."""
    index_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(index_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            who = f" (pid {holder})" if holder.isdigit() else ""
            raise IndexBusy(
                f"index in {index_dir} is busy: another indexer is writing it{who}; try again"
            ) from exc
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the flock


def next_generation_name(index_dir: Path) -> str:
    seqs = [0]
    for entry in index_dir.iterdir():
        match = SEQUENCE.match(entry.name)
        if match:
            seqs.append(int(match.group("seq")))
    return f"{GENERATION_PREFIX}{max(seqs) + 1:06d}"


def building_path(index_dir: Path, name: str) -> Path:
    return index_dir / f"{BUILDING_PREFIX}{name.removeprefix(GENERATION_PREFIX)}"


def remove_leftovers(index_dir: Path) -> list[str]:
    """Delete what a killed indexer left behind; call only while holding the lock."""
    removed = []
    for entry in index_dir.iterdir():
        if entry.name.startswith(BUILDING_PREFIX) or entry.name == POINTER + ".tmp":
            remove_path(entry)
            removed.append(entry.name)
    return removed


def fsync_tree(path: Path) -> None:
    for entry in path.iterdir():
        if entry.is_file():
            fd = os.open(entry, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    fsync_dir(path)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(index_dir: Path, building: Path, name: str) -> Path:
    """Make a finished build the live generation: rename it, then switch the pointer."""
    fsync_tree(building)
    final = generation_path(index_dir, name)
    os.rename(building, final)
    tmp = index_dir / (POINTER + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, index_dir / POINTER)
    fsync_dir(index_dir)
    return final


def older_generations(index_dir: Path, name: str) -> list[str]:
    """Generations older than `name`, newest first."""
    return sorted(
        (e.name for e in index_dir.iterdir() if GENERATION_NAME.match(e.name) and e.name < name),
        reverse=True,
    )


def prune(index_dir: Path, live: str, *, grace: float | None = None) -> list[str]:
    """Remove generations older than the live one and the one before it.

    A generation is removed only once its successor has been live for `grace` seconds, so a
    reader that opened it just before a switch can still open its files.
    """
    grace = RETIRED_GRACE if grace is None else grace
    newest_first = older_generations(index_dir, live)
    successors = [live, *newest_first]
    stale = []
    for name, successor in zip(newest_first, successors, strict=False):
        if name in newest_first[:KEEP_PREVIOUS]:
            continue
        if time.time() - _published_at(index_dir / successor) >= grace:
            remove_path(index_dir / name)
            stale.append(name)
    return stale


def _published_at(generation: Path) -> float:
    try:
        return generation.stat().st_mtime
    except OSError:
        return 0.0  # gone or unreadable: long replaced


def remove_path(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
