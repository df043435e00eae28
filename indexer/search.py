"""Answering searches: requests in, plain result objects out.

`SearchIndex(path)` follows the index pointer. Each request checks it (a `stat`), so a new
generation is served as soon as it is switched in. A generation is opened once per process
and each thread gets its own Whoosh searcher for it, all reading one shared mapping of the
segment files (`mapped.py`); a replaced generation is closed once it has been out of use for
`RETIRE_GRACE` seconds.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
import warnings
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from whoosh.index import Index
from whoosh.query.qcore import Query
from whoosh.reading import IndexReader
from whoosh.searching import Searcher
from whoosh.spelling import ListCorrector

from . import schema, store
from .admission import CostlyGate, unlimited
from .catalog import FACETS, Catalog, facet_values
from .errors import IndexCorrupt, NotFound, ParameterError, QueryError
from .mapped import SharedMapStorage
from .matching import (
    ALWAYS,
    EPISODE_FIELDS,
    MOMENT_FIELDS,
    NEVER,
    EpisodeLevel,
    documents_query,
    documents_suffice,
    query_part,
    scored,
)
from .models import Episode, Segment
from .querying import (
    CheckedQuery,
    ParsedQuery,
    ProseWords,
    SynonymMap,
    check_query,
    complete_query,
    edit_distance,
    highlight,
    make_parser,
    suggest,
    union_matchers,
)
from .recent import Recent, remembered

SORTS = ("relevance", "newest", "oldest")
MODES = ("all", "any")
MAX_PER_PAGE = 50
MAX_PAGE = 10_000
MAX_SEGMENTS_PER_HIT = 10
CACHED_ANSWERS = 512
# The same words come back with other filters, sorts and pages: parse them once.
CACHED_QUERIES = 1024
# Matches of recent query texts, bounded by the documents they hold (about 130 bytes each):
# every word of the real corpus's workload fits (4,150 documents); 6 MB on a large index.
CACHED_MATCHED_DOCS = 50_000
# Hits (moments and highlights) of recent query texts, a few kilobytes each.
CACHED_HITS = 2048
# And at most about this many bytes of them: at 10,000 episodes an answer lists ~1,300 facet
# values (~130 KB), so 512 of them would be ~70 MB in every worker.
CACHED_ANSWER_BYTES = 24 * 2**20
# Moments whose words are kept for listing them under an episode-level match: ~1 KB each,
# and 300,000 moments at 10,000 episodes, so unbounded this could outgrow everything else.
CACHED_SEGMENT_WORDS = 20_000
# How long a replaced generation stays open for requests that started on it.
RETIRE_GRACE = 30.0
# Words one edit from a typo, ranked by `_suggest` (the corrector's own order is alphabetical).
SUGGESTION_OPTIONS = 200


@dataclass(frozen=True)
class SearchRequest:
    """A search as the user asked it; `validated()` refuses what cannot be answered."""

    q: str = ""
    tag: tuple[str, ...] = ()
    tag_mode: str = "all"
    guest: tuple[str, ...] = ()
    library: tuple[str, ...] = ()
    library_mode: str = "all"
    year: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    sort: str = "relevance"
    page: int = 1
    per_page: int = 10

    def validated(self) -> SearchRequest:
        if self.sort not in SORTS:
            raise ParameterError(f"sort must be one of {', '.join(SORTS)}, not {self.sort[:20]!r}")
        for name in ("tag_mode", "library_mode"):
            if getattr(self, name) not in MODES:
                raise ParameterError(f"{name} must be 'all' or 'any'")
        if not 1 <= self.page <= MAX_PAGE:
            raise ParameterError(f"page must be between 1 and {MAX_PAGE:,}")
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            raise ParameterError(f"per_page must be between 1 and {MAX_PER_PAGE}")
        changes: dict[str, Any] = {name: _unique(getattr(self, name)) for name in FACETS}
        return replace(self, q=self.q.strip(), **changes)

    def selected(self, facet: str) -> tuple[str, ...]:
        values: tuple[str, ...] = getattr(self, facet)
        return values

    def mode(self, facet: str) -> str:
        return (
            self.tag_mode if facet == "tag" else self.library_mode if facet == "library" else "any"
        )

    def toggle(self, facet: str, value: str) -> SearchRequest:
        """The same search with `value` added to or removed from a facet, back on page 1."""
        current = self.selected(facet)
        values = tuple(v for v in current if v != value) if value in current else (*current, value)
        changes: dict[str, Any] = {facet: values}
        return replace(self, page=1, **changes)

    def params(self) -> list[tuple[str, str]]:
        """The request as query-string pairs; defaults left out so URLs stay short."""
        pairs: list[tuple[str, str]] = [("q", self.q)] if self.q else []
        for facet in FACETS:
            pairs += [(facet, value) for value in self.selected(facet)]
        if self.tag_mode != "all":
            pairs.append(("tag_mode", self.tag_mode))
        if self.library_mode != "all":
            pairs.append(("library_mode", self.library_mode))
        if self.sort != "relevance":
            pairs.append(("sort", self.sort))
        if self.page != 1:
            pairs.append(("page", str(self.page)))
        return pairs

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"q": self.q}
        data.update({facet: list(self.selected(facet)) for facet in FACETS})
        data.update(
            tag_mode=self.tag_mode,
            library_mode=self.library_mode,
            sort=self.sort,
            page=self.page,
            per_page=self.per_page,
        )
        return data


@dataclass(frozen=True, slots=True)
class SegmentHit:
    segment: Segment
    highlight: str  # escaped text with <mark> around matches


@dataclass(frozen=True, slots=True)
class EpisodeHit:
    episode: Episode
    score: float
    segments: tuple[SegmentHit, ...]
    more_segments: int = 0  # matching moments not listed


@dataclass(frozen=True, slots=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    facet: str
    request: SearchRequest = field(repr=False, compare=False)

    @property
    def toggle(self) -> SearchRequest:
        """The request with this value toggled; the web app makes it a URL.

        Made on demand: a search lists hundreds of values and shows a few dozen.
        """
        return self.request.toggle(self.facet, self.value)


@dataclass(frozen=True)
class SearchResult:
    request: SearchRequest
    generation: str
    total: int
    hits: tuple[EpisodeHit, ...]
    facets: dict[str, tuple[FacetValue, ...]]
    suggestion: str | None = None

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.request.per_page))


@dataclass
class _Matches:
    """Scores per matched episode and the positions of its matched segments."""

    episode_scores: dict[str, float] = field(default_factory=dict)
    segment_scores: dict[str, dict[int, float]] = field(default_factory=dict)

    def size(self) -> int:
        """How many documents matched: what keeping these matches costs."""
        return len(self.episode_scores) + sum(map(len, self.segment_scores.values()))

    def score(self, episode_id: str) -> float:
        # The best moment counts in full: a listener wants the moment, not the most mentions.
        best = max(self.segment_scores.get(episode_id, {}).values(), default=0.0)
        return self.episode_scores.get(episode_id, 0.0) + best


@dataclass(frozen=True)
class _Selection:
    parsed: ParsedQuery | None
    matches: _Matches | None
    base: frozenset[str]  # episodes matching the words, before filters
    filtered: dict[str, frozenset[str] | None]  # each facet's filter, None when unset
    total: int
    page_ids: list[str]


class Generation:
    """One published generation: its Whoosh index, catalog and per-thread searchers."""

    def __init__(self, path: Path, *, gate: CostlyGate | None = None) -> None:
        self.name = path.name
        self.path = path
        self.gate = gate
        # Set when this generation serves because the live one could not be opened.
        self.fallback_from: str | None = None
        failure = None
        # Whoosh leaves a damaged TOC file open when reading it fails; it is closed when the
        # exception is dropped, which must not surface as a ResourceWarning.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            self._storage = SharedMapStorage(str(path))
            try:
                self.catalog = Catalog.load(path)
                self._index = self._storage.open_index()
                _check_fields(self._index.schema.names())
                self._docs = _DocumentMap.read(self._index)
                self._storage.release_pages()
            except Exception as exc:  # noqa: BLE001 - whatever is damaged, say so plainly
                failure = f"cannot open index generation {path}: {exc}"
                self._storage.close()
        if failure:
            raise IndexCorrupt(failure)
        self._schema = self._index.schema
        self._parser = make_parser(self._schema)
        self._analyzers = {name: self._schema[name].analyzer for name in schema.SEARCH_FIELDS}
        self.prose_analyzer = self._schema["text"].analyzer
        self.prose_words = ProseWords(self.prose_analyzer)
        self._checked: Recent[str, CheckedQuery | str] = Recent(max_items=CACHED_QUERIES)
        self._parsed: Recent[str, ParsedQuery] = Recent(max_items=CACHED_QUERIES)
        self._matched: Recent[str, _Matches] = Recent(
            max_items=CACHED_QUERIES, max_size=CACHED_MATCHED_DOCS, size=_Matches.size
        )
        self._hits: Recent[tuple[str, str], EpisodeHit] = Recent(max_items=CACHED_HITS)
        self._synonyms = SynonymMap(self.catalog.tags.values(), self._analyzers)
        self._local = threading.local()
        self._searchers: list[Searcher] = []
        self._lock = threading.Lock()
        # Keyed by the validated request: the generation is fixed, so answers never go stale.
        self._answers: Recent[SearchRequest, SearchResult] = Recent(
            max_items=CACHED_ANSWERS, max_size=CACHED_ANSWER_BYTES, size=_approximate_size
        )
        self._facet_values = {e.id: _grouped(facet_values(e)) for e in self.catalog.episodes}
        self._segment_words: dict[tuple[str, int], frozenset[str]] = {}

    # --- searchers -------------------------------------------------------------------------

    def searcher(self) -> Searcher:
        found: Searcher | None = getattr(self._local, "searcher", None)
        if found is None:
            found = self._index.searcher()
            self._local.searcher = found
            with self._lock:
                self._searchers.append(found)
        return found

    def close(self) -> None:
        with self._lock:
            for searcher in self._searchers:
                searcher.close()
            self._searchers.clear()
        self._index.close()
        self._storage.close()

    def forget_searches(self) -> None:
        """Drop what was remembered of searches (answers, parses, matches, moments shown), so
        the next one is answered cold: for benchmarks, and memory-pressure tests."""
        for cache in (self._checked, self._parsed, self._matched, self._hits, self._answers):
            cache.clear()

    # --- the search ------------------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResult:
        """Answer a search; repeated requests are answered from a bounded per-generation cache."""
        request = request.validated()
        cached = self._answers.get(request)
        if cached is not None:
            return cached
        result = self._search(request)
        self._answers.put(request, result)
        return result

    def _search(self, request: SearchRequest) -> SearchResult:
        # Refusals come before admission; expanding fuzzy words is part of the cost admitted.
        checked = self.check(request.q) if request.q else None
        gate = self.gate if checked is not None and checked.costly else None
        with gate.admit() if gate is not None else unlimited():
            parsed = self.parse(request.q) if request.q else None
            chosen = self._select(request, parsed)
            hits = tuple(self._cached_hit(eid, chosen) for eid in chosen.page_ids)
            suggestion = self._suggest(request.q, chosen.total) if request.q else None
        return SearchResult(
            request=request,
            generation=self.name,
            total=chosen.total,
            hits=hits,
            facets=self._facets(request, chosen.base, chosen.filtered),
            suggestion=suggestion,
        )

    def _select(self, request: SearchRequest, parsed: ParsedQuery | None) -> _Selection:
        """The matching, filtered, ordered episodes and the page of them to show."""
        matches = self._matches(request.q, parsed) if parsed else None
        base = frozenset(matches.episode_scores) if matches else self.catalog.all_ids
        filtered = {facet: self._filter_set(request, facet) for facet in FACETS}
        result_ids = set(base)
        for ids in filtered.values():
            if ids is not None:
                result_ids &= ids
        ordered = self._order(result_ids, request.sort, matches)
        first = (request.page - 1) * request.per_page
        page_ids = ordered[first : first + request.per_page]
        return _Selection(parsed, matches, base, filtered, len(result_ids), page_ids)

    def parse(self, text: str) -> ParsedQuery:
        # A parsed query depends on the text and this generation's words only; its Whoosh
        # query is read, never changed, by the searches that share it.
        found = self._parsed.get(text)
        if found is None:
            found = complete_query(self.check(text), self._reader(), self._synonyms)
            self._parsed.put(text, found)
        return found

    def check(self, text: str) -> CheckedQuery:
        """The query within every bound (or `QueryError`), before anything is expanded."""
        found = self._checked.get(text)
        if found is None:
            try:
                found = check_query(text, self._parser, self._reader())
            except QueryError as refused:
                # Refused again for the same reason, without parsing: a flood of refused
                # searches must stay cheaper than the searches it competes with.
                found = str(refused)
            self._checked.put(text, found)
        if isinstance(found, str):
            raise QueryError(found)
        return found

    def _reader(self) -> IndexReader:
        return self.searcher().reader()

    def _match(self, query: Query) -> _Matches:
        matches = _Matches()
        episode_docs: dict[str, float] = {}
        for score, episode_id, position in self._documents(documents_query(query)):
            if position < 0:
                episode_docs[episode_id] = score or 0.0
            else:
                matches.episode_scores.setdefault(episode_id, 0.0)
                matches.segment_scores.setdefault(episode_id, {})[position] = score or 0.0
        if documents_suffice(query):
            matches.episode_scores.update(episode_docs)
            return matches
        # The whole episode is what `body` names: answered from each word's hits, in sets.
        whole = EpisodeLevel(self.searcher(), self.catalog.all_ids, self._docs)
        for episode_id in whole.episodes(query):
            found = episode_docs.get(episode_id)
            if found is None and episode_id not in matches.segment_scores:
                found = whole.spread(episode_id)  # its words are in different moments
            matches.episode_scores[episode_id] = found or 0.0
        return matches

    def _matches(self, text: str, parsed: ParsedQuery) -> _Matches:
        """`_match` of the parsed text, remembered: the same words come back with other filters,
        sorts and pages, and what they match in this generation never changes."""
        found = self._matched.get(text)
        if found is None:
            found = self._match(parsed.query)
            self._matched.put(text, found)
        return found

    def _documents(self, query: Query) -> Iterator[tuple[float, str, int]]:
        """(score, episode id, position) of every matching document.

        Segment documents have only `text` and episode documents never have it, so each kind
        is searched with the query's part that can match it: smaller unions for Whoosh to walk,
        the same scores (a leaf that cannot match adds nothing).
        """
        moment, episode = query_part(query, MOMENT_FIELDS), query_part(query, EPISODE_FIELDS)
        parts: list[tuple[Query, bool | None]] = [(moment, True), (episode, False)]  # type: ignore[list-item]
        if moment is None or episode is None or ALWAYS in (moment, episode):
            parts = [(query, None)]  # searched whole, as Whoosh would
        for piece, moments in parts:
            if piece is NEVER:
                continue
            # The parts are rebuilt queries: each Or gets the union matcher again.
            for docnum, score in scored(self.searcher(), union_matchers(piece)):
                episode_id, position = self._docs[docnum]
                if moments is None or moments == (position >= 0):
                    yield score, episode_id, position

    def _order(self, ids: Iterable[str], sort: str, matches: _Matches | None) -> list[str]:
        rank = self.catalog.order
        if sort == "newest" or matches is None and sort == "relevance":
            return sorted(ids, key=rank.__getitem__)
        if sort == "oldest":
            return sorted(ids, key=rank.__getitem__, reverse=True)
        assert matches is not None
        moments = matches.segment_scores
        # Episodes with a matching moment come first: the moment is what a listener is after.
        return sorted(ids, key=lambda eid: (eid not in moments, -matches.score(eid), rank[eid]))

    def _cached_hit(self, episode_id: str, chosen: _Selection) -> EpisodeHit:
        """`_hit`, remembered: an episode's moments and highlights follow from the query text
        alone, and the same episodes come back as the filters, sorts and pages change."""
        if chosen.parsed is None:
            return self._hit(episode_id, chosen.parsed, chosen.matches)
        key = (chosen.parsed.text, episode_id)
        found = self._hits.get(key)
        if found is None:
            found = self._hit(episode_id, chosen.parsed, chosen.matches)
            self._hits.put(key, found)
        return found

    def _hit(
        self, episode_id: str, parsed: ParsedQuery | None, matches: _Matches | None
    ) -> EpisodeHit:
        episode = self.catalog.by_id[episode_id]
        if parsed is None or matches is None:
            return EpisodeHit(episode, 0.0, ())
        positions = sorted(matches.segment_scores.get(episode_id, {}))
        if not positions:
            # The episode matched as a whole: show the moments that have any of the words.
            positions = [
                s.position for s in episode.segments if self.mentions(s, episode_id, parsed)
            ]
        shown = positions[:MAX_SEGMENTS_PER_HIT]
        segments = tuple(
            SegmentHit(
                episode.segments[p],
                highlight(episode.segments[p].plain, parsed, self.prose_words),
            )
            for p in shown
        )
        return EpisodeHit(
            episode,
            round(matches.score(episode_id), 4),
            segments,
            more_segments=len(positions) - len(shown),
        )

    # --- filters and facets ----------------------------------------------------------------

    def _filter_set(self, request: SearchRequest, facet: str) -> frozenset[str] | None:
        return self._combine(facet, request.selected(facet), request.mode(facet))

    def _combine(self, facet: str, values: Iterable[str], mode: str) -> frozenset[str] | None:
        """Episodes with all (or any) of the values; None when nothing is selected."""
        sets = [self.catalog.facet_sets[facet].get(v, frozenset()) for v in values]
        if not sets:
            return None
        if mode == "all":
            return frozenset.intersection(*sets)
        return frozenset.union(*sets)

    def _facets(
        self,
        request: SearchRequest,
        base: frozenset[str],
        filtered: dict[str, frozenset[str] | None],
    ) -> dict[str, tuple[FacetValue, ...]]:
        facets = {}
        for facet in FACETS:
            others = set(base)
            for name, ids in filtered.items():
                if name != facet and ids is not None:
                    others &= ids
            facets[facet] = self._facet(request, facet, frozenset(others))
        return facets

    def _facet(
        self, request: SearchRequest, facet: str, others: frozenset[str]
    ) -> tuple[FacetValue, ...]:
        """Counts: how many episodes the search would return with each value toggled."""
        selected = request.selected(facet)
        mode = request.mode(facet)
        current = self._combine(facet, selected, mode)
        counts: Counter[str] = Counter()
        if mode == "all" or current is None:
            for eid in others & current if current is not None else others:
                counts.update(self._facet_values[eid].get(facet, ()))
        else:
            already = others & current
            for eid in others - current:
                counts.update(self._facet_values[eid].get(facet, ()))
            counts = Counter({v: n + len(already) for v, n in counts.items()})
        for value in selected:
            rest = self._combine(facet, [v for v in selected if v != value], mode)
            counts[value] = len(others & rest if rest is not None else others)
        values = [
            FacetValue(
                value=value,
                label=self.catalog.label(facet, value),
                count=count,
                selected=value in selected,
                facet=facet,
                request=request,
            )
            for value, count in counts.items()
            if count > 0 or value in selected
        ]
        if facet in ("year",):
            values.sort(key=lambda v: v.value, reverse=True)
        else:
            values.sort(key=lambda v: (not v.selected, -v.count, v.label.lower()))
        return tuple(values)

    # --- did you mean ----------------------------------------------------------------------

    def _suggest(self, text: str, total: int) -> str | None:
        reader = self.searcher().reader()
        counts, corrector = self._vocabulary

        def is_known(word: str) -> bool:
            names = ("guests", "tags", "libraries")
            return word in counts or any(reader.doc_frequency(n, word) for n in names)

        def candidates(word: str) -> list[str]:
            if len(word) < 4:
                return []
            # Typos rarely touch the first letter; one edit first, two only if that finds none.
            options = corrector.suggest(word, limit=SUGGESTION_OPTIONS, maxdist=1, prefix=1)
            if not options:
                options = corrector.suggest(word, limit=SUGGESTION_OPTIONS, maxdist=2, prefix=1)
            ranked = sorted(options, key=lambda w: (edit_distance(word, w), -counts[w], w))
            return ranked[:1]

        suggestion = suggest(text, is_known, candidates)
        return suggestion if suggestion and suggestion != text else None

    @cached_property
    def _vocabulary(self) -> tuple[dict[str, int], ListCorrector]:
        """The generation's words (moments and titles, unstemmed) and how many have each."""
        try:
            raw = (self.path / schema.WORDS_FILE).read_text(encoding="utf-8")
            counts: dict[str, int] = json.loads(raw)
        except (OSError, ValueError):
            counts = {}  # a generation from before the word list: no suggestions
        return counts, ListCorrector(sorted(counts))

    # --- lookups ---------------------------------------------------------------------------

    def mentions(self, segment: Segment, episode_id: str, parsed: ParsedQuery) -> bool:
        """Whether the segment's text has any of the query's words (or prefixes)."""
        # Kept per generation (bounded): listing moments must not re-analyse every answer.
        words = remembered(
            self._segment_words,
            (episode_id, segment.position),
            lambda: self.prose_words.words(segment.plain),
            limit=CACHED_SEGMENT_WORDS,
        )
        if words & parsed.words:
            return True
        return any(w.startswith(p) for p in parsed.prefixes for w in words)

    def facet_values_of(self, episode_id: str) -> dict[str, list[str]]:
        return self._facet_values[episode_id]

    def episode(self, episode_id: str) -> Episode:
        try:
            return self.catalog.by_id[episode_id]
        except KeyError:
            raise NotFound(f"no episode {episode_id!r}") from None


