"""Made-up audio for the sample episodes: the right length, seekable by byte ranges."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_app
from flask import Flask

from indexer import Sources, build_index
from webapp.demo_audio import HEADER_BYTES, RATE, SILENCE

from support import REPO


@pytest.fixture(scope="module")
def configured_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    index_dir = tmp_path_factory.mktemp("demo_audio_index")
    episodes = REPO / "episodes"
    build_index(index_dir, Sources(episodes=(episodes,), config=episodes / "_config.yml"))
    return index_dir


@pytest.fixture
def demo_app(configured_index: Path) -> Iterator[Flask]:
    yield from make_app(configured_index)


def test_header_and_length_match_the_episode(demo_app: Flask) -> None:
    client = demo_app.test_client()
    episode = client.get("/api/episodes/podcast/1-a-bakery-ordering-app-on-a-single-vps").get_json()
    assert episode["audio_url"] == "/demo-audio/shipping-it-live-1.mp3"
    response = client.get(episode["audio_url"], headers={"Range": f"bytes=0-{HEADER_BYTES - 1}"})
    assert response.status_code == 206
    assert response.mimetype == "audio/wav"
    size = HEADER_BYTES + episode["duration"] * RATE
    assert response.headers["Content-Range"] == f"bytes 0-{HEADER_BYTES - 1}/{size}"
    header = response.data
    assert header[:4] == b"RIFF" and header[8:16] == b"WAVEfmt "
    channels, rate, _, _, bits = struct.unpack("<HIIHH", header[22:36])
    assert (channels, rate, bits) == (1, RATE, 8)
    assert struct.unpack("<I", header[40:44])[0] == episode["duration"] * RATE


def test_any_range_is_computed_a_tick_each_second(demo_app: Flask) -> None:
    client = demo_app.test_client()
    second = 734  # 12:14, a moment of the first sample episode
    start = HEADER_BYTES + second * RATE
    response = client.get(
        "/demo-audio/shipping-it-live-1.mp3", headers={"Range": f"bytes={start}-{start + RATE - 1}"}
    )
    assert response.status_code == 206 and len(response.data) == RATE
    assert response.data[0:100] != bytes([SILENCE]) * 100  # the tick
    assert response.data[-100:] == bytes([SILENCE]) * 100  # then quiet


def test_only_episodes_pointing_at_it_get_demo_audio(demo_app: Flask, sample_index: Path) -> None:
    client = demo_app.test_client()
    assert client.get("/demo-audio/nope.mp3").status_code == 404
    assert client.get("/demo-audio/..%2f..%2fetc%2fpasswd").status_code == 404
    # The same episodes indexed without the samples' config have no audio URL at all.
    for app in make_app(sample_index):
        assert app.test_client().get("/demo-audio/shipping-it-live-1.mp3").status_code == 404
