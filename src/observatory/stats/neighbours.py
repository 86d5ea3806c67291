"""Statistical neighbours: the 10 English lower-tier authorities most like each one.

Similarity is Euclidean distance on z-scored values of a published set of indicators
(``metadata/neighbours.toml``), each at its latest common period. The method text below is what the
methodology page shows; each release records the indicators and periods used.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt

from observatory.stats.judgements import default_metadata_dir

METHOD_ID = "euclidean-zscore-10-nearest"
PEER_CONDITION = "list_contains(a.types, 'ltla') AND a.valid_to IS NULL AND regexp_matches(a.code, '^E0[6-9]')"

METHOD = """\
Statistical neighbours are found among English lower-tier local authorities (current codes starting E06, \
E07, E08 or E09). Each authority is described by a published set of indicators (metadata/neighbours.toml: \
by default GVA per hour worked, the employment rate, the share with level 3 or higher qualifications, median \
weekly pay, the housing affordability ratio, the business birth rate and gigabit broadband coverage). For \
each indicator the latest common period is used: the most recent period in which at least 90% as many \
authorities have a value as in its best-covered period. An authority lacking any of these values is left \
out, and the reason is recorded. Each indicator is standardised to a z-score (value minus the mean over the \
authorities kept, divided by their standard deviation), so each counts equally whatever its unit; the \
distance between two authorities is the Euclidean distance between their z-scores, and the 10 authorities \
with the smallest distances are its neighbours (ties broken by area code). Neighbours describe similarity \
on these indicators only, not geography or policy; a different set of indicators gives different \
neighbours."""


@dataclass(frozen=True, slots=True)
class NeighbourSpec:
    indicators: tuple[str, ...]
    k: int = 10
    coverage: float = 0.9


def load_spec(path: Path | None = None) -> NeighbourSpec:
    """The published indicator set (default ``metadata/neighbours.toml``)."""
    path = path or default_metadata_dir() / "neighbours.toml"
    data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    indicators = data.get("indicators")
    if not isinstance(indicators, list) or not indicators or not all(isinstance(s, str) for s in indicators):
        raise ValueError(f"{path}: indicators: a non-empty list of indicator slugs is required")
    k = data.get("k", 10)
    coverage = data.get("coverage", 0.9)
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"{path}: k: a positive whole number is required")
    if not isinstance(coverage, int | float) or not 0 < coverage <= 1:
        raise ValueError(f"{path}: coverage: a number in (0, 1] is required")
    return NeighbourSpec(tuple(indicators), k, float(coverage))


def standardise(matrix: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Column z-scores (population standard deviation); a constant column becomes zeros."""
    mean = matrix.mean(axis=0)
    sd = matrix.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    return np.asarray((matrix - mean) / sd, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class Neighbour:
    area_code: str
    neighbour_code: str
    rank: int
    distance: float


def nearest_neighbours(codes: Sequence[str], matrix: npt.NDArray[np.float64], k: int = 10) -> list[Neighbour]:
    """The ``k`` nearest rows to each row by Euclidean distance on column z-scores (self excluded)."""
    n = len(codes)
    if matrix.shape[0] != n:
        raise ValueError("one row of values per code is required")
    if n < 2:
        return []
    z = standardise(matrix)
    diff = z[:, None, :] - z[None, :, :]
    dist = np.sqrt((diff * diff).sum(axis=2))
    order_codes = np.array(codes)
    out: list[Neighbour] = []
    for i in range(n):
        others = [j for j in range(n) if j != i]
        ranked = sorted(others, key=lambda j: (float(dist[i, j]), str(order_codes[j])))[:k]
        out.extend(Neighbour(codes[i], codes[j], r, float(dist[i, j])) for r, j in enumerate(ranked, start=1))
    return out


@dataclass
class NeighbourResult:
    neighbours: list[Neighbour] = field(default_factory=list)
    excluded: list[tuple[str, str]] = field(default_factory=list)  # (area_code, reason)
    used: list[tuple[str, str | None, int, float | None, float | None]] = field(default_factory=list)
    # (indicator, period, areas with a value, mean, sd) for each indicator of the spec


def neighbours_from_release(con: duckdb.DuckDBPyConnection, spec: NeighbourSpec) -> NeighbourResult:
    """Neighbours for every current English lower-tier authority of the release on ``con``."""
    result = NeighbourResult()
    peers = [r[0] for r in con.execute(f"SELECT a.code FROM areas a WHERE {PEER_CONDITION} ORDER BY a.code").fetchall()]  # noqa: S608
    if not peers:
        return result
    columns: list[dict[str, float]] = []
    periods: list[tuple[str, str | None]] = []
    for slug in spec.indicators:
        cover = con.execute(
            f"""SELECT o.period, any_value(o.period_label), count(*)
                FROM observations o JOIN areas a ON a.code = o.area_code
                WHERE o.indicator = ? AND o.value IS NOT NULL AND {PEER_CONDITION}
                GROUP BY o.period ORDER BY max(o.period_start) DESC, o.period DESC""",  # noqa: S608
            [slug],
        ).fetchall()
        if not cover:
            periods.append((slug, None))
            columns.append({})
            continue
        best = max(n for _p, _l, n in cover)
        period = next(p for p, _l, n in cover if n >= spec.coverage * best)
        values = dict(
            con.execute(
                f"""SELECT o.area_code, o.value FROM observations o JOIN areas a ON a.code = o.area_code
                    WHERE o.indicator = ? AND o.period = ? AND o.value IS NOT NULL AND {PEER_CONDITION}""",  # noqa: S608
                [slug, period],
            ).fetchall()
        )
        periods.append((slug, period))
        columns.append(values)
    kept: list[str] = []
    for code in peers:
        lacking = [
            f"{slug} ({period or 'no data'})"
            for (slug, period), col in zip(periods, columns, strict=True)
            if code not in col
        ]
        if lacking:
            result.excluded.append((code, f"no value for {', '.join(lacking)}"))
        else:
            kept.append(code)
    matrix = np.array([[col[c] for col in columns] for c in kept], dtype=np.float64).reshape(len(kept), len(columns))
    for i, (slug, period) in enumerate(periods):
        column = matrix[:, i] if len(kept) else np.array([], dtype=np.float64)
        result.used.append(
            (
                slug,
                period,
                len(columns[i]),
                float(column.mean()) if len(kept) else None,
                float(column.std()) if len(kept) else None,
            )
        )
    result.neighbours = nearest_neighbours(kept, matrix, spec.k)
    return result
