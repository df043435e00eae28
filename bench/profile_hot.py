"""Profiles of the paths the benchmarks time, to see where the time goes (cProfile, stdlib).

    python bench/profile_hot.py search   --index bench/.cache/index-real
    python bench/profile_hot.py json     --index bench/.cache/index-real
    python bench/profile_hot.py http     --index bench/.cache/index-real [--html] [--warm]
    python bench/profile_hot.py build    --source ../shared/corpus/runninginproduction
    python bench/profile_hot.py add      --source ../shared/corpus/runninginproduction
    python bench/profile_hot.py add      --source bench/.cache/corpus-10000-seed1 \
                                         --index bench/.cache/index-10000
    python bench/profile_hot.py open     --index bench/.cache/index-10000
    python bench/profile_hot.py memory   --index bench/.cache/index-10000

Prints the top functions by own time and by cumulative time. `memory` prints the largest
allocation sites (tracemalloc) of an opened index instead. Nothing here changes the project.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import pstats
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from builds import copy_index, sources_for
from common import fresh_workload, workload
from generate import extra_episode

from indexer import SearchIndex, SearchRequest, build_index
from indexer.documents import search_document


def popular_tags(index: SearchIndex) -> list[str]:
    sets = index.current().catalog.facet_sets["tag"]
    return [tag for tag, _ in Counter({t: len(ids) for t, ids in sets.items()}).most_common(40)]


def requests_for(index: SearchIndex, count: int, *, new_words: bool = False) -> list[SearchRequest]:
    tags = popular_tags(index)
    queries = fresh_workload(index.path, tags, count) if new_words else workload(tags, count)
    out = []
    for query in queries:
        filters: dict[str, Any] = dict(query.filters)
        out.append(SearchRequest(q=query.q, **filters).validated())
    return out


def profiled(call: Callable[[], Any], top: int, label: str) -> None:
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    call()
    profile.disable()
    elapsed = time.perf_counter() - started
    print(f"# {label}: {elapsed:.3f} s under the profiler\n")
    for order in ("tottime", "cumulative"):
        text = io.StringIO()
        pstats.Stats(profile, stream=text).strip_dirs().sort_stats(order).print_stats(top)
        print(f"## by {order}\n")
        print(text.getvalue().split("\n\n", 1)[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "what", choices=["search", "json", "http", "build", "add", "open", "memory"]
    )
    parser.add_argument("--index", type=Path)
    parser.add_argument("--source", type=Path)
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--html", action="store_true", help="http: the HTML page, not JSON")
    parser.add_argument("--warm", action="store_true", help="http: answers already cached")
    parser.add_argument(
        "--new-words", action="store_true", help="search, json, http: each search a new word"
    )
    args = parser.parse_args()

    if args.what in ("search", "json"):
        index = SearchIndex(args.index)
        generation = index.current()
        searches = requests_for(index, args.count, new_words=args.new_words)
        generation._search(searches[0])  # the thread's searcher, first-call effects
        generation.forget_searches()

        def run() -> None:
            for request in searches:
                result = generation._search(request)
                if args.what == "json":
                    json.dumps(search_document(result))

        profiled(run, args.top, f"{len(searches)} word + tag searches ({args.what})")
    elif args.what == "http":
        from webapp import create_app

        app = create_app({"INDEX_DIR": str(args.index), "TESTING": True})
        client = app.test_client()
        index = SearchIndex(args.index)
        searches = requests_for(index, args.count, new_words=args.new_words)
        prefix = "/search" if args.html else "/api/search"
        paths = [f"{prefix}?q={r.q}&tag={r.tag[0]}" for r in searches]
        client.get("/api/search?q=qqwarmup")
        if args.warm:
            # A few searches, each answered once before, as the warm HTTP runs ask.
            paths = paths[:8] * max(1, len(paths) // 8)
            for path in paths[:8]:
                client.get(path)

        def run() -> None:
            for path in paths:
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)

        kind = ("HTML" if args.html else "JSON") + (" warm" if args.warm else " uncached")
        profiled(run, args.top, f"{len(paths)} requests, {kind}, Flask test client")
    elif args.what in ("build", "add"):
        with tempfile.TemporaryDirectory() as scratch:
            work = Path(scratch)
            extra = work / "extra"
            extra.mkdir()
            # The manifest keys files by path: the same spelling as run.py's (absolute).
            sources = sources_for(args.source.resolve(), extra)
            if args.what == "build":
                profiled(lambda: build_index(work / "index", sources), args.top, "full build")
            else:
                # An index built by run.py from the same corpus will do (its files are keyed
                # by their paths, which are the same); otherwise build one first.
                if args.index is None:
                    build_index(work / "built", sources)
                copy_index(args.index or work / "built", work / "index")
                name, text = extra_episode(1, 90_000)
                (extra / name).write_text(text, encoding="utf-8")
                profiled(lambda: build_index(work / "index", sources), args.top, "add one")
            shutil.rmtree(work / "index", ignore_errors=True)
    elif args.what == "open":
        profiled(lambda: SearchIndex(args.index).current(), args.top, "open a generation")
    else:
        gc.collect()
        tracemalloc.start(8)
        index = SearchIndex(args.index)
        generation = index.current()
        generation._search(requests_for(index, 1)[0])
        gc.collect()
        snapshot = tracemalloc.take_snapshot()
        total = sum(stat.size for stat in snapshot.statistics("filename"))
        print(f"# traced Python allocations with the index open: {total / 2**20:.0f} MiB\n")
        for stat in snapshot.statistics("lineno")[: args.top]:
            frame = stat.traceback[0]
            where = f"{frame.filename}:{frame.lineno}"
            print(f"{stat.size / 2**20:8.1f} MiB  {stat.count:>9,}  {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
