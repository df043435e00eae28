"""What every part of the benchmark shares: the query set, statistics, paths, /proc readers."""

from __future__ import annotations

import json
import math
import os
import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
CACHE = BENCH / ".cache"
REAL_CORPUS = REPO.parent / "shared" / "corpus" / "runninginproduction"
REAL = "real"  # the corpus name of the real podcast, beside the synthetic sizes
SEED = 1


@dataclass(frozen=True)
class Query:
    """One search of the fixed set: a query string and filters, as the web app's parameters."""

    name: str
    kind: str
    q: str = ""
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def params(self) -> list[tuple[str, str]]:
        pairs = [("q", self.q)] if self.q else []
        for facet, values in self.filters.items():
            pairs += [(facet, value) for value in values]
        return pairs

    def query_string(self) -> str:
        return urlencode(self.params())


# The fixed set: words and tags every corpus has (the real one and the synthetic ones).
FIXED_QUERIES: tuple[Query, ...] = (
    Query("docker", "word", "docker"),
    Query("postgres", "word", "postgres"),
    Query("deploy", "word (stemmed)", "deploying"),
    Query("kubernetes", "word", "kubernetes"),
    Query("postgress", "typo (suggestion)", "postgress"),
    Query("redis sidekiq", "two words", "redis sidekiq"),
    Query('"background jobs"', "phrase", '"background jobs"'),
    Query('"load balancer"', "phrase", '"load balancer"'),
    Query("kube*", "prefix", "kube*"),
    Query("post*", "prefix", "post*"),
    Query("title:rails", "fielded", "title:rails"),
    Query("tag:python", "fielded", "tag:python"),
    Query("moment:redis", "fielded", "moment:redis"),
    Query("redis OR memcached", "boolean", "redis OR memcached"),
    Query("docker NOT kubernetes", "boolean", "docker NOT kubernetes"),
    Query("docker +tag=postgres", "word + filter", "docker", {"tag": ("postgres",)}),
    Query(
        "deploy +tag=docker,aws",
        "word + 2 filters",
        "deploy",
        {"tag": ("docker", "aws")},
    ),
    Query("cache +year=2020", "word + year", "cache", {"year": ("2020",)}),
    Query("(browse) tag=python", "filter only", "", {"tag": ("python",)}),
)

# The faceted-search workload (query + tag filter + facet counts): common words crossed with
# the corpus's most popular tags, so every request is a different search (no answer cache).
WORKLOAD_WORDS: tuple[str, ...] = tuple(
    """
    docker postgres redis deploy database cache nginx aws python rails react kubernetes
    backup monitoring queue jobs stripe email search api server worker load testing logging
    migration celery sidekiq node s3 cdn scaling ssl billing payments upload images dashboard
    alerts terraform
    """.split()
)
WORKLOAD_TAGS = 40


def workload(tags: Sequence[str], count: int, seed: int = SEED) -> list[Query]:
    """`count` different word + tag searches over the given (most popular) tags, shuffled."""
    pairs = [(w, t) for w in WORKLOAD_WORDS for t in tags[:WORKLOAD_TAGS]]
    random.Random(seed).shuffle(pairs)
    return [Query(f"{w} +tag={t}", "word + tag", w, {"tag": (t,)}) for w, t in pairs[:count]]


def fresh_workload(
    index_dir: Path, tags: Sequence[str], count: int, seed: int = SEED
) -> list[Query]:
    """`count` word + tag searches whose words all differ: none of them seen before by a server.

    The words come from the live generation's word list (words of moments and titles), those
    used at least twice, so most searches find something.
    """
    from indexer import schema, store

    generation = store.generation_path(index_dir, store.read_pointer(index_dir))
    counts: dict[str, int] = json.loads((generation / schema.WORDS_FILE).read_text("utf-8"))
    words = sorted(w for w, n in counts.items() if n >= 2 and len(w) >= 4 and w.isalpha())
    random.Random(seed).shuffle(words)
    chosen = tags[:WORKLOAD_TAGS]
    return [
        Query(
            f"{w} +tag={chosen[i % len(chosen)]}",
            "new word + tag",
            w,
            {"tag": (chosen[i % len(chosen)],)},
        )
        for i, w in enumerate(words[:count])
    ]


# --- statistics ----------------------------------------------------------------------------


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (`share` 0..1): an observed value, never interpolated."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def summary(values: Sequence[float]) -> dict[str, float]:
    """min, median, p95, max and n of a list of samples."""
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "min": min(values),
        "median": statistics.median(values),
        "p95": percentile(values, 0.95),
        "max": max(values),
    }


# --- /proc -------------------------------------------------------------------------------


def proc_status_kb(pid: int | str, key: str) -> int | None:
    """A `VmRSS`/`VmHWM`-style field of /proc/<pid>/status, in kB."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of one process so far (not its children)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            text = stat.read()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    # After the command: state(3) ppid(4) ... utime is field 14, stime field 15 (1-based).
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as stat:
                text = stat.read()
        except OSError:
            continue
        ppid = int(text[text.rindex(")") + 2 :].split()[1])
        if ppid == pid:
            found.append(int(entry))
    return sorted(found)


# --- files ---------------------------------------------------------------------------------


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
