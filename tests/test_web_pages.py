"""The server-rendered pages, read through the Flask test client (no JavaScript involved)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from webtools import BAKERY, WEATHER, find, hrefs, text
from werkzeug.test import TestResponse


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def total_of(response: TestResponse) -> int:
    """The number of episodes the results summary announces."""
    html = response.get_data(as_text=True)
    summary = re.search(r'<p class="summary">\s*([^<]*)', html)
    assert summary, "the page has a results summary"
    if summary.group(1).startswith("No episodes"):
        return 0
    number = re.match(r"([\d,]+) episodes?", summary.group(1))
    assert number, summary.group(1)
    return int(number.group(1).replace(",", ""))


# --- home ------------------------------------------------------------------------------------


def test_home_has_search_box_top_values_and_newest_episodes(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert find(response, "form", action="/search", method="get")
    assert find(response, "input", id="q", name="q")
    assert find(response, "label", **{"for": "q"})
    links = hrefs(response)
    assert "/tags/docker" in links  # docker is on every sample episode
    assert "/guests/ines-marquez" in links
    assert "/libraries/celery/celery" in links
    # The newest episode first (13, 2 Jun 2025), with its date written out.
    newest = re.findall(r'<h3 class="card-title"><a href="([^"]+)"', html)
    assert newest[0] == "/episodes/podcast/13-a-community-library-catalog-leaves-heroku-for-a-vps"
    assert len(newest) == 6
    assert "2 Jun 2025" in text(response)
    # Counts are shown beside the values: docker is on all 15 episodes.
    assert re.search(
        r'href="/tags/docker"><span class="label">docker</span> <span class="count">15<', html
    )


def test_page_structure_is_accessible(client: FlaskClient) -> None:
    for url in ("/", "/search?q=flask", BAKERY, "/tags/docker", "/tags"):
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert '<html lang="en">' in html, url
        assert 'class="skip-link" href="#main"' in html, url
        for landmark in ("<header", "<nav", '<main id="main"', "<footer"):
            assert landmark in html, (url, landmark)
        assert len(find(response, "h1")) == 1, url
        assert len(find(response, "input", id="q")) == 1, url


def test_pages_link_the_opensearch_description(client: FlaskClient) -> None:
    response = client.get("/")
    [link] = find(response, "link", rel="search")
    assert link["href"] == "/opensearch.xml"
    assert link["type"] == "application/opensearchdescription+xml"


# --- search ----------------------------------------------------------------------------------


def test_search_groups_moments_under_episodes(client: FlaskClient) -> None:
    response = client.get("/search?q=celery")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert find(response, "input", id="q", value="celery")
    assert total_of(response) == 5
    assert len(find(response, "li", class_="hit")) == 5
    moments = find(response, "a", class_="timestamp")
    assert moments, "a matching moment is listed"
    for moment in moments:
        start = moment["data-start"]
        assert start is not None and start.isdigit()
        assert moment["href"] == f"{urlsplit(str(moment['href'])).path}?t={start}#at-{start}"
        assert str(moment["href"]).startswith("/episodes/")
    assert "<mark>celery</mark>" in html.lower()
    assert 'href="' + BAKERY + '"' in html


def test_search_highlight_is_the_only_unescaped_text(client: FlaskClient) -> None:
    response = client.get("/search?q=%3Cscript%3Ealert(1)%3C/script%3E")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_facet_links_toggle_filters_and_counts_agree(client: FlaskClient) -> None:
    response = client.get("/search?q=deploy")
    facets = find(response, "section", class_="facet")
    assert {f["class"] for f in facets} >= {"facet facet-tag", "facet facet-year"}
    html = response.get_data(as_text=True)
    pattern = (
        r'<a href="(/search\?[^"]+)" rel="nofollow">'
        r'<span class="label">([^<]+)</span> <span class="count">(\d+)</span>'
    )
    links = re.findall(pattern, html)
    assert len(links) > 5
    for url, _label, count in links[:8]:
        followed = client.get(url.replace("&amp;", "&"))
        assert followed.status_code == 200
        assert total_of(followed) == int(count), url


def test_selected_filters_show_as_removable_chips(client: FlaskClient) -> None:
    response = client.get("/search?q=deploy&tag=docker&guest=ines-marquez")
    chips = find(response, "a", class_="chip")
    assert len(chips) == 2
    removals = [query_of(str(chip["href"])) for chip in chips]
    assert {"q": ["deploy"], "guest": ["ines-marquez"]} in removals
    assert {"q": ["deploy"], "tag": ["docker"]} in removals
    [clear] = find(response, "a", class_="clear")
    assert query_of(str(clear["href"])) == {"q": ["deploy"]}
    # The form carries the filters along when the words change.
    hidden = find(response, "input", type="hidden")
    assert {(h["name"], h["value"]) for h in hidden} == {
        ("tag", "docker"),
        ("guest", "ines-marquez"),
    }


def test_tag_mode_switch_links(client: FlaskClient) -> None:
    response = client.get("/search?tag=celery&tag=redis")
    modes = find(response, "p", class_="modes")
    assert modes, "tags and libraries offer all of / any of once one is selected"
    any_links = [h for h in hrefs(response) if "tag_mode=any" in h]
    assert any_links
    wide = client.get(any_links[0].replace("&amp;", "&"))
    assert total_of(wide) > total_of(response)
    html = response.get_data(as_text=True)
    tag_modes = html[html.index('class="facet facet-tag"') :].split("</p>")[0]
    # "all of" is the default, so it is the current one.
    assert re.search(r'aria-current="true" class="current">all of</a>', tag_modes)
    assert "tag_mode=any" in tag_modes


def test_sort_links_and_newest_order(client: FlaskClient) -> None:
    response = client.get("/search?sort=newest")
    sorts = find(response, "nav", class_="sort")
    assert sorts
    titles = re.findall(r'<h2 class="hit-title"><a href="([^"]+)"', response.get_data(as_text=True))
    assert titles[0] == "/episodes/podcast/13-a-community-library-catalog-leaves-heroku-for-a-vps"
    oldest = client.get("/search?sort=oldest").get_data(as_text=True)
    assert re.findall(r'<h2 class="hit-title"><a href="([^"]+)"', oldest)[0] == BAKERY


def test_numbered_pagination_with_a_window(client: FlaskClient) -> None:
    from webapp.views import page_window

    assert page_window(5, 12, radius=1) == [1, None, 4, 5, 6, None, 12]
    assert page_window(1, 3) == [1, 2, 3]
    assert page_window(3, 12, radius=1) == [1, 2, 3, 4, None, 12]
    response = client.get("/search?page=2")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    pagination = html[html.index('class="pagination"') :]
    assert re.findall(r'<a href="([^"]+)" aria-current="page">', pagination) == ["/search?page=2"]
    assert find(response, "a", rel="prev")
    assert "/search" in hrefs(response, rel="prev")[0]
    assert not find(response, "a", rel="next")  # 15 episodes, 10 a page


def test_did_you_mean_links_the_corrected_search(client: FlaskClient) -> None:
    response = client.get("/search?q=flsk&tag=python")
    [suggestion] = find(response, "p", class_="suggestion")
    assert suggestion is not None
    assert "/search?q=flask&amp;tag=python" in response.get_data(as_text=True)


def test_empty_state_suggests_removing_filters_and_popular_tags(client: FlaskClient) -> None:
    response = client.get("/search?q=croissants&tag=elixir")
    assert response.status_code == 200
    page = text(response)
    assert "No episodes match" in page
    assert "Remove a filter" in page
    assert "/search?q=croissants" in hrefs(response)
    assert "Popular tags" in page
    assert "/tags/docker" in hrefs(response)


def test_long_facet_lists_fold_the_rest(client: FlaskClient) -> None:
    response = client.get("/search")
    html = response.get_data(as_text=True)
    tags = html[html.index('class="facet facet-tag"') : html.index('class="facet facet-guest"')]
    assert "<details>" in tags
    top = tags[: tags.index("<details>")]
    assert top.count('<span class="count">') == 12


def test_refused_query_is_explained_in_the_page(client: FlaskClient) -> None:
    response = client.get("/search?q=*a*")
    assert response.status_code == 400
    assert "wildcards" in text(response)
    assert find(response, "input", id="q", value="*a*")


def test_bad_parameters_on_the_page_answer_400(client: FlaskClient) -> None:
    for query in ("page=abc", "page=0", "page=-1", "sort=bogus", "tag_mode=x", f"page={10**9}"):
        response = client.get(f"/search?{query}")
        assert response.status_code == 400, query
        assert find(response, "div", role="alert"), query


def test_partial_answer_for_the_script(client: FlaskClient) -> None:
    response = client.get("/search?q=flask", headers={"X-Requested-With": "fetch"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html
    assert {e["id"] for e in find(response, "div") if e.get("id")} >= {
        "filters",
        "results",
        "facets",
    }
    assert "X-Requested-With" in response.headers["Vary"]
    assert "<html" in client.get("/search?q=flask").get_data(as_text=True)


# --- episodes --------------------------------------------------------------------------------


def test_episode_page_links_every_moment(client: FlaskClient) -> None:
    response = client.get(BAKERY)
    assert response.status_code == 200
    moments = find(response, "a", class_="timestamp")
    assert len(moments) == 17
    assert moments[0]["href"] == f"{BAKERY}?t=102#at-102"
    assert moments[0]["data-start"] == "102"
    assert find(response, "li", id="at-102")
    assert not [li for li in find(response, "li") if li.get("aria-current")]
    page = text(response)
    assert "1:42" in page and "16 Jan 2023" in page and "43 min" in page


def test_episode_page_renders_intro_markdown_and_details(client: FlaskClient) -> None:
    response = client.get(BAKERY)
    html = response.get_data(as_text=True)
    assert "<strong>Flask</strong>" in html
    assert 'href="https://www.digitalocean.com/"' in html
    assert "/guests/ines-marquez" in hrefs(response)
    assert "/tags/celery" in hrefs(response)
    assert "/libraries/celery/celery" in hrefs(response)
    assert "https://github.com/celery/celery" in hrefs(response)
    # Previous/next in the same category, and related episodes.
    assert hrefs(response, rel="next") == [
        "/episodes/podcast/2-selling-tickets-for-indie-theaters-with-rails"
    ]
    assert not find(response, "a", rel="prev")
    assert "/episodes/podcast/8-the-bakery-app-grows-into-three-shops" in hrefs(response)


def test_episode_without_audio_has_no_player(client: FlaskClient) -> None:
    assert not find(client.get(BAKERY), "audio")


def test_interview_questions_are_anchored_with_answers(client: FlaskClient) -> None:
    response = client.get(WEATHER)
    assert response.status_code == 200
    anchor = "whats-your-background-and-what-site-are-you-running-in-production"
    assert find(response, "li", id=anchor)
    assert f"{WEATHER}#{anchor}" in hrefs(response)
    assert "obsession is weather" in text(response)
    assert "<strong>Flask</strong>" in response.get_data(as_text=True)
    assert not find(response, "a", class_="timestamp")


def test_unknown_episode_is_a_404_page(client: FlaskClient) -> None:
    for url in ("/episodes/podcast/nope", "/episodes/nope/1-a-bakery-ordering-app-on-a-single-vps"):
        response = client.get(url)
        assert response.status_code == 404
        assert "text/html" in response.content_type
        assert "Not found" in text(response)


def test_path_traversal_is_a_404(client: FlaskClient) -> None:
    for url in (
        "/episodes/../../etc/passwd",
        "/episodes/..%2F..%2Fetc/passwd",
        "/libraries/../../etc/passwd",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "root:" not in response.get_data(as_text=True)


# --- knowledge -------------------------------------------------------------------------------


def test_tag_page(client: FlaskClient) -> None:
    response = client.get("/tags/celery")
    assert response.status_code == 200
    page = text(response)
    hits = find(response, "li", class_="hit")
    assert len(hits) == 5  # the sample episodes tagged celery
    assert "First in" in page and "latest in" in page
    assert "/search?tag=celery" in hrefs(response)
    # What occurs with it, with counts, linking on.
    assert "/tags/redis" in hrefs(response)
    assert "/libraries/celery/celery" in hrefs(response)
    assert find(response, "a", class_="timestamp"), "moments mentioning celery are listed"


def test_guest_and_library_pages(client: FlaskClient) -> None:
    guest = client.get("/guests/ines-marquez")
    assert guest.status_code == 200
    assert "Inès Márquez" in text(guest)
    assert len(find(guest, "li", class_="hit")) == 2
    assert "https://ines-marquez.example.org/" in hrefs(guest)
    library = client.get("/libraries/celery/celery")
    assert library.status_code == 200
    assert "https://github.com/celery/celery" in hrefs(library)
    assert find(library, "a", class_="timestamp")


def test_unknown_knowledge_pages_are_404(client: FlaskClient) -> None:
    for url in ("/tags/nope", "/guests/nope", "/libraries/no/such"):
        assert client.get(url).status_code == 404, url


def test_value_listings(client: FlaskClient) -> None:
    response = client.get("/tags")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(
        r'href="/tags/docker"><span class="label">docker</span> <span class="count">15<', html
    )
    assert client.get("/guests").status_code == 200
    assert "/libraries/celery/celery" in hrefs(client.get("/libraries"))


# --- formatting ------------------------------------------------------------------------------


def test_dates_durations_and_counts_read_naturally() -> None:
    import datetime as dt

    from webapp.formatting import date, duration, plural

    assert date(dt.date(2019, 11, 10)) == "10 Nov 2019"
    assert date(None) == ""
    assert duration(3000) == "50 min"
    assert duration(3862) == "1 h 4 min"
    assert duration(3600) == "1 h"
    assert duration(20) == "1 min"
    assert duration(None) == ""
    assert plural(1, "episode") == "1 episode"
    assert plural(1200, "library", "libraries") == "1,200 libraries"


def test_a_repeated_search_page_is_the_same_page(client: FlaskClient) -> None:
    first = client.get("/search?q=postgres&tag=docker")
    # Another search in between, and the page and its parts asked again.
    client.get("/search?q=postgres&partial=1")
    again = client.get("/search?q=postgres&tag=docker")
    assert first.status_code == again.status_code == 200
    assert again.get_data() == first.get_data()
    assert again.headers["Vary"] == first.headers["Vary"]
    parts = client.get("/search?q=postgres&tag=docker", headers={"X-Requested-With": "fetch"})
    assert parts.get_data() != first.get_data() and b"<html" not in parts.get_data()


def test_facet_links_keep_the_other_filters_in_order(client: FlaskClient) -> None:
    page = client.get("/search?q=docker&tag=postgres&year=2024&sort=newest&page=2")
    links = [h for h in hrefs(page) if "tag=" in h and "q=docker" in h]
    added = [h for h in links if h.count("tag=") == 2]
    assert added, "unselected tags link the search with the tag added"
    for href in added:
        query = query_of(href)
        assert query["q"] == ["docker"] and query["tag"][0] == "postgres"
        assert query["year"] == ["2024"] and query["sort"] == ["newest"] and "page" not in query
        assert href.index("tag=postgres") < href.rindex("tag=") < href.index("year=")


@pytest.mark.parametrize(
    "query",
    [
        "",
        "q=deploy",
        "q=deploy&tag=docker&guest=nick-janetakis",
        "q=redis&tag=docker&tag=postgres&tag_mode=any&sort=newest&page=2",
        "library=flask&year=2024&category=podcast",
        "q=a+b%26c&tag=docker&library_mode=any",
    ],
)
def test_facet_links_are_the_toggled_searches(app: Flask, query: str) -> None:
    """Each facet link is built from pre-encoded parts; it must be `search_url(toggle)` exactly."""
    from urllib.parse import urlencode

    from webapp.index import generation
    from webapp.links import query_string, search_url
    from webapp.params import search_request
    from webapp.views import search_page

    with app.test_request_context(f"/search?{query}"):
        from flask import request

        result = generation().search(search_request(request.args))
        page = search_page(result)
        assert any(group.top for group in page.facets)
        expected = {
            (name, value.value): search_url(value.toggle)
            for name, values in result.facets.items()
            for value in values
        }
        for group in page.facets:
            for link in (*group.top, *group.more):
                assert link.toggle_url == expected[(group.name, link.value)]
        pairs = result.request.params()
        assert query_string(pairs) == urlencode(pairs)
