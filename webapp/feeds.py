"""Machine-readable views: the OpenSearch description, Atom feeds of searches, chapters."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from typing import Any
from xml.etree import ElementTree as ET

from flask import Blueprint, Response, current_app, jsonify, request, url_for

from indexer import Episode, NotFound, SearchResult, Segment
from indexer.markup import urls_in

from .index import generation
from .links import episode_url, search_url
from .params import search_request

bp = Blueprint("feeds", __name__)

ATOM = "http://www.w3.org/2005/Atom"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
# XML 1.0 cannot carry most control characters at all, not even escaped.
NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    return NOT_XML.sub("", text)


@bp.get("/opensearch.xml")
def opensearch() -> Response:
    root = ET.Element("OpenSearchDescription", xmlns=OPENSEARCH)
    name = current_app.config["SITE_NAME"]
    _add(root, "ShortName", name[:16])
    _add(root, "Description", f"Search the episodes of {name}")
    _add(root, "InputEncoding", "UTF-8")
    for kind, endpoint in (
        ("text/html", "search.results"),
        ("application/atom+xml", "feeds.search_feed"),
        ("application/json", "api.search"),
    ):
        template = url_for(endpoint, _external=True) + "?q={searchTerms}"
        ET.SubElement(root, "Url", type=kind, template=template)
    return _xml(root, "application/opensearchdescription+xml")


@bp.get("/search.atom")
def search_feed() -> Response:
    wanted = replace(search_request(request.args), sort="newest")
    wanted = replace(wanted, per_page=current_app.config["FEED_SIZE"])
    result = generation().search(wanted)
    return _xml(atom_feed(result), "application/atom+xml")


def atom_feed(result: SearchResult) -> ET.Element:
    feed = ET.Element("feed", xmlns=ATOM)
    words = result.request.q
    name = current_app.config["SITE_NAME"]
    _add(feed, "title", f"{name}: {words}" if words else f"{name}: newest episodes")
    _add(feed, "id", request.url)
    # Atom wants an author for the feed when an entry (an episode without guests) has none.
    _add(ET.SubElement(feed, "author"), "name", name)
    newest = max((hit.episode.date for hit in result.hits if hit.episode.date), default=None)
    _add(feed, "updated", _timestamp(newest))
    _link(feed, request.url, "self", "application/atom+xml")
    page = request.host_url.rstrip("/") + search_url(result.request)
    _link(feed, page, "alternate", "text/html")
    for hit in result.hits:
        _entry(feed, hit.episode)
    return feed


def _entry(feed: ET.Element, episode: Episode) -> None:
    entry = ET.SubElement(feed, "entry")
    url = request.host_url.rstrip("/") + episode_url(episode)
    _add(entry, "title", episode.title)
    _add(entry, "id", url)
    _add(entry, "updated", _timestamp(episode.date))
    _link(entry, url, "alternate", "text/html")
    for guest in episode.guests:
        author = ET.SubElement(entry, "author")
        _add(author, "name", guest.name)
    for tag in episode.tags:
        ET.SubElement(entry, "category", term=xml_text(tag))
    if episode.description:
        _add(entry, "summary", episode.description)


def _timestamp(day: dt.date | None) -> str:
    when = day or dt.date(1970, 1, 1)
    return f"{when.isoformat()}T00:00:00Z"


def _add(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, tag).text = xml_text(text)


def _link(parent: ET.Element, href: str, rel: str, kind: str) -> None:
    ET.SubElement(parent, "link", href=xml_text(href), rel=rel, type=kind)


def _xml(root: ET.Element, mimetype: str) -> Response:
    body = ET.tostring(root, encoding="unicode")
    return Response('<?xml version="1.0" encoding="utf-8"?>\n' + body, mimetype=mimetype)


@bp.get("/episodes/<category>/<slug>/chapters.json")
def chapters(category: str, slug: str) -> Response:
    """Podcasting 2.0 chapters; 404 for an episode without timestamps (every interview)."""
    episode = generation().episode(f"{category}/{slug}")
    timed = [s for s in episode.segments if s.start is not None]
    if not timed:
        raise NotFound(f"{episode.id} has no timestamped moments, so no chapters")
    return jsonify(version="1.2.0", chapters=[_chapter(s) for s in timed])


def _chapter(segment: Segment) -> dict[str, Any]:
    chapter: dict[str, Any] = {"startTime": segment.start, "title": segment.plain}
    if segment.end is not None:
        chapter["endTime"] = segment.end
    links = urls_in(segment.text)
    if links:
        chapter["url"] = links[0]
    return chapter
