"""Every decision about what the Whoosh index holds, and how text is analysed.

One index holds two kinds of document:

- an **episode** document per episode: title, description, guests, tags, libraries and intro;
- a **segment** document per show-note moment: its text, so a hit can point at the second.

`body` is a field of the schema that is never written: in a query it stands for the whole
episode (intro, description and every moment), and the search answers it from the segment
hits (`search.Generation._match`), so a query whose words are spread over an episode (one word
in one moment, another in the next) still finds it. Writing each moment's words a second time,
on the episode, was most of the cost of a build.

Only ids are stored: everything shown comes from the generation's catalog (`catalog.json`).
Did-you-mean suggestions come from the generation's word list (`words.json`, see
`vocabulary`), not from Whoosh spelling fields, which analysed every moment once more.

Field boosts (BM25F) say where a word counts most. A word in the title or a guest's name
describes the whole episode (3.0); tags and libraries are chosen labels (2.0); the
description is a summary (1.5); a segment's own text is the moment itself (1.5); the intro
is the episode's own prose (1.0). An episode's score is its episode document's score plus its
best moment's. How many moments mention a word does not add to it (it did while `body` was
written, at 1.0); an episode found only because its words are spread over several moments
ranks after every episode with a moment that has them all, by the BM25 shape of those
mentions: for each word, idf × n / (n + 1), n the moments (and intro or description) with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any, cast

from whoosh.analysis.acore import Token
from whoosh.analysis.analyzers import Analyzer
from whoosh.analysis.filters import STOP_WORDS, CharsetFilter, LowercaseFilter
from whoosh.analysis.tokenizers import RegexTokenizer
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.lang.porter import stem
from whoosh.support.charset import accent_map

# The generation's word list for did-you-mean: {word: moments and titles that have it}.
WORDS_FILE = "words.json"

# Bumped whenever a change here needs a full rebuild; incremental updates check it.
SCHEMA_VERSION = 3

# Words, numbers and dotted names (`node.js`, `asp.net`) stay whole; hyphens split.
WORD_PATTERN = r"\w+(?:\.\w+)*"

WORDS = re.compile(WORD_PATTERN)
# The analysers' defaults: stop words and one-letter words are never indexed.
MIN_WORD_CHARS = 2

ACCENTS = cast("dict[int, str]", accent_map)  # code point -> folded text, for str.translate
# StemFilter's own cache size: prose repeats its words, and Porter stemming is slow.
_stem = lru_cache(maxsize=50_000)(stem)

# The default query fields and the names users may type before a colon.
SEARCH_FIELDS = ("title", "description", "guests", "tags", "libraries", "intro", "body", "text")
# What `body` stands for, besides every moment's `text`.
BODY_EPISODE_FIELDS = ("intro", "description")
FIELD_ALIASES = {
    "tags": ["tag"],
    "guests": ["guest", "by"],
    "libraries": ["library", "lib"],
    "text": ["moment", "segment"],
}
FIELD_BOOSTS = {
    "title": 3.0,
    "guests": 3.0,
    "tags": 2.0,
    "libraries": 2.0,
    "description": 1.5,
    "text": 1.5,
    "intro": 1.0,
    "body": 1.0,
}


def text_analyzer() -> Analyzer:
    """Stemmed, accent-folded English prose."""
    return ProseAnalyzer()


class ProseAnalyzer(Analyzer):
    """`RegexTokenizer(WORD_PATTERN) | LowercaseFilter() | CharsetFilter(accent_map) |
    StopFilter() | StemFilter()`, the same tokens from one generator instead of five.

    A build spends a third of its time analysing prose, mostly passing each token through the
    chain. Stateless (the stem cache is the module's), so the pickled schema stays small.
    """

    is_morph = True  # stems: `no_morph=True` leaves words whole, as StemFilter does
    # Each word is found by this pattern and then changed on its own, so a word's analysed
    # form can be remembered (`querying.ProseWords`).
    word_pattern = WORDS

    def __call__(  # noqa: PLR0913 - Whoosh's tokenizer keywords
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        no_morph: bool = False,
        **kwargs: Any,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        matches: Iterable[re.Match[str] | None] = WORDS.finditer(value) if tokenize else (None,)
        renumbered: int | None = None
        for index, match in enumerate(matches):
            text = value if match is None else match.group(0)
            token.boost = 1.0
            if keeporiginal or match is None:
                token.original = text  # type: ignore[attr-defined]
            if positions:
                token.pos = start_pos + index
            if chars:
                start, end = (0, len(value)) if match is None else match.span()
                token.startchar = start_char + start
                token.endchar = start_char + end
            text = text.lower()
            if not text.isascii():
                text = text.translate(ACCENTS)
            if len(text) >= MIN_WORD_CHARS and text not in STOP_WORDS:
                if positions:
                    # StopFilter numbers the words it keeps one after another.
                    renumbered = token.pos if renumbered is None else renumbered + 1
                    token.pos = renumbered
                token.stopped = False
                token.text = text if no_morph else _stem(text)
                yield token
            elif not removestops:
                token.stopped = True
                token.text = text
                yield token


def name_analyzer() -> Analyzer:
    """Names: accent-folded (`Nevola` finds `Névola`) but never stemmed."""
    return RegexTokenizer(WORD_PATTERN) | LowercaseFilter() | CharsetFilter(accent_map)


def build_schema() -> Schema:
    prose = text_analyzer()
    names = name_analyzer()
    return Schema(
        episode_id=ID(stored=True),
        position=STORED(),
        title=TEXT(analyzer=prose, field_boost=FIELD_BOOSTS["title"]),
        description=TEXT(analyzer=prose, field_boost=FIELD_BOOSTS["description"]),
        guests=TEXT(analyzer=names, field_boost=FIELD_BOOSTS["guests"]),
        tags=TEXT(analyzer=names, field_boost=FIELD_BOOSTS["tags"]),
        libraries=TEXT(analyzer=names, field_boost=FIELD_BOOSTS["libraries"]),
        intro=TEXT(analyzer=prose, field_boost=FIELD_BOOSTS["intro"]),
        body=TEXT(analyzer=prose, field_boost=FIELD_BOOSTS["body"]),  # never written: see above
        text=TEXT(analyzer=prose, field_boost=FIELD_BOOSTS["text"]),
    )


def vocabulary(text: str) -> set[str]:
    """The words of `text` as the prose analyser indexes them, but unstemmed: suggestions.

    The same tokens, case and accent folding and stop words as `text_analyzer`, with Python's
    regular expressions and string methods instead of a chain of filters per token.
    """
    words = set()
    for token in set(WORDS.findall(text)):
        word = token.lower()
        if not word.isascii():
            word = word.translate(ACCENTS)
        if len(word) >= MIN_WORD_CHARS and word not in STOP_WORDS:
            words.add(word)
    return words
