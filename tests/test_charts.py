"""Charts: accessible SVG roots, one line per area, bands only where CIs exist, spine orientation, caching."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from typing import Any

import pytest

from observatory import format as nf
from observatory.web.charts import (
    ChartCache,
    Point,
    Series,
    SpineRow,
    line_chart,
    line_chart_spec,
    sparkline,
    spine_chart,
    spine_position,
)

NS = {"svg": "http://www.w3.org/2000/svg"}


def series(code: str, name: str, values: list[float | None], ci: bool = False) -> Series:
    return Series(
        code=code,
        name=name,
        points=tuple(
            Point(
                date(2015 + i, 1, 1),
                str(2015 + i),
                v,
                (v - 1.5) if ci and v is not None else None,
                (v + 1.5) if ci and v is not None else None,
            )
            for i, v in enumerate(values)
        ),
    )


SOUTHEND = series("E06000033", "Southend-on-Sea", [23.8, 25.0, None, 27.1, 29.8], ci=True)
THURROCK = series("E06000034", "Thurrock", [30.1, 31.0, 32.2, 33.0, 34.5])
ENGLAND = series("E92000001", "England", [35.0, 36.0, 37.5, 38.0, 40.1], ci=True)
NOTHING = series("E10000012", "Essex", [None, None, None, None, None])
ALL = [SOUTHEND, THURROCK, ENGLAND, NOTHING]
HIGHLIGHT = ("E06000033", "E06000034")


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def assert_accessible(root: ET.Element) -> None:
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("role") == "img"
    title_id = root.get("aria-labelledby")
    assert title_id
    ids = [el.get("id") for el in root.iter() if el.get("id")]
    assert len(ids) == len(set(ids)), "ids must be unique"
    title = root.find("svg:title", NS)
    desc = root.find("svg:desc", NS)
    assert title is not None and title.text and title.get("id") == title_id
    assert desc is not None and desc.text
    assert root.get("aria-describedby") == desc.get("id")
    for el in root.iter():
        assert el.tag.rsplit("}", 1)[-1] not in {"script", "foreignObject", "image", "a"}
        assert not any(k.startswith("on") for k in el.attrib)
        for value in el.attrib.values():
            assert "http" not in value and "javascript:" not in value


def layers(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The spec's layers by mark type, each with its rows inlined (altair moves them to ``datasets``)."""
    out = {}
    for layer in spec["layer"]:
        mark = layer["mark"]
        data = layer.get("data", spec.get("data"))
        rows = data["values"] if "values" in data else spec["datasets"][data["name"]]
        out[mark["type"] if isinstance(mark, dict) else mark] = {**layer, "rows": rows}
    return out


def test_spec_has_one_line_per_area_with_data_and_bands_only_where_cis_exist() -> None:
    spec = line_chart_spec(ALL, y_title="£ per hour", unit=nf.Unit("£"), highlight=HIGHLIGHT)
    by_mark = layers(spec)
    lines = {row["s"] for row in by_mark["line"]["rows"]}
    assert lines == {"Southend-on-Sea", "Thurrock", "England"}  # Essex has no data: not drawn
    bands = {row["s"] for row in by_mark["area"]["rows"]}
    assert bands == {"Southend-on-Sea", "England"}
    assert all(row["lo"] < row["hi"] for row in by_mark["area"]["rows"])
    # The missing 2017 value breaks the line rather than being bridged.
    assert by_mark["line"]["mark"]["invalid"] == "break-paths-show-domains"


def test_no_band_layer_without_cis() -> None:
    spec = line_chart_spec([THURROCK], y_title="x")
    assert "area" not in layers(spec)


def test_comparators_are_dashed_and_highlighted_areas_solid() -> None:
    spec = line_chart_spec(ALL, y_title="x", highlight=HIGHLIGHT)
    dash = layers(spec)["line"]["encoding"]["strokeDash"]["scale"]
    styles = dict(zip(dash["domain"], dash["range"], strict=True))
    assert styles["Southend-on-Sea"] == [1, 0] and styles["Thurrock"] == [1, 0]
    assert styles["England"] != [1, 0]


def test_many_overlapping_bands_default_to_one_and_can_be_chosen() -> None:
    many = [series(f"E0{i}", f"Area {i}", [1.0, 2.0, 3.0], ci=True) for i in range(5)]
    spec = line_chart_spec(many, y_title="x", highlight=["E02"])
    assert {r["s"] for r in layers(spec)["area"]["rows"]} == {"Area 2"}
    spec = line_chart_spec(many, y_title="x", band_codes={"E00", "E04"})
    assert {r["s"] for r in layers(spec)["area"]["rows"]} == {"Area 0", "Area 4"}


def test_line_chart_svg_is_accessible_and_self_contained() -> None:
    svg = line_chart(
        ALL, title="GVA per hour worked", y_title="£", unit=nf.Unit("£"), highlight=HIGHLIGHT, chart_id="gva"
    )
    root = parse(svg)
    assert_accessible(root)
    assert root.get("id") == "gva"
    assert all(el.get("id", "gva").startswith("gva") for el in root.iter())
    desc = root.find("svg:desc", NS)
    assert desc is not None and desc.text
    assert "Southend-on-Sea from £23.8 in 2015 to £29.8 in 2019" in desc.text
    assert "No data for Essex" in desc.text
    assert "95% confidence intervals" in desc.text
    # Axis labels are the period labels, not dates.
    texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert "2019" in texts and "Southend-on-Sea" in texts


def test_two_charts_on_one_page_do_not_share_ids() -> None:
    a = parse(line_chart([SOUTHEND], title="A", y_title="x", chart_id="a"))
    b = parse(line_chart([SOUTHEND], title="B", y_title="x", chart_id="b"))
    ids_a = {el.get("id") for el in a.iter() if el.get("id")}
    ids_b = {el.get("id") for el in b.iter() if el.get("id")}
    assert ids_a and ids_b and not ids_a & ids_b


