"""Chart and map benchmark: render times (cold and warm) and sizes for the charts of an indicator page.

Cold is the first call in a fresh process (vl-convert's engine start, the map's project/simplify/encode);
warm is the median of later calls. Reads the current release of a store (build one first).

    .venv/bin/python bench/charts.py [--store var] [--indicator gross-value-added-per-hour-worked] [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from observatory import format as nf
from observatory.stats.classes import quantile_breaks
from observatory.store import Store
from observatory.web.charts import Point, Series, line_chart, warm_up
from observatory.web.maps import MapArea, choropleth

SOUTH_ESSEX = ("E07000066", "E07000068", "E07000069", "E07000075", "E06000033", "E06000034")
COMPARATORS = ("E92000001", "E12000006", "E10000012")


def timed(fn: Callable[[], str], runs: int) -> tuple[float, float, int]:
    """Seconds of the first call, median seconds of the next ``runs``, and the output's size in bytes."""
    t = time.perf_counter()
    out = fn()
    cold = time.perf_counter() - t
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return cold, statistics.median(times), len(out.encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", type=Path, default=Path("var"))
    parser.add_argument("--indicator", default="gross-value-added-per-hour-worked")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    with Store(args.store).open() as con:
        prefix, suffix, decimals, label = con.execute(
            "SELECT coalesce(prefix, ''), coalesce(suffix, ''), coalesce(decimals, 1), label"
            " FROM indicators WHERE slug = ?",
            [args.indicator],
        ).fetchall()[0]
        series = []
        for code in (*SOUTH_ESSEX, *COMPARATORS):
            name = con.execute("SELECT name FROM areas WHERE code = ?", [code]).fetchall()[0][0]
            rows = con.execute(
                "SELECT period_start, period_label, value, lci_95, uci_95 FROM observations"
                " WHERE indicator = ? AND area_code = ? ORDER BY period_start",
                [args.indicator, code],
            ).fetchall()
            series.append(Series(code, name, tuple(Point(*r) for r in rows)))
        features = [
            MapArea(*row)
            for row in con.execute(
                """
                WITH latest AS (
                  SELECT area_code, value, period_label,
                         row_number() OVER (PARTITION BY area_code ORDER BY period_start DESC) AS n
                  FROM observations WHERE indicator = ?)
                SELECT a.code, a.name, g.geojson, l.value, l.period_label
                FROM areas a JOIN area_geometry g USING (code)
                LEFT JOIN latest l ON l.area_code = a.code AND l.n = 1
                WHERE list_contains(a.types, 'ltla') AND a.valid_to IS NULL ORDER BY a.code
                """,
                [args.indicator],
            ).fetchall()
        ]

    breaks = quantile_breaks([f.value for f in features])  # what the build writes into map_classes
    t = time.perf_counter()
    warm_up()
    print(f"vl-convert warm-up: {time.perf_counter() - t:.2f} s")

    def chart() -> str:
        return line_chart(
            series,
            title=label,
            y_title=label,
            unit=nf.Unit(prefix, suffix, decimals),
            highlight=SOUTH_ESSEX,
            chart_id="bench-chart",
        )

    def national() -> str:
        return choropleth(
            features,
            breaks=breaks,
            title=label,
            legend_title=label,
            unit=nf.Unit(prefix, suffix, decimals),
            outline=SOUTH_ESSEX,
            inset=SOUTH_ESSEX,
            chart_id="bench-map",
        )

    for name, fn in (("line chart", chart), (f"map of {len(features)} areas + inset", national)):
        cold, warm, size = timed(fn, args.runs)
        print(f"{name}: cold {cold * 1000:.0f} ms, warm median {warm * 1000:.1f} ms, {size / 1024:.1f} KB")


if __name__ == "__main__":
    main()
