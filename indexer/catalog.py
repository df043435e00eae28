"""What a generation knows besides the Whoosh index: every episode, the tag registry, the site.

Loaded once per generation. The per-value episode sets built here are what facet counts and
filters are computed from, so no query needs the engine's general grouping.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from .models import SEGMENT_FIELDS, Episode, Guest, Segment, SiteConfig, TagInfo, segment_from_dict

CATALOG_FILE = "catalog.json"
CATALOG_VERSION = 1

FACETS = ("tag", "guest", "library", "year", "category")


@dataclass(frozen=True)
class Catalog:
    generation: str
    built_at: str
    episodes: tuple[Episode, ...]
    tags: dict[str, TagInfo] = field(default_factory=dict)
    site: SiteConfig = field(default_factory=SiteConfig)

    # --- persistence -----------------------------------------------------------------------

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": CATALOG_VERSION,
                "generation": self.generation,
                "built_at": self.built_at,
                "site": vars(self.site),
                "tags": {tag: vars(info) for tag, info in self.tags.items()},
                "episodes": [episode.to_dict() for episode in self.episodes],
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> Catalog:
        # Moments become objects as they are parsed, so the whole file never exists as dicts
        # alongside them: at 300,000 moments that peak, and the fragmented heap it leaves, was
        # most of a worker's memory.
        data: dict[str, Any] = json.loads(text, object_hook=_Decoder())
        return cls(
            generation=data["generation"],
            built_at=data["built_at"],
            episodes=tuple(Episode.from_dict(e) for e in data["episodes"]),
            tags={tag: TagInfo(**info) for tag, info in data["tags"].items()},
            site=SiteConfig(**data["site"]),
        )

    @classmethod
    def load(cls, generation_dir: Path) -> Catalog:
        return cls.from_json((generation_dir / CATALOG_FILE).read_text(encoding="utf-8"))

    # --- lookups ---------------------------------------------------------------------------

    @cached_property
    def by_id(self) -> dict[str, Episode]:
        return {episode.id: episode for episode in self.episodes}

    @cached_property
    def newest_first(self) -> tuple[str, ...]:
        """Episode ids by date, newest first; undated episodes last."""
        ordered = sorted(
            self.episodes,
            key=lambda e: (e.date is not None, e.date, e.category, e.number or 0),
            reverse=True,
        )
        return tuple(e.id for e in ordered)

    @cached_property
    def order(self) -> dict[str, int]:
        """Each episode's rank in `newest_first`, for sorting."""
        return {episode_id: rank for rank, episode_id in enumerate(self.newest_first)}

    @cached_property
    def facet_sets(self) -> dict[str, dict[str, frozenset[str]]]:
        """For each facet, each value's set of episode ids."""
        sets: dict[str, dict[str, set[str]]] = {name: defaultdict(set) for name in FACETS}
        for episode in self.episodes:
            for value in facet_values(episode):
                sets[value[0]][value[1]].add(episode.id)
        return {
            name: {v: frozenset(ids) for v, ids in values.items()} for name, values in sets.items()
        }

    @cached_property
    def guests(self) -> dict[str, Guest]:
        """Each guest slug's details, from their latest episode."""
        found: dict[str, Guest] = {}
        for episode_id in reversed(self.newest_first):
            for guest in self.by_id[episode_id].guests:
                found[guest.slug] = guest
        return found

    @cached_property
    def libraries(self) -> dict[str, str]:
        """Each library id's URL."""
        return {lib.id: lib.url for e in self.episodes for lib in e.libraries}

    @cached_property
    def all_ids(self) -> frozenset[str]:
        return frozenset(self.by_id)

    def label(self, facet: str, value: str) -> str:
        """What a facet value is called on screen."""
        if facet == "tag":
            info = self.tags.get(value)
            return info.label if info else value
        if facet == "guest":
            guest = self.guests.get(value)
            return guest.name if guest else value
        if facet == "category":
            return {"podcast": "Podcast", "interviews": "Interviews"}.get(value, value.title())
        return value


class _Decoder:
    """The JSON object hook: moments become `Segment`s, repeated values one shared object.

    Tags, hosts, library ids and the like recur in thousands of episodes, and timestamps and
    line numbers in most moments; the JSON decoder makes a new object for every occurrence.
    """

    SHARED_TEXT = 100  # longer strings are titles and prose, rarely repeated

    def __init__(self) -> None:
        self._seen: dict[object, Any] = {}

    def _shared(self, value: Any) -> Any:
        kind = type(value)
        if kind is int or kind is str and len(value) <= self.SHARED_TEXT:
            return self._seen.setdefault(value, value)
        if kind is list and value and type(value[0]) is str:  # tags; not moments or episodes
            return [self._shared(item) for item in value]
        return value

    def __call__(self, data: dict[str, Any]) -> Segment | dict[str, Any]:
        if data.keys() == SEGMENT_FIELDS:
            seen = self._seen  # 300,000 moments: no call per value
            start, end, line = data["start"], data["end"], data["line"]
            data["start"] = seen.setdefault(start, start)
            data["end"] = seen.setdefault(end, end)
            data["line"] = seen.setdefault(line, line)
            return segment_from_dict(data)
        for name, value in data.items():
            data[name] = self._shared(value)  # replacing values, not keys, is safe mid-loop
        return data


def facet_values(episode: Episode) -> list[tuple[str, str]]:
    values = [("tag", tag) for tag in episode.tags]
    values += [("guest", guest.slug) for guest in episode.guests]
    values += [("library", lib.id) for lib in episode.libraries]
    if episode.year is not None:
        values.append(("year", str(episode.year)))
    values.append(("category", episode.category))
    return values
