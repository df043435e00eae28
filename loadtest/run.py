"""Run every load scenario against `shownotes serve --prod` on 127.0.0.1 and report.

    .venv/bin/python loadtest/run.py            # full: 5 min steady, 1 min spike, ...; ~12 min
    .venv/bin/python loadtest/run.py --short    # seconds each, the form tests/test_load.py runs

The index is built from the Running in Production corpus beside the checkout (or the sample
episodes without it) into a temporary folder, served by gunicorn (2 workers x 4 threads, the
`serve --prod` defaults), and rebuilt into that same folder during the spike. Figures are
printed and written as JSON (--json, default loadtest/results.json; not committed).
Exit status: 0 when every promise was kept, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loadtest import load  # noqa: E402


@dataclass(frozen=True)
class Plan:
    steady: float
    steady_connections: int
    spike: float
    spike_connections: int
    spike_after: float
    expensive: float
    attackers: int
    kill: float
    # Tolerances for the recovery and the expensive-query comparison.
    recovery_tolerance: float
    slack: float


FULL = Plan(
    steady=300, steady_connections=8, spike=60, spike_connections=256, spike_after=30,
    expensive=60, attackers=50, kill=12, recovery_tolerance=1.25, slack=0.010,
)  # fmt: skip
SHORT = Plan(
    steady=3, steady_connections=8, spike=3, spike_connections=64, spike_after=12,
    expensive=3, attackers=50, kill=6, recovery_tolerance=2.0, slack=0.050,
)  # fmt: skip


def run(plan: Plan, source: Path, *, workers: int = 2, threads: int = 4) -> dict[str, Any]:
    """Every scenario on one server over a fresh index of `source`."""
    report: dict[str, Any] = {"source": str(source), "workers": workers, "threads": threads}
    started = time.monotonic()
    with (
        load.index_copy(source) as index_dir,
        load.serve(index_dir, workers=workers, threads=threads) as server,
    ):
        work = load.workload(server.port)
        report["workload"] = {
            "searches": len(work.searches),
            "episode_pages": len(work.episode_pages),
            "api": len(work.api),
        }
        # Warm up: every worker opens the index and compiles its templates.
        load.steady(server, work, seconds=min(5.0, plan.steady), connections=8)
        connections = plan.steady_connections
        results = [load.steady(server, work, seconds=plan.steady, connections=connections)]
        steady_p95 = results[0].figures["overall"]["p95_ms"] / 1000
        results.append(
            load.spike(
                server,
                work,
                source,
                steady_p95=steady_p95,
                seconds=plan.spike,
                connections=plan.spike_connections,
                steady_connections=plan.steady_connections,
                after=plan.spike_after,
                tolerance=plan.recovery_tolerance,
                slack=plan.slack,
            )  # fmt: skip
        )
        results.append(
            load.volume(
                server,
                work,
                steady_p95=steady_p95,
                seconds=plan.expensive,
                others=plan.attackers,
                normal_connections=plan.steady_connections,
            )  # fmt: skip
        )
        for costly in (False, True):
            results.append(
                load.expensive(
                    server,
                    work,
                    steady_p95=steady_p95,
                    seconds=plan.expensive,
                    costly=costly,
                    attackers=plan.attackers,
                    normal_connections=plan.steady_connections,
                    slack=plan.slack,
                )  # fmt: skip
            )
        results.append(load.kill_worker(server, work, seconds=plan.kill))
    report["results"] = {
        r.name: {"promises": r.promises, "kept": r.kept, "figures": r.figures} for r in results
    }
    report["kept"] = all(r.kept for r in results)
    report["minutes"] = round((time.monotonic() - started) / 60, 1)
    return report


def summary(report: dict[str, Any]) -> str:
    lines = [f"source: {report['source']}; run took {report['minutes']} min"]
    for name, result in report["results"].items():
        lines.append(f"\n== {name}")
        for promise, kept in result["promises"].items():
            lines.append(f"  [{'kept' if kept else 'BROKEN'}] {promise}")
        figures = result["figures"]
        for key in (
            "overall", "during_spike", "normal_searches", "refused", "costly_allowed",
            "costly_shed",
        ):  # fmt: skip
            if key in figures:
                f = figures[key]
                lines.append(
                    f"  {key}: {f['requests']} requests, {f['per_second']}/s, "
                    f"p50 {f['p50_ms']} ms, p95 {f['p95_ms']} ms, p99 {f['p99_ms']} ms, "
                    f"5xx {f['server_errors']}, shed {f.get('shed', 0)}, no answer {f['failed']}"
                )
        for key in (
            "switches", "recovered_after_s", "p95_windows_after_ms", "normal_p95_ratio",
            "replaced_after_s", "failed", "failures_per_client", "server_cpu_ms_per_request",
        ):  # fmt: skip
            if key in figures:
                lines.append(f"  {key}: {figures[key]}")
    lines.append("\nall promises kept" if report["kept"] else "\nSOME PROMISES BROKEN")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--short", action="store_true", help="seconds per scenario, not minutes")
    parser.add_argument("--source", type=Path, help="episode folder or Jekyll site to index")
    parser.add_argument("--json", type=Path, default=Path(__file__).with_name("results.json"))
    args = parser.parse_args(argv)
    source, described = (args.source, str(args.source)) if args.source else load.default_source()
    print(f"indexing {described}; {'short' if args.short else 'full'} run", flush=True)
    # Ctrl-C or a TERM ends the run through the context managers, which stop every process.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    report = run(SHORT if args.short else FULL, source)
    args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(summary(report))
    print(f"\nfigures: {args.json}")
    return 0 if report["kept"] else 1


if __name__ == "__main__":
    sys.exit(main())
