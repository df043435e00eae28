"""The model an episode file parses into: frozen dataclasses, no I/O, JSON round-trip."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from typing import Any


def format_timestamp(seconds: int) -> str:
    """`1011` -> `16:51`, `3862` -> `1:04:22`, as the show notes write them."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


@dataclass(frozen=True, slots=True)
class Guest:
    name: str
    slug: str
    website: str | None = None
    twitter: str | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Segment:
    """One moment of an episode: a timestamped show-note line or an interview answer."""

    position: int
    text: str  # inline markdown kept, for rendering
    plain: str  # markup removed, for indexing and snippets
    start: int | None = None  # seconds; None for written interviews
    end: int | None = None
    anchor: str | None = None  # the heading id of an interview question
    line: int = 0  # 1-based line in the source file
    body: str = ""  # an interview answer's markdown; empty for show-note lines

    @property
    def timestamp(self) -> str | None:
        return None if self.start is None else format_timestamp(self.start)


@dataclass(frozen=True, slots=True)
class Library:
    id: str  # `owner/repo` for GitHub, else host + path
    url: str

    @property
    def name(self) -> str:
        return self.id.rsplit("/", 1)[-1] if "/" in self.id else self.id


@dataclass(frozen=True, slots=True)
class Link:
    url: str
    host: str
    text: str | None = None


@dataclass(frozen=True, slots=True)
class Episode:
    id: str  # `<category>/<slug>`, unique in an index
    category: str
    slug: str
    title: str
    number: int | None = None
    date: dt.date | None = None
    description: str = ""
    intro: str = ""  # the markdown before the show notes, Liquid removed
    guests: tuple[Guest, ...] = ()
    tags: tuple[str, ...] = ()
    duration: int | None = None  # seconds
    mp3_bytes: int | None = None
    under_review: bool = False
    segments: tuple[Segment, ...] = ()
    libraries: tuple[Library, ...] = ()
    links: tuple[Link, ...] = ()
    audio_url: str | None = None
    source_url: str | None = None
    source_path: str = ""
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def year(self) -> int | None:
        return self.date.year if self.date else None

    def to_dict(self) -> dict[str, Any]:
        # What `asdict` gives, without its deep copies (a third of a build's catalog time):
        # every value is immutable, and the nested dataclasses hold only plain values.
        data = _shallow_dict(self)
        data["date"] = self.date.isoformat() if self.date else None
        for name in ("guests", "segments", "libraries", "links"):
            data[name] = tuple(_shallow_dict(item) for item in data[name])
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Episode:
        values = dict(data)
        values["date"] = dt.date.fromisoformat(data["date"]) if data.get("date") else None
        values["guests"] = tuple(Guest(**g) for g in data.get("guests", ()))
        values["tags"] = tuple(data.get("tags", ()))
        values["segments"] = tuple(
            s if isinstance(s, Segment) else segment_from_dict(dict(s))
            for s in data.get("segments", ())
        )
        values["libraries"] = tuple(Library(**x) for x in data.get("libraries", ()))
        values["links"] = tuple(Link(**x) for x in data.get("links", ()))
        values["warnings"] = tuple(data.get("warnings", ()))
        return cls(**values)


SEGMENT_FIELDS = frozenset(f.name for f in fields(Segment))


def segment_from_dict(values: dict[str, Any]) -> Segment:
    """The segment of a `to_dict` record; `values` may be changed."""
    if values.get("plain") == values.get("text"):
        # Most moments have no markup: one string for both, not two equal ones in memory.
        values["plain"] = values["text"]
    return Segment(**values)


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _shallow_dict(item: Any) -> dict[str, Any]:
    names = _FIELD_NAMES.get(type(item))
    if names is None:
        names = _FIELD_NAMES[type(item)] = tuple(f.name for f in fields(item))
    return {name: getattr(item, name) for name in names}


@dataclass(frozen=True)
class TagInfo:
    """What the tag registry knows of a tag."""

    tag: str
    label: str
    url: str | None = None
    description: str = ""


@dataclass(frozen=True)
class SiteConfig:
    """The parts of a Jekyll `_config.yml` that give episodes their URLs."""

    url: str | None = None
    mp3_url_prefix: str | None = None
    permalink: str = "/:categories/:slug"
