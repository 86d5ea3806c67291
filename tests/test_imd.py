"""Deprivation (IoD2019 LSOA files, IoD2019/2025 LAD summaries) and small-area boundaries: real values, broken
copies, and a build that includes them.

The three sources are not in observatory.toml yet; :func:`config_with_deprivation_sources` adds their entries
(:data:`DEPRIVATION_SOURCES`) to it, exactly as the packaged fetch manifest was generated. Once the entries are in
observatory.toml it adds nothing.
"""

from __future__ import annotations

import csv
import json
import os
import re
import time
from collections import Counter
from pathlib import Path

import duckdb
import pytest
import shapely

from observatory.config import Config, parse_config
from observatory.model import Finding, Observation, ReaderResult, Severity
from observatory.pipeline.build import build_release
from observatory.sources.imd import (
    DOMAINS,
    FILE_1,
    FILE_2,
    FILE_6,
    LSOA_COUNT,
    POPULATION_SLUG,
    decile_of_rank,
    decile_slug,
    rank_slug,
    read_imd_lsoa,
    read_iod_lad_summaries,
    share_slug,
    summary_slug,
)
from observatory.sources.small_areas import read_small_area_boundaries
from observatory.store import Store
from tests.conftest import link_sources, require, unless_ci

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
IMD = SHARED_DATA / "imd2019-lsoa"
SUMMARIES = SHARED_DATA / "iod-lad-summaries"
SMALL = SHARED_DATA / "essex-small-area-boundaries"
WARD_LOOKUP = SHARED_DATA / "ons-geography-lookups" / "LSOA11_to_Ward19_to_LAD19_Lookup_EW.csv"

needs_data = unless_ci(
    not (IMD.is_dir() and SUMMARIES.is_dir() and SMALL.is_dir()), reason=f"deprivation data not under {SHARED_DATA}"
)

SOUTH_ESSEX = {
    "E07000066": 110,  # Basildon
    "E06000033": 107,  # Southend-on-Sea
    "E06000034": 98,  # Thurrock
    "E07000069": 57,  # Castle Point
    "E07000075": 53,  # Rochford
    "E07000068": 46,  # Brentwood
}
SOUTHEND, HARTLEPOOL = "E06000033", "E06000001"

# The [[sources]] entries for observatory.toml (attribution and URLs from each PROVENANCE.md).
DEPRIVATION_SOURCES: dict[str, str] = {
    "imd2019-lsoa": """
[[sources]]
name = "imd2019-lsoa"
format = "imd2019-lsoa"
publisher = "Ministry of Housing, Communities and Local Government"
url = "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2019"
download_base = "https://raw.githubusercontent.com/anetobradley/energy_flex/709f2f8b79a86e273a86f6c7324f4fc2b1aeeefd/"
licence = "OGL-UK-3.0"
attribution = "Contains public sector information licensed under the Open Government Licence v3.0. Source: MHCLG, English Indices of Deprivation 2019."
""",  # noqa: E501
    "iod-lad-summaries": """
[[sources]]
name = "iod-lad-summaries"
format = "iod-lad-summaries"
publisher = "Ministry of Housing, Communities and Local Government"
url = "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2025"
download_base = "https://raw.githubusercontent.com/traffordDataLab/open_data/a33a7d94948399556302a5c2a2d1cbf4ce4878aa/"
licence = "OGL-UK-3.0"
attribution = "Contains public sector information licensed under the Open Government Licence v3.0. Source: MHCLG English Indices of Deprivation 2019/2025, LAD summaries; tidied by Trafford Data Lab."
""",  # noqa: E501
    "essex-small-area-boundaries": """
[[sources]]
name = "essex-small-area-boundaries"
format = "small-area-boundaries"
publisher = "Office for National Statistics (Open Geography Portal); GeoJSON by Martin Chorley"
url = "https://github.com/martinjc/UK-GeoJSON"
download_base = "https://raw.githubusercontent.com/martinjc/UK-GeoJSON/88339000fc8711feb9c146d5cd7d145bf286350d/"
licence = "OGL-UK-3.0 AND CC-BY-4.0"
attribution = "Contains Ordnance Survey and Office for National Statistics data © Crown copyright and database right [2014/2016], licensed under the Open Government Licence v3.0. GeoJSON and TopoJSON UK Boundary Data by Martin Chorley (https://github.com/martinjc/UK-GeoJSON), CC BY 4.0."
""",  # noqa: E501
}


