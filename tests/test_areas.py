"""Areas from the real ONS boundaries and lookups, plus small broken files that must give findings."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import shapely
from shapely.geometry import shape

from observatory.model import Area, AreaRelation, ReaderResult, Severity
from observatory.pipeline.areas import HIERARCHY, ancestors, combine_areas
from observatory.sources.boundaries import read_boundaries
from observatory.sources.lookups import LAD_NAMES, LAD_NUTS, LTLA_UTLA, itl_code, read_lookups
from tests.conftest import unless_ci

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TOPO = DATA / "ons-boundaries" / "uk-topo.json"
LOOKUPS = DATA / "ons-geography-lookups"

needs_data = unless_ci(
    not TOPO.is_file() or not LOOKUPS.is_dir(),
    reason=f"shared ONS data not found under {DATA} (boundaries and lookups are needed)",
)

BASILDON, SOUTHEND, THURROCK = "E07000066", "E06000033", "E06000034"
ESSEX, EAST, ENGLAND, UK = "E10000012", "E12000006", "E92000001", "K02000001"


@pytest.fixture(scope="module")
def boundaries() -> ReaderResult:
    return read_boundaries(TOPO, "ons-boundaries/uk-topo.json")


@pytest.fixture(scope="module")
def lookups() -> ReaderResult:
    return read_lookups(LOOKUPS, "ons-geography-lookups")


@pytest.fixture(scope="module")
def combined(boundaries: ReaderResult, lookups: ReaderResult) -> ReaderResult:
    return combine_areas(boundaries, lookups)


def by_code(result: ReaderResult) -> dict[str, Area]:
    return {a.code: a for a in result.areas}


def parents(result: ReaderResult, code: str, relation: str) -> set[str]:
    return {r.parent for r in result.relations if r.code == code and r.relation == relation}


# --- the real boundaries ------------------------------------------------------------------------------


@needs_data
def test_current_ltla_count_matches_provenance(boundaries: ReaderResult) -> None:
    provenance = (TOPO.parent / "PROVENANCE.md").read_text(encoding="utf-8")
    stated = re.search(r"\((\d+) current lower-tier authorities\)", provenance)
    assert stated is not None
    current = [a for a in boundaries.areas if "ltla" in a.types and a.valid_to is None]
    assert len(current) == int(stated.group(1)) == 361
    assert len({a.code for a in current}) == len(current)


@needs_data
def test_layer_sizes_match_provenance(boundaries: ReaderResult) -> None:
    layers = {layer: sum(layer in a.types for a in boundaries.areas) for layer in HIERARCHY}
    assert layers == {"ltla": 407, "utla": 230, "cty": 27, "rgn": 12, "ctry": 4, "uk": 1}
    assert sum("mcty" in a.types for a in boundaries.areas) == 6
    # 20 combined authorities in the file, of which two are Scottish council areas filed there by mistake.
    assert sum("cauth" in a.types for a in boundaries.areas) == 18
    skipped = {f.value for f in boundaries.findings if f.rule == "boundaries.layer-mismatch"}
    assert skipped == {"S12000049", "S12000050"}
    assert not [f for f in boundaries.findings if f.severity is Severity.ERROR]
    assert len({a.code for a in boundaries.areas}) == len(boundaries.areas)


@needs_data
def test_types_follow_priority(boundaries: ReaderResult) -> None:
    areas = by_code(boundaries)
    assert (areas[SOUTHEND].type, areas[SOUTHEND].types) == ("ltla", ("ltla", "utla"))
    assert (areas[BASILDON].type, areas[BASILDON].types) == ("ltla", ("ltla",))
    assert set(areas[ESSEX].types) == {"utla", "cty"}
    # The rgn layer repeats the three other nations; they stay countries.
    assert (areas["W92000004"].type, set(areas["W92000004"].types)) == ("ctry", {"ctry", "rgn"})
    assert areas[EAST].type == "rgn" and areas[UK].type == "uk"


@needs_data
def test_years_from_start_and_end(boundaries: ReaderResult) -> None:
    areas = by_code(boundaries)
    assert (areas["E06000060"].valid_from, areas["E06000060"].valid_to) == (2020, None)  # Buckinghamshire
    assert (areas["E07000004"].valid_from, areas["E07000004"].valid_to) == (None, 2019)  # Aylesbury Vale
    assert (areas["E07000246"].valid_from, areas["E07000246"].valid_to) == (2019, 2022)
    assert (areas[BASILDON].valid_from, areas[BASILDON].valid_to) == (None, None)


@needs_data
def test_basildon_chain_from_shapes(boundaries: ReaderResult) -> None:
    assert parents(boundaries, BASILDON, "cty") == {ESSEX}
    assert parents(boundaries, BASILDON, "rgn") == {EAST}
    assert parents(boundaries, ESSEX, "rgn") == {EAST}
    assert parents(boundaries, EAST, "ctry") == {ENGLAND}
    assert parents(boundaries, ENGLAND, "uk") == {UK}
    assert ancestors(BASILDON, boundaries.relations) == [ESSEX, EAST, ENGLAND, UK]
    assert by_code(boundaries)[ESSEX].name == "Essex"
    assert by_code(boundaries)[EAST].name == "East of England"


@needs_data
def test_unitaries_have_no_county_and_no_self_parent(boundaries: ReaderResult) -> None:
    for code in (SOUTHEND, THURROCK):
        assert parents(boundaries, code, "cty") == set()
        assert parents(boundaries, code, "utla") == set()
        assert parents(boundaries, code, "rgn") == {EAST}
        assert ancestors(code, boundaries.relations) == [EAST, ENGLAND, UK]
    assert not [r for r in boundaries.relations if r.code == r.parent]


@needs_data
def test_parents_respect_years(boundaries: ReaderResult) -> None:
    # Aylesbury Vale (to 2019) is in Buckinghamshire county (to 2019), and not in the 2020 unitary.
    assert parents(boundaries, "E07000004", "cty") == {"E10000002"}
    # The 2020 unitary lies where the old county was, but they never coexisted.
    assert parents(boundaries, "E06000060", "cty") == set()
    # Northumberland was in three combined authorities, one after another.
    assert parents(boundaries, "E06000057", "cauth") == {"E47000005", "E47000011", "E47000014"}
    # Every English district has exactly one region; Welsh ones have none, only a country.
    areas = by_code(boundaries)
    for code, area in areas.items():
        if area.type == "ltla" and code.startswith("E"):
            assert len(parents(boundaries, code, "rgn")) == 1, code
        if area.type == "ltla" and code.startswith("W"):
            assert parents(boundaries, code, "rgn") == set() and parents(boundaries, code, "ctry") == {"W92000004"}
    assert not [f for f in boundaries.findings if f.rule == "boundaries.ambiguous-parent"]


@needs_data
def test_southend_geometry(boundaries: ReaderResult) -> None:
    geojson = json.loads(boundaries.geometries[SOUTHEND])
    assert geojson["type"] in ("Polygon", "MultiPolygon")
    geom = shape(geojson)
    assert geom.is_valid and not geom.is_empty
    assert abs(geom.centroid.x - 0.7) < 0.05 and abs(geom.centroid.y - 51.55) < 0.05
    numbers = re.findall(r"-?\d+\.\d+", boundaries.geometries[SOUTHEND])
    assert numbers and all(len(n.split(".")[1]) <= 5 for n in numbers)


@needs_data
def test_every_geometry_is_valid(boundaries: ReaderResult) -> None:
    assert set(boundaries.geometries) == {a.code for a in boundaries.areas}
    geoms = shapely.from_geojson(list(boundaries.geometries.values()))
    assert shapely.is_valid(geoms).all()
    basildon = shapely.from_geojson(boundaries.geometries[BASILDON])
    essex = shapely.from_geojson(boundaries.geometries[ESSEX])
    assert essex.contains(basildon.point_on_surface())


# --- the real lookups and the combination -------------------------------------------------------------


@needs_data
def test_lookups_read_cleanly(lookups: ReaderResult) -> None:
    assert not [f for f in lookups.findings if f.severity is not Severity.INFO]
    assert lookups.rows_skipped == 0
    types = {a.type for a in lookups.areas}
    assert {"itl1", "itl2", "itl3", "ltla", "cty", "rgn", "ctry"} <= types


@needs_data
def test_itl_from_nuts(combined: ReaderResult) -> None:
    areas = by_code(combined)
    assert itl_code("UKH37") == "TLH37"
    assert parents(combined, THURROCK, "itl3") == {"TLH32"}
    assert parents(combined, BASILDON, "itl3") == {"TLH37"}
    assert areas["TLH37"].name == "Essex Thames Gateway"
    assert (areas["TLH37"].type, areas["TLH37"].source) == ("itl3", "lookups")
    assert ancestors(BASILDON, combined.relations, ("itl3", "itl2", "itl1")) == ["TLH37", "TLH3", "TLH"]
    assert (areas["TLH3"].type, areas["TLH"].type) == ("itl2", "itl1")


@needs_data
def test_welsh_names(combined: ReaderResult) -> None:
    areas = by_code(combined)
    assert areas["W06000015"].welsh_name == "Caerdydd"
    assert areas["W06000001"].welsh_name == "Ynys Môn"  # double-encoded in the source, repaired
    assert areas["W06000001"].name == "Isle of Anglesey"
    assert areas[EAST].welsh_name == "Dwyrain Lloegr"


@needs_data
def test_combined_south_essex(combined: ReaderResult) -> None:
    areas = by_code(combined)
    assert ancestors(BASILDON, combined.relations) == [ESSEX, EAST, ENGLAND, UK]
    assert areas[SOUTHEND].types == ("ltla", "utla") and areas[SOUTHEND].source == "boundaries"
    assert parents(combined, SOUTHEND, "cty") == set()
    assert parents(combined, SOUTHEND, "rgn") == {EAST}
    assert SOUTHEND in combined.geometries
    assert len({(r.code, r.parent, r.relation) for r in combined.relations}) == len(combined.relations)
    assert len({a.code for a in combined.areas}) == len(combined.areas)


@needs_data
def test_lookups_agree_with_shapes(combined: ReaderResult) -> None:
    assert not [f for f in combined.findings if f.rule == "areas.parent-conflict"]
    current = [a for a in combined.areas if "ltla" in a.types and a.valid_to is None]
    assert len([a for a in current if a.source == "boundaries"]) == 361
    # The two Scottish councils missing from the ltla layer come from the lookups only, and are reported.
    assert {a.code for a in current if a.source == "lookups"} == {"S12000049", "S12000050"}
    assert [f for f in combined.findings if f.rule == "areas.no-boundary"]


# --- broken files give findings, not exceptions --------------------------------------------------------


def topology(geometries: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Two unit squares sharing one arc, quantised: left uses arc 0 forwards, right uses it reversed."""
    return {
        "type": "Topology",
        "transform": {"scale": [0.5, 0.25], "translate": [10, 50]},
        "arcs": [
            [[1, 0], [0, 1]],  # (1,0)->(1,1): the shared edge
            [[1, 1], [-1, 0], [0, -1], [1, 0]],  # (1,1)->(0,1)->(0,0)->(1,0)
            [[1, 0], [1, 0], [0, 1], [-1, 0]],  # (1,0)->(2,0)->(2,1)->(1,1)
        ],
        "objects": {layer: {"type": "GeometryCollection", "geometries": geoms} for layer, geoms in geometries.items()},
    }


