"""What the search page shows, computed here so templates only loop and print."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from indexer import FACETS, FacetValue, SearchRequest, SearchResult

from .links import query_string, quoted, search_path, search_url

FACET_TITLES = {
    "tag": "Tags",
    "guest": "Guests",
    "library": "Libraries",
    "year": "Year",
    "category": "Kind",
}
FACET_SINGULAR = {"tag": "Tag", "guest": "Guest", "library": "Library", "year": "Year"}
MODE_FACETS = {"tag": "tag_mode", "library": "library_mode"}
SORTS = (("relevance", "Relevance"), ("newest", "Newest"), ("oldest", "Oldest"))
FACET_TOP = 12
PAGE_RADIUS = 2


@dataclass(frozen=True)
class FacetLink:
    value: str
    label: str
    count: int
    selected: bool
    toggle_url: str


@dataclass(frozen=True)
class Choice:
    label: str
    url: str
    current: bool


@dataclass(frozen=True)
class FacetGroup:
    name: str
    title: str
    top: list[FacetLink]
    more: list[FacetLink]
    modes: list[Choice]  # "all of" / "any of", for tags and libraries

    @property
    def more_open(self) -> bool:
        return any(link.selected for link in self.more)


@dataclass(frozen=True)
class Chip:
    facet: str
    label: str
    remove_url: str


@dataclass(frozen=True)
class PageLink:
    number: int | None  # None is a gap (…)
    url: str
    current: bool


@dataclass(frozen=True)
class SearchPage:
    result: SearchResult
    facets: list[FacetGroup]
    chips: list[Chip]
    clear_url: str | None
    sorts: list[Choice]
    pages: list[PageLink]
    previous_url: str | None
    next_url: str | None
    suggestion_url: str | None
    hidden: list[tuple[str, str]]  # the filters the search form carries along


def search_page(result: SearchResult) -> SearchPage:
    request = result.request
    pages = result.pages
    return SearchPage(
        result=result,
        facets=[facet_group(name, values, request) for name, values in result.facets.items()],
        chips=chips(result),
        clear_url=clear_url(request),
        sorts=[
            Choice(label, search_url(replace(request, sort=name, page=1)), request.sort == name)
            for name, label in SORTS
        ],
        pages=page_links(request, pages),
        previous_url=_page_url(request, request.page - 1) if request.page > 1 else None,
        next_url=_page_url(request, request.page + 1) if request.page < pages else None,
        suggestion_url=(
            search_url(replace(request, q=result.suggestion, page=1)) if result.suggestion else None
        ),
        hidden=[(k, v) for k, v in request.params() if k not in ("q", "page")],
    )


def facet_group(name: str, values: tuple[FacetValue, ...], request: SearchRequest) -> FacetGroup:
    add = adding_url(request, name)
    links = [
        FacetLink(
            v.value,
            v.label,
            v.count,
            v.selected,
            search_url(v.toggle) if v.selected else add(v.value),
        )
        for v in values
    ]
    return FacetGroup(
        name=name,
        title=FACET_TITLES.get(name, name.title()),
        top=links[:FACET_TOP],
        more=links[FACET_TOP:],
        modes=mode_choices(name, request),
    )


def adding_url(request: SearchRequest, facet: str) -> Callable[[str], str]:
    """`search_url(request.toggle(facet, value))` for values not selected, built faster.

    A page links hundreds of values; each link is the same query string with one pair put
    after the facet's selected values, so the text either side is encoded once.
    """
    pairs = replace(request, page=1).params()
    # The pairs up to the facet's last selected value: q, then the facets in order.
    split = (1 if request.q else 0) + sum(
        len(request.selected(name)) for name in FACETS[: FACETS.index(facet) + 1]
    )
    before, after = query_string(pairs[:split]), query_string(pairs[split:])
    start = f"{search_path()}?{before}&" if before else f"{search_path()}?"
    end = f"&{after}" if after else ""
    start += f"{quoted(facet)}="

    def url(value: str) -> str:
        return start + quoted(value) + end

    return url


def mode_choices(name: str, request: SearchRequest) -> list[Choice]:
    field = MODE_FACETS.get(name)
    if field is None:
        return []
    current = request.mode(name)
    return [
        Choice(label, search_url(_with(request, page=1, **{field: mode})), current == mode)
        for mode, label in (("all", "all of"), ("any", "any of"))
    ]


def _with(request: SearchRequest, **changes: Any) -> SearchRequest:
    return replace(request, **changes)


def chips(result: SearchResult) -> list[Chip]:
    return [
        Chip(FACET_SINGULAR.get(name, name.title()), value.label, search_url(value.toggle))
        for name, values in result.facets.items()
        for value in values
        if value.selected
    ]


def clear_url(request: SearchRequest) -> str | None:
    """The same words without any filter, when there is a filter to clear."""
    if not any(request.selected(name) for name in FACETS):
        return None
    return search_url(SearchRequest(q=request.q, sort=request.sort))


def page_links(request: SearchRequest, pages: int) -> list[PageLink]:
    if pages <= 1:
        return []
    return [
        PageLink(number, _page_url(request, number) if number else "", number == request.page)
        for number in page_window(request.page, pages)
    ]


def page_window(current: int, pages: int, radius: int = PAGE_RADIUS) -> list[int | None]:
    """`1 … 4 5 6 … 12`: the ends, the pages around the current one, gaps as None."""
    wanted = {1, pages, *range(current - radius, current + radius + 1)}
    numbers = sorted(n for n in wanted if 1 <= n <= pages)
    window: list[int | None] = []
    for number in numbers:
        if window and number - (window[-1] or 0) == 2:
            window.append(number - 1)  # a gap of one page shows the page, not "…"
        elif window and number - (window[-1] or 0) > 2:
            window.append(None)
        window.append(number)
    return window


def _page_url(request: SearchRequest, page: int) -> str:
    return search_url(replace(request, page=page))
