"""Golden-file parser tests: each `x.md` in tests/golden parses to `x.expected.json`.

Regenerate after a deliberate change with
`SHOWNOTES_UPDATE_GOLDEN=1 pytest tests/test_parser_golden.py` and read the diff before committing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from indexer import SiteConfig, parse_episode

GOLDEN = Path(__file__).parent / "golden"
SITE = SiteConfig(url="https://podcast.example", mp3_url_prefix="https://podcast.example/audio/ep-")
CASES = sorted(GOLDEN.glob("*.md"))


def parse_golden(path: Path) -> dict[str, object]:
    # The path is given relative so the expected files do not depend on the checkout location.
    episode = parse_episode(path.read_text(encoding="utf-8"), path=f"golden/{path.name}", site=SITE)
    # Through JSON, as the expectation is stored: tuples become lists.
    data: dict[str, object] = json.loads(json.dumps(episode.to_dict()))
    return data


@pytest.mark.parametrize("source", CASES, ids=[p.stem for p in CASES])
def test_parses_to_expected(source: Path) -> None:
    expected_path = source.with_suffix(".expected.json")
    actual = parse_golden(source)
    if os.environ.get("SHOWNOTES_UPDATE_GOLDEN"):
        expected_path.write_text(
            json.dumps(actual, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    assert actual == expected


def test_every_golden_file_has_an_expectation() -> None:
    assert CASES, "no golden files found"
    missing = [p.name for p in CASES if not p.with_suffix(".expected.json").exists()]
    assert missing == []
