"""Places: 2021 geography, postcodes, named places, search, ward/neighbourhood/custom pages.

Expected values are worked out here from the publishers' files in ../shared/data, never from the
program's output: postcodes are placed by this file's own ray-casting point-in-polygon over the GeoJSON
as published, deprivation shares are summed from the IoD2019 files and the ONS best-fit lookup.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest
from fastapi.testclient import TestClient

from observatory.model import Severity
from observatory.pipeline.build import BuildReport
from observatory.sources.geography_2021 import read_geography_2021
from observatory.sources.postcodes import normalise_postcode, read_postcodes
from observatory.store import Store

pytestmark = pytest.mark.slow
SIX = {"E07000066", "E07000068", "E07000069", "E07000075", "E06000033", "E06000034"}


@pytest.fixture(scope="module")
def release(full_build: tuple[Store, BuildReport]) -> duckdb.DuckDBPyConnection:
    store, report = full_build
    assert report.release_id is not None
    return duckdb.connect(str(store.release_path(report.release_id)), read_only=True)


# ----------------------------------------------------------------------------------------------------------------
# An independent point-in-polygon: even-odd ray casting over every ring of the published GeoJSON


def _rings(geometry: dict[str, Any]) -> list[np.ndarray]:
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return [np.asarray(ring, dtype=np.float64)[:, :2] for polygon in polygons for ring in polygon]


def _inside(rings: list[np.ndarray], px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """Even-odd rule: a point is inside when a ray to +x crosses the rings an odd number of times."""
    crossings = np.zeros(len(px), dtype=np.int64)
    for ring in rings:
        x1, y1 = ring[:-1, 0][:, None], ring[:-1, 1][:, None]
        x2, y2 = ring[1:, 0][:, None], ring[1:, 1][:, None]
        spans = (y1 > py) != (y2 > py)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_at = x1 + (py - y1) * (x2 - x1) / (y2 - y1)
        crossings += (spans & (px < x_at)).sum(axis=0)
    return crossings % 2 == 1


def _place(folder: Path, code_key: str, px: np.ndarray, py: np.ndarray) -> tuple[list[str | None], list[str | None]]:
    """For every point, the code of the feature holding it and the authority (file name) of that feature."""
    codes: list[str | None] = [None] * len(px)
    lads: list[str | None] = [None] * len(px)
    for path in sorted(folder.glob("*.geojson")):
        for feature in json.loads(path.read_text(encoding="utf-8"))["features"]:
            rings = _rings(feature["geometry"])
            allxy = np.vstack(rings)
            box = (
                (px >= allxy[:, 0].min())
                & (px <= allxy[:, 0].max())
                & (py >= allxy[:, 1].min())
                & (py <= allxy[:, 1].max())
            )
            idx = np.flatnonzero(box)
            if len(idx) == 0:
                continue
            hit = idx[_inside(rings, px[idx], py[idx])]
            for i in hit:
                assert codes[i] is None, f"point {i} lies in {codes[i]} and {feature['properties'][code_key]}"
                codes[i] = feature["properties"][code_key]
                lads[i] = path.stem
    return codes, lads


def _nspl(shared: Path) -> list[tuple[str, float, float]]:
    out = []
    for name in ("CM.csv", "RM.csv", "SS.csv"):
        with open(shared / "postcodes-nspl-latlon" / name, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                if row["lat"]:
                    pc = row["Postcode"].replace(" ", "")
                    out.append((f"{pc[:-3]} {pc[-3:]}", float(row["lat"]), float(row["long"])))
    return out


def test_every_postcode_is_placed_as_an_independent_point_in_polygon_places_it(
    shared: Path, release: duckdb.DuckDBPyConnection
) -> None:
    points = _nspl(shared)
    assert len(points) == 17_546 + 28_253 + 15_657  # rows with coordinates (postcodes-nspl-latlon/PROVENANCE.md)
    px = np.array([p[2] for p in points])
    py = np.array([p[1] for p in points])
    base = shared / "south-essex-boundaries-2021"
    lsoa, lad = _place(base / "lsoa21", "LSOA21CD", px, py)
    ward, _ = _place(base / "wards2025", "WD25CD", px, py)
    stored = {
        r[0]: r[1:]
        for r in release.execute("SELECT postcode, lsoa21, ward, authority, in_scope FROM postcodes").fetchall()
    }
    assert len(stored) == len(points)
    wrong = []
    for (pc, _, _), l21, wd, la in zip(points, lsoa, ward, lad, strict=True):
        s_lsoa, s_ward, s_lad, s_in = stored[pc]
        if (s_lsoa, s_ward, s_in) != (l21, wd, l21 is not None) or (l21 is not None and s_lad != la):
            wrong.append((pc, (l21, wd, la), (s_lsoa, s_ward, s_lad, s_in)))
    assert not wrong, f"{len(wrong)} postcodes placed differently, e.g. {wrong[:5]}"
    inside = sum(1 for x in lsoa if x is not None)
    assert inside == 17_382 + 4_570 + 3_985  # the PROVENANCE check (shapely), here by ray casting


def test_outside_postcodes_name_their_authority_and_are_out_of_scope(release: duckdb.DuckDBPyConnection) -> None:
    # CM1 is Chelmsford (postcodes-nspl-latlon/PROVENANCE.md: CM points outside are mostly in Chelmsford)
    found = release.execute(
        "SELECT authority, count(*) FROM postcodes WHERE district = 'CM1' GROUP BY ALL ORDER BY 2 DESC"
    ).fetchall()
    assert found[0][0] == "E07000070"
    assert release.execute("SELECT count(*) FROM postcodes WHERE in_scope AND authority NOT IN "
                           "(SELECT unnest($s))", {"s": sorted(SIX)}).fetchone() == (0,)  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [("SS1 1AA", "SS1 1AA"), ("ss11aa", "SS1 1AA"), ("SS1  1AA", "SS1 1AA"), (" ss119aa ", "SS11 9AA"),
     ("SS1", None), ("hello", None)],
)  # fmt: skip
def test_postcodes_are_normalised_from_any_spacing_or_case(text: str, expected: str | None) -> None:
    assert normalise_postcode(text) == expected


# ----------------------------------------------------------------------------------------------------------------
# Readers: every row loaded or named in a finding with its file, row and column


def test_postcode_reader_names_bad_rows_with_file_row_and_column(tmp_path: Path, shared: Path) -> None:
    folder = tmp_path / "pc"
    folder.mkdir()
    lines = (shared / "postcodes-nspl-latlon" / "SS.csv").read_text(encoding="utf-8").splitlines()
    lines[5] = "SS1 1AA,51.5x,0.71240"  # row 6: an unreadable latitude
    lines[7] = "NOTAPC,51.5,0.7"  # row 8: not a postcode
    (folder / "SS.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = read_postcodes(folder, "pc")
    errors = [f for f in result.findings if f.severity is Severity.ERROR]
    assert [(f.file, f.row, f.column) for f in errors] == [("pc/SS.csv", 6, "lat"), ("pc/SS.csv", 8, "Postcode")]
    named = {f.row for f in result.findings}
    assert result.rows_read == len(lines) - 1 == len(result.points) + len(named)
    no_grid = [f for f in result.findings if f.rule == "postcodes.no-grid-reference"]
    assert len(no_grid) == 62  # SS rows without a grid reference (PROVENANCE.md)


def test_boundary_reader_counts_and_names_a_broken_feature(tmp_path: Path, shared: Path) -> None:
    base = shared / "south-essex-boundaries-2021"
    good = read_geography_2021(base, "b")
    assert (len(good.layer("lsoa21")), len(good.layer("msoa21")), len(good.layer("ward"))) == (478, 91, 90)
    assert not [f for f in good.findings if f.severity is Severity.ERROR]
    copy = tmp_path / "b"
    shutil.copytree(base, copy)
    path = copy / "wards2025" / "E06000033.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["features"][2]["properties"]["WD25CD"] = "X05000000"
    path.write_text(json.dumps(data), encoding="utf-8")
    bad = read_geography_2021(copy, "b")
    errors = [f for f in bad.findings if f.severity is Severity.ERROR]
    assert [(f.file, f.column, f.value) for f in errors] == [
        ("b/wards2025/E06000033.geojson", "features[2].properties.WD25CD", "X05000000")
    ]
    assert bad.rows_read == len(bad.boundaries) + bad.rows_skipped == 478 + 91 + 90


# ----------------------------------------------------------------------------------------------------------------
# Deprivation carried to 2021 areas: worked out from the IoD2019 files and the best-fit lookup


def _int(text: str) -> int:
    return int(text.replace(",", ""))


def test_a_neighbourhoods_population_share_in_the_most_deprived_10pc_is_summed_from_the_files(
    shared: Path, client: TestClient
) -> None:
    # Canvey Island Winter Gardens = MSOA 2021 E02004480 "Castle Point 008" (ons-places/msoa21_names.csv); its
    # 2011 LSOAs are those whose best-fit 2021 LSOA is named "Castle Point 008<letter>".
    with open(shared / "ons-geography-lookups-2021" / "lsoa11_to_lsoa21_best_fit_lookup_england_wales_v2.csv",
              encoding="utf-8-sig", newline="") as fh:  # fmt: skip
        lsoa11 = {r["LSOA11CD"] for r in csv.DictReader(fh) if r["LSOA21NM"][:-1] == "Castle Point 008"}
    imd = shared / "imd2019-lsoa"
    with open(imd / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv", encoding="utf-8-sig", newline="") as fh:
        decile = {r["LSOA code (2011)"]: int(r["Index of Multiple Deprivation (IMD) Decile"])
                  for r in csv.DictReader(fh) if r["LSOA code (2011)"] in lsoa11}  # fmt: skip
    with open(imd / "File_6_-_IoD2019_Population_Denominators.csv", encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        total_col = next(c for c in reader.fieldnames or [] if c.startswith("Total population"))
        pop = {r["LSOA code (2011)"]: _int(r[total_col]) for r in reader if r["LSOA code (2011)"] in lsoa11}
    assert len(decile) == len(pop) == len(lsoa11) > 0
    total = sum(pop.values())
    in10 = sum(p for c, p in pop.items() if decile[c] == 1)
    in20 = sum(p for c, p in pop.items() if decile[c] <= 2)
    data = client.get("/areas/E02004480.json").json()
    assert data["title"] == "Canvey Island Winter Gardens"
    imd_row = data["profile"]["domains"][0]
    assert (imd_row["population"], imd_row["pop10"], imd_row["pop20"]) == (total, in10, in20)
    assert imd_row["share10"] == pytest.approx(100 * in10 / total)  # the JSON keeps the share unrounded
    from observatory import format as nf

    assert f"<strong>{nf.number(100 * in10 / total, 1)}%</strong>" in client.get("/areas/E02004480").text


def test_every_ward_of_may_2025_has_a_page(shared: Path, client: TestClient) -> None:
    wards = []
    for path in sorted((shared / "south-essex-boundaries-2021" / "wards2025").glob("*.geojson")):
        for f in json.loads(path.read_text(encoding="utf-8"))["features"]:
            wards.append((f["properties"]["WD25CD"], f["properties"]["WD25NM"], path.stem))
    assert len(wards) == 90
    for code, name, lad in wards:
        data = client.get(f"/areas/{code}.json").json()
        assert data["title"] == name and data["authorities"][0]["code"] == lad, code
        assert data["profile"]["population"] > 0, f"{code} {name} carries no IoD2019 population"
    page = client.get("/areas/E05002225")
    assert page.status_code == 200 and "Victoria" in page.text
    assert client.get("/areas/E05002225.csv").text.startswith("area,area_name,ward,msoa21,lsoa11,")


def test_wards_partition_the_population_of_each_authority(
    client: TestClient, release: duckdb.DuckDBPyConnection
) -> None:
    """Each 2021 LSOA is in one ward, so the wards' populations add up to the authority's (no double count)."""
    for lad in sorted(SIX):
        wards = [r[0] for r in release.execute(
            "SELECT code FROM areas a JOIN area_relations r USING (code) WHERE a.type = 'ward' AND r.parent = $l",
            {"l": lad}).fetchall()]  # fmt: skip
        whole = client.get(f"/areas/custom.json?wards={','.join(wards)}").json()["profile"]["population"]
        parts = sum(client.get(f"/areas/{w}.json").json()["profile"]["population"] for w in wards)
        expected = release.execute(
            "SELECT sum(o.value) FROM observations o JOIN area_relations r ON r.code = o.area_code "
            "AND r.relation = 'ltla' WHERE o.indicator = 'imd2019-population-mid-2015' AND r.parent = $l",
            {"l": lad},
        ).fetchone()
        assert whole == parts == int(expected[0]), lad  # type: ignore[index]


# ----------------------------------------------------------------------------------------------------------------
# Search


@pytest.mark.parametrize(
    ("q", "authority"),
    [("Canvey Island", "E07000069"), ("Grays", "E06000034"), ("Billericay", "E07000066"), ("Rayleigh", "E07000075"),
     ("Leigh-on-Sea", "E06000033"), ("Shoeburyness", "E06000033"), ("Benfleet", "E07000069"),
     ("Hadleigh", "E07000069"), ("Corringham", "E06000034"), ("canvey ISLAND", "E07000069"),
     ("Stanford-le-Hope", "E06000034"), ("Wickford", "E07000066"), ("Westcliff-on-Sea", "E06000033"),
     ("Westcliff", "E06000033")],
)  # fmt: skip
def test_a_place_name_finds_its_south_essex_place_first(client: TestClient, q: str, authority: str) -> None:
    data = client.get("/search.json", params={"q": q}).json()
    first = data["places"][0]
    assert first["south_essex"] and first["authority"] == authority, first
    ni_small_areas = [a for a in data["areas"] if a["type"] in ("soa", "other") or a["code"].startswith("95")]
    assert not ni_small_areas, (
        "a Northern Ireland small area or ward (e.g. 95AA10W1 Greystone_Antrim) for an English town"
    )
    target = client.get(first["url"])
    assert target.status_code == 200


def test_a_postcode_sector_and_district_spread_across_wards(client: TestClient) -> None:
    data = client.get("/search.json", params={"q": "SS0"}).json()
    assert [a["code"] for a in data["postcode_area"]["authorities"]] == ["E06000033"]  # SS0 is all Southend
    sector = client.get("/search.json", params={"q": "ss0 7"}).json()["postcode_area"]
    assert sector["kind"] == "sector" and sector["value"] == "SS0 7" and sector["total"] > 0
    full = client.get("/search.json", params={"q": "ss11aa"}).json()
    assert full["postcode"]["ward"] and full["postcode"]["authority"] == "E06000033"
    outside = client.get("/search.json", params={"q": "CM1 1AA"}).json()["postcode"]
    if outside["found"]:
        assert not outside["in_scope"] and outside["authority"] != "E06000033"