def square(code: str, ring: list[int], **props: Any) -> dict[str, Any]:
    return {"type": "Polygon", "arcs": [ring], "properties": {"areacd": code, "areanm": code, **props}}


def write(tmp_path: Path, content: object) -> Path:
    path = tmp_path / "topo.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def test_decodes_quantised_and_reversed_arcs(tmp_path: Path) -> None:
    doc = topology(
        {
            "ltla": [
                square("E06000001", [0, 1]),
                square("E07000001", [2, ~0]),
                square("E07000002", [2, ~0], start=2020),
            ],
            "utla": [square("E06000001", [0, 1], start=2016), square("E10000001", [2, ~0], end=2015)],
            "cty": [square("E10000001", [2, ~0], end=2015)],
            "ctry": [{"type": "MultiPolygon", "arcs": [[[1, 2]]], "properties": {"areacd": "E92000001"}}],
        }
    )
    doc["objects"]["ctry"]["geometries"][0]["properties"]["areanm"] = "England"
    result = read_boundaries(write(tmp_path, doc), "t/topo.json")
    assert result.findings == []
    assert json.loads(result.geometries["E06000001"]) == {
        "type": "Polygon",
        "coordinates": [[[10.5, 50], [10.5, 50.25], [10, 50.25], [10, 50], [10.5, 50]]],
    }
    assert json.loads(result.geometries["E07000001"])["coordinates"] == [
        [[10.5, 50], [11, 50], [11, 50.25], [10.5, 50.25], [10.5, 50]]
    ]
    assert json.loads(result.geometries["E92000001"])["type"] == "Polygon"
    areas = by_code(result)
    # Widest range across layers: open-ended in ltla beats start=2016 in utla.
    assert (areas["E06000001"].types, areas["E06000001"].valid_from) == (("ltla", "utla"), None)
    assert (areas["E10000001"].type, areas["E10000001"].valid_to) == ("utla", 2015)
    assert parents(result, "E07000001", "cty") == {"E10000001"}
    assert parents(result, "E07000002", "cty") == set()  # created after the county ended
    assert parents(result, "E06000001", "ctry") == {"E92000001"}
    assert not [r for r in result.relations if r.code == r.parent]


