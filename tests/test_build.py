"""Building and updating the index: incremental, atomic, locked, and never worse than before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer import (
    IndexBusy,
    IndexCorrupt,
    NothingToIndex,
    SearchIndex,
    SearchRequest,
    Sources,
    build,
    build_index,
    schema,
    store,
)
from indexer.catalog import Catalog

from support import write_episode


def ids(index_dir: Path, q: str = "") -> set[str]:
    live = SearchIndex(index_dir)
    try:
        return {h.episode.id for h in live.search(SearchRequest(q=q, per_page=50)).hits}
    finally:
        live.close()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    eps = tmp_path / "episodes"
    write_episode(
        eps, "2024-01-01-1-first.md", title="First", topics=("1:00 -- Caching with Redis",)
    )
    write_episode(
        eps, "2024-02-01-2-second.md", title="Second", topics=("1:00 -- Deploying with Docker",)
    )
    return eps


def generations(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.iterdir() if p.name.startswith("gen-"))


def test_full_then_incremental_updates(folder: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    sources = Sources(episodes=(folder,))
    first = build_index(index_dir, sources)
    assert first.full and sorted(first.added) == ["podcast/1-first", "podcast/2-second"]

    write_episode(
        folder, "2024-03-01-3-third.md", title="Third", topics=("1:00 -- Kubernetes at last",)
    )
    added = build_index(index_dir, sources)
    assert not added.full
    assert (added.added, sorted(added.unchanged)) == (
        ["podcast/3-third"],
        ["podcast/1-first", "podcast/2-second"],
    )
    assert ids(index_dir, "kubernetes") == {"podcast/3-third"}

    write_episode(
        folder, "2024-01-01-1-first.md", title="First", topics=("1:00 -- Caching with Memcached",)
    )
    updated = build_index(index_dir, sources)
    assert updated.updated == ["podcast/1-first"]
    assert ids(index_dir, "redis") == set()
    assert ids(index_dir, "memcached") == {"podcast/1-first"}

    (folder / "2024-02-01-2-second.md").unlink()
    removed = build_index(index_dir, sources)
    assert removed.removed == ["podcast/2-second"]
    assert ids(index_dir) == {"podcast/1-first", "podcast/3-third"}
    assert ids(index_dir, "docker") == set()

    same = build_index(index_dir, sources)
    assert not same.changed_index and same.generation == removed.generation


def test_incremental_result_equals_a_full_rebuild(folder: Path, tmp_path: Path) -> None:
    sources = Sources(episodes=(folder,))
    build_index(tmp_path / "a", sources)
    write_episode(folder, "2024-03-01-3-third.md", title="Third", topics=("1:00 -- Redis again",))
    build_index(tmp_path / "a", sources)
    build_index(tmp_path / "b", sources, rebuild=True)
    for q in ("redis", "docker", "hello", ""):
        assert ids(tmp_path / "a", q) == ids(tmp_path / "b", q)


def test_old_generations_are_pruned_but_the_previous_one_stays(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "RETIRED_GRACE", 0.0)
    index_dir = tmp_path / "ix"
    for n in range(4):
        write_episode(folder, f"2024-05-0{n + 1}-{n + 10}-more.md", title=f"More {n}")
        build_index(index_dir, Sources(episodes=(folder,)))
    assert generations(index_dir) == ["gen-000003", "gen-000004"]
    assert store.read_pointer(index_dir) == "gen-000004"


def test_reader_on_the_old_generation_keeps_working(folder: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    build_index(index_dir, Sources(episodes=(folder,)))
    live = SearchIndex(index_dir)
    old = live.current()
    write_episode(folder, "2024-03-01-3-third.md", title="Third", topics=("1:00 -- Redis again",))
    build_index(index_dir, Sources(episodes=(folder,)))
    assert old.search(SearchRequest(q="redis")).total == 1
    assert live.current().name != old.name
    assert live.search(SearchRequest(q="redis")).total == 2
    live.close()


def test_a_broken_file_is_skipped_and_the_rest_indexed(folder: Path, tmp_path: Path) -> None:
    (folder / "2024-04-01-9-broken.md").write_text("---\ntitle: [oops\n---\n", encoding="utf-8")
    report = build_index(tmp_path / "ix", Sources(episodes=(folder,)))
    assert report.exit_code == 2
    assert len(report.skipped) == 1 and "2024-04-01-9-broken.md:3: broken YAML" in report.skipped[0]
    assert ids(tmp_path / "ix") == {"podcast/1-first", "podcast/2-second"}


def test_a_file_that_breaks_keeps_its_last_good_version(folder: Path, tmp_path: Path) -> None:
    build_index(tmp_path / "ix", Sources(episodes=(folder,)))
    (folder / "2024-01-01-1-first.md").write_text("---\ntitle: [oops\n---\n", encoding="utf-8")
    report = build_index(tmp_path / "ix", Sources(episodes=(folder,)))
    assert report.kept == ["podcast/1-first"] and report.exit_code == 2
    assert ids(tmp_path / "ix", "redis") == {"podcast/1-first"}


def test_duplicate_slug_names_both_files(tmp_path: Path) -> None:
    folder = tmp_path / "eps"
    write_episode(folder, "2024-01-01-1-same.md", title="One")
    write_episode(folder / "more", "2024-01-01-1-same.md", title="Two")
    report = build_index(tmp_path / "ix", Sources(episodes=(folder,)))
    assert len(report.skipped) == 1
    assert "duplicate episode 'podcast/1-same'" in report.skipped[0]
    assert str(folder / "2024-01-01-1-same.md") in report.skipped[0]


def test_nothing_usable_keeps_the_previous_index(folder: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    build_index(index_dir, Sources(episodes=(folder,)))
    empty = tmp_path / "empty"
    write_episode(empty, "2024-01-01-1-bad.md", text="no front matter here\n")
    with pytest.raises(NothingToIndex, match="no usable episode"):
        build_index(index_dir, Sources(episodes=(empty,)), rebuild=True)
    assert store.read_pointer(index_dir) == "gen-000001"
    assert ids(index_dir) == {"podcast/1-first", "podcast/2-second"}


def test_a_second_indexer_is_refused_at_once(folder: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    with store.writer_lock(index_dir), pytest.raises(IndexBusy, match="busy"):
        build_index(index_dir, Sources(episodes=(folder,)))
    assert build_index(index_dir, Sources(episodes=(folder,))).generation == "gen-000001"


def test_a_failed_write_leaves_the_live_index_and_no_debris(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index_dir = tmp_path / "ix"
    build_index(index_dir, Sources(episodes=(folder,)))
    write_episode(folder, "2024-03-01-3-third.md", title="Third")

    def disk_full(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(build, "_add_episode", disk_full)
    with pytest.raises(OSError, match="No space"):
        build_index(index_dir, Sources(episodes=(folder,)), rebuild=True)
    assert store.read_pointer(index_dir) == "gen-000001"
    assert [p.name for p in index_dir.iterdir() if p.name.startswith(".building")] == []
    assert ids(index_dir) == {"podcast/1-first", "podcast/2-second"}
    monkeypatch.undo()
    # The lock was released: the next run works.
    assert len(build_index(index_dir, Sources(episodes=(folder,))).added) == 1


def test_leftovers_of_a_killed_run_are_cleaned_up(folder: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    build_index(index_dir, Sources(episodes=(folder,)))
    (index_dir / ".building-000002").mkdir()
    (index_dir / ".building-000002" / "half.seg").write_bytes(b"x")
    report = build_index(index_dir, Sources(episodes=(folder,)), rebuild=True)
    assert report.cleaned == [".building-000002"]
    assert report.generation == "gen-000002"
    assert not (index_dir / ".building-000002").exists()


def test_a_damaged_live_generation_falls_back_to_the_previous_one(
    folder: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "ix"
    build_index(index_dir, Sources(episodes=(folder,)))
    write_episode(folder, "2024-03-01-3-third.md", title="Third")
    build_index(index_dir, Sources(episodes=(folder,)))
    for toc in (index_dir / "gen-000002").glob("*.toc"):
        toc.write_bytes(toc.read_bytes()[:20])
    live = SearchIndex(index_dir)
    generation = live.current()
    assert (generation.name, generation.fallback_from) == ("gen-000001", "gen-000002")
    assert live.search(SearchRequest()).total == 2
    live.close()


def test_no_usable_generation_is_a_clear_error(folder: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    build_index(index_dir, Sources(episodes=(folder,)))
    (index_dir / "gen-000001" / "catalog.json").write_text("{", encoding="utf-8")
    live = SearchIndex(index_dir)
    with pytest.raises(IndexCorrupt, match="gen-000001"):
        live.current()


def test_healthz_says_when_it_serves_the_previous_generation(folder: Path, tmp_path: Path) -> None:
    import webapp
    from webapp import create_app

    index_dir = tmp_path / "ix"
    build_index(index_dir, Sources(episodes=(folder,)))
    write_episode(folder, "2024-03-01-3-third.md", title="Third")
    build_index(index_dir, Sources(episodes=(folder,)))
    (index_dir / "gen-000002" / "catalog.json").write_text("{", encoding="utf-8")
    app = create_app({"TESTING": True, "INDEX_DIR": str(index_dir), "QUERY_LOG": ""})
    health = app.test_client().get("/healthz").get_json()
    assert health["status"] == "degraded"
    assert (health["generation"], health["damaged_generation"]) == ("gen-000001", "gen-000002")
    assert app.test_client().get("/api/search").get_json()["total"] == 2
    webapp.index.close(app)


def test_a_generation_in_use_survives_several_switches(folder: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    build_index(index_dir, Sources(episodes=(folder,)))
    live = SearchIndex(index_dir)
    held = live.current()  # as a request that started before the switches would
    for n in range(3):
        write_episode(folder, f"2024-06-0{n + 1}-{n + 5}-more.md", title=f"More {n}")
        build_index(index_dir, Sources(episodes=(folder,)))
        assert live.current().name == f"gen-00000{n + 2}"
    assert held.search(SearchRequest(q="redis")).total == 1
    live.close()


def test_recently_replaced_generations_stay_on_disk(folder: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    for n in range(3):
        write_episode(folder, f"2024-05-0{n + 1}-{n + 10}-more.md", title=f"More {n}")
        build_index(index_dir, Sources(episodes=(folder,)))
    assert generations(index_dir) == ["gen-000001", "gen-000002", "gen-000003"]
    assert store.prune(index_dir, "gen-000003", grace=0.0) == ["gen-000001"]


def test_a_deleted_segment_file_falls_back_too(folder: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    build_index(index_dir, Sources(episodes=(folder,)))
    write_episode(folder, "2024-03-01-3-third.md", title="Third")
    build_index(index_dir, Sources(episodes=(folder,)), rebuild=True)
    for segment_file in (index_dir / "gen-000002").glob("*.seg"):
        segment_file.unlink()
    live = SearchIndex(index_dir)
    assert live.current().fallback_from == "gen-000002"
    assert live.search(SearchRequest()).total == 2
    live.close()


def test_incremental_updates_keep_the_suggestion_words_of_a_full_build(tmp_path: Path) -> None:
    folder, index_dir = tmp_path / "eps", tmp_path / "ix"
    write_episode(folder, "2024-01-01-1-a.md", topics=("1:00 -- Kubernetes clusters",))
    write_episode(folder, "2024-01-02-2-b.md", topics=("1:00 -- Kubernetes and Postgres",))
    build_index(index_dir, Sources(episodes=(folder,)))
    write_episode(folder, "2024-01-03-3-c.md", topics=("1:00 -- Terraform modules",))
    write_episode(folder, "2024-01-01-1-a.md", topics=("1:00 -- Nomad clusters",))
    (folder / "2024-01-02-2-b.md").unlink()
    report = build_index(index_dir, Sources(episodes=(folder,)))
    assert not report.full and report.added and report.updated and report.removed

    path = store.generation_path(index_dir, store.read_pointer(index_dir))
    words = json.loads((path / schema.WORDS_FILE).read_text(encoding="utf-8"))
    assert words == dict(build.word_counts(Catalog.load(path).episodes))
    assert "kubernetes" not in words and words["clusters"] == 1
    live = SearchIndex(index_dir)
    try:
        assert live.search(SearchRequest(q="terrafrom")).suggestion == "terraform"
    finally:
        live.close()
