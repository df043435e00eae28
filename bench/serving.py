"""HTTP benchmarks: wrk against `shownotes serve --prod`, and against the ceiling app.

For one index:

1. Start `shownotes serve --prod` on 127.0.0.1 and wait until `/healthz` answers 200 and every
   worker has opened the index (an open file under the index directory in /proc/<pid>/fd),
   so index opening is not counted in the runs.
2. Cold (uncached) JSON: the first wrk run after the start, cycling through a list of
   different word + tag searches (`common.workload`), far more than the per-generation answer
   cache holds (512 per worker), so no answer comes from it.
3. Restart; cold HTML: the same searches as `/search` pages.
4. Warm JSON and warm HTML: a short list of searches requested until both workers have them
   cached (a priming wrk run that is not reported), then the measured run.
5. The body sizes of the real answers are sampled; the server is stopped.
6. The ceiling app (`ceiling_app.py`) under the same gunicorn command line (read from the
   running server's /proc/<pid>/cmdline, only the app and port changed), with fixed bodies of
   those sizes, measured with the same wrk runs.

Server CPU per request is the change in user + system CPU time of the gunicorn master and
workers (/proc/<pid>/stat) over a run, divided by the requests wrk completed. Before each
measured run the machine's busy share is sampled for a second while nothing of ours runs:
other work on the machine (tests, builds) lowers the requests per second of that run.
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import (
    BENCH,
    CLOCK_TICKS,
    REPO,
    Query,
    children,
    cpu_seconds,
    fresh_workload,
    proc_status_kb,
    workload,
)

SHOWNOTES = REPO / ".venv" / "bin" / "shownotes"
WORKERS = 2
THREADS = 4
WRK_THREADS = 2
WRK_CONNECTIONS = 16
WARM_PATHS = 8
UNCACHED_PATHS = 1600

_running: list[Server] = []


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    started: float = field(default_factory=time.perf_counter)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        return children(self.pid)

    def cpu(self) -> float:
        total = 0.0
        for pid in (self.pid, *self.workers()):
            total += cpu_seconds(pid) or 0.0
        return total

    def cmdline(self) -> list[str]:
        with open(f"/proc/{self.pid}/cmdline", "rb") as raw:
            return [part.decode() for part in raw.read().split(b"\0") if part]

    def stop(self) -> None:
        """SIGTERM to the whole process group, SIGKILL if it has not gone in 20 s."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)  # stray workers of a master that died first
        if self in _running:
            _running.remove(self)


def stop_all() -> None:
    """Stop every server started here (called on exit and on errors)."""
    for server in list(_running):
        server.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start(name: str, argv: Sequence[str], env: dict[str, str], log: Path, port: int) -> Server:
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        process = subprocess.Popen(
            list(argv),
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, stopped as one
        )
    server = Server(name, process, port, log)
    _running.append(server)
    return server


def get(url: str, timeout: float = 60) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_ready(server: Server, path: str, timeout: float = 120) -> float:
    """Seconds from the start until `path` answered 200."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited; see {server.log}")
        with contextlib.suppress(OSError):
            status, _ = get(server.base + path, timeout=5)
            if status == 200:
                return time.perf_counter() - server.started
        time.sleep(0.1)
    raise RuntimeError(f"{server.name} did not answer {path} in {timeout} s; see {server.log}")


def has_index_open(pid: int, index_dir: Path) -> bool:
    prefix = str(index_dir.resolve()) + "/"
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                if os.readlink(f"/proc/{pid}/fd/{fd}").startswith(prefix):
                    return True
    except OSError:
        return False
    return False


def wait_workers_opened(server: Server, index_dir: Path, timeout: float = 300) -> float:
    """Seconds from the start until every worker has the index open.

    A worker opens the live generation on its first request and keeps a Whoosh searcher (an
    open segment file) once it has searched, so searches for words no corpus has (each one
    different, so never a cached answer) are sent until every worker holds such a file.
    """
    deadline = time.perf_counter() + timeout
    sent = 0
    with ThreadPoolExecutor(WORKERS * THREADS) as pool:
        while time.perf_counter() < deadline:
            workers = server.workers()
            if len(workers) >= WORKERS and all(has_index_open(p, index_dir) for p in workers):
                return time.perf_counter() - server.started
            urls = [f"{server.base}/api/search?q=qqwarmup{sent + n}" for n in range(WORKERS * 2)]
            sent += len(urls)
            for call in [pool.submit(get, url, timeout) for url in urls]:
                with contextlib.suppress(OSError):
                    call.result()
    raise RuntimeError(f"the workers of {server.name} did not open {index_dir} in {timeout} s")


# --- wrk -----------------------------------------------------------------------------------

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
LATENCY_LINE = re.compile(r"^\s*(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$", re.MULTILINE)


def parse_wrk(text: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    match = re.search(r"([\d.]+)\s+requests in ([\d.]+)(us|ms|s|m)", text)
    if match:
        found["requests"] = int(float(match.group(1)))
        found["seconds"] = float(match.group(2)) * UNITS[match.group(3)] / 1000
    match = re.search(r"Requests/sec:\s+([\d.]+)", text)
    found["rps"] = float(match.group(1)) if match else 0.0
    for share, value, unit in LATENCY_LINE.findall(text):
        found[f"p{share}_ms"] = float(value) * UNITS[unit]
    errors = 0
    match = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if match:
        errors += int(match.group(1))
    match = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if match:
        errors += sum(int(n) for n in match.groups())
    found["errors"] = errors
    return found


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat.

    Busy is user, nice and system time: interrupt time (much of it the loopback network
    between wrk and the server) is in the total only, as no process is charged for it.
    """
    with open("/proc/stat", encoding="ascii") as stat:
        ticks = [int(n) for n in stat.readline().split()[1:9]]
    return sum(ticks[:3]) / CLOCK_TICKS, sum(ticks) / CLOCK_TICKS