def test_invalid_json(tmp_path: Path) -> None:
    result = read_boundaries(write(tmp_path, '{"type": "Topology", '), "t/topo.json")
    assert [(f.rule, f.severity, f.file) for f in result.findings] == [
        ("boundaries.invalid-json", Severity.ERROR, "t/topo.json")
    ]
    assert result.areas == [] and result.geometries == {}


def test_not_a_topology(tmp_path: Path) -> None:
    for content in ({"type": "FeatureCollection", "features": []}, [1, 2], {"type": "Topology"}):
        result = read_boundaries(write(tmp_path, content), "t/topo.json")
        assert [(f.rule, f.severity) for f in result.findings] == [("boundaries.not-topology", Severity.ERROR)]


def test_empty_topology(tmp_path: Path) -> None:
    result = read_boundaries(write(tmp_path, topology({"ltla": []})), "t/topo.json")
    assert [(f.rule, f.severity) for f in result.findings] == [("boundaries.empty", Severity.ERROR)]


def test_missing_file(tmp_path: Path) -> None:
    result = read_boundaries(tmp_path / "absent.json", "t/absent.json")
    assert [(f.rule, f.severity) for f in result.findings] == [("boundaries.unreadable", Severity.ERROR)]


def test_bad_geometries_are_skipped_with_warnings(tmp_path: Path) -> None:
    no_code = square("E07000001", [2, ~0])
    del no_code["properties"]["areacd"]
    doc = topology(
        {
            "ltla": [
                square("E06000001", [0, 1]),
                no_code,
                square("E07000002", [7]),  # no such arc
                square("E07000003", [0]),  # not a closed ring
                {
                    "type": "Point",
                    "coordinates": [0, 0],
                    "properties": {"areacd": "E07000004", "areanm": "P"},
                },
                square("E07000005", [2, ~0], end="soon"),
            ],
            "cauth": [square("S12000049", [0, 1])],  # a council area in the combined-authority layer
            "ctry": [square("E92000001", [1, 2])],
        }
    )
    result = read_boundaries(write(tmp_path, doc), "t/topo.json")
    assert [a.code for a in result.areas] == ["E06000001", "E92000001"]
    rules = [f.rule for f in result.findings]
    assert rules == [
        "boundaries.missing-code",
        "boundaries.bad-geometry",
        "boundaries.bad-geometry",
        "boundaries.bad-geometry",
        "boundaries.bad-year",
        "boundaries.layer-mismatch",
    ]
    assert all(f.severity is Severity.WARNING and f.file == "t/topo.json" for f in result.findings)
    assert "geometry 2" in result.findings[0].message
    assert (result.rows_read, result.rows_skipped) == (8, 6)


