"""User query text into a bounded Whoosh query, with tag synonyms, and back into highlights.

Every way a query can cost unbounded time is refused here with a `QueryError` that says why:
over-long input, deep nesting, leading or bare wildcards, prefixes that expand to too many
words, fuzzy distances over 2 and ranges. Highlighting is our own, so it is exactly
"escaped text plus `<mark>`".
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from whoosh.analysis.analyzers import Analyzer, CompositeAnalyzer
from whoosh.analysis.tokenizers import RegexTokenizer
from whoosh.fields import Schema
from whoosh.qparser.default import MultifieldParser, QueryParser
from whoosh.qparser.plugins import (
    FieldAliasPlugin,
    FuzzyTermPlugin,
    GtLtPlugin,
    RangePlugin,
    RegexPlugin,
)
from whoosh.query.compound import And, Or
from whoosh.query.positional import Phrase
from whoosh.query.qcore import Every, NullQuery, Query
from whoosh.query.ranges import RangeMixin
from whoosh.query.terms import FuzzyTerm, PatternQuery, Prefix, Regex, Term, Wildcard
from whoosh.reading import IndexReader

from . import schema
from .errors import QueryError
from .models import TagInfo

MAX_QUERY_CHARS = 300
MAX_NESTING = 8
MAX_TERMS = 24
MAX_FUZZY_DISTANCE = 2
MAX_FUZZY_TERMS = 2
MIN_PREFIX_CHARS = 2
MAX_PREFIX_EXPANSION = 400
SNIPPET_CHARS = 240

PROSE_FIELDS = frozenset({"title", "description", "body", "text"})
NAME_FIELDS = frozenset({"guests", "tags", "libraries"})
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
QUERY_WORD = re.compile(r"(?<![\w:~*?])(?P<word>[^\W\d_][\w'.]*[\w])(?![\w:~*?])")
FUZZY_MARK = re.compile(r"\w~")
PLAIN_WORDS = re.compile(r"[^\W_]+(?:[ ]+[^\W_]+)*")
# `-word` after a space leaves the word out, as search boxes teach; `zero-downtime` is one term.
LEADING_MINUS = re.compile(r"(?:^|(?<=[\s(]))-(?=[\w\"(])")
OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"})
FIELD_PREFIX = re.compile(r"(?<![\w\"'])(?P<name>[A-Za-z_]+):(?=\S)")
KNOWN_FIELDS = frozenset(
    [
        *schema.SEARCH_FIELDS,
        *(alias for aliases in schema.FIELD_ALIASES.values() for alias in aliases),
    ]
)


@dataclass(frozen=True)
class CheckedQuery:
    """A query within every bound, not yet expanded into the words it matches."""

    text: str
    query: Query
    leaves: tuple[Query, ...]

    @property
    def costly(self) -> bool:
        """Fuzzy words and wildcards are allowed, but each costs as much as many plain words."""
        return any(isinstance(leaf, PatternQuery | FuzzyTerm) for leaf in self.leaves)


@dataclass(frozen=True)
class ParsedQuery:
    """A checked query, and what highlighting needs to find its words again."""

    text: str
    query: Query
    words: frozenset[str]  # analysed words, as the prose analyser writes them
    prefixes: frozenset[str]


def make_parser(whoosh_schema: Schema) -> QueryParser:
    parser = MultifieldParser(list(schema.SEARCH_FIELDS), whoosh_schema)
    # Ranges, comparisons and regexes have unbounded cost: their syntax stays plain words.
    for plugin_class in (RangePlugin, GtLtPlugin, RegexPlugin):
        parser.remove_plugin_class(plugin_class)
    parser.add_plugin(FuzzyTermPlugin())
    parser.add_plugin(FieldAliasPlugin(schema.FIELD_ALIASES))
    return parser


def check_text(text: str) -> str:
    """Refuse input that is too long or too deeply nested before the parser sees it."""
    text = CONTROL_CHARS.sub(" ", text).strip()
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"query is {len(text):,} characters; at most {MAX_QUERY_CHARS} please")
    depth = deepest = 0
    for char in text:
        depth += char == "("
        depth -= char == ")" and depth > 0
        deepest = max(deepest, depth)
    if deepest > MAX_NESTING:
        raise QueryError(f"query nests parentheses {deepest} deep; at most {MAX_NESTING}")
    text = LEADING_MINUS.sub("NOT ", text)
    # `foo:bar` with a field we do not have means the words, not an empty field.
    return FIELD_PREFIX.sub(
        lambda m: (
            f"{m.group('name').lower()}:"
            if m.group("name").lower() in KNOWN_FIELDS
            else f"{m.group('name')} "
        ),
        text,
    )


def check_query(text: str, parser: QueryParser, reader: IndexReader) -> CheckedQuery:
    """The query parsed and checked against every bound; cheap, so refusals come first."""
    text = check_text(text)
    try:
        plain = plain_words_query(text, parser.schema) if parser.schema is not None else None
        parsed = plain or parser.parse(text)
    except RecursionError as exc:
        raise QueryError("query is nested too deeply") from exc
    except Exception as exc:  # noqa: BLE001 - the parser's own errors are not one class
        raise QueryError(f"cannot read this query: {exc}") from exc
    if parsed is NullQuery:
        raise QueryError("query has no words to search for")
    leaves = list(_leaves(parsed))
    # Each word is searched in every field: count the words, not the per-field copies.
    words_typed = {str(getattr(leaf, "text", "")) for leaf in leaves}
    words_typed |= {str(w) for leaf in leaves for w in getattr(leaf, "words", ())}
    if len(words_typed) > MAX_TERMS:
        raise QueryError(f"query has {len(words_typed)} terms; at most {MAX_TERMS} please")
    # Counted as typed: each fuzzy word becomes one term per field, analysed differently.
    if len(FUZZY_MARK.findall(text)) > MAX_FUZZY_TERMS:
        raise QueryError(f"at most {MAX_FUZZY_TERMS} fuzzy words (word~1, word~2) per search")
    for leaf in leaves:
        _check_leaf(leaf, reader)
    return CheckedQuery(text, parsed, tuple(leaves))


def complete_query(checked: CheckedQuery, reader: IndexReader, synonyms: SynonymMap) -> ParsedQuery:
    """The words highlighting looks for (fuzzy words expanded) and the synonyms added."""
    leaves = checked.leaves
    words = {
        str(leaf.text)
        for leaf in leaves
        if isinstance(leaf, Term) and not isinstance(leaf, PatternQuery | FuzzyTerm)
    }
    words |= {w for leaf in leaves if isinstance(leaf, Phrase) for w in map(str, leaf.words)}
    words |= {
        str(term)
        for leaf in leaves
        if isinstance(leaf, FuzzyTerm) and leaf.fieldname == "text"
        for term in leaf._btexts(reader)  # noqa: SLF001 - the words the fuzzy term matches
    }
    prefixes = {str(leaf.text) for leaf in leaves if isinstance(leaf, Prefix)}
    rewritten = union_matchers(synonyms.expand(checked.query))
    words |= synonyms.prose_alternatives(words)
    return ParsedQuery(checked.text, rewritten, frozenset(words), frozenset(prefixes))


def union_matchers(query: Query) -> Query:
    """Have each `Or` merge its words' postings as it walks them.

    Below 5,000 documents Whoosh's automatic choice first reads every posting of every word
    into arrays sized by the whole index; all matches are wanted here, so walking the
    postings side by side gives the same documents for less work.
    """
    if isinstance(query, Or):
        query.matcher_type = Or.DEFAULT_MATCHER
    if not query.is_leaf():
        for child in query.children():
            union_matchers(child)
    return query


def plain_words_query(text: str, whoosh_schema: Schema) -> Query | None:
    """The parser's own query for a text of plain words, built without the parser.

    Most searches are a word or two, and Whoosh's parser costs a sixth of a cold search. For
    words of letters and digits only, what it builds is known: each word searched in every
    field as that field's analyser writes it, an `Or` per word, an `And` of the words
    (`tests/test_search.py` checks the two are equal). None for anything else.
    """
    if not PLAIN_WORDS.fullmatch(text):
        return None
    words = text.split()
    if len(words) > MAX_TERMS or not OPERATORS.isdisjoint(words):
        return None
    groups: list[Query] = []
    for word in words:
        terms: list[Query] = []
        for name in schema.SEARCH_FIELDS:
            analyzer = whoosh_schema[name].analyzer
            if analyzer is None:
                return None
            tokens = [token.text for token in analyzer(word, mode="query")]
            if len(tokens) > 1:
                return None  # the parser decides how a word of several tokens is searched
            terms += [Term(name, tokens[0])] if tokens else []
        if terms:
            groups.append(Or(terms) if len(terms) > 1 else terms[0])
    if not groups:
        return None  # only stop words: the parser's answer and its refusal
    return And(groups) if len(groups) > 1 else groups[0]


def _leaves(query: Query) -> Iterable[Query]:
    if query.is_leaf():
        yield query
        return
    for child in query.children():
        yield from _leaves(child)


def _check_leaf(leaf: Query, reader: IndexReader) -> None:
    if isinstance(leaf, Every):
        raise QueryError("a bare * matches everything; leave the box empty to browse instead")
    if isinstance(leaf, RangeMixin):
        raise QueryError("ranges are not supported in searches")
    if isinstance(leaf, Regex):
        raise QueryError("regular expressions are not supported in searches")
    if isinstance(leaf, FuzzyTerm):
        if leaf.maxdist > MAX_FUZZY_DISTANCE:
            raise QueryError(f"fuzzy distance {leaf.maxdist} is too large; use ~1 or ~2")
        if leaf.prefixlength > len(leaf.text):
            raise QueryError(f"{leaf.text}~{leaf.maxdist}/{leaf.prefixlength}: the exact prefix "
                             "is longer than the word")  # fmt: skip
        # The first letter must match: a typo rarely sits there, and walking every word of
        # every field from no prefix costs a tenth of a second or more per fuzzy word.
        leaf.prefixlength = max(leaf.prefixlength, 1)
    if isinstance(leaf, Prefix | Wildcard):
        literal = re.split(r"[*?]", str(leaf.text))[0]
        if len(literal) < MIN_PREFIX_CHARS:
            raise QueryError(
                f"wildcards need at least {MIN_PREFIX_CHARS} letters before them "
                f"({leaf.text!r} would match too much)"
            )
        if isinstance(leaf, Prefix):
            count = 0
            for _ in reader.expand_prefix(leaf.fieldname, literal):
                count += 1
                if count > MAX_PREFIX_EXPANSION:
                    raise QueryError(f"too many words start with {literal!r}; type more letters")


class SynonymMap:
    """Tag ids and their display names stand for each other: postgres <-> PostgreSQL."""

    def __init__(self, tags: Iterable[TagInfo], analyzers: dict[str, Analyzer]) -> None:
        self._analyzers = analyzers
        self._forms: dict[tuple[str, str], list[str]] = {}
        self._prose = analyzers["text"]
        for info in tags:
            forms = list(dict.fromkeys([info.tag.replace("-", " "), info.label]))
            if len(forms) < 2:
                continue
            for field_name, analyzer in analyzers.items():
                for form in forms:
                    tokens = _analyse(analyzer, form)
                    if len(tokens) == 1:
                        others = [f for f in forms if f != form]
                        self._forms.setdefault((field_name, tokens[0]), []).extend(others)

    def expand(self, query: Query) -> Query:
        def visit(node: Query) -> Query:
            if isinstance(node, Term) and not isinstance(node, PatternQuery | FuzzyTerm):
                alternatives = self._alternatives(node.fieldname, str(node.text))
                if alternatives:
                    return Or([node, *alternatives])
                return node
            return node.apply(visit) if not node.is_leaf() else node

        return visit(query)

    def prose_alternatives(self, words: Iterable[str]) -> set[str]:
        extra: set[str] = set()
        for word in words:
            for form in self._forms.get(("text", word), []):
                extra.update(_analyse(self._prose, form))
        return extra

    def _alternatives(self, field_name: str, text: str) -> list[Query]:
        analyzer = self._analyzers.get(field_name)
        if analyzer is None:
            return []
        result: list[Query] = []
        # `docker` and its label `Docker` are one word once analysed: only other words count.
        seen: set[tuple[str, ...]] = {(text,)}
        for form in self._forms.get((field_name, text), []):
            tokens = tuple(_analyse(analyzer, form))
            if not tokens or tokens in seen:
                continue
            seen.add(tokens)
            if len(tokens) == 1:
                result.append(Term(field_name, tokens[0]))
            else:
                result.append(Phrase(field_name, list(tokens)))
        return result


def _analyse(analyzer: Analyzer, text: str) -> list[str]:
    return [token.text for token in analyzer(text)]


def query_words(text: str) -> list[str]:
    """The plain words of a query string, without operators, fields or wildcards."""
    return [m.group("word") for m in QUERY_WORD.finditer(text) if m.group("word") not in OPERATORS]


def suggest(
    text: str, is_known: Callable[[str], bool], candidates: Callable[[str], list[str]]
) -> str | None:
    """The query with each unknown word replaced by its closest known word, if any changed."""
    changed = False
    result = text
    for word in query_words(text):
        lowered = word.lower()
        if is_known(lowered):
            continue
        options = candidates(lowered)
        if options:
            result = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", options[0], result, count=1)
            changed = True
    return result if changed else None


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]


class ProseWords:
    """A text's words as an analyser writes them, with their character offsets.

    Highlighting runs the analyser over every moment it shows; most of that is the filters
    (lower-casing, accents, stemming) redoing the same few thousand words. Each distinct word
    goes through them once here, which gives the same words as analysing the whole text when
    the analyser is a regex tokenizer followed by filters that each look at one token.
    """

    MAX_WORDS = 200_000  # distinct words kept; a corpus's vocabulary, not its users' input

    def __init__(self, analyzer: Analyzer) -> None:
        self.analyzer = analyzer
        items = analyzer.items if isinstance(analyzer, CompositeAnalyzer) else []
        tokenizer = items[0] if items else None
        self._pattern: re.Pattern[str] | None = getattr(analyzer, "word_pattern", None) or (
            tokenizer.expression
            if isinstance(tokenizer, RegexTokenizer) and not tokenizer.gaps
            else None
        )
        self._forms: dict[str, str | None] = {}

    def tokens(self, text: str) -> list[tuple[str, int, int]]:
        """(analysed word, start, end) for each word of `text`, stop words included."""
        if self._pattern is not None:
            found = []
            forms = self._forms
            for match in self._pattern.finditer(text):
                raw = match.group(0)
                form = forms[raw] if raw in forms else self._form(raw)
                if form is None:
                    break  # a word the filters split or drop: analyse the whole text instead
                found.append((form, match.start(), match.end()))
            else:
                return found
        return [
            (t.text, t.startchar, t.endchar)
            for t in self.analyzer(text, chars=True, removestops=False)
        ]

    def words(self, text: str) -> frozenset[str]:
        return frozenset(word for word, _, _ in self.tokens(text))

    def _form(self, raw: str) -> str | None:
        analysed = [t.text for t in self.analyzer(raw, removestops=False)]
        form = analysed[0] if len(analysed) == 1 else None
        if len(self._forms) >= self.MAX_WORDS:
            self._forms.clear()
        self._forms[raw] = form
        return form


def highlight(text: str, parsed: ParsedQuery | None, words: ProseWords) -> str:
    """`text` HTML-escaped, the query's words wrapped in `<mark>`; long text cut to a snippet."""
    spans = _match_spans(text, parsed, words) if parsed else []
    start, end = _window(text, spans)
    pieces = ["…" if start > 0 else ""]
    cursor = start
    escape = html.escape
    for span_start, span_end in spans:
        if span_start < start or span_end > end:
            continue
        pieces.append(escape(text[cursor:span_start], quote=False))
        pieces.append(f"<mark>{escape(text[span_start:span_end], quote=False)}</mark>")
        cursor = span_end
    pieces.append(escape(text[cursor:end], quote=False))
    pieces.append("…" if end < len(text) else "")
    return "".join(pieces)


def _match_spans(text: str, parsed: ParsedQuery, words: ProseWords) -> list[tuple[int, int]]:
    wanted = parsed.words
    prefixes = tuple(parsed.prefixes)
    return [
        (start, end)
        for word, start, end in words.tokens(text)
        if word in wanted or (prefixes and word.startswith(prefixes))
    ]


def _window(text: str, spans: list[tuple[int, int]]) -> tuple[int, int]:
    if len(text) <= SNIPPET_CHARS:
        return 0, len(text)
    first = spans[0][0] if spans else 0
    start = max(0, first - SNIPPET_CHARS // 3)
    if start:
        space = text.rfind(" ", 0, start)
        start = space + 1 if space >= 0 else start
    end = min(len(text), start + SNIPPET_CHARS)
    space = text.rfind(" ", start, end)
    if end < len(text) and space > start:
        end = space
    return start, end
