"""Business counts, APS, apprenticeships, population and travel to work: readers and the figures they make.

Expected values are worked out from the publishers' files — stated from their PROVENANCE.md where a
person read them off the sheet, or recomputed in the test straight from the file (pyarrow, csv, gzip)
without the observatory's readers.
"""

from __future__ import annotations

import csv
import gzip
import io
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from python_calamine import CalamineWorkbook

from observatory.model import Area, Severity
from observatory.pipeline.build import LAD22_LOOKUP, BuildReport
from observatory.sources import census_od, dfe_apprenticeships, nomis_xlsx
from observatory.sources.names import NameResolver
from observatory.store import Store

SIX = ("E07000066", "E07000068", "E07000069", "E07000075", "E06000033", "E06000034")
CASTLE_POINT, BASILDON, SOUTHEND, ENGLAND = "E07000069", "E07000066", "E06000033", "E92000001"


def _value(con: Any, indicator: str, area: str, period: str) -> Any:
    return con.execute(
        "SELECT value, lci_95, uci_95, numerator, denominator, status FROM observations "
        "WHERE indicator = ? AND area_code = ? AND period = ?",
        [indicator, area, period],
    ).fetchone()


# --- name resolution ----------------------------------------------------------------------------------


def test_names_resolve_by_the_year_of_the_geography(shared: Path) -> None:
    lad22 = NameResolver.from_lad22_lookup(shared / "ons-geography-lookups-2021" / LAD22_LOOKUP)
    assert lad22.resolve("Allerdale", 2022).code == "E07000026"  # abolished 2023, valid in 2022
    assert lad22.resolve("Tewkesbury", 2022).code == "E07000083"
    assert lad22.resolve("Castle Point", 2022).code == CASTLE_POINT
    assert lad22.resolve("Cumberland", 2022).code is None  # a 2023 unitary: not in the 2022 names
    spelled = lad22.resolve("Rhondda Cynon Taff", 2022)
    assert spelled.code == "W06000016" and spelled.respelled == "Rhondda Cynon Taf"
    missing = lad22.resolve("Atlantis", 2022)
    assert missing.code is None and missing.problem is not None and "Atlantis" in missing.problem
    areas = [
        Area("E07000026", "Allerdale", "ltla", valid_to=2022),
        Area("E06000063", "Cumberland", "ltla", valid_from=2023),
        Area("E06000048", "Northumberland", "ltla", valid_to=2019),
        Area("E06000057", "Northumberland", "ltla", valid_from=2020),
        Area("X1", "Twin", "ltla"),
        Area("X2", "Twin", "ltla"),
    ]
    current = NameResolver.from_areas(areas)
    assert current.resolve("Cumberland", 2025).code == "E06000063"
    assert current.resolve("Allerdale", 2025).code is None  # no longer exists: never mapped to a successor
    assert current.resolve("Northumberland", 2025).code == "E06000057"
    assert current.resolve("Northumberland", 2018).code == "E06000048"
    twin = current.resolve("Twin", 2025)
    assert twin.code is None and twin.problem is not None and "ambiguous" in twin.problem


# --- readers on bad input -------------------------------------------------------------------------------


def test_aps_symbols_become_statuses_and_bad_cells_are_errors(tmp_path: Path) -> None:
    findings: list[Any] = []
    assert nomis_xlsx._aps_cell(117900.0, "f", 9, "B", findings) == (117900.0, None)
    for symbol, status in (("!", "suppressed"), ("*", "unreliable"), ("-", "missing"), ("~", "below-500")):
        assert nomis_xlsx._aps_cell(symbol, "f", 9, "B", findings) == (None, status)
    assert findings == []
    assert nomis_xlsx._aps_cell("12a", "f.xlsx", 9, "B: all number", findings) == (None, "invalid")
    (bad,) = findings
    assert bad.severity is Severity.ERROR and (bad.file, bad.row, bad.column) == ("f.xlsx", 9, "B: all number")