def test_lookup_missing_column_is_an_error(tmp_path: Path) -> None:
    (tmp_path / LAD_NAMES).write_text("FID,LAD20CD,LAD20NM\n1,E07000066,Basildon\n", encoding="utf-8")
    result = read_lookups(tmp_path, "lk")
    errors = [f for f in result.findings if f.severity is Severity.ERROR]
    assert [(f.rule, f.file, f.column) for f in errors] == [("lookups.missing-column", f"lk/{LAD_NAMES}", "LAD20NMW")]
    assert "LAD20NMW" in str(errors[0])
    missing = [f for f in result.findings if f.rule == "lookups.missing-file"]
    assert len(missing) == 6 and all(f.severity is Severity.WARNING for f in missing)
    assert f"lk/{LTLA_UTLA}" in {f.file for f in missing}
    assert result.areas == []


def test_lookups_work_on_a_subset(tmp_path: Path) -> None:
    header = "LAD18CD,LAD18NM,NUTS318CD,NUTS318NM,NUTS218CD,NUTS218NM,NUTS118CD,NUTS118NM,FID\n"
    rows = (
        'E07000066,Basildon,UKH37,Essex Thames Gateway,UKH3,Essex,UKH,East of England,"1"\n'
        'E07000999,Nowhere,XX123,Bad,UKH3,Essex,UKH,East of England,"2"\n'
    )
    (tmp_path / LAD_NUTS).write_text("\ufeff" + header + rows, encoding="utf-8")
    (tmp_path / LAD_NAMES).write_text(
        'FID,LAD20CD,LAD20NM,LAD20NMW\n"1",W06000001,Isle of Anglesey,Ynys MÃ´n\n', encoding="utf-8"
    )
    result = read_lookups(tmp_path, "lk")
    assert parents(result, "E07000066", "itl3") == {"TLH37"}
    assert parents(result, "TLH37", "itl2") == {"TLH3"}
    assert parents(result, "TLH3", "itl1") == {"TLH"}
    assert by_code(result)["W06000001"].welsh_name == "Ynys Môn"
    bad = [f for f in result.findings if f.rule == "lookups.bad-code"]
    assert [(f.row, f.column, f.value, f.severity) for f in bad] == [(3, "NUTS318CD", "XX123", Severity.WARNING)]
    assert not [f for f in result.findings if f.severity is Severity.ERROR]
    assert result.rows_skipped == 1


