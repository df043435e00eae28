"""Headers on every response, hostile input that never causes a 500, no inline code or styles."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from webtools import BAKERY, BASE_CSP, assert_secure

HOSTILE_QUERIES = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "*a*",
    "*",
    "[a TO z]",
    "word~9",
    "(" * 2000,
    ")" * 50,
    "x" * 1_000_000,
    '"unclosed phrase',
    "AND OR NOT",
    "title:",
    "tag:*",
    "\x00\x01\x7f",
    "🙂" * 20,
    "a" * 301,
    "%",
    "\\",
]
HOSTILE_PARAMS = [
    "page=-1",
    "page=abc",
    f"page={10**9}",
    f"per_page={10**6}",
    "per_page=-5",
    "sort=" + "x" * 5000,
    "tag_mode=%00",
    "tag=" + "t" * 10_000,
    "&".join(f"tag=t{i}" for i in range(300)),
    "year=1999&year=abc&category=nope",
    "library=../../etc/passwd",
    "q=a&q=b&page=1&page=2",
]


@pytest.fixture
def failing_app(app: Flask) -> Flask:
    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("a bug")

    return app


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/search?q=celery",
        BAKERY,
        "/tags/docker",
        "/api/search",
        "/healthz",
        "/opensearch.xml",
        "/static/app.css",
    ],
)
def test_security_headers_on_200(client: FlaskClient, url: str) -> None:
    with client.get(url) as response:
        assert response.status_code == 200
        assert_secure(response)


@pytest.mark.parametrize(
    "url",
    ["/nope", "/api/nope", "/search?page=abc", "/api/search?sort=bogus", "/episodes/podcast/nope"],
)
def test_security_headers_on_errors(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code in (400, 404)
    assert_secure(response)


def test_security_headers_on_500(failing_app: Flask) -> None:
    client = failing_app.test_client()
    response = client.get("/boom")
    assert response.status_code == 500
    assert_secure(response)
    assert "a bug" not in response.get_data(as_text=True)
    assert "Something went wrong" in response.get_data(as_text=True)


def test_media_src_follows_where_the_audio_is(site_client: FlaskClient) -> None:
    # Episodes whose audio lives on another host need that host allowed, and only that host.
    csp = site_client.get(BAKERY).headers["Content-Security-Policy"]
    assert csp == f"{BASE_CSP}; media-src 'self' https://media.example.org"


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        (
            "https://cdn.example.net/podcast/",
            f"{BASE_CSP}; media-src 'self' https://cdn.example.net",
        ),
        ("/audio", BASE_CSP),
    ],
)
def test_media_src_with_audio_base_url(site_index: Path, base: str, expected: str) -> None:
    from conftest import make_app

    for configured in make_app(site_index, AUDIO_BASE_URL=base):
        response = configured.test_client().get(BAKERY)
        assert response.headers["Content-Security-Policy"] == expected


@pytest.mark.parametrize("q", HOSTILE_QUERIES, ids=lambda q: repr(q[:12]))
def test_hostile_queries_never_fail(client: FlaskClient, q: str) -> None:
    encoded = quote(q)
    for url in (f"/search?q={encoded}", f"/api/search?q={encoded}", f"/search.atom?q={encoded}"):
        response = client.get(url)
        assert response.status_code in (200, 400, 414), url[:80]  # 414: over 8 KiB
        if url.startswith("/api/"):
            # JSON may echo the words back: it is served as JSON with nosniff, never as HTML.
            assert response.content_type == "application/json"
            if response.status_code != 200:
                assert set(response.get_json()["error"]) == {"code", "message"}
            continue
        body = response.get_data(as_text=True)
        assert "<script>alert" not in body
        assert "<img src=x" not in body


@pytest.mark.parametrize("query", HOSTILE_PARAMS, ids=lambda q: q[:24])
def test_hostile_parameters_never_fail(client: FlaskClient, query: str) -> None:
    for url in (f"/search?{query}", f"/api/search?{query}", f"/search.atom?{query}"):
        response = client.get(url)
        assert response.status_code in (200, 400, 414), url[:80]  # 414: over 8 KiB
        assert_secure(response)


def test_script_in_query_is_escaped_in_html(client: FlaskClient) -> None:
    response = client.get("/search?q=" + quote("<script>alert(1)</script>"))
    body = response.get_data(as_text=True)
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in body


def test_no_inline_scripts_styles_or_handlers(client: FlaskClient) -> None:
    """The CSP forbids them, so none may be in any page."""
    for url in (
        "/",
        "/search?q=celery&tag=docker",
        BAKERY + "?t=245",
        "/tags/celery",
        "/tags",
        "/nope",
        "/search?page=x",
    ):
        html = client.get(url).get_data(as_text=True)
        scripts = re.findall(r"<script\b[^>]*>", html)
        assert scripts == ['<script src="/static/app.js" defer>'], url
        assert "</script>" in html and html.count("</script>") == 1
        assert not re.search(r"<style\b", html), url
        assert not re.search(r"\sstyle\s*=", html), url
        assert not re.search(r"\son[a-z]+\s*=", html), url
        assert "javascript:" not in html, url


def test_static_files_are_small_and_plain(client: FlaskClient) -> None:
    with client.get("/static/app.js") as js, client.get("/static/app.css") as css:
        assert js.status_code == css.status_code == 200
        assert len(js.data) < 12_000 and len(css.data) < 16_000
        assert "import " not in js.get_data(as_text=True)  # no modules, no build step


@pytest.fixture
def hostile_index(tmp_path: Path) -> Iterator[Path]:
    """An index of one episode written by an attacker."""
    from indexer import Sources, build_index

    folder = tmp_path / "episodes"
    folder.mkdir()
    (folder / "2024-01-01-1-evil.md").write_text(
        "---\n"
        'title: "Evil <script>alert(1)</script>"\n'
        'guest: "Mallory"\n'
        'guest_website: "javascript:alert(1)"\n'
        'category: "podcast"\n'
        'mp3_duration: "10:00"\n'
        'tags: ["evil"]\n'
        "---\n\n"
        "<script>alert('intro')</script> and [a link](javascript:alert(2)) and "
        "<img src=x onerror=alert(3)> and <https://example.org/ok>\n\n"
        "## Topics Include\n\n"
        "- 1:00 -- Hello <b onclick=alert(4)>world</b> [x](JaVaScRiPt:alert(5))\n"
        "- 2:00 -- Goodbye ![pic](https://evil.example/track.png)\n",
        encoding="utf-8",
    )
    index_dir = tmp_path / "index"
    build_index(index_dir, Sources(episodes=(folder,)))
    yield index_dir


def test_hostile_episode_files_are_rendered_harmless(hostile_index: Path) -> None:
    from conftest import make_app

    for hostile_app in make_app(hostile_index):
        client = hostile_app.test_client()
        for url in (
            "/episodes/podcast/1-evil",
            "/search?q=hello",
            "/tags/evil",
            "/guests/mallory",
            "/",
        ):
            response = client.get(url)
            assert response.status_code == 200, url
            html = response.get_data(as_text=True)
            assert "<script>alert" not in html, url
            assert not re.search(r"<[a-z]+[^>]*\son[a-z]+=", html), url
            assert "javascript:" not in html.lower(), url
            assert "<img" not in html, url
        page = client.get("/episodes/podcast/1-evil").get_data(as_text=True)
        assert "<p>&lt;script&gt;alert('intro')&lt;/script&gt; and a link and &lt;img" in page
        assert "Hello &lt;b onclick=alert(4)&gt;world&lt;/b&gt; x</span>" in page
        assert 'href="https://example.org/ok"' in page
