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
