"""Episode files into `Episode` objects.

`parse_episode(text, path=...)` does no I/O; `load_episode(path)` reads a file and calls it.
Errors that lose the episode raise `ParseError` (`path:line: reason`); problems that lose only
a detail are kept on `Episode.warnings` in the same form.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from frontmatter.default_handlers import YAMLHandler

from .errors import ParseError
from .markup import MD_LINK, heading_anchor, markdown_to_plain, slugify, strip_liquid, urls_in
from .models import Episode, Guest, Library, Link, Segment, SiteConfig

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_FRONT_MATTER_CHARS = 64 * 1024
CATEGORIES = ("podcast", "interviews")

JEKYLL_FILE_NAME = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})-(?:(?P<number>\d+)-)?(?P<rest>.+?)(?:\.(?:md|markdown|txt))?$"
)
FRONT_MATTER_FENCE = re.compile(r"^-{3,}[ \t]*$", re.MULTILINE)
HEADING = re.compile(r"^(?P<hashes>#{1,6})[ \t]+(?P<title>.*?)[ \t#]*$")
LIST_ITEM = re.compile(r"^[ \t]{0,3}[-*+][ \t]+(?P<rest>.*)$")
TIMESTAMPED = re.compile(
    r"^(?P<a>\d{1,2}):(?P<b>\d{2})(?:(?P<sep>[:-])(?P<c>\d{2}))?"
    r"[ \t]*(?:--|—|–|-|:)[ \t]*(?P<text>.*)$"
)
TIMESTAMP_LIKE = re.compile(r"^\d{1,3}:\S*")
DURATION = re.compile(r"^(?:(?P<h>\d+):)?(?P<m>\d{1,2}):(?P<s>\d{2})$")
GUEST_KEY = re.compile(r"^guest(?:_(?P<n>\d+))?$")
GITHUB_REPO = re.compile(r"^/(?P<owner>[^/]+)/(?P<repo>[^/#?]+)")
WORDS_ONLY = re.compile(r"[^a-z ]+")
YAML_ALIAS = re.compile(r"(?:^|[\s,\[{:-])\*[^\s,\]}]+", re.MULTILINE)
MAX_YAML_ALIASES = 64


class FrontMatterLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """yaml's safe loader, except dates stay text so a bad one is a warning, not a crash."""


FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class _Line:
    number: int  # 1-based, in the whole file
    text: str


@dataclass
class _Section:
    kind: str  # intro, topics, libraries, links, question, other
    title: str
    line: int
    lines: list[_Line] = field(default_factory=list)


def load_episode(path: str | Path, *, site: SiteConfig | None = None) -> Episode:
    """Read one episode file; the category defaults to the folder it is in."""
    return episode_from_bytes(read_source(path), path=Path(path), site=site)


