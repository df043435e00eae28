"""The one place where a query string becomes an `indexer.SearchRequest`.

`/search`, `/search.atom` and `/api/search` all parse through here, so a parameter means the
same everywhere and a bad one is refused the same way (a 400, never a 500).
"""

from __future__ import annotations

import re

from werkzeug.datastructures import MultiDict

from indexer import FACETS, QueryError, SearchRequest

from .errors import ClientError

INTEGER = re.compile(r"[0-9]+")
MAX_DIGITS = 9
DEFAULT_PER_PAGE = 10
# Values per filter (openapi.json: maxItems). Facet counts and the page's toggle links grow with
# the square of the number selected: 900 tags took 2.3 s to render; 50 take a few milliseconds.
MAX_FACET_VALUES = 50


def search_request(
    args: MultiDict[str, str], *, allow_per_page: bool = False, per_page: int = DEFAULT_PER_PAGE
) -> SearchRequest:
    """The search the query string asks for; unknown parameters are ignored."""
    for facet in FACETS:
        if len(args.getlist(facet)) > MAX_FACET_VALUES:
            raise ClientError(f"at most {MAX_FACET_VALUES} {facet} values please")
    request = SearchRequest(
        q=args.get("q", ""),
        tag_mode=_choice(args, "tag_mode", "all"),
        library_mode=_choice(args, "library_mode", "all"),
        sort=_choice(args, "sort", "relevance"),
        page=integer(args, "page", 1),
        per_page=integer(args, "per_page", per_page) if allow_per_page else per_page,
        **{facet: tuple(args.getlist(facet)) for facet in FACETS},
    )
    try:
        return request.validated()
    except QueryError as exc:
        raise ClientError(str(exc)) from exc


def _choice(args: MultiDict[str, str], name: str, default: str) -> str:
    # An empty value (a form's blank option) means the default, as leaving it out would; any
    # other value is taken exactly as sent (openapi.json: enum plus allowEmptyValue).
    return args.get(name, "") or default


def integer(args: MultiDict[str, str], name: str, default: int) -> int:
    raw = args.get(name, "")
    if not raw:
        return default
    if not INTEGER.fullmatch(raw):
        raise ClientError(f"{name} must be a positive whole number, not {raw[:20]!r}")
    if len(raw.lstrip("0")) > MAX_DIGITS:
        raise ClientError(f"{name} is far too large")
    return int(raw)
