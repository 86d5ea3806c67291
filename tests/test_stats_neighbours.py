"""Statistical neighbours on a small fixture worked by hand, and the published default set."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import numpy as np
import pytest

from observatory.release import schema
from observatory.stats.neighbours import (
    METHOD,
    NeighbourSpec,
    load_spec,
    nearest_neighbours,
    neighbours_from_release,
    standardise,
)
from tests.test_stats_derive import derived, read

__all__ = ["derived"]

# Four areas, two indicators. Column 1: 0, 1, 0, 3 (mean 1, sd √1.5); column 2: 0, 0, 2, 2 (mean 1, sd 1).
CODES = ["A", "B", "C", "D"]
VALUES = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [3.0, 2.0]])
# Distances on z-scores, by hand: A–B √(1/1.5) = 0.8165, A–C 2, A–D √10, B–C √(1/1.5 + 4) = 2.1602,
# B–D √(4/1.5 + 4) = 2.5820, C–D √6 = 2.4495
BY_HAND = {
    "A": [("B", math.sqrt(1 / 1.5)), ("C", 2.0)],
    "B": [("A", math.sqrt(1 / 1.5)), ("C", math.sqrt(1 / 1.5 + 4))],
    "C": [("A", 2.0), ("B", math.sqrt(1 / 1.5 + 4))],  # B (2.1602) is nearer than D (2.4495)
    "D": [("C", math.sqrt(6)), ("B", math.sqrt(4 / 1.5 + 4))],
}


def test_standardise_by_hand() -> None:
    z = standardise(VALUES)
    assert z[:, 1].tolist() == [-1.0, -1.0, 1.0, 1.0]
    assert z[3, 0] == pytest.approx(2 / math.sqrt(1.5))
    assert standardise(np.array([[5.0], [5.0]])).tolist() == [[0.0], [0.0]]  # a constant column counts for nothing


def test_two_nearest_neighbours_by_hand() -> None:
    found = nearest_neighbours(CODES, VALUES, k=2)
    got: dict[str, list[tuple[str, float]]] = {}
    for n in found:
        got.setdefault(n.area_code, []).append((n.neighbour_code, n.distance))
        assert n.neighbour_code != n.area_code
    assert set(got) == set(BY_HAND)
    for code, expected in BY_HAND.items():
        assert [c for c, _d in got[code]] == [c for c, _d in expected]
        assert [d for _c, d in got[code]] == pytest.approx([d for _c, d in expected])
    assert [n.rank for n in found if n.area_code == "A"] == [1, 2]


def test_ties_are_broken_by_code() -> None:
    found = nearest_neighbours(["X", "B", "A"], np.array([[0.0], [1.0], [-1.0]]), k=2)
    assert [n.neighbour_code for n in found if n.area_code == "X"] == ["A", "B"]  # equal distances: A before B


def _release(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "n.duckdb"))
    schema.create(con, schema.BASE_TABLES)
    for code in ("E07000901", "E07000902", "E07000903", "E07000904", "E07000905"):
        con.execute("INSERT INTO areas VALUES (?, ?, 'ltla', ['ltla'], NULL, NULL, 'test', NULL)", [code, code])
    con.execute("INSERT INTO areas VALUES ('W06000001', 'Wales LA', 'ltla', ['ltla'], NULL, NULL, 'test', NULL)")
    rows = []
    for code, x, y in (("E07000901", 0.0, 0.0), ("E07000902", 1.0, 0.0), ("E07000903", 0.0, 2.0),
                       ("E07000904", 3.0, 2.0), ("E07000905", 1.0, None), ("W06000001", 0.0, 0.0)):  # fmt: skip
        rows.append(("x", code, "2022-01-01/P1Y", "2022-01-01", x))
        if y is not None:
            rows.append(("y", code, "2022-01-01/P1Y", "2022-01-01", y))
    rows.append(("x", "E07000901", "2023-01-01/P1Y", "2023-01-01", 99.0))  # a later period too thinly covered
    con.executemany(
        "INSERT INTO observations VALUES (?, ?, ?, ?::DATE, 'P1Y', 'label', ?, NULL, NULL, NULL, NULL, NULL, NULL,"
        " 'f.csv', 2)",
        rows,
    )
    return con


def test_neighbours_from_a_small_release(tmp_path: Path) -> None:
    con = _release(tmp_path)
    try:
        result = neighbours_from_release(con, NeighbourSpec(("x", "y"), k=2, coverage=0.9))
    finally:
        con.close()
    # the 2023 period of x has 1 of 5 authorities: the latest common period is 2022
    assert [(u[0], u[1], u[2]) for u in result.used] == [("x", "2022-01-01/P1Y", 5), ("y", "2022-01-01/P1Y", 4)]
    assert result.excluded == [("E07000905", "no value for y (2022-01-01/P1Y)")]
    by_area: dict[str, list[str]] = {}
    for n in result.neighbours:
        by_area.setdefault(n.area_code, []).append(n.neighbour_code)
    # the same four points as the hand-worked fixture; the Welsh authority is not a peer
    assert by_area == {"E07000901": ["E07000902", "E07000903"], "E07000902": ["E07000901", "E07000903"],
                       "E07000903": ["E07000901", "E07000902"], "E07000904": ["E07000903", "E07000902"]}  # fmt: skip


def test_the_published_default_set(derived: Path) -> None:
    spec = load_spec()
    assert spec.k == 10
    assert "gross-value-added-per-hour-worked" in spec.indicators and len(spec.indicators) == 7
    assert "Euclidean distance" in METHOD and "z-score" in METHOD
    with read(derived) as con:
        used = con.execute("SELECT indicator, areas FROM neighbour_indicators ORDER BY indicator").fetchall()
        per_area = con.execute(
            "SELECT min(n), max(n) FROM (SELECT count(*) n FROM neighbours GROUP BY area_code)"
        ).fetchone()
        excluded = con.execute(
            "SELECT count(*) FROM neighbour_exclusions WHERE reason LIKE 'no value for %'"
        ).fetchone()
    assert sorted(u[0] for u in used) == sorted(spec.indicators)
    assert all(u[1] > 280 for u in used)
    assert per_area == (10, 10)
    assert excluded is not None and excluded[0] > 0
