"""The real Running in Production corpus, read from ../shared at run time."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer import Episode, SearchIndex, SearchRequest, load_episode
from indexer.siteinfo import load_site_config, load_tag_registry

from support import CORPUS_MISSING, RIP, SEED

pytestmark = pytest.mark.skipif(not RIP.is_dir(), reason=CORPUS_MISSING)

EPISODE_1 = "podcast/1-a-medical-web-app-at-a-university-with-gabriel-robertson"


@pytest.fixture(scope="module")
def episodes() -> list[Episode]:
    site = load_site_config(RIP / "_config.yml")
    return [load_episode(path, site=site) for path in sorted((RIP / "_posts").rglob("*.md"))]


@pytest.fixture(scope="module")
def live(corpus_index: Path) -> SearchIndex:
    return SearchIndex(corpus_index)


def test_every_file_parses_into_the_expected_counts(episodes: list[Episode]) -> None:
    podcast = [e for e in episodes if e.category == "podcast"]
    interviews = [e for e in episodes if e.category == "interviews"]
    assert (len(episodes), len(podcast), len(interviews)) == (117, 108, 9)
    assert sum(len(e.segments) for e in podcast) == 3064
    assert all(s.start is not None for e in podcast for s in e.segments)
    assert all(s.anchor and s.start is None for e in interviews for s in e.segments)


def test_the_three_hour_typos_are_recovered(episodes: list[Episode]) -> None:
    typo_warnings = [w for e in episodes for w in e.warnings if "read as" in w]
    assert len(typo_warnings) == 3
    starts = {s.start for e in episodes for s in e.segments}
    assert {1 * 3600 + 4 * 60 + 22, 1 * 3600 + 11 * 60 + 20, 1 * 3600 + 19 * 60 + 27} <= starts


def test_no_liquid_left_anywhere(episodes: list[Episode]) -> None:
    texts = [e.title for e in episodes] + [e.description for e in episodes]
    texts += [e.intro for e in episodes]
    texts += [t for e in episodes for s in e.segments for t in (s.text, s.plain, s.body)]
    texts += [link.url for e in episodes for link in e.links]
    leftovers = [t for t in texts if "{{" in t or "{%" in t or "%}" in t or "}}" in t]
    assert leftovers == []


def test_messy_front_matter(episodes: list[Episode]) -> None:
    by_id = {e.id: e for e in episodes}
    two_guests = [e for e in episodes if len(e.guests) == 2]
    assert len(two_guests) == 2
    assert all(len(e.tags) == len(set(e.tags)) for e in episodes)
    under_review = [e for e in episodes if e.under_review]
    assert len(under_review) == 1 and under_review[0].tags == ()
    first = by_id[EPISODE_1]
    assert first.duration == 50 * 60 + 55
    assert (
        first.audio_url
        == "https://runninginproduction.com/assets/podcast/running-in-production-1.mp3"
    )
    assert first.source_url == f"https://runninginproduction.com/{EPISODE_1}"
    assert (
        first.segments[7].text == "Using the BEAM and Cachex for caching data without using Redis"
    )
    assert (first.segments[7].start, first.segments[7].end) == (1011, 1106)


@pytest.mark.skipif(not SEED.exists(), reason=CORPUS_MISSING)
def test_seed_matches_the_corpus_episode(episodes: list[Episode]) -> None:
    seed = load_episode(SEED)
    corpus = next(e for e in episodes if e.id == EPISODE_1)
    assert seed.guests == corpus.guests
    assert seed.tags == corpus.tags
    assert len(seed.segments) == 27
    assert [s.plain for s in seed.segments] == [s.plain for s in corpus.segments]
    assert len(seed.libraries) == 7
    assert seed.libraries == corpus.libraries
    assert "whitfin/cachex" in {lib.id for lib in seed.libraries}


def test_tag_registry_labels() -> None:
    registry, problems = load_tag_registry(RIP / "tags")
    assert problems == []
    assert registry["postgres"].label == "PostgreSQL"
    assert registry["lets-encrypt"].label == "Let's Encrypt"
    assert registry["postgres"].url == "https://www.postgresql.org/"
    assert registry["packer"].label == "Packer"


def test_cachex_answers_with_episode_1_at_16_51(live: SearchIndex) -> None:
    result = live.search(SearchRequest(q="cachex"))
    first = result.hits[0]
    assert first.episode.id == EPISODE_1
    assert [(m.segment.timestamp, m.segment.start) for m in first.segments] == [("16:51", 1011)]
    assert "<mark>Cachex</mark>" in first.segments[0].highlight


@pytest.mark.parametrize(("query", "name"), [("Nevola", "Névola"), ("Jonsson", "Jönsson")])
def test_accent_folding_finds_guests(live: SearchIndex, query: str, name: str) -> None:
    result = live.search(SearchRequest(q=query))
    assert result.total >= 1
    assert any(name in g.name for g in result.hits[0].episode.guests)


def test_tag_display_names_are_synonyms(live: SearchIndex) -> None:
    postgres = live.search(SearchRequest(q="postgres", per_page=50))
    moments = [m.segment.plain for hit in postgres.hits for m in hit.segments]
    assert any("PostgreSQL" in text and "postgres " not in text.lower() for text in moments)
    tagged = live.current().catalog.facet_sets["tag"]["postgres"]
    # Every episode tagged `postgres` is found by its display name, whatever its text says.
    postgresql = live.search(SearchRequest(q="postgresql", tag=("postgres",)))
    assert postgresql.total == len(tagged) > 50


def test_did_you_mean(live: SearchIndex) -> None:
    assert live.search(SearchRequest(q="kubernets")).suggestion == "kubernetes"
    assert live.search(SearchRequest(q="kubernetes")).suggestion is None