def test_a_census_file_with_a_bad_count_is_refused_naming_row_and_column(tmp_path: Path) -> None:
    lines = [",".join(f'"{h}"' for h in census_od.HEADER), "E06000033,Southend-on-Sea,E09000001,City,3,Work,12x"]
    with gzip.open(tmp_path / census_od.TRAVEL_FILE, "wt", encoding="utf-8", newline="") as fh:
        fh.write("\r\n".join(lines) + "\r\n")
    result = census_od.read_travel_to_work(tmp_path, "od", {SOUTHEND, "E09000001"}, SIX, {})
    errors = [f for f in result.findings if f.severity is Severity.ERROR]
    assert [(f.row, f.column, f.value) for f in errors] == [(2, "Count", "12x")]


def test_academic_years_and_disclosure_rounding() -> None:
    full = dfe_apprenticeships.academic_period("2022/23")
    part = dfe_apprenticeships.academic_period("2025/26 (Aug to Apr)")
    assert full is not None and full[0].iso == "2022-08-01/P1Y" and full[0].label == "2022/23" and full[1]
    assert part is not None and part[0].iso == "2025-08-01/P9M" and not part[1]
    assert dfe_apprenticeships.academic_period("2022/24") is None
    assert [dfe_apprenticeships.round10(v) for v in (0, 4, 5, 14, 15, 1198)] == [0, 0, 10, 10, 20, 1200]


# --- the release built from the real files ----------------------------------------------------------------


def test_business_counts_from_the_nomis_files(full_build: tuple[Store, BuildReport]) -> None:
    store, _ = full_build
    with store.open() as con:
        # Read off the size-band sheet by hand (block 2018, row 'ladu:Castle Point'; block 2022, 'country:England').
        assert _value(con, "enterprises", CASTLE_POINT, "2018-03-01/P1M")[0] == 3205
        assert _value(con, "enterprises-micro", CASTLE_POINT, "2018-03-01/P1M")[0] == 2950
        assert _value(con, "enterprises", ENGLAND, "2022-03-01/P1M")[0] == 2_408_040
        share = _value(con, "enterprises-micro-share", CASTLE_POINT, "2018-03-01/P1M")
        assert share[0] == pytest.approx(100 * 2950 / 3205) and share[3:5] == (2950, 3205)
        # South Essex = the sum of the six (PROVENANCE.md, 2022: 7,580 + 4,385 + 3,265 + 3,640 + 7,105 + 7,005).
        group = con.execute(
            "SELECT value, complete FROM aggregates WHERE \"group\" = 'south-essex' AND indicator = 'enterprises' "
            "AND period = '2022-03-01/P1M'"
        ).fetchone()
        assert group == (7580 + 4385 + 3265 + 3640 + 7105 + 7005, True)
        # Basildon 2022, Agriculture (industry file): Total 45 = 40 + 0 + 0 + 0 + 0 after rounding.
        rows = dict(
            con.execute(
                "SELECT size_band, count FROM business_counts WHERE area_code = ? AND year = 2022 "
                "AND industry_code = '01'",
                [BASILDON],
            ).fetchall()
        )
        assert rows == {"total": 45, "micro": 40, "small": 0, "medium": 0, "large": 0}


def test_aps_rate_and_interval_recomputed_from_the_counts(full_build: tuple[Store, BuildReport]) -> None:
    store, _ = full_build
    with store.open() as con:
        # PROVENANCE.md, Jan–Dec 2022: Basildon 16–64 = 117,900; in employment 103,200 ±14,600.
        value, lci, uci, num, den, status = _value(con, "aps-employment-rate", BASILDON, "2022-01-01/P1Y")
        assert (num, den, status) == (103_200, 117_900, None)
        assert value == pytest.approx(100 * 103_200 / 117_900)
        half = 100 * 14_600 / 117_900  # the numerator's half-width over the fixed denominator
        assert (lci, uci) == (pytest.approx(value - half), pytest.approx(value + half))
        # Brentwood's unemployed cell is '!' in every year: a status, never a number.
        brentwood = _value(con, "aps-unemployment-rate", "E07000068", "2022-01-01/P1Y")
        assert brentwood[0] is None and brentwood[5] == "suppressed"
        # Basildon's unemployed CI is '*' every year: the rate is shown, without an interval.
        basildon = _value(con, "aps-unemployment-rate", BASILDON, "2022-01-01/P1Y")
        assert basildon[0] is not None and basildon[1:3] == (None, None) and basildon[5] == "unreliable"
        # South Essex: the ratio of summed counts, never an average of rates; no interval.
        nums = con.execute(
            "SELECT sum(numerator), sum(denominator), count(*) FROM observations WHERE indicator = "
            "'aps-employment-rate' AND period = '2022-01-01/P1Y' AND area_code IN (SELECT unnest(?))",
            [list(SIX)],
        ).fetchone()
        group = con.execute(
            "SELECT value FROM aggregates WHERE \"group\" = 'south-essex' AND indicator = 'aps-employment-rate' "
            "AND period = '2022-01-01/P1Y'"
        ).fetchone()
        assert nums[2] == 6 and group == (pytest.approx(100 * nums[0] / nums[1]),)


