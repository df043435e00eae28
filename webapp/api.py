"""The JSON API: the same answers as the pages, as documents (see openapi.json)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from indexer import all_values, knowledge
from indexer import documents as docs
from indexer.recent import Recent

from .index import generation, logged_search
from .params import search_request

bp = Blueprint("api", __name__, url_prefix="/api")

FACETS = {"tags": "tag", "guests": "guest", "libraries": "library"}
ENCODED_ANSWERS = "shownotes.encoded_answers"
MAX_ENCODED_ANSWERS = 512
# At 10,000 episodes an encoded answer is ~135 KB (its facet values), so the count alone
# would let this reach ~70 MB per worker.
MAX_ENCODED_BYTES = 24 * 2**20


def _audio_base() -> str | None:
    base: str | None = current_app.config["AUDIO_BASE_URL"]
    return base


@bp.get("/search")
def search() -> Response:
    search_request_ = search_request(request.args, allow_per_page=True)
    result = logged_search(search_request_)
    key = (result.generation, result.request, _audio_base())
    encoded = _encoded_answers()
    body = encoded.get(key)
    if body is None:
        document = docs.search_document(result, audio_base=_audio_base())
        body = current_app.json.dumps(document).encode()
        encoded.put(key, body)
    return Response(body, mimetype="application/json")


def _encoded_answers() -> Recent[Any, bytes]:
    """Encoded search answers, as the indexer caches the answers themselves: a repeated
    search costs neither building the document nor encoding it again."""
    found: Recent[Any, bytes] = current_app.extensions.setdefault(
        ENCODED_ANSWERS,
        Recent(max_items=MAX_ENCODED_ANSWERS, max_size=MAX_ENCODED_BYTES, size=len),
    )
    return found


@bp.get("/episodes/<category>/<slug>")
def episode(category: str, slug: str) -> Response:
    found = generation().episode(f"{category}/{slug}")
    return jsonify(docs.episode_document(found, audio_base=_audio_base()))


@bp.get("/tags")
def tags() -> Response:
    return _values("tag")


@bp.get("/guests")
def guests() -> Response:
    return _values("guest")


@bp.get("/libraries")
def libraries() -> Response:
    return _values("library")


@bp.get("/tags/<tag>")
def tag(tag: str) -> Response:
    return _knowledge("tag", tag)


@bp.get("/guests/<slug>")
def guest(slug: str) -> Response:
    return _knowledge("guest", slug)


@bp.get("/libraries/<path:library_id>")
def library(library_id: str) -> Response:
    return _knowledge("library", library_id)


@bp.get("/openapi.json")
def openapi() -> Response:
    text = resources.files("webapp").joinpath("openapi.json").read_text(encoding="utf-8")
    return jsonify(json.loads(text))


def _values(facet: str) -> Response:
    values = all_values(generation(), facet)
    return jsonify(values=[docs.count_document(c) for c in values])


def _knowledge(facet: str, value: str) -> Response:
    found = knowledge(generation(), facet, value)
    return jsonify(docs.knowledge_document(found, audio_base=_audio_base()))
