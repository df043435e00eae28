"""The home page and the search results page."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request

from indexer import Count, Overloaded, QueryError, SearchResult, all_values, overview

from .errors import ClientError, busy
from .index import generation, logged_search
from .params import search_request
from .views import search_page

bp = Blueprint("search", __name__)

ECHOED_QUERY = 1_000  # a refused query is shown back, but not a megabyte of it
HOME_TOP = 12


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
    template = "search/parts.html" if _is_partial() else "search/page.html"
    page = render_template(template, page=search_page(result), popular=popular, error=None)
    response = Response(page, mimetype="text/html")
    # The same URL answers a page or, for the script, only its parts.
    response.vary.add("X-Requested-With")
    return response


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