def read_source(path: str | Path) -> bytes:
    """A file's bytes, refusing one too large to be an episode."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ParseError(
                f"file is {size:,} bytes, over the {MAX_FILE_BYTES:,} byte limit", path=str(path)
            )
        return path.read_bytes()
    except OSError as exc:
        raise ParseError(f"cannot read file: {exc.strerror}", path=str(path)) from exc


def episode_from_bytes(raw: bytes, *, path: Path, site: SiteConfig | None = None) -> Episode:
    text = decode(raw, path=str(path))
    folder = path.parent.name.lstrip("_")
    return parse_episode(
        text, path=str(path), category=folder if folder in CATEGORIES else None, site=site
    )


def decode(raw: bytes, *, path: str) -> str:
    """UTF-8 (with or without BOM) to text with `\\n` line endings, or a clear error."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ParseError(
            f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
            path=path,
            line=line,
        ) from exc
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ParseError("contains a NUL byte; is this a binary file?", path=path, line=line)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_episode(
    text: str,
    *,
    path: str = "<text>",
    category: str | None = None,
    site: SiteConfig | None = None,
) -> Episode:
    """Parse the text of one episode file."""
    meta, body, body_line = split_front_matter(text, path=path)
    warnings: list[tuple[int, str]] = []

    def warn(line: int, reason: str) -> None:
        warnings.append((line, f"{path}:{line}: {reason}"))

    name = Path(path).name
    name_match = JEKYLL_FILE_NAME.match(name)
    slug = _text(meta, "slug", path) or (
        name_match.group("rest") if name_match else Path(name).stem
    )
    if name_match and name_match.group("number"):
        slug = f"{name_match.group('number')}-{slug}"
    slug = slugify(slug) if not re.fullmatch(r"[A-Za-z0-9_.-]+", slug) else slug
    if not slug or slug.strip(".") == "":
        raise ParseError("cannot derive a slug from the file name", path=path)

    category = _text(meta, "category", path) or category or "podcast"
    if category not in CATEGORIES:
        warn(1, f"unknown category {category!r}; expected one of {', '.join(CATEGORIES)}")
        category = slugify(category) or "podcast"

    title = _text(meta, "title", path)
    if not title:
        raise ParseError("front matter has no title", path=path)

    number = _int(meta.get("number"), "number", path, warn)
    if number is None and name_match and name_match.group("number"):
        number = int(name_match.group("number"))
    date = _date(meta.get("date"), path, warn) or (
        dt.date.fromisoformat(name_match.group("date")) if name_match else None
    )
    if date is None:
        warn(1, "no date in the file name or front matter")

    duration = _duration(meta.get("mp3_duration"), path, warn)
    body = strip_liquid(body, meta)
    sections = list(_sections(body, first_line=body_line, interview=category == "interviews"))

    if category == "interviews":
        segments = _interview_segments(sections)
    else:
        segments = _timestamped_segments(sections, duration, warn)

    episode_id = f"{category}/{slug}"
    return Episode(
        id=episode_id,
        category=category,
        slug=slug,
        title=markdown_to_plain(strip_liquid(title, meta)),
        number=number,
        date=date,
        description=markdown_to_plain(strip_liquid(_text(meta, "description", path) or "", meta)),
        intro="\n".join(
            line.text for s in sections if s.kind == "intro" for line in s.lines
        ).strip(),
        guests=_guests(meta, path),
        tags=_tags(meta.get("tags"), path, warn),
        duration=duration,
        mp3_bytes=_int(meta.get("mp3_bytes"), "mp3_bytes", path, warn),
        under_review=meta.get("under_review") is True,
        segments=segments,
        libraries=_libraries(sections),
        links=_links(sections),
        audio_url=_audio_url(meta, category, number, site, path),
        source_url=_source_url(category, slug, site),
        source_path=path,
        warnings=tuple(message for _, message in sorted(warnings, key=lambda w: w[0])),
    )


