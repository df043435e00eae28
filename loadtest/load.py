"""Load and spikes against `shownotes serve --prod` on 127.0.0.1, with bounded durations.

A small HTTP/1.1 load generator on asyncio (one thread, keep-alive connections, no dependencies)
and the scenarios of docs/RELIABILITY.md: a steady mix, a spike while the index is rebuilt into
the live index folder, expensive queries beside normal ones, a worker killed mid-request.
`loadtest/run.py` runs them in full; tests/test_load.py runs them for a few seconds each.

Every process started here runs in its own process group and is ended (SIGTERM, then SIGKILL)
when its `with` block ends, on errors and on Ctrl-C too. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, quote, urlencode, urlsplit

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "runninginproduction"
SAMPLES = REPO / "episodes"
HOST = "127.0.0.1"
WAIT = 20.0  # seconds: the bound on every wait for a process
REQUEST_TIMEOUT = 30.0  # seconds: a request taking longer counts as an error

Pick = Callable[[random.Random], tuple[str, str]]  # rng -> (kind, path with query)
T = TypeVar("T")


# --- processes ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """End a process started with start_new_session=True and everything in its group."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=WAIT)
            return
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # leftovers of the group, or a stuck master
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=WAIT)


@dataclass
class Server:
    """`shownotes serve --prod` (gunicorn, gthread workers) on a free 127.0.0.1 port."""

    process: subprocess.Popen[bytes]
    port: int
    index_dir: Path
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def workers(self) -> set[int]:
        """The master's child processes (its workers), from /proc."""
        found = set()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # Fields after the command name, which may itself contain spaces and parentheses.
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == self.pid and fields[0] != "Z":
                found.add(int(entry.name))
        return found

    def connections(self) -> dict[int, int]:
        """Client connections each worker holds: its sockets other than the shared listener."""
        sockets = {pid: _sockets(pid) for pid in self.workers()}
        shared = set.intersection(*sockets.values()) if sockets else set()
        return {pid: len(found - shared) for pid, found in sockets.items()}

    def cpu_seconds(self) -> float:
        """User + system CPU of the master and its workers, dead workers included."""
        total = 0.0
        ticks = os.sysconf("SC_CLK_TCK")
        for pid in {self.pid, *self.workers()}:
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                # utime, stime, cutime, cstime (children: workers that have exited)
                total += sum(int(value) for value in fields[11:15]) / ticks
        return total

    def running(self) -> bool:
        return self.process.poll() is None


def _sockets(pid: int) -> set[str]:
    found = set()
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:"):
                    found.add(target)
    return found


