"""Queries: facets that agree with filters, bounded cost, escaping, suggestions, paging."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from indexer import QueryError, SearchIndex, SearchRequest, Sources, build_index, search

from support import write_episode


@pytest.fixture(scope="module")
def sample(sample_index: Path) -> Iterator[SearchIndex]:
    live = SearchIndex(sample_index)
    yield live
    live.close()


def all_requests() -> list[SearchRequest]:
    return [
        SearchRequest(),
        SearchRequest(q="postgresql"),
        SearchRequest(q="docker", tag=("postgres",)),
        SearchRequest(tag=("docker", "postgres")),
        SearchRequest(tag=("docker", "celery"), tag_mode="any"),
        SearchRequest(q="deploy", year=("2024",), category=("podcast",)),
        SearchRequest(library=("celery/celery",), library_mode="any"),
    ]


@pytest.mark.parametrize("request_", all_requests(), ids=lambda r: repr(r.params()))
def test_each_facet_count_is_the_total_after_toggling(
    sample: SearchIndex, request_: SearchRequest
) -> None:
    result = sample.search(request_)
    checked = 0
    for facet, values in result.facets.items():
        for value in values:
            toggled = sample.search(value.toggle)
            assert toggled.total == value.count, (facet, value.value, value.selected)
            checked += 1
    assert checked > 5


def test_all_and_any_modes(sample: SearchIndex) -> None:
    catalog = sample.current().catalog
    docker = catalog.facet_sets["tag"]["docker"]
    celery = catalog.facet_sets["tag"]["celery"]
    both = sample.search(SearchRequest(tag=("docker", "celery"), per_page=50))
    either = sample.search(SearchRequest(tag=("docker", "celery"), tag_mode="any", per_page=50))
    assert both.total == len(docker & celery) < either.total == len(docker | celery)


def test_results_are_grouped_with_moments_in_time_order(sample: SearchIndex) -> None:
    result = sample.search(SearchRequest(q="redis"))
    assert result.total > 1
    for hit in result.hits:
        starts = [m.segment.start for m in hit.segments if m.segment.start is not None]
        assert starts == sorted(starts)
        assert all("<mark>" in m.highlight for m in hit.segments)


def test_accents_fold_both_ways(sample: SearchIndex) -> None:
    catalog = sample.current().catalog
    accented = next(
        g for g in catalog.guests.values() if g.name != g.name.encode("ascii", "ignore").decode()
    )
    from indexer.markup import fold_accents

    plain = fold_accents(accented.name.split()[0])
    result = sample.search(SearchRequest(q=plain))
    assert any(accented in hit.episode.guests for hit in result.hits)


def test_sorting_and_paging(sample: SearchIndex) -> None:
    newest = sample.search(SearchRequest(sort="newest", per_page=3))
    oldest = sample.search(SearchRequest(sort="oldest", per_page=3))
    dates = [h.episode.date for h in newest.hits]
    assert dates == sorted(dates, reverse=True)
    assert [h.episode.date for h in oldest.hits] == sorted(h.episode.date for h in oldest.hits)
    pages = newest.pages
    seen = [
        h.episode.id
        for p in range(1, pages + 1)
        for h in sample.search(SearchRequest(sort="newest", per_page=3, page=p)).hits
    ]
    assert len(seen) == len(set(seen)) == newest.total
    beyond = sample.search(SearchRequest(per_page=3, page=pages + 5))
    assert beyond.hits == () and beyond.total == newest.total


def test_did_you_mean_on_a_misspelling(sample: SearchIndex) -> None:
    assert sample.search(SearchRequest(q="kuberntes")).suggestion == "kubernetes"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("*", "bare"),
        ("*a*", "wildcards need"),
        ("?????", "wildcards need"),
        ("a*", "wildcards need"),
        ("docker~9", "fuzzy distance"),
        ("(" * 200 + "docker", "nests"),
        ("(" * 2000 + "docker", "characters"),
        ("x" * 1_000_000, "characters"),
        (" ".join(f"w{n}" for n in range(40)), "terms"),
    ],
)
def test_expensive_queries_are_refused_quickly(
    sample: SearchIndex, query: str, message: str
) -> None:
    started = time.perf_counter()
    with pytest.raises(QueryError, match=message):
        sample.search(SearchRequest(q=query))
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(
    "query", ["[a TO z]", "{a TO z}", "/regex/", "title:>2020", "docker~2", "dock*"]
)
def test_other_syntax_is_answered_as_words(sample: SearchIndex, query: str) -> None:
    result = sample.search(SearchRequest(q=query))
    assert result.total >= 0


@pytest.mark.parametrize(
    "bad",
    [
        SearchRequest(page=0),
        SearchRequest(page=-1),
        SearchRequest(page=10**9),
        SearchRequest(per_page=10**6),
        SearchRequest(sort="random"),
        SearchRequest(tag_mode="some"),
    ],
)
def test_bad_parameters_are_refused(sample: SearchIndex, bad: SearchRequest) -> None:
    with pytest.raises(QueryError):
        sample.search(bad)


def test_unknown_filter_values_give_no_results_not_errors(sample: SearchIndex) -> None:
    result = sample.search(SearchRequest(tag=("no-such-tag",)))
    assert result.total == 0
    assert [v.value for v in result.facets["tag"] if v.selected] == ["no-such-tag"]


def test_highlights_escape_markup(tmp_path: Path) -> None:
    folder = tmp_path / "eps"
    write_episode(
        folder,
        "2024-01-01-1-x.md",
        topics=('1:00 -- <script>alert("caching")</script> if a < b & caching',),
    )
    build_index(tmp_path / "ix", Sources(episodes=(folder,)))
    live = SearchIndex(tmp_path / "ix")
    moment = live.search(SearchRequest(q="caching")).hits[0].segments[0]
    live.close()
    assert "<script>" not in moment.highlight and "</script>" not in moment.highlight
    assert "a &lt; b &amp; <mark>caching</mark>" in moment.highlight
    assert moment.highlight.count("<mark>") == 2


def test_tag_synonyms_from_the_registry(tmp_path: Path) -> None:
    folder, tags = tmp_path / "eps", tmp_path / "tags"
    write_episode(
        folder,
        "2024-01-01-1-a.md",
        tags=("postgres",),
        topics=("1:00 -- Replication in PostgreSQL",),
    )
    write_episode(
        folder, "2024-01-02-2-b.md", tags=("redis",), topics=("1:00 -- We moved off postgres",)
    )
    tags.mkdir()
    (tags / "postgres.md").write_text(
        '---\ntag: "postgres"\nurl: "https://www.postgresql.org/"\n'
        'title: "Websites Using PostgreSQL in Production"\n---\n',
        encoding="utf-8",
    )
    build_index(tmp_path / "ix", Sources(episodes=(folder,), tags=tags))
    live = SearchIndex(tmp_path / "ix")
    by_word = {
        h.episode.id: [m.segment.plain for m in h.segments]
        for h in live.search(SearchRequest(q="postgres")).hits
    }
    by_name = {h.episode.id for h in live.search(SearchRequest(q="postgresql")).hits}
    label = live.current().catalog.label("tag", "postgres")
    live.close()
    assert by_word["podcast/1-a"] == ["Replication in PostgreSQL"]
    assert "podcast/2-b" in by_word
    assert by_name == {"podcast/1-a", "podcast/2-b"}
    assert label == "PostgreSQL"


def test_field_names_and_aliases(sample: SearchIndex) -> None:
    catalog = sample.current().catalog
    returning = next(slug for slug, ids in catalog.facet_sets["guest"].items() if len(ids) == 2)
    first_name = catalog.guests[returning].name.split()[0]
    from indexer.markup import fold_accents

    by_guest = sample.search(SearchRequest(q=f"Guest:{fold_accents(first_name)}"))
    assert {h.episode.id for h in by_guest.hits} == set(catalog.facet_sets["guest"][returning])
    by_library = sample.search(SearchRequest(q="library:celery", per_page=50))
    assert by_library.total == len(catalog.facet_sets["library"]["celery/celery"])


def test_unknown_field_prefix_is_read_as_words(sample: SearchIndex) -> None:
    assert (
        sample.search(SearchRequest(q="nosuchfield:docker")).total
        == sample.search(SearchRequest(q="nosuchfield docker")).total
    )


def test_words_are_counted_once_however_many_fields(sample: SearchIndex) -> None:
    twenty_words = " OR ".join(["docker", "redis", "celery", "sidekiq", "postgres"] * 4)
    assert sample.search(SearchRequest(q=twenty_words)).total > 0


def test_repeated_searches_are_answered_from_the_cache(sample: SearchIndex) -> None:
    generation = sample.current()
    first = generation.search(SearchRequest(q="redis", tag=("docker",)))
    again = generation.search(SearchRequest(q=" redis ", tag=("docker", "docker")))
    assert again is first  # the same normalized request: the same answer object
    assert generation.search(SearchRequest(q="redis")) is not first


def test_the_answer_cache_keeps_to_its_byte_budget(sample_index: Path) -> None:
    live = SearchIndex(sample_index)
    try:
        generation = live.current()
        one = generation.search(SearchRequest(q="redis"))
        answers = generation._answers  # noqa: SLF001
        assert answers.max_size == search.CACHED_ANSWER_BYTES
        answers.max_size = budget = answers.total_size * 2
        for word in ("docker", "deploy", "postgres", "celery", "kubernetes"):
            generation.search(SearchRequest(q=word))
        assert 1 <= len(answers) <= 2
        assert answers.total_size <= budget
        assert generation.search(SearchRequest(q="redis")) == one  # evicted, answered again
    finally:
        live.close()


def test_a_tag_whose_label_is_the_same_word_is_searched_once(tmp_path: Path) -> None:
    folder, tags = tmp_path / "eps", tmp_path / "tags"
    write_episode(folder, "2024-01-01-1-a.md", tags=("docker",), topics=("1:00 -- Docker",))
    tags.mkdir()
    (tags / "docker.md").write_text(
        '---\ntag: "docker"\ntitle: "Websites Using Docker in Production"\n---\n', encoding="utf-8"
    )
    build_index(tmp_path / "ix", Sources(episodes=(folder,), tags=tags))
    live = SearchIndex(tmp_path / "ix")
    query = str(live.current().parse("docker").query)
    live.close()
    assert query.count("text:docker") == 1


def test_a_leading_minus_leaves_a_word_out_but_hyphens_join(sample: SearchIndex) -> None:
    minus = sample.search(SearchRequest(q="redis -celery"))
    assert minus.total == sample.search(SearchRequest(q="redis NOT celery")).total
    assert minus.total < sample.search(SearchRequest(q="redis")).total
    assert "NOT" not in str(sample.current().parse("zero-downtime").query)


def test_highlight_words_are_the_analysers_words_with_their_offsets(sample: SearchIndex) -> None:
    generation = sample.current()
    text = "Café owners deploy Node.js and PostgreSQL; the deployments — e.g. ASP.NET — run."
    analysed = [
        (t.text, t.startchar, t.endchar)
        for t in generation.prose_analyzer(text, chars=True, removestops=False)
    ]
    assert generation.prose_words.tokens(text) == analysed
    assert generation.prose_words.tokens(text) == analysed  # from the remembered words


def test_a_repeated_search_answers_as_the_first(sample: SearchIndex) -> None:
    generation = sample.current()
    first = generation._search(SearchRequest(q="docker", tag=("postgres",)))  # noqa: SLF001
    # The same words with another filter and page reuse the parsed query and its matches.
    generation._search(SearchRequest(q="docker", sort="newest"))  # noqa: SLF001
    again = generation._search(SearchRequest(q="docker", tag=("postgres",)))  # noqa: SLF001
    assert again == first


def test_a_refused_query_is_refused_again_with_the_same_reason(sample: SearchIndex) -> None:
    generation = sample.current()
    reasons = []
    for page in (1, 2):
        with pytest.raises(QueryError) as refused:
            generation.search(SearchRequest(q=" ".join(f"w{n}" for n in range(30)), page=page))
        reasons.append(str(refused.value))
    assert reasons[0] == reasons[1] and "terms" in reasons[0]


def test_words_in_different_moments_find_the_episode_after_one_moment_with_all(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "eps"
    apart = ("1:00 -- Background jobs in Sidekiq", "9:00 -- Caching with Redis")
    write_episode(folder, "2024-01-01-1-apart.md", topics=apart)
    write_episode(folder, "2024-01-02-2-together.md", topics=("1:00 -- Sidekiq needs Redis",))
    write_episode(folder, "2024-01-03-3-one.md", topics=("1:00 -- Redis alone",))
    build_index(tmp_path / "ix", Sources(episodes=(folder,)))
    live = SearchIndex(tmp_path / "ix")
    both = live.search(SearchRequest(q="redis sidekiq"))
    same_moment = live.search(SearchRequest(q="moment:redis moment:sidekiq"))
    whole = live.search(SearchRequest(q="body:sidekiq"))
    intro = live.search(SearchRequest(q="intro paragraph"))
    live.close()
    assert [h.episode.id for h in both.hits] == ["podcast/2-together", "podcast/1-apart"]
    assert [m.segment.plain for m in both.hits[1].segments] == list(
        text.split(" -- ")[1] for text in apart
    )
    assert both.hits[1].score > 0
    assert [h.episode.id for h in same_moment.hits] == ["podcast/2-together"]
    assert {h.episode.id for h in whole.hits} == {"podcast/1-apart", "podcast/2-together"}
    assert intro.total == 3  # the intro is searched too


@pytest.mark.parametrize(
    "query",
    [
        "redis",
        "redis celery",
        "docker NOT celery",
        "title:redis OR moment:celery",
        "NOT docker",
        '"background jobs"',
        "kube*",
        "postgres",
        "redis -sidekiq tag:docker",
    ],  # fmt: skip
)
def test_each_document_kind_searched_apart_scores_as_the_whole_query(
    sample: SearchIndex, query: str
) -> None:
    generation = sample.current()
    parsed = generation.parse(query).query
    whole = {
        generation._docs[docnum]: round(score, 9)
        for docnum, score in generation.searcher().search(parsed, limit=None).items()
    }
    apart = {
        (episode_id, position): round(score, 9)
        for score, episode_id, position in generation._documents(parsed)
    }
    assert apart == whole and whole


def test_an_index_from_another_version_is_refused_with_a_way_out(
    sample_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from whoosh.fields import TEXT

    from indexer import IndexCorrupt
    from indexer import schema as schema_module

    current = schema_module.build_schema

    def newer() -> Any:
        fields = current()
        fields.add("transcript", TEXT())
        return fields

    monkeypatch.setattr(schema_module, "build_schema", newer)
    live = SearchIndex(sample_index)
    with pytest.raises(IndexCorrupt, match=r"another version .*transcript.*`shownotes index`"):
        live.search(SearchRequest(q="redis"))
    live.close()


def test_forgetting_searches_answers_the_same_cold(sample: SearchIndex) -> None:
    generation = sample.current()
    request = SearchRequest(q="deplo*", tag=("docker",)).validated()
    first = generation.search(request)
    assert generation.search(request) is first  # remembered
    generation.forget_searches()
    again = generation.search(request)
    assert again == first and again is not first


TRICKY_PLAIN = ["The Redis", "NéVOLA Jönsson", "a b c", "x", "123 go", "the of and", "Docker  K8s"]


def _plain_and_parsed(index_dir: Path) -> Iterator[tuple[str, object, object]]:
    import json
    import random

    from indexer.querying import plain_words_query

    live = SearchIndex(index_dir)
    try:
        generation = live.current()
        words = [w for w in json.loads((generation.path / "words.json").read_text()) if w.isalnum()]
        pairs = [" ".join(random.Random(n).sample(words, 2)) for n in range(500)]
        for text in [*words, *pairs, *TRICKY_PLAIN]:
            built = plain_words_query(text, generation._schema)  # noqa: SLF001
            assert built is not None, text
            yield text, built, generation._parser.parse(text)  # noqa: SLF001
    finally:
        live.close()


def test_plain_words_are_built_as_the_parser_builds_them(sample_index: Path) -> None:
    checked = 0
    for text, built, parsed in _plain_and_parsed(sample_index):
        assert built == parsed, text
        checked += 1
    assert checked > 500


def test_plain_words_of_the_real_corpus_too(corpus_index: Path) -> None:
    assert all(built == parsed for _, built, parsed in _plain_and_parsed(corpus_index))


@pytest.mark.parametrize(
    "text", ["redis AND docker", "NOT redis", "title:redis", "redis*", "node.js", "zero-downtime",
             '"load balancer"', "redis~1", "(redis)", "a_b"],
)  # fmt: skip
def test_anything_but_plain_words_goes_to_the_parser(sample: SearchIndex, text: str) -> None:
    from indexer.querying import plain_words_query

    generation = sample.current()
    assert plain_words_query(text, generation._schema) is None  # noqa: SLF001
