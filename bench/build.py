"""Build benchmark: time and peak memory of a full build from ../shared/data (median of N runs).

Each build runs in a fresh process so its peak RSS is its own. A baseline in the same run — merely
parsing every source CSV with the csv module, the least any reader must do — gives a ratio that is
comparable across noisy machines.

    .venv/bin/python bench/build.py [--runs 3] [--sources ../shared/data] [--before OLD/src]

Each run reports wall time and CPU time (user+sys of the build process): on a shared machine compare
CPU times, or wall times measured in the same minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = textwrap.dedent(
    """
    import json, resource, sys, time
    from pathlib import Path
    from observatory.config import load_config
    from observatory.pipeline.build import build_release
    from observatory.store import Store
    config, sources, store = sys.argv[1:4]
    cfg = load_config(Path(config))
    t = time.perf_counter()
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    cpu0 = usage0.ru_utime + usage0.ru_stime
    report = build_release(cfg, Path(sources), Store(Path(store)))
    seconds = time.perf_counter() - t
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak = usage.ru_maxrss * 1024
    print(json.dumps({"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime - cpu0, "peak_bytes": peak,
                      "rows": report.rows_read, "observations": report.observations,
                      "content_hash": report.content_hash}))
    """
)

BASELINE = textwrap.dedent(
    """
    import csv, json, resource, sys, time
    from pathlib import Path
    t = time.perf_counter()
    cpu0 = time.process_time()
    rows = 0
    for path in sorted(Path(sys.argv[1], "ons-els").glob("*/*.csv")):
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows += sum(1 for _ in csv.reader(fh)) - 1
    print(json.dumps({"seconds": time.perf_counter() - t, "cpu": time.process_time() - cpu0, "rows": rows,
                      "peak_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
    """
)


def _run(code: str, *args: str, src: Path | None = None) -> dict[str, float]:
    """Run ``code`` in a fresh interpreter; ``src`` puts another checkout's ``src/`` first on its path."""
    env = {**os.environ, "PYTHONPATH": str(src)} if src else None
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, text=True, env=env)
    # the last JSON line: DuckDB may draw its progress bar ("100% ▕███▏") on stdout when a query is slow
    last = [line for line in out.stdout.replace("\r", "\n").splitlines() if line.startswith("{")][-1]
    result: dict[str, float] = json.loads(last)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sources", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--config", type=Path, default=REPO / "observatory.toml")
    parser.add_argument(
        "--before",
        type=Path,
        help="the src/ folder of an earlier commit (e.g. from `git archive`): each run also builds with it, "
        "interleaved, and the medians of both are compared (same machine, same minutes)",
    )
    args = parser.parse_args()
    builds, baselines, befores = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.runs):
            baselines.append(_run(BASELINE, str(args.sources)))
            if args.before:
                befores.append(_run(CHILD, str(args.config), str(args.sources), f"{tmp}/before-{i}", src=args.before))
                print(
                    f"run {i + 1}: before {befores[-1]['seconds']:.2f} s (CPU {befores[-1]['cpu']:.2f} s),"
                    f" content hash {str(befores[-1]['content_hash'])[:16]}",
                    file=sys.stderr,
                )
            builds.append(_run(CHILD, str(args.config), str(args.sources), f"{tmp}/store-{i}"))  # a fresh store
            print(
                f"run {i + 1}: build {builds[-1]['seconds']:.2f} s (CPU {builds[-1]['cpu']:.2f} s),"
                f" peak {builds[-1]['peak_bytes'] / 2**20:.0f} MiB; baseline csv parse {baselines[-1]['seconds']:.2f} s"
                f" (CPU {baselines[-1]['cpu']:.2f} s); content hash {str(builds[-1]['content_hash'])[:16]}",
                file=sys.stderr,
            )
    build_s = statistics.median(b["seconds"] for b in builds)
    peak = statistics.median(b["peak_bytes"] for b in builds)
    base_s = statistics.median(b["seconds"] for b in baselines)
    build_cpu = statistics.median(b["cpu"] for b in builds)
    base_cpu = statistics.median(b["cpu"] for b in baselines)
    print(f"source rows:                 {int(builds[0]['rows']):,}")
    print(f"observations published:      {int(builds[0]['observations']):,}")
    print(f"build time, median of {args.runs}:    {build_s:.2f} s  (target < 15 s)")
    print(f"build peak memory, median:   {peak / 2**20:.0f} MiB  (target < 1024 MiB)")
    print(f"baseline csv parse, median:  {base_s:.2f} s")
    print(f"build / baseline:            {build_s / base_s:.1f}x")
    print(f"build CPU (user+sys), median: {build_cpu:.2f} s  (baseline CPU {base_cpu:.2f} s)")
    print(f"build CPU / baseline CPU:    {build_cpu / base_cpu:.1f}x")
    print(f"content hash:                {', '.join(sorted({str(b['content_hash']) for b in builds}))}")
    if befores:
        before_s = statistics.median(b["seconds"] for b in befores)
        before_cpu = statistics.median(b["cpu"] for b in befores)
        print(f"before: build time, median:  {before_s:.2f} s, CPU {before_cpu:.2f} s")
        print(f"after / before:              time {build_s / before_s:.2f}x, CPU {build_cpu / before_cpu:.2f}x")
        same = {str(b["content_hash"]) for b in befores} == {str(b["content_hash"]) for b in builds}
        print(f"before content hash:         {', '.join(sorted({str(b['content_hash']) for b in befores}))}"
              f" ({'the same release content' if same else 'DIFFERENT release content'})")  # fmt: skip


if __name__ == "__main__":
    main()
