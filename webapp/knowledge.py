"""Pages across episodes: one tag, guest or library, and the lists of them all."""

from __future__ import annotations

from flask import Blueprint, render_template

from indexer import all_values
from indexer import knowledge as lookup

from .index import generation

bp = Blueprint("knowledge", __name__)

TITLES = {"tag": "Tags", "guest": "Guests", "library": "Libraries"}


@bp.get("/tags")
def tags() -> str:
    return _listing("tag")


@bp.get("/guests")
def guests() -> str:
    return _listing("guest")


@bp.get("/libraries")
def libraries() -> str:
    return _listing("library")


@bp.get("/tags/<tag>")
def tag(tag: str) -> str:
    return _page("tag", tag)


@bp.get("/guests/<slug>")
def guest(slug: str) -> str:
    return _page("guest", slug)


@bp.get("/libraries/<path:library_id>")
def library(library_id: str) -> str:
    return _page("library", library_id)


def _page(facet: str, value: str) -> str:
    found = lookup(generation(), facet, value)
    return render_template("knowledge.html", item=found, titles=TITLES)


def _listing(facet: str) -> str:
    values = all_values(generation(), facet)
    return render_template("values.html", facet=facet, title=TITLES[facet], values=values)
