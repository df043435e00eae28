"""Result objects as the JSON documents of the API; `shownotes search --json` prints the same.

URLs here are the web app's paths (`/episodes/<category>/<slug>`), relative to the site.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .markup import markdown_to_plain
from .models import Episode, Segment
from .pages import Count, Knowledge
from .search import EpisodeHit, FacetValue, SearchResult


def episode_path(episode: Episode) -> str:
    return f"/episodes/{quote(episode.category)}/{quote(episode.slug)}"


def moment_anchor(segment: Segment) -> str:
    """The id of a segment's row on the episode page."""
    if segment.anchor:
        return segment.anchor
    return f"at-{segment.start}" if segment.start is not None else f"s-{segment.position}"


def moment_path(episode: Episode, segment: Segment) -> str:
    if segment.start is None:
        return f"{episode_path(episode)}#{moment_anchor(segment)}"
    return f"{episode_path(episode)}?t={segment.start}#{moment_anchor(segment)}"


def audio_url(episode: Episode, *, audio_base: str | None = None) -> str | None:
    """The episode's audio, or the same file name under `audio_base` when one is set."""
    if not episode.audio_url:
        return None
    if audio_base:
        return audio_base.rstrip("/") + "/" + episode.audio_url.rsplit("/", 1)[-1]
    return episode.audio_url


def moment_audio_url(
    episode: Episode, segment: Segment, *, audio_base: str | None = None
) -> str | None:
    url = audio_url(episode, audio_base=audio_base)
    if url is None or segment.start is None:
        return None
    end = f",{segment.end}" if segment.end is not None else ""
    return f"{url}#t={segment.start}{end}"


def moment_source_url(episode: Episode, segment: Segment) -> str | None:
    if not episode.source_url:
        return None
    if segment.start is not None and segment.timestamp:
        return f"{episode.source_url}#{segment.timestamp}"
    return f"{episode.source_url}#{segment.anchor}" if segment.anchor else episode.source_url


def episode_summary(episode: Episode, *, audio_base: str | None = None) -> dict[str, Any]:
    return {
        "id": episode.id,
        "category": episode.category,
        "slug": episode.slug,
        "number": episode.number,
        "title": episode.title,
        "description": episode.description,
        "date": episode.date.isoformat() if episode.date else None,
        "guests": [{"name": g.name, "slug": g.slug} for g in episode.guests],
        "tags": list(episode.tags),
        "duration": episode.duration,
        "url": episode_path(episode),
        "audio_url": audio_url(episode, audio_base=audio_base),
        "source_url": episode.source_url,
    }


def segment_document(
    episode: Episode,
    segment: Segment,
    *,
    highlight: str | None = None,
    audio_base: str | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "position": segment.position,
        "start": segment.start,
        "end": segment.end,
        "timestamp": segment.timestamp,
        "anchor": moment_anchor(segment),
        # A show-note line, or an interview's question (its answer is in `highlight`).
        "text": segment.plain if segment.start is not None else markdown_to_plain(segment.text),
        "url": moment_path(episode, segment),
        "audio_url": moment_audio_url(episode, segment, audio_base=audio_base),
        "source_url": moment_source_url(episode, segment),
    }
    if highlight is not None:
        data["highlight"] = highlight
    return data


def episode_document(episode: Episode, *, audio_base: str | None = None) -> dict[str, Any]:
    """Everything about one episode, for `/api/episodes/<category>/<slug>`."""
    data = episode_summary(episode, audio_base=audio_base)
    data.update(
        guests=[
            {
                "name": g.name,
                "slug": g.slug,
                "website": g.website,
                "twitter": g.twitter,
                "title": g.title,
            }
            for g in episode.guests
        ],
        under_review=episode.under_review,
        segments=[segment_document(episode, s, audio_base=audio_base) for s in episode.segments],
        libraries=[{"id": lib.id, "url": lib.url} for lib in episode.libraries],
        links=[{"url": link.url, "host": link.host} for link in episode.links],
    )
    return data


def facet_document(value: FacetValue) -> dict[str, Any]:
    return {
        "value": value.value,
        "label": value.label,
        "count": value.count,
        "selected": value.selected,
    }


def hit_document(hit: EpisodeHit, *, audio_base: str | None = None) -> dict[str, Any]:
    return {
        "episode": episode_summary(hit.episode, audio_base=audio_base),
        "score": hit.score,
        "segments": [
            segment_document(hit.episode, s.segment, highlight=s.highlight, audio_base=audio_base)
            for s in hit.segments
        ],
        "more_segments": hit.more_segments,
    }


def search_document(result: SearchResult, *, audio_base: str | None = None) -> dict[str, Any]:
    """The `/api/search` answer."""
    return {
        "query": result.request.to_dict(),
        "generation": result.generation,
        "total": result.total,
        "page": result.request.page,
        "per_page": result.request.per_page,
        "pages": result.pages,
        "suggestion": result.suggestion,
        "results": [hit_document(hit, audio_base=audio_base) for hit in result.hits],
        "facets": {
            name: [facet_document(v) for v in values] for name, values in result.facets.items()
        },
    }


def count_document(count: Count) -> dict[str, Any]:
    return {"value": count.value, "label": count.label, "count": count.count}


def knowledge_document(item: Knowledge, *, audio_base: str | None = None) -> dict[str, Any]:
    """A tag, guest or library across episodes, for `/api/tags/<tag>` and the like."""
    return {
        "facet": item.facet,
        "value": item.value,
        "label": item.label,
        "url": item.url,
        "description": item.description,
        "total": len(item.hits),
        "episodes": [
            {
                "episode": episode_summary(hit.episode, audio_base=audio_base),
                "segments": [
                    segment_document(
                        hit.episode, s.segment, highlight=s.highlight, audio_base=audio_base
                    )
                    for s in hit.segments
                ],
            }
            for hit in item.hits
        ],
        "cooccurring": {
            facet: [count_document(c) for c in counts] for facet, counts in item.cooccurring.items()
        },
        "first": episode_summary(item.first, audio_base=audio_base),
        "latest": episode_summary(item.latest, audio_base=audio_base),
    }
