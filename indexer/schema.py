"""Every decision about what the Whoosh index holds, and how text is analysed.

One index holds two kinds of document:

- an **episode** document per episode: title, description, guests, tags, libraries and the body
  (intro plus every segment), so a query whose words are spread over an episode finds it;
- a **segment** document per show-note moment: its text, so a hit can point at the second.

Only ids are stored: everything shown comes from the generation's catalog (`catalog.json`).

Field boosts (BM25F) say where a word counts most. A word in the title or a guest's name
describes the whole episode (3.0); tags and libraries are chosen labels (2.0); the
description is a summary (1.5); a segment's own text is the moment itself (1.5), so a
segment outranks the same word buried in an episode's long body (1.0).
"""

from __future__ import annotations

from whoosh.analysis.analyzers import Analyzer
from whoosh.analysis.filters import CharsetFilter, LowercaseFilter, StopFilter
from whoosh.analysis.morph import StemFilter
from whoosh.analysis.tokenizers import RegexTokenizer
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.support.charset import accent_map

# Bumped whenever a change here needs a full rebuild; incremental updates check it.
SCHEMA_VERSION = 2

EPISODE = "episode"
SEGMENT = "segment"

# Words, numbers and dotted names (`node.js`, `asp.net`) stay whole; hyphens split.
WORD_PATTERN = r"\w+(?:\.\w+)*"

# The default query fields and the names users may type before a colon.
SEARCH_FIELDS = ("title", "description", "guests", "tags", "libraries", "body", "text")
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
    "body": 1.0,
}


def text_analyzer() -> Analyzer:
    """Stemmed, accent-folded English prose."""
    return (
        RegexTokenizer(WORD_PATTERN)
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | StopFilter()
        | StemFilter()
    )


def name_analyzer() -> Analyzer:
    """Names: accent-folded (`Nevola` finds `Névola`) but never stemmed."""
    return RegexTokenizer(WORD_PATTERN) | LowercaseFilter() | CharsetFilter(accent_map)


def build_schema() -> Schema:
    prose = text_analyzer()
    names = name_analyzer()
    return Schema(
        kind=ID(stored=True),
        episode_id=ID(stored=True),
        position=STORED(),
        category=ID(),
        tag_ids=KEYWORD(commas=True, lowercase=True),
        title=TEXT(analyzer=prose, field_boost=FIELD_BOOSTS["title"], spelling=True),
        description=TEXT(analyzer=prose, field_boost=FIELD_BOOSTS["description"]),
        guests=TEXT(analyzer=names, field_boost=FIELD_BOOSTS["guests"]),
        tags=TEXT(analyzer=names, field_boost=FIELD_BOOSTS["tags"]),
        libraries=TEXT(analyzer=names, field_boost=FIELD_BOOSTS["libraries"]),
        body=TEXT(analyzer=prose, field_boost=FIELD_BOOSTS["body"]),
        text=TEXT(analyzer=prose, field_boost=FIELD_BOOSTS["text"], spelling=True),
    )
