"""The `shownotes` command line: a thin layer over the indexer (and, for `serve`, the web app)."""

from __future__ import annotations

import contextlib
import ctypes
import html
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from .build import BuildReport, Sources, build_index, episode_files
from .documents import search_document
from .errors import NothingToIndex, ParseError, ShownotesError
from .parser import load_episode
from .search import SearchIndex, SearchRequest, SearchResult

DEFAULT_INDEX = "index_data"
DEFAULT_SOURCE = "episodes"
MARK = re.compile(r"<mark>(.*?)</mark>")
PR_SET_PDEATHSIG = 1  # Linux prctl: signal a child when its parent exits


F = TypeVar("F", bound=Callable[..., Any])


def index_option() -> Callable[[F], F]:
    return click.option(
        "--index",
        "index_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=lambda: os.environ.get("SHOWNOTES_INDEX", DEFAULT_INDEX),
        show_default=f"$SHOWNOTES_INDEX or {DEFAULT_INDEX}",
        help="Index directory.",
    )


def source_options(command: F) -> F:
    """`--source`, `--tags` and `--config`, as `index` and `watch` take them."""
    options = [
        click.option(
            "--source",
            "sources",
            multiple=True,
            type=click.Path(exists=True, path_type=Path),
            help="Episode folder or file, or a Jekyll site; repeatable. "
            f"[default: {DEFAULT_SOURCE}]",
        ),
        click.option(
            "--tags",
            type=click.Path(exists=True, file_okay=False, path_type=Path),
            help="Folder of tag pages.",
        ),
        click.option(
            "--config",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="Jekyll _config.yml.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="shownotes")
def main() -> None:
    """Search a podcast's back catalogue down to the moment a topic was discussed."""


def resolve_sources(sources: tuple[Path, ...], tags: Path | None, config: Path | None) -> Sources:
    """A Jekyll site folder (with `_posts/`) brings its own tag pages and `_config.yml`.

    A plain episode folder may hold a `_config.yml` too.
    """
    folders: list[Path] = []
    for source in sources or (Path(DEFAULT_SOURCE),):
        site = (source / "_posts").is_dir()
        folders.append(source / "_posts" if site else source)
        if site and tags is None and (source / "tags").is_dir():
            tags = source / "tags"
        if config is None and (source / "_config.yml").is_file():
            config = source / "_config.yml"
    return Sources(episodes=tuple(folders), tags=tags, config=config)


@main.command()
@source_options
@index_option()
@click.option("--rebuild", is_flag=True, help="Parse and write everything, not only what changed.")
@click.option("-q", "--quiet", is_flag=True, help="Print only problems.")
def index(
    sources: tuple[Path, ...],
    tags: Path | None,
    config: Path | None,
    index_dir: Path,
    rebuild: bool,
    quiet: bool,
) -> None:
    """Build or update the index from episode files.

    Exit status: 0 when every file was indexed, 2 when some were skipped (the index was still
    updated with the rest), 1 when nothing usable was found (the previous index stays).
    """
    resolved = resolve_sources(sources, tags, config)
    try:
        report = _run_build(index_dir, resolved, rebuild=rebuild, quiet=quiet)
    except NothingToIndex as exc:
        raise click.ClickException(str(exc)) from exc
    except ShownotesError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"cannot write the index in {index_dir}: {exc}") from exc
    _print_report(report, quiet=quiet)
    sys.exit(report.exit_code)


def _run_build(index_dir: Path, sources: Sources, *, rebuild: bool, quiet: bool) -> BuildReport:
    if quiet or not sys.stderr.isatty():
        return build_index(index_dir, sources, rebuild=rebuild)
    total = sum(1 for _ in episode_files(sources.episodes))
    with click.progressbar(length=total, label="Indexing", file=sys.stderr) as bar:
        return build_index(
            index_dir, sources, rebuild=rebuild, progress=lambda _path: bar.update(1)
        )


def _print_report(report: BuildReport, *, quiet: bool) -> None:
    for line in report.warnings:
        click.echo(f"warning: {line}", err=True)
    for line in report.skipped:
        click.echo(f"skipped: {line}", err=True)
    for episode_id in report.kept:
        click.echo(f"kept the last good version of {episode_id}", err=True)
    if quiet:
        return
    if not report.changed_index:
        click.echo(f"Index is up to date ({report.generation}): {report.episodes} episodes.")
        return
    kind = "Built" if report.full else "Updated"
    click.echo(
        f"{kind} {report.generation}: {report.episodes} episodes, {report.segments:,} segments "
        f"in {report.seconds:.2f} s. Added {len(report.added)}, updated {len(report.updated)}, "
        f"removed {len(report.removed)}, unchanged {len(report.unchanged)}, "
        f"skipped {len(report.skipped)}."
    )


@main.command()
@source_options
@index_option()
@click.option("--debounce", default=0.5, show_default=True, type=click.FloatRange(0.05, 60))
def watch(
    sources: tuple[Path, ...],
    tags: Path | None,
    config: Path | None,
    index_dir: Path,
    debounce: float,
) -> None:
    """Update the index whenever episode files change (Ctrl-C to stop)."""
    from .watch import watch as watch_sources

    resolved = resolve_sources(sources, tags, config)
    try:
        _print_report(build_index(index_dir, resolved), quiet=False)
    except ShownotesError as exc:
        click.echo(f"error: {exc}", err=True)
    folders = ", ".join(str(s) for s in resolved.episodes)
    click.echo(f"Watching {folders} (debounce {debounce} s); Ctrl-C to stop.")

    def updated(report: BuildReport, changed: set[str]) -> None:
        stamp = time.strftime("%H:%M:%S")
        click.echo(f"{stamp} {len(changed)} changed file(s):")
        for status in ("added", "updated", "removed"):
            for episode_id in getattr(report, status):
                click.echo(f"  {status} {episode_id}")
        _print_report(report, quiet=False)

    def failed(exc: Exception) -> None:
        click.echo(f"{time.strftime('%H:%M:%S')} error: {exc}", err=True)

    with contextlib.suppress(KeyboardInterrupt):
        watch_sources(index_dir, resolved, debounce=debounce, on_update=updated, on_error=failed)


@main.command()
@click.argument("query", required=False, default="")
@click.option("--tag", "tags", multiple=True, help="Only episodes with this tag; repeatable.")
@click.option("--any-tag", is_flag=True, help="Episodes with any of the tags, not all.")
@click.option("--guest", "guests", multiple=True, help="Guest slug; repeatable.")
@click.option("--library", "libraries", multiple=True, help="Library id (owner/repo); repeatable.")
@click.option("--any-library", is_flag=True, help="Episodes with any of the libraries, not all.")
@click.option("--year", "years", multiple=True, help="Year; repeatable.")
@click.option(
    "--category", "categories", multiple=True, type=click.Choice(["podcast", "interviews"])
)
@click.option("--sort", type=click.Choice(["relevance", "newest", "oldest"]), default="relevance")
@click.option("--page", type=click.IntRange(1, 10_000), default=1)
@click.option("--per-page", type=click.IntRange(1, 50), default=10)
@index_option()
@click.option("--json", "as_json", is_flag=True, help="Print the web API's JSON document.")
def search(
    query: str,
    tags: tuple[str, ...],
    any_tag: bool,
    guests: tuple[str, ...],
    libraries: tuple[str, ...],
    any_library: bool,
    years: tuple[str, ...],
    categories: tuple[str, ...],
    sort: str,
    page: int,
    per_page: int,
    index_dir: Path,
    as_json: bool,
) -> None:
    """Find the moments where QUERY was discussed."""
    request = SearchRequest(
        q=query,
        tag=tags,
        tag_mode="any" if any_tag else "all",
        guest=guests,
        library=libraries,
        library_mode="any" if any_library else "all",
        year=years,
        category=categories,
        sort=sort,
        page=page,
        per_page=per_page,
    )
    search_index = SearchIndex(index_dir)
    try:
        result = search_index.search(request)
    except ShownotesError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        search_index.close()
    if as_json:
        click.echo(json.dumps(search_document(result), ensure_ascii=False, indent=2))
    else:
        _print_result(result)


def _terminal_text(highlighted: str) -> str:
    marked = MARK.sub(lambda m: click.style(m.group(1), bold=True), highlighted)
    return html.unescape(marked)


def _print_result(result: SearchResult) -> None:
    if result.suggestion:
        click.echo(f"Did you mean: {result.suggestion}")
    shown = (
        f"{len(result.hits)} of {result.total}" if result.total > len(result.hits) else result.total
    )
    plural = "s" if result.total != 1 else ""
    click.echo(f"{shown} episode{plural} (page {result.request.page} of {result.pages})")
    for hit in result.hits:
        episode = hit.episode
        number = f" #{episode.number}" if episode.number is not None else ""
        date = f", {episode.date.isoformat()}" if episode.date else ""
        click.echo("")
        click.echo(click.style(episode.title, bold=True) + f"  ({episode.category}{number}{date})")
        details = [", ".join(g.name for g in episode.guests), ", ".join(episode.tags)]
        click.echo("  " + " · ".join(d for d in details if d))
        for moment in hit.segments:
            stamp = moment.segment.timestamp or "Q&A"
            click.echo(f"  {stamp:>7}  {_terminal_text(moment.highlight)}")
        if hit.more_segments:
            click.echo(f"           … and {hit.more_segments} more")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def check(paths: tuple[Path, ...]) -> None:
    """Validate episode files without touching the index."""
    files = list(episode_files(paths))
    problems = warnings = 0
    for path in files:
        try:
            episode = load_episode(path)
        except ParseError as exc:
            problems += 1
            click.echo(f"error: {exc}", err=True)
            continue
        for line in episode.warnings:
            warnings += 1
            click.echo(f"warning: {line}", err=True)
    click.echo(f"Checked {len(files)} files: {problems} with errors, {warnings} warnings.")
    if problems:
        sys.exit(2 if problems < len(files) else 1)


@main.command()
@index_option()
@click.option(
    "--log",
    "log_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Query log. [default: <index>/queries.jsonl]",
)
@click.option("--top", default=10, show_default=True, type=click.IntRange(1, 1000))
def stats(index_dir: Path, log_path: Path | None, top: int) -> None:
    """The most frequent searches, the ones that found nothing, and the slowest."""
    from .querylog import LOG_FILE, summarize

    summary = summarize(log_path or index_dir / LOG_FILE, top=top)
    click.echo(f"{summary.searches} searches logged.")
    sections: list[tuple[str, list[tuple[str, Any]], str]] = [
        ("Most frequent", summary.frequent, "{}"),
        ("Found nothing", summary.empty, "{}"),
        ("Slowest (ms)", summary.slowest, "{:.1f}"),
    ]
    for title, rows, number in sections:
        click.echo(f"\n{title}:")
        for what, value in rows:
            click.echo(f"  {number.format(value):>8}  {what}")
        if not rows:
            click.echo("  (none)")


@main.command()
@index_option()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--prod", is_flag=True, help="Serve with gunicorn instead of the development server.")
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(1, 64),
    help="gunicorn worker processes (--prod).",
)
@click.option(
    "--threads",
    default=4,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Threads per worker (--prod); each thread keeps its own searcher.",
)
@click.option("--watch", is_flag=True, help="Also update the index when episode files change.")
@click.option(
    "--source",
    "sources",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help=f"Episode folder to watch (--watch); repeatable. [default: {DEFAULT_SOURCE}]",
)
def serve(
    index_dir: Path,
    host: str,
    port: int,
    prod: bool,
    workers: int,
    threads: int,
    watch: bool,
    sources: tuple[Path, ...],
) -> None:
    """Serve the web app over the index (and, with --watch, keep the index up to date)."""
    index_path = str(index_dir.resolve())
    if watch:
        _start_watcher(index_path, sources)
    if not prod:
        from webapp import create_app

        create_app({"INDEX_DIR": index_path}).run(host=host, port=port, threaded=True)
        return
    if importlib.util.find_spec("gunicorn") is None:
        raise click.ClickException("--prod needs gunicorn: pip install 'shownotes[prod]'")
    os.environ["SHOWNOTES_INDEX"] = index_path
    # gthread workers: each request runs on a thread, and each thread opens its own searcher
    # after the fork, once per index generation. SIGHUP reloads workers gracefully.
    gunicorn = [
        sys.executable, "-m", "gunicorn",
        "--bind", f"{host}:{port}",
        "--workers", str(workers),
        "--threads", str(threads),
        "--worker-class", "gthread",
        "--graceful-timeout", "20",
        # Up to nginx's 8 KiB: the app, not gunicorn, answers long query strings (with its
        # security headers and a JSON or HTML error of its own).
        "--limit-request-line", "8190",
        "webapp.wsgi:app",
    ]  # fmt: skip
    os.execvp(sys.executable, gunicorn)


def _start_watcher(index_path: str, sources: tuple[Path, ...]) -> None:
    """`shownotes watch` in a child process that ends when this process (or its exec) ends."""
    command = [sys.executable, "-m", "indexer", "watch", "--index", index_path]
    for source in sources:
        command += ["--source", str(source)]
    subprocess.Popen(command, preexec_fn=_die_with_parent)  # noqa: S603 - our own command


def _die_with_parent() -> None:
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
