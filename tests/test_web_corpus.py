"""The web app over the real Running in Production corpus (skipped when it is not beside us)."""

from __future__ import annotations

from flask.testing import FlaskClient
from webtools import find, hrefs, text

EPISODE_1 = "/episodes/podcast/1-a-medical-web-app-at-a-university-with-gabriel-robertson"


def test_cachex_finds_the_moment_in_episode_1(corpus_client: FlaskClient) -> None:
    body = corpus_client.get("/api/search?q=cachex").get_json()
    [hit] = [h for h in body["results"] if h["episode"]["number"] == 1]
    assert hit["episode"]["url"] == EPISODE_1
    [moment] = [s for s in hit["segments"] if s["start"] == 1011]
    assert moment["timestamp"] == "16:51"
    assert moment["source_url"].endswith("#16:51")
    assert moment["url"] == f"{EPISODE_1}?t=1011#at-1011"
    assert "<mark>Cachex</mark>" in moment["highlight"]


def test_search_page_links_the_moment(corpus_client: FlaskClient) -> None:
    response = corpus_client.get("/search?q=cachex")
    [link] = [a for a in find(response, "a", class_="timestamp") if a["data-start"] == "1011"]
    assert link["href"] == f"{EPISODE_1}?t=1011#at-1011"
    assert "16:51" in text(response)


def test_episode_page_at_the_moment(corpus_client: FlaskClient) -> None:
    response = corpus_client.get(f"{EPISODE_1}?t=1011")
    html = response.get_data(as_text=True)
    assert (
        '<source src="https://runninginproduction.com/assets/podcast/running-in-production-1.mp3#t=1011,1106"'
        in html
    )
    assert '<li id="at-1011" aria-current="true"' in html
    assert f"https://runninginproduction.com{EPISODE_1.removeprefix('/episodes')}#16:51" in hrefs(
        response
    )
    assert (
        "media-src 'self' https://runninginproduction.com"
        in response.headers["Content-Security-Policy"]
    )


def test_tag_page_uses_the_tag_registry(corpus_client: FlaskClient) -> None:
    response = corpus_client.get("/tags/postgres")
    assert response.status_code == 200
    assert "<h1>PostgreSQL</h1>" in response.get_data(as_text=True)
    assert any(h.startswith("https://www.postgresql.org") for h in hrefs(response))
    body = corpus_client.get("/api/tags/postgres").get_json()
    assert body["label"] == "PostgreSQL" and body["description"]
    assert body["total"] == len(body["episodes"]) > 10


def test_library_with_a_slash(corpus_client: FlaskClient) -> None:
    response = corpus_client.get("/libraries/whitfin/cachex")
    assert response.status_code == 200
    assert f"{EPISODE_1}?t=1011#at-1011" in hrefs(response)
    assert (
        corpus_client.get("/api/libraries/whitfin/cachex").get_json()["value"] == "whitfin/cachex"
    )


def test_facet_counts_hold_on_the_corpus(corpus_client: FlaskClient) -> None:
    body = corpus_client.get("/api/search?q=docker&tag=python").get_json()
    for facet in ("tag", "year", "category"):
        for value in body["facets"][facet][:4]:
            if value["selected"]:
                continue
            extra = f"&{facet}={value['value']}"
            toggled = corpus_client.get(f"/api/search?q=docker&tag=python{extra}").get_json()
            assert toggled["total"] == value["count"], (facet, value)