def config_with_deprivation_sources(path: Path = REPO / "observatory.toml") -> Config:
    """observatory.toml plus whichever of the three deprivation/small-area sources it does not declare yet."""
    text = path.read_text(encoding="utf-8")
    declared = {s.name for s in parse_config(text, str(path)).sources}
    extra = "".join(block for name, block in DEPRIVATION_SOURCES.items() if name not in declared)
    return parse_config(text + extra, str(path))


# --- helpers ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def imd() -> ReaderResult:
    require(IMD.is_dir(), "no imd2019-lsoa data")
    return read_imd_lsoa(IMD, "imd2019-lsoa")


@pytest.fixture(scope="module")
def summaries() -> ReaderResult:
    require(SUMMARIES.is_dir(), "no iod-lad-summaries data")
    return read_iod_lad_summaries(SUMMARIES, "iod-lad-summaries")


@pytest.fixture(scope="module")
def small() -> ReaderResult:
    require(SMALL.is_dir(), "no essex-small-area-boundaries data")
    return read_small_area_boundaries(SMALL, "essex-small-area-boundaries")


def values(result: ReaderResult, slug: str) -> dict[str, Observation]:
    return {o.area_code: o for o in result.observations if o.indicator == slug}


def series(result: ReaderResult, slug: str, code: str) -> dict[str, float | None]:
    return {o.period.label: o.value for o in result.observations if o.indicator == slug and o.area_code == code}


def lad_of(result: ReaderResult) -> dict[str, str]:
    return {r.code: r.parent for r in result.relations if r.relation == "ltla"}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def rules(findings: list[Finding]) -> Counter[str]:
    return Counter(f.rule for f in findings)


# --- IoD2019 LSOA files: real values --------------------------------------------------------------------


@needs_data
def test_every_lsoa_is_read_without_findings(imd: ReaderResult) -> None:
    assert imd.findings == []
    assert imd.rows_read == 3 * LSOA_COUNT and imd.rows_skipped == 0  # Files 1, 2 and 6
    assert len(imd.areas) == LSOA_COUNT == len({a.code for a in imd.areas})
    assert {(a.type, a.types, a.valid_from, a.source) for a in imd.areas} == {("lsoa", ("lsoa",), 2011, "imd2019-lsoa")}
    assert all(re.fullmatch(r"E01\d{6}", a.code) for a in imd.areas)
    assert len(lad_of(imd)) == LSOA_COUNT and len(set(lad_of(imd).values())) == 317
    slugs = {i.slug for i in imd.indicators}
    assert len(slugs) == 8 * 2 + 1 + 8 * 2 == len(imd.indicators)
    for d in DOMAINS:
        assert len(values(imd, rank_slug(d.key))) == LSOA_COUNT
        assert len(values(imd, decile_slug(d.key))) == LSOA_COUNT
        assert len(values(imd, share_slug(d.key, 10))) == 317
    assert len(values(imd, POPULATION_SLUG)) == LSOA_COUNT
    assert len(imd.observations) == LSOA_COUNT * 17 + 317 * 16
    assert all(o.period.label == "2019" and o.period.duration == "P1Y" for o in imd.observations)


@needs_data
def test_southend_003a_rank_decile_population(imd: ReaderResult) -> None:
    """E01015814 Southend-on-Sea 003A, row 15,348 of each file: IMD rank 19,102 (File 1: "19,102"), decile 6."""
    code = "E01015814"
    area = next(a for a in imd.areas if a.code == code)
    assert area.name == "Southend-on-Sea 003A"
    assert lad_of(imd)[code] == SOUTHEND
    rank = values(imd, "imd2019-imd-rank")[code]
    assert rank.value == 19102 and rank.area_name == "Southend-on-Sea 003A"
    assert rank.source_file == f"imd2019-lsoa/{FILE_2}" and rank.source_row == 15348
    assert values(imd, "imd2019-imd-decile")[code].value == 6 == decile_of_rank(19102)
    assert values(imd, "imd2019-income-rank")[code].value == 13559
    assert values(imd, "imd2019-income-decile")[code].value == 5
    assert values(imd, "imd2019-living-environment-rank")[code].value == 21436
    population = values(imd, POPULATION_SLUG)[code]
    assert population.value == 1492  # "1,492" in File 6
    assert population.source_file == f"imd2019-lsoa/{FILE_6}" and population.source_row == 15348