def background_share(seconds: float = 1.0) -> float:
    """The machine's busy share over `seconds` while this benchmark does nothing."""
    busy_before, total_before = machine_busy()
    time.sleep(seconds)
    busy_after, total_after = machine_busy()
    total = total_after - total_before
    return (busy_after - busy_before) / total if total > 0 else 0.0


def wrk(server: Server, paths_file: Path, seconds: float) -> dict[str, Any]:
    argv = [
        "wrk",
        f"-t{WRK_THREADS}",
        f"-c{WRK_CONNECTIONS}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "60s",
        "--latency",
        "-s",
        str(BENCH / "paths.lua"),
        server.base,
        "--",
        str(paths_file),
        str(WRK_THREADS),
    ]
    background = background_share() if seconds >= 3 else None
    cpu_before = server.cpu()
    busy_before, total_before = machine_busy()
    client_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=seconds + 120)
    client_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy_after, total_after = machine_busy()
    cpu_after = server.cpu()
    result = parse_wrk(done.stdout)
    requests = result.get("requests", 0)
    server_cpu = cpu_after - cpu_before
    client_cpu = (client_after.ru_utime + client_after.ru_stime) - (
        client_before.ru_utime + client_before.ru_stime
    )
    result["server_cpu_seconds"] = server_cpu
    result["cpu_ms_per_request"] = server_cpu * 1000 / requests if requests else None
    result["wrk_cpu_seconds"] = client_cpu
    # CPU the machine spent on anything but this server and wrk: other load that skews rps.
    capacity = total_after - total_before
    other = (busy_after - busy_before) - server_cpu - client_cpu
    result["other_cpu_share"] = max(0.0, other / capacity) if capacity > 0 else None
    result["machine_busy_share"] = (busy_after - busy_before) / capacity if capacity else None
    result["background_share"] = background
    return result


