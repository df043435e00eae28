"""Schemathesis against /api/openapi.json: every operation, generated requests, zero violations.

Each operation of the document gets requests generated from its parameters (schema-valid ones,
and for operations with constrained parameters schema-violating ones too), plus requests for
episodes, tags, guests and libraries that exist, so the 200 answers are checked against their
schemas and not only the 404s. Every response must pass schemathesis's checks: no 5xx, a
documented status code, content type and headers, a body matching the response schema.

Two of schemathesis's checks judge acceptance from the generated value, not the one on the wire,
and in a query string everything is text: a "boolean" `tag=true` is a valid tag, an "object"
`library_mode` that serialises to nothing is the documented empty value. They are replaced here
by `wire_check`, which reads the parameters the app actually received (recorded by the app
itself) and asserts: parameters that break the document are refused with 400 invalid_parameter,
and parameters that keep to it are never refused as invalid_parameter; a query string over
8 KiB is refused with 414. A query the document allows can still be refused as
`invalid_query`: the query language is not a JSON schema.

The run is short by default (CI); SHOWNOTES_FULL_FUZZ=1 makes it at least 1,000 requests.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="the dev extra installs schemathesis")

from flask import Flask, request  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    negative_data_rejection,
    positive_data_acceptance,
)
from werkzeug.datastructures import MultiDict  # noqa: E402

import webapp.index  # noqa: E402
from indexer import Sources, build_index  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.security import MAX_QUERY_STRING  # noqa: E402

from support import RIP, write_episode  # noqa: E402

FULL = os.environ.get("SHOWNOTES_FULL_FUZZ") == "1"
# Generated requests per operation and mode. Operations without parameters answer one request.
EXAMPLES = 200 if FULL else 60
FULL_TOTAL = 1_000
CI_TOTAL = 300
DOCUMENT: dict[str, Any] = json.loads(
    resources.files("webapp").joinpath("openapi.json").read_text(encoding="utf-8")
)
OPERATIONS = [
    f"GET {path}" for path, item in DOCUMENT["paths"].items() for method in item if method == "get"
]


# --- the app, recording what it received ------------------------------------------------------


class Recorder:
    """The query parameters of the app's last request, as Werkzeug parsed them."""

    def __init__(self) -> None:
        self.args: MultiDict[str, str] = MultiDict()
        self.size = 0  # bytes of the raw query string

    def install(self, app: Flask) -> None:
        # Before the app's own checks (registered first), so even refused requests are recorded.
        app.before_request_funcs.setdefault(None, []).insert(0, self.record)

    def record(self) -> None:
        self.size = len(request.query_string)
        self.args = MultiDict(request.args) if self.size <= MAX_QUERY_STRING else MultiDict()


def app_on(index_dir: Path) -> Iterator[tuple[Flask, Recorder]]:
    app = create_app({"TESTING": True, "INDEX_DIR": str(index_dir), "QUERY_LOG": ""})
    recorder = Recorder()
    recorder.install(app)
    yield app, recorder
    webapp.index.close(app)


@pytest.fixture(scope="module")
def live_index(request: pytest.FixtureRequest) -> Path:
    """The real corpus when it is there (CI has it), else the sample episodes."""
    name = "corpus_index" if RIP.is_dir() else "sample_index"
    found: Path = request.getfixturevalue(name)
    return found


@pytest.fixture(scope="module")
def live_app(live_index: Path) -> Iterator[tuple[Flask, Recorder]]:
    yield from app_on(live_index)


# --- the document's query parameters, judged on the wire -------------------------------------


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if not ref:
        return node
    found: Any = DOCUMENT
    for part in ref.removeprefix("#/").split("/"):
        found = found[part]
    resolved: dict[str, Any] = found
    return resolved


def query_parameters(path: str) -> dict[str, dict[str, Any]]:
    parameters = DOCUMENT["paths"][path]["get"].get("parameters", [])
    resolved = (_resolve(p) for p in parameters)
    return {p["name"]: p for p in resolved if p["in"] == "query"}


INTEGER = re.compile(r"-?[0-9]+")
INFINITE = 10**30


