"""Optional inputs beside the episodes: a Jekyll `_config.yml` and a folder of tag pages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from .errors import ParseError
from .markup import markdown_to_plain, slugify
from .models import SiteConfig, TagInfo
from .parser import decode, split_front_matter

# "Websites Using PostgreSQL in Production" -> "PostgreSQL";
# "Building Machine Images with Packer" -> "Packer".
TAG_TITLE_NAME = re.compile(
    r"\b(?:Using|with)\s+(?:an?\s+)?(?P<name>.+?)"
    r"(?:\s+(?:in\s+Production|to|for|as)\b.*)?$"
)


def parse_site_config(text: str, *, path: str = "<text>") -> SiteConfig:
    try:
        data = yaml.load(text, Loader=yaml.SafeLoader)  # noqa: S506 - SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise ParseError(f"broken YAML: {exc}", path=path, line=line) from exc
    if not isinstance(data, dict):
        raise ParseError("site configuration must be a mapping", path=path)

    def text_value(key: str) -> str | None:
        value = data.get(key)
        return str(value) if isinstance(value, str | int) and str(value) else None

    return SiteConfig(
        url=text_value("url"),
        mp3_url_prefix=text_value("mp3_url_path") or text_value("mp3_url_prefix"),
        permalink=text_value("permalink") or "/:categories/:slug",
    )


def load_site_config(path: str | Path) -> SiteConfig:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ParseError(f"cannot read site configuration: {exc.strerror}", path=str(path)) from exc
    return parse_site_config(decode(raw, path=str(path)), path=str(path))


def tag_label(title: str, tag: str) -> str:
    """The product name in a tag page's title, or the tag made readable."""
    match = TAG_TITLE_NAME.search(title)
    if match:
        return match.group("name").strip()
    return " ".join(word.capitalize() for word in tag.split("-"))


def parse_tag_page(text: str, *, path: str = "<text>") -> TagInfo:
    meta, _body, _line = split_front_matter(text, path=path)
    tag = slugify(str(meta.get("tag") or Path(path).stem))
    if not tag:
        raise ParseError("tag page names no tag", path=path)
    title = markdown_to_plain(str(meta.get("title") or ""))
    url: Any = meta.get("url")
    return TagInfo(
        tag=tag,
        label=tag_label(title, tag),
        url=url if isinstance(url, str) and url.startswith("http") else None,
        description=" ".join(str(meta.get("description") or "").split()),
    )


def load_tag_registry(folder: str | Path) -> tuple[dict[str, TagInfo], list[str]]:
    """Every tag page in a folder, and the problems of the pages that could not be read."""
    registry: dict[str, TagInfo] = {}
    problems: list[str] = []
    for path in sorted(Path(folder).glob("*.md")):
        try:
            info = parse_tag_page(decode(path.read_bytes(), path=str(path)), path=str(path))
        except ParseError as exc:
            problems.append(str(exc))
            continue
        except OSError as exc:
            problems.append(f"{path}:1: cannot read file: {exc.strerror}")
            continue
        registry[info.tag] = info
    return registry, problems