class SearchIndex:
    """The live index in a directory, reopened when its pointer moves."""

    def __init__(self, path: str | Path, *, gate: CostlyGate | None = None) -> None:
        self.path = Path(path)
        # Shared by every generation this process opens: the budget is the process's CPU.
        self.gate = gate
        self._lock = threading.Lock()
        self._current: Generation | None = None
        self._retired: list[tuple[float, Generation]] = []
        self._pointer_stamp: tuple[int, int] | None = None

    def current(self) -> Generation:
        """The live generation, opening it if the pointer moved since the last call."""
        stamp = self._stamp()
        current = self._current
        if current is not None and stamp == self._pointer_stamp:
            return current
        with self._lock:
            name = store.read_pointer(self.path)
            if self._current is None or name not in (
                self._current.name,
                self._current.fallback_from,
            ):
                fresh = self._open(name)
                if self._current is not None:
                    self._retired.append((time.monotonic(), self._current))
                self._current = fresh
                self._close_retired(grace=RETIRE_GRACE)
            self._pointer_stamp = stamp
            return self._current

    def _close_retired(self, *, grace: float) -> None:
        """Close replaced generations once no request can still be using them."""
        now = time.monotonic()
        keep = []
        for retired_at, generation in self._retired:
            if now - retired_at >= grace:
                generation.close()
            else:
                keep.append((retired_at, generation))
        self._retired = keep

    def _open(self, name: str) -> Generation:
        """The named generation or, when it is damaged, the newest older one that opens."""
        try:
            return Generation(store.generation_path(self.path, name), gate=self.gate)
        except IndexCorrupt as damaged:
            for older in store.older_generations(self.path, name):
                try:
                    fallback = Generation(store.generation_path(self.path, older), gate=self.gate)
                except IndexCorrupt:
                    continue
                fallback.fallback_from = name
                return fallback
            raise damaged

    def _stamp(self) -> tuple[int, int] | None:
        try:
            info = os.stat(self.path / store.POINTER)
        except OSError:
            return None
        return info.st_ino, info.st_mtime_ns

    def search(self, request: SearchRequest) -> SearchResult:
        return self.current().search(request)

    def close(self) -> None:
        with self._lock:
            self._close_retired(grace=0.0)
            if self._current is not None:
                self._current.close()
            self._current = None