def test_apprenticeship_starts_summed_from_the_parquet(full_build: tuple[Store, BuildReport], shared: Path) -> None:
    table = pq.read_table(shared / "dfe-apprenticeships" / "lad_map_data_0.parquet")
    mask = pc.and_(pc.equal(table["year"], "2022/23"), pc.equal(table["learner_home_lad"], "Basildon"))
    starts = pc.sum(table.filter(mask)["starts"]).as_py()
    rounded = (starts + 5) // 10 * 10  # DfE rounds to the nearest 10
    store, _ = full_build
    with store.open() as con:
        assert _value(con, "apprenticeship-starts", BASILDON, "2022-08-01/P1Y")[0] == rounded
        per_1000 = _value(con, "apprenticeship-starts-per-1000", BASILDON, "2022-08-01/P1Y")
        # Basildon's mid-2021 population aged 16–64 from NM_2002_1 (16–24 + 25–49 + 50–64), summed here.
        pop = 0
        with open(shared / "nomis-samples" / "nomis_NM_2002_1_mid2021_lad.csv", encoding="utf-8", newline="") as fh:
            seen = set()
            for row in csv.DictReader(fh):
                key = (row["GEOGRAPHY_CODE"], row["C_AGE"])
                if row["GEOGRAPHY_CODE"] == BASILDON and row["C_AGE"] in ("250", "207", "208") and key not in seen:
                    seen.add(key)
                    pop += int(row["OBS_VALUE"])
        assert per_1000[3:5] == (rounded, pop) and per_1000[0] == pytest.approx(1000 * rounded / pop)
        # The part year is provisional and kept apart from full years (its own indicator).
        part = con.execute(
            "SELECT DISTINCT period, status FROM observations WHERE indicator = 'apprenticeship-starts-part-year'"
        ).fetchall()
        assert part == [("2025-08-01/P9M", "provisional")]
        full = con.execute(
            "SELECT DISTINCT period FROM observations WHERE indicator = 'apprenticeship-starts' ORDER BY 1"
        ).fetchall()
        assert full == [("2022-08-01/P1Y",), ("2023-08-01/P1Y",), ("2024-08-01/P1Y",)]


