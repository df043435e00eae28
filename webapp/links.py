"""URLs of the app's pages, shared by views and templates (registered as Jinja globals)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus

from flask import Flask, current_app, g, request, url_for

from indexer import Episode, SearchRequest, Segment
from indexer import documents as docs
from indexer.markup import markdown_to_plain
from indexer.recent import remembered

from .markup import safe_href


def _site(path: str) -> str:
    # The indexer's paths are site-relative; keep them right when mounted under a prefix.
    return request.script_root + path


def episode_url(episode: Episode) -> str:
    return _site(docs.episode_path(episode))


def moment_url(episode: Episode, segment: Segment) -> str:
    return _site(docs.moment_path(episode, segment))


VALUE_URLS = "shownotes.value_urls"
MAX_VALUE_URLS = 20_000


def value_url(facet: str, value: str) -> str:
    """The knowledge page of a tag, guest or library; a filtered search for the rest."""
    # A results page links each hit's tags and guests: the same few hundred URLs, page after page.
    known: dict[tuple[str, str, str], str] = current_app.extensions.setdefault(VALUE_URLS, {})
    key = (request.script_root, facet, value)
    return remembered(known, key, lambda: _value_url(facet, value), limit=MAX_VALUE_URLS)


def _value_url(facet: str, value: str) -> str:
    if facet == "tag":
        return url_for("knowledge.tag", tag=value)
    if facet == "guest":
        return url_for("knowledge.guest", slug=value)
    if facet == "library":
        return url_for("knowledge.library", library_id=value)
    return filter_url(facet, value)


def filter_url(facet: str, value: str) -> str:
    """Every episode with this facet value."""
    filters: dict[str, Any] = {facet: (value,)}
    return search_url(SearchRequest(**filters))


def search_url(search: SearchRequest, endpoint: str = "search.results") -> str:
    query = query_string(search.params())
    return _endpoint_path(endpoint) + (f"?{query}" if query else "")


def query_string(pairs: list[tuple[str, str]]) -> str:
    """`urlencode(pairs)`, the same text; each name and value is quoted once per process."""
    return "&".join([f"{quoted(name)}={quoted(value)}" for name, value in pairs])


# A page's facet links repeat the same names and values: quoting them was a fifth of its time.
quoted: Callable[[str], str] = lru_cache(maxsize=8192)(quote_plus)


def search_path() -> str:
    """The search page's own path, as `search_url` starts its links."""
    return _endpoint_path("search.results")


def _endpoint_path(endpoint: str) -> str:
    # A results page links every facet value: build the page's own path once per request.
    paths: dict[str, str] = g.setdefault("endpoint_paths", {})
    if endpoint not in paths:
        paths[endpoint] = url_for(endpoint)
    return paths[endpoint]


def external(url: str | None) -> str | None:
    """An outside URL from an episode file, if it is one a link may point to."""
    if not url:
        return None
    safe = safe_href(url)
    return safe if safe and safe.startswith(("http://", "https://", "mailto:")) else None


def init_app(app: Flask) -> None:
    app.add_template_filter(external, "external")
    app.add_template_filter(markdown_to_plain, "plain")
    app.jinja_env.globals.update(
        episode_url=episode_url,
        moment_url=moment_url,
        value_url=value_url,
        filter_url=filter_url,
        search_url=search_url,
    )
