"""Owner analytics without an outside service: a JSON-lines log of searches, and its summary.

Each line is one search: when, the query text, the filters, how many episodes it found and how
long it took. No client address or other personal data is written. Appends are single
`write` calls on an `O_APPEND` file, so several workers can share one log.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOG_FILE = "queries.jsonl"
MAX_LOG_BYTES = 20 * 1024 * 1024
MAX_LOGGED_QUERY = 200
TYPING_WINDOW = 5.0  # seconds


def record(
    path: Path, *, q: str, filters: dict[str, Any], total: int, ms: float, live: bool = False
) -> None:
    """Append one search to the log; a full or unwritable log never fails the search."""
    line = json.dumps(
        {
            "t": round(time.time(), 3),
            "q": q[:MAX_LOGGED_QUERY],
            "filters": {k: v for k, v in filters.items() if v},
            "total": total,
            "ms": round(ms, 3),
            **({"live": True} if live else {}),
        },
        ensure_ascii=False,
    )
    try:
        if path.exists() and path.stat().st_size > MAX_LOG_BYTES:
            os.replace(path, path.with_suffix(".jsonl.1"))  # keep one older file
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, (line + "\n").encode("utf-8"))
        finally:
            os.close(fd)
    except OSError:
        pass


@dataclass(frozen=True)
class Stats:
    searches: int
    frequent: list[tuple[str, int]]
    empty: list[tuple[str, int]]
    slowest: list[tuple[str, float]]


def summarize(path: Path, *, top: int = 10) -> Stats:
    frequent: Counter[str] = Counter()
    empty: Counter[str] = Counter()
    slowest: dict[str, float] = {}
    searches = 0
    for entry in _settled(_entries(path)):
        searches += 1
        key = _describe(entry)
        frequent[key] += 1
        if entry.get("total") == 0:
            empty[key] += 1
        ms = float(entry.get("ms", 0.0))
        slowest[key] = max(ms, slowest.get(key, 0.0))
    return Stats(
        searches=searches,
        frequent=frequent.most_common(top),
        empty=empty.most_common(top),
        slowest=sorted(slowest.items(), key=lambda kv: -kv[1])[:top],
    )


def _entries(path: Path) -> list[dict[str, Any]]:
    entries = []
    for candidate in (path.with_suffix(".jsonl.1"), path):
        if not candidate.exists():
            continue
        with candidate.open(encoding="utf-8", errors="replace") as handle:
            for line in handle:
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by a crash
                if isinstance(entry, dict):
                    entries.append(entry)
    return entries


def _settled(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop live searches that were only a step in typing: a longer one followed within seconds."""
    entries.sort(key=lambda e: float(e.get("t", 0)))
    kept = []
    for index, entry in enumerate(entries):
        q, t = str(entry.get("q", "")), float(entry.get("t", 0))
        typed_on = entry.get("live") and any(
            str(later.get("q", "")).startswith(q) and str(later.get("q", "")) != q
            for later in entries[index + 1 : index + 20]
            if float(later.get("t", 0)) - t <= TYPING_WINDOW
        )
        if not typed_on:
            kept.append(entry)
    return kept


def _describe(entry: dict[str, Any]) -> str:
    q = str(entry.get("q", "")).strip()
    filters = entry.get("filters") or {}
    parts = [f'"{q}"' if q else "(browse)"]
    if isinstance(filters, dict):
        for name, values in sorted(filters.items()):
            shown = values if isinstance(values, list) else [values]
            parts.append(f"{name}={','.join(map(str, shown))}")
    return " ".join(parts)
