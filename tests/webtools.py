"""Small helpers for the web app tests: reading pages without a browser."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from werkzeug.test import TestResponse

BAKERY = "/episodes/podcast/1-a-bakery-ordering-app-on-a-single-vps"
WEATHER = "/episodes/interviews/1-a-weather-station-dashboard-interview"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}
BASE_CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"


class Elements(HTMLParser):
    """Every start tag of a page with its attributes, and the page's text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(response: TestResponse) -> Elements:
    found = Elements()
    found.feed(response.get_data(as_text=True))
    return found


def find(response: TestResponse, tag: str, **attrs: str) -> list[dict[str, str | None]]:
    """Elements with this tag whose attributes include these values (`class_` for class)."""
    wanted = {name.rstrip("_"): value for name, value in attrs.items()}
    return [
        found
        for name, found in parse(response).tags
        if name == tag and all(_matches(found.get(k), v, k) for k, v in wanted.items())
    ]


def _matches(actual: str | None, wanted: str, name: str) -> bool:
    if actual is None:
        return False
    return wanted in actual.split() if name == "class" else actual == wanted


def text(response: TestResponse) -> str:
    return re.sub(r"\s+", " ", "".join(parse(response).text))


def hrefs(response: TestResponse, **attrs: str) -> list[str]:
    return [str(a["href"]) for a in find(response, "a", **attrs) if a.get("href")]


def assert_secure(response: TestResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name
    assert response.headers["Content-Security-Policy"].startswith(BASE_CSP)
