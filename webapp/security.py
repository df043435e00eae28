"""Headers every response carries, error pages included; query strings of bounded size."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request

from indexer import Generation, ShownotesError

from .errors import ClientError
from .index import search_index

# Longer query strings are refused before they are parsed: decoding a megabyte of %XX costs a
# third of a second. gunicorn (--prod) refuses request lines over 8,190 bytes itself, as nginx's
# default 8 KiB buffers do; this keeps the development server and other WSGI servers the same.
MAX_QUERY_STRING = 8192

BASE_POLICY = "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}
_ORIGINS_CACHE = "shownotes.media_origins"


def origin(url: str | None) -> str | None:
    """`https://cdn.example.org/a.mp3` -> `https://cdn.example.org`; None for relative URLs."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def media_origins() -> list[str]:
    """Where audio may come from: AUDIO_BASE_URL when set, else the indexed episodes' hosts."""
    base = current_app.config.get("AUDIO_BASE_URL")
    if base:
        found = origin(base)
        return [found] if found else []
    # The request's own generation when it has one: checking the index pointer again would
    # cost another stat for the same answer.
    current: Generation | None = g.get("generation")
    if current is None:
        try:
            current = search_index().current()
        except ShownotesError:
            return []
    return _episode_origins(current)


def _episode_origins(current: Generation) -> list[str]:
    # One set per generation: walking every episode on every response would be wasteful.
    cache: dict[str, list[str]] = current_app.extensions.setdefault(_ORIGINS_CACHE, {})
    if current.name not in cache:
        found = {origin(e.audio_url) for e in current.catalog.episodes}
        cache.clear()
        cache[current.name] = sorted(o for o in found if o)
    return cache[current.name]


def content_security_policy(origins: list[str]) -> str:
    if not origins:
        return BASE_POLICY
    return f"{BASE_POLICY}; media-src 'self' {' '.join(origins)}"


def _secure(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = content_security_policy(media_origins())
    for name, value in HEADERS.items():
        response.headers[name] = value
    return response


def _refuse_oversized_query() -> None:
    size = len(request.query_string)
    if size > MAX_QUERY_STRING:
        raise ClientError(
            f"the query string is {size:,} bytes; at most {MAX_QUERY_STRING:,} please",
            code="query_string_too_long",
            status=414,
        )


def init_app(app: Flask) -> None:
    app.before_request(_refuse_oversized_query)
    app.after_request(_secure)
