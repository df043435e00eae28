"""Query latency in process for one index, in a fresh interpreter (so its memory is its own).

    python bench/inprocess.py --index DIR --json result.json [--budget 1.0]

For every query of the fixed set (`common.FIXED_QUERIES`), four uncached stages and the cached
answer are timed with `time.perf_counter`:

- `search`: parse, match, filter, order, page: what `Generation._search` does before facets
  and highlights (built here from its private parts, in the same order);
- `facets`: the above plus the facet counts (`Generation._facets`);
- `full`: `Generation._search` itself: facets, highlighted moments and the did-you-mean;
- `cached`: `Generation.search`, answered from the per-generation cache after one warm-up.

The uncached stages call the private `Generation._search` (or its parts) so that the bounded
answer cache of `Generation.search` never answers them. Each stage runs until it has
`--min-reps` samples and either `--max-reps` samples or `--budget` seconds; one search before
all of them opens the thread's Whoosh searcher, so that is not counted.

The faceted-search workload (different word + tag searches, `common.workload`) is run once
each through `full` and `json` (`full` plus the API document of `indexer.documents` and
`json.dumps`), for a latency distribution over many distinct searches.

Every sample is taken twice: wall-clock (`time.perf_counter`) and this thread's CPU time
(`time.thread_time`), which other load on the machine does not inflate.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from common import FIXED_QUERIES, Query, proc_status_kb, summary, workload, write_json

from indexer import Generation, SearchIndex, SearchRequest
from indexer.documents import search_document


def request_of(query: Query) -> SearchRequest:
    filters: dict[str, Any] = dict(query.filters)
    return SearchRequest(q=query.q, **filters).validated()


def search_only(generation: Generation, request: SearchRequest) -> Any:
    """`Generation._search` up to the page of episode ids: no facets, no highlights."""
    parsed = generation.parse(request.q) if request.q else None
    return generation._select(request, parsed)


def with_facets(generation: Generation, request: SearchRequest) -> Any:
    chosen = search_only(generation, request)
    return chosen.page_ids, generation._facets(request, chosen.base, chosen.filtered)


def as_json(generation: Generation, request: SearchRequest) -> str:
    return json.dumps(search_document(generation._search(request)), ensure_ascii=True)


def timed(
    call: Callable[[], Any],
    *,
    min_reps: int,
    max_reps: int,
    budget: float,
    before: Callable[[], Any] | None = None,
) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU (this thread's) seconds of repeated calls; `before` is not timed."""
    wall: list[float] = []
    cpu: list[float] = []
    deadline = time.perf_counter() + budget
    while len(wall) < max_reps and (len(wall) < min_reps or time.perf_counter() < deadline):
        if before is not None:
            before()
        cpu_started = time.thread_time()
        started = time.perf_counter()
        call()
        wall.append(time.perf_counter() - started)
        cpu.append(time.thread_time() - cpu_started)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description="In-process query latency for one index.")
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--budget", type=float, default=1.0, help="seconds per query and stage")
    parser.add_argument("--min-reps", type=int, default=5)
    parser.add_argument("--max-reps", type=int, default=50)
    parser.add_argument("--workload", type=int, default=40, help="word + tag searches")
    args = parser.parse_args()

    result: dict[str, Any] = {"rss_kb_start": proc_status_kb("self", "VmRSS")}
    started = time.perf_counter()
    index = SearchIndex(args.index)
    generation = index.current()
    result["open_seconds"] = time.perf_counter() - started
    gc.collect()
    result["rss_kb_open"] = proc_status_kb("self", "VmRSS")
    catalog = generation.catalog
    result["episodes"] = len(catalog.episodes)
    result["segments"] = sum(len(e.segments) for e in catalog.episodes)
    tag_sizes = Counter({tag: len(ids) for tag, ids in catalog.facet_sets["tag"].items()})
    result["popular_tags"] = [tag for tag, _ in tag_sizes.most_common(60)]

    # First-call effects (the thread's Whoosh searcher, lazy caches) are not counted.
    generation._search(SearchRequest(q="qqwarmup").validated())
    stages: dict[str, Callable[[Generation, SearchRequest], Any]] = {
        "search": search_only,
        "facets": with_facets,
        "full": lambda g, r: g._search(r),
        "cached": lambda g, r: g.search(r),
    }
    queries: list[dict[str, Any]] = []
    for query in FIXED_QUERIES:
        request = request_of(query)
        answer = generation._search(request)
        row: dict[str, Any] = {
            "name": query.name,
            "kind": query.kind,
            "total": answer.total,
            "suggestion": answer.suggestion,
        }
        for stage, call in stages.items():
            wall, cpu_times = timed(
                partial(call, generation, request),
                min_reps=args.min_reps,
                max_reps=args.max_reps,
                budget=args.budget,
                # Cold every time: nothing of the search is remembered from the last round.
                before=None if stage == "cached" else generation.forget_searches,
            )
            row[stage] = summary(wall)
            row[f"{stage}_cpu"] = summary(cpu_times)
        queries.append(row)
        print(
            f"  {query.name:28} {answer.total:6} hits  full {row['full']['median'] * 1000:8.1f} ms",
            file=sys.stderr,
        )
    result["queries"] = queries

    searches = workload(result["popular_tags"], args.workload)
    for stage in ("full", "json"):
        run: Callable[[Generation, SearchRequest], Any] = (
            as_json if stage == "json" else stages[stage]
        )
        latencies: list[float] = []
        cpu: list[float] = []
        totals: list[float] = []
        for query in searches:
            request = request_of(query)
            generation.forget_searches()  # the words recur with other tags: answer them cold
            cpu_started = time.thread_time()
            started = time.perf_counter()
            done = run(generation, request)
            latencies.append(time.perf_counter() - started)
            cpu.append(time.thread_time() - cpu_started)
            if stage == "full":
                totals.append(float(done.total))
        result[f"workload_{stage}"] = {
            **summary(latencies),
            "cpu": summary(cpu),
            "cpu_ms_per_search": statistics.fmean(cpu) * 1000,
        }
        if stage == "full":
            result["workload_hits"] = summary(totals)

    result["rss_kb_end"] = proc_status_kb("self", "VmRSS")
    result["hwm_kb"] = proc_status_kb("self", "VmHWM")
    index.close()
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
