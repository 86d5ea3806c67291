"""Time and memory of the business, workforce, apprenticeship and travel-to-work readers (issue 13).

Each reader runs in a fresh process (median of ``--runs``), with the release's areas from a built store
(``--store``, for the name joins); prints seconds and peak RSS per reader and their sum, the build time these
sources add. Usage: ``python bench/workforce.py --sources ../shared/data --store /tmp/store [--runs 3]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
import duckdb
from observatory.config import load_config
from observatory.model import Area
from observatory.pipeline.build import read_workforce_sources
from observatory.store import Store

sources, store, only = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
config = load_config()
with Store(store).open() as con:
    areas = [Area(r[0], r[1], r[2], tuple(r[3]), r[4], r[5], r[6]) for r in con.execute(
        "SELECT code, name, type, types, valid_from, valid_to, source FROM areas").fetchall()]
keep = {"ons-geography-lookups-2021", "nomis-samples", only}
config = config.model_copy(update={"sources": [s for s in config.sources if s.name in keep]})
start = time.perf_counter()
result = read_workforce_sources(config, sources, areas, lambda _m: None)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mib": peak, "rows": result.rows_read}))
"""

SOURCES = ("nomis-uk-business-counts", "nomis-aps-employment", "nomis-samples", "dfe-apprenticeships",
           "census2021-origin-destination")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sources", required=True)
    parser.add_argument("--store", required=True)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    total = 0.0
    for name in SOURCES:
        runs = []
        for _ in range(args.runs):
            out = subprocess.run([sys.executable, "-c", CHILD, args.sources, args.store, name], capture_output=True,
                                 text=True, check=True).stdout  # fmt: skip
            runs.append(json.loads(out.strip().splitlines()[-1]))
        median = statistics.median(r["seconds"] for r in runs)
        total += median
        print(f"{name:32} {median:6.2f} s  peak {max(r['peak_mib'] for r in runs):6.0f} MiB  rows {runs[0]['rows']:,}")
    print(f"{'all five (sum of medians)':32} {total:6.2f} s  (nomis-samples and the LAD 2022 names are read in each)")


if __name__ == "__main__":
    main()
