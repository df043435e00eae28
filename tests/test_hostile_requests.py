"""Hostile requests on the real corpus: each a clear 4xx or a bounded answer, in under 0.5 s.

tests/test_web_security.py and tests/test_web_api.py check the same kinds of request on the
sample episodes for status codes and escaping; here every one also runs against the index of
the real Running in Production corpus, is timed on the server side (the WSGI call itself, not
the test client's URL handling), must carry the security headers and the right content type,
and paths that try to leave the index must not reach the file system at all.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from webtools import BASE_CSP, SECURITY_HEADERS
from werkzeug.test import EnvironBuilder

import webapp
from webapp import create_app

SECONDS = 0.5  # the promise: every hostile request answered within this, on the real corpus
MEGABYTE = 1_000_000


@dataclass(frozen=True)
class Served:
    status: int
    headers: dict[str, str]
    body: str
    seconds: float

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")


def serve(app: Flask, path: str, query: str = "") -> Served:
    """One request through the WSGI app, timed from the call to the last byte of the body."""
    environ = EnvironBuilder(path=path, query_string=query, base_url="http://127.0.0.1/")
    prepared = environ.get_environ()
    environ.close()
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], _: object = None) -> None:
        captured["status"] = int(status.split(" ", 1)[0])
        captured["headers"] = dict(headers)

    started = time.perf_counter()
    chunks = app(prepared, start_response)
    try:
        body = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    seconds = time.perf_counter() - started
    return Served(captured["status"], captured["headers"], body.decode("utf-8"), seconds)


def timed(app: Flask, path: str, query: str = "") -> Served:
    """`serve`, repeated up to three times for refusals while slower than the bound.

    Refusals are never cached, so a repeat costs what the first did and only machine noise
    differs; answers (200) are measured once, cold, since a repeat would come from the cache.
    """
    served = serve(app, path, query)
    for _ in range(2):
        if served.status == 200 or served.seconds < SECONDS:
            break
        again = serve(app, path, query)
        served = again if again.seconds < served.seconds else served
    return served


def assert_secure(served: Served) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert served.headers.get(name) == value, name
    assert served.headers["Content-Security-Policy"].startswith(BASE_CSP)


@pytest.fixture(scope="module")
def corpus_app(corpus_index: Path) -> Iterator[Flask]:
    app = create_app({"TESTING": True, "INDEX_DIR": str(corpus_index), "QUERY_LOG": ""})
    # A server that has answered before: templates compiled, the generation open.
    for path, query in (("/", ""), ("/search", "q=docker"), ("/search", "q=*"), ("/nope", "")):
        serve(app, path, query)
    serve(app, "/api/search", "q=redis")
    serve(app, "/search.atom", "q=redis")
    yield app
    webapp.index.close(app)


# --- queries ----------------------------------------------------------------------------------

# q -> the status every search endpoint answers: 400 refused, 200 answered as plain words, 414
# refused unread (a query string over webapp.security.MAX_QUERY_STRING bytes).
HOSTILE_QUERIES = {
    "<script>alert(1)</script>": 200,
    '"><svg onload=alert(1)>': 200,
    "*a*": 400,
    "*": 400,
    "?????": 400,
    "[a TO z]": 200,  # ranges are not syntax: the words a, TO, z
    "{a TO z}": 200,
    "date:>2020": 200,
    "word~9": 400,
    "kubernetes~3": 400,
    "/.*/": 200,  # regex syntax is not syntax either: plain words, here none
    'r"de.*"': 200,
    "de.*ploy": 200,
    "(" * 2000: 400,
    ")" * 2000: 400,
    "(docker " * 9 + ")" * 9: 400,
    "x" * 5000: 400,
    "x" * MEGABYTE: 414,
    "a b " * (MEGABYTE // 4): 414,
    "(" * MEGABYTE: 414,
    "docker " * 30: 200,  # one word repeated is one term
    " ".join(f"w{n}" for n in range(30)): 400,  # more than 24 terms
    "\x00\x01\x7f\u202e": 400,
}
ENDPOINTS = {
    "/search": "text/html",
    "/api/search": "application/json",
    "/search.atom": "application/atom+xml",
}


def _ids(value: object) -> str:
    text = str(value)
    return f"{text[:16]!r}x{len(text)}" if len(text) > 16 else repr(text)


@pytest.mark.parametrize(("q", "status"), HOSTILE_QUERIES.items(), ids=_ids)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_hostile_queries_on_the_real_corpus(
    corpus_app: Flask, endpoint: str, q: str, status: int
) -> None:
    served = timed(corpus_app, endpoint, "q=" + quote(q))
    assert served.status == status
    assert served.seconds < SECONDS, f"{served.seconds:.3f} s"
    assert_secure(served)
    if endpoint == "/api/search":
        assert served.content_type == "application/json"
    elif status == 200:
        assert served.content_type.startswith(ENDPOINTS[endpoint])
    else:
        assert served.content_type.startswith("text/html")  # the explained refusal
    if endpoint != "/api/search":
        # Markup typed into the box comes back as text, never as markup.
        assert "<script>alert" not in served.body and "<svg" not in served.body
    if endpoint == "/search" and "<" in q:
        assert quote(q) not in served.body
        assert "&lt;" in served.body


def test_the_refusal_says_why_and_echoes_at_most_a_little(corpus_app: Flask) -> None:
    served = timed(corpus_app, "/search", "q=" + "x" * 5000)
    assert "5,000 characters; at most 300" in served.body
    assert served.body.count("x" * 1000) == 1 and "x" * 1001 not in served.body


def test_a_megabyte_query_string_is_refused_unread(corpus_app: Flask) -> None:
    served = timed(corpus_app, "/api/search", "q=" + "%28" * MEGABYTE)
    assert served.status == 414 and served.seconds < SECONDS
    assert '"query_string_too_long"' in served.body and "3,000,002 bytes" in served.body


# --- parameters -------------------------------------------------------------------------------

HOSTILE_PARAMETERS = [
    "page=0",
    "page=-1",
    "page=abc",
    f"page={10**9}",
    f"page={10**100}",
    "page=%201",
    "page=1.5",
    "sort=%20newest",
    "sort=" + "x" * 5000,
    "tag_mode=ALL",
    "library_mode=%00",
]


@pytest.mark.parametrize("query", HOSTILE_PARAMETERS, ids=lambda q: q[:20])
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_hostile_parameters_are_refused(corpus_app: Flask, endpoint: str, query: str) -> None:
    served = timed(corpus_app, endpoint, "q=docker&" + query)
    assert served.status == 400
    assert served.seconds < SECONDS
    assert_secure(served)
    if endpoint == "/api/search":
        assert served.content_type == "application/json"
        assert '"invalid_parameter"' in served.body


@pytest.mark.parametrize("per_page", [10**6, 0, -1])
def test_per_page_is_refused_by_the_api_and_ignored_by_the_pages(
    corpus_app: Flask, per_page: int
) -> None:
    api = timed(corpus_app, "/api/search", f"per_page={per_page}")
    assert api.status == 400 and api.seconds < SECONDS
    assert '"invalid_parameter"' in api.body
    page = timed(corpus_app, "/search", f"q=docker&per_page={per_page}")
    assert page.status == 200 and page.seconds < SECONDS
    assert 0 < page.body.count('class="hit"') <= 10
    feed = timed(corpus_app, "/search.atom", f"q=docker&per_page={per_page}")
    assert feed.status == 200 and feed.seconds < SECONDS
    assert 0 < feed.body.count("<entry>") <= 20


def test_empty_parameters_mean_the_defaults(corpus_app: Flask) -> None:
    plain = serve(corpus_app, "/api/search", "q=redis")
    blank = serve(corpus_app, "/api/search", "q=redis&page=&per_page=&sort=&tag_mode=")
    assert (plain.status, plain.body) == (blank.status, blank.body) == (200, plain.body)


def test_unknown_facet_values_find_nothing_and_stay_selected(corpus_app: Flask) -> None:
    import json

    query = "tag=no-such-tag&guest=nobody&year=1066&category=none&library=../../etc/passwd"
    served = timed(corpus_app, "/api/search", query)
    assert served.status == 200 and served.seconds < SECONDS
    document = json.loads(served.body)
    assert document["total"] == 0 and document["results"] == []
    selected = {
        (facet, v["value"], v["count"])
        for facet, values in document["facets"].items()
        for v in values
        if v["selected"]
    }
    assert selected == {
        ("tag", "no-such-tag", 0),
        ("guest", "nobody", 0),
        ("year", "1066", 0),
        ("category", "none", 0),
        ("library", "../../etc/passwd", 0),
    }
    page = timed(corpus_app, "/search", query)
    assert page.status == 200 and page.seconds < SECONDS
    assert "no-such-tag" in page.body


def test_unknown_parameters_change_nothing(corpus_app: Flask) -> None:
    plain = serve(corpus_app, "/api/search", "q=postgres")
    noisy = timed(corpus_app, "/api/search", "q=postgres&utm_source=x&" + "z" * 5000 + "=1")
    assert noisy.status == 200 and noisy.body == plain.body


@pytest.mark.parametrize("endpoint", ["/search", "/api/search"])
@pytest.mark.parametrize("facet", ["tag", "guest", "library", "year", "category"])
def test_many_filter_values_are_bounded(corpus_app: Flask, endpoint: str, facet: str) -> None:
    # Counts and toggle links grow with the square of the values selected: at most 50.
    allowed = timed(corpus_app, endpoint, "&".join(f"{facet}=v{n}" for n in range(50)))
    assert allowed.status == 200 and allowed.seconds < SECONDS
    refused = timed(corpus_app, endpoint, "&".join(f"{facet}=v{n}" for n in range(51)))
    assert refused.status == 400 and refused.seconds < SECONDS
    assert f"at most 50 {facet} values" in refused.body
    longest = timed(corpus_app, endpoint, "&".join(f"{facet}=v{n:03}" for n in range(500)))
    assert longest.status == 400 and longest.seconds < SECONDS


# --- paths that try to leave the index --------------------------------------------------------

TRAVERSALS = [
    "/episodes/../../etc/passwd",
    "/episodes/..%2F..%2Fetc%2Fpasswd",
    "/episodes/%2e%2e/%2e%2e/etc/passwd",
    "/episodes/podcast/..%2f..%2f..%2fetc%2fpasswd",
    "/episodes/podcast/%252e%252e%252fetc%252fpasswd",
    "/episodes/podcast/..%5c..%5cwindows%5cwin.ini",
    "/episodes/podcast/%00",
    "/episodes/podcast/" + "a" * 10_000,
    "/episodes/" + "b" * 5_000 + "/" + "c" * 5_000,
    "/episodes/podcast/..%2F..%2Fetc%2Fpasswd/chapters.json",
    "/api/episodes/..%2F../etc/passwd",
    "/api/episodes/podcast/" + "d" * 100_000,
    "/tags/..%2F..%2Fetc%2Fpasswd",
    "/guests/%2e%2e",
    "/libraries/../../../etc/passwd",
    "/api/libraries/..%2F..%2F..%2Fetc%2Fpasswd",
    "/audio/..%2F..%2Fetc%2Fpasswd",
    "/static/..%2F..%2Fpyproject.toml",
    "/static/../../etc/passwd",
    "/" + "e" * 50_000,
]


class FileSystemWatch:
    """Every path the process opens, lists or stats while watching."""

    _active: FileSystemWatch | None = None
    _installed = False

    def __init__(self) -> None:
        self.paths: list[str] = []

    @classmethod
    def _hook(cls, event: str, args: tuple[Any, ...]) -> None:
        watch = cls._active
        if watch is not None and event in ("open", "os.listdir", "os.scandir", "os.chdir"):
            if args and isinstance(args[0], str | bytes | os.PathLike):
                watch.paths.append(os.fsdecode(args[0]))

    def __enter__(self) -> FileSystemWatch:
        if not FileSystemWatch._installed:
            # Audit hooks cannot be removed; this one does nothing unless a watch is active.
            sys.addaudithook(FileSystemWatch._hook)
            FileSystemWatch._installed = True
        FileSystemWatch._active = self
        return self

    def __exit__(self, *exc: object) -> None:
        FileSystemWatch._active = None


@pytest.fixture
def stat_log(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """os.stat and os.lstat (not audited by Python) record their paths too."""
    touched: list[str] = []

    def recording(real: Callable[..., os.stat_result]) -> Callable[..., os.stat_result]:
        def wrapper(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
            if isinstance(path, str | bytes | os.PathLike):
                touched.append(os.fsdecode(path))
            return real(path, *args, **kwargs)

        return wrapper

    monkeypatch.setattr(os, "stat", recording(os.stat))
    monkeypatch.setattr(os, "lstat", recording(os.lstat))
    return touched


@pytest.mark.parametrize("path", TRAVERSALS, ids=lambda p: p[:48])
def test_traversal_and_overlong_paths_are_404_without_touching_files(
    corpus_app: Flask, corpus_index: Path, stat_log: list[str], path: str
) -> None:
    with FileSystemWatch() as watch:
        served = serve(corpus_app, path)
    assert served.status == 404
    assert served.seconds < SECONDS
    assert_secure(served)
    assert "root:" not in served.body and "[extensions]" not in served.body
    # The one file a request may look at is the index pointer (a stat, to follow new builds).
    touched = {str(Path(p).resolve()) for p in [*watch.paths, *stat_log]}
    assert touched <= {str((corpus_index / "CURRENT").resolve())}, touched


def test_the_watch_sees_file_access(corpus_app: Flask, stat_log: list[str], tmp_path: Path) -> None:
    """The traversal test's watch would notice a request that opened or stat-ed a file."""
    probe = tmp_path / "probe.txt"
    probe.write_text("x", encoding="utf-8")
    with FileSystemWatch() as watch:
        probe.read_text(encoding="utf-8")
        probe.exists()
    assert str(probe) in watch.paths and str(probe) in stat_log