def test_southend_residents_working_in_london_from_the_flows_file(
    full_build: tuple[Store, BuildReport], shared: Path
) -> None:
    employed = london = 0
    with gzip.open(shared / "census2021-origin-destination" / "ODWP01EW_LTLA.csv.gz", "rt", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["Lower tier local authorities code"] != SOUTHEND:
                continue
            count = int(row["Count"])
            if row["Place of work indicator (4 categories) code"] != "-8":
                employed += count
            if row["Place of work indicator (4 categories) code"] == "3" and row["LTLA of workplace code"].startswith(
                "E09"
            ):
                london += count
    assert (london, employed) == (4267, 146_432 - 63_151)  # as PROVENANCE.md tabulates
    store, _ = full_build
    with store.open() as con:
        value, _l, _u, num, den, _s = _value(con, "work-in-london", SOUTHEND, "2021-03-21")
        assert (num, den) == (london, employed) and value == pytest.approx(100 * london / employed)
        summary = dict(
            con.execute(
                "SELECT category, count FROM commuting_summary WHERE area_code = ? AND direction = 'residents'",
                [SOUTHEND],
            ).fetchall()
        )
        assert sum(summary.values()) == employed and summary["london"] == london


def _nomis_labels(path: Path, header_rows: int) -> dict[str, list[int]]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    labels: dict[str, list[int]] = defaultdict(list)
    for block in nomis_xlsx.blocks(rows, header_rows):
        for i in block.rows:
            labels[str(rows[i][0])].append(i + 1)
    return labels


def test_every_name_is_joined_or_named_in_a_finding(full_build: tuple[Store, BuildReport], shared: Path) -> None:
    store, _ = full_build
    with store.open() as con:
        loaded = set(con.execute("SELECT DISTINCT source_file, source_row FROM observations").fetchall())
        named: dict[str, set[str]] = defaultdict(set)
        for file, value in con.execute("SELECT DISTINCT file, value FROM findings WHERE value IS NOT NULL").fetchall():
            named[file].add(value)
        files = [
            ("nomis-uk-business-counts", nomis_xlsx.UBC_FILES["size"], 1),
            ("nomis-uk-business-counts", nomis_xlsx.UBC_FILES["industry"], 1),
            ("nomis-aps-employment", nomis_xlsx.APS_FILE, 2),
        ]
        for folder, name, header_rows in files:
            labels = _nomis_labels(shared / folder / name, header_rows)
            assert len(labels) in (461, 450)
            display = f"{folder}/{name}"
            for label, rows in labels.items():
                joined = all((display, r) in loaded for r in rows)
                assert joined or label in named[display], (display, label)
            assert not [label for label in labels if label.startswith("ladu:") and label in named[display]]
        dfe = pq.read_table(shared / "dfe-apprenticeships" / "lad_map_data_0.parquet", columns=["learner_home_lad"])
        homes = set(pc.unique(dfe["learner_home_lad"]).to_pylist())
        with_data = con.execute(
            "SELECT count(DISTINCT area_code) FROM observations WHERE indicator = 'apprenticeship-starts' "
            "AND area_code <> 'E92000001'"
        ).fetchone()
        unmatched = {h for h in homes if h in named["dfe-apprenticeships/lad_map_data_0.parquet"]}
        assert unmatched == {"Outside of England and unknown"}  # no code: named in an INFO finding
        assert with_data == (len(homes) - 1,)  # every other home authority has its own figures


def test_new_indicators_reach_the_api_bulk_files_and_export(
    client: TestClient, full_build: tuple[Store, BuildReport]
) -> None:
    store, _ = full_build
    response = client.get("/api/v1/observations", params={"indicator": "enterprises", "area": CASTLE_POINT,
                                                           "format": "csv"})  # fmt: skip
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [float(r["value"]) for r in rows if r["period"] == "2018-03-01/P1M"] == [3205.0]
    bulk = gzip.decompress(client.get("/api/v1/releases/current/observations.csv.gz").content).decode("utf-8")
    for slug in ("aps-employment-rate", "apprenticeship-starts-per-1000", "work-in-london", "enterprises-small-share"):
        assert f",{slug}," in bulk
    exported = subprocess.run(
        [sys.executable, "-m", "observatory", "export", "--indicator", "self-containment", "--store", str(store.root)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    southend = [r for r in csv.DictReader(io.StringIO(exported)) if r["area_code"] == SOUTHEND]
    assert len(southend) == 1 and southend[0]["period"] == "2021-03-21" and southend[0]["numerator"]


def test_migration_flows_keep_special_origins_apart(shared: Path) -> None:
    folder = shared / "census2021-origin-destination"
    with gzip.open(folder / census_od.MIGRATION_FILE, "rt", newline="") as fh:
        known = {row[c] for row in csv.reader(fh) for c in (0, 2)} - set(census_od.MIGRATION_SPECIAL)
    result = census_od.read_migration(folder, "od", known, SIX)
    assert result.rows_read == 96_468 and result.rows_skipped == 0
    assert not [f for f in result.findings if f.severity is not Severity.INFO]
    into_southend = {o: n for o, d, n in result.tables["migration_flows"] if d == SOUTHEND}
    # PROVENANCE.md, residents of Southend-on-Sea by address one year before
    assert into_southend["-8"] == 161_568 and into_southend[SOUTHEND] == 9_457
    assert into_southend["E07000075"] == 1_043 and into_southend["999999999"] == 1_008
