"""`shownotes serve --prod`: gunicorn's graceful reload, lost workers, and a live index."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import struct
import threading
from pathlib import Path

import pytest
from prod_support import WAIT, Gunicorn, alive, get, gunicorn, wait_until

from indexer import Sources, build_index

from support import REPO, write_episode

pytest.importorskip("gunicorn", reason="`shownotes serve --prod` needs the prod extra")
pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="finds gunicorn's workers through Linux /proc"
)

SEARCH = "/api/search?q=redis"


def search_works(port: int) -> None:
    reply = get(port, SEARCH)
    assert reply.status == 200
    assert reply.json()["total"] > 0


class Traffic:
    """Searches one after another from a thread, counting failures, until stopped."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.done = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="traffic", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                status = get(self.port, SEARCH).status
            except (OSError, http.client.HTTPException) as exc:
                self.failures.append(repr(exc))
                continue
            if status == 200:
                self.done += 1
            else:
                self.failures.append(f"HTTP {status}")

    def __enter__(self) -> Traffic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=WAIT)


def test_sighup_reloads_workers_gracefully(sample_index: Path, tmp_path: Path) -> None:
    with gunicorn(sample_index, tmp_path, workers=2, threads=2) as server:
        search_works(server.port)
        old = server.workers()
        with Traffic(server.port) as traffic:
            wait_until(lambda: traffic.done >= 5, "searches before the reload")
            os.kill(server.pid, signal.SIGHUP)
            hung_up = traffic.done
            wait_until(
                lambda: not (server.workers() & old) and len(server.workers()) == 2,
                f"two new workers in place of {sorted(old)}",
            )
            reloaded = traffic.done
            wait_until(lambda: traffic.done >= reloaded + 5, "searches after the reload")
        assert traffic.failures == [], server.problem()
        assert reloaded > hung_up, "searches were answered while the workers were replaced"
        assert server.running() and alive(server.pid)  # the same master throughout
        assert not any(alive(pid) for pid in old)
        search_works(server.port)
        assert "Hang up" in server.log.read_text(), server.problem()


def _server_side_inode(client: socket.socket, server_port: int) -> int:
    """The inode of the server's end of this connection (0 until it is accepted)."""
    client_port = client.getsockname()[1]
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, inode = fields[1], fields[2], int(fields[9])
        if local.endswith(f":{server_port:04X}") and remote.endswith(f":{client_port:04X}"):
            return inode
    return 0


def _holds(pid: int, inode: int) -> bool:
    try:
        links = [os.readlink(f) for f in Path(f"/proc/{pid}/fd").iterdir()]
    except OSError:
        return False
    return inode != 0 and f"socket:[{inode}]" in links


def test_worker_killed_mid_request_is_replaced(sample_index: Path, tmp_path: Path) -> None:
    with gunicorn(sample_index, tmp_path, workers=1, threads=2) as server:
        search_works(server.port)
        (worker,) = server.workers()
        with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as client:
            # Half a request: the worker has taken the connection and waits for the rest.
            client.sendall(b"GET /api/search?q=redis HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            wait_until(
                lambda: _holds(worker, _server_side_inode(client, server.port)),
                "the worker to take the connection",
            )
            os.kill(worker, signal.SIGKILL)
            try:
                answer = client.recv(4096)
            except ConnectionResetError:
                answer = b""
            assert answer == b"", "the killed worker's connection is closed without an answer"
        wait_until(lambda: len(server.workers() - {worker}) == 1, "a new worker")
        assert not alive(worker)
        for _ in range(5):
            search_works(server.port)
        assert server.running(), server.problem()


def _build(index_dir: Path, source: Path) -> str:
    return build_index(index_dir, Sources(episodes=(source,))).generation


def test_new_generation_is_served_on_the_next_request(tmp_path: Path) -> None:
    """Every worker serves a new index generation at once: no reload, no restart."""
    source = tmp_path / "episodes"
    shutil.copytree(REPO / "episodes", source)
    index_dir = tmp_path / "index"
    first = _build(index_dir, source)
    with gunicorn(index_dir, tmp_path / "server", workers=2, threads=2) as server:
        assert all(_generation(server) == first for _ in range(6))
        assert get(server.port, "/api/search?q=quokka").json()["total"] == 0
        write_episode(
            source,
            "2024-06-03-16-a-quokka-census.md",
            title="A Quokka Census",
            topics=("3:10 -- Counting quokkas on Rottnest with a Raspberry Pi",),
        )
        second = _build(index_dir, source)
        assert second != first
        workers = server.workers()
        # Each of these requests may land on either worker; every one answers from the new
        # generation, the first request after the switch included.
        for _ in range(10):
            assert _generation(server) == second
            assert get(server.port, "/api/search?q=quokka").json()["total"] == 1
        assert server.workers() == workers  # served without restarting a worker


def _generation(server: Gunicorn) -> str:
    body = get(server.port, "/healthz").json()
    generation: str = body["generation"]
    return generation


def test_ready_notification_comes_from_the_main_pid(sample_index: Path, tmp_path: Path) -> None:
    """The unit's Type=notify with NotifyAccess=main: gunicorn's master, the process systemd
    started (`shownotes serve` execs it), says READY=1 once it listens."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
        notify.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        notify.bind(str(tmp_path / "notify"))
        notify.settimeout(WAIT)
        environment = {"NOTIFY_SOCKET": str(tmp_path / "notify")}
        with gunicorn(sample_index, tmp_path / "server", environment=environment) as server:
            message, ancillary, _flags, _address = notify.recvmsg(
                4096, socket.CMSG_SPACE(struct.calcsize("3i"))
            )
            assert b"READY=1" in message.split(b"\n")
            credentials = [
                data
                for level, kind, data in ancillary
                if (level, kind) == (socket.SOL_SOCKET, socket.SCM_CREDENTIALS)
            ]
            assert credentials, "no sender credentials"
            sender, _uid, _gid = struct.unpack("3i", credentials[0])
            assert sender == server.pid
