"""The web app in a real browser: Debian's Chromium, driven by Playwright, against a live server.

Live search, facets without reloads, timestamps that play the audio from their moment, the
keyboard, the pages without JavaScript, and axe-core's accessibility rules. Every page a test
opens is watched: a console error, an uncaught exception or a Content-Security-Policy violation
fails the test. Tools that are missing skip these tests (see browser_support.unavailable).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest
from browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    REQUIRE_ENV,
    LiveServer,
    axe_source,
    executable,
    unavailable,
)
from webtools import BAKERY, WEATHER

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # skipped or failed by the `browser` fixture, with the reason
    expect = sync_playwright = None  # type: ignore[assignment]
    PlaywrightError = Exception  # type: ignore[assignment,misc]

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Request

# Episode 1's moments used below: 12:14 runs to 14:47, 28:44 to 31:27.
REDIS_MOMENT = 734
REDIS_MOMENT_END = 887
DEPLOY_MOMENT = 1724
MATCH_REDIS = re.compile(r"episodes? match\s+redis")  # <q> draws the quotes with CSS
# What j and k move between (MOMENT_LINKS in app.js).
MOMENT_LINKS = ".moment a.timestamp, .moment a.question, .qa .moment a.anchor"
# Set to a folder to keep screenshots of what the tests saw (not part of the checks).
SCREENSHOTS = os.environ.get("SHOWNOTES_SCREENSHOTS")

# Reports every CSP violation of every document of the context back to the test.
RECORD_VIOLATIONS = """
window.shownotesViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const text =
    `${event.effectiveDirective} refused ${event.blockedURI || "inline code"} on ${location.href}`;
  window.shownotesViolations.push(text);
  window.shownotesViolation(text);
}, true);
"""
# Playing from `start`: not paused, and a stretch of played time begins within a second of it.
PLAYING_FROM = """
(start) => {
  const audio = document.getElementById("player");
  if (!audio || audio.paused || audio.seeking || audio.readyState < 3) return false;
  for (let i = 0; i < audio.played.length; i++) {
    const from = audio.played.start(i);
    if (from >= start && from < start + 1 && audio.played.end(i) > from) return true;
  }
  return false;
}
"""


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium for the whole session; every test gets its own context."""
    executable(CHROMIUM)
    if sync_playwright is None:
        unavailable("the playwright package is not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Tab:
    """A page and everything that went wrong on it."""

    page: Page
    problems: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)  # full page loads, by URL

    def assert_clean(self) -> None:
        assert self.problems == [], "\n".join(self.problems)

    def mark(self) -> None:
        """Mark the current document; `assert_same_document` fails after a full page load."""
        self.page.evaluate("window.shownotesMark = 'unchanged'")
        self.documents.clear()

    def assert_same_document(self) -> None:
        assert self.page.evaluate("window.shownotesMark") == "unchanged"
        assert self.documents == []


def open_tab(context: BrowserContext) -> Tab:
    page = context.new_page()
    tab = Tab(page)

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            tab.problems.append(f"console error: {message.text} ({message.location})")

    def request(sent: Request) -> None:
        if sent.resource_type == "document" and sent.frame == page.main_frame:
            tab.documents.append(sent.url)

    context.expose_function("shownotesViolation", lambda text: tab.problems.append(f"CSP: {text}"))
    context.add_init_script(RECORD_VIOLATIONS)
    page.on("console", console)
    page.on("pageerror", lambda error: tab.problems.append(f"uncaught: {error}"))
    page.on("request", request)
    return tab


def new_context(browser: Browser, live_server: LiveServer, **options: Any) -> BrowserContext:
    context = browser.new_context(base_url=live_server.url, **options)
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def tab(browser: Browser, live_server: LiveServer) -> Iterator[Tab]:
    context = new_context(browser, live_server)
    opened = open_tab(context)
    yield opened
    context.close()
    opened.assert_clean()


@pytest.fixture
def no_js_tab(browser: Browser, live_server: LiveServer) -> Iterator[Tab]:
    context = new_context(browser, live_server, java_script_enabled=False)
    opened = open_tab(context)
    yield opened
    context.close()
    opened.assert_clean()


def screenshot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


# --- the harness sees what it should ---------------------------------------------------------


def test_missing_tool_skips_here_and_fails_where_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-such-browser is not installed"):
        executable("no-such-browser")
    monkeypatch.setenv(REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match=f"{REQUIRE_ENV}=1 requires"):
        executable("no-such-browser")


