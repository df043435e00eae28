"""The one `indexer.SearchIndex` of an app, shared by every blueprint."""

from __future__ import annotations

import time
from pathlib import Path

from flask import Flask, current_app, g, request

from indexer import (
    FACETS,
    CostlyGate,
    Generation,
    SearchIndex,
    SearchRequest,
    SearchResult,
    querylog,
)

EXTENSION = "shownotes.index"


def init_app(app: Flask) -> None:
    # Opening nothing here keeps the app starting without an index; the first request that
    # needs one finds out (NoIndex) and the error handlers explain how to build it.
    share = app.config["COSTLY_SEARCH_SHARE"]
    gate = CostlyGate(share=share) if share else None
    app.extensions[EXTENSION] = SearchIndex(app.config["INDEX_DIR"], gate=gate)
    app.jinja_env.globals["label"] = label


def search_index(app: Flask | None = None) -> SearchIndex:
    found: SearchIndex = (app or current_app).extensions[EXTENSION]
    return found


def generation() -> Generation:
    """The live generation, the same one for the whole request so its parts agree."""
    found: Generation | None = g.get("generation")
    if found is None:
        found = search_index().current()
        g.generation = found
    return found


def label(facet: str, value: str) -> str:
    """A facet value's display name (a tag's product name, a guest's name)."""
    return generation().catalog.label(facet, value)


def logged_search(wanted: SearchRequest) -> SearchResult:
    """Search the live generation and log the search for `shownotes stats` (no client data)."""
    started = time.perf_counter()
    result = generation().search(wanted)
    log = current_app.config["QUERY_LOG"]
    if log:
        querylog.record(
            Path(log),
            q=result.request.q,
            filters={facet: list(result.request.selected(facet)) for facet in FACETS},
            total=result.total,
            ms=(time.perf_counter() - started) * 1000,
            # Searches typed live arrive once per pause in typing; stats folds their prefixes.
            live=request.headers.get("X-Requested-With") == "fetch",
        )
    return result


def close(app: Flask) -> None:
    search_index(app).close()
