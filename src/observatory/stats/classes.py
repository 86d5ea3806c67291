"""Choropleth classes: the class breaks of every indicator's map, computed once by the build.

The indicator map colours the current English, Welsh, Scottish and Northern Irish local authorities (every
current lower-tier area with a boundary) in up to five quantile classes: equal numbers of areas per class,
fewer classes when the values have fewer distinct levels. The breaks are a statistic of the release, so the
build writes them into ``map_classes`` (one row per class) and the web only draws them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

import duckdb
import numpy as np

from observatory.release import schema
from observatory.release.read import CURRENT_LTLA

METHOD = "map-quantile-classes"
CLASSES = 5
DESCRIPTION = (
    "Maps colour the current local authorities in up to five classes with equal numbers of areas (quintiles of the "
    "values at the period shown, linear interpolation between neighbouring values); fewer classes where the values "
    "have fewer distinct levels. A value on a break belongs to the class above it."
)
# The areas a map shows: current lower-tier authorities with a boundary (the same rule as the map's features).
MAPPED_SQL = f"""
SELECT o.indicator, o.period, o.value
FROM observations o JOIN areas a ON a.code = o.area_code JOIN area_geometry g ON g.code = a.code
WHERE {CURRENT_LTLA} AND o.value IS NOT NULL AND isfinite(o.value)
"""  # noqa: S608 (constant fragment)


def quantile_breaks(values: Sequence[float | None], n: int = CLASSES) -> tuple[float, ...]:
    """Breaks of up to ``n`` classes with equal numbers of values: ``breaks[i]``–``breaks[i+1]`` is class i.

    Quantiles by linear interpolation (numpy's default, DuckDB's ``quantile_cont``); repeated breaks are
    dropped, so there are fewer classes when the values have fewer distinct levels; all values equal gives
    one class (``(v, v)``); no finite value gives ``()``.
    """
    known = np.array([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if known.size == 0:
        return ()
    qs = np.quantile(known, np.linspace(0, 1, n + 1))
    breaks = [float(qs[0])]
    for q in qs[1:]:
        if float(q) > breaks[-1]:
            breaks.append(float(q))
    if len(breaks) == 1:
        breaks.append(breaks[0])
    return tuple(breaks)


def class_rows(indicator: str, period: str, values: Sequence[float]) -> list[tuple[object, ...]]:
    """``map_classes`` rows (in declared column order) for one indicator and period."""
    breaks = quantile_breaks(values)
    return [(indicator, period, i + 1, breaks[i], breaks[i + 1], len(values), METHOD) for i in range(len(breaks) - 1)]


def write_map_classes(con: duckdb.DuckDBPyConnection) -> None:
    """Fill ``map_classes`` for every indicator and period with mapped values (the table exists, empty)."""
    grouped: dict[tuple[str, str], list[float]] = defaultdict(list)
    for indicator, period, value in con.execute(MAPPED_SQL).fetchall():
        grouped[(indicator, period)].append(float(value))
    found = [row for (ind, period), values in sorted(grouped.items()) for row in class_rows(ind, period, values)]
    schema.insert(con, schema.MAP_CLASSES, found)
