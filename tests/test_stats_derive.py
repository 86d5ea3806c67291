"""derive(): the derived tables on a full release, and end to end on a small hand-made release."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pytest

from observatory.config import Config, parse_config
from observatory.model import Severity
from observatory.release import schema
from observatory.stats.derive import DERIVED_TABLES, GVA_TABLES, derive
from observatory.stats.judgements import Judgement

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
_DERIVED: dict[str, tuple[Path, float, list[Any]]] = {}


@pytest.fixture(scope="session")
def derived(full_build: Any, tmp_path_factory: pytest.TempPathFactory, config: Config) -> Path:
    """The full release with derived tables: the build's own if it already derives, else derived on a copy."""
    store, report = full_build
    key = str(store.root)
    if key not in _DERIVED:
        source = store.release_path(report.release_id)
        with duckdb.connect(str(source), read_only=True) as con:
            has = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'comparisons'").fetchone()
        if has == (1,):
            _DERIVED[key] = (source, 0.0, [])
        else:
            target = tmp_path_factory.mktemp("derived") / "release.duckdb"
            shutil.copy(source, target)
            con = duckdb.connect(str(target))
            try:
                started = time.perf_counter()
                findings = derive(con, config, SHARED)
                seconds = time.perf_counter() - started
                con.execute("CHECKPOINT")
            finally:
                con.close()
            _DERIVED[key] = (target, seconds, findings)
    return _DERIVED[key][0]


@contextmanager
def read(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        yield con
    finally:
        con.close()


def test_derive_on_the_full_release(derived: Path) -> None:
    with read(derived) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert set(DERIVED_TABLES) | set(GVA_TABLES) <= tables
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone() for t in (*DERIVED_TABLES, *GVA_TABLES)}
        assert all(c is not None and c[0] > 0 for c in counts.values()), counts
        # every method a table names is documented
        named = con.execute(
            "SELECT DISTINCT method FROM (SELECT method FROM comparisons UNION ALL SELECT method FROM trends"
            " UNION ALL SELECT method FROM changes UNION ALL SELECT method FROM aggregates UNION ALL"
            " SELECT method FROM ranks UNION ALL SELECT method FROM neighbours UNION ALL"
            " SELECT method FROM productivity_index UNION ALL SELECT method FROM location_quotients UNION ALL"
            " SELECT method FROM shift_share) WHERE method NOT IN (SELECT method FROM methods)"
        ).fetchall()
        assert named == []
        # judgements never appear without a test
        bad = con.execute(
            "SELECT count(*) FROM comparisons WHERE judgement IN ('better', 'worse') AND method <> 'ci-overlap-95'"
        ).fetchone()
        assert bad == (0,)
        assert con.execute(
            "SELECT count(*) FROM trends WHERE judgement IN ('improving', 'worsening')"
            " AND method <> 'weighted-linear-trend-95'"
        ).fetchone() == (0,)
        # areas of interest, comparators and the group are all covered
        areas = {r[0] for r in con.execute("SELECT DISTINCT area_code FROM trends").fetchall()}
        assert {"E06000034", "E92000001", "south-essex", "K02000001"} <= areas
        # Thurrock's ten neighbours, none of them itself
        rows = con.execute(
            "SELECT neighbour_code FROM neighbours WHERE area_code = 'E06000034' ORDER BY rank"
        ).fetchall()
        assert len(rows) == 10 and ("E06000034",) not in rows


def test_derive_is_fast_and_quiet(derived: Path) -> None:
    entry = next(iter(_DERIVED.values()))
    seconds, findings = entry[1], entry[2]
    if seconds:
        assert seconds < 15  # about 2 s on a quiet 2-core machine; generous for a busy CI runner
    # the GVA-by-industry folder is read whether or not the config declares it yet; nothing else is amiss
    assert not [f for f in findings if f.severity is not Severity.INFO and f.rule != "source.undeclared"]


