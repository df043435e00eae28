"""Run every benchmark and write bench/RESULTS.md (and the raw figures, bench/results.json).

    .venv/bin/python bench/run.py                 # real corpus + 117, 1,000, 10,000 synthetic
    .venv/bin/python bench/run.py --quick         # smoke run: real corpus + 1,000, short wrk
    .venv/bin/python bench/run.py --stretch       # also 50,000 synthetic episodes
    .venv/bin/python bench/run.py --sizes 1000 --skip-http

Generated corpora and built indexes are kept under bench/.cache/ (git-ignored): corpora are
reused while the generator version, size and seed match; indexes are rebuilt by every run
(that is the build benchmark) unless `--reuse-builds` keeps them, with their earlier figures.
Needs `wrk` on the PATH for the HTTP part (Debian: `apt-get install wrk`).
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import hashlib
import importlib.metadata
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import generate
import report
import serving
from common import BENCH, CACHE, REAL, REAL_CORPUS, REPO, SEED, read_json, summary, write_json

PYTHON = sys.executable


@dataclass(frozen=True)
class Corpus:
    name: str  # "real" or the number of synthetic episodes
    source: Path
    synthetic: bool

    @property
    def index(self) -> Path:
        return CACHE / f"index-{self.name}"

    @property
    def size_hint(self) -> int:
        return int(self.name) if self.synthetic else 117


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def synthetic_corpus(episodes: int, seed: int) -> Corpus:
    """The generated corpus, reused from the cache when it was made by this generator."""
    folder = CACHE / f"corpus-{episodes}-seed{seed}"
    marker = folder / ".complete"
    wanted = f"{generate.GENERATOR_VERSION} {episodes} {seed}"
    if not (marker.exists() and marker.read_text(encoding="utf-8") == wanted):
        log(f"generating {episodes:,} episodes (seed {seed})")
        started = time.perf_counter()
        generate.generate(episodes, seed, folder)
        marker.write_text(wanted, encoding="utf-8")
        log(f"  done in {time.perf_counter() - started:.1f} s")
    return Corpus(str(episodes), folder, synthetic=True)


def repeats(size: int, quick: bool) -> tuple[int, int]:
    """(full builds, incremental rounds) for a corpus of `size` episodes."""
    if size <= 200:
        return (2, 2) if quick else (5, 5)
    if size <= 2000:
        return (1, 1) if quick else (3, 3)
    return (1, 1)


def run_builds(corpus: Corpus, quick: bool, reuse: bool) -> dict[str, Any]:
    saved = CACHE / "results" / f"build-{corpus.name}.json"
    if reuse and saved.exists() and (corpus.index / "CURRENT").exists():
        log(f"builds {corpus.name}: reusing the cached index and its figures")
        data: dict[str, Any] = read_json(saved)
        data["reused"] = True
        return data
    full, rounds = repeats(corpus.size_hint, quick)
    log(f"builds {corpus.name}: {full} full, {rounds} incremental rounds")
    subprocess.run(
        [
            PYTHON,
            str(BENCH / "builds.py"),
            "--name",
            corpus.name,
            "--source",
            str(corpus.source),
            "--index",
            str(corpus.index),
            "--work",
            str(CACHE / "work"),
            "--repeat",
            str(full),
            "--incremental",
            str(rounds),
            "--seed",
            str(SEED),
            "--json",
            str(saved),
        ],
        check=True,
        cwd=REPO,
    )
    data = read_json(saved)
    data["date"] = dt.datetime.now().isoformat(timespec="seconds")
    write_json(saved, data)
    return data


def run_cli_build(corpus: Corpus, times: int) -> dict[str, Any]:
    """Wall time of `shownotes index --rebuild -q`, interpreter start to exit."""
    target = CACHE / "work" / f"cli-{corpus.name}"
    shownotes = str(REPO / ".venv" / "bin" / "shownotes")
    samples = []
    for _ in range(times):
        shutil.rmtree(target, ignore_errors=True)
        started = time.perf_counter()
        subprocess.run(
            [shownotes, "index", "--source", str(corpus.source), "--index", str(target), "-q"],
            check=True,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        samples.append(time.perf_counter() - started)
    shutil.rmtree(target, ignore_errors=True)
    startup = []
    for _ in range(times):
        started = time.perf_counter()
        subprocess.run([shownotes, "--version"], check=True, stdout=subprocess.DEVNULL)
        startup.append(time.perf_counter() - started)
    return {"seconds": summary(samples), "startup": summary(startup)}


def run_queries(corpus: Corpus, quick: bool) -> dict[str, Any]:
    out = CACHE / "results" / f"queries-{corpus.name}.json"
    budget, min_reps, searches = (0.1, 3, 16) if quick else (0.5, 5, 40)
    if corpus.size_hint > 2000:
        min_reps, searches = 3, 24
    log(f"queries {corpus.name}")
    subprocess.run(
        [
            PYTHON,
            str(BENCH / "inprocess.py"),
            "--index",
            str(corpus.index),
            "--json",
            str(out),
            "--budget",
            str(budget),
            "--min-reps",
            str(min_reps),
            "--workload",
            str(searches),
        ],
        check=True,
        cwd=REPO,
    )
    data: dict[str, Any] = read_json(out)
    return data


def code_fingerprint() -> str:
    """A hash of the code under test (indexer/, webapp/, pyproject.toml) as it is on disk."""
    digest = hashlib.sha256()
    files = [REPO / "pyproject.toml"]
    for package in ("indexer", "webapp"):
        files += [p for p in (REPO / package).rglob("*") if p.is_file()]
    for path in sorted(files):
        if "__pycache__" in path.parts:
            continue
        digest.update(str(path.relative_to(REPO)).encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def environment(argv: list[str]) -> dict[str, Any]:
    def version(package: str) -> str:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    def output(*command: str) -> str:
        try:
            done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=30)
        except OSError:
            return ""
        return (done.stdout + done.stderr).strip()

    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="ascii") as info:
        memory_kb = int(info.readline().split()[1])
    dirty = output("git", "status", "--porcelain", "--", "indexer", "webapp", "pyproject.toml")
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": " ".join(["python", "bench/run.py", *argv]),
        "host": platform.node(),
        "os": f"{platform.system()} {platform.release()}",
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "packages": {p: version(p) for p in ("whoosh3", "flask", "werkzeug", "gunicorn")},
        "wrk": output("wrk", "-v").splitlines()[0] if shutil.which("wrk") else "not installed",
        "commit": output("git", "rev-parse", "--short", "HEAD"),
        "code_fingerprint": code_fingerprint(),
        "uncommitted_app_changes": bool(dirty),
        "loadavg_start": Path("/proc/loadavg").read_text(encoding="ascii").split()[:3],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run, under two minutes")
    parser.add_argument("--sizes", help="synthetic corpus sizes (default 117,1000,10000)")
    parser.add_argument("--stretch", action="store_true", help="add 50,000 synthetic episodes")
    parser.add_argument("--skip-http", action="store_true", help="no wrk benchmarks")
    parser.add_argument(
        "--http-sizes", help="corpora served over HTTP (default: real and sizes >= 1000)"
    )
    parser.add_argument("--seconds", type=float, help="seconds per wrk run (default 6, quick 2)")
    parser.add_argument("--reuse-builds", action="store_true", help="keep cached indexes")
    parser.add_argument("--out", type=Path, default=BENCH / "RESULTS.md")
    args = parser.parse_args(argv)
    raw_argv = list(sys.argv[1:] if argv is None else argv)

    def stop(signum: int, _frame: FrameType | None) -> None:
        serving.stop_all()
        raise SystemExit(128 + signum)

    atexit.register(serving.stop_all)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    started = time.perf_counter()
    sizes = [
        int(s) for s in (args.sizes or ("1000" if args.quick else "117,1000,10000")).split(",")
    ]
    if args.stretch:
        sizes.append(50_000)
    seconds = args.seconds or (2.0 if args.quick else 6.0)
    skip_http = args.skip_http
    if not skip_http and not shutil.which("wrk"):
        log("wrk is not installed: skipping the HTTP benchmarks (apt-get install wrk)")
        skip_http = True

    results: dict[str, Any] = {
        "environment": environment(raw_argv),
        "settings": {
            "quick": args.quick,
            "sizes": sizes,
            "wrk_seconds": seconds,
            "workers": serving.WORKERS,
            "threads": serving.THREADS,
            "seed": SEED,
        },
        "corpora": {},
        "notes": [],
    }
    corpora: list[Corpus] = []
    if (REAL_CORPUS / "_posts").is_dir():
        corpora.append(Corpus(REAL, REAL_CORPUS, synthetic=False))
    else:
        results["notes"].append(
            f"The real corpus is not at {REAL_CORPUS}: its figures are missing."
        )
    corpora += [synthetic_corpus(size, SEED) for size in sizes]
    if args.http_sizes:
        http_names = set(args.http_sizes.split(","))
    else:
        http_names = {c.name for c in corpora if not c.synthetic or c.size_hint >= 1000}
        http_names.discard("50000")  # minutes per uncached wrk run; ask with --http-sizes

    for corpus in corpora:
        entry: dict[str, Any] = {"synthetic": corpus.synthetic}
        results["corpora"][corpus.name] = entry
        entry["build"] = run_builds(corpus, args.quick, args.reuse_builds)
        if not corpus.synthetic:
            entry["cli_build"] = run_cli_build(corpus, 1 if args.quick else 3)
        entry["queries"] = run_queries(corpus, args.quick)
        if not skip_http and corpus.name in http_names:
            log(f"http {corpus.name}")
            try:
                entry["http"] = serving.benchmark(
                    corpus.name,
                    corpus.index,
                    entry["queries"]["popular_tags"],
                    seconds=seconds,
                    work=CACHE / "work" / "http",
                )
            finally:
                serving.stop_all()

    env = results["environment"]
    env["loadavg_end"] = Path("/proc/loadavg").read_text(encoding="ascii").split()[:3]
    env["commit_end"] = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO
    ).stdout.strip()
    env["code_fingerprint_end"] = code_fingerprint()
    if env["code_fingerprint_end"] != env["code_fingerprint"]:
        log("warning: indexer/ or webapp/ changed during the run; the figures mix versions")
        results["notes"].append(
            "The code under test (indexer/, webapp/) changed while this ran (commit "
            f"{env['commit']} -> {env['commit_end']}): figures of different corpora may come "
            "from different versions. Run it again."
        )
    env["runtime_seconds"] = round(time.perf_counter() - started, 1)
    write_json(
        BENCH / "results.json"
        if args.out == BENCH / "RESULTS.md"
        else args.out.with_suffix(".json"),
        results,
    )
    args.out.write_text(report.render(results), encoding="utf-8")
    log(f"wrote {args.out} in {env['runtime_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
