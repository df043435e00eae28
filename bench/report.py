"""The results of `run.py` as bench/RESULTS.md: targets first, then every figure."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from common import REAL, WORKLOAD_TAGS, WORKLOAD_WORDS


def ms(seconds: float | None) -> str:
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "–"
    value = seconds * 1000
    if value >= 10_000:
        return f"{seconds:.1f} s"
    if value >= 1000:
        return f"{seconds:.2f} s"
    if value >= 100:
        return f"{value:.0f} ms"
    if value >= 10:
        return f"{value:.1f} ms"
    return f"{value:.2f} ms"


def mb(kb: float | None) -> str:
    return "–" if kb is None else f"{kb / 1024:.0f} MB"


def pct(ratio: float | None) -> str:
    return "–" if ratio is None else f"{ratio * 100:.1f}%"


def spread(stats: dict[str, Any] | None) -> str:
    """min / median / max of a build timing."""
    if not stats or not stats.get("n"):
        return "–"
    if stats["n"] == 1:
        return f"{ms(stats['median'])} (n=1)"
    return f"{ms(stats['min'])} / **{ms(stats['median'])}** / {ms(stats['max'])} (n={stats['n']})"


def med_p95(stats: dict[str, Any] | None, cpu: dict[str, Any] | None = None) -> str:
    """`median (p95)`, and the median CPU time when there is one."""
    if not stats or not stats.get("n"):
        return "–"
    text = f"{ms(stats['median'])} ({ms(stats['p95'])})"
    if cpu and cpu.get("n"):
        text += f" · {ms(cpu['median'])}"
    return text


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines + [""]


def label(name: str, corpus: dict[str, Any]) -> str:
    episodes = corpus.get("build", {}).get("full", {}).get("episodes")
    if name == REAL:
        return f"real ({episodes or 117} episodes)"
    return f"synthetic {int(name):,}"


def dig(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


# --- targets -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    what: str
    limit: str
    measured: Any  # a number, or None when not measured
    shown: Callable[[Any], str]
    met: Callable[[Any], bool]
    margin: Callable[[Any], str]
    where: str
    alt: str = ""  # the same figure by another measure


def at_most(limit: float) -> tuple[Callable[[Any], bool], Callable[[Any], str]]:
    def met(value: Any) -> bool:
        return bool(value <= limit)

    def margin(value: Any) -> str:
        if value <= limit:
            return f"{(1 - value / limit) * 100:.0f}% under the limit"
        return f"{value / limit:.1f}× the limit"

    return met, margin


def at_least(limit: float) -> tuple[Callable[[Any], bool], Callable[[Any], str]]:
    def met(value: Any) -> bool:
        return bool(value >= limit)

    def margin(value: Any) -> str:
        if value >= limit:
            return f"{value / limit:.1f}× the minimum"
        return f"{value / limit * 100:.0f}% of the minimum ({limit / value:.1f}× short)"

    return met, margin


def targets(results: dict[str, Any]) -> list[Target]:
    corpora = results["corpora"]
    real = corpora.get(REAL, {})
    big = corpora.get("10000", {})
    runs = dig(real, "http", "runs") or {}
    found: list[Target] = []

    def add(
        what: str,
        limit: str,
        value: Any,
        shown: Callable[[Any], str],
        rule: Any,
        where: str,
        alt: str = "",
    ) -> None:
        met, margin = rule
        found.append(Target(what, limit, value, shown, met, margin, where, alt))

    def by_cpu(run: str) -> str:
        """Ceiling CPU per request over the app's: the rps ratio if both were CPU-bound."""
        app = dig(runs, run, "cpu_ms_per_request")
        ceiling = dig(runs, "ceiling_" + run.split("_")[0], "cpu_ms_per_request")
        return f"{pct(ceiling / app)} by CPU / request" if app and ceiling else ""

    # Uncached is judged on searches whose words the server has never seen: the words' matches
    # and highlights are remembered per generation, so a new tag for known words costs less.
    cold = "json_new_words" if "json_new_words" in runs else "json_uncached"
    seen = dig(runs, "json_uncached", "cpu_ms_per_request")
    add(
        "Faceted search, real corpus (q + tag filter + facets, JSON), uncached: server CPU",
        "≤ 1 ms / request",
        dig(runs, cold, "cpu_ms_per_request"),
        lambda v: f"{v:.2f} ms / request",
        at_most(1.0),
        f"HTTP, real, json {'new words' if cold == 'json_new_words' else 'uncached'}",
        f"{seen:.2f} ms when the words were searched before with another tag" if seen else "",
    )
    add(
        "Same, throughput vs the minimal Flask ceiling, uncached",
        "≥ 50%",
        dig(runs, cold, "rps_ratio"),
        pct,
        at_least(0.50),
        f"HTTP, real, json {'new words' if cold == 'json_new_words' else 'uncached'}",
        by_cpu(cold),
    )
    add(
        "Same, throughput vs the ceiling, warm (answer cached)",
        "≥ 85%",
        dig(runs, "json_warm", "rps_ratio"),
        pct,
        at_least(0.85),
        "HTTP, real, json warm",
        by_cpu("json_warm"),
    )
    add(
        "HTML search page, throughput vs the ceiling, uncached",
        "≥ 40%",
        dig(runs, "html_uncached", "rps_ratio"),
        pct,
        at_least(0.40),
        "HTTP, real, html uncached",
        by_cpu("html_uncached"),
    )
    add(
        "Full build of the real corpus (in process, median)",
        "< 1 s",
        dig(real, "build", "full", "seconds", "median"),
        ms,
        at_most(1.0),
        "Indexing, real",
    )
    add(
        "One added episode: incremental indexing (median)",
        "< 150 ms",
        dig(real, "build", "incremental", "add", "median"),
        ms,
        at_most(0.150),
        "Indexing, real, add",
    )
    big_cpu = dig(big, "queries", "workload_full", "cpu", "median")
    add(
        "10,000 episodes: faceted search p50 in process (word + tag, facets, highlights)",
        "< 50 ms",
        dig(big, "queries", "workload_full", "median"),
        lambda v: f"{ms(v)} (CPU {ms(big_cpu)})",
        at_most(0.050),
        "Queries, synthetic 10,000, workload",
    )
    worker = dig(big, "http", "memory", "rss_kb")
    rss = max(worker) if worker else dig(big, "queries", "rss_kb_end")
    add(
        "10,000 episodes: one worker resident",
        "< 300 MB",
        rss / 1024 if rss else None,
        lambda v: f"{v:.0f} MB",
        at_most(300.0),
        "Memory, synthetic 10,000" + (" (gunicorn worker)" if worker else " (in process)"),
    )
    return found


