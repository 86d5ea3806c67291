"""Build benchmark: time and peak memory of a full build from ../shared/data (median of N runs).

Each build runs in a fresh process so its peak RSS is its own. A baseline in the same run — merely
parsing every source CSV with the csv module, the least any reader must do — gives a ratio that is
comparable across noisy machines.

    .venv/bin/python bench/build.py [--runs 3] [--sources ../shared/data]
"""

from __future__ import annotations

import argparse
import json
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
    report = build_release(cfg, Path(sources), Store(Path(store)))
    seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": seconds, "peak_bytes": peak, "rows": report.rows_read,
                      "observations": report.observations}))
    """
)

BASELINE = textwrap.dedent(
    """
    import csv, json, resource, sys, time
    from pathlib import Path
    t = time.perf_counter()
    rows = 0
    for path in sorted(Path(sys.argv[1], "ons-els").glob("*/*.csv")):
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows += sum(1 for _ in csv.reader(fh)) - 1
    print(json.dumps({"seconds": time.perf_counter() - t, "rows": rows,
                      "peak_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
    """
)


def _run(code: str, *args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sources", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--config", type=Path, default=REPO / "observatory.toml")
    args = parser.parse_args()
    builds, baselines = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.runs):
            baselines.append(_run(BASELINE, str(args.sources)))
            builds.append(_run(CHILD, str(args.config), str(args.sources), f"{tmp}/store"))
            print(
                f"run {i + 1}: build {builds[-1]['seconds']:.2f} s, peak {builds[-1]['peak_bytes'] / 2**20:.0f} MiB;"
                f" baseline csv parse {baselines[-1]['seconds']:.2f} s",
                file=sys.stderr,
            )
    build_s = statistics.median(b["seconds"] for b in builds)
    peak = statistics.median(b["peak_bytes"] for b in builds)
    base_s = statistics.median(b["seconds"] for b in baselines)
    print(f"source rows:                 {int(builds[0]['rows']):,}")
    print(f"observations published:      {int(builds[0]['observations']):,}")
    print(f"build time, median of {args.runs}:    {build_s:.2f} s  (target < 15 s)")
    print(f"build peak memory, median:   {peak / 2**20:.0f} MiB  (target < 1024 MiB)")
    print(f"baseline csv parse, median:  {base_s:.2f} s")
    print(f"build / baseline:            {build_s / base_s:.1f}x")


if __name__ == "__main__":
    main()
