"""When costly searches have used up their share, they get a fast 503 with Retry-After."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from webtools import assert_secure, find, text

import webapp.index
from indexer import CostlyGate

COSTLY = "/search?q=" + quote("deplo* postgre~1")


@pytest.fixture
def gate(app: Flask) -> Iterator[CostlyGate]:
    found = webapp.index.search_index(app).gate
    assert found is not None, "the app limits costly searches by default"
    # Another thread's costly search holds the one slot for as long as the test runs.
    with found.admit():
        yield found


def test_the_app_limits_costly_searches_by_default(app: Flask) -> None:
    gate = webapp.index.search_index(app).gate
    assert gate is not None and gate.share == app.config["COSTLY_SEARCH_SHARE"] == 0.1


def test_a_busy_search_page_keeps_the_box_and_says_when_to_retry(
    client: FlaskClient, gate: CostlyGate
) -> None:
    response = client.get(COSTLY)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert "without * and ~" in text(response)
    assert find(response, "input", id="q", value="deplo* postgre~1")
    assert_secure(response)


def test_plain_searches_are_answered_while_costly_ones_are_refused(
    client: FlaskClient, gate: CostlyGate
) -> None:
    assert client.get(COSTLY).status_code == 503
    assert client.get("/search?q=deploy").status_code == 200
    assert client.get("/api/search?q=postgres").status_code == 200
    assert gate.refused == 1


def test_a_busy_api_search_is_a_json_503(client: FlaskClient, gate: CostlyGate) -> None:
    response = client.get("/api/search?q=" + quote("kube*"))
    assert response.status_code == 503
    assert response.mimetype == "application/json"
    assert response.headers["Retry-After"] == "1"
    assert response.get_json()["error"]["code"] == "busy"
    assert_secure(response)


def test_a_busy_feed_is_a_503_page(client: FlaskClient, gate: CostlyGate) -> None:
    response = client.get("/search.atom?q=" + quote("kube*"))
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert_secure(response)


def test_the_partial_page_for_the_script_is_refused_the_same_way(
    client: FlaskClient, gate: CostlyGate
) -> None:
    response = client.get(COSTLY, headers={"X-Requested-With": "fetch"})
    assert response.status_code == 503
    assert "<html" not in response.get_data(as_text=True)
    assert "without * and ~" in text(response)


def test_a_costly_search_runs_once_the_slot_is_free(client: FlaskClient) -> None:
    response = client.get(COSTLY)
    assert response.status_code == 200
    assert find(response, "mark")


def test_the_limit_can_be_turned_off(sample_index: Path) -> None:
    from conftest import make_app

    for app in make_app(sample_index, COSTLY_SEARCH_SHARE=0):
        assert webapp.index.search_index(app).gate is None
        assert app.test_client().get(COSTLY).status_code == 200