@needs_data
def test_every_rank_decile_and_population_matches_the_files(imd: ReaderResult) -> None:
    """An independent read of Files 2 and 6 (and File 1's quoted ranks) gives the same numbers."""
    by_slug: dict[str, dict[str, float | None]] = {}
    for o in imd.observations:
        by_slug.setdefault(o.indicator, {})[o.area_code] = o.value
    file2 = read_csv(IMD / FILE_2)
    assert len(file2) == LSOA_COUNT
    columns = list(file2[0])
    for d in DOMAINS:
        rank_col = next(c for c in columns if c.startswith(f"{d.header} Rank"))
        decile_col = next(c for c in columns if c.startswith(f"{d.header} Decile"))
        ranks, deciles = by_slug[rank_slug(d.key)], by_slug[decile_slug(d.key)]
        for row in file2:
            assert ranks[row["LSOA code (2011)"]] == int(row[rank_col])
            assert deciles[row["LSOA code (2011)"]] == int(row[decile_col])
    population = by_slug[POPULATION_SLUG]
    for row in read_csv(IMD / FILE_6):
        total = row["Total population: mid 2015 (excluding prisoners)"]
        assert population[row["LSOA code (2011)"]] == int(total.replace(",", ""))
    file1 = read_csv(IMD / FILE_1)
    assert any("," in row["Index of Multiple Deprivation (IMD) Rank"] for row in file1)  # the separators exist
    for row in file1:
        assert by_slug["imd2019-imd-rank"][row["LSOA code (2011)"]] == int(
            row["Index of Multiple Deprivation (IMD) Rank"].replace(",", "")
        )


@needs_data
def test_south_essex_lsoas_per_authority_from_the_imd(imd: ReaderResult) -> None:
    counts = Counter(lad_of(imd).values())
    assert {lad: counts[lad] for lad in SOUTH_ESSEX} == SOUTH_ESSEX
    assert sum(counts[lad] for lad in SOUTH_ESSEX) == 471
    shares = values(imd, "imd2019-share-lsoas-most-deprived-10pc")
    for lad, n in SOUTH_ESSEX.items():
        assert shares[lad].denominator == n


@needs_data
def test_shares_in_most_deprived_10pc_equal_the_official_lad_summary(imd: ReaderResult) -> None:
    """Counted from File 2, the 10% share of every LAD and domain equals MHCLG's File 10 proportion (4 d.p.)."""
    official = {
        "Index of Multiple Deprivation": "imd",
        "Income": "income",
        "Employment": "employment",
        "Education, Skills and Training": "education",
        "Health and Disability": "health",
        "Crime": "crime",
        "Barriers to Housing and Services": "barriers",
        "Living Environment": "living-environment",
    }
    shares = {d.key: values(imd, share_slug(d.key, 10)) for d in DOMAINS}
    checked = 0
    for row in read_csv(SUMMARIES / "IoD2019_lad_summaries_long.csv"):
        key = official.get(row["index_domain"])
        if key is None:
            continue  # IDACI and IDAOPI are not in the LSOA files here
        ours = shares[key][row["lad19cd"]]
        assert ours.value == pytest.approx(100 * float(row["proportion_bottom_decile"]), abs=0.00501), row
        assert ours.numerator is not None and ours.denominator is not None
        assert ours.value == pytest.approx(100 * ours.numerator / ours.denominator)
        checked += 1
    assert checked == 317 * 8
    southend = values(imd, "imd2019-share-lsoas-most-deprived-10pc")[SOUTHEND]
    assert (southend.numerator, southend.denominator) == (9, 107)  # 8.41% in File 10
    twenty = values(imd, "imd2019-share-lsoas-most-deprived-20pc")[SOUTHEND]
    assert (twenty.numerator, twenty.denominator) == (23, 107)


@needs_data
def test_lsoa_indicator_metadata(imd: ReaderResult) -> None:
    ind = {i.slug: i for i in imd.indicators}
    rank = ind["imd2019-imd-rank"]
    assert rank.label == "Index of Multiple Deprivation 2019: rank (1 = most deprived of 32,844)"
    assert rank.dataset == "imd2019-lsoa" and rank.licence == "OGL-UK-3.0"
    assert rank.source_org == "Ministry of Housing, Communities and Local Government"
    assert rank.source_url == "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2019"
    assert rank.source_date is not None and rank.source_date.isoformat() == "2019-09-26"
    assert (rank.measure, rank.decimals) == ("Rank", 0)
    assert rank.caveats is not None and "LSOA 2011" in rank.caveats and "1 = most deprived" in rank.caveats
    assert "IoD2025" in rank.caveats
    assert rank.description is not None and "2015/16" in rank.description
    assert (ind["imd2019-income-decile"].measure, ind["imd2019-income-decile"].decimals) == ("Decile", 0)
    assert (ind[POPULATION_SLUG].measure, ind[POPULATION_SLUG].decimals) == ("Count", 0)
    share = ind["imd2019-share-lsoas-most-deprived-10pc"]
    assert (share.unit, share.suffix, share.measure) == ("%", "%", "Percentage")
    assert share.description is not None and "ratio of the sums" in share.description


