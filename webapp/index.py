"""The one `indexer.SearchIndex` of an app, shared by every blueprint."""

from __future__ import annotations

from flask import Flask, current_app, g

from indexer import Generation, SearchIndex

EXTENSION = "shownotes.index"


def init_app(app: Flask) -> None:
    # Opening nothing here keeps the app starting without an index; the first request that
    # needs one finds out (NoIndex) and the error handlers explain how to build it.
    app.extensions[EXTENSION] = SearchIndex(app.config["INDEX_DIR"])
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


def close(app: Flask) -> None:
    search_index(app).close()
