"""`/healthz` for load balancers: 200 with the live generation, 503 without a usable index."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from indexer import IndexError_, NoIndex

from .index import search_index

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    try:
        live = search_index().current()
    except IndexError_ as exc:
        status = "no index" if isinstance(exc, NoIndex) else "index unavailable"
        response = jsonify(status=status, message=str(exc))
        response.status_code = 503
        return _uncached(response)
    episodes = live.catalog.episodes
    response = jsonify(
        # "degraded": the live generation is damaged and the previous one is being served.
        status="degraded" if live.fallback_from else "ok",
        generation=live.name,
        damaged_generation=live.fallback_from,
        episodes=len(episodes),
        segments=sum(len(e.segments) for e in episodes),
        built_at=live.catalog.built_at,
    )
    return _uncached(response)


def _uncached(response: Response) -> Response:
    response.cache_control.no_store = True
    return response