def test_harness_reports_csp_violations_and_console_errors(tab: Tab) -> None:
    page = tab.page
    page.goto("/search?q=redis")
    tab.assert_clean()
    # An inline script is what the policy forbids: the violation must reach the test.
    try:
        page.add_script_tag(content="window.injected = true")
    except PlaywrightError:
        pass
    page.wait_for_function("window.shownotesViolations.length > 0")
    assert page.evaluate("window.injected") is None
    assert any(p.startswith("CSP: script-src-elem refused inline") for p in tab.problems), (
        tab.problems
    )
    # And a script error reaches it as well.
    page.evaluate("setTimeout(() => { throw new Error('boom'); })")
    page.wait_for_function("new Promise((done) => setTimeout(() => done(true), 50))")
    assert any("boom" in p for p in tab.problems), tab.problems
    tab.problems.clear()


# --- live search and facets ------------------------------------------------------------------


def test_typing_searches_as_you_type_without_a_page_load(tab: Tab) -> None:
    page = tab.page
    page.goto("/search")
    tab.mark()
    searches: list[str] = []

    def fetched(sent: Request) -> None:
        if sent.resource_type == "fetch" and urlsplit(sent.url).path == "/search":
            searches.append(sent.url)

    page.on("request", fetched)

    page.locator("#q").press_sequentially("redis")

    expect(page.locator("#results .summary")).to_contain_text(MATCH_REDIS)
    expect(page.locator("#results .hit").first).to_be_visible()
    expect(page.locator("#results .hit mark").first).to_have_text(re.compile("redis", re.I))
    expect(page).to_have_url(re.compile(r"/search\?q=redis$"))
    expect(page).to_have_title(re.compile("^redis – Search"))
    # The live region tells screen readers what changed.
    expect(page.locator("#status")).to_contain_text(MATCH_REDIS)
    # Debounced: one request per pause in typing, not one per key.
    assert 1 <= len(searches) < len("redis"), searches
    assert query(searches[-1]) == {"q": ["redis"]}
    tab.assert_same_document()

    # What the script swapped in is what the server renders for that URL.
    shown = page.locator("#results .hit-title").all_inner_texts()
    page.reload()
    assert page.locator("#results .hit-title").all_inner_texts() == shown


def test_tag_facet_filters_in_place_and_back_undoes_it(tab: Tab) -> None:
    page = tab.page
    page.goto("/search?q=redis")
    before = page.locator("#results .hit-title").all_inner_texts()
    celery = page.locator("#facets .facet-tag a").filter(
        has=page.locator(".label", has_text=re.compile("^celery$"))
    )
    count = int(celery.locator(".count").inner_text())
    assert 0 < count < len(before)
    tab.mark()

    celery.click()

    expect(page).to_have_url(re.compile(r"[?&]tag=celery(&|$)"))
    expect(page.locator(".chips .chip")).to_contain_text("Tag: celery")
    expect(page.locator("#results .hit")).to_have_count(count)
    expect(celery).to_have_class(re.compile(r"\bselected\b"))
    for hit in page.locator("#results .hit").all():
        expect(hit.locator(".tags")).to_contain_text("celery")
    # The search box keeps the filter for the next words typed.
    expect(page.locator("#filters input[name=tag]")).to_have_value("celery")
    assert query(page.url) == {"q": ["redis"], "tag": ["celery"]}
    tab.assert_same_document()
    screenshot(page, "search-facet-selected")

    page.go_back()

    expect(page).to_have_url(re.compile(r"/search\?q=redis$"))
    expect(page.locator(".chips")).to_have_count(0)
    expect(page.locator("#results .hit")).to_have_count(len(before))
    tab.assert_same_document()


def test_keyboard_user_keeps_their_place_when_filtering(tab: Tab) -> None:
    page = tab.page
    page.goto("/search?q=redis")
    tab.mark()
    celery = page.locator("#facets .facet-tag a").filter(
        has=page.locator(".label", has_text=re.compile("^celery$"))
    )
    celery.focus()

    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"tag=celery"))
    # Focus is on the new copy of the link just followed, not back at the top of the page.
    expect(celery).to_have_class(re.compile(r"\bselected\b"))
    expect(celery).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=redis$"))
    expect(celery).to_be_focused()

    # A chip goes away when followed: focus moves to the results it changed.
    page.goto("/search?q=redis&tag=celery&tag=docker")
    page.locator(".chips .chip", has_text="docker").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=redis&tag=celery$"))
    expect(page.locator(".chips .chip")).to_have_count(1)
    expect(page.locator("#results")).to_be_focused()
    page.keyboard.press("Tab")  # on to the first link of the new results
    expect(page.locator("#results a").first).to_be_focused()


# --- timestamps play the audio ---------------------------------------------------------------