def test_decile_of_rank_matches_mhclg_boundaries() -> None:
    """Decile d holds ranks up to floor(32,844·d/10): the boundaries found in File 2."""
    bounds = [3284, 6568, 9853, 13137, 16422, 19706, 22990, 26275, 29559, 32844]
    for d, top in enumerate(bounds, start=1):
        assert decile_of_rank(top) == d
        assert top == LSOA_COUNT or decile_of_rank(top + 1) == d + 1


# --- LAD summaries 2019 and 2025 ----------------------------------------------------------------------


@needs_data
def test_lad_summaries_for_southend_2019_and_2025(summaries: ReaderResult) -> None:
    """From the CSVs by hand: IoD2019 row 32 and IoD2025 row 302 (IMD), rows 349/303 (income)."""
    assert summaries.findings == []
    assert summaries.rows_read == 3170 + 2960 and summaries.rows_skipped == 0
    assert series(summaries, "iod-imd-average-score", SOUTHEND) == {"2019": 22.375, "2025": 24.027}
    assert series(summaries, "iod-imd-average-rank", SOUTHEND) == {"2019": 16811.88, "2025": 18080.37}
    assert series(summaries, "iod-imd-rank-of-average-score", SOUTHEND) == {"2019": 110, "2025": 89}
    assert series(summaries, "iod-imd-rank-of-average-rank", SOUTHEND) == {"2019": 129, "2025": 113}
    # 8.4099999999999994E-2 and 0.1111, stored as percentages
    assert series(summaries, "iod-imd-proportion-most-deprived-10pc", SOUTHEND) == {"2019": 8.41, "2025": 11.11}
    assert series(summaries, "iod-imd-rank-of-proportion-most-deprived-10pc", SOUTHEND) == {"2019": 94, "2025": 85}
    # "Income" (2019) and "Income Deprivation" (2025) are one series; so are the health names
    assert series(summaries, "iod-income-proportion-most-deprived-10pc", SOUTHEND) == {"2019": 12.15, "2025": 9.26}
    assert series(summaries, "iod-income-average-score", SOUTHEND) == {"2019": 0.144, "2025": 0.252}
    assert series(summaries, "iod-health-proportion-most-deprived-10pc", SOUTHEND) == {"2019": 10.28, "2025": 11.11}
    assert series(summaries, "iod-living-environment-average-score", SOUTHEND) == {"2019": 17.07, "2025": 26.248}
    assert series(summaries, "iod-idaci-proportion-most-deprived-10pc", SOUTHEND) == {"2019": 13.08, "2025": 7.41}
    # the ranks among districts are for the IMD only
    assert not any(o.indicator == "iod-income-rank-of-average-score" for o in summaries.observations)


@needs_data
def test_lad_summaries_cover_both_editions(summaries: ReaderResult) -> None:
    assert len(summaries.indicators) == 6 + 9 * 2
    by_period = Counter(o.period.label for o in summaries.observations)
    assert by_period == {"2019": 317 * 24, "2025": 296 * 24}
    lads = {p: {o.area_code for o in summaries.observations if o.period.label == p} for p in ("2019", "2025")}
    assert len(lads["2019"]) == 317 and len(lads["2025"]) == 296
    assert set(SOUTH_ESSEX) <= lads["2019"] & lads["2025"]
    ind = {i.slug: i for i in summaries.indicators}
    assert summary_slug("imd", "average_score") == "iod-imd-average-score"
    for i in summaries.indicators:
        assert i.caveats is not None and "317" in i.caveats and "296" in i.caveats and "LSOA 2021" in i.caveats
        assert i.dataset == "iod-lad-summaries"
    share = ind["iod-imd-proportion-most-deprived-10pc"]
    assert (share.measure, share.unit, share.suffix) == ("Percentage", "%", "%")


@needs_data
def test_lad_summary_float_noise_is_cleaned(summaries: ReaderResult) -> None:
    """Hartlepool 2019: 35.036999999999999 → 35.037, 0.36209999999999998 → 36.21%."""
    assert series(summaries, "iod-imd-average-score", HARTLEPOOL)["2019"] == 35.037
    assert series(summaries, "iod-imd-proportion-most-deprived-10pc", HARTLEPOOL)["2019"] == 36.21
    for o in summaries.observations:
        assert o.value is not None and len(repr(o.value)) <= 10, o


