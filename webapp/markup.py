"""Markdown from episode files, which may be hostile, rendered as HTML that is safe to embed.

Raw HTML never passes: `<`, `>` and bare `&` are escaped before Markdown sees the text
(autolinks `<https://...>` are turned into ordinary links first so they survive), and
Markdown's own raw HTML handling is switched off as a second line of defence. Links keep only
http, https, mailto and relative targets; images become their alt text (they would break the
CSP anyway).
"""

from __future__ import annotations

import html
import re
import threading
from urllib.parse import urljoin
from xml.etree.ElementTree import Element

import markdown
from markdown.treeprocessors import Treeprocessor
from markupsafe import Markup

AUTOLINK = re.compile(r"<((?:https?://|mailto:)[^\s<>]+)>", re.IGNORECASE)
CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)
SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f]+")
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
BARE_AMPERSAND = re.compile(r"&(?!(?:#[0-9]+|#x[0-9a-f]+|[a-z][a-z0-9]*);)", re.IGNORECASE)
SINGLE_PARAGRAPH = re.compile(r"\A<p>(.*)</p>\Z", re.DOTALL)

_local = threading.local()


def render(text: str, *, base_url: str | None = None) -> Markup:
    """Block markdown (an episode's intro) as safe HTML."""
    return Markup(_converter(base_url).convert(escape_source(text)))


def render_inline(text: str, *, base_url: str | None = None) -> Markup:
    """One line of markdown (a show-note line, a question) without the surrounding <p>."""
    rendered = str(render(text, base_url=base_url))
    match = SINGLE_PARAGRAPH.match(rendered)
    return Markup(match.group(1) if match and "<p>" not in match.group(1) else rendered)


def escape_source(text: str) -> str:
    """Escape HTML in the markdown source, outside code spans (Markdown escapes those)."""
    text = AUTOLINK.sub(lambda m: f"[{m.group(1)}]({m.group(1)})", text)
    pieces: list[str] = []
    last = 0
    for match in CODE_SPAN.finditer(text):
        pieces.append(_escape(text[last : match.start()]))
        pieces.append(match.group(0))
        last = match.end()
    pieces.append(_escape(text[last:]))
    return "".join(pieces)


def _escape(text: str) -> str:
    # Entities stay: they are already text to a browser (the show notes write `R&amp;D`).
    text = BARE_AMPERSAND.sub("&amp;", text)
    return text.replace("<", "&lt;").replace(">", "&gt;")


def safe_href(href: str, *, base_url: str | None = None) -> str | None:
    """The link target if it is http(s), mailto or relative (resolved on `base_url`), else None."""
    decoded = _unescape_fully(href).strip()
    if decoded.startswith("<") and decoded.endswith(">"):
        decoded = decoded[1:-1].strip()
    # Browsers ignore control characters and spaces inside a scheme: `java\tscript:` counts.
    scheme = SCHEME.match(INVISIBLE.sub("", decoded).lower())
    if scheme is not None and scheme.group(1) not in SAFE_SCHEMES:
        return None
    if scheme is None and base_url:
        return urljoin(base_url, decoded)
    return decoded


def _unescape_fully(text: str) -> str:
    # `&amp;#106;avascript:` must not reach the browser as `&#106;avascript:`.
    for _ in range(10):
        decoded = html.unescape(text)
        if decoded == text:
            return decoded
        text = decoded
    return text


class _SafeLinks(Treeprocessor):
    def __init__(self, md: markdown.Markdown) -> None:
        super().__init__(md)
        self.base_url: str | None = None

    def run(self, root: Element) -> None:
        for parent in list(root.iter()):
            for index, child in enumerate(list(parent)):
                if child.tag == "a":
                    self._link(parent, index, child)
                elif child.tag == "img":
                    _unwrap(parent, index, child, text=child.get("alt", ""))

    def _link(self, parent: Element, index: int, link: Element) -> None:
        href = safe_href(link.get("href", ""), base_url=self.base_url)
        if href is None:
            _unwrap(parent, index, link, text=None)
            return
        link.attrib = {"href": href}
        if href.startswith(("http://", "https://")):
            link.set("rel", "nofollow noopener")


def _unwrap(parent: Element, index: int, child: Element, *, text: str | None) -> None:
    """Put the element's words in its place: a dropped link keeps its text."""
    words = text if text is not None else "".join(child.itertext())
    words += child.tail or ""
    position = list(parent).index(child) if child in list(parent) else index
    if position == 0:
        parent.text = (parent.text or "") + words
    else:
        previous = parent[position - 1]
        previous.tail = (previous.tail or "") + words
    parent.remove(child)


def _converter(base_url: str | None) -> markdown.Markdown:
    md: markdown.Markdown | None = getattr(_local, "md", None)
    if md is None:
        md = markdown.Markdown(output_format="html")
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(_SafeLinks(md), "safe_links", 1)
        _local.md = md
    md.reset()
    links = md.treeprocessors["safe_links"]
    assert isinstance(links, _SafeLinks)
    links.base_url = base_url
    return md
