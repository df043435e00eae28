"""The query log and `shownotes stats`."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from indexer.cli import main
from indexer.querylog import record, summarize


def test_log_and_summary(tmp_path: Path) -> None:
    log = tmp_path / "queries.jsonl"
    for q, total, ms in [
        ("docker", 5, 2.0),
        ("docker", 5, 9.5),
        ("kubernets", 0, 1.0),
        ("", 15, 0.5),
    ]:
        record(log, q=q, filters={"tag": ["redis"] if not q else []}, total=total, ms=ms)
    with log.open("a", encoding="utf-8") as handle:
        handle.write('{"q": "cut sho')  # a line cut short by a crash is skipped
    lines = log.read_text(encoding="utf-8").splitlines()
    assert all("addr" not in line and "ip" not in json.loads(line) for line in lines[:4])
    stats = summarize(log)
    assert stats.searches == 4
    assert stats.frequent[0] == ('"docker"', 2)
    assert stats.empty == [('"kubernets"', 1)]
    assert stats.slowest[0] == ('"docker"', 9.5)
    assert ("(browse) tag=redis", 1) in stats.frequent


def test_stats_command(tmp_path: Path) -> None:
    record(tmp_path / "queries.jsonl", q="cachex", filters={}, total=0, ms=3.25)
    result = CliRunner().invoke(main, ["stats", "--index", str(tmp_path)])
    assert result.exit_code == 0
    assert "1 searches logged." in result.stdout
    assert 'Found nothing:\n         1  "cachex"' in result.stdout
    assert '     3.2  "cachex"' in result.stdout


def test_an_unwritable_log_never_fails(tmp_path: Path) -> None:
    record(tmp_path / "missing-dir" / "queries.jsonl", q="x", filters={}, total=1, ms=1.0)
    assert not (tmp_path / "missing-dir").exists()


def test_live_typing_is_folded_into_the_search_it_became(tmp_path: Path) -> None:
    log = tmp_path / "queries.jsonl"
    for q in ("re", "red", "redis"):
        record(log, q=q, filters={}, total=1, ms=1.0, live=True)
    record(log, q="docker", filters={}, total=1, ms=1.0, live=True)
    assert sorted(dict(summarize(log).frequent)) == ['"docker"', '"redis"']


def test_the_web_app_logs_searches(sample_index: Path, tmp_path: Path) -> None:
    import webapp
    from webapp import create_app

    log = tmp_path / "q.jsonl"
    app = create_app({"TESTING": True, "INDEX_DIR": str(sample_index), "QUERY_LOG": str(log)})
    client = app.test_client()
    assert client.get("/search?q=redis&tag=docker").status_code == 200
    assert client.get("/api/search?q=kubernetes").status_code == 200
    webapp.index.close(app)
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [(e["q"], e["filters"]) for e in entries] == [
        ("redis", {"tag": ["docker"]}),
        ("kubernetes", {}),
    ]
    assert all(e["total"] > 0 and e["ms"] > 0 for e in entries)
    assert all(set(e) <= {"t", "q", "filters", "total", "ms", "live"} for e in entries)
