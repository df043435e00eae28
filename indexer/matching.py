"""Matching a query against the two kinds of document, and rolling moments up to episodes.

The index holds a document per moment (only `text`) and one per episode (every other field;
`body` is never written, see `schema`). So a query is searched as two parts, each with only the
leaves that can match its kind (`query_part`), and a query whose words may be spread over an
episode's moments (`redis sidekiq`, `body:`) is answered per episode from each word's
documents, combined in sets (`EpisodeLevel`).
"""

from __future__ import annotations

import copy
import math
from collections import Counter
from collections.abc import Iterator
from typing import Protocol

from whoosh.query.compound import And, AndMaybe, AndNot, DisjunctionMax, Or, Require
from whoosh.query.qcore import Every, NullQuery, Query
from whoosh.query.wrappers import Not, WrappingQuery
from whoosh.searching import Searcher

from . import schema


class DocumentMap(Protocol):
    """Each document number's episode id and moment position (-1 for the episode itself)."""

    def __getitem__(self, docnum: int) -> tuple[str, int]: ...


_SPLITTABLE = (And, Or, DisjunctionMax)


MOMENT_FIELDS = frozenset({"text"})
EPISODE_FIELDS = frozenset(name for name in schema.SEARCH_FIELDS if name != "text")
NEVER = NullQuery
ALWAYS = Every()


def query_part(query: Query, fields: frozenset[str]) -> Query | None:
    """`query` as it reads for documents that have only `fields`: other leaves never match.

    `NEVER` when nothing can match, `ALWAYS` when everything does, None when a part would
    not score as the whole does (then the whole query is searched).
    """
    if query.is_leaf():
        name = getattr(query, "fieldname", None)
        return query if name is None or name in fields else NEVER
    if isinstance(query, Not):
        inner = query_part(query.query, fields)
        if inner is None:
            return None
        return ALWAYS if inner is NEVER else NEVER if inner is ALWAYS else Not(inner)
    if isinstance(query, AndNot):
        a, b = query_part(query.a, fields), query_part(query.b, fields)
        if a is None or b is None or a is ALWAYS:
            return None
        if a is NEVER or b is ALWAYS:
            return NEVER
        if b is NEVER:
            return a
        narrowed = copy.copy(query)
        narrowed.a, narrowed.b, narrowed.subqueries = a, b, (a, b)
        return narrowed
    if isinstance(query, And | Or | DisjunctionMax) and type(query) in _SPLITTABLE:
        children = [query_part(child, fields) for child in query.children()]
        if any(child is None or child is ALWAYS for child in children):
            return None
        kept = [child for child in children if child is not NEVER]
        if isinstance(query, And) and len(kept) < len(children):
            return NEVER
        if not kept:
            return NEVER
        if len(kept) == len(children) and all(
            new is old for new, old in zip(kept, query.children(), strict=True)
        ):
            return query
        fewer = copy.copy(query)
        fewer.subqueries = kept  # type: ignore[assignment]
        return fewer
    return None


def documents_query(query: Query) -> Query:
    """The query for Whoosh's documents: `body` is never written, so ORs leave it out."""
    if query.is_leaf():
        return query
    if isinstance(query, Or):
        kept = [child for child in query.children() if _fields(child) != {"body"}]
        if kept and len(kept) < len(query.subqueries):
            query = copy.copy(query)
            query.subqueries = kept
    return query.apply(documents_query)


def _fields(query: Query) -> set[str | None]:
    if query.is_leaf():
        return {getattr(query, "fieldname", None)}
    return set().union(*(_fields(child) for child in query.children()))


