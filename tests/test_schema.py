"""The prose analyser and the suggestion word list read text as Whoosh's filter chain does."""

from __future__ import annotations

from typing import Any

import pytest
from whoosh.analysis.filters import CharsetFilter, LowercaseFilter, StopFilter
from whoosh.analysis.morph import StemFilter
from whoosh.analysis.tokenizers import RegexTokenizer
from whoosh.support.charset import accent_map

from indexer import schema

TEXTS = [
    "Deploying Node.js and ASP.NET apps with Kubernetes: the İstanbul team's ŒUVRE",
    "Névola and Jönsson moved Sidekiq jobs off a single box; straße, façade, naïve",
    "a I the of to be or not, x y z 3.14 v2.0 zero-downtime e-mail __init__",
    "",
    "   ",
    "Postgres",
]
MODES: list[dict[str, Any]] = [
    {},
    {"positions": True},
    {"chars": True, "removestops": False},
    {"positions": True, "chars": True, "removestops": False, "mode": "query"},
    {"no_morph": True, "positions": True},
    {"tokenize": False},
    {"tokenize": False, "removestops": False},
    {"keeporiginal": True, "positions": True, "chars": True, "start_pos": 5, "start_char": 7},
]


def tokens(analyzer: Any, text: str, **options: Any) -> list[tuple[Any, ...]]:
    names = ("text", "pos", "startchar", "endchar", "stopped", "boost", "original")
    return [tuple(getattr(t, name, None) for name in names) for t in analyzer(text, **options)]


@pytest.mark.parametrize("options", MODES, ids=repr)
def test_the_prose_analyser_gives_the_filter_chains_tokens(options: dict[str, Any]) -> None:
    chain = (
        RegexTokenizer(schema.WORD_PATTERN)
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | StopFilter()
        | StemFilter()
    )
    for text in TEXTS:
        assert tokens(schema.text_analyzer(), text, **options) == tokens(chain, text, **options)


def test_the_word_list_has_the_unstemmed_indexed_words() -> None:
    analyzer = schema.text_analyzer()
    for text in TEXTS:
        expected = {t.text for t in analyzer(text, no_morph=True)}
        assert schema.vocabulary(text) == expected
    assert "deploying" in schema.vocabulary(TEXTS[0])
    assert "nevola" in schema.vocabulary(TEXTS[1])