def wait_for(check: Callable[[], bool], what: str, timeout: float = WAIT) -> float:
    """Poll until `check()`; returns the seconds it took, raises after `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if check():
            return time.monotonic() - started
        time.sleep(0.05)
    raise TimeoutError(f"no {what} within {timeout} s")


HEALTH_REQUEST = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def _healthy(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1) as connection:
            connection.sendall(HEALTH_REQUEST)
            return connection.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


@contextlib.contextmanager
def serve(index_dir: Path, *, workers: int = 2, threads: int = 4) -> Iterator[Server]:
    """The production server over `index_dir`, stopped when the block ends."""
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="shownotes-load-", suffix=".log")[1])
    command = [
        sys.executable, "-m", "indexer", "serve", "--prod", "--index", str(index_dir),
        "--host", HOST, "--port", str(port), "--workers", str(workers), "--threads", str(threads),
    ]  # fmt: skip
    # Searches are logged as in production, to a file of the run's own.
    env = {**os.environ, "SHOWNOTES_QUERY_LOG": str(log.with_suffix(".jsonl"))}
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, env=env, start_new_session=True, stdout=output, stderr=subprocess.STDOUT
        )
    server = Server(process, port, index_dir, log)
    try:
        wait_for(lambda: _healthy(port) or not server.running(), "healthy server")
        if not server.running():
            raise RuntimeError(f"the server exited: {log.read_text()[-2000:]}")
        wait_for(lambda: len(server.workers()) == workers, f"{workers} workers")
        yield server
    finally:
        stop_group(process)
        for path in (log, log.with_suffix(".jsonl")):
            path.unlink(missing_ok=True)


def build_command(index_dir: Path, source: Path, *, rebuild: bool = False) -> list[str]:
    command = [sys.executable, "-m", "indexer", "index", "--source", str(source)]
    return command + ["--index", str(index_dir), "-q"] + (["--rebuild"] if rebuild else [])


def start_build(index_dir: Path, source: Path, *, rebuild: bool = False) -> subprocess.Popen[bytes]:
    """`shownotes index` in its own process group."""
    return subprocess.Popen(
        build_command(index_dir, source, rebuild=rebuild),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def finish_build(process: subprocess.Popen[bytes], timeout: float = 300) -> None:
    try:
        _, errors = process.communicate(timeout=timeout)
    except BaseException:
        stop_group(process)
        raise
    if process.returncode not in (0, 2):  # 2: some files skipped, the index still built
        raise RuntimeError(
            f"shownotes index exited {process.returncode}: "
            f"{errors.decode(errors='replace')[-2000:]}"
        )


def build(index_dir: Path, source: Path, *, rebuild: bool = False) -> None:
    finish_build(start_build(index_dir, source, rebuild=rebuild))


class Rebuilder:
    """Rebuilds the live index folder over and over (each a new generation) until stopped.

    `stop()` also ends a build in progress (SIGTERM to its group): a killed build never
    replaces the live index, and the next build removes its leftovers.
    """

    def __init__(self, index_dir: Path, source: Path, *, pause: float) -> None:
        self.index_dir = index_dir
        self.source = source
        self.pause = pause
        self.switches = 0
        self.interrupted = 0
        self.failures: list[str] = []
        self.build_seconds: list[float] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._current: subprocess.Popen[bytes] | None = None
        self._thread = threading.Thread(target=self._run, name="rebuilder", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            with self._lock:
                if self._stop.is_set():
                    return
                process = self._current = start_build(self.index_dir, self.source, rebuild=True)
            try:
                finish_build(process)
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                if self._stop.is_set():
                    self.interrupted += 1
                else:
                    self.failures.append(str(exc)[:500])
            else:
                self.switches += 1
                self.build_seconds.append(time.monotonic() - started)
            self._stop.wait(self.pause)

    def stop(self) -> None:
        with self._lock:
            self._stop.set()
            if self._current is not None and self._current.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self._current.pid, signal.SIGTERM)

    def __enter__(self) -> Rebuilder:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self._thread.join(timeout=WAIT)
        if self._current is not None:
            stop_group(self._current)


# --- the HTTP client ----------------------------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection; reconnects after any failure."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def get(self, target: str) -> tuple[int, int]:
        """(status, body bytes) of `GET target`."""
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(HOST, self.port)
        assert self._reader is not None
        request = f"GET {target} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\n\r\n"
        self._writer.write(request.encode("latin-1"))
        await self._writer.drain()
        head = await self._reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await self._reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await self._chunked()
        else:
            body = await self._reader.read()  # delimited by the server closing
        if headers.get("connection", "").lower() == "close" or "content-length" not in headers:
            await self.close()
        return status, len(body)

    async def _chunked(self) -> bytes:
        assert self._reader is not None
        parts: list[bytes] = []
        while True:
            size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await self._reader.readexactly(size + 2)
            if size == 0:
                return b"".join(parts)
            parts.append(chunk[:-2])

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError, asyncio.TimeoutError):
                await asyncio.wait_for(writer.wait_closed(), 1)


@dataclass(frozen=True)
class Sample:
    kind: str
    started: float  # monotonic
    seconds: float
    status: int  # 0: no answer (connection failed, reset or timed out)
    error: str = ""
    client: int = 0
    path: str = ""

    @property
    def shed(self) -> bool:
        """A costly search the app refused for now (503 + Retry-After), as it is meant to."""
        return self.status == 503 and is_costly(self.path)


# Fuzzy words and wildcards, as the app's limit on costly searches judges them.
COSTLY_QUERY = re.compile(r"\w[~*?]")


def is_costly(path: str) -> bool:
    q = parse_qs(urlsplit(path).query).get("q", [""])[0]
    return COSTLY_QUERY.search(q) is not None


@dataclass
class Recorder:
    samples: list[Sample] = field(default_factory=list)


async def client(
    number: int,
    port: int,
    pick: Pick,
    until: float,
    recorder: Recorder,
    rng: random.Random,
    *,
    pause: float = 0.0,
) -> None:
    """Requests one after another on one connection until `until` (monotonic)."""
    connection = Connection(port)
    try:
        while time.monotonic() < until:
            kind, target = pick(rng)
            started = time.monotonic()
            try:
                status, _ = await asyncio.wait_for(connection.get(target), REQUEST_TIMEOUT)
                error = ""
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
                status, error = 0, f"{type(exc).__name__}: {exc}"[:200]
                await connection.close()
            seconds = time.monotonic() - started
            recorder.samples.append(
                Sample(kind, started, seconds, status, error, number, target[:2000])
            )
            if pause:
                await asyncio.sleep(pause)
    finally:
        await connection.close()


async def clients(
    port: int,
    groups: Sequence[tuple[int, Pick, float, float]],
    recorder: Recorder,
    *,
    seed: int = 1,
    first_number: int = 0,
) -> None:
    """Groups of (count, pick, start after seconds, run for seconds), all at once."""
    rng = random.Random(seed)
    now = time.monotonic()
    tasks = []
    number = first_number
    for count, pick, delay, seconds in groups:
        for _ in range(count):
            task = _delayed(
                delay, client(number, port, pick, now + delay + seconds, recorder,
                              random.Random(rng.random()))
            )  # fmt: skip
            tasks.append(asyncio.ensure_future(task))
            number += 1
    await asyncio.gather(*tasks)


def run_async(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """`asyncio.run` in a thread of its own: the caller may already run an event loop (the
    browser tests' Playwright does, in pytest's main thread)."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(make())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller below
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="load-client")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    value: T = outcome["value"]
    return value