def wait_until_playing_from(page: Page, start: int) -> None:
    page.wait_for_function(PLAYING_FROM, arg=start)
    now = page.evaluate("document.getElementById('player').currentTime")
    assert start <= now < start + 5


def test_timestamp_click_plays_from_its_moment(tab: Tab) -> None:
    page = tab.page
    page.goto(BAKERY)
    expect(page.locator("#player")).to_have_js_property("readyState", 4)  # HAVE_ENOUGH_DATA
    tab.mark()

    page.locator(f'a.timestamp[data-start="{REDIS_MOMENT}"]').click()

    wait_until_playing_from(page, REDIS_MOMENT)
    expect(page).to_have_url(re.compile(rf"\?t={REDIS_MOMENT}#at-{REDIS_MOMENT}$"))
    row = page.locator(f"#at-{REDIS_MOMENT}")
    expect(row).to_have_attribute("aria-current", "true")
    expect(row).to_have_class(re.compile(r"\bcurrent\b"))

    page.locator(f'a.timestamp[data-start="{DEPLOY_MOMENT}"]').click()

    wait_until_playing_from(page, DEPLOY_MOMENT)
    expect(page.locator(f"#at-{DEPLOY_MOMENT}")).to_have_attribute("aria-current", "true")
    expect(page.locator(".moment[aria-current]")).to_have_count(1)
    tab.assert_same_document()
    tab.assert_clean()


def test_moment_link_plays_from_it_and_other_timestamps_still_seek(tab: Tab) -> None:
    page = tab.page
    page.goto(f"{BAKERY}?t={REDIS_MOMENT}#at-{REDIS_MOMENT}")
    # The media fragment (#t=start,end) starts it there; the script presses play.
    src = page.locator("#player source").get_attribute("src") or ""
    assert src.endswith(f"#t={REDIS_MOMENT},{REDIS_MOMENT_END}")
    wait_until_playing_from(page, REDIS_MOMENT)
    expect(page.locator(f"#at-{REDIS_MOMENT}")).to_be_in_viewport()
    tab.mark()

    # Another moment, past the fragment's end: the player must not stop at 14:47.
    page.locator(f'a.timestamp[data-start="{DEPLOY_MOMENT}"]').click()

    wait_until_playing_from(page, DEPLOY_MOMENT)
    tab.assert_same_document()


# --- keyboard --------------------------------------------------------------------------------


def focused_moment(page: Page) -> str | None:
    value: str | None = page.evaluate(
        "(links) => document.activeElement.matches(links) ? document.activeElement.href : null",
        MOMENT_LINKS,
    )
    return value


def test_keyboard_moves_between_moments_on_the_search_page(tab: Tab) -> None:
    page = tab.page
    page.goto("/search?q=redis")
    links = page.locator(MOMENT_LINKS).evaluate_all("links => links.map(a => a.href)")
    assert len(links) >= 3
    box = page.locator("#q")
    page.locator("h1").click()  # focus nowhere in particular

    page.keyboard.press("/")
    expect(box).to_be_focused()
    assert box.evaluate("box => box.selectionStart === 0 && box.selectionEnd === box.value.length")

    page.keyboard.press("ArrowDown")
    assert focused_moment(page) == links[0]
    page.keyboard.press("j")
    assert focused_moment(page) == links[1]
    page.keyboard.press("ArrowDown")
    assert focused_moment(page) == links[2]
    page.keyboard.press("k")
    assert focused_moment(page) == links[1]
    page.keyboard.press("ArrowUp")
    assert focused_moment(page) == links[0]
    page.keyboard.press("k")
    expect(box).to_be_focused()
    expect(box).to_have_value("redis")  # j and k above typed nothing


def test_keyboard_plays_a_moment_on_the_episode_page(tab: Tab) -> None:
    page = tab.page
    page.goto(BAKERY)
    starts = page.locator(".notes-list a.timestamp").evaluate_all(
        "links => links.map(a => Number(a.dataset.start))"
    )
    page.locator("h1").click()
    for _ in range(starts.index(REDIS_MOMENT) + 1):
        page.keyboard.press("j")
    focused = page.locator(f'a.timestamp[data-start="{REDIS_MOMENT}"]')
    expect(focused).to_be_focused()
    expect(page.locator(f"#at-{REDIS_MOMENT}")).to_be_in_viewport()

    page.keyboard.press("Enter")

    wait_until_playing_from(page, REDIS_MOMENT)
    page.keyboard.press("/")
    expect(page.locator("header #q")).to_be_focused()


