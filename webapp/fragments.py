"""Parts of pages that depend on one episode only, rendered once per generation.

A results page shows each hit's meta line and tags; rendering those macros again for every
search was a quarter of the page's rendering time. Registered as a Jinja global.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from markupsafe import Markup

from indexer import Episode
from indexer.recent import remembered

from .index import generation

FRAGMENTS = "shownotes.episode_fragments"
MAX_FRAGMENTS = 50_000
# The macros of _macros.html whose output follows from the episode alone.
EPISODE_MACROS = frozenset({"episode_meta", "tag_list"})


def episode_part(macro: str, episode: Episode) -> Markup:
    """`macro(episode)` from _macros.html, remembered per generation and mount path."""
    if macro not in EPISODE_MACROS:
        raise ValueError(f"{macro!r} is not a macro of one episode")
    known: dict[tuple[str, str, str, str], Markup] = current_app.extensions.setdefault(
        FRAGMENTS, {}
    )
    key = (generation().name, request.script_root, macro, episode.id)
    return remembered(known, key, lambda: _render(macro, episode), limit=MAX_FRAGMENTS)


def _render(macro: str, episode: Episode) -> Markup:
    module = current_app.jinja_env.get_template("_macros.html").module
    return Markup(getattr(module, macro)(episode))


def init_app(app: Flask) -> None:
    app.jinja_env.globals["episode_part"] = episode_part