# --- stored markup across the real corpus -----------------------------------------------------

# Everything the templates and the markdown renderer may produce; any other tag in a page came
# from an episode file and was not escaped.
ALLOWED_TAGS = frozenset(
    "html head meta title link script body header nav form label input button main article "
    "aside section footer div span p a ul ol li h1 h2 h3 h4 h5 h6 time kbd audio source code "
    "pre strong em blockquote hr dl dt dd table thead tbody tr th td".split()
)


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def test_every_real_episode_page_renders_stored_markup_as_text(corpus_app: Flask) -> None:
    import json

    listing = json.loads(serve(corpus_app, "/api/search", "per_page=50").body)
    ids: list[str] = []
    for page in range(1, listing["pages"] + 1):
        document = json.loads(serve(corpus_app, "/api/search", f"per_page=50&page={page}").body)
        ids += [r["episode"]["id"] for r in document["results"]]
    assert len(ids) == listing["total"] > 100
    slowest = 0.0
    for episode_id in ids:
        served = serve(corpus_app, f"/episodes/{episode_id}")
        assert served.status == 200, episode_id
        slowest = max(slowest, served.seconds)
        parser = Tags()
        parser.feed(served.body)
        names = {tag for tag, _ in parser.found}
        assert names <= ALLOWED_TAGS, (episode_id, names - ALLOWED_TAGS)
        for tag, attributes in parser.found:
            assert not any(name.startswith("on") for name in attributes), (episode_id, tag)
            assert "style" not in attributes, (episode_id, tag)
            href = (attributes.get("href") or "").strip().lower()
            assert not href.startswith(("javascript:", "data:", "vbscript:")), episode_id
        scripts = [a.get("src") for tag, a in parser.found if tag == "script"]
        assert scripts == ["/static/app.js"], episode_id
        api = serve(corpus_app, f"/api/episodes/{episode_id}")
        assert api.status == 200 and api.content_type == "application/json"
    assert slowest < SECONDS, f"slowest episode page {slowest:.3f} s"
