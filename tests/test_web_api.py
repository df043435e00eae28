"""The JSON API: the documented shapes, facet values that are exactly what filters take, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

FACET_NAMES = ("tag", "guest", "library", "year", "category")
MULTI = ("tag", "guest", "library", "year", "category")


def get_json(client: FlaskClient, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, (url, response.get_data(as_text=True)[:300])
    assert response.content_type == "application/json"
    return response.get_json()


def assert_error(client: FlaskClient, url: str, status: int, code: str | None = None) -> None:
    body = get_json(client, url, status)
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code


def test_search_document_keys_and_types(client: FlaskClient) -> None:
    body = get_json(client, "/api/search?q=celery&per_page=3")
    assert {
        "query",
        "total",
        "page",
        "per_page",
        "pages",
        "suggestion",
        "results",
        "facets",
    } <= set(body)
    assert body["query"]["q"] == "celery"
    assert (body["total"], body["page"], body["per_page"], body["pages"]) == (5, 1, 3, 2)
    assert body["suggestion"] is None
    assert len(body["results"]) == 3
    for hit in body["results"]:
        assert set(hit) >= {"episode", "score", "segments"}
        assert isinstance(hit["score"], float)
        episode = hit["episode"]
        for key, kind in (
            ("id", str),
            ("title", str),
            ("url", str),
            ("tags", list),
            ("guests", list),
        ):
            assert isinstance(episode[key], kind), key
        assert episode["url"].startswith("/episodes/")
        for segment in hit["segments"]:
            assert isinstance(segment["position"], int)
            assert "<mark>" in segment["highlight"]
            assert segment["url"].startswith(episode["url"])
            if segment["start"] is not None:
                assert segment["url"].endswith(f"?t={segment['start']}#at-{segment['start']}")
                assert isinstance(segment["timestamp"], str)
    assert set(body["facets"]) == set(FACET_NAMES)
    for values in body["facets"].values():
        for value in values:
            assert set(value) == {"value", "label", "count", "selected"}
            assert isinstance(value["count"], int) and isinstance(value["selected"], bool)


@pytest.mark.parametrize(
    "query",
    ["", "q=deploy", "q=backups&tag=postgres", "tag=celery&tag=redis&tag_mode=any", "year=2024"],
)
def test_each_facet_value_filters_to_its_count(client: FlaskClient, query: str) -> None:
    """For every facet value returned, asking with it toggled answers exactly `count`."""
    body = get_json(client, f"/api/search?{query}")
    checked = 0
    for facet, values in body["facets"].items():
        for value in values:
            params = _toggled(body["query"], facet, value["value"])
            toggled = get_json(client, "/api/search?" + params)
            assert toggled["total"] == value["count"], (facet, value)
            checked += 1
    assert checked > 5


def _toggled(query: dict[str, Any], facet: str, value: str) -> str:
    from urllib.parse import urlencode

    pairs: list[tuple[str, str]] = [("q", query["q"])] if query["q"] else []
    for name in MULTI:
        current = list(query[name])
        if name == facet:
            current = [v for v in current if v != value] if value in current else [*current, value]
        pairs += [(name, v) for v in current]
    pairs += [("tag_mode", query["tag_mode"]), ("library_mode", query["library_mode"])]
    return urlencode(pairs)


def test_per_page_and_paging(client: FlaskClient) -> None:
    first = get_json(client, "/api/search?per_page=4")
    second = get_json(client, "/api/search?per_page=4&page=2")
    assert first["pages"] == 4 and first["total"] == 15
    ids = {h["episode"]["id"] for h in first["results"]}
    assert ids.isdisjoint(h["episode"]["id"] for h in second["results"])
    assert len(get_json(client, "/api/search?per_page=50")["results"]) == 15
    last = get_json(client, "/api/search?per_page=4&page=99")
    assert last["results"] == [] and last["total"] == 15


def test_unknown_parameters_are_ignored(client: FlaskClient) -> None:
    plain = get_json(client, "/api/search?q=celery")
    noisy = get_json(client, "/api/search?q=celery&utm_source=x&foo=bar&partial=1")
    assert plain == noisy


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=0",
        "page=-1",
        f"page={10**9}",
        "page=99999999999999999999999",
        "per_page=0",
        "per_page=1000",
        f"per_page={10**6}",
        "per_page=x",
        "sort=bogus",
        "tag_mode=x",
        "library_mode=some",
    ],
)
def test_bad_parameters_answer_400_json(client: FlaskClient, query: str) -> None:
    assert_error(client, f"/api/search?{query}", 400, "invalid_parameter")


@pytest.mark.parametrize("q", ["*a*", "word~9", "(" * 2000, "x" * 2_000, '"'])
def test_refused_queries_answer_400_json(client: FlaskClient, q: str) -> None:
    from urllib.parse import quote

    assert_error(client, f"/api/search?q={quote(q)}", 400, "invalid_query")


def test_hostile_but_valid_queries_answer(client: FlaskClient) -> None:
    for q in ("<script>alert(1)</script>", "[a TO z]", "AND", "title:flask", "%00"):
        body = get_json(client, "/api/search?q=" + q.replace("%", "%25"))
        assert isinstance(body["total"], int), q


def test_episode_document(client: FlaskClient) -> None:
    body = get_json(client, "/api/episodes/podcast/1-a-bakery-ordering-app-on-a-single-vps")
    assert body["id"] == "podcast/1-a-bakery-ordering-app-on-a-single-vps"
    assert len(body["segments"]) == 17
    assert body["segments"][0]["start"] == 102 and body["segments"][0]["timestamp"] == "1:42"
    assert {"id": "celery/celery", "url": "https://github.com/celery/celery"} in body["libraries"]
    assert body["guests"][0]["slug"] == "ines-marquez"
    assert_error(client, "/api/episodes/podcast/nope", 404, "not_found")


def test_value_lists(client: FlaskClient) -> None:
    tags = get_json(client, "/api/tags")["values"]
    assert tags[0] == {"value": "docker", "label": "docker", "count": 15}
    assert all(set(t) == {"value", "label", "count"} for t in tags)
    counts = [t["count"] for t in tags]
    assert counts == sorted(counts, reverse=True)
    assert {"value": "ines-marquez", "label": "Inès Márquez", "count": 2} in get_json(
        client, "/api/guests"
    )["values"]
    assert any(v["value"] == "celery/celery" for v in get_json(client, "/api/libraries")["values"])


def test_knowledge_documents(client: FlaskClient) -> None:
    body = get_json(client, "/api/tags/celery")
    assert (body["facet"], body["value"], body["label"]) == ("tag", "celery", "celery")
    assert body["total"] == len(body["episodes"]) == 5
    dates = [e["episode"]["date"] for e in body["episodes"]]
    assert dates == sorted(dates, reverse=True)
    assert body["first"]["date"] == dates[-1] and body["latest"]["date"] == dates[0]
    assert any(e["segments"] for e in body["episodes"])
    assert set(body["cooccurring"]) == {"tag", "guest", "library"}
    assert all(c["value"] != "celery" for c in body["cooccurring"]["tag"])
    library = get_json(client, "/api/libraries/celery/celery")
    assert library["url"] == "https://github.com/celery/celery"
    guest = get_json(client, "/api/guests/ines-marquez")
    assert guest["url"] == "https://ines-marquez.example.org/"
    assert guest["total"] == 2


def test_unknown_items_answer_404_json(client: FlaskClient) -> None:
    for url in ("/api/tags/nope", "/api/guests/nope", "/api/libraries/no/such", "/api/nothing"):
        assert_error(client, url, 404, "not_found")


def test_wrong_method_answers_405_json(client: FlaskClient) -> None:
    response = client.post("/api/search")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_openapi_document_is_served_and_covers_the_routes(client: FlaskClient) -> None:
    served = get_json(client, "/api/openapi.json")
    on_disk = json.loads((Path(__file__).parents[1] / "webapp" / "openapi.json").read_text())
    assert served == on_disk
    assert served["openapi"].startswith("3.1")
    paths = set(served["paths"])
    assert {
        "/api/search",
        "/api/episodes/{category}/{slug}",
        "/api/tags",
        "/api/tags/{tag}",
        "/api/guests/{slug}",
        "/api/libraries/{library}",
    } <= paths
    parameters = {
        p["$ref"].rsplit("/", 1)[-1] for p in served["paths"]["/api/search"]["get"]["parameters"]
    }
    assert parameters == {"q", *MULTI, "tag_mode", "library_mode", "sort", "page", "per_page"}
    # Every $ref points at something that exists.
    text = json.dumps(served)
    for ref in {part.split('"')[0] for part in text.split('"$ref": "#/')[1:]}:
        node: Any = served
        for key in ref.split("/"):
            node = node[key]
        assert node, ref
