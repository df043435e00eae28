"""Helpers for the production-serving tests: gunicorn and nginx as real processes.

Everything listens on 127.0.0.1 on a free port, every wait is bounded, and every process
started here is ended (gently, then with SIGKILL to its own process group) even when a test
fails half way.
"""

from __future__ import annotations

import contextlib
import gzip
import http.client
import json
import os
import pwd
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import webapp

from support import REPO

WAIT = 15.0  # seconds: the bound on every wait for a process or a request
NGINX_CONF = REPO / "deploy" / "nginx" / "shownotes.conf"
SERVICE = REPO / "deploy" / "systemd" / "shownotes.service"
STATIC_DIR = Path(webapp.__file__).resolve().parent / "static"  # the installed webapp/static

# What the test rewrites in deploy/nginx/shownotes.conf (the placeholders deploy/README.md
# tells an installer to adjust), each of which must appear exactly once.
LISTEN = "listen 80;"
LISTEN_IPV6 = "listen [::]:80;\n"
STATIC_ALIAS = "alias /srv/shownotes/webapp/static/;"
UPSTREAM = "server 127.0.0.1:8000;"

# gunicorn's access log, one line a request, with the headers nginx is meant to set.
ACCESS_FORMAT = (
    "%(r)s %(s)s host=%({host}i)s xff=%({x-forwarded-for}i)s proto=%({x-forwarded-proto}i)s"
)


# --- tools that may be missing ---------------------------------------------------------------
# The browser tests' rule (tests/browser_support.py): skip, saying what to install, except
# where SHOWNOTES_REQUIRE_BROWSERS=1 (CI), where a missing tool fails the test.


def program(path: str) -> str:
    """The program at `path`, or skip (fail under SHOWNOTES_REQUIRE_BROWSERS=1) without it."""
    found = shutil.which(path)
    if found is not None:
        return found
    reason = f"{path} is not installed"
    if os.environ.get("SHOWNOTES_REQUIRE_BROWSERS") == "1":
        pytest.fail(f"{reason}, and SHOWNOTES_REQUIRE_BROWSERS=1 requires it", pytrace=False)
    pytest.skip(f"{reason} (install with: sudo bash .ci/system-packages)")


# --- waiting and ports -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until(check: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


# --- HTTP ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    status: int
    headers: http.client.HTTPMessage
    raw: bytes  # as sent, maybe gzip-compressed

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def every(self, name: str) -> list[str]:
        return self.headers.get_all(name) or []

    @property
    def body(self) -> bytes:
        if self.header("Content-Encoding") == "gzip":
            return gzip.decompress(self.raw)
        return self.raw

    def json(self) -> Any:
        return json.loads(self.body)

    def text(self) -> str:
        return self.body.decode("utf-8")


def get(
    port: int,
    path: str,
    headers: dict[str, str] | None = None,
    *,
    method: str = "GET",
    body: bytes | None = None,
    timeout: float = WAIT,
) -> Reply:
    """One request on a fresh connection to 127.0.0.1:port."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        connection.close()


def answers(port: int, path: str = "/healthz") -> bool:
    try:
        return get(port, path, timeout=2).status == 200
    except OSError:
        return False


# --- processes -------------------------------------------------------------------------------


def children(pid: int) -> set[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended


def stop(process: subprocess.Popen[bytes], gentle: signal.Signals = signal.SIGTERM) -> None:
    """End a process started in its own session, and everything left in its process group."""
    group = process.pid  # start_new_session=True: the process leads its own group
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(gentle)
        try:
            process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=WAIT)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)  # workers that outlived their master, if any


def log_lines(path: Path) -> list[str]:
    """An access log's lines; none yet when the server has not written it."""
    try:
        return path.read_text().splitlines()
    except FileNotFoundError:
        return []


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# --- gunicorn --------------------------------------------------------------------------------


@dataclass
class Gunicorn:
    """`shownotes serve --prod` (gunicorn, gthread workers) as a subprocess."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path  # gunicorn's own messages (stdout and stderr)
    access_log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def workers(self) -> set[int]:
        return children(self.pid)

    def running(self) -> bool:
        return self.process.poll() is None

    def accessed(self) -> list[str]:
        return log_lines(self.access_log)

    def problem(self) -> str:
        return f"gunicorn log:\n{log_tail(self.log)}"


def serve_command(port: int, *, workers: int, threads: int) -> list[str]:
    """The ExecStart of deploy/systemd/shownotes.service, run from this checkout's Python on
    a test port, with the test's worker and thread counts."""
    lines = SERVICE.read_text(encoding="utf-8").splitlines()
    (exec_start,) = [line for line in lines if line.startswith("ExecStart=")]
    program, *args = shlex.split(exec_start.removeprefix("ExecStart="))
    assert Path(program).name == "shownotes" and args[:2] == ["serve", "--prod"], exec_start
    wanted = {"--host": "127.0.0.1", "--port": str(port)}
    wanted |= {"--workers": str(workers), "--threads": str(threads)}
    for option, value in wanted.items():
        if option in args:
            args[args.index(option) + 1] = value
        else:
            args += [option, value]
    return [sys.executable, "-m", "indexer", *args]