# --- small-area boundaries ----------------------------------------------------------------------------


@needs_data
def test_small_area_boundaries(small: ReaderResult) -> None:
    assert len(small.areas) == 1077 == len(small.geometries) == small.rows_read
    assert {(a.type, a.valid_from) for a in small.areas} == {("lsoa", 2011)}
    counts = Counter(lad_of(small).values())
    assert {lad: counts[lad] for lad in SOUTH_ESSEX} == SOUTH_ESSEX
    assert len(counts) == 14  # Greater Essex: 12 districts, Southend, Thurrock
    # topo_*.json, msoa11/ and wards2013/ are not read
    assert all(a.code.startswith("E01") for a in small.areas)
    # one published boundary crosses itself (Maldon 001B): kept, with a warning
    assert [(f.rule, f.severity, f.value) for f in small.findings] == [
        ("small-areas.invalid-shape", Severity.WARNING, "E01021909")
    ]
    southend = next(a for a in small.areas if a.code == "E01015814")
    assert southend.name == "Southend-on-Sea 003A"
    geometry = small.geometries["E01015814"]
    assert " " not in geometry
    assert all(len(n.split(".")[1]) <= 5 for n in re.findall(r"-?\d+\.\d+", geometry))
    shape = shapely.from_geojson(geometry)
    assert shape.geom_type == "Polygon" and shape.is_valid
    minx, miny, maxx, maxy = shape.bounds
    assert 0.6 < minx < maxx < 0.75 and 51.5 < miny < maxy < 51.6  # Southend-on-Sea


@needs_data
def test_boundaries_join_the_imd(imd: ReaderResult, small: ReaderResult) -> None:
    """Every LSOA with a boundary is in the IoD2019 files, in the same authority."""
    imd_lad, small_lad = lad_of(imd), lad_of(small)
    assert all(imd_lad[code] == lad for code, lad in small_lad.items())
    names = {a.code: a.name for a in imd.areas}
    assert all(names[a.code] == a.name for a in small.areas)


@needs_data
def test_ward_relations_only_when_the_lookup_is_passed(tmp_path: Path) -> None:
    require(WARD_LOOKUP.is_file(), "no ward lookup")
    rows = (IMD / FILE_2).read_text(encoding="utf-8-sig").splitlines()
    sample = [rows[0]] + [r for r in rows if r.split(",")[2] in SOUTH_ESSEX]
    (tmp_path / FILE_2).write_text("\n".join(sample) + "\n", encoding="utf-8")
    without = read_imd_lsoa(tmp_path, "imd2019-lsoa")
    assert {r.relation for r in without.relations} == {"ltla"}
    result = read_imd_lsoa(tmp_path, "imd2019-lsoa", ward_lookup=WARD_LOOKUP)
    wards = {r.code: r.parent for r in result.relations if r.relation == "ward"}
    assert len(wards) == 471  # every South Essex LSOA has its (best-fit) 2019 ward
    assert wards["E01015814"].startswith("E05")
    ward_areas = [a for a in result.areas if a.type == "ward"]
    assert {a.code for a in ward_areas} == set(wards.values())
    ward_lads = {r.code: r.parent for r in result.relations if r.relation == "ltla" and r.code.startswith("E05")}
    assert set(ward_lads.values()) == set(SOUTH_ESSEX)
    assert result.rows_read == without.rows_read  # the lookup's rows belong to another source


# --- broken copies ------------------------------------------------------------------------------------


def _write(path: Path, lines: list[str], bom: bool = True) -> None:
    path.write_text(("\ufeff" if bom else "") + "\r\n".join(lines) + "\r\n", encoding="utf-8")


FILE2_HEADER = (
    "LSOA code (2011),LSOA name (2011),Local Authority District code (2019),Local Authority District name (2019),"
    + ",".join(
        f'"{d.header} Rank (where 1 is most deprived)","{d.header} Decile (where 1 is most deprived 10% of LSOAs)"'
        for d in DOMAINS
    )
)
GOOD = "E01015814,Southend-on-Sea 003A,E06000033,Southend-on-Sea,19102,6,13559,5,17901,6,14462,5,19716,7,19954,7,18154,6,21436,7"  # noqa: E501
SECOND = "E01015815,Southend-on-Sea 003B,E06000033,Southend-on-Sea,1,1,2,1,3,1,4,1,5,1,6,1,7,1,32844,10"


