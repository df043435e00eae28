"""Small text helpers shared by the parser and the query layer: Liquid, markdown to plain, slugs."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

LIQUID_PAGE_VAR = re.compile(r"\{\{-?\s*page\.(?P<key>[A-Za-z0-9_]+)\s*-?\}\}")
LIQUID_OUTPUT = re.compile(r"\{\{.*?\}\}", re.DOTALL)
LIQUID_TAG = re.compile(r"\{%.*?%\}", re.DOTALL)
EMPTY_LINK = re.compile(r"\[(?P<text>[^\]]*)\]\(\s*\)")

MD_IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\([^)]*\)")
MD_LINK = re.compile(r"\[(?P<text>[^\]]*)\]\(\s*(?P<url>[^)\s]*)(?:\s+\"[^\"]*\")?\s*\)")
MD_REF_LINK = re.compile(r"\[(?P<text>[^\]]+)\]\[[^\]]*\]")
MD_AUTOLINK = re.compile(r"<(?P<url>(?:https?|mailto):[^>\s]+)>")
HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")
MD_EMPHASIS = re.compile(r"(\*\*|__|\*|`+|~~)")
WHITESPACE = re.compile(r"\s+")
URL = re.compile(r"(?P<url>https?://[^\s<>()\[\]\"']+[^\s<>()\[\]\"'.,;:!?])")

SLUG_UNSAFE = re.compile(r"[^a-z0-9]+")
ANCHOR_UNSAFE = re.compile(r"[^\w\- ]+")


def _keep_newlines(match: re.Match[str]) -> str:
    # Removing a multi-line tag must not shift the line numbers reported after it.
    return "\n" * match.group(0).count("\n")


def strip_liquid(text: str, page: Mapping[str, Any]) -> str:
    """Replace `{{ page.X }}` by the front matter value and drop every other Liquid construct."""

    def page_value(match: re.Match[str]) -> str:
        value = page.get(match.group("key"))
        return "" if value is None or isinstance(value, dict | list) else str(value)

    text = LIQUID_PAGE_VAR.sub(page_value, text)
    text = LIQUID_OUTPUT.sub(_keep_newlines, text)
    text = LIQUID_TAG.sub(_keep_newlines, text)
    # A link whose target was a removed Liquid value keeps its words, not an empty link.
    return EMPTY_LINK.sub(lambda m: m.group("text"), text)


def markdown_to_plain(text: str) -> str:
    """Inline markdown to the words a reader sees, for indexing and snippets."""
    text = MD_IMAGE.sub(lambda m: m.group("alt"), text)
    text = MD_LINK.sub(lambda m: m.group("text"), text)
    text = MD_REF_LINK.sub(lambda m: m.group("text"), text)
    text = MD_AUTOLINK.sub(lambda m: m.group("url"), text)
    text = HTML_TAG.sub(" ", text)
    text = MD_EMPHASIS.sub("", text)
    return WHITESPACE.sub(" ", html.unescape(text)).strip()


# Letters that Unicode does not decompose into a base letter plus an accent.
UNDECOMPOSABLE = str.maketrans(
    {
        "ı": "i",
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "Th",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ß": "ss",
    }
)


def fold_accents(text: str) -> str:
    """`Névola` -> `Nevola`, `Yılmaz` -> `Yilmaz`."""
    decomposed = unicodedata.normalize("NFKD", text.translate(UNDECOMPOSABLE))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def slugify(text: str) -> str:
    """`Gabriel "OvermindDL1" Robertson` -> `gabriel-overminddl1-robertson`."""
    return SLUG_UNSAFE.sub("-", fold_accents(text).lower()).strip("-")


def heading_anchor(text: str) -> str:
    """The id kramdown gives a heading, so links to the source site's anchors agree."""
    plain = markdown_to_plain(text).lower()
    return ANCHOR_UNSAFE.sub("", plain).strip().replace(" ", "-")


def urls_in(text: str) -> list[str]:
    """Every http(s) URL in a line of markdown, in order, once each."""
    found: list[str] = []
    for match in URL.finditer(text):
        url = match.group("url")
        if url not in found:
            found.append(url)
    return found
