"""An episode's page: show notes whose timestamps play the audio from that moment."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Blueprint, current_app, render_template, request
from markupsafe import Markup

from indexer import Episode, Generation, Segment, neighbours, related
from indexer import documents as docs

from .index import generation
from .links import moment_url
from .markup import render, render_inline

bp = Blueprint("episodes", __name__)

SECONDS = re.compile(r"[0-9]{1,6}")
AUDIO_TYPES = {
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
    "ogg": "audio/ogg",
    "oga": "audio/ogg",
    "opus": "audio/ogg",
    "wav": "audio/wav",
}


@dataclass(frozen=True)
class Moment:
    segment: Segment
    anchor: str
    text: Markup  # the show-note line or the question, rendered safely
    body: Markup  # an interview's answer
    url: str
    current: bool


@dataclass(frozen=True)
class Player:
    src: str
    type: str | None
    start: int | None


@bp.get("/episodes/<category>/<slug>")
def show(category: str, slug: str) -> str:
    live = generation()
    episode = live.episode(f"{category}/{slug}")
    start = requested_start(episode, request.args.get("t", ""))
    current = segment_at(episode, start)
    previous, following = neighbours(live, episode)
    return render_template(
        "episode.html",
        episode=episode,
        intro=render(episode.intro, base_url=episode.source_url),
        moments=moments(episode, current),
        player=player(episode, start, current),
        source_url=docs.moment_source_url(episode, current) if current else episode.source_url,
        at_moment=current is not None,
        labels=_labels(live, episode),
        previous=previous,
        following=following,
        related=related(live, episode),
    )


def requested_start(episode: Episode, raw: str) -> int | None:
    """The `t` to play from, or None when it is missing or makes no sense (it is then ignored)."""
    if not SECONDS.fullmatch(raw) or not any(s.start is not None for s in episode.segments):
        return None
    seconds = int(raw)
    limit = episode.duration if episode.duration is not None else _last_moment(episode)
    return seconds if seconds <= limit else None


def _last_moment(episode: Episode) -> int:
    return max((s.end or s.start or 0) for s in episode.segments)


def segment_at(episode: Episode, start: int | None) -> Segment | None:
    """The timestamped segment playing at `start`: the last one begun by then."""
    if start is None:
        return None
    begun = [s for s in episode.segments if s.start is not None and s.start <= start]
    if not begun:
        return None
    latest = max(begun, key=lambda s: (s.start or 0, s.position))
    return latest if latest.end is None or start < latest.end or latest.start == start else None


def moments(episode: Episode, current: Segment | None) -> list[Moment]:
    base = episode.source_url
    return [
        Moment(
            segment=s,
            anchor=docs.moment_anchor(s),
            text=render_inline(s.text, base_url=base),
            body=render(s.body, base_url=base) if s.body else Markup(""),
            url=moment_url(episode, s),
            current=current is not None and s.position == current.position,
        )
        for s in episode.segments
    ]


def player(episode: Episode, start: int | None, current: Segment | None) -> Player | None:
    url = docs.audio_url(episode, audio_base=current_app.config["AUDIO_BASE_URL"])
    if url is None:
        return None
    extension = url.rsplit("/", 1)[-1].rpartition(".")[2].lower()
    if start is not None:
        # A media fragment makes the browser start there (and stop at the segment's end).
        end = current.end if current is not None and current.end is not None else None
        url += f"#t={start}" + (f",{end}" if end is not None else "")
    return Player(src=url, type=AUDIO_TYPES.get(extension), start=start)


def _labels(live: Generation, episode: Episode) -> dict[str, str]:
    return {tag: live.catalog.label("tag", tag) for tag in episode.tags}