def test_south_essex_productivity_is_not_averaged(derived: Path) -> None:
    with read(derived) as con:
        row = con.execute(
            "SELECT \"index\", method, reason FROM productivity_index WHERE area_code = 'south-essex'"
            " AND period = '2023-01-01/P1Y'"
        ).fetchone()
        thurrock = con.execute(
            'SELECT value, england_code, england_value, "index" FROM productivity_index'
            " WHERE area_code = 'E06000034' AND period = '2023-01-01/P1Y'"
        ).fetchone()
    assert row is not None and row[0] is None and row[1] == "index-not-computable-ratio"
    assert "Thurrock 94.8" in row[2]
    # by hand from gross-value-added.csv: Thurrock 40.17, England (TLB) 42.39 → 94.76
    assert thurrock is not None
    assert thurrock[:3] == (40.17, "TLB", 42.39)
    assert thurrock[3] == pytest.approx(100 * 40.17 / 42.39)


# --- a small hand-made release ------------------------------------------------------------------------------

CONFIG = """
areas_of_interest = ["E07000901", "E07000902", "E07000903"]
comparators = ["E92000001"]
[deployment]
name = "Test"
short_name = "Test"
[[groups]]
slug = "trio"
name = "The Trio"
members = ["E07000901", "E07000902", "E07000903"]
[[sources]]
name = "ons-els"
format = "ons-els"
publisher = "ONS"
url = "https://example.org/"
download_base = "https://example.org/"
"""

JUDGEMENTS = {
    "jobs": Judgement("jobs", "higher-better", "ratio", "ci-overlap", "published", "published", 100.0),
    "firms": Judgement("firms", "no-judgement", "sum", "rank"),
    "pay": Judgement("pay", "higher-better", "not-aggregable", "rank", note="A median."),
    "ghost": Judgement("ghost", "higher-better"),
}


