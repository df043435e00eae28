"""Hostile episode files: each is a clear `path:line: reason`, and nothing else is lost."""

from __future__ import annotations

import resource
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer import ParseError, SearchIndex, SearchRequest, Sources, build_index, parse_episode
from indexer.parser import decode, episode_from_bytes

from support import RIP, episode_text, write_episode

HOSTILE = {
    "no-front-matter.md": b"just text\n",
    "unclosed.md": b"---\ntitle: x\n",
    "broken-yaml.md": b"---\ntitle: [x\n---\n",
    "boolean-title.md": b"---\ntitle: no\n---\n",
    "huge-number.md": b"---\ntitle: x\nmp3_bytes: " + b"9" * 5000 + b"\n---\n",
    "list.md": b"---\n- title\n- x\n---\n",
    "python-object.md": b"---\ntitle: !!python/object/apply:os.system ['touch /tmp/pwned']\n---\n",
    "no-title.md": b"---\ndescription: x\n---\n",
    "latin1.md": "---\ntitle: caf\xe9\n---\n".encode("latin-1"),
    "nul.md": b"---\ntitle: a\x00b\n---\n",
    "empty.md": b"",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_each_hostile_file_is_a_clear_error(name: str) -> None:
    with pytest.raises(ParseError) as caught:
        episode_from_bytes(HOSTILE[name], path=Path("eps") / name)
    message = str(caught.value)
    assert message.startswith(f"eps/{name}:{caught.value.line}: ")
    assert len(message) < 300


def test_python_tags_never_execute(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = f"---\ntitle: !!python/object/apply:os.system ['touch {marker}']\n---\n"
    with pytest.raises(ParseError):
        parse_episode(text, path="x.md")
    assert not marker.exists()


def test_alias_bomb_is_refused_in_bounded_time_and_memory() -> None:
    levels = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    levels += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 10)]
    text = "---\ntitle: x\n" + "\n".join(levels) + "\n---\n"
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with pytest.raises(ParseError, match="aliases"):
        parse_episode(text, path="bomb.md")
    assert time.perf_counter() - started < 1.0
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # KiB


@pytest.mark.parametrize(
    ("slug", "expected"),
    [
        ("../../etc/passwd", "etc-passwd"),
        ("a/b", "a-b"),
        ("%00x", "00x"),
        ("tab\there", "tab-here"),
    ],
)
def test_slugs_are_made_safe(slug: str, expected: str) -> None:
    text = episode_text().replace('title: "An Episode"', f'title: "An Episode"\nslug: "{slug}"')
    assert parse_episode(text, path="x.md").slug == expected


def test_odd_timestamps_are_warnings_not_losses() -> None:
    topics = ("1:2:3:4 -- four parts", "5:00 -- later", "4:00 -- earlier", "45:00 -- too late")
    episode = parse_episode(episode_text(topics=topics, duration="30:00"), path="x.md")
    assert [s.start for s in episode.segments] == [300, 240, 2700]
    reasons = " | ".join(episode.warnings)
    assert "unreadable timestamp" in reasons and "earlier" in reasons and "past" in reasons


def test_a_folder_of_hostile_files_keeps_the_good_ones(tmp_path: Path) -> None:
    folder = tmp_path / "eps"
    for name, raw in HOSTILE.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(raw)
    write_episode(folder, "2024-01-01-1-good.md", title="Good")
    report = build_index(tmp_path / "ix", Sources(episodes=(folder,)))
    assert len(report.skipped) == len(HOSTILE)
    live = SearchIndex(tmp_path / "ix")
    assert live.search(SearchRequest()).total == 1
    live.close()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=2000))
def test_any_text_parses_or_raises_parse_error(text: str) -> None:
    try:
        parse_episode(text, path="fuzz.md")
    except ParseError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_decode_or_raise_parse_error(raw: bytes) -> None:
    try:
        parse_episode(decode(raw, path="fuzz.md"), path="fuzz.md")
    except ParseError:
        pass


def corpus_files() -> list[Path]:
    return sorted((RIP / "_posts").rglob("*.md")) if RIP.is_dir() else []


@pytest.mark.skipif(not corpus_files(), reason="the shared corpus is absent")
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutations_of_real_files_parse_or_raise_parse_error(data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(corpus_files()))
    raw = bytearray(path.read_bytes())
    for _ in range(data.draw(st.integers(1, 8))):
        kind = data.draw(st.sampled_from(["flip", "cut", "dup", "insert"]))
        at = data.draw(st.integers(0, max(0, len(raw) - 1)))
        if kind == "flip" and raw:
            raw[at] = data.draw(st.integers(0, 255))
        elif kind == "cut":
            del raw[at : at + data.draw(st.integers(1, 200))]
        elif kind == "dup":
            raw[at:at] = raw[at : at + data.draw(st.integers(1, 200))]
        else:
            raw[at:at] = data.draw(
                st.sampled_from([b"---\n", b"{{", b"{%", b"- 1:", b"\r", b"&a *a"])
            )
    try:
        episode_from_bytes(bytes(raw), path=path)
    except ParseError:
        pass