def write_paths(path: Path, prefix: str, queries: Sequence[Query]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{prefix}?{q.query_string()}\n" for q in queries), encoding="ascii")
    return path


def body_size(server: Server, paths_file: Path, sample: int = 20) -> int:
    paths = paths_file.read_text(encoding="ascii").split()[:sample]
    sizes = []
    for path in paths:
        status, body = get(server.base + path)
        if status == 200:
            sizes.append(len(body))
    return int(statistics.median(sizes)) if sizes else 0


def worker_memory(server: Server) -> dict[str, Any]:
    workers = server.workers()
    rss = [proc_status_kb(p, "VmRSS") or 0 for p in workers]
    hwm = [proc_status_kb(p, "VmHWM") or 0 for p in workers]
    return {"rss_kb": rss, "hwm_kb": hwm, "master_rss_kb": proc_status_kb(server.pid, "VmRSS")}


@contextlib.contextmanager
def running(server: Server) -> Iterator[Server]:
    try:
        yield server
    finally:
        server.stop()


def shownotes_server(name: str, index_dir: Path, logs: Path) -> Server:
    port = free_port()
    argv = [
        str(SHOWNOTES),
        "serve",
        "--prod",
        "--index",
        str(index_dir),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(WORKERS),
        "--threads",
        str(THREADS),
    ]
    return start(name, argv, dict(os.environ), logs / f"{name}.log", port)


def ceiling_argv(app_argv: Sequence[str], port: int) -> list[str]:
    """The real server's gunicorn command line with only the app and the port changed."""
    argv = list(app_argv)
    if "webapp.wsgi:app" not in argv:
        raise RuntimeError(f"unexpected gunicorn command line: {argv}")
    argv[argv.index("webapp.wsgi:app")] = "ceiling_app:app"
    for index, part in enumerate(argv):
        if part == "--bind":
            argv[index + 1] = f"127.0.0.1:{port}"
        elif part.startswith("--bind="):
            argv[index] = f"--bind=127.0.0.1:{port}"
    return [*argv[:-1], "--chdir", str(BENCH), argv[-1]]


def benchmark(
    name: str,
    index_dir: Path,
    popular_tags: Sequence[str],
    *,
    seconds: float,
    work: Path,
) -> dict[str, Any]:
    """Every HTTP figure for one index; see the module docstring."""

    searches = workload(popular_tags, UNCACHED_PATHS)
    fresh = fresh_workload(index_dir, popular_tags, UNCACHED_PATHS)
    files = {
        "json-new-words": write_paths(work / f"{name}-json-new.txt", "/api/search", fresh),
        "json": write_paths(work / f"{name}-json.txt", "/api/search", searches),
        "html": write_paths(work / f"{name}-html.txt", "/search", searches),
        "json-warm": write_paths(
            work / f"{name}-json-warm.txt", "/api/search", searches[:WARM_PATHS]
        ),
        "html-warm": write_paths(work / f"{name}-html-warm.txt", "/search", searches[:WARM_PATHS]),
    }
    result: dict[str, Any] = {
        "distinct_uncached": len(searches),
        "distinct_new_words": len(fresh),
        "distinct_warm": min(WARM_PATHS, len(searches)),
        "wrk": f"wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} -d{round(seconds)}s --latency",
        "runs": {},
    }
    runs: dict[str, dict[str, Any]] = result["runs"]
    logs = work / "logs"

    with running(shownotes_server(f"{name}-app-1", index_dir, logs)) as server:
        result["healthz_seconds"] = wait_ready(server, "/healthz")
        result["workers_open_seconds"] = wait_workers_opened(server, index_dir)
        result["memory_open"] = worker_memory(server)
        app_argv = server.cmdline()
        runs["json_uncached"] = wrk(server, files["json"], seconds)
        _say(name, "json uncached", runs["json_uncached"])

    # A server that has seen none of the words: nothing of these searches is cached anywhere.
    with running(shownotes_server(f"{name}-app-new", index_dir, logs)) as server:
        wait_ready(server, "/healthz")
        wait_workers_opened(server, index_dir)
        runs["json_new_words"] = wrk(server, files["json-new-words"], seconds)
        _say(name, "json new words", runs["json_new_words"])

    with running(shownotes_server(f"{name}-app-2", index_dir, logs)) as server:
        wait_ready(server, "/healthz")
        wait_workers_opened(server, index_dir)
        runs["html_uncached"] = wrk(server, files["html"], seconds)
        _say(name, "html uncached", runs["html_uncached"])
        for kind in ("json", "html"):
            rate = runs[f"{kind}_uncached"]["rps"] or 1.0
            # Each warm path about six times, so both workers most likely have it cached.
            prime = min(60.0, max(2.0, 6 * WARM_PATHS / rate))
            wrk(server, files[f"{kind}-warm"], prime)
            runs[f"{kind}_warm"] = wrk(server, files[f"{kind}-warm"], seconds)
            _say(name, f"{kind} warm", runs[f"{kind}_warm"])
        result["memory"] = worker_memory(server)
        sizes = {kind: body_size(server, files[kind]) for kind in ("json", "html")}
        result["body_bytes"] = sizes

    env = dict(os.environ)
    env["CEILING_JSON_BYTES"] = str(sizes["json"])
    env["CEILING_HTML_BYTES"] = str(sizes["html"])
    port = free_port()
    argv = ceiling_argv(app_argv, port)
    result["ceiling_command"] = " ".join(["python", *argv[1:]])
    result["app_command"] = " ".join(["python", *app_argv[1:]])
    with running(start(f"{name}-ceiling", argv, env, logs / f"{name}-ceiling.log", port)) as server:
        wait_ready(server, "/api/ping")
        wrk(server, files["json"], 1)  # both workers up and warm
        for kind in ("json", "html"):
            runs[f"ceiling_{kind}"] = wrk(server, files[kind], seconds)
            _say(name, f"ceiling {kind}", runs[f"ceiling_{kind}"])
        status, body = get(server.base + "/api/search")
        assert status == 200 and len(body) == sizes["json"], (status, len(body))
    for run_name, run in runs.items():
        if run_name.startswith("ceiling_"):
            continue
        kind = run_name.split("_")[0]
        ceiling = runs[f"ceiling_{kind}"]
        run["rps_ratio"] = run["rps"] / ceiling["rps"] if ceiling["rps"] else None
        if run.get("cpu_ms_per_request") and ceiling.get("cpu_ms_per_request"):
            run["cpu_ratio"] = run["cpu_ms_per_request"] / ceiling["cpu_ms_per_request"]
    return result


def _say(name: str, what: str, run: dict[str, Any]) -> None:
    cpu = run.get("cpu_ms_per_request")
    print(
        f"  {name} {what}: {run['rps']:.0f} req/s, p50 {run.get('p50_ms', 0):.1f} ms, "
        f"p99 {run.get('p99_ms', 0):.1f} ms, cpu {cpu or 0:.2f} ms/req, errors {run['errors']}",
        file=sys.stderr,
    )
