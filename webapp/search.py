"""The home page and the search results page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, render_template, request

from indexer import Count, Overloaded, QueryError, SearchResult, all_values, overview
from indexer.recent import Recent

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
MAX_RENDERED_PAGES = 4096


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


def _rendered() -> Recent[Any, bytes]:
    """Rendered result pages, as the API keeps its encoded answers: a repeated search is
    neither laid out nor rendered again."""
    found: Recent[Any, bytes] = current_app.extensions.setdefault(
        RENDERED_PAGES, Recent(max_items=MAX_RENDERED_PAGES, max_size=MAX_RENDERED_BYTES, size=len)
    )
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