def target_rows(results: dict[str, Any]) -> list[list[str]]:
    rows = []
    for target in targets(results):
        if target.measured is None:
            rows.append([target.what, target.limit, "not measured", "–", "–"])
            continue
        met = target.met(target.measured)
        margin = target.margin(target.measured)
        rows.append(
            [
                target.what,
                target.limit,
                target.shown(target.measured),
                "**met**" if met else "**missed**",
                f"{margin}; {target.alt}" if target.alt else margin,
            ]
        )
    names = set(results["corpora"])
    curve = REAL in names and "10000" in names
    rows.append(
        [
            "The curve from 117 to 10,000 episodes",
            "shown",
            "see Scale curve" if curve else "incomplete",
            "**met**" if curve else "**missed**",
            f"{len(names)} corpora",
        ]
    )
    return rows


# --- sections ------------------------------------------------------------------------------


def ordered(results: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    def key(item: tuple[str, Any]) -> tuple[int, int]:
        name = item[0]
        return (0, 0) if name == REAL else (1, int(name))

    return sorted(results["corpora"].items(), key=key)


def exponent(a: float | None, b: float | None, n_a: int, n_b: int) -> str:
    if not a or not b or n_a == n_b:
        return "–"
    return f"{math.log(b / a) / math.log(n_b / n_a):.2f}"


def curve_section(results: dict[str, Any]) -> list[str]:
    rows = []
    points: list[tuple[int, float | None, float | None]] = []
    for name, corpus in ordered(results):
        build = corpus.get("build", {})
        full = dig(build, "full") or {}
        queries = corpus.get("queries", {})
        episodes = full.get("episodes") or queries.get("episodes") or 0
        median = dig(full, "seconds", "median")
        worker = dig(corpus, "http", "memory", "rss_kb")
        search = dig(queries, "workload_full", "median")
        rows.append(
            [
                label(name, corpus),
                f"{episodes:,}",
                f"{full.get('segments', 0):,}",
                ms(median),
                ms(median / episodes) if median and episodes else "–",
                ms(dig(build, "incremental", "add", "median")),
                ms(dig(build, "incremental", "add_searchable", "median")),
                ms(queries.get("open_seconds")),
                ms(search),
                ms(dig(queries, "workload_full", "p95")),
                ms(dig(queries, "workload_full", "cpu", "median")),
                f"{dig(queries, 'workload_json', 'cpu_ms_per_search') or 0:.1f} ms",
                mb(queries.get("rss_kb_end")),
                mb(max(worker)) if worker else "–",
                f"{full.get('index_bytes', 0) / 1e6:.0f} MB",
            ]
        )
        if name != REAL:
            points.append((episodes, median, search))
    lines = [
        "## Scale curve",
        "",
        "Medians. *Faceted search* is the word + tag workload in process (one different search",
        "each, cold, with facets and highlights), wall-clock and CPU time; *CPU / search",
        "(+JSON)* is the mean CPU time with the JSON document added.",
        "",
    ]
    lines += table(
        [
            "corpus",
            "episodes",
            "segments",
            "full build",
            "build / episode",
            "add one episode",
            "…and searchable",
            "open index",
            "faceted search p50",
            "p95",
            "CPU p50",
            "CPU / search (+JSON)",
            "RSS in process",
            "RSS gunicorn worker",
            "index on disk",
        ],
        rows,
    )
    if len(points) >= 2:
        lines += [
            "Growth exponents between synthetic sizes (time ∝ episodes^k; 1.0 is linear):",
            "",
        ]
        pair_rows = []
        for (n_a, build_a, search_a), (n_b, build_b, search_b) in zip(
            points, points[1:], strict=False
        ):
            pair_rows.append(
                [
                    f"{n_a:,} → {n_b:,}",
                    exponent(build_a, build_b, n_a, n_b),
                    exponent(search_a, search_b, n_a, n_b),
                ]
            )
        lines += table(["sizes", "full build k", "faceted search p50 k"], pair_rows)
    return lines


def build_section(results: dict[str, Any]) -> list[str]:
    lines = [
        "## Indexing",
        "",
        "`build_index` in process, min / **median** / max. *Full*: into an empty directory.",
        "Incremental rounds on a copy of that index: *add* one new episode file, *edit* it,",
        "*remove* it, then an update where nothing changed. *Searchable* is from the start of the",
        "add until an already open `SearchIndex` (as a server holds) has reopened the new",
        "generation and answered a search for the episode; *reopen* is that last part alone.",
        "",
    ]
    rows = []
    for name, corpus in ordered(results):
        build = corpus.get("build", {})
        inc = build.get("incremental", {})
        reused = " (reused)" if build.get("reused") else ""
        rows.append(
            [
                label(name, corpus) + reused,
                spread(dig(build, "full", "seconds")),
                ms(dig(build, "full", "cpu_seconds", "median")),
                spread(inc.get("add")),
                spread(inc.get("add_searchable")),
                spread(inc.get("reopen")),
                spread(inc.get("edit")),
                spread(inc.get("remove")),
                spread(inc.get("unchanged")),
                mb(build.get("full_peak_rss_kb")),
            ]
        )
    lines += table(
        [
            "corpus",
            "full",
            "full, CPU",
            "add",
            "add → searchable",
            "reopen",
            "edit",
            "remove",
            "nothing changed",
            "peak RSS",
        ],
        rows,
    )
    for name, corpus in ordered(results):
        cli = corpus.get("cli_build")
        if cli:
            lines += [
                f"Command line, {label(name, corpus)}: `shownotes index --source … --index <new>"
                f" -q` takes {spread(cli['seconds'])} wall time, of which "
                f"{ms(dig(cli, 'startup', 'median'))} is the interpreter and imports "
                "(`shownotes --version`).",
                "",
            ]
    return lines


def query_section(results: dict[str, Any]) -> list[str]:
    lines = [
        "## Queries in process",
        "",
        "Wall-clock median (p95) · median CPU time of the thread, per query, one corpus per",
        "fresh interpreter (CPU time is what other load on the machine does not inflate).",
        "Every stage but *cached* is cold: `Generation.forget_searches()` runs before each",
        "timed call (untimed), so no answer, parsed query, match or moment shown is remembered",
        "from the call before. *search* = parse, match, filter,",
        "order, page; *+ facets* adds the facet counts; *+ highlights* is the whole `_search`",
        "(facets, highlighted moments, did-you-mean). *cached* is `Generation.search`",
        "answered from its cache.",
        "",
    ]
    for name, corpus in ordered(results):
        queries = corpus.get("queries")
        if not queries:
            continue
        lines += [f"### {label(name, corpus)}", ""]
        rows = []
        for row in queries["queries"]:
            rows.append(
                [
                    f"`{row['name']}`",
                    row["kind"],
                    row["total"],
                    med_p95(row.get("search"), row.get("search_cpu")),
                    med_p95(row.get("facets"), row.get("facets_cpu")),
                    med_p95(row.get("full"), row.get("full_cpu")),
                    med_p95(row.get("cached")),
                ]
            )
        full = queries.get("workload_full", {})
        as_json = queries.get("workload_json", {})
        rows.append(
            [
                f"word + tag workload ({full.get('n', 0)} different searches)",
                "word + tag",
                f"median {dig(queries, 'workload_hits', 'median') or 0:.0f}",
                "",
                "",
                med_p95(full, full.get("cpu")),
                "",
            ]
        )
        rows.append(
            [
                "same, + JSON document",
                "word + tag",
                "",
                "",
                "",
                med_p95(as_json, as_json.get("cpu")),
                "",
            ]
        )
        lines += table(
            ["query", "kind", "hits", "search", "+ facets", "+ highlights", "cached"], rows
        )
    return lines


HTTP_RUNS = (
    ("json_new_words", "JSON `/api/search`, every search new words (cold)"),
    ("json_uncached", "JSON `/api/search`, uncached answers, words seen with other tags"),
    ("json_warm", "JSON `/api/search`, warm"),
    ("html_uncached", "HTML `/search`, uncached answers, words seen with other tags"),
    ("html_warm", "HTML `/search`, warm"),
    ("ceiling_json", "ceiling app, JSON body"),
    ("ceiling_html", "ceiling app, HTML-size body"),
)


def http_section(results: dict[str, Any]) -> list[str]:
    lines = [
        "## HTTP",
        "",
        "wrk on the same machine as the server (they share the CPUs, for the ceiling as for the",
        "app). *every search new words*: a fresh server, each search a word it has not seen",
        "(nothing cached: not the answer, the parsed query, its matches nor its highlights);",
        "*uncached answers*: the first run after a start, cycling through different word + tag",
        "searches (more than the answer cache holds) whose words recur with other tags, so the",
        "words' matches and highlights are remembered; *warm*: a short list of searches already",
        "cached by both workers. The ceiling is `bench/ceiling_app.py` under the same gunicorn",
        "command line, answering a fixed body of the median size of the real answers. *CPU* is",
        "the gunicorn master and workers' user + system time over the run, per request. *Busy",
        "before*: the machine's busy share in the second before the run, with nothing of the",
        "benchmark running; *other load*: CPU spent on neither the server nor wrk during the",
        "run (other work, and kernel threads carrying the loopback traffic). Other work on the",
        "machine lowers req/s and the ratios; server CPU per request does not depend on it.",
        "",
    ]
    for name, corpus in ordered(results):
        http = corpus.get("http")
        if not http:
            continue
        runs = http["runs"]
        lines += [
            f"### {label(name, corpus)}",
            "",
            f"`{http['wrk']}`; {http['distinct_uncached']:,} different uncached searches "
            f"({len(WORKLOAD_WORDS)} words × {WORKLOAD_TAGS} tags) and "
            f"{http.get('distinct_new_words', 0):,} with a different word each, "
            f"{http['distinct_warm']} warm ones. Bodies: JSON {http['body_bytes']['json']:,} "
            f"bytes, HTML {http['body_bytes']['html']:,} bytes (medians). Server up (`/healthz`"
            f" 200) {http['healthz_seconds']:.1f} s after the start, index open in both workers "
            f"after {http['workers_open_seconds']:.1f} s.",
            "",
        ]
        rows = []
        for key, title in HTTP_RUNS:
            run = runs.get(key)
            if not run:
                continue
            cpu = run.get("cpu_ms_per_request")
            rows.append(
                [
                    title,
                    f"{run['rps']:,.0f}",
                    pct(run.get("rps_ratio")) if "rps_ratio" in run else "100%",
                    f"{run.get('p50_ms', 0):.1f} ms",
                    f"{run.get('p99_ms', 0):.1f} ms",
                    f"{cpu:.2f} ms" if cpu else "–",
                    f"{run['cpu_ratio']:.1f}×" if run.get("cpu_ratio") else "1×",
                    f"{run.get('requests', 0):,}",
                    run["errors"],
                    pct(run.get("background_share")),
                    pct(run.get("other_cpu_share")),
                ]
            )
        lines += table(
            [
                "run",
                "req/s",
                "of ceiling",
                "p50",
                "p99",
                "server CPU / req",
                "CPU vs ceiling",
                "requests",
                "errors",
                "busy before",
                "other load",
            ],
            rows,
        )
        lines += [
            f"App: `{http['app_command']}`  ",
            f"Ceiling: `{http['ceiling_command']}`",
            "",
        ]
    return lines


def memory_section(results: dict[str, Any]) -> list[str]:
    lines = [
        "## Memory",
        "",
        "Resident set size. *In process*: a fresh interpreter after opening the index, after",
        "the query benchmarks, and its peak. *Worker*: each gunicorn worker after the HTTP runs",
        "(and right after opening the index). *Build*: peak of the full builds' process.",
        "",
    ]
    rows = []
    for name, corpus in ordered(results):
        queries = corpus.get("queries", {})
        memory = dig(corpus, "http", "memory", "rss_kb")
        opened = dig(corpus, "http", "memory_open", "rss_kb")
        rows.append(
            [
                label(name, corpus),
                mb(queries.get("rss_kb_start")),
                mb(queries.get("rss_kb_open")),
                mb(queries.get("rss_kb_end")),
                mb(queries.get("hwm_kb")),
                ", ".join(mb(k) for k in opened) if opened else "–",
                ", ".join(mb(k) for k in memory) if memory else "–",
                mb(dig(corpus, "build", "full_peak_rss_kb")),
            ]
        )
    lines += table(
        [
            "corpus",
            "interpreter + imports",
            "index open",
            "after queries",
            "peak",
            "workers, index open",
            "workers, after runs",
            "build peak",
        ],
        rows,
    )
    return lines


def render(results: dict[str, Any]) -> str:
    env = results["environment"]
    settings = results["settings"]
    packages = ", ".join(f"{p} {v}" for p, v in env["packages"].items())
    lines = [
        "# shownotes benchmarks",
        "",
        "Written by `bench/run.py`; rerun with the command below (see `bench/README.md`).",
        "",
        f"- **Date**: {env['date']}",
        f"- **Command**: `{env['command']}` (total {env['runtime_seconds'] / 60:.1f} min)",
        f"- **Machine**: {env['cpu']}, {env['cpus']} CPUs, {env['memory_gb']} GB; {env['os']}",
        f"- **Software**: Python {env['python']}, {packages}; {env['wrk']}",
        f"- **Code**: commit {env['commit']} (indexer/ + webapp/ + pyproject.toml as run: "
        f"`{env.get('code_fingerprint', '?')}`)"
        + (
            " with uncommitted changes in indexer/ or webapp/"
            if env["uncommitted_app_changes"]
            else ""
        ),
        f"- **Load average** at start {' '.join(env['loadavg_start'])}, at end "
        f"{' '.join(env['loadavg_end'])}",
        f"- **Settings**: gunicorn {settings['workers']} workers × {settings['threads']} "
        f"threads (gthread); wrk {settings['wrk_seconds']:.0f} s per run; synthetic corpora "
        f"from `bench/generate.py --seed {settings['seed']}`",
        "",
    ]
    notes = list(results.get("notes", []))
    shares = [
        run["background_share"]
        for _, corpus in ordered(results)
        for run in (dig(corpus, "http", "runs") or {}).values()
        if run.get("background_share") is not None
    ]
    if shares and sum(shares) / len(shares) > 0.2:
        notes.append(
            f"Other work kept the machine {sum(shares) / len(shares) * 100:.0f}% busy on average "
            "in the second before each HTTP run: requests per second and their ratios are lower "
            "than on an idle machine. The ratios *by CPU / request* in the targets do not depend "
            "on that load."
        )
    for note in notes:
        lines += [f"> **Note**: {note}", ""]
    lines += ["## Targets", ""]
    lines += table(["target", "limit", "measured", "", "margin"], target_rows(results))
    lines += curve_section(results)
    lines += build_section(results)
    lines += query_section(results)
    lines += http_section(results)
    lines += memory_section(results)
    return "\n".join(lines).rstrip() + "\n"
