"""The shownotes web app: search pages, episode pages with playable moments, a JSON API.

It renders what the `indexer` package answers and never touches Whoosh itself.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from indexer import admission, querylog

from . import (
    api,
    audio,
    demo_audio,
    episodes,
    errors,
    feeds,
    formatting,
    fragments,
    health,
    index,
    knowledge,
    links,
    search,
    security,
)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    # `/api/libraries//x` is the library "/x" (404), not a redirect to `/api/libraries/x`: a 308
    # with an HTML body is no answer for the JSON API, and a path is answered as it was asked.
    app.url_map.merge_slashes = False
    app.config.from_mapping(
        INDEX_DIR=os.environ.get("SHOWNOTES_INDEX", "index_data"),
        # Serve every episode's audio from here instead (same file names), e.g. a CDN or "/audio".
        AUDIO_BASE_URL=os.environ.get("SHOWNOTES_AUDIO_BASE_URL") or None,
        # A folder whose files are served at /audio/<name>, with Range requests for seeking.
        AUDIO_DIR=os.environ.get("SHOWNOTES_AUDIO_DIR") or None,
        SITE_NAME=os.environ.get("SHOWNOTES_SITE_NAME", "Shownotes"),
        # Searches are logged here for `shownotes stats`; "" turns the log off.
        QUERY_LOG=os.environ.get("SHOWNOTES_QUERY_LOG"),
        # Share of one CPU that searches with wildcards or fuzzy words may use in each process
        # before more of them are refused with 503 (indexer/admission.py); 0 means no limit.
        COSTLY_SEARCH_SHARE=float(
            os.environ.get("SHOWNOTES_COSTLY_SEARCH_SHARE", str(admission.DEFAULT_SHARE))
        ),
        PER_PAGE=10,
        FEED_SIZE=20,
    )
    if test_config is not None:
        app.config.from_mapping(test_config)
    if app.config["QUERY_LOG"] is None:
        app.config["QUERY_LOG"] = os.path.join(app.config["INDEX_DIR"], querylog.LOG_FILE)
    app.json.sort_keys = False  # type: ignore[attr-defined]

    for resource in (index, errors, security, formatting, links, fragments):
        resource.init_app(app)
    for blueprint in (
        search.bp,
        episodes.bp,
        knowledge.bp,
        api.bp,
        feeds.bp,
        audio.bp,
        demo_audio.bp,
        health.bp,
    ):
        app.register_blueprint(blueprint)

    @app.context_processor
    def site() -> dict[str, Any]:
        return {"site_name": app.config["SITE_NAME"]}

    # Compiled now, in each worker as it starts, rather than by the first requests (50 ms).
    for template in app.jinja_env.list_templates(extensions=["html"]):
        app.jinja_env.get_template(template)
    return app
