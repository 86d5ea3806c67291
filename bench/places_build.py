"""Build time added by places: reading the four place sources, then writing the place tables.

Writing is timed on a copy of the current release with its place tables dropped, so it runs against the
same areas, geometry and observations as a real build (point-in-polygon of every postcode included).
Median of ``--runs`` runs, each in this process. Usage:
``python bench/places_build.py --sources ../shared/data --store DIR [--runs 3]``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

from observatory.config import load_config
from observatory.pipeline.places import read_place_sources, write_places

TABLES = ("lsoa21", "lsoa11_to_lsoa21", "postcodes", "named_places", "place_search")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sources", default="../shared/data")
    parser.add_argument("--store", default="var")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    config = load_config()
    store = Path(args.store)
    current = store / "releases" / f"{(store / 'CURRENT').read_text(encoding='utf-8').strip()}.duckdb"
    reads, writes = [], []
    for _ in range(args.runs):
        started = time.perf_counter()
        sources = read_place_sources(config, Path(args.sources))
        reads.append(time.perf_counter() - started)
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "release.duckdb"
            shutil.copy(current, copy)
            con = duckdb.connect(str(copy))
            for table in TABLES:
                con.execute(f"DROP TABLE IF EXISTS {table}")
            started = time.perf_counter()
            write_places(con, sources, config)
            writes.append(time.perf_counter() - started)
            n = con.execute("SELECT count(*) FROM postcodes").fetchone()
            con.close()
    print(f"places: read {statistics.median(reads):.2f} s, write (incl. point-in-polygon of {n[0] if n else 0:,} "
          f"postcodes) {statistics.median(writes):.2f} s, median of {args.runs}; "
          f"reads {[round(r, 2) for r in reads]}, writes {[round(w, 2) for w in writes]}")  # fmt: skip


if __name__ == "__main__":
    main()
