"""Parser behaviour beyond the golden files: errors, coercions, Liquid, libraries."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer import ParseError, load_episode, parse_episode
from indexer.parser import decode, library_id

from support import episode_text


def test_episode_from_jekyll_file_name() -> None:
    episode = parse_episode(episode_text(), path="_posts/podcast/2024-03-04-12-some-slug.md")
    assert (episode.id, episode.number, str(episode.date)) == (
        "podcast/12-some-slug",
        12,
        "2024-03-04",
    )


def test_durations_in_all_forms() -> None:
    for written, seconds in (("2:50", 170), ("50:55", 3055), ("1:04:49", 3889)):
        assert parse_episode(episode_text(duration=written), path="x.md").duration == seconds


def test_unquoted_duration_read_by_yaml_as_sexagesimal() -> None:
    text = episode_text().replace('mp3_duration: "30:00"', "mp3_duration: 50:55")
    assert parse_episode(text, path="x.md").duration == 3055


def test_segment_ends_at_next_start_and_last_at_duration() -> None:
    episode = parse_episode(episode_text(topics=("0:30 -- a", "2:00 -- b")), path="x.md")
    assert [(s.start, s.end) for s in episode.segments] == [(30, 120), (120, 1800)]


@pytest.mark.parametrize("separator", ["--", "–", "—"])
def test_dash_separators(separator: str) -> None:
    episode = parse_episode(episode_text(topics=(f"4:05 {separator} Caching",)), path="x.md")
    assert [(s.start, s.plain) for s in episode.segments] == [(245, "Caching")]


def test_tags_deduplicated_in_order_and_normalised() -> None:
    episode = parse_episode(
        episode_text(tags=("Docker", "python", "docker", "Lets Encrypt")), path="x.md"
    )
    assert episode.tags == ("docker", "python", "lets-encrypt")


def test_library_ids() -> None:
    assert library_id("https://github.com/WhitFin/Cachex") == "whitfin/cachex"
    assert library_id("https://github.com/a/b.git") == "a/b"
    assert library_id("https://github.com/a/b/tree/main/docs") == "a/b"
    assert library_id("https://gunicorn.org/") == "gunicorn.org"
    assert library_id("https://pypi.org/project/requests/") == "pypi.org/project/requests"


def test_liquid_page_values_replaced_and_other_liquid_removed() -> None:
    text = episode_text(
        topics=("1:00 -- Find me at [site]({{ page.guest_website }}) {{ site.x }} {% raw %}",)
    ).replace('guest: "Sam Example"', 'guest: "Sam Example"\nguest_website: "https://sam.example/"')
    segment = parse_episode(text, path="x.md").segments[0]
    assert segment.text == "Find me at [site](https://sam.example/)"
    assert "{" not in segment.plain and "%" not in segment.plain


def test_removed_liquid_link_target_keeps_the_words() -> None:
    text = episode_text(topics=("1:00 -- [Become a guest]({{ site.links.form }}) today",))
    assert parse_episode(text, path="x.md").segments[0].text == "Become a guest today"


def test_multiline_liquid_tag_keeps_line_numbers() -> None:
    text = episode_text().replace("An intro paragraph.", "{% image a.jpg\n  alt='x' %}")
    first = parse_episode(text, path="x.md").segments[0]
    assert text.splitlines()[first.line - 1] == "- 1:00 -- Hello"


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("", 1, "file is empty"),
        ("title: x\n", 1, "no front matter"),
        ("---\ntitle: x\n", 1, "not closed"),
        ("---\ntitle: [x\n---\n", 3, "broken YAML"),
        ("---\n- a\n- b\n---\n", 2, "must be a mapping"),
        ("---\ndescription: x\n---\n", 1, "no title"),
        ("---\ntitle: no\n---\n", 1, "boolean"),
        ("---\ntitle: !!python/object:os.system x\n---\n", 2, "broken YAML"),
    ],
)
def test_bad_front_matter_is_a_clear_error(text: str, line: int, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_episode(text, path="eps/bad.md")
    assert caught.value.path == "eps/bad.md"
    assert caught.value.line == line
    assert reason in caught.value.reason
    assert str(caught.value).startswith(f"eps/bad.md:{line}: ")


def test_non_utf8_bytes_name_the_line() -> None:
    with pytest.raises(ParseError, match=r"^f\.md:3: not valid UTF-8"):
        decode(b"---\ntitle: x\n\xff\n---\n", path="f.md")


def test_bom_and_crlf_are_accepted() -> None:
    raw = ("\ufeff" + episode_text()).replace("\n", "\r\n").encode("utf-8")
    episode = parse_episode(decode(raw, path="x.md"), path="x.md")
    assert [s.plain for s in episode.segments] == ["Hello", "Goodbye"]


def test_nul_byte_refused() -> None:
    with pytest.raises(ParseError, match="NUL"):
        decode(b"---\ntitle: a\x00\n---\n", path="x.md")


def test_huge_file_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.md"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    with pytest.raises(ParseError, match="over the .* byte limit"):
        load_episode(path)


def test_category_from_folder(tmp_path: Path) -> None:
    path = tmp_path / "_posts" / "interviews" / "2020-01-01-1-x.md"
    path.parent.mkdir(parents=True)
    path.write_text("---\ntitle: X\n---\n\n## A question?\n\nAn answer.\n", encoding="utf-8")
    episode = load_episode(path)
    assert episode.category == "interviews"
    assert [(s.anchor, s.start, s.body) for s in episode.segments] == [
        ("a-question", None, "An answer.")
    ]


def test_date_in_front_matter_and_bad_values_are_warnings() -> None:
    text = "---\ntitle: X\ndate: 2024-13-01\nmp3_bytes: lots\nmp3_duration: soon\n---\n"
    episode = parse_episode(text, path="x.md")
    assert episode.date is None and episode.mp3_bytes is None and episode.duration is None
    assert any("2024-13-01" in w for w in episode.warnings)
    assert any("mp3_bytes" in w for w in episode.warnings)
    assert any("mp3_duration" in w for w in episode.warnings)


def test_alias_bomb_is_refused_fast() -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 12)]
    text = "---\ntitle: Bomb\n" + "\n".join(levels) + "\ntags: *a11\n---\n"
    with pytest.raises(ParseError, match="YAML aliases"):
        parse_episode(text, path="bomb.md")


def test_a_few_aliases_are_fine() -> None:
    text = "---\ntitle: &t Aliased\ndescription: *t\n---\n"
    assert parse_episode(text, path="x.md").description == "Aliased"
