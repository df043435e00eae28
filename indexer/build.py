"""Episode folders into a new index generation, incrementally when it can.

Only new or changed files (by content hash) are parsed. When the previous generation was built
from the same schema, site configuration and tag registry, the new one starts as hard links to
its files (Whoosh never rewrites a segment file) and only the changed episodes are rewritten;
otherwise everything is written afresh. Either way the result is a new directory switched in
by `store.publish`, so a failed build leaves the live index as it was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.writing import IndexWriter

from . import schema, store
from .catalog import CATALOG_FILE, Catalog
from .errors import NothingToIndex, ParseError
from .models import Episode, SiteConfig, TagInfo
from .parser import episode_from_bytes, read_source
from .siteinfo import load_site_config, load_tag_registry

MANIFEST_FILE = "manifest.json"
EPISODE_SUFFIXES = (".md", ".markdown")
WRITER_MEMORY_MB = 128


@dataclass(frozen=True)
class Sources:
    """Where episodes and their optional site configuration and tag pages come from."""

    episodes: tuple[Path, ...]
    tags: Path | None = None
    config: Path | None = None


@dataclass
class BuildReport:
    generation: str
    full: bool = False
    changed_index: bool = True
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # `path:line: reason`
    kept: list[str] = field(default_factory=list)  # broken files whose last good version stays
    warnings: list[str] = field(default_factory=list)
    cleaned: list[str] = field(default_factory=list)
    episodes: int = 0
    segments: int = 0
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        """0 when every file was indexed, 2 when some were skipped."""
        return 2 if self.skipped else 0


@dataclass(frozen=True)
class _Previous:
    name: str
    path: Path
    catalog: Catalog
    files: dict[str, dict[str, str]]  # source path -> {"sha256", "episode_id"}
    inputs: str

    def reuse(self, known: dict[str, str] | None, digest: str) -> Episode | None:
        """The already parsed episode of a file whose content has not changed."""
        if known and known["sha256"] == digest:
            return self.catalog.by_id.get(known["episode_id"])
        return None


ProgressCallback = Callable[[str], None]


def episode_files(sources: Iterable[Path]) -> Iterator[Path]:
    """Every episode file under the sources, in a stable order; hidden entries skipped."""
    for source in sources:
        if source.is_file():
            yield source
            continue
        for path in sorted(source.rglob("*")):
            relative = path.relative_to(source).parts
            if any(part.startswith(".") for part in relative):
                continue
            if path.suffix.lower() in EPISODE_SUFFIXES and path.is_file():
                if path.name.lower() not in ("readme.md", "index.md"):
                    yield path


def build_index(
    index_dir: Path,
    sources: Sources,
    *,
    rebuild: bool = False,
    progress: ProgressCallback | None = None,
) -> BuildReport:
    """Bring the index in `index_dir` up to date with `sources`; see the module docstring."""
    started = time.perf_counter()
    for folder in sources.episodes:
        if not folder.exists():
            raise NothingToIndex(f"{folder}: no such file or folder")
    site = load_site_config(sources.config) if sources.config else SiteConfig()
    tags, tag_problems = load_tag_registry(sources.tags) if sources.tags else ({}, [])

    with store.writer_lock(index_dir):
        cleaned = store.remove_leftovers(index_dir)
        inputs = _inputs_fingerprint(site, tags)
        previous = None if rebuild else _load_previous(index_dir)
        reusable = previous if previous and previous.inputs == inputs else None

        report = BuildReport(generation="", full=reusable is None, cleaned=cleaned)
        report.warnings.extend(tag_problems)
        episodes, files = _collect(sources, site, reusable, report, progress)
        if not episodes:
            folders = ", ".join(str(s) for s in sources.episodes)
            problems = "".join(f"\n  {line}" for line in report.skipped[:20])
            raise NothingToIndex(
                f"no usable episode found in {folders}; the index was not changed{problems}"
            )
        if previous:
            current_ids = {e.id for e in episodes}
            report.removed = sorted(set(previous.catalog.by_id) - current_ids)

        report.episodes = len(episodes)
        report.segments = sum(len(e.segments) for e in episodes)
        nothing_changed = not (report.added or report.updated or report.removed)
        if reusable and nothing_changed:
            report.generation = reusable.name
            report.changed_index = False
        else:
            report.generation = _write_generation(
                index_dir, episodes, files, tags, site, inputs, reusable, report
            )
        report.seconds = time.perf_counter() - started
        return report


def _collect(
    sources: Sources,
    site: SiteConfig,
    reusable: _Previous | None,
    report: BuildReport,
    progress: ProgressCallback | None,
) -> tuple[list[Episode], dict[str, dict[str, str]]]:
    episodes: dict[str, Episode] = {}
    files: dict[str, dict[str, str]] = {}
    owner: dict[str, str] = {}
    for path in episode_files(sources.episodes):
        key = str(path)
        if progress:
            progress(key)
        try:
            raw = read_source(path)
            digest = hashlib.sha256(raw).hexdigest()
            known = reusable.files.get(key) if reusable else None
            reused = reusable.reuse(known, digest) if reusable else None
            if reused:
                episode, status = reused, "unchanged"
            else:
                episode = episode_from_bytes(raw, path=path, site=site)
                status = "updated" if known else "added"
            if episode.id in owner:
                raise ParseError(
                    f"duplicate episode {episode.id!r}: {owner[episode.id]} has the same "
                    "category and slug",
                    path=key,
                )
        except ParseError as exc:
            report.skipped.append(str(exc))
            _keep_last_good(key, reusable, episodes, files, owner, report)
            continue
        owner[episode.id] = key
        episodes[episode.id] = episode
        files[key] = {"sha256": digest, "episode_id": episode.id}
        if status == "added" and reusable and episode.id in reusable.catalog.by_id:
            status = "updated"
        getattr(report, status).append(episode.id)
        if status != "unchanged":
            report.warnings.extend(episode.warnings)
    return list(episodes.values()), files


def _keep_last_good(
    key: str,
    reusable: _Previous | None,
    episodes: dict[str, Episode],
    files: dict[str, dict[str, str]],
    owner: dict[str, str],
    report: BuildReport,
) -> None:
    """A file that broke since the last build keeps serving its last good version."""
    known = reusable.files.get(key) if reusable else None
    if not known or not reusable or known["episode_id"] not in reusable.catalog.by_id:
        return
    episode_id = known["episode_id"]
    if episode_id in owner:
        return
    owner[episode_id] = key
    episodes[episode_id] = reusable.catalog.by_id[episode_id]
    files[key] = known
    report.kept.append(episode_id)


def _write_generation(
    index_dir: Path,
    episodes: list[Episode],
    files: dict[str, dict[str, str]],
    tags: dict[str, TagInfo],
    site: SiteConfig,
    inputs: str,
    reusable: _Previous | None,
    report: BuildReport,
) -> str:
    name = store.next_generation_name(index_dir)
    building = store.building_path(index_dir, name)
    try:
        if reusable:
            _link_files(reusable.path, building)
            ix = whoosh_index.open_dir(str(building))
            changed = set(report.updated) | set(report.removed)
            fresh = [e for e in episodes if e.id in set(report.added) | set(report.updated)]
        else:
            building.mkdir()
            ix = whoosh_index.create_in(str(building), schema.build_schema())
            changed, fresh = set(), episodes
        writer = ix.writer(limitmb=WRITER_MEMORY_MB)
        try:
            for episode_id in sorted(changed):
                writer.delete_by_term("episode_id", episode_id)
            for episode in fresh:
                _add_episode(writer, episode, tags)
            writer.commit()
        except BaseException:
            # A writer whose commit failed half way is already closed; the first error matters.
            with contextlib.suppress(Exception):
                writer.cancel()
            raise
        finally:
            ix.close()
        catalog = Catalog(
            generation=name,
            built_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            episodes=tuple(episodes),
            tags=tags,
            site=site,
        )
        (building / CATALOG_FILE).write_text(catalog.to_json(), encoding="utf-8")
        counts = _updated_word_counts(episodes, reusable, report)
        words = json.dumps(counts, ensure_ascii=False, separators=(",", ":"))
        (building / schema.WORDS_FILE).write_text(words, encoding="utf-8")
        manifest = {"inputs": inputs, "files": files}
        (building / MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")
        store.publish(index_dir, building, name)
    except BaseException:
        store.remove_path(building)
        raise
    store.prune(index_dir, name)
    return name


def _link_files(source: Path, target: Path) -> None:
    """Start a generation from the previous one: Whoosh files hard-linked, not copied."""
    target.mkdir()
    for entry in source.iterdir():
        if entry.name in (CATALOG_FILE, MANIFEST_FILE, schema.WORDS_FILE) or not entry.is_file():
            continue
        if entry.name.endswith(".toc") or entry.suffix == ".lock":
            # The TOC is small and rewritten by the commit; copy it so no link is shared.
            (target / entry.name).write_bytes(entry.read_bytes())
        else:
            os.link(entry, target / entry.name)


def _add_episode(writer: IndexWriter, episode: Episode, tags: dict[str, TagInfo]) -> None:
    tag_words = " ".join(
        f"{tag.replace('-', ' ')} {tags[tag].label if tag in tags else ''}" for tag in episode.tags
    )
    libraries = " ".join(lib.id.replace("/", " ") for lib in episode.libraries)
    writer.add_document(
        episode_id=episode.id,
        position=-1,
        title=episode.title,
        description=episode.description,
        guests=" ".join(guest.name for guest in episode.guests),
        tags=tag_words,
        libraries=libraries,
        intro=episode.intro,
    )
    for segment in episode.segments:
        writer.add_document(episode_id=episode.id, position=segment.position, text=segment.plain)


def word_counts(episodes: Iterable[Episode]) -> Counter[str]:
    """How many moments and titles have each word: what did-you-mean suggests from."""
    counts: Counter[str] = Counter()
    for episode in episodes:
        counts.update(schema.vocabulary(episode.title))
        for segment in episode.segments:
            counts.update(schema.vocabulary(segment.plain))
    return counts


def _updated_word_counts(
    episodes: list[Episode], reusable: _Previous | None, report: BuildReport
) -> dict[str, int]:
    """The word counts, from the previous generation's when it can: only changes are read."""
    counts = None
    if reusable:
        with contextlib.suppress(OSError, ValueError):
            raw = (reusable.path / schema.WORDS_FILE).read_text(encoding="utf-8")
            counts = Counter(json.loads(raw))
    if counts is None:
        counts = word_counts(episodes)
    else:
        old = reusable.catalog.by_id if reusable else {}
        gone = set(report.updated) | set(report.removed)
        counts.subtract(word_counts(old[e] for e in sorted(gone) if e in old))
        fresh = set(report.added) | set(report.updated)
        counts.update(word_counts(e for e in episodes if e.id in fresh))
    return {word: count for word, count in sorted(counts.items()) if count > 0}


def _load_previous(index_dir: Path) -> _Previous | None:
    if not index_dir.exists():
        return None
    try:
        name = store.read_pointer(index_dir)
        path = store.generation_path(index_dir, name)
        catalog = Catalog.load(path)
        manifest: dict[str, Any] = json.loads((path / MANIFEST_FILE).read_text(encoding="utf-8"))
        whoosh_index.open_dir(str(path)).close()
    except Exception:  # noqa: BLE001 - a damaged index fails in many ways (ours and Whoosh's)
        return None  # nothing usable to start from: a full build replaces it
    return _Previous(name, path, catalog, manifest.get("files", {}), manifest.get("inputs", ""))


def _inputs_fingerprint(site: SiteConfig, tags: dict[str, TagInfo]) -> str:
    data = json.dumps(
        {
            "schema": schema.SCHEMA_VERSION,
            "site": vars(site),
            "tags": {tag: vars(info) for tag, info in sorted(tags.items())},
        },
        sort_keys=True,
    )
    return hashlib.sha256(data.encode()).hexdigest()