def _small_release(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    schema.create(con, schema.BASE_TABLES)
    for slug, label, suffix in (("jobs", "Employment rate", "%"), ("firms", "Active businesses", None),
                                ("pay", "Median pay", None), ("unjudged", "Something new", None)):  # fmt: skip
        con.execute(
            "INSERT INTO indicators (slug, label, dataset, suffix, decimals) VALUES (?, ?, 'test', ?, 1)",
            [slug, label, suffix],
        )
    areas = [("E07000901", "Alpha", "ltla"), ("E07000902", "Beta", "ltla"), ("E07000903", "Gamma", "ltla"),
             ("E92000001", "England", "ctry"), ("trio", "The Trio", "group")]  # fmt: skip
    for code, name, kind in areas:
        con.execute("INSERT INTO areas VALUES (?, ?, ?, [?], NULL, NULL, 'test', NULL)", [code, name, kind, kind])
    for code in ("E07000901", "E07000902", "E07000903"):
        con.execute("INSERT INTO area_relations VALUES (?, 'trio', 'member')", [code])
    obs: list[tuple[Any, ...]] = []
    # jobs: numerators and denominators (the 2024 layout): group = (80 + 45 + 30) / (100 + 50 + 60) × 100
    jobs = [("E07000901", 80.0, 75.0, 85.0, 80.0, 100.0), ("E07000902", 90.0, 85.0, 95.0, 45.0, 50.0),
            ("E07000903", 50.0, 40.0, 60.0, 30.0, 60.0), ("E92000001", 70.0, 69.0, 71.0, None, None)]  # fmt: skip
    for code, value, lci, uci, num, den in jobs:
        obs.append(("jobs", code, "2023-01-01/P1Y", "2023-01-01", "P1Y", "2023", value, lci, uci, num, den))
    firms = [(2022, "E07000901", 10.0), (2022, "E07000902", 20.0), (2022, "E07000903", 30.0),
             (2022, "E92000001", 1000.0), (2023, "E07000901", 11.0), (2023, "E07000903", 33.0)]  # fmt: skip
    for year, code, value in firms:  # E07000902 has no 2023 value: the group total is incomplete
        obs.append(
            ("firms", code, f"{year}-01-01/P1Y", f"{year}-01-01", "P1Y", str(year), value, None, None, None, None)
        )
    for code, value in (("E07000901", 500.0), ("E07000902", 600.0), ("E07000903", 400.0), ("E92000001", 550.0)):
        obs.append(("pay", code, "2023-04-01", "2023-04-01", None, "2023", value, None, None, None, None))
    con.executemany(
        "INSERT INTO observations VALUES (?, ?, ?, ?::DATE, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, 'test.csv', 2)", obs
    )
    return con


def test_derive_end_to_end_on_a_hand_made_release(tmp_path: Path) -> None:
    config = parse_config(CONFIG)
    con = _small_release(tmp_path / "small.duckdb")
    try:
        findings = derive(con, config, None, judgements=JUDGEMENTS)
        rules = {(f.rule, f.severity, f.value) for f in findings}
        assert ("judgement.unknown-indicator", Severity.WARNING, "ghost") in rules
        assert ("judgement.missing", Severity.INFO, "unjudged") in rules
        # neighbours: the default spec names indicators this release lacks → warned, none computed
        assert any(f.rule == "neighbours.unknown-indicator" for f in findings)

        jobs = con.execute(
            "SELECT value, numerator, denominator, complete, members_with_data, rule FROM aggregates"
            " WHERE \"group\" = 'trio' AND indicator = 'jobs'"
        ).fetchone()
        assert jobs is not None
        assert jobs[0] == pytest.approx(155 / 210 * 100)  # 73.81
        assert jobs[1:] == (155.0, 210.0, True, 3, "ratio")

        firms = con.execute(
            "SELECT period, value, partial_value, complete, members_with_data, missing FROM aggregates"
            " WHERE \"group\" = 'trio' AND indicator = 'firms' ORDER BY period"
        ).fetchall()
        assert firms == [
            ("2022-01-01/P1Y", 60.0, None, True, 3, []),
            ("2023-01-01/P1Y", None, 44.0, False, 2, ["E07000902"]),
        ]

        pay = con.execute(
            "SELECT value, rule, reason, sentence FROM aggregates WHERE \"group\" = 'trio' AND indicator = 'pay'"
        ).fetchone()
        assert pay is not None and pay[:2] == (None, "not-aggregable")
        assert "A median." in pay[3]

        comparisons = {
            (r[0], r[1], r[2]): r[3:]
            for r in con.execute(
                "SELECT indicator, area_code, benchmark_code, method, outcome, judgement FROM comparisons"
            ).fetchall()
        }
        assert comparisons[("jobs", "E07000901", "E92000001")] == ("ci-overlap-95", "higher", "better")  # 70 < 75
        assert comparisons[("jobs", "E07000903", "E92000001")] == ("ci-overlap-95", "lower", "worse")  # 70 > 60
        assert comparisons[("jobs", "E07000902", "trio")] == ("ci-overlap-95", "higher", "better")  # 73.8 < 85
        assert comparisons[("jobs", "trio", "E92000001")] == ("rank-quintile-no-test", "no-test", "not-judged")
        assert comparisons[("firms", "E07000901", "E92000001")] == (
            "total-not-compared",
            "not-comparable",
            "not-judged",
        )
        assert comparisons[("pay", "E07000901", "E92000001")] == ("rank-quintile-no-test", "no-test", "not-judged")

        # pay 500, 600, 400: ranks 2, 1, 3 of 3; quintiles floor(5 × (rank − 1) / 3) + 1 = 2, 1, 4
        ranks = con.execute(
            "SELECT area_code, rank, peers, quintile FROM ranks WHERE indicator = 'pay' ORDER BY 1"
        ).fetchall()
        assert ranks == [("E07000901", 2, 3, 2), ("E07000902", 1, 3, 1), ("E07000903", 3, 3, 4)]
        judged = dict(con.execute("SELECT indicator, reviewed FROM indicator_judgements").fetchall())
        assert judged == {"jobs": True, "firms": True, "pay": True, "unjudged": False}
        trends = con.execute("SELECT count(*) FROM trends WHERE area_code = 'trio' AND indicator = 'firms'").fetchone()
        assert trends == (1,)  # only the complete 2022 total forms the group's series
    finally:
        con.close()
