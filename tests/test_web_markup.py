"""webapp.markup: markdown from hostile files rendered without passing any HTML through."""

from __future__ import annotations

import pytest

from webapp.markup import render, render_inline, safe_href


def test_raw_html_is_escaped() -> None:
    html = render("<script>alert(1)</script>\n\nText <b onclick=x>bold</b>")
    assert "<script>" not in html and "<b " not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b onclick=x&gt;bold&lt;/b&gt;" in html


def test_html_blocks_are_escaped_too() -> None:
    html = render("<div>\n<iframe src='https://evil.example'></iframe>\n</div>")
    assert "<iframe" not in html and "<div>" not in html
    assert "&lt;iframe" in html


@pytest.mark.parametrize(
    "source",
    [
        "[x](javascript:alert(1))",
        "[x](JavaScript:alert(1))",
        "[x]( javascript:alert(1))",
        "[x](java\tscript:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](&#x6A;avascript:alert(1))",
        "[x](&amp;#106;avascript:alert(1))",
        "[x](<javascript:alert(1)>)",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "[x](vbscript:msgbox)",
        "[x][r]\n\n[r]: javascript:alert(1)",
    ],
)
def test_links_with_unsafe_schemes_are_dropped(source: str) -> None:
    html = render(source)
    assert "href" not in html, html
    assert "x" in html  # the words stay


def test_safe_links_stay_and_autolinks_survive_escaping() -> None:
    html = render_inline("see <https://example.org/a?b=1&c=2> and [mail](mailto:a@example.org)")
    assert '<a href="https://example.org/a?b=1&amp;c=2" rel="nofollow noopener">' in html
    assert '<a href="mailto:a@example.org">mail</a>' in html


def test_relative_links_resolve_on_the_source_page() -> None:
    html = render_inline(
        "[work with me](/work-together)", base_url="https://site.example/podcast/1"
    )
    assert 'href="https://site.example/work-together"' in html
    assert 'href="/work-together"' in render_inline("[w](/work-together)")


def test_images_become_their_alt_text() -> None:
    html = render("Before ![a tracking pixel](https://evil.example/p.png) after")
    assert "<img" not in html
    assert "Before a tracking pixel after" in html


def test_entities_are_kept_and_code_is_escaped_once() -> None:
    assert render_inline("R&amp;D &amp; ops") == "R&amp;D &amp; ops"
    assert render_inline("Tom & Jerry") == "Tom &amp; Jerry"
    assert render_inline("run `a < b && c`") == "run <code>a &lt; b &amp;&amp; c</code>"


def test_inline_rendering_drops_the_paragraph() -> None:
    assert render_inline("**bold** move") == "<strong>bold</strong> move"
    assert render_inline("one\n\ntwo").count("<p>") == 2


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("https://a.example/", "https://a.example/"),
        ("http://a.example/x?y=1&amp;z=2", "http://a.example/x?y=1&z=2"),
        ("mailto:x@example.org", "mailto:x@example.org"),
        ("/relative", "/relative"),
        ("#anchor", "#anchor"),
        ("javascript:alert(1)", None),
        ("\x01javascript:alert(1)", None),
        ("file:///etc/passwd", None),
    ],
)
def test_safe_href(href: str, expected: str | None) -> None:
    assert safe_href(href) == expected
