"""Indexing benchmarks for one corpus, in a process of their own (so peak memory is its own).

    python bench/builds.py --name 1000 --source DIR --index OUT --work DIR --repeat 3 \
        --incremental 3 --json result.json

1. Full builds: `build_index` into a fresh directory, `--repeat` times; the last one is kept
   as `--index` (the index every later benchmark reads).
2. Incremental updates on a copy of it (generation files hard-linked, as the indexer does):
   add one episode, edit it, remove it, and an update where nothing changed, `--incremental`
   times. After each add, the time until a `SearchIndex` that was already open (as in a server)
   answers a search for the new episode is measured too.

Every build reads the corpus plus an `extra` folder, empty for the full builds, where the
added episode goes; the corpus itself is never written.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from common import summary, write_json
from generate import extra_episode

from indexer import SearchIndex, SearchRequest, Sources, build_index
from indexer.cli import resolve_sources


def sources_for(source: Path, extra: Path) -> Sources:
    """The corpus (a folder of episodes or a Jekyll site) plus the `extra` folder."""
    resolved = resolve_sources((source,), None, None)
    return Sources(episodes=(*resolved.episodes, extra), tags=resolved.tags, config=resolved.config)


def full_builds(sources: Sources, index: Path, work: Path, repeat: int) -> dict[str, Any]:
    seconds: list[float] = []
    cpu: list[float] = []
    last: Path | None = None
    report = None
    for run in range(repeat):
        target = work / f"full-{run}"
        shutil.rmtree(target, ignore_errors=True)
        gc.collect()
        cpu_started = time.process_time()
        started = time.perf_counter()
        report = build_index(target, sources)
        seconds.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
        if last is not None:
            shutil.rmtree(last)
        last = target
        print(f"  full build {run + 1}/{repeat}: {seconds[-1]:.2f} s", file=sys.stderr)
    assert last is not None and report is not None
    shutil.rmtree(index, ignore_errors=True)
    index.parent.mkdir(parents=True, exist_ok=True)
    os.replace(last, index)
    size = sum(p.stat().st_size for p in index.rglob("*") if p.is_file())
    return {
        "episodes": report.episodes,
        "segments": report.segments,
        "skipped": len(report.skipped),
        "seconds": summary(seconds),
        "cpu_seconds": summary(cpu),
        "samples": seconds,
        "index_bytes": size,
    }


def copy_index(source: Path, target: Path) -> None:
    """A private copy: Whoosh segment files hard-linked (never rewritten), the rest copied."""
    shutil.rmtree(target, ignore_errors=True)

    def link_or_copy(src: str, dst: str) -> None:
        if src.endswith(".seg"):
            os.link(src, dst)
        else:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, copy_function=link_or_copy)


def incremental(
    sources: Sources, index: Path, work: Path, extra: Path, repeat: int, seed: int
) -> dict[str, Any]:
    scratch = work / "incremental"
    copy_index(index, scratch)
    live = SearchIndex(scratch)
    live.current()
    timings: dict[str, list[float]] = {
        "add": [],
        "add_searchable": [],
        "reopen": [],
        "edit": [],
        "remove": [],
        "unchanged": [],
    }
    try:
        for run in range(repeat):
            marker = f"benchmarker{seed}x{run}"
            name, text = extra_episode(seed, 90_000 + run)
            text = text.replace(
                "## Topics Include\n\n", f"## Topics Include\n\n- 0:30 -- {marker}\n"
            )
            path = extra / name

            path.write_text(text, encoding="utf-8")
            gc.collect()
            started = time.perf_counter()
            report = build_index(scratch, sources)
            built = time.perf_counter()
            found = live.current()._search(SearchRequest(q=marker).validated())
            answered = time.perf_counter()
            assert report.added and found.total == 1, (report.added, found.total)
            timings["add"].append(built - started)
            timings["add_searchable"].append(answered - started)
            timings["reopen"].append(answered - built)

            path.write_text(text.replace(marker, marker + " edited"), encoding="utf-8")
            started = time.perf_counter()
            report = build_index(scratch, sources)
            timings["edit"].append(time.perf_counter() - started)
            assert len(report.updated) == 1, report.updated

            path.unlink()
            started = time.perf_counter()
            report = build_index(scratch, sources)
            timings["remove"].append(time.perf_counter() - started)
            assert len(report.removed) == 1, report.removed

            started = time.perf_counter()
            report = build_index(scratch, sources)
            timings["unchanged"].append(time.perf_counter() - started)
            assert not report.changed_index
            print(
                f"  incremental {run + 1}/{repeat}: add {timings['add'][-1] * 1000:.0f} ms, "
                f"searchable {timings['add_searchable'][-1] * 1000:.0f} ms, "
                f"edit {timings['edit'][-1] * 1000:.0f} ms",
                file=sys.stderr,
            )
    finally:
        live.close()
        for leftover in extra.glob("*.md"):
            leftover.unlink()
        shutil.rmtree(scratch, ignore_errors=True)
    return {name: summary(values) for name, values in timings.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description="Indexing benchmarks for one corpus.")
    parser.add_argument("--name", required=True)
    parser.add_argument("--source", type=Path, required=True)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--incremental", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args()

    work = args.work / args.name
    extra = work / "extra"
    shutil.rmtree(work, ignore_errors=True)
    extra.mkdir(parents=True)
    sources = sources_for(args.source, extra)
    result: dict[str, Any] = {"name": args.name}
    try:
        result["full"] = full_builds(sources, args.index, work, args.repeat)
        result["full_peak_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if args.incremental:
            result["incremental"] = incremental(
                sources, args.index, work, extra, args.incremental, args.seed
            )
        result["peak_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    finally:
        shutil.rmtree(work, ignore_errors=True)
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
