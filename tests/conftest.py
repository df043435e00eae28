"""Shared fixtures. Indexes are built once per session into temporary folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer import Sources, build_index

from support import CORPUS_MISSING, REPO, RIP

# --- indexes (indexer tests and web app tests share these) -----------------------------------


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the bundled sample episodes."""
    index_dir = tmp_path_factory.mktemp("sample_index")
    build_index(index_dir, Sources(episodes=(REPO / "episodes",)))
    return index_dir


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the real Running in Production corpus, with its tag pages and site config."""
    if not RIP.is_dir():
        pytest.skip(CORPUS_MISSING)
    index_dir = tmp_path_factory.mktemp("corpus_index")
    sources = Sources(episodes=(RIP / "_posts",), tags=RIP / "tags", config=RIP / "_config.yml")
    build_index(index_dir, sources)
    return index_dir


# --- web app (webapp/ tests) ------------------------------------------------------------------
# Maintained with the web app. The indexes above are shared; what follows builds apps on them.

from collections.abc import Iterator  # noqa: E402

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient, FlaskCliRunner  # noqa: E402

import webapp.index  # noqa: E402
from webapp import create_app  # noqa: E402

SITE_CONFIG = """\
url: "https://shipping-it-live.example.org"
mp3_url_path: "https://media.example.org/audio/shipping-it-live-"
"""


def make_app(index_dir: Path, **config: object) -> Iterator[Flask]:
    # Searches are not logged unless a test asks for it with QUERY_LOG.
    app = create_app({"TESTING": True, "INDEX_DIR": str(index_dir), "QUERY_LOG": "", **config})
    yield app
    webapp.index.close(app)


@pytest.fixture
def app(sample_index: Path) -> Iterator[Flask]:
    yield from make_app(sample_index)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def site_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample episodes with a site configuration, so episodes have audio and source URLs."""
    folder = tmp_path_factory.mktemp("site_config")
    config = folder / "_config.yml"
    config.write_text(SITE_CONFIG, encoding="utf-8")
    index_dir = tmp_path_factory.mktemp("site_index")
    build_index(index_dir, Sources(episodes=(REPO / "episodes",), config=config))
    return index_dir


@pytest.fixture
def site_client(site_index: Path) -> Iterator[FlaskClient]:
    for site_app in make_app(site_index):
        yield site_app.test_client()


@pytest.fixture(scope="module")
def corpus_client(corpus_index: Path) -> Iterator[FlaskClient]:
    for corpus_app in make_app(corpus_index):
        yield corpus_app.test_client()


@pytest.fixture
def empty_client(tmp_path: Path) -> Iterator[FlaskClient]:
    """An app over a folder with no index in it."""
    for bare_app in make_app(tmp_path / "no_index_here"):
        yield bare_app.test_client()


# --- a live server (the real-browser and w3m tests) -------------------------------------------

from browser_support import LiveServer, write_silence  # noqa: E402

from indexer import SearchIndex  # noqa: E402

BAKERY_ID = "podcast/1-a-bakery-ordering-app-on-a-single-vps"


@pytest.fixture(scope="session")
def live_server(site_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app on 127.0.0.1, with episode 1's audio (generated silence) served from /audio."""
    reader = SearchIndex(site_index)
    try:
        bakery = reader.current().episode(BAKERY_ID)
    finally:
        reader.close()
    assert bakery.audio_url and bakery.duration
    audio_dir = tmp_path_factory.mktemp("live_audio")
    # The file name the episode's audio URL ends in, as AUDIO_BASE_URL keeps it.
    write_silence(audio_dir / bakery.audio_url.rsplit("/", 1)[-1], bakery.duration)
    app = create_app(
        {
            "TESTING": True,
            "INDEX_DIR": str(site_index),
            "AUDIO_DIR": str(audio_dir),
            "AUDIO_BASE_URL": "/audio",
            "QUERY_LOG": str(tmp_path_factory.mktemp("live_log") / "queries.jsonl"),
        }
    )
    server = LiveServer(app)
    yield server
    server.close()
    webapp.index.close(app)
