"""deploy/nginx/shownotes.conf in the real nginx, in front of `shownotes serve --prod`.

The server block is the deployed file itself, with only its documented placeholders (listen
port, static folder, upstream port) rewritten, so what passes here is what gets installed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prod_support import (
    NGINX_CONF,
    STATIC_DIR,
    Gunicorn,
    Nginx,
    Reply,
    free_port,
    get,
    gunicorn,
    nginx,
    program,
    wait_until,
)

from webapp.security import BASE_POLICY, HEADERS, MAX_QUERY_STRING

NGINX = "/usr/sbin/nginx"
SECURITY = {"Content-Security-Policy": BASE_POLICY, **HEADERS}
GZIP = {"Accept-Encoding": "gzip"}


@pytest.fixture(scope="module")
def nginx_binary() -> str:
    return program(NGINX)  # skips, saying how to install it; fails in CI


@pytest.fixture(scope="module")
def app_server(sample_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gunicorn]:
    with gunicorn(sample_index, tmp_path_factory.mktemp("gunicorn")) as server:
        yield server


@pytest.fixture(scope="module")
def proxy(
    nginx_binary: str, app_server: Gunicorn, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Nginx]:
    with nginx(nginx_binary, tmp_path_factory.mktemp("nginx"), app_server.port) as server:
        yield server


def assert_security_headers(reply: Reply, *, exact_csp: bool) -> None:
    """Each security header once (nginx adds none to the app's), with the app's values."""
    for name, value in SECURITY.items():
        found = reply.every(name)
        assert len(found) == 1, f"{name}: {found}"
        if name == "Content-Security-Policy" and not exact_csp:
            assert found[0].startswith(value)  # the app may add media-src for audio hosts
        else:
            assert found[0] == value, name


# --- the file itself -------------------------------------------------------------------------


def _added(block: str) -> dict[str, str]:
    found = re.findall(r'^\s*add_header (\S+) (?:"([^"]*)"|(\S+)) always;', block, re.M)
    return {name: quoted or bare for name, quoted, bare in found}


def test_security_headers_are_the_apps() -> None:
    """What nginx adds is webapp/security.py's: on its own answers and on /static/ files."""
    conf = NGINX_CONF.read_text(encoding="utf-8")
    static = re.search(r"location /static/ \{(.*?)\n    \}", conf, re.DOTALL)
    assert static, "no `location /static/ { ... }` block"
    assert _added(static.group(1)) == SECURITY
    server = conf.replace(static.group(0), "")
    added = _added(server)
    assert added.pop("Content-Security-Policy") == "$shownotes_csp"
    assert added.pop("Retry-After") == "$shownotes_retry_after"
    assert added == HEADERS
    # The policy is the app's own when it sent one, else the base policy.
    csp_map = re.search(r"map \$upstream_http_content_security_policy \$shownotes_csp \{(.*?)\}",
                        conf, re.DOTALL)  # fmt: skip
    assert csp_map and f'"" "{BASE_POLICY}";' in csp_map.group(1)
    for name in SECURITY:
        assert f"proxy_hide_header {name};" in server, f"the app's {name} would be sent twice"


# --- through nginx ---------------------------------------------------------------------------


def test_search_api_through_nginx(proxy: Nginx, app_server: Gunicorn) -> None:
    reply = get(proxy.port, "/api/search?q=redis", GZIP)
    assert reply.status == 200, proxy.problem()
    assert reply.header("Content-Type") == "application/json"
    assert reply.header("Content-Encoding") == "gzip"  # nginx compresses the app's JSON
    assert "Accept-Encoding" in (reply.header("Vary") or "")
    document = reply.json()
    assert document["total"] > 0 and document["results"]
    assert document["query"]["q"] == "redis"
    assert_security_headers(reply, exact_csp=False)
    assert reply.header("Server") == "nginx"  # no version (server_tokens off), not gunicorn's


def test_proxy_headers_reach_gunicorn(proxy: Nginx, app_server: Gunicorn) -> None:
    # A client's own X-Forwarded-Proto is replaced by the scheme it really used: gunicorn trusts
    # the header from 127.0.0.1 and would otherwise make the app's URLs https://.
    spoofed = {"Host": "shownotes.test", "X-Forwarded-Proto": "https"}
    reply = get(proxy.port, "/opensearch.xml?probe=forwarded", spoofed)
    assert reply.status == 200
    assert "http://shownotes.test/search?" in reply.text()  # the app's URLs use Host
    assert "https:" not in reply.text()
    # gunicorn's access log shows the request line and the headers nginx set.
    wait_until(
        lambda: any("?probe=forwarded " in line for line in app_server.accessed()),
        "the request in gunicorn's access log",
    )
    line = next(line for line in app_server.accessed() if "?probe=forwarded " in line)
    assert line.startswith("GET /opensearch.xml?probe=forwarded HTTP/")
    assert line.endswith(" 200 host=shownotes.test xff=127.0.0.1 proto=http")


def test_search_page_through_nginx(proxy: Nginx) -> None:
    reply = get(proxy.port, "/search?q=redis", GZIP)
    assert reply.status == 200
    assert reply.header("Content-Type") == "text/html; charset=utf-8"
    assert reply.header("Content-Encoding") == "gzip"
    page = reply.text()
    assert "<mark>" in page and "redis" in page.lower()
    assert_security_headers(reply, exact_csp=False)


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("app.css", "text/css; charset=utf-8"),
        ("app.js", "application/javascript; charset=utf-8"),
        ("favicon.svg", "image/svg+xml; charset=utf-8"),
    ],
)
def test_static_files_come_from_nginx(
    proxy: Nginx, app_server: Gunicorn, name: str, content_type: str
) -> None:
    reply = get(proxy.port, f"/static/{name}", GZIP)
    assert reply.status == 200, proxy.problem()
    assert reply.body == (STATIC_DIR / name).read_bytes()
    assert reply.header("Content-Type") == content_type
    assert reply.header("Cache-Control") == "public, max-age=86400"
    assert reply.header("ETag") and reply.header("Last-Modified")
    assert_security_headers(reply, exact_csp=True)
    # nginx logged it and gunicorn never saw it.
    wait_until(
        lambda: any(f"GET /static/{name} " in line for line in proxy.accessed()),
        "the request in nginx's access log",
    )
    assert not [line for line in app_server.accessed() if "/static/" in line]