def test_missing_lookups_folder(tmp_path: Path) -> None:
    result = read_lookups(tmp_path / "absent", "lk")
    assert [(f.rule, f.severity) for f in result.findings] == [("lookups.missing-folder", Severity.ERROR)]


# --- combining and ancestors ----------------------------------------------------------------------------


def test_combine_prefers_shapes_and_reports_conflicts() -> None:
    shapes = ReaderResult(
        areas=[
            Area("E07000001", "District", "ltla", ("ltla",)),
            Area("E07000002", "Old district", "ltla", ("ltla",), valid_to=2018),
            Area("E10000001", "County A", "utla", ("utla", "cty")),
            Area("E10000002", "County B", "utla", ("utla", "cty")),
        ],
        relations=[
            AreaRelation("E07000001", "E10000001", "cty"),
            AreaRelation("E07000002", "E10000001", "cty"),
        ],
        geometries={"E07000001": "{}"},
    )
    tables = ReaderResult(
        areas=[
            Area("E07000001", "District (old name)", "ltla", ("ltla",), source="lookups", welsh_name="Ardal"),
            Area("TLH37", "Somewhere", "itl3", ("itl3",), source="lookups"),
        ],
        relations=[
            AreaRelation("E07000001", "E10000002", "cty"),  # disagrees with the shapes, current area
            AreaRelation("E07000002", "E10000002", "cty"),  # disagrees, but the area has ended
            AreaRelation("E07000001", "TLH37", "itl3"),  # fills a gap
            AreaRelation("E07000001", "E10000001", "cty"),  # duplicate of a spatial one
        ],
    )
    out = combine_areas(shapes, tables)
    areas = by_code(out)
    assert areas["E07000001"].name == "District" and areas["E07000001"].welsh_name == "Ardal"
    assert areas["E07000001"].source == "boundaries" and areas["TLH37"].source == "lookups"
    assert parents(out, "E07000001", "cty") == {"E10000001"}
    assert parents(out, "E07000001", "itl3") == {"TLH37"}
    assert len(out.relations) == 3
    conflicts = [f for f in out.findings if f.rule == "areas.parent-conflict"]
    assert [(f.severity, f.value) for f in conflicts] == [(Severity.WARNING, "E07000001")]
    assert "E10000002" in conflicts[0].message
    assert out.geometries == {"E07000001": "{}"}


def test_ancestors_nearest_first_without_duplicates() -> None:
    relations = [
        AreaRelation("A", "UK", "uk"),
        AreaRelation("A", "R", "rgn"),
        AreaRelation("A", "C", "cty"),
        AreaRelation("C", "R", "rgn"),
        AreaRelation("R", "N", "ctry"),
        AreaRelation("N", "UK", "uk"),
        AreaRelation("A", "X", "cauth"),
    ]
    assert ancestors("A", relations) == ["C", "R", "N", "UK"]
    assert ancestors("C", relations) == ["R", "N", "UK"]
    assert ancestors("UK", relations) == []
    assert ancestors("A", relations, ("cauth",)) == ["X"]
    assert ancestors("A", [*relations, AreaRelation("UK", "A", "uk")]) == ["C", "R", "N", "UK"]  # cycle
