"""An accessible travel-to-work flow map of the Thames estuary: authorities in British National Grid, the
largest flows into and out of the chosen area (or South Essex) as lines whose width follows the number of
people, each with a ``<title>``; the page's tables carry the same numbers for readers who cannot see it.

Geometry comes from the release's ``area_geometry`` (WGS84, projected with ``maps.project``); only current
authorities inside ``FRAME`` are drawn, simplified to ``TOLERANCE`` metres, so the SVG stays small.
"""

from __future__ import annotations

from html import escape
from typing import Any

import duckdb
import shapely

from observatory.release import read
from observatory.web.data.common import SOUTH_ESSEX
from observatory.web.maps import project

FRAME = (480_000.0, 140_000.0, 660_000.0, 250_000.0)  # BNG metres: London to the Essex and Kent coast
WIDTH = 720.0
TOLERANCE = 400.0
MAX_STROKE = 14.0


def _xy(x: float, y: float) -> tuple[float, float]:
    x0, _y0, x1, y1 = FRAME
    scale = WIDTH / (x1 - x0)
    return (x - x0) * scale, (y1 - y) * scale


def _path(geom: shapely.Geometry) -> str:
    parts = []
    for poly in shapely.get_parts(geom):
        for ring in (poly.exterior, *poly.interiors):
            pts = [_xy(x, y) for x, y in ring.coords]
            parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in pts) + "Z")
    return "".join(parts)


def flow_map_svg(cur: duckdb.DuckDBPyConnection, data: dict[str, Any]) -> str:
    """SVG markup for the page's flows (``data['out_flows']`` / ``data['in_flows']`` around ``data['area']``)."""
    focus = data["area"]["code"]
    members = [c["code"] for c in data["choices"] if c["code"] != SOUTH_ESSEX]
    ends = members if focus == SOUTH_ESSEX else [focus]
    found = [(s.code, s.name, s.geojson) for s in read.english_authority_shapes(cur)]
    box = shapely.box(*FRAME)
    shapes: dict[str, tuple[str, shapely.Geometry]] = {}
    for code, name, geojson in found:
        geom = project(geojson)
        if geom is None or not geom.intersects(box):
            continue
        shapes[code] = (name, shapely.simplify(geom.intersection(box), TOLERANCE, preserve_topology=True))
    centre = {code: shapely.point_on_surface(g) for code, (_n, g) in shapes.items()}
    if focus == SOUTH_ESSEX:
        hub = shapely.centroid(shapely.union_all([shapes[c][1] for c in ends if c in shapes]))
    else:
        hub = centre.get(focus)
    height = (FRAME[3] - FRAME[1]) * WIDTH / (FRAME[2] - FRAME[0])
    flows = [("out", r) for r in data["out_flows"]] + [("in", r) for r in data["in_flows"]]
    largest = max((float(r["count"]) for _d, r in flows), default=1.0)
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH:.0f} {height:.0f}" role="img" '
        'aria-labelledby="flow-title flow-desc" class="flow-map">',
        f'<title id="flow-title">Largest travel-to-work flows to and from {escape(data["area"]["name"])}, '
        "Census 2021</title>",
        '<desc id="flow-desc">Lines join the authority (or South Essex) to the places its residents work in (solid, '
        "dark blue) and the places its workers come from (dashed, orange); line width shows the number of people. "
        "The same flows are listed in the tables below the map.</desc>",
        '<g class="flow-areas">',
    ]
    for code, (name, geom) in sorted(shapes.items()):
        cls = "focus" if code in ends else "london" if code.startswith("E09") else "other"
        out.append(f'<path class="area-{cls}" d="{_path(geom)}"><title>{escape(name)}</title></path>')
    out.append("</g>")
    if hub is not None:
        out.append('<g class="flow-lines">')
        hx, hy = _xy(hub.x, hub.y)
        for direction, r in flows:
            point = centre.get(r["code"])
            if point is None:
                continue
            px, py = _xy(point.x, point.y)
            width = max(1.0, MAX_STROKE * (float(r["count"]) / largest) ** 0.5)
            verb = "work in" if direction == "out" else "come from"
            who = "residents" if direction == "out" else "workers"
            out.append(
                f'<line class="flow-{direction}" x1="{hx:.1f}" y1="{hy:.1f}" x2="{px:.1f}" y2="{py:.1f}" '
                f'stroke-width="{width:.1f}"><title>{r["display"]} {who} {verb} {escape(r["name"])}</title></line>'
            )
        out.append("</g>")
        out.append(f'<circle class="flow-hub" cx="{hx:.1f}" cy="{hy:.1f}" r="5"/>')
    for label, (x, y) in (("London", (530_000.0, 181_000.0)), ("Thames estuary", (600_000.0, 178_000.0))):
        lx, ly = _xy(x, y)
        out.append(f'<text class="flow-label" x="{lx:.0f}" y="{ly:.0f}">{label}</text>')
    out.append("</svg>")
    return "".join(out)