def test_unchanged_static_file_is_304_with_headers(proxy: Nginx) -> None:
    first = get(proxy.port, "/static/app.css")
    etag = first.header("ETag")
    assert etag
    again = get(proxy.port, "/static/app.css", {"If-None-Match": etag})
    assert again.status == 304 and again.raw == b""
    assert_security_headers(again, exact_csp=True)


def test_missing_static_file_is_nginx_404(proxy: Nginx, app_server: Gunicorn) -> None:
    reply = get(proxy.port, "/static/missing.css")
    assert reply.status == 404
    assert_security_headers(reply, exact_csp=True)
    assert not [line for line in app_server.accessed() if "/static/" in line]


def test_request_bodies_are_refused_by_nginx(proxy: Nginx, app_server: Gunicorn) -> None:
    reply = get(proxy.port, "/api/search", method="POST", body=b"q=" + b"x" * 20_000)
    assert reply.status == 413  # client_max_body_size: the app takes GETs only
    assert not [line for line in app_server.accessed() if line.startswith("POST ")]


def test_static_files_are_served_without_the_app(nginx_binary: str, tmp_path: Path) -> None:
    """With nothing listening upstream, pages fail (502) and static files still load."""
    with nginx(nginx_binary, tmp_path / "nginx", upstream_port=free_port()) as alone:
        assert get(alone.port, "/api/search?q=redis").status == 502
        reply = get(alone.port, "/static/app.css")
        assert reply.status == 200
        assert reply.body == (STATIC_DIR / "app.css").read_bytes()


def test_answers_nginx_makes_itself_carry_the_security_headers(
    nginx_binary: str, tmp_path: Path
) -> None:
    with nginx(nginx_binary, tmp_path / "nginx", upstream_port=free_port()) as alone:
        unreachable = get(alone.port, "/search?q=redis")
        assert unreachable.status == 502
        assert_security_headers(unreachable, exact_csp=True)
        too_long = get(alone.port, "/search?q=" + "x" * (MAX_QUERY_STRING + 100))
        assert too_long.status == 414
        assert_security_headers(too_long, exact_csp=True)
        assert too_long.header("Retry-After") is None


def test_a_client_over_its_rate_is_refused_by_nginx(
    nginx_binary: str, app_server: Gunicorn, tmp_path: Path
) -> None:
    # Its own nginx, so the other tests' requests are not counted against this client.
    with nginx(nginx_binary, tmp_path / "nginx", app_server.port) as limited:
        with ThreadPoolExecutor(max_workers=8) as pool:
            replies = list(pool.map(lambda n: get(limited.port, f"/api/tags?n={n}"), range(160)))
        statuses = Counter(reply.status for reply in replies)
        # A burst of 40 goes through at once, then 20 a second: 160 at once cannot all pass.
        assert set(statuses) == {200, 429} and statuses[200] >= 40, statuses
        refused = next(reply for reply in replies if reply.status == 429)
        assert refused.header("Retry-After") == "1"
        assert_security_headers(refused, exact_csp=True)
        # Static files are nginx's own and never limited.
        assert get(limited.port, "/static/app.css").status == 200