async def _delayed(delay: float, work: Any) -> None:
    await asyncio.sleep(delay)
    await work


def run_clients(
    port: int, groups: Sequence[tuple[int, Pick, float, float]], *, seed: int = 1
) -> list[Sample]:
    recorder = Recorder()
    run_async(lambda: clients(port, groups, recorder, seed=seed))
    return recorder.samples


# --- figures ------------------------------------------------------------------------------------


def percentile(values: Sequence[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@dataclass(frozen=True)
class Figures:
    requests: int
    seconds: float
    per_second: float
    p50: float
    p95: float
    p99: float
    slowest: float
    statuses: dict[str, int]
    server_errors: int  # 5xx, but costly searches shed with 503
    failed: int  # no answer at all
    shed: int  # costly searches refused for now with 503
    examples: list[str]

    @property
    def errors(self) -> int:
        return self.server_errors + self.failed

    @property
    def error_share(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 2),
            "per_second": round(self.per_second, 1),
            "p50_ms": round(self.p50 * 1000, 1),
            "p95_ms": round(self.p95 * 1000, 1),
            "p99_ms": round(self.p99 * 1000, 1),
            "slowest_ms": round(self.slowest * 1000, 1),
            "statuses": self.statuses,
            "server_errors": self.server_errors,
            "shed": self.shed,
            "failed": self.failed,
            "error_share": round(self.error_share, 5),
            "examples": self.examples,
        }


def figures(samples: Sequence[Sample], seconds: float | None = None) -> Figures:
    if seconds is None:
        seconds = (
            max(s.started + s.seconds for s in samples) - min(s.started for s in samples)
            if samples
            else 0.0
        )
    latencies = [s.seconds for s in samples]
    statuses: dict[str, int] = {}
    for s in samples:
        statuses[str(s.status or "none")] = statuses.get(str(s.status or "none"), 0) + 1
    bad = [s for s in samples if s.status == 0 or s.status >= 500 and not s.shed]
    return Figures(
        requests=len(samples),
        seconds=seconds,
        per_second=len(samples) / seconds if seconds else 0.0,
        p50=percentile(latencies, 0.50),
        p95=percentile(latencies, 0.95),
        p99=percentile(latencies, 0.99),
        slowest=max(latencies, default=float("nan")),
        statuses=dict(sorted(statuses.items())),
        server_errors=sum(1 for s in samples if s.status >= 500 and not s.shed),
        failed=sum(1 for s in samples if s.status == 0),
        shed=sum(1 for s in samples if s.shed),
        examples=sorted({f"{s.kind} {s.status} {s.error}" for s in bad})[:5],
    )


def windows(samples: Sequence[Sample], start: float, end: float, width: float) -> list[float]:
    """p95 of the requests started in each `width`-second window from `start` to `end`."""
    result = []
    at = start
    while at < end:
        inside = [s.seconds for s in samples if at <= s.started < at + width]
        result.append(percentile(inside, 0.95))
        at += width
    return result


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


# --- what the clients ask -----------------------------------------------------------------------

COMMON_WORDS = [
    "docker", "postgres", "redis", "deploy", "kubernetes", "backup", "python", "rails", "flask",
    "django", "celery", "nginx", "aws", "heroku", "terraform", "monitoring", "sentry", "stripe",
    "elixir", "phoenix", "node", "react", "vue", "testing", "ci", "github", "ansible", "linode",
    "digitalocean", "sqlite", "mysql", "elasticsearch", "cache", "cdn", "s3", "cron", "email",
    "logging", "backups", "scaling", "microservices", "monolith", "serverless", "lambda",
]  # fmt: skip


@dataclass(frozen=True)
class Workload:
    """Requests for a server, built from what its API lists (nothing from the corpus is kept)."""

    searches: list[str]
    episode_pages: list[str]
    api: list[str]

    def pick_mix(self, rng: random.Random) -> tuple[str, str]:
        """70% searches, 20% episode pages, 10% API."""
        roll = rng.random()
        if roll < 0.7:
            return "search", rng.choice(self.searches)
        if roll < 0.9:
            return "episode", rng.choice(self.episode_pages)
        return "api", rng.choice(self.api)

    def pick_search(self, rng: random.Random) -> tuple[str, str]:
        return "search", rng.choice(self.searches)


def _get_json(port: int, target: str) -> Any:
    async def fetch() -> tuple[int, bytes]:
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            request = f"GET {target} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"
            writer.write(request.encode("latin-1"))
            await writer.drain()
            data = await asyncio.wait_for(reader.read(), REQUEST_TIMEOUT)
        finally:
            writer.close()
        head, _, body = data.partition(b"\r\n\r\n")
        return int(head.split(b" ", 2)[1]), body

    status, body = run_async(lambda: asyncio.wait_for(fetch(), REQUEST_TIMEOUT))
    if status != 200:
        raise RuntimeError(f"{target} answered {status}")
    return json.loads(body)


def workload(port: int, *, seed: int = 7) -> Workload:
    rng = random.Random(seed)
    tags = [v["value"] for v in _get_json(port, "/api/tags")["values"]]
    guests = [v["value"] for v in _get_json(port, "/api/guests")["values"]]
    libraries = [v["value"] for v in _get_json(port, "/api/libraries")["values"]]
    first = _get_json(port, "/api/search?per_page=50")
    ids = [r["episode"]["id"] for r in first["results"]]
    for page in range(2, first["pages"] + 1):
        more = _get_json(port, f"/api/search?per_page=50&page={page}")["results"]
        ids += [r["episode"]["id"] for r in more]
    words = COMMON_WORDS + [t.replace("-", " ") for t in tags[:60]]
    queries: list[dict[str, str]] = []
    for word in words:
        queries.append({"q": word})
    for _ in range(60):
        queries.append({"q": f"{rng.choice(words)} {rng.choice(words)}"})
    for _ in range(20):
        queries.append({"q": f'"{rng.choice(words)}"'})
    for word in rng.sample(words, 20):
        if len(word) >= 4:
            queries.append({"q": word[:3] + "*"})
    for tag in tags[:30]:
        queries.append({"tag": tag})
        queries.append({"q": rng.choice(words), "tag": tag})
    for guest in guests[:10]:
        queries.append({"guest": guest})
    for _ in range(20):
        queries.append({"q": rng.choice(words), "sort": rng.choice(["newest", "oldest"])})
    for _ in range(10):
        queries.append({"q": rng.choice(words), "page": "2"})
    queries.append({})
    searches = [f"/search?{urlencode(q)}" for q in queries]
    pages = [f"/episodes/{quote(i)}" for i in ids]
    pages += [f"/episodes/{quote(i)}?t=60" for i in ids[:20]]
    api = [f"/api/search?{urlencode(q)}" for q in queries[::4]]
    api += [f"/api/episodes/{quote(i)}" for i in ids[:30]]
    api += [f"/api/tags/{quote(t)}" for t in tags[:20]]
    api += [f"/api/libraries/{quote(lib, safe='/')}" for lib in libraries[:10]]
    api += ["/api/tags", "/api/guests", "/healthz"]
    return Workload(searches, pages, api)


# Refused before any search is run: the client's own time is what it costs.
REFUSED = [
    "*a*", "*", "?????", "word~9", "kubernetes~5", "(" * 2000, "(a " * 9 + ")" * 9, "x" * 400,
    " ".join(f"w{n}" for n in range(30)),
]  # fmt: skip
MEGABYTE_QUERY = "x" * 1_000_000


def pick_refused(rng: random.Random) -> tuple[str, str]:
    """A query the app refuses, each different (a random page) so nothing is cached."""
    if rng.random() < 0.1:
        return "megabyte", "/api/search?q=" + MEGABYTE_QUERY
    q = rng.choice(REFUSED)
    return "refused", "/search?" + urlencode({"q": q, "page": str(rng.randint(1, 9999))})


def pick_expensive(words: Sequence[str]) -> Pick:
    """The refused queries and allowed but costly ones, each different so the cache cannot help."""
    long_words = [w for w in words if len(w) >= 6] or list(words)

    def pick(rng: random.Random) -> tuple[str, str]:
        roll = rng.random()
        if roll < 0.4:
            return pick_refused(rng)
        if roll < 0.75:
            # Fuzzy distance 2 over long words.
            q = " ".join(f"{rng.choice(long_words)}~2" for _ in range(rng.randint(1, 2)))
        else:
            # Short prefixes, which expand to hundreds of words.
            q = " ".join(f"{rng.choice(words)[:2]}*" for _ in range(rng.randint(1, 3)))
        return "costly", "/search?" + urlencode({"q": q, "page": str(rng.randint(1, 3))})

    return pick


# --- scenarios ----------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    promises: dict[str, bool] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def kept(self) -> bool:
        return all(self.promises.values())


def steady(server: Server, work: Workload, *, seconds: float, connections: int = 8) -> Result:
    """The mix for `seconds`: zero server errors; requests per second and p95."""
    cpu_before, load_before = server.cpu_seconds(), load_average()
    samples = run_clients(server.port, [(connections, work.pick_mix, 0.0, seconds)])
    overall = figures(samples, seconds)
    result = Result("steady")
    result.figures = {
        "connections": connections,
        "overall": overall.as_dict(),
        "by_kind": {
            kind: figures([s for s in samples if s.kind == kind], seconds).as_dict()
            for kind in ("search", "episode", "api")
        },
        "server_cpu_ms_per_request": round(
            (server.cpu_seconds() - cpu_before) * 1000 / max(1, overall.requests), 2
        ),
        "load_average": [load_before, load_average()],
    }
    result.promises = {"zero server errors": overall.errors == 0 and overall.requests > 0}
    return result


def spike(
    server: Server,
    work: Workload,
    source: Path,
    *,
    steady_p95: float,
    seconds: float,
    connections: int = 256,
    steady_connections: int = 8,
    before: float = 3.0,
    after: float = 20.0,
    recovery_limit: float = 10.0,
    tolerance: float = 1.25,
    slack: float = 0.010,
    rebuild_pause: float = 2.0,
) -> Result:
    """`connections` held for `seconds` while the index is rebuilt into the live folder.

    `steady_connections` of them run the mix throughout (before, during and after the spike);
    the rest join for the spike. After it, the p95 of the steady clients (2-second windows) must
    be back to `steady_p95 * tolerance + slack` within `recovery_limit` seconds.
    """
    extra = connections - steady_connections
    spike_start = time.monotonic() + before
    recorder = Recorder()
    groups = [
        (steady_connections, work.pick_mix, 0.0, before + seconds + after),
        (extra, work.pick_mix, before, seconds),
    ]
    generations_before = _generation(server)
    with Rebuilder(server.index_dir, source, pause=rebuild_pause) as rebuilder:

        def stop_rebuilding_at_spike_end() -> None:
            time.sleep(max(0.0, spike_start + seconds - time.monotonic()))
            rebuilder.stop()

        stopper = threading.Thread(target=stop_rebuilding_at_spike_end, daemon=True)
        stopper.start()
        run_async(lambda: clients(server.port, groups, recorder))
        stopper.join(timeout=1)
    samples = recorder.samples
    spike_end = spike_start + seconds
    during = [s for s in samples if spike_start <= s.started < spike_end]
    steady_clients = [s for s in samples if s.client < steady_connections]
    threshold = steady_p95 * tolerance + slack
    width = 2.0
    series = windows(steady_clients, spike_end, spike_end + after, width)
    recovered_after = None
    for n, value in enumerate(series):
        if value <= threshold and all(v <= threshold * 1.5 for v in series[n:]):
            recovered_after = n * width
            break
    spike_figures = figures(during, seconds)
    result = Result("spike")
    result.figures = {
        "connections": connections,
        "seconds": seconds,
        "during_spike": spike_figures.as_dict(),
        "before_spike": figures([s for s in samples if s.started < spike_start], before).as_dict(),
        "switches": rebuilder.switches,
        "builds_interrupted_at_spike_end": rebuilder.interrupted,
        "rebuild_failures": rebuilder.failures,
        "rebuild_seconds": [round(b, 1) for b in rebuilder.build_seconds],
        "generation_before": generations_before,
        "generation_after": _generation(server),
        "steady_p95_ms": round(steady_p95 * 1000, 1),
        "recovery_threshold_ms": round(threshold * 1000, 1),
        "p95_windows_after_ms": [round(v * 1000, 1) for v in series],
        "recovered_after_s": recovered_after,
        "load_average": load_average(),
    }
    result.promises = {
        "under 1% errors during the spike": spike_figures.error_share < 0.01,
        "the index was switched during the spike": rebuilder.switches >= 1,
        f"p95 back to steady within {recovery_limit:g} s": recovered_after is not None
        and recovered_after <= recovery_limit,
    }
    return result


def _generation(server: Server) -> str:
    try:
        generation: str = _get_json(server.port, "/healthz")["generation"]
    except (OSError, RuntimeError, ValueError) as exc:
        return f"unknown ({exc})"
    return generation


def expensive(
    server: Server,
    work: Workload,
    *,
    steady_p95: float,
    seconds: float,
    costly: bool,
    attackers: int = 50,
    normal_connections: int = 8,
    refused_within: float = 0.5,
    ratio: float = 2.0,
    slack: float = 0.010,
) -> Result:
    """`attackers` connections of expensive queries beside `normal_connections` of searches.

    costly=False: only queries the app refuses (wildcards, ranges, nesting, a megabyte).
    costly=True: those and allowed but costly ones (fuzzy ~2 over long words, short prefixes).
    """
    words = [w for w in COMMON_WORDS if len(w) >= 4]
    words += [p.split("q=", 1)[1].split("&")[0] for p in work.searches if "q=" in p][:80]
    pick = pick_expensive(words) if costly else pick_refused
    cpu_before = server.cpu_seconds()
    samples = run_clients(
        server.port,
        [(normal_connections, work.pick_search, 0.0, seconds), (attackers, pick, 0.0, seconds)],
        seed=3,
    )
    normal = figures([s for s in samples if s.client < normal_connections], seconds)
    refused_samples = [s for s in samples if s.kind in ("refused", "megabyte")]
    refused = figures(refused_samples, seconds)
    costly_samples = [s for s in samples if s.kind == "costly"]
    answered = figures([s for s in costly_samples if not s.shed], seconds)
    shed = figures([s for s in costly_samples if s.shed], seconds)
    megabyte = figures([s for s in samples if s.kind == "megabyte"], seconds)
    refused_ok = all(s.status in (400, 414) for s in refused_samples)
    bound = steady_p95 * ratio + slack
    result = Result("costly_flood" if costly else "refused_flood")
    result.figures = {
        "attackers": attackers,
        "normal_connections": normal_connections,
        "normal_searches": normal.as_dict(),
        "refused": refused.as_dict(),
        "megabyte_query": megabyte.as_dict(),
        "costly_allowed": answered.as_dict(),
        "costly_shed": shed.as_dict(),
        "steady_p95_ms": round(steady_p95 * 1000, 1),
        "normal_p95_bound_ms": round(bound * 1000, 1),
        "normal_p95_ratio": round(normal.p95 / steady_p95, 2) if steady_p95 else None,
        "server_cpu_seconds": round(server.cpu_seconds() - cpu_before, 1),
        "server_cpu_ms_per_request": round(
            (server.cpu_seconds() - cpu_before) * 1000 / max(1, len(samples)), 2
        ),
        "load_average": load_average(),
    }
    result.promises = {
        "refused queries answered 400/414": refused_ok and refused.requests > 0,
        f"refused within {refused_within:g} s (p95)": refused.p95 < refused_within,
        f"shed costly queries within {refused_within:g} s (p95)": (
            shed.requests == 0 or shed.p95 < refused_within
        ),
        "zero server errors": normal.errors + refused.errors + answered.errors == 0,
        # Prefix searches of the normal mix may be shed too; every other one is answered.
        "every plain normal search answered 200": all(
            s.status == 200
            for s in samples
            if s.client < normal_connections and not is_costly(s.path)
        ),
        f"normal p95 within {ratio:g}x steady": normal.p95 <= bound,
    }
    return result


def volume(
    server: Server,
    work: Workload,
    *,
    steady_p95: float,
    seconds: float,
    others: int = 50,
    normal_connections: int = 8,
) -> Result:
    """The floods' baseline: `others` connections of ordinary searches beside the normal ones.

    Every closed-loop connection added to a busy server lengthens everyone's queue, whatever it
    asks. Normal searches' p95 beside this is what volume alone does; beside the floods, what
    they add on top is what their queries cost.
    """
    cpu_before = server.cpu_seconds()
    samples = run_clients(
        server.port,
        [
            (normal_connections, work.pick_search, 0.0, seconds),
            (others, work.pick_search, 0.0, seconds),
        ],
        seed=5,
    )
    normal = figures([s for s in samples if s.client < normal_connections], seconds)
    everyone = figures(samples, seconds)
    result = Result("volume_baseline")
    result.figures = {
        "others": others,
        "normal_connections": normal_connections,
        "normal_searches": normal.as_dict(),
        "overall": everyone.as_dict(),
        "steady_p95_ms": round(steady_p95 * 1000, 1),
        "normal_p95_ratio": round(normal.p95 / steady_p95, 2) if steady_p95 else None,
        "server_cpu_ms_per_request": round(
            (server.cpu_seconds() - cpu_before) * 1000 / max(1, len(samples)), 2
        ),
        "load_average": load_average(),
    }
    result.promises = {"zero server errors": everyone.errors == 0 and everyone.requests > 0}
    return result


def kill_worker(server: Server, work: Workload, *, seconds: float, connections: int = 8) -> Result:
    """SIGKILL a worker while every connection is busy; it is replaced and the rest succeed."""
    recorder = Recorder()
    killed: dict[str, Any] = {}

    def killer() -> None:
        time.sleep(seconds / 3)
        workers = server.workers()
        # The worker holding the most client connections: with every client busy, it is
        # mid-request on them (or about to be, on a kept-alive connection).
        held = server.connections()
        victim = max(held, key=lambda pid: (held[pid], pid))
        killed["pid"] = victim
        killed["connections_held"] = held[victim]
        killed["at"] = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        try:
            killed["replaced_after_s"] = round(
                wait_for(
                    lambda: len(server.workers() - {victim}) == len(workers),
                    "replacement worker",
                ),
                2,
            )
        except TimeoutError:
            killed["replaced_after_s"] = None

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    groups = [(connections, work.pick_mix, 0.0, seconds)]
    run_async(lambda: clients(server.port, groups, recorder))
    thread.join(timeout=WAIT + 1)
    samples = recorder.samples
    at = killed.get("at", float("inf"))
    replaced = killed.get("replaced_after_s")
    failed = [s for s in samples if s.status == 0 or s.status >= 500]
    per_client: dict[int, int] = {}
    for s in failed:
        per_client[s.client] = per_client.get(s.client, 0) + 1
    # Requests that started once the new worker was in place.
    settled = at + (replaced or seconds) + 0.5
    after = [s for s in samples if s.started >= settled]
    result = Result("worker_kill")
    result.figures = {
        "connections": connections,
        "killed_pid": killed.get("pid"),
        "connections_held_by_killed_worker": killed.get("connections_held"),
        "replaced_after_s": replaced,
        "requests": len(samples),
        "failed": len(failed),
        "failed_examples": sorted({s.error or str(s.status) for s in failed})[:5],
        "failures_per_client": per_client,
        "requests_after_replacement": len(after),
        "failures_after_replacement": sum(1 for s in after if s.status == 0 or s.status >= 500),
        "failures_before_kill": sum(1 for s in failed if s.started + s.seconds < at),
    }
    result.promises = {
        "the killed worker was serving connections": killed.get("connections_held", 0) > 0
        and len(failed) > 0,
        "the worker is replaced": replaced is not None and server.running(),
        # Only requests on the killed worker fail: at most one per connection it held.
        "only requests on the killed worker fail": all(n <= 1 for n in per_client.values())
        and result.figures["failures_before_kill"] == 0,
        "requests after the replacement succeed": len(after) > 0
        and result.figures["failures_after_replacement"] == 0,
    }
    return result


# --- setting up ---------------------------------------------------------------------------------


@contextlib.contextmanager
def index_copy(source: Path) -> Iterator[Path]:
    """A fresh index of `source` in a temporary folder, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="shownotes-load-index-"))
    try:
        build(folder, source)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def default_source() -> tuple[Path, str]:
    if (CORPUS / "_posts").is_dir():
        return CORPUS, "the Running in Production corpus"
    return SAMPLES, f"the sample episodes ({CORPUS} is absent)"
