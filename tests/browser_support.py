"""Helpers for the real-browser (Chromium) and terminal-browser (w3m) tests.

A live server in a thread, generated audio, the one rule for missing tools (skip, or fail
where SHOWNOTES_REQUIRE_BROWSERS=1), and axe-core from the npm registry.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import wave
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from support import REPO

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

REQUIRE_ENV = "SHOWNOTES_REQUIRE_BROWSERS"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Timestamps call audio.play() the way a click would; headless has no user to gesture.
    "--autoplay-policy=no-user-gesture-required",
]
HOW_TO_INSTALL = "sudo bash .ci/system-packages; .venv/bin/pip install -e '.[dev]'"

# axe-core is fetched from the npm registry into tests/.node (git-ignored), pinned exactly so a
# new release's rules cannot turn CI red on their own: upgrade it on purpose.
AXE_VERSION = "4.14.1"
NODE_DIR = REPO / "tests" / ".node"
AXE_PACKAGE = NODE_DIR / "node_modules" / "axe-core"


def required() -> bool:
    """True where the browser tests must run (CI): a missing tool then fails them."""
    return os.environ.get(REQUIRE_ENV) == "1"


def unavailable(reason: str) -> NoReturn:
    """Skip a test whose tool is missing, saying what to install; fail instead in CI."""
    if required():
        pytest.fail(f"{reason}, and {REQUIRE_ENV}=1 requires the browser tests", pytrace=False)
    pytest.skip(f"{reason} (install with: {HOW_TO_INSTALL})")


def executable(path_or_name: str) -> str:
    """The full path of a program, or skip/fail (see `unavailable`) when it is not there."""
    found = shutil.which(path_or_name)
    if found is None:
        unavailable(f"{path_or_name} is not installed")
    return found


# --- audio -----------------------------------------------------------------------------------

AUDIO_RATE = 4000  # 8-bit mono at 4 kHz: 4 kB a second, about 10 MB for a 43-minute episode


def write_silence(path: Path, seconds: int) -> Path:
    """A WAV file of `seconds` of silence that browsers can play and seek (with Range requests)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)  # 8-bit PCM is unsigned: 0x80 is silence
        out.setframerate(AUDIO_RATE)
        second = b"\x80" * AUDIO_RATE
        for _ in range(seconds):
            out.writeframesraw(second)
    return path


# --- the live server -------------------------------------------------------------------------


class _ClosingApp:
    """Closes every response body, also when the client hangs up half way.

    Werkzeug's development server skips `close()` when the client drops the connection while a
    body is still being sent (a browser seeking in audio does this all the time), leaving the
    audio file to the garbage collector and a ResourceWarning, an error under
    `filterwarnings = error`. The generator below is closed when werkzeug lets go of it, and
    closes the body in turn.
    """

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return self._body(environ, start_response)

    def _body(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterator[bytes]:
        body = self.app(environ, start_response)
        try:
            yield from body
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()


class _QuietHandler(WSGIRequestHandler):
    """No line per request on stderr (errors are still logged)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class LiveServer:
    """A WSGI app served on 127.0.0.1 on a free port, from a background thread."""

    def __init__(self, app: WSGIApplication) -> None:
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", 0, _ClosingApp(app), threaded=True, request_handler=_QuietHandler
        )
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="shownotes-live-server", daemon=True
        )
        self._thread.start()

    def __call__(self, path: str) -> str:
        return self.url + path

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()


# --- axe-core --------------------------------------------------------------------------------


def _installed_axe_version() -> str | None:
    try:
        manifest: dict[str, Any] = json.loads((AXE_PACKAGE / "package.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    version = manifest.get("version")
    return version if isinstance(version, str) else None


def axe_source() -> str:
    """axe-core's browser build, installed into tests/.node with npm on first use."""
    if _installed_axe_version() != AXE_VERSION:
        executable("node")
        npm = executable("npm")
        NODE_DIR.mkdir(parents=True, exist_ok=True)
        command = [
            npm,
            "install",
            "--prefix",
            str(NODE_DIR),
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "--save-exact",
            f"axe-core@{AXE_VERSION}",
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        if done.returncode != 0 or _installed_axe_version() != AXE_VERSION:
            unavailable(f"npm could not install axe-core@{AXE_VERSION}: {done.stderr.strip()}")
    return (AXE_PACKAGE / "axe.min.js").read_text("utf-8")
