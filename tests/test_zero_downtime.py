"""Zero downtime: searches keep answering, complete and unmixed, while the index is switched.

Several clients search a gunicorn-served app while the index is rebuilt and switched over and
over between two corpora whose answers differ. Every answer must be a 200 and equal what one
of the two corpora gives; never an error, an empty index or a mix.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from servers import gunicorn

from indexer import SearchIndex, SearchRequest, Sources, build_index, store

from support import REPO

SWITCHES = 20
CLIENTS = 4
QUERIES = ["redis", "postgresql replication", "docker", "celery", "", "kubernetes vps"]
NEW_GENERATION_WITHIN = 2.0  # seconds


def fingerprint(document: dict[str, object]) -> tuple[object, ...]:
    results = document["results"]
    assert isinstance(results, list)
    return (document["total"], tuple(r["episode"]["id"] for r in results))


def expected_answers(index_dir: Path) -> dict[str, tuple[object, ...]]:
    live = SearchIndex(index_dir)
    try:
        return {
            q: (result.total, tuple(h.episode.id for h in result.hits))
            for q in QUERIES
            for result in [live.search(SearchRequest(q=q))]
        }
    finally:
        live.close()


class Client(threading.Thread):
    def __init__(self, base: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.netloc = urlsplit(base).netloc
        self.stop = stop
        self.answers: list[tuple[str, int, tuple[object, ...] | None]] = []
        self.errors: list[str] = []

    def run(self) -> None:
        connection = http.client.HTTPConnection(self.netloc, timeout=10)
        n = 0
        while not self.stop.is_set():
            q = QUERIES[n % len(QUERIES)]
            n += 1
            try:
                connection.request("GET", "/api/search?" + urlencode({"q": q}))
                response = connection.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as exc:
                self.errors.append(f"{type(exc).__name__}: {exc}")
                connection.close()
                connection = http.client.HTTPConnection(self.netloc, timeout=10)
                continue
            answer = fingerprint(json.loads(body)) if response.status == 200 else None
            self.answers.append((q, response.status, answer))
        connection.close()


def served_generation(netloc: str) -> str:
    connection = http.client.HTTPConnection(netloc, timeout=5)  # a new connection: any worker
    try:
        connection.request("GET", "/healthz")
        generation: str = json.loads(connection.getresponse().read())["generation"]
        return generation
    finally:
        connection.close()


def test_searches_never_fail_while_the_index_switches(tmp_path: Path) -> None:
    corpus_a = REPO / "episodes"
    corpus_b = tmp_path / "b"
    corpus_b.mkdir()
    for path in sorted(corpus_a.glob("*.md"))[::2]:  # every other episode: different answers
        (corpus_b / path.name).write_bytes(path.read_bytes())
    sources = [Sources(episodes=(corpus_a,)), Sources(episodes=(corpus_b,))]
    build_index(tmp_path / "only-a", sources[0])
    build_index(tmp_path / "only-b", sources[1])
    answers = {
        "a": expected_answers(tmp_path / "only-a"),
        "b": expected_answers(tmp_path / "only-b"),
    }
    assert answers["a"] != answers["b"]

    live = tmp_path / "live"
    build_index(live, sources[0])
    stop = threading.Event()
    delays: list[float] = []
    with gunicorn(live, workers=2, threads=4) as base:
        netloc = urlsplit(base).netloc
        clients = [Client(base, stop) for _ in range(CLIENTS)]
        for client in clients:
            client.start()
        for switch in range(1, SWITCHES + 1):
            time.sleep(0.15)
            build_index(live, sources[switch % 2], rebuild=True)
            switched_at = time.monotonic()
            name = store.read_pointer(live)
            # Every worker serves the new generation: several fresh connections agree.
            while not all(served_generation(netloc) == name for _ in range(6)):
                assert time.monotonic() - switched_at < NEW_GENERATION_WITHIN, switch
                time.sleep(0.01)
            delays.append(time.monotonic() - switched_at)
        time.sleep(0.2)
        stop.set()
        for client in clients:
            client.join(15)

    errors = [e for c in clients for e in c.errors]
    answered = [a for c in clients for a in c.answers]
    statuses = {status for _, status, _ in answered}
    wrong = [
        (q, answer) for q, _, answer in answered if answer not in (answers["a"][q], answers["b"][q])
    ]
    print(
        f"\n{SWITCHES} switches, {len(answered)} requests from {CLIENTS} clients, "
        f"{len(errors)} connection errors, statuses {sorted(statuses)}, "
        f"new generation served after at most {max(delays) * 1000:.0f} ms"
    )
    assert errors == []
    assert statuses == {200}
    assert wrong == []
    assert len(answered) > 200
    assert len(delays) == SWITCHES
