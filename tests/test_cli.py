"""The `shownotes` command line: exit statuses, messages and output formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer import store
from indexer.cli import main

from support import CORPUS_MISSING, RIP, write_episode


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    eps = tmp_path / "eps"
    write_episode(
        eps, "2024-01-01-1-first.md", title="First", topics=("16:51 -- Caching with Cachex",)
    )
    write_episode(
        eps, "2024-02-01-2-second.md", title="Second", topics=("2:00 -- Docker in production",)
    )
    return eps


def test_index_then_search(cli: CliRunner, folder: Path, tmp_path: Path) -> None:
    ix = str(tmp_path / "ix")
    built = cli.invoke(main, ["index", "--source", str(folder), "--index", ix])
    assert built.exit_code == 0, built.output
    assert "Built gen-000001: 2 episodes, 2 segments" in built.stdout
    assert "Added 2, updated 0, removed 0, unchanged 0, skipped 0." in built.stdout

    found = cli.invoke(main, ["search", "cachex", "--index", ix])
    assert found.exit_code == 0
    assert "  16:51  Caching with Cachex" in found.stdout
    assert "First  (podcast #1, 2024-01-01)" in found.stdout

    again = cli.invoke(main, ["index", "--source", str(folder), "--index", ix])
    assert "Index is up to date (gen-000001): 2 episodes." in again.stdout


def test_search_json_is_the_api_document(cli: CliRunner, folder: Path, tmp_path: Path) -> None:
    ix = str(tmp_path / "ix")
    cli.invoke(main, ["index", "--source", str(folder), "--index", ix])
    out = cli.invoke(main, ["search", "docker", "--index", ix, "--json"])
    document = json.loads(out.stdout)
    assert document["total"] == 1
    segment = document["results"][0]["segments"][0]
    assert (
        segment["timestamp"] == "2:00"
        and segment["url"] == "/episodes/podcast/2-second?t=120#at-120"
    )
    assert "<mark>Docker</mark>" in segment["highlight"]
    assert set(document["facets"]) == {"tag", "guest", "library", "year", "category"}


def test_exit_2_when_some_files_are_skipped(cli: CliRunner, folder: Path, tmp_path: Path) -> None:
    (folder / "2024-03-01-3-bad.md").write_bytes(b"---\ntitle: \xff\n---\n")
    result = cli.invoke(main, ["index", "--source", str(folder), "--index", str(tmp_path / "ix")])
    assert result.exit_code == 2
    assert f"skipped: {folder / '2024-03-01-3-bad.md'}:2: not valid UTF-8" in result.stderr


def test_exit_1_when_nothing_is_usable(cli: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    write_episode(bad, "x.md", text="")
    result = cli.invoke(main, ["index", "--source", str(bad), "--index", str(tmp_path / "ix")])
    assert result.exit_code == 1
    assert "no usable episode" in result.stderr
    assert "x.md:1: file is empty" in result.stderr


def test_busy_index(cli: CliRunner, folder: Path, tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    with store.writer_lock(ix):
        result = cli.invoke(main, ["index", "--source", str(folder), "--index", str(ix)])
    assert result.exit_code == 1
    assert "is busy" in result.stderr


def test_search_without_an_index(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(main, ["search", "x", "--index", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "no index" in result.stderr and "shownotes index" in result.stderr


def test_refused_query_is_a_clear_message(cli: CliRunner, folder: Path, tmp_path: Path) -> None:
    ix = str(tmp_path / "ix")
    cli.invoke(main, ["index", "--source", str(folder), "--index", ix])
    result = cli.invoke(main, ["search", "*a*", "--index", ix])
    assert result.exit_code == 1 and "wildcards need" in result.stderr


def test_check(cli: CliRunner, folder: Path) -> None:
    assert cli.invoke(main, ["check", str(folder)]).exit_code == 0
    (folder / "2024-03-01-3-bad.md").write_text("---\n- a list\n---\n", encoding="utf-8")
    mixed = cli.invoke(main, ["check", str(folder)])
    assert mixed.exit_code == 2
    assert "2024-03-01-3-bad.md:2: front matter must be a mapping" in mixed.stderr
    assert "Checked 3 files: 1 with errors" in mixed.stdout
    assert cli.invoke(main, ["check", str(folder / "2024-03-01-3-bad.md")]).exit_code == 1


@pytest.mark.skipif(not RIP.is_dir(), reason=CORPUS_MISSING)
def test_a_jekyll_site_folder_brings_its_tags_and_config(cli: CliRunner, tmp_path: Path) -> None:
    ix = str(tmp_path / "ix")
    result = cli.invoke(main, ["index", "--source", str(RIP), "--index", ix])
    assert result.exit_code == 0, result.stderr
    assert "117 episodes, 3,168 segments" in result.stdout
    assert result.stderr.count("read as") == 3
    found = cli.invoke(main, ["search", "--tag", "postgres", "--json", "--index", ix])
    labels = {v["value"]: v["label"] for v in json.loads(found.stdout)["facets"]["tag"]}
    assert labels["postgres"] == "PostgreSQL" and labels["lets-encrypt"] == "Let's Encrypt"