def documents_suffice(query: Query) -> bool:
    """Whether the documents' own hits are the episodes': a plain OR of words, as typed.

    Each word is searched in `body` beside `text`, `intro` and `description`, which hold
    everything `body` stands for, so only an AND (or NOT) across moments, or `body:` typed
    alone, needs the whole episode (`EpisodeLevel`).
    """
    if query.is_leaf():
        return getattr(query, "fieldname", None) != "body"
    if not isinstance(query, Or | DisjunctionMax):
        return False
    children = list(query.children())
    fields = {getattr(child, "fieldname", None) for child in children if child.is_leaf()}
    for child in children:
        if child.is_leaf():
            if getattr(child, "fieldname", None) == "body" and "text" not in fields:
                return False
        elif not documents_suffice(child):
            return False
    return True


class EpisodeLevel:
    """A query answered per episode, as if each episode were one document.

    That document has the episode document's fields, and `body`: its intro, description and
    every moment's text. `text` (`moment:`) stays per moment: the segment hits answer it. Each
    word's documents are found in the index (no scoring) and combined per episode in sets.
    """

    def __init__(self, searcher: Searcher, all_ids: frozenset[str], documents: DocumentMap) -> None:
        self._searcher = searcher
        self._all = all_ids
        self._documents = documents
        self._mentions: list[tuple[float, Counter[str]]] = []
        self._found: dict[str, Counter[str]] = {}

    def episodes(self, query: Query) -> set[str]:
        if isinstance(query, Not):
            return set(self._all - self.episodes(query.query))
        if isinstance(query, AndNot):
            return self.episodes(query.a) - self.episodes(query.b)
        if isinstance(query, AndMaybe):
            return self.episodes(query.a)
        if isinstance(query, And | Require):
            found: set[str] | None = None
            for child in query.children():
                found = self.episodes(child) if found is None else found & self.episodes(child)
                if not found:
                    break
            return found or set()
        if isinstance(query, Or | DisjunctionMax | WrappingQuery):
            return set().union(*(self.episodes(child) for child in query.children()))
        return self._leaf(query)

    def _leaf(self, query: Query) -> set[str]:
        field_name = getattr(query, "fieldname", None)
        if field_name == "text":
            return set()  # a moment's own words: the segment hits have them
        if field_name != "body":
            return set(self._documents_of(query))
        mentions: Counter[str] = Counter()
        for name in ("text", *schema.BODY_EPISODE_FIELDS):
            in_field = copy.copy(query)
            in_field.fieldname = name  # type: ignore[attr-defined]
            mentions.update(self._documents_of(in_field))
        if mentions:
            self._mentions.append((_idf(len(self._all), len(mentions)), mentions))
        return set(mentions)

    def _documents_of(self, query: Query) -> Counter[str]:
        """How many documents of each episode match, found without scoring them."""
        key = str(query)  # a word's intro and description are also asked for by `body`
        found = self._found.get(key)
        if found is None:
            documents = self._searcher.docs_for_query(query)
            found = Counter(self._documents[docnum][0] for docnum in documents)
            self._found[key] = found
        return found

    def spread(self, episode_id: str) -> float:
        """BM25's shape over the moments: for each word, idf x n / (n + 1)."""
        return sum(_saturated(idf, mentions.get(episode_id, 0)) for idf, mentions in self._mentions)


def _idf(episodes: int, with_word: int) -> float:
    return 1.0 + math.log(episodes / (with_word + 1))


def _saturated(idf: float, mentions: int) -> float:
    """A word's weight for an episode by how many of its moments mention it, as BM25 counts."""
    return idf * mentions / (mentions + 1) * schema.FIELD_BOOSTS["body"]


def scored(searcher: Searcher, query: Query) -> Iterator[tuple[int, float]]:
    """Every matching document number and its score, in no particular order.

    `Searcher.search(limit=None)` does the same walk but also keeps a set of the documents and
    sorts them all by score; every match is wanted here and ordered later by episode.
    """
    context = searcher.context()
    for leaf, offset in searcher.leaf_searchers():
        # As the collector does first: drop the parts that cannot match (absent words).
        matcher = query.matcher(leaf, context).replace(0)
        while matcher.is_active():
            yield offset + matcher.id(), matcher.score()
            matcher.next()
