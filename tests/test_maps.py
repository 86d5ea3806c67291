"""Maps: one titled path per current authority, South Essex outlined, 5 classes + no data, within the weight."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from observatory import format as nf
from observatory.pipeline.build import BuildReport
from observatory.stats.classes import quantile_breaks
from observatory.store import Store
from observatory.web.maps import MapArea, area_map, choropleth, classes_of

NS = {"svg": "http://www.w3.org/2000/svg"}
SVG = "{http://www.w3.org/2000/svg}"
SOUTH_ESSEX = ("E07000066", "E07000068", "E07000069", "E07000075", "E06000033", "E06000034")
MAX_BYTES = 120 * 1024

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ltla_features(full_build: tuple[Store, BuildReport]) -> list[MapArea]:
    """Every current lower-tier authority with a boundary, valued by its latest GVA per hour worked."""
    store, _ = full_build
    with store.open() as con:
        rows = con.execute(
            """
            WITH latest AS (
              SELECT area_code, value, period_label,
                     row_number() OVER (PARTITION BY area_code ORDER BY period_start DESC) AS n
              FROM observations WHERE indicator = ?
            )
            SELECT a.code, a.name, g.geojson, l.value, l.period_label
            FROM areas a JOIN area_geometry g USING (code)
            LEFT JOIN latest l ON l.area_code = a.code AND l.n = 1
            WHERE list_contains(a.types, 'ltla') AND a.valid_to IS NULL
            ORDER BY a.code
            """,
            ["gross-value-added-per-hour-worked"],
        ).fetchall()
    return [MapArea(*row) for row in rows]


@pytest.fixture(scope="module")
def national_map(ltla_features: list[MapArea]) -> str:
    return choropleth(
        ltla_features,
        title="Gross value added per hour worked by local authority",
        legend_title="GVA per hour worked",
        breaks=quantile_breaks([f.value for f in ltla_features]),
        unit=nf.Unit("£", "", 1),
        outline=SOUTH_ESSEX,
        inset=SOUTH_ESSEX,
        chart_id="gva-map",
    )


def area_paths(root: ET.Element) -> list[ET.Element]:
    areas = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "areas")
    return [p for p in areas.iter(f"{SVG}path")]


def test_one_titled_path_per_current_authority(ltla_features: list[MapArea], national_map: str) -> None:
    assert len(ltla_features) > 300
    root = ET.fromstring(national_map)
    paths = area_paths(root)
    assert len(paths) == len(ltla_features)
    titles = [p.find("svg:title", NS) for p in paths]
    assert all(t is not None and t.text for t in titles)
    names = sorted(t.text.split(":")[0] for t in titles if t is not None and t.text)
    assert names == sorted(f.name for f in ltla_features)
    # Only the main map names areas: inset copies carry no <title>, so each area is read once.
    titled = [p for p in root.iter(f"{SVG}path") if p.find("svg:title", NS) is not None]
    assert len(titled) == len(ltla_features)
    southend = next(t.text for t in titles if t is not None and t.text and t.text.startswith("Southend-on-Sea"))
    assert southend is not None and "£" in southend and "(" in southend  # value and period


def test_accessible_root(national_map: str) -> None:
    root = ET.fromstring(national_map)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "gva-map-title"
    title, desc = root.find("svg:title", NS), root.find("svg:desc", NS)
    assert title is not None and title.get("id") == "gva-map-title" and title.text
    assert desc is not None and desc.get("id") == root.get("aria-describedby")
    assert desc.text and "darker is higher" in desc.text and "South Essex is outlined" in desc.text
    ids = [el.get("id") for el in root.iter() if el.get("id")]
    assert len(ids) == len(set(ids)) and all(i.startswith("gva-map") for i in ids)  # type: ignore[union-attr]
    assert not any(p.get("tabindex") for p in root.iter())  # paths stay out of the tab order


def test_south_essex_outlined(national_map: str) -> None:
    root = ET.fromstring(national_map)
    outlines = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "outline")
    outlined = {p.get("data-code") for p in outlines.iter(f"{SVG}path") if p.get("data-code")}
    assert outlined == set(SOUTH_ESSEX)


def test_legend_has_five_classes_and_no_data(national_map: str) -> None:
    root = ET.fromstring(national_map)
    legend = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "legend")
    keys = [r.get("data-class") for r in legend.iter(f"{SVG}rect") if r.get("data-class")]
    assert keys == ["1", "2", "3", "4", "5", "none"]
    labels = [t.text or "" for t in legend.iter(f"{SVG}text")]
    assert "No data" in labels
    assert sum("£" in label and " to " in label for label in labels) == 5
    # Areas are grouped by class with the class's fill; "no data" areas use the hatch pattern.
    groups = [g for g in root.iter(f"{SVG}g") if g.get("data-class")]
    assert {g.get("data-class") for g in groups} <= {"1", "2", "3", "4", "5", "none"}
    none = [g for g in groups if g.get("data-class") == "none"]
    assert all((g.get("fill") or "").startswith("url(#gva-map-") for g in none)


def test_inset_zooms_on_south_essex(national_map: str) -> None:
    root = ET.fromstring(national_map)
    inset = next(s for s in root.iter(f"{SVG}svg") if s.get("class") == "inset")
    labels = {t.text for t in inset.iter(f"{SVG}text")}
    assert {"Basildon", "Thurrock", "Southend-on-Sea", "Castle Point", "Rochford", "Brentwood"} <= labels
    assert len(inset.findall(".//svg:path", NS)) > len(SOUTH_ESSEX)  # neighbours for context


def test_weight(national_map: str) -> None:
    size = len(national_map.encode())
    print(f"national map: {size / 1024:.1f} KB")
    assert size <= MAX_BYTES


def test_same_shapes_new_values_reuse_the_layout(ltla_features: list[MapArea], national_map: str) -> None:
    revalued = [MapArea(f.code, f.name, f.geojson, None if f.value is None else -f.value, "x") for f in ltla_features]
    other = choropleth(
        revalued,
        breaks=quantile_breaks([f.value for f in revalued]),
        title="t",
        legend_title="l",
        outline=SOUTH_ESSEX,
        inset=SOUTH_ESSEX,
        chart_id="m2",
    )
    paths_a = [p.get("d") for p in area_paths(ET.fromstring(national_map))]
    paths_b = [p.get("d") for p in area_paths(ET.fromstring(other))]
    assert sorted(paths_a) == sorted(paths_b)  # type: ignore[type-var]


def test_area_map_highlights_one_area(ltla_features: list[MapArea]) -> None:
    essex = [f for f in ltla_features if f.code in SOUTH_ESSEX]
    root = ET.fromstring(area_map(essex, code="E06000033", title="Southend-on-Sea", chart_id="am"))
    assert root.get("role") == "img"
    paths = root.findall(".//svg:path", NS)
    assert len(paths) == len(essex)
    last = paths[-1].find("svg:title", NS)
    assert last is not None and last.text == "Southend-on-Sea"  # drawn last, on top


def test_quantile_classes() -> None:
    breaks = quantile_breaks([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, None])
    assert breaks == pytest.approx((1.0, 2.8, 4.6, 6.4, 8.2, 10.0))  # numpy/DuckDB linear quantiles of 1..10
    classes = classes_of(breaks)
    assert len(classes.colours) == 5
    assert classes.of(1.0) == 0 and classes.of(10.0) == 4 and classes.of(None) is None
    few = classes_of(quantile_breaks([1.0, 1.0, 1.0, 2.0]))
    assert len(few.colours) == 2 and few.colours[0] != few.colours[1]
    assert quantile_breaks([None]) == () and classes_of(()).colours == ()
