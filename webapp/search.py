"""The home page and the search results page."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request

from indexer import Count, Overloaded, QueryError, SearchResult, all_values, overview

from .errors import ClientError, busy
from .index import generation, logged_search
from .params import search_request
from .views import search_page

bp = Blueprint("search", __name__)

ECHOED_QUERY = 1_000  # a refused query is shown back, but not a megabyte of it
HOME_TOP = 12
RENDERED_PAGES = "shownotes.rendered_pages"
# Pages of a large index run to a quarter of a megabyte: the cache is bounded by size.
MAX_RENDERED_BYTES = 16 * 1024 * 1024


@bp.get("/")
def home() -> str:
    summary = overview(generation(), newest=6, top=HOME_TOP)
    return render_template("home.html", overview=summary)


@bp.get("/search")
def results() -> Response:
    live = generation()
    try:
        per_page = current_app.config["PER_PAGE"]
        result = logged_search(search_request(request.args, per_page=per_page))
    except (ClientError, QueryError) as exc:
        return _refused(str(exc))
    except Overloaded as exc:
        # The page with its search box, so the listener can retry or simplify the query.
        return busy(exc, _refused(str(exc), status=503))
    popular = all_values(live, "tag")[:HOME_TOP] if not result.total else ()
    return _page(result, popular)


def _page(result: SearchResult, popular: tuple[Count, ...]) -> Response:
    partial = _is_partial()
    # Everything the page shows follows from these: the answer is fixed per generation, and
    # `popular` too; links differ only by the path the app is mounted at.
    key = (result.generation, result.request, partial, request.script_root)
    body = _rendered().get(key)
    if body is None:
        template = "search/parts.html" if partial else "search/page.html"
        page = render_template(template, page=search_page(result), popular=popular, error=None)
        body = page.encode()
        _rendered().put(key, body)
    response = Response(body, mimetype="text/html")
    # The same URL answers a page or, for the script, only its parts.
    response.vary.add("X-Requested-With")
    return response


class RenderedPages:
    """Rendered result pages, as the API keeps its encoded answers: a repeated search is
    neither laid out nor rendered again. Least recently used pages go first."""

    def __init__(self, max_bytes: int = MAX_RENDERED_BYTES) -> None:
        self.max_bytes = max_bytes
        self._pages: OrderedDict[Any, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Any) -> bytes | None:
        with self._lock:
            found = self._pages.get(key)
            if found is not None:
                self._pages.move_to_end(key)
            return found

    def put(self, key: Any, body: bytes) -> None:
        with self._lock:
            replaced = self._pages.pop(key, None)
            self._bytes -= len(replaced) if replaced is not None else 0
            self._pages[key] = body
            self._bytes += len(body)
            while self._bytes > self.max_bytes and len(self._pages) > 1:
                _, dropped = self._pages.popitem(last=False)
                self._bytes -= len(dropped)


def _rendered() -> RenderedPages:
    found: RenderedPages = current_app.extensions.setdefault(RENDERED_PAGES, RenderedPages())
    return found


def _refused(message: str, *, status: int = 400) -> Response:
    template = "search/parts.html" if _is_partial() else "search/page.html"
    page = render_template(
        template,
        page=None,
        popular=(),
        error=message,
        q=request.args.get("q", "")[:ECHOED_QUERY],
    )
    response = Response(page, status=status, mimetype="text/html")
    response.vary.add("X-Requested-With")
    return response


def _is_partial() -> bool:
    return request.headers.get("X-Requested-With") == "fetch" or request.args.get("partial") == "1"