class _DocumentMap:
    """Each document number's episode id and segment position (-1 for the episode itself).

    Two machine-int arrays instead of a dict of tuples: a few bytes per document rather than
    about a hundred, at 300,000 documents for 10,000 episodes.
    """

    __slots__ = ("_episode_ids", "_episodes", "_positions")

    def __init__(self, episode_ids: list[str], episodes: array[int], positions: array[int]):
        self._episode_ids = episode_ids
        self._episodes = episodes
        self._positions = positions

    def __getitem__(self, docnum: int) -> tuple[str, int]:
        episode = self._episodes[docnum]
        if episode < 0:
            raise KeyError(docnum)
        return self._episode_ids[episode], self._positions[docnum]

    @classmethod
    def read(cls, index: Index) -> _DocumentMap:
        """Read every stored document, which also proves each segment file is readable."""
        with index.searcher() as searcher:
            reader = searcher.reader()
            size = reader.doc_count_all()
            numbers: dict[str, int] = {}
            episodes = array("i", [-1]) * size  # deleted documents stay -1
            positions = array("i", [-1]) * size
            for docnum, fields in reader.iter_docs():
                episodes[docnum] = numbers.setdefault(fields["episode_id"], len(numbers))
                positions[docnum] = fields.get("position", -1)
        return cls(list(numbers), episodes, positions)


def _approximate_size(result: SearchResult) -> int:
    """Bytes an answer holds of its own (episodes and moments belong to the catalog).

    Measured with tracemalloc at 10,000 episodes: about 100 bytes per facet value (the
    object and its count), a few hundred per listed moment (its highlighted text).
    """
    values = sum(len(listed) for listed in result.facets.values())
    moments = sum(len(hit.segments) for hit in result.hits)
    highlights = sum(len(s.highlight) for hit in result.hits for s in hit.segments)
    return 1_000 + 100 * values + 100 * moments + highlights


def _check_fields(names: Iterable[str]) -> None:
    """Refuse a generation written with other fields, by another version of shownotes."""
    found, expected = set(names), set(schema.build_schema().names())
    if found != expected:
        differ = ", ".join(sorted(found ^ expected))
        raise IndexCorrupt(
            f"it was built by another version of shownotes (fields {differ} differ); "
            "rebuild it with `shownotes index`"
        )


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for v in values if v and v.strip()))


def _grouped(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for facet, value in pairs:
        grouped.setdefault(facet, []).append(value)
    return grouped
