"""Knowledge pages across episodes: a tag, a guest or a library, the overview, neighbours."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .errors import NotFound, QueryError
from .models import Episode
from .querying import ParsedQuery, highlight
from .search import EpisodeHit, Generation, SegmentHit

KNOWLEDGE_FACETS = ("tag", "guest", "library")
COOCCURRING_LIMIT = 15
RELATED_LIMIT = 5


@dataclass(frozen=True)
class Count:
    facet: str
    value: str
    label: str
    count: int


@dataclass(frozen=True)
class Knowledge:
    """What the index knows about one tag, guest or library across episodes."""

    facet: str
    value: str
    label: str
    url: str | None
    description: str
    hits: tuple[EpisodeHit, ...]  # newest first, each with the moments that mention it
    cooccurring: dict[str, tuple[Count, ...]]
    first: Episode
    latest: Episode


@dataclass(frozen=True)
class Overview:
    episodes: int
    segments: int
    newest: tuple[Episode, ...]
    top: dict[str, tuple[Count, ...]]


def knowledge(generation: Generation, facet: str, value: str) -> Knowledge:
    catalog = generation.catalog
    ids = catalog.facet_sets.get(facet, {}).get(value)
    if facet not in KNOWLEDGE_FACETS or not ids:
        raise NotFound(f"no {facet} {value!r} in the index")
    episodes = [catalog.by_id[eid] for eid in catalog.newest_first if eid in ids]
    parsed = _mention_query(generation, facet, value)
    words = generation.prose_words
    hits = []
    for episode in episodes:
        moments = (
            tuple(
                SegmentHit(s, highlight(s.plain, parsed, words))
                for s in episode.segments
                if generation.mentions(s, episode.id, parsed)
            )
            if parsed
            else ()
        )
        hits.append(EpisodeHit(episode, 0.0, moments))
    url = description = None
    if facet == "tag" and value in catalog.tags:
        url, description = catalog.tags[value].url, catalog.tags[value].description
    elif facet == "library":
        url = catalog.libraries.get(value)
    elif facet == "guest":
        url = catalog.guests[value].website
    dated = [e for e in episodes if e.date] or episodes
    return Knowledge(
        facet=facet,
        value=value,
        label=catalog.label(facet, value),
        url=url,
        description=description or "",
        hits=tuple(hits),
        cooccurring=_cooccurring(generation, ids, exclude=(facet, value)),
        first=min(dated, key=lambda e: (e.date is None, e.date)),
        latest=max(dated, key=lambda e: (e.date is not None, e.date)),
    )


def _mention_query(generation: Generation, facet: str, value: str) -> ParsedQuery | None:
    catalog = generation.catalog
    if facet == "tag":
        forms = {value.replace("-", " "), catalog.label(facet, value)}
    elif facet == "library":
        forms = {value.rsplit("/", 1)[-1].replace("-", " ").replace("_", " ")}
    else:
        return None
    text = " OR ".join(f'"{form}"' for form in sorted(forms) if '"' not in form)
    try:
        return generation.parse(text)
    except QueryError:
        return None


def _cooccurring(
    generation: Generation, ids: frozenset[str], *, exclude: tuple[str, str]
) -> dict[str, tuple[Count, ...]]:
    catalog = generation.catalog
    result = {}
    for facet in KNOWLEDGE_FACETS:
        counts: Counter[str] = Counter()
        for eid in ids:
            counts.update(generation.facet_values_of(eid).get(facet, ()))
        counts.pop(exclude[1] if exclude[0] == facet else "", None)
        result[facet] = tuple(
            Count(facet, v, catalog.label(facet, v), n)
            for v, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:COOCCURRING_LIMIT]
        )
    return result


def overview(generation: Generation, *, newest: int = 8, top: int = 20) -> Overview:
    catalog = generation.catalog
    return Overview(
        episodes=len(catalog.episodes),
        segments=sum(len(e.segments) for e in catalog.episodes),
        newest=tuple(catalog.by_id[eid] for eid in catalog.newest_first[:newest]),
        top={facet: all_values(generation, facet)[:top] for facet in KNOWLEDGE_FACETS},
    )


def all_values(generation: Generation, facet: str) -> tuple[Count, ...]:
    """Every value of a facet with its episode count, most used first."""
    catalog = generation.catalog
    values = catalog.facet_sets.get(facet, {})
    return tuple(
        Count(facet, v, catalog.label(facet, v), len(ids))
        for v, ids in sorted(values.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    )


def neighbours(generation: Generation, episode: Episode) -> tuple[Episode | None, Episode | None]:
    """The previous and next episode of the same category, by date."""
    same = [
        eid
        for eid in reversed(generation.catalog.newest_first)
        if generation.catalog.by_id[eid].category == episode.category
    ]
    index = same.index(episode.id)
    previous = generation.catalog.by_id[same[index - 1]] if index > 0 else None
    following = generation.catalog.by_id[same[index + 1]] if index + 1 < len(same) else None
    return previous, following


def related(
    generation: Generation, episode: Episode, *, limit: int = RELATED_LIMIT
) -> tuple[Episode, ...]:
    """Episodes sharing the most tags, libraries and guests (by Jaccard similarity)."""
    mine = _features(episode)
    scored = []
    for other in generation.catalog.episodes:
        if other.id == episode.id:
            continue
        theirs = _features(other)
        union = mine | theirs
        if union and mine & theirs:
            scored.append((len(mine & theirs) / len(union), other))
    scored.sort(key=lambda pair: (-pair[0], generation.catalog.order[pair[1].id]))
    return tuple(other for _, other in scored[:limit])


def _features(episode: Episode) -> set[str]:
    return (
        {f"t:{t}" for t in episode.tags}
        | {f"l:{lib.id}" for lib in episode.libraries}
        | {f"g:{g.slug}" for g in episode.guests}
    )