def test_default_chart_id_is_stable() -> None:
    one = line_chart([SOUTHEND, ENGLAND], title="A", y_title="x")
    assert one == line_chart([SOUTHEND, ENGLAND], title="A", y_title="x")


def test_sparkline_structure() -> None:
    root = parse(sparkline([1.0, 2.0, None, 3.0, 2.5], label="GVA trend, latest £2.5"))
    assert root.get("role") == "img"
    title = root.find("svg:title", NS)
    assert title is not None and title.text == "GVA trend, latest £2.5"
    assert len(root.findall("svg:polyline", NS)) == 2  # the gap splits the line
    last = root.findall("svg:circle", NS)[-1]
    assert float(last.get("cx", 0)) == pytest.approx(117.0)  # the latest point is marked at the right end


def test_sparkline_without_data_is_still_labelled() -> None:
    root = parse(sparkline([None, None], label="No data"))
    assert root.find("svg:title", NS) is not None
    assert not root.findall("svg:polyline", NS)


def spine_rows() -> list[SpineRow]:
    return [
        # Lower is better and the area is lower than England: it must sit right of centre.
        SpineRow("Claimant count", 3.0, 4.0, 1.0, 3.0, 5.0, 9.0, "better", "lower-better", nf.Unit("", "%", 1)),
        SpineRow("GVA per hour", 30.0, 40.0, 20.0, 33.0, 41.0, 80.0, "worse", "higher-better", nf.Unit("£", "", 1)),
        SpineRow("Happiness", 7.5, 7.4, 6.8, 7.2, 7.6, 8.1, "not-tested", "no-judgement"),
        SpineRow("Missing", None, 10.0, 5.0, 8.0, 12.0, 15.0),
    ]


def test_spine_orientation_puts_better_to_the_right() -> None:
    lower_better, higher_better, *_ = spine_rows()
    assert spine_position(lower_better, 3.0) > 0.5 > spine_position(lower_better, 5.0)  # type: ignore[operator]
    assert spine_position(higher_better, 50.0) > 0.5 > spine_position(higher_better, 30.0)  # type: ignore[operator]
    assert spine_position(higher_better, 40.0) == pytest.approx(0.5)  # England is the centre
    # The farther extreme reaches the edge.
    assert spine_position(higher_better, 80.0) == pytest.approx(1.0)
    assert spine_position(lower_better, 9.0) == pytest.approx(0.0)


def test_spine_chart_structure() -> None:
    root = parse(
        spine_chart(
            spine_rows(), title="Southend-on-Sea against England", area_name="Southend-on-Sea", chart_id="spine"
        )
    )
    assert_accessible(root)
    marks = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "spine-mark"]
    assert [m.get("data-judgement") for m in marks] == ["better", "worse", "not-tested"]  # no marker without data
    for mark in marks:
        title = mark.find("svg:title", NS)
        assert title is not None and title.text
    better, worse, _ = marks
    assert float(better.get("data-pos", 0)) > 0.5 > float(worse.get("data-pos", 1))
    # Judgements are told apart by shape too, not colour alone.
    assert len({m.get("data-shape") for m in marks}) == 3
    heads = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text") if t.get("font-weight") == "bold"]
    assert heads[:3] == ["Indicator", "Southend-on-Sea", "England"]  # the value column is headed by the area's name


class TestChartCache:
    def test_hits_and_bound(self) -> None:
        cache = ChartCache(max_entries=2)
        calls: list[str] = []

        def render(key: str) -> str:
            calls.append(key)
            return f"<svg>{key}</svg>"

        assert cache.get_or_render("r1", "a", lambda: render("a")) == "<svg>a</svg>"
        assert cache.get_or_render("r1", "a", lambda: render("a")) == "<svg>a</svg>"
        assert calls == ["a"]
        cache.get_or_render("r1", "b", lambda: render("b"))
        cache.get_or_render("r1", "c", lambda: render("c"))  # evicts "a", the least recently used
        assert len(cache) == 2 and cache.get("r1", "a") is None
        assert cache.get("r2", "b") is None  # another release is another key
        cache.drop_release("r1")
        assert len(cache) == 0


def test_spine_note_for_a_total_stays_inside_the_england_column() -> None:
    """A total's benchmark is said, not drawn ("not comparable (a total)"): its text is wrapped and the value
    columns are widened so it never runs into the area's value (the printed Thurrock report overlapped them)."""
    rows = [
        SpineRow("Active businesses", 4515.0, None, 100.0, 3000.0, 6000.0, 40000.0, "not-tested", "no-judgement",
                 nf.Unit("", "", 0), england_note=nf.NOT_COMPARABLE),
        SpineRow("Claimant count", 3.0, 4.0, 1.0, 3.0, 5.0, 9.0, "better", "lower-better", nf.Unit("", "%", 1)),
    ]  # fmt: skip
    root = parse(spine_chart(rows, title="Thurrock against England", area_name="Thurrock", chart_id="spine"))
    texts = [(float(t.get("x", 0)), float(t.get("y", 0)), t.get("text-anchor"), t.text or "")
             for t in root.iter("{http://www.w3.org/2000/svg}text")]  # fmt: skip
    area = next(t for t in texts if t[3] == "4,515")
    note = [t for t in texts if t[3] in ("not comparable", "(a total)")]
    assert len(note) == 2 and "not comparable (a total)" not in [t[3] for t in texts]
    for x, _, anchor, text in note:  # right-aligned: the left edge at ~7.5 px a character must clear the area's x
        assert anchor == "end" and x - 7.5 * len(text) > area[0]