def test_broken_file_2_gives_findings_with_row_and_column(tmp_path: Path) -> None:
    _write(
        tmp_path / FILE_2,
        [
            FILE2_HEADER,
            GOOD,  # line 2
            GOOD.replace("E01015814", "E01015816").replace(",19102,", ",abc,"),  # 3: non-numeric rank
            GOOD.replace("E01015814", "E01015817").replace(",13559,5,", ",13559,11,"),  # 4: decile 11
            GOOD.replace("E01015814", "E01015818").replace(",19102,6,", ",40000,6,"),  # 5: rank > 32,844
            GOOD.replace(",17901,6,", ",17901,2,"),  # 6: duplicate LSOA (and a decile that disagrees)
            GOOD.replace("E01015814", "E01015819").replace(",17901,6,", ",17901,2,"),  # 7: decile ≠ rank's
            "E01015820,Southend-on-Sea 003F,E06000033",  # 8: truncated
            SECOND,  # 9
        ],
    )
    _write(
        tmp_path / FILE_6,
        ["LSOA code (2011),Total population: mid 2015 (excluding prisoners)", 'E01015814,"1,492"', "E01015815,n/a"],
    )
    result = read_imd_lsoa(tmp_path, "imd2019-lsoa")
    file2 = f"imd2019-lsoa/{FILE_2}"
    errors = {(f.rule, f.file, f.row, f.column) for f in result.findings if f.severity is Severity.ERROR}
    rank_col = "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)"
    assert ("imd.not-a-number", file2, 3, rank_col) in errors
    assert ("imd.out-of-range", file2, 4, "Income Decile (where 1 is most deprived 10% of LSOAs)") in errors
    assert ("imd.out-of-range", file2, 5, rank_col) in errors
    assert ("imd.duplicate-lsoa", file2, 6, "LSOA code (2011)") in errors
    assert ("imd.decile-mismatch", file2, 7, "Employment Decile (where 1 is most deprived 10% of LSOAs)") in errors
    assert ("imd.field-count", file2, 8, "Local Authority District name (2019)") in errors
    file6 = f"imd2019-lsoa/{FILE_6}"
    assert ("imd.not-a-number", file6, 3, "Total population: mid 2015 (excluding prisoners)") in errors
    # File 1 is only a cross-check: its absence is a warning
    assert any(
        f.rule == "imd.missing-file" and f.severity is Severity.WARNING and FILE_1 in f.file for f in result.findings
    )
    # only the two good rows are loaded; each bad row is counted as skipped
    assert sorted(a.code for a in result.areas) == ["E01015814", "E01015815"]
    assert result.rows_read == 8 + 2 and result.rows_skipped == 6 + 1
    assert values(result, POPULATION_SLUG)["E01015814"].value == 1492
    assert values(result, "imd2019-share-lsoas-most-deprived-10pc")[SOUTHEND].numerator == 1  # E01015815


def test_missing_column_is_an_error_naming_it(tmp_path: Path) -> None:
    header = FILE2_HEADER.replace('"Crime Decile (where 1 is most deprived 10% of LSOAs)",', "")
    fields = GOOD.split(",")
    del fields[4 + 2 * 5 + 1]  # the crime decile value
    _write(tmp_path / FILE_2, [header, ",".join(fields)], bom=False)
    _write(tmp_path / FILE_6, ["LSOA code (2011),Population", "E01015814,1"])
    result = read_imd_lsoa(tmp_path, "x")
    missing = [f for f in result.findings if f.rule == "imd.missing-column"]
    assert [(f.file, f.row, f.column, f.severity) for f in missing] == [
        (f"x/{FILE_2}", 1, "Crime Decile", Severity.ERROR),
        (f"x/{FILE_6}", 1, "Total population: mid 2015", Severity.ERROR),
    ]
    # the crime domain is left out, the others are read (no BOM here: still recognised)
    assert "imd2019-crime-rank" not in {i.slug for i in result.indicators}
    assert values(result, "imd2019-imd-rank")["E01015814"].value == 19102