def wire_violations(args: MultiDict[str, str], parameters: dict[str, dict[str, Any]]) -> list[str]:
    """How the received parameters break the document (unknown parameters are ignored)."""
    problems = []
    for name, parameter in parameters.items():
        values = args.getlist(name)
        schema = parameter["schema"]
        if schema.get("type") == "array":
            # Every text is a valid item of an array of strings; only the count can be wrong.
            if len(values) > schema.get("maxItems", len(values)):
                problems.append(f"{len(values)} {name} values")
            continue
        if not values:
            continue
        value = values[0]  # the app reads the first, as Werkzeug's args.get does
        if value == "" and parameter.get("allowEmptyValue"):
            continue
        if "enum" in schema and value not in schema["enum"]:
            problems.append(f"{name}={value[:20]!r} is not one of {schema['enum']}")
        if schema.get("type") == "integer":
            if not INTEGER.fullmatch(value):
                problems.append(f"{name}={value[:20]!r} is not an integer")
            elif (
                not schema.get("minimum", -INFINITE)
                <= int(value)
                <= schema.get("maximum", INFINITE)
            ):
                problems.append(f"{name}={value} is out of range")
    return problems


def wire_check(recorder: Recorder, parameters: dict[str, dict[str, Any]]) -> Callable[..., None]:
    def check(ctx: object, response: Any, case: object) -> None:
        status = response.status_code
        if recorder.size > MAX_QUERY_STRING:
            refusal = (status, _error_code(response))
            assert refusal == (414, "query_string_too_long"), f"{recorder.size} bytes: {refusal}"
            return
        problems = wire_violations(recorder.args, parameters)
        code = _error_code(response) if status == 400 else None
        if problems:
            assert (status, code) == (400, "invalid_parameter"), (
                f"{problems} answered {status} {code}"
            )
        else:
            assert code != "invalid_parameter", f"valid parameters {recorder.args} refused"

    return check


def _error_code(response: Any) -> str | None:
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    code: str | None = body.get("error", {}).get("code") if isinstance(body, dict) else None
    return code


def no_5xx_but_503(ctx: object, response: Any, case: object) -> None:
    assert response.status_code < 500 or response.status_code == 503, response.status_code


def constrained(path: str) -> bool:
    """Whether any parameter has a constraint a generated value can break."""
    parameters = DOCUMENT["paths"][path]["get"].get("parameters", [])
    for parameter in map(_resolve, parameters):
        schema = parameter["schema"]
        if schema.get("type") != "string" or {"enum", "maxLength", "pattern"} & set(schema):
            return True
    return False


# --- the runs ---------------------------------------------------------------------------------


def known_path_parameters(app: Flask) -> dict[str, list[dict[str, str]]]:
    """Path parameters of things that exist, so their 200 answers get validated too."""
    client = app.test_client()
    episodes = client.get("/api/search?per_page=50").get_json()["results"]
    ids = [r["episode"]["id"] for r in episodes]
    values = {
        facet: [v["value"] for v in client.get(f"/api/{facet}").get_json()["values"]]
        for facet in ("tags", "guests", "libraries")
    }
    episode_params = [dict(zip(("category", "slug"), i.split("/", 1), strict=True)) for i in ids]
    return {
        "/api/episodes/{category}/{slug}": episode_params,
        "/episodes/{category}/{slug}/chapters.json": episode_params,
        "/api/tags/{tag}": [{"tag": v} for v in values["tags"]],
        "/api/guests/{slug}": [{"slug": v} for v in values["guests"]],
        "/api/libraries/{library}": [{"library": v} for v in values["libraries"]],
    }