def test_keyboard_moves_between_the_questions_of_an_interview(tab: Tab) -> None:
    page = tab.page
    page.goto(WEATHER)
    questions = page.locator(".qa .moment a.anchor")
    assert questions.count() >= 2
    page.keyboard.press("j")
    expect(questions.nth(0)).to_be_focused()
    page.keyboard.press("j")
    expect(questions.nth(1)).to_be_focused()
    expect(questions.nth(1)).to_be_in_viewport()
    page.keyboard.press("k")
    expect(questions.nth(0)).to_be_focused()


# --- without JavaScript ----------------------------------------------------------------------


def test_timestamp_without_javascript_opens_the_moment(no_js_tab: Tab) -> None:
    page = no_js_tab.page
    page.goto(BAKERY)
    link = page.locator(f'a.timestamp[data-start="{REDIS_MOMENT}"]')
    assert link.get_attribute("data-end") == str(REDIS_MOMENT_END)

    link.click()

    page.wait_for_url(re.compile(rf"\?t={REDIS_MOMENT}#at-{REDIS_MOMENT}$"))
    assert no_js_tab.documents  # a real page load
    src = page.locator("#player source").get_attribute("src")
    assert src == f"/audio/shipping-it-live-1.mp3#t={REDIS_MOMENT},{REDIS_MOMENT_END}"
    row = page.locator(f"#at-{REDIS_MOMENT}")
    expect(row).to_have_class(re.compile(r"\bcurrent\b"))
    expect(row).to_have_attribute("aria-current", "true")
    expect(page.locator(".moment.current")).to_have_count(1)
    expect(row).to_be_in_viewport()
    # Highlighted: the current row's background differs from its neighbours'.
    colours = [
        page.locator(f"#at-{start}").evaluate("row => getComputedStyle(row).backgroundColor")
        for start in (REDIS_MOMENT, REDIS_MOMENT_END)
    ]
    assert colours[0] != colours[1]
    # The browser itself starts the audio at the fragment's start.
    expect(page.locator("#player")).to_have_js_property("currentTime", REDIS_MOMENT)


def test_search_and_facets_without_javascript(no_js_tab: Tab) -> None:
    page = no_js_tab.page
    page.goto("/search")
    page.locator("#q").fill("redis")
    page.locator("#q").press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=redis$"))
    expect(page.locator("#results .summary")).to_contain_text(MATCH_REDIS)

    page.locator("#facets .facet-tag a", has_text=re.compile(r"^\s*celery\b")).click()

    page.wait_for_url(re.compile(r"tag=celery"))
    expect(page.locator(".chips .chip")).to_contain_text("Tag: celery")
    assert len(no_js_tab.documents) == 3


# --- accessibility (axe-core) and layout -----------------------------------------------------

AXE_PAGES = [
    "/",
    "/search?q=redis",
    "/search?q=redis&tag=celery&tag=docker",
    BAKERY,
    f"{BAKERY}?t={REDIS_MOMENT}#at-{REDIS_MOMENT}",
    "/tags/redis",
]


@pytest.fixture(scope="module")
def axe() -> str:
    return axe_source()


@pytest.mark.parametrize("url", AXE_PAGES)
def test_no_serious_accessibility_violations(
    axe: str, browser: Browser, live_server: LiveServer, url: str
) -> None:
    context = new_context(browser, live_server)
    context.add_init_script(axe)  # scripts added this way are not subject to the page's CSP
    tab = open_tab(context)
    try:
        tab.page.goto(url)
        violations: list[dict[str, Any]] = tab.page.evaluate(
            """async () => {
              const found = await axe.run(document, { resultTypes: ["violations"] });
              return found.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map((n) => n.target.join(" ") + ": " + n.failureSummary),
              }));
            }"""
        )
    finally:
        context.close()
    tab.assert_clean()
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    report = "\n".join(f"{v['id']} ({v['impact']}): {v['help']}\n  {v['nodes']}" for v in serious)
    assert not serious, report


@pytest.mark.parametrize("width", [360, 1280])
def test_search_page_fits_the_screen(browser: Browser, live_server: LiveServer, width: int) -> None:
    context = new_context(browser, live_server, viewport={"width": width, "height": 800})
    tab = open_tab(context)
    try:
        page = tab.page
        page.goto("/search?q=redis&tag=celery&tag=docker&library=celery/celery")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow == 0
        # Nothing sticks out of its own box either: long titles and facet labels wrap.
        wider = page.evaluate(
            """(limit) => Array.from(document.querySelectorAll("body *"))
                 .filter((e) => e.getBoundingClientRect().right > limit + 0.5)
                 .map((e) => e.tagName + "." + e.className)""",
            width,
        )
        assert wider == []
        expect(page.locator("#facets .facet-tag a.selected")).to_have_count(2)
        screenshot(page, f"search-facets-{width}")
    finally:
        context.close()
    tab.assert_clean()
