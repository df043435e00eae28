"""Episode pages opened at a moment: `?t=<seconds>` anchors the row and starts the audio there."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from webtools import BAKERY, WEATHER, find, hrefs

AUDIO = "https://media.example.org/audio/shipping-it-live-1.mp3"


def starts(client: FlaskClient) -> list[tuple[int, int | None]]:
    body = client.get("/api/episodes/podcast/1-a-bakery-ordering-app-on-a-single-vps").get_json()
    return [(s["start"], s["end"]) for s in body["segments"]]


def current_rows(html_client: FlaskClient, url: str) -> list[str | None]:
    response = html_client.get(url)
    assert response.status_code == 200
    return [li.get("id") for li in find(response, "li") if li.get("aria-current") == "true"]


def test_moment_url_anchors_the_row_and_sets_the_media_fragment(site_client: FlaskClient) -> None:
    (start, end) = starts(site_client)[1]
    response = site_client.get(f"{BAKERY}?t={start}")
    html = response.get_data(as_text=True)
    assert f'<source src="{AUDIO}#t={start},{end}"' in html
    assert f'<li id="at-{start}" aria-current="true"' in html
    assert current_rows(site_client, f"{BAKERY}?t={start}") == [f"at-{start}"]
    [player] = find(response, "audio", id="player")
    assert player["data-start"] == str(start)


def test_a_second_inside_a_moment_highlights_that_moment(site_client: FlaskClient) -> None:
    (start, end) = starts(site_client)[1]
    html = site_client.get(f"{BAKERY}?t={start + 5}").get_data(as_text=True)
    assert f'<source src="{AUDIO}#t={start + 5},{end}"' in html
    assert current_rows(site_client, f"{BAKERY}?t={start + 5}") == [f"at-{start}"]


def test_before_the_first_moment_plays_without_a_row(site_client: FlaskClient) -> None:
    html = site_client.get(f"{BAKERY}?t=30").get_data(as_text=True)
    assert f'<source src="{AUDIO}#t=30"' in html
    assert current_rows(site_client, f"{BAKERY}?t=30") == []


@pytest.mark.parametrize(
    "t", ["abc", "-5", "1e3", "99999", "3.5", " 245", "", "%00", "245abc", "1" * 50]
)
def test_invalid_t_is_ignored(site_client: FlaskClient, t: str) -> None:
    response = site_client.get(f"{BAKERY}?t={t}")
    assert response.status_code == 200
    [source] = find(response, "source")
    assert source["src"] == AUDIO
    assert current_rows(site_client, f"{BAKERY}?t={t}") == []


def test_t_past_the_duration_is_ignored(site_client: FlaskClient) -> None:
    duration = site_client.get(
        "/api/episodes/podcast/1-a-bakery-ordering-app-on-a-single-vps"
    ).get_json()["duration"]
    assert find(site_client.get(f"{BAKERY}?t={duration}"), "source")[0]["src"] != AUDIO
    assert find(site_client.get(f"{BAKERY}?t={duration + 1}"), "source")[0]["src"] == AUDIO


def test_t_on_an_interview_is_ignored(site_client: FlaskClient) -> None:
    response = site_client.get(f"{WEATHER}?t=10")
    assert response.status_code == 200
    assert not find(response, "audio")


def test_source_site_link_points_at_the_same_moment(site_client: FlaskClient) -> None:
    (start, _end) = starts(site_client)[1]
    source_page = (
        "https://shipping-it-live.example.org/podcast/1-a-bakery-ordering-app-on-a-single-vps"
    )
    assert f"{source_page}#4:05" in hrefs(site_client.get(f"{BAKERY}?t={start}"))
    assert source_page in hrefs(site_client.get(BAKERY))


def test_every_timestamp_links_its_own_moment(site_client: FlaskClient) -> None:
    html = site_client.get(BAKERY).get_data(as_text=True)
    for start, _end in starts(site_client):
        assert re.search(
            rf'<li id="at-{start}" class="moment">\s*'
            rf'<a class="timestamp" href="{BAKERY}\?t={start}#at-{start}" data-start="{start}"',
            html,
        ), start