def split_front_matter(text: str, *, path: str) -> tuple[dict[str, Any], str, int]:
    """Front matter as a mapping, the body, and the body's first line number."""
    if not text.strip():
        raise ParseError("file is empty", path=path)
    if not FRONT_MATTER_FENCE.match(text):
        raise ParseError("no front matter: the file must start with a '---' line", path=path)
    fences = list(FRONT_MATTER_FENCE.finditer(text))
    if len(fences) < 2:
        raise ParseError("front matter is not closed: no second '---' line", path=path)
    front_text = text[fences[0].end() : fences[1].start()]
    body = text[fences[1].end() :].removeprefix("\n")
    if len(front_text) > MAX_FRONT_MATTER_CHARS:
        raise ParseError(
            f"front matter is over {MAX_FRONT_MATTER_CHARS:,} characters", path=path, line=2
        )
    if len(YAML_ALIAS.findall(front_text)) > MAX_YAML_ALIASES:
        # Aliases can expand exponentially ("billion laughs"); real front matter needs few.
        raise ParseError(
            f"front matter has over {MAX_YAML_ALIASES} YAML aliases", path=path, line=2
        )
    try:
        meta = YAMLHandler().load(front_text, Loader=FrontMatterLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = 1 + (mark.line if mark else 1)
        raise ParseError(
            f"broken YAML in front matter: {exc.problem}", path=path, line=line
        ) from exc
    except (yaml.YAMLError, ValueError, OverflowError, RecursionError) as exc:
        raise ParseError(f"unreadable front matter: {exc}", path=path, line=2) from exc
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise ParseError(
            f"front matter must be a mapping of keys to values, not a {type(meta).__name__}",
            path=path,
            line=2,
        )
    body_line = text[: fences[1].end()].count("\n") + 2
    return meta, body, body_line


def _sections(body: str, *, first_line: int, interview: bool) -> Iterator[_Section]:
    current = _Section("intro", "", first_line)
    in_links = False
    for offset, raw in enumerate(body.split("\n")):
        number = first_line + offset
        heading = HEADING.match(raw)
        if not heading:
            current.lines.append(_Line(number, raw))
            continue
        yield current
        level = len(heading.group("hashes"))
        title = heading.group("title")
        kind = _section_kind(title, level=level, interview=interview, in_links=in_links)
        in_links = kind in ("links", "libraries") or (in_links and level > 2)
        current = _Section(kind, title, number)
    yield current


def _section_kind(title: str, *, level: int, interview: bool, in_links: bool) -> str:
    words = WORDS_ONLY.sub(" ", markdown_to_plain(title).lower()).split()
    name = " ".join(words)
    if "libraries used" in name:
        return "libraries"
    if name in ("topics include", "show notes", "topics"):
        return "topics"
    if name in ("links", "references", "reference", "resources") or (in_links and level > 2):
        return "links"
    if interview and level == 2:
        return "question"
    return "other"


def _timestamped_segments(
    sections: list[_Section], duration: int | None, warn: Any
) -> tuple[Segment, ...]:
    items = [item for s in sections if s.kind == "topics" for item in _list_items(s.lines)]
    stamped: list[tuple[int, int, str]] = []
    for line, text in items:
        match = TIMESTAMPED.match(text)
        if not match:
            if TIMESTAMP_LIKE.match(text):
                warn(line, f"unreadable timestamp in {text.split()[0]!r}; line skipped")
            continue
        a, b, c = match.group("a"), match.group("b"), match.group("c")
        if c is None:
            start = int(a) * 60 + int(b)
        else:
            start = int(a) * 3600 + int(b) * 60 + int(c)
            if match.group("sep") == "-":
                warn(line, f"timestamp '{a}:{b}-{c}' read as {a}:{b}:{c}")
        stamped.append((line, start, match.group("text").strip()))

    segments: list[Segment] = []
    for index, (line, start, text) in enumerate(stamped):
        if index and start < stamped[index - 1][1]:
            warn(line, "timestamp is earlier than the one before it")
        if duration is not None and start > duration:
            warn(line, f"timestamp is past the episode's duration ({duration} s)")
        # A moment ends where the next later moment starts, even when a line is out of order.
        later = [s for _, s, _ in stamped[index + 1 :] if s > start]
        end = min(later) if later else duration
        segments.append(
            Segment(
                position=index,
                text=text,
                plain=markdown_to_plain(text),
                start=start,
                end=end if end is not None and end > start else None,
                line=line,
            )
        )
    return tuple(segments)


def _list_items(lines: list[_Line]) -> Iterator[tuple[int, str]]:
    """List items of a section with their wrapped continuation lines joined."""
    current: tuple[int, list[str]] | None = None
    for line in lines:
        item = LIST_ITEM.match(line.text)
        if item:
            if current:
                yield current[0], " ".join(current[1])
            current = (line.number, [item.group("rest").strip()])
        elif current and line.text.strip():
            current[1].append(line.text.strip())
        elif current:
            yield current[0], " ".join(current[1])
            current = None
    if current:
        yield current[0], " ".join(current[1])


def _interview_segments(sections: list[_Section]) -> tuple[Segment, ...]:
    segments: list[Segment] = []
    for section in (s for s in sections if s.kind == "question"):
        body = "\n".join(line.text for line in section.lines).strip()
        question = section.title.strip()
        segments.append(
            Segment(
                position=len(segments),
                text=question,
                body=body,
                plain=f"{markdown_to_plain(question)} {markdown_to_plain(body)}".strip(),
                anchor=heading_anchor(question),
                line=section.line,
            )
        )
    return tuple(segments)


def library_id(url: str) -> str:
    """A library's id: `whitfin/cachex` for a GitHub URL, `gunicorn.org` for `https://gunicorn.org/`.

    GitHub URLs become `owner/repo` in lower case; others host plus path, no scheme or end slash.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host in ("github.com", "www.github.com"):
        repo = GITHUB_REPO.match(parts.path)
        if repo:
            name = repo.group("repo").removesuffix(".git")
            return f"{repo.group('owner')}/{name}".lower()
    return f"{host}{parts.path}".rstrip("/")


def _libraries(sections: list[_Section]) -> tuple[Library, ...]:
    found: dict[str, Library] = {}
    for section in (s for s in sections if s.kind == "libraries"):
        for line in section.lines:
            for url in urls_in(line.text):
                found.setdefault(library_id(url), Library(id=library_id(url), url=url))
    return tuple(found.values())


def _links(sections: list[_Section]) -> tuple[Link, ...]:
    found: dict[str, Link] = {}
    for section in sections:
        if section.kind not in ("links", "intro", "question", "other"):
            continue
        for line in section.lines:
            named = {m.group("url"): m.group("text") for m in MD_LINK.finditer(line.text)}
            for url in urls_in(line.text):
                host = (urlsplit(url).hostname or "").lower()
                text = markdown_to_plain(named[url]) if named.get(url) else None
                found.setdefault(url, Link(url=url, host=host, text=text or None))
    return tuple(found.values())


def _guests(meta: Mapping[str, Any], path: str) -> tuple[Guest, ...]:
    guests: list[tuple[int, Guest]] = []
    for key in meta:
        match = GUEST_KEY.match(str(key))
        if not match:
            continue
        name = _text(meta, key, path)
        if not name:
            continue
        prefix = str(key)
        website = _text(meta, f"{prefix}_website", path)
        guests.append(
            (
                int(match.group("n") or 1),
                Guest(
                    name=name,
                    slug=slugify(name),
                    website=website if website and website.startswith("http") else None,
                    twitter=_text(meta, f"{prefix}_twitter", path) or None,
                    title=_text(meta, f"{prefix}_title", path) or None,
                ),
            )
        )
    return tuple(guest for _, guest in sorted(guests, key=lambda pair: pair[0]))


def _tags(value: Any, path: str, warn: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        warn(1, f"tags must be a list, not a {type(value).__name__}; tags ignored")
        return ()
    tags: dict[str, None] = {}
    for item in value:
        if isinstance(item, dict | list) or item is None:
            warn(1, f"a tag is a {type(item).__name__}, not a word; ignored")
            continue
        tag = slugify(str(item))
        if tag:
            tags.setdefault(tag, None)
    return tuple(tags)


def _text(meta: Mapping[str, Any], key: str, path: str) -> str:
    value = meta.get(key)
    if value is None:
        return ""
    if isinstance(value, bool):
        raise ParseError(
            f"{key} is read by YAML as the boolean {str(value).lower()}; quote it", path=path
        )
    if isinstance(value, dict | list):
        raise ParseError(f"{key} must be text, not a {type(value).__name__}", path=path)
    return " ".join(str(value).split())


def _int(value: Any, key: str, path: str, warn: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        warn(1, f"{key} {str(value)[:40]!r} is not a whole number; ignored")
        return None
    if not 0 <= number < 10**15:
        warn(1, f"{key} is out of range; ignored")
        return None
    return number


def _date(value: Any, path: str, warn: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        warn(1, f"date {str(value)[:40]!r} is not a YYYY-MM-DD date; ignored")
        return None


def _duration(value: Any, path: str, warn: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value  # YAML reads an unquoted 50:55 as sexagesimal seconds
    match = DURATION.match(str(value).strip())
    if not match:
        warn(1, f"mp3_duration {str(value)[:40]!r} is not m:ss or h:mm:ss; ignored")
        return None
    return int(match.group("h") or 0) * 3600 + int(match.group("m")) * 60 + int(match.group("s"))


def _audio_url(
    meta: Mapping[str, Any], category: str, number: int | None, site: SiteConfig | None, path: str
) -> str | None:
    explicit = _text(meta, "audio_url", path)
    if explicit:
        return explicit
    if category != "podcast" or number is None or site is None or not site.mp3_url_prefix:
        return None
    return f"{site.mp3_url_prefix}{number}.mp3"


def _source_url(category: str, slug: str, site: SiteConfig | None) -> str | None:
    if site is None or not site.url:
        return None
    permalink = site.permalink.replace(":categories", category).replace(":slug", slug)
    return site.url.rstrip("/") + "/" + permalink.lstrip("/")
