"""OpenSearch description, Atom feeds of searches, Podcasting 2.0 chapters."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from flask.testing import FlaskClient
from webtools import BAKERY, WEATHER

ATOM = "{http://www.w3.org/2005/Atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"


def test_opensearch_description(client: FlaskClient) -> None:
    response = client.get("/opensearch.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/opensearchdescription+xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{OPENSEARCH}OpenSearchDescription"
    assert root.findtext(f"{OPENSEARCH}ShortName")
    templates = {u.get("type"): u.get("template") for u in root.findall(f"{OPENSEARCH}Url")}
    assert templates["text/html"] == "http://localhost/search?q={searchTerms}"
    assert templates["application/atom+xml"] == "http://localhost/search.atom?q={searchTerms}"


def test_search_feed_lists_matching_episodes_newest_first(client: FlaskClient) -> None:
    response = client.get("/search.atom?q=celery")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 5
    updated = [e.findtext(f"{ATOM}updated") for e in entries]
    assert updated == sorted(updated, reverse=True)
    links = [e.find(f"{ATOM}link").get("href") for e in entries]  # type: ignore[union-attr]
    assert all(str(link).startswith("http://localhost/episodes/") for link in links)
    assert feed.findtext(f"{ATOM}title", "").endswith("celery")
    alternate = [
        link.get("href") for link in feed.findall(f"{ATOM}link") if link.get("rel") == "alternate"
    ]
    assert alternate == ["http://localhost/search?q=celery&sort=newest"]


def test_search_feed_takes_the_same_filters(client: FlaskClient) -> None:
    feed = ET.fromstring(client.get("/search.atom?tag=elixir").data)
    for entry in feed.findall(f"{ATOM}entry"):
        terms = [c.get("term") for c in entry.findall(f"{ATOM}category")]
        assert "elixir" in terms
    assert client.get("/search.atom?page=abc").status_code == 400


def test_feed_escapes_hostile_words(client: FlaskClient) -> None:
    response = client.get("/search.atom?q=%3C%2Ftitle%3E%26%00%01")
    assert response.status_code == 200
    feed = ET.fromstring(response.data)  # well-formed despite the control characters
    assert feed.findtext(f"{ATOM}title", "").endswith("</title>&")


def test_search_page_links_its_feed(client: FlaskClient) -> None:
    html = client.get("/search?q=celery").get_data(as_text=True)
    assert '<link rel="alternate" type="application/atom+xml"' in html
    assert 'href="/search.atom?q=celery"' in html


def test_chapters(client: FlaskClient) -> None:
    response = client.get(f"{BAKERY}/chapters.json")
    assert response.status_code == 200
    body = response.get_json()
    assert body["version"] == "1.2.0"
    chapters = body["chapters"]
    assert len(chapters) == 17
    assert chapters[0] == {
        "startTime": 102,
        "title": "How a family bakery in Valencia ended up needing an online ordering system",
        "endTime": 245,
    }
    starts = [c["startTime"] for c in chapters]
    assert starts == sorted(starts)


def test_interviews_have_no_chapters(client: FlaskClient) -> None:
    response = client.get(f"{WEATHER}/chapters.json")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert client.get("/episodes/podcast/nope/chapters.json").status_code == 404
