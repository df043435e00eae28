"""The one `indexer.SearchIndex` of an app, shared by every blueprint."""

from __future__ import annotations

from flask import Flask, current_app

from indexer import Generation, SearchIndex

EXTENSION = "shownotes.index"


def init_app(app: Flask) -> None:
    # Opening nothing here keeps the app starting without an index; the first request that
    # needs one finds out (NoIndex) and the error handlers explain how to build it.
    app.extensions[EXTENSION] = SearchIndex(app.config["INDEX_DIR"])


def search_index(app: Flask | None = None) -> SearchIndex:
    found: SearchIndex = (app or current_app).extensions[EXTENSION]
    return found


def generation() -> Generation:
    """The live generation; a request should ask once so all its answers agree."""
    return search_index().current()


def close(app: Flask) -> None:
    search_index(app).close()