def test_file_1_disagreeing_with_file_2_is_an_error(tmp_path: Path) -> None:
    _write(tmp_path / FILE_2, [FILE2_HEADER, GOOD, SECOND])
    _write(
        tmp_path / FILE_6,
        ["LSOA code (2011),Total population: mid 2015 (excluding prisoners)", 'E01015814,"1,492"', "E01015815,900"],
    )
    head = "LSOA code (2011),LSOA name (2011),Local Authority District code (2019),Local Authority District name (2019),Index of Multiple Deprivation (IMD) Rank,Index of Multiple Deprivation (IMD) Decile"  # noqa: E501
    _write(
        tmp_path / FILE_1,
        [
            head,
            'E01015814,Southend-on-Sea 003A,E06000033,Southend-on-Sea,"19,102",6',
            'E01015815,Southend-on-Sea 003B,E06000033,Southend-on-Sea,"1,001",1',
        ],
    )
    result = read_imd_lsoa(tmp_path, "imd2019-lsoa")
    errors = [f for f in result.findings if f.severity is Severity.ERROR]
    assert [(f.rule, f.severity, f.file, f.row, f.column, f.value) for f in errors] == [
        (
            "imd.cross-check",
            Severity.ERROR,
            f"imd2019-lsoa/{FILE_1}",
            3,
            "Index of Multiple Deprivation (IMD) Rank",
            "1,001",
        )
    ]


def test_broken_lad_summaries(tmp_path: Path) -> None:
    head = "lad19cd,lad19nm,index_domain,average_rank,rank_average_rank,average_score,rank_average_score,proportion_bottom_decile,rank_proportion_bottom_decile,year"  # noqa: E501
    (tmp_path / "a.csv").write_text(
        "\n".join(
            [
                head,
                "E06000033,Southend-on-Sea,Income,18351.8,95,0.14399999999999999,85,0.1215,71,2019",  # 2: good
                "E06000033,Southend-on-Sea,Happiness,1,1,1,1,0.1,1,2019",  # 3: unknown domain
                "E06000034,Thurrock,Crime,1,1,x,1,0.1,1,2019",  # 4: not a number
                "E06000034,Thurrock,Employment,1,1,1,1,1.5,1,2019",  # 5: proportion > 1
                "E06000034,Thurrock,Employment,1,1,1,1,0.5,1,2015",  # 6: unknown edition
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    (tmp_path / "b.csv").write_text("area_code,index_domain\nE06000033,Income\n", encoding="utf-8")
    result = read_iod_lad_summaries(tmp_path, "iod")
    found = {(f.rule, f.file, f.row, f.column) for f in result.findings}
    assert ("iod.unknown-domain", "iod/a.csv", 3, "index_domain") in found
    assert ("iod.not-a-number", "iod/a.csv", 4, "average_score") in found
    assert ("iod.out-of-range", "iod/a.csv", 5, "proportion_bottom_decile") in found
    assert ("iod.unknown-year", "iod/a.csv", 6, "year") in found
    assert ("iod.missing-column", "iod/b.csv", 1, "average_rank") in found
    assert ("iod.missing-column", "iod/b.csv", 1, "area_code") not in found  # IoD2025's name for the code
    assert all(f.severity is Severity.ERROR for f in result.findings)
    assert series(result, "iod-income-average-score", SOUTHEND) == {"2019": 0.144}
    assert series(result, "iod-income-proportion-most-deprived-10pc", SOUTHEND) == {"2019": 12.15}
    assert result.rows_read == 5 + 1 and result.rows_skipped == 4 + 1


def test_broken_small_area_files(tmp_path: Path) -> None:
    folder = tmp_path / "lsoa11"
    folder.mkdir()
    ring = [[0.6, 51.5], [0.61, 51.5], [0.61, 51.51], [0.6, 51.5]]

    def feature(code: object, geometry: object) -> dict[str, object]:
        return {"type": "Feature", "properties": {"LSOA11CD": code, "LSOA11NM": f"Name {code}"}, "geometry": geometry}

    good = feature("E01015814", {"type": "Polygon", "coordinates": [ring]})
    (folder / "E06000033.json").write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    good,
                    feature("E01015814", {"type": "Polygon", "coordinates": [ring]}),  # duplicate
                    feature(None, {"type": "Polygon", "coordinates": [ring]}),  # no code
                    feature("E01015815", {"type": "Point", "coordinates": [0.6, 51.5]}),  # not an area
                    feature("E01015816", {"type": "Polygon", "coordinates": [[[0.6, 51.5], [0.6, 51.5]]]}),
                    feature("E01015817", {"type": "Polygon", "coordinates": [[["a", 51.5]] * 4]}),
                ],
            }
        ),
        encoding="utf-8",
    )
    (folder / "E06000034.json").write_text('{"type": "FeatureCollection", "features": [\n  {,}\n]}', encoding="utf-8")
    (folder / "topo_E06000033.json").write_text("not read", encoding="utf-8")
    result = read_small_area_boundaries(tmp_path, "sa")
    found = {(f.rule, f.file, f.row, f.column) for f in result.findings}
    assert ("small-areas.invalid-json", "sa/lsoa11/E06000034.json", 2, "char 4") in found
    assert ("small-areas.duplicate-lsoa", "sa/lsoa11/E06000033.json", None, "features[1].properties.LSOA11CD") in found
    assert ("small-areas.invalid-code", "sa/lsoa11/E06000033.json", None, "features[2].properties.LSOA11CD") in found
    for i in (3, 4, 5):
        assert ("small-areas.invalid-geometry", "sa/lsoa11/E06000033.json", None, f"features[{i}].geometry") in found
    assert all(f.severity is Severity.ERROR for f in result.findings)
    assert [a.code for a in result.areas] == ["E01015814"]
    assert result.rows_read == 6 and result.rows_skipped == 5
    assert json.loads(result.geometries["E01015814"]) == {"type": "Polygon", "coordinates": [ring]}