@contextlib.contextmanager
def gunicorn(
    index_dir: Path,
    folder: Path,
    *,
    workers: int = 1,
    threads: int = 2,
    environment: dict[str, str] | None = None,
) -> Iterator[Gunicorn]:
    """Serve the index as deploy/systemd/shownotes.service does, until the block ends."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = folder / "gunicorn.log"
    access_log = folder / "gunicorn-access.log"
    env = dict(os.environ)
    env["SHOWNOTES_QUERY_LOG"] = ""  # leave the (shared) index folder as it was
    # gunicorn (25.1+) opens a control socket in $XDG_RUNTIME_DIR, else in ~/.gunicorn/, one
    # path for every gunicorn of the user: each test server gets its own.
    env["XDG_RUNTIME_DIR"] = str(folder)
    env["SHOWNOTES_INDEX"] = str(index_dir)  # as the unit sets it
    env["GUNICORN_CMD_ARGS"] = shlex.join(
        ["--access-logfile", str(access_log), "--access-logformat", ACCESS_FORMAT]
    )
    env.update(environment or {})
    command = serve_command(port, workers=workers, threads=threads)
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - our own command
            command,
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Gunicorn(process, port, log, access_log)
    try:
        wait_until(
            lambda: answers(port) or not server.running(),
            f"gunicorn on port {port}",
        )
        assert server.running(), f"gunicorn exited with {process.returncode}\n{server.problem()}"
        wait_until(lambda: len(server.workers()) == workers, f"{workers} gunicorn workers")
        yield server
    finally:
        stop(process, signal.SIGINT)  # INT: quick shutdown, nothing to finish here


# --- nginx -----------------------------------------------------------------------------------


@dataclass
class Nginx:
    process: subprocess.Popen[bytes]
    port: int
    folder: Path

    @property
    def access_log(self) -> Path:
        return self.folder / "access.log"

    def accessed(self) -> list[str]:
        return log_lines(self.access_log)

    def problem(self) -> str:
        return f"nginx error log:\n{log_tail(self.folder / 'error.log')}"


def _replace_once(text: str, old: str, new: str) -> str:
    count = text.count(old)
    assert count == 1, (
        f"{NGINX_CONF.relative_to(REPO)} should have {old.strip()!r} exactly once "
        f"(found {count}); the test rewrites it, and deploy/README.md tells installers to"
    )
    return text.replace(old, new)


def server_block(listen_port: int, upstream_port: int, static_dir: Path = STATIC_DIR) -> str:
    """deploy/nginx/shownotes.conf with its placeholders pointed at this test's ports and files."""
    text = NGINX_CONF.read_text(encoding="utf-8")
    text = _replace_once(text, LISTEN, f"listen 127.0.0.1:{listen_port};")
    text = _replace_once(text, LISTEN_IPV6, "")
    text = _replace_once(text, STATIC_ALIAS, f"alias {static_dir}/;")
    return _replace_once(text, UPSTREAM, f"server 127.0.0.1:{upstream_port};")


def nginx_conf(folder: Path, listen_port: int, upstream_port: int) -> str:
    """A whole nginx.conf that runs unprivileged, everything it writes in `folder`."""
    # As root, nginx would switch its workers to "nobody", who cannot enter pytest's folders.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""\
daemon off;
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} notice;
{user}

events {{
    worker_connections 64;
}}

http {{
    types {{
        text/html html;
        text/css css;
        application/javascript js;
        image/svg+xml svg;
    }}
    default_type application/octet-stream;
    access_log {folder / "access.log"};
{temp}

{server_block(listen_port, upstream_port)}
}}
"""


@contextlib.contextmanager
def nginx(binary: str, folder: Path, upstream_port: int) -> Iterator[Nginx]:
    """The real nginx with deploy/nginx/shownotes.conf in front of 127.0.0.1:upstream_port."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = folder / "nginx.conf"
    conf.write_text(nginx_conf(folder, port, upstream_port), encoding="utf-8")
    base = [binary, "-p", str(folder), "-c", str(conf)]
    checked = subprocess.run(  # noqa: S603 - the nginx binary
        [*base, "-t"], capture_output=True, text=True, timeout=WAIT, check=False
    )
    assert checked.returncode == 0, f"nginx -t rejected the configuration:\n{checked.stderr}"
    with (folder / "nginx.out").open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - the nginx binary
            base,
            cwd=folder,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Nginx(process, port, folder)
    try:
        wait_until(
            lambda: answers(port, "/static/favicon.svg") or process.poll() is not None,
            f"nginx on port {port}",
        )
        assert process.poll() is None, f"nginx exited with {process.returncode}\n{server.problem()}"
        yield server
    finally:
        stop(process, signal.SIGQUIT)  # QUIT: nginx's graceful shutdown
