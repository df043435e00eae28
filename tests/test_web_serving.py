"""The app without an index, /healthz, the factory and its configuration, audio serving."""

from __future__ import annotations

import io
import os
import shutil
import struct
import wave
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from webtools import BAKERY, assert_secure, find

# --- without an index ------------------------------------------------------------------------


def test_healthz_without_index_is_503(empty_client: FlaskClient) -> None:
    response = empty_client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "no index"
    assert "shownotes index" in body["message"]
    assert_secure(response)


@pytest.mark.parametrize("url", ["/", "/search?q=x", BAKERY, "/tags", "/tags/docker"])
def test_pages_without_index_explain_how_to_build_one(empty_client: FlaskClient, url: str) -> None:
    response = empty_client.get(url)
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert "shownotes index" in html
    assert "no_index_here" in html  # the folder it looked in
    assert_secure(response)


@pytest.mark.parametrize("url", ["/api/search?q=x", "/api/tags", "/api/episodes/podcast/x"])
def test_api_without_index_is_503_json(empty_client: FlaskClient, url: str) -> None:
    response = empty_client.get(url)
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "no_index"


def test_index_built_after_start_is_picked_up(tmp_path: Path, sample_index: Path) -> None:
    from conftest import make_app

    index_dir = tmp_path / "later"
    for later_app in make_app(index_dir):
        client = later_app.test_client()
        assert client.get("/healthz").status_code == 503
        shutil.copytree(sample_index, index_dir)
        assert client.get("/healthz").status_code == 200
        assert client.get("/").status_code == 200


def test_corrupt_index_is_503(tmp_path: Path) -> None:
    from conftest import make_app

    (tmp_path / "CURRENT").write_text("gen-000001\n")  # names a generation that is not there
    for broken_app in make_app(tmp_path):
        client = broken_app.test_client()
        assert client.get("/healthz").get_json()["status"] == "index unavailable"
        assert client.get("/").status_code == 503
        assert client.get("/api/search").get_json()["error"]["code"] == "index_unavailable"


# --- with one --------------------------------------------------------------------------------


def test_healthz_reports_generation_and_counts(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["generation"].startswith("gen-")
    assert body["episodes"] == 15
    assert body["segments"] == 221
    assert "no-store" in response.headers["Cache-Control"]


def test_factory_defaults_and_test_config(monkeypatch: pytest.MonkeyPatch) -> None:
    from webapp import create_app

    monkeypatch.setenv("SHOWNOTES_INDEX", "/somewhere/else")
    monkeypatch.delenv("SHOWNOTES_AUDIO_BASE_URL", raising=False)
    app = create_app()
    assert app.config["INDEX_DIR"] == "/somewhere/else"
    assert app.config["AUDIO_BASE_URL"] is None and app.config["AUDIO_DIR"] is None
    assert not app.testing
    configured = create_app({"INDEX_DIR": "x", "TESTING": True, "SITE_NAME": "Pod"})
    assert configured.config["INDEX_DIR"] == "x" and configured.testing


def test_wsgi_module_exposes_an_app() -> None:
    import webapp.wsgi

    assert isinstance(webapp.wsgi.app, Flask)


def test_routes_are_registered(runner: FlaskCliRunner) -> None:
    from flask.cli import routes_command

    result = runner.invoke(routes_command)
    assert result.exit_code == 0
    for rule in (
        "/search",
        "/episodes/<category>/<slug>",
        "/tags/<tag>",
        "/guests/<slug>",
        "/libraries/<path:library_id>",
        "/api/search",
        "/api/openapi.json",
        "/opensearch.xml",
        "/search.atom",
        "/audio/<path:filename>",
        "/healthz",
    ):
        assert rule in result.output, rule


def test_site_name_is_configurable(sample_index: Path) -> None:
    from conftest import make_app

    for named in make_app(sample_index, SITE_NAME="Shipping It Live"):
        html = named.test_client().get("/").get_data(as_text=True)
        assert "<title>Shipping It Live</title>" in html


# --- audio -----------------------------------------------------------------------------------


def wav_bytes(seconds: int = 3, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(struct.pack("<h", (i * 37) % 2000) for i in range(seconds * rate)))
    return buffer.getvalue()


@pytest.fixture
def audio_client(site_index: Path, tmp_path: Path) -> FlaskClient:
    from conftest import make_app

    folder = tmp_path / "audio"
    folder.mkdir()
    # The file name the site config gives episode 1, so AUDIO_BASE_URL can point at it.
    (folder / "shipping-it-live-1.mp3").write_bytes(wav_bytes())
    (tmp_path / "secret.txt").write_text("not for you")
    apps = make_app(site_index, AUDIO_DIR=str(folder), AUDIO_BASE_URL="/audio")
    app = next(apps)
    yield app.test_client()
    for _ in apps:
        pass


def test_episode_audio_comes_from_the_indexed_url(site_client: FlaskClient) -> None:
    response = site_client.get(BAKERY)
    [audio] = find(response, "audio", id="player")
    assert "controls" in audio and audio["preload"] == "metadata"
    [source] = find(response, "source")
    assert source["src"] == "https://media.example.org/audio/shipping-it-live-1.mp3"
    assert source["type"] == "audio/mpeg"


def test_audio_base_url_points_all_audio_elsewhere(audio_client: FlaskClient) -> None:
    [source] = find(audio_client.get(BAKERY), "source")
    assert source["src"] == "/audio/shipping-it-live-1.mp3"
    body = audio_client.get(
        "/api/episodes/podcast/1-a-bakery-ordering-app-on-a-single-vps"
    ).get_json()
    assert body["audio_url"] == "/audio/shipping-it-live-1.mp3"
    assert body["segments"][0]["audio_url"] == "/audio/shipping-it-live-1.mp3#t=102,245"


def test_audio_dir_answers_range_requests(audio_client: FlaskClient) -> None:
    size = len(wav_bytes())
    with audio_client.get("/audio/shipping-it-live-1.mp3") as whole:
        assert whole.status_code == 200
        assert whole.headers["Accept-Ranges"] == "bytes"
        assert int(whole.headers["Content-Length"]) == size
    with audio_client.get(
        "/audio/shipping-it-live-1.mp3", headers={"Range": "bytes=100-199"}
    ) as part:
        assert part.status_code == 206
        assert part.headers["Content-Range"] == f"bytes 100-199/{size}"
        assert part.data == wav_bytes()[100:200]
        assert_secure(part)
    with audio_client.get("/audio/shipping-it-live-1.mp3", headers={"Range": "bytes=-10"}) as tail:
        assert tail.status_code == 206 and len(tail.data) == 10
    with audio_client.get(
        "/audio/shipping-it-live-1.mp3", headers={"Range": f"bytes={size + 10}-"}
    ) as bad:
        assert bad.status_code == 416


def test_audio_dir_refuses_other_paths(audio_client: FlaskClient) -> None:
    for url in (
        "/audio/../secret.txt",
        "/audio/..%2Fsecret.txt",
        "/audio/missing.mp3",
        "/audio/%2Fetc%2Fpasswd",
    ):
        with audio_client.get(url, follow_redirects=True) as response:
            assert response.status_code == 404, url


def test_audio_route_is_off_without_audio_dir(client: FlaskClient) -> None:
    assert client.get("/audio/anything.mp3").status_code == 404
    assert os.environ.get("SHOWNOTES_AUDIO_DIR") is None