def test_missing_folders_are_errors(tmp_path: Path) -> None:
    for result in (
        read_imd_lsoa(tmp_path / "none", "imd2019-lsoa"),
        read_iod_lad_summaries(tmp_path / "none", "iod-lad-summaries"),
        read_small_area_boundaries(tmp_path / "none", "essex-small-area-boundaries"),
    ):
        assert result.findings and all(f.severity is Severity.ERROR for f in result.findings)
        assert not result.observations and not result.areas


# --- a build with the three sources ------------------------------------------------------------------


@needs_data
@pytest.mark.slow
def test_build_with_deprivation_and_small_areas(tmp_path: Path) -> None:
    sources = link_sources(tmp_path / "sources", SHARED_DATA)
    for name in DEPRIVATION_SOURCES:
        if not (sources / name).exists():  # link_sources links every configured source already
            os.symlink(SHARED_DATA / name, sources / name)
    config = config_with_deprivation_sources()
    assert set(DEPRIVATION_SOURCES) <= {s.name for s in config.sources}
    started = time.perf_counter()
    report = build_release(config, sources, Store(tmp_path / "store"))
    seconds = time.perf_counter() - started
    assert report.published and not report.errors(), report.errors()[:5]
    print(f"build with deprivation and small areas: {seconds:.1f} s, {report.observations:,} observations")
    store = Store(tmp_path / "store")
    assert report.release_id is not None
    con = duckdb.connect(str(store.release_path(report.release_id)), read_only=True)
    try:

        def one(sql: str) -> object:
            row = con.execute(sql).fetchone()
            assert row is not None
            return row[0]

        # neighbourhood rows are kept inside small_area_scope (Greater Essex); all 32,844 were read
        assert one("SELECT count(*) FROM areas WHERE type = 'lsoa'") == 1077
        assert one("SELECT count(*) FROM area_geometry g JOIN areas a USING (code) WHERE a.type = 'lsoa'") == 1077
        assert one("SELECT count(DISTINCT area_code) FROM observations WHERE indicator = 'imd2019-imd-rank'") == 1077
        assert one("SELECT count(*) FROM findings WHERE rule = 'small-areas.out-of-scope'") == 1
        assert LSOA_COUNT - 1077 == 31767
        assert (
            one("SELECT value FROM observations WHERE indicator = 'imd2019-imd-rank' AND area_code = 'E01015814'")
            == 19102
        )
        assert one("SELECT parent FROM area_relations WHERE code = 'E01015814' AND relation = 'ltla'") == SOUTHEND
        counts = dict(
            con.execute(
                "SELECT r.parent, count(*) FROM area_relations r JOIN area_geometry g USING (code)"
                " WHERE r.relation = 'ltla' AND r.code LIKE 'E01%' GROUP BY r.parent"
            ).fetchall()
        )
        assert {lad: counts[lad] for lad in SOUTH_ESSEX} == SOUTH_ESSEX
        assert one("SELECT count(*) FROM indicators WHERE dataset IN ('imd2019-lsoa', 'iod-lad-summaries')") == 33 + 24
        # every LAD the summaries name (2019 and 2024 codes) is in the boundaries, none registered from the data
        assert one("SELECT count(*) FROM findings WHERE file LIKE 'iod-lad-summaries/%' OR file LIKE 'imd2019%'") == 0
        row = con.execute(
            "SELECT value, numerator, denominator FROM observations"
            " WHERE indicator = 'imd2019-share-lsoas-most-deprived-10pc' AND area_code = 'E06000033'"
        ).fetchone()
        assert row is not None and row[1:] == (9, 107)
    finally:
        con.close()