def run_operation(
    app: Flask,
    recorder: Recorder,
    label: str,
    *,
    examples: int,
    known: list[dict[str, str]] | None = None,
    unavailable: bool = False,
) -> Counter[tuple[str, int]]:
    """Generated requests for one operation; returns (mode, status) counts."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    path = label.split(" ", 1)[1]
    operation = schema[path]["GET"]
    checks = [wire_check(recorder, query_parameters(path))]
    excluded = [positive_data_acceptance, negative_data_rejection]
    if unavailable:
        # Without an index 503 is the documented answer; it must still never be anything else 5xx.
        excluded.append(not_a_server_error)
        checks.append(no_5xx_but_503)
    statuses: Counter[tuple[str, int]] = Counter()
    modes = [GenerationMode.POSITIVE]
    if constrained(path):
        modes.append(GenerationMode.NEGATIVE)
    for mode in modes:
        strategy = operation.as_strategy(generation_mode=mode)
        if known and mode is GenerationMode.POSITIVE:
            existing = st.sampled_from(known).flatmap(
                lambda p: operation.as_strategy(
                    generation_mode=GenerationMode.POSITIVE, path_parameters=p
                )
            )
            strategy = st.one_of(strategy, existing)
        statuses.update(_generated(strategy, mode.value, examples, excluded, checks))
    return statuses


def _generated(
    strategy: st.SearchStrategy[Any],
    mode: str,
    examples: int,
    excluded: list[Callable[..., Any]],
    checks: list[Callable[..., Any]],
) -> Counter[tuple[str, int]]:
    statuses: Counter[tuple[str, int]] = Counter()

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(case=strategy)
    def generated(case: Any) -> None:
        response = case.call_and_validate(excluded_checks=excluded, additional_checks=checks)
        statuses[(mode, response.status_code)] += 1

    generated()
    return statuses


def _report(label: str, statuses: Counter[tuple[str, int]]) -> str:
    parts = ", ".join(f"{mode} {status}: {n}" for (mode, status), n in sorted(statuses.items()))
    return f"{label}: {sum(statuses.values())} requests ({parts})"


def test_the_document_lists_every_api_route(live_app: tuple[Flask, Recorder]) -> None:
    app, _ = live_app
    # Placeholders by position: Flask's <path:library_id> is the document's {library}.
    documented = {re.sub(r"\{\w+\}", "<>", p) for p in DOCUMENT["paths"]}
    routes = {
        re.sub(r"<[\w:]+>", "<>", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
    }
    assert routes - documented == set()
    assert len(OPERATIONS) >= 11


def test_schemathesis_finds_no_violations(live_app: tuple[Flask, Recorder]) -> None:
    app, recorder = live_app
    known = known_path_parameters(app)
    assert all(known.values()), "the index has episodes, tags, guests and libraries to request"
    total: Counter[tuple[str, int]] = Counter()
    report = []
    for label in OPERATIONS:
        path = label.split(" ", 1)[1]
        statuses = run_operation(app, recorder, label, examples=EXAMPLES, known=known.get(path))
        report.append(_report(label, statuses))
        total.update(statuses)
    print("\n".join(report))
    requests = sum(total.values())
    assert requests >= (FULL_TOTAL if FULL else CI_TOTAL), report
    # The generated requests reached real answers, not only refusals and 404s.
    assert total[("positive", 200)] >= requests // 4, report
    assert total[("negative", 400)] > 0, report


@pytest.fixture
def no_index_app(tmp_path: Path) -> Iterator[tuple[Flask, Recorder]]:
    yield from app_on(tmp_path / "nothing_here")


def test_every_operation_without_an_index_answers_a_documented_503(
    no_index_app: tuple[Flask, Recorder],
) -> None:
    app, recorder = no_index_app
    total: Counter[tuple[str, int]] = Counter()
    for label in OPERATIONS:
        statuses = run_operation(app, recorder, label, examples=10, unavailable=True)
        if label not in ("GET /api/openapi.json",):
            # 503, or a refusal that needs no index (a bad parameter, an unrouted path);
            # schemathesis has checked each is documented for its operation.
            refusals = {400, 404, 414, 503}
            assert {status for _, status in statuses} <= refusals, _report(label, statuses)
        total.update(statuses)
    print(f"\nwithout an index: {_report('every operation', total)}")
    assert sum(n for (_, status), n in total.items() if status == 503) >= 30


@pytest.fixture
def degraded_app(tmp_path: Path) -> Iterator[tuple[Flask, Recorder]]:
    """The live generation is damaged: the app serves the previous one and says so."""
    folder = tmp_path / "episodes"
    write_episode(folder, "2024-01-01-1-first.md", title="First")
    index_dir = tmp_path / "index"
    build_index(index_dir, Sources(episodes=(folder,)))
    write_episode(folder, "2024-02-01-2-second.md", title="Second")
    second = build_index(index_dir, Sources(episodes=(folder,))).generation
    (index_dir / second / "catalog.json").write_text("{", encoding="utf-8")
    yield from app_on(index_dir)


def test_a_degraded_index_is_reported_as_documented(degraded_app: tuple[Flask, Recorder]) -> None:
    app, recorder = degraded_app
    assert app.test_client().get("/healthz").get_json()["status"] == "degraded"
    statuses = run_operation(app, recorder, "GET /healthz", examples=1)
    assert statuses == Counter({("positive", 200): 1})
