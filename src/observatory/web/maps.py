"""Choropleth maps as light, accessible SVG: projected to British National Grid, simplified, quantised.

Shapes are the expensive part (parse, project, simplify as a coverage so neighbours keep sharing borders,
quantise to integers, encode as relative path commands), and they are the same for every indicator of a
release; so the whole layout (paths, inset, legend placement) is cached by the geometry's content and a
map render only assigns classes, fills and titles.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Transformer
from shapely.ops import polylabel

from observatory import format as nf
from observatory.web.charts import FONT, SVG_NS, TEXT, auto_id

# Built once: constructing a Transformer reads the PROJ database (milliseconds each time).
TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)

# ColorBrewer YlGnBu, 5 classes: colour-blind safe, prints in greyscale, darker is higher.
PALETTE = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
NO_DATA = "#d8d8d8"
OUTLINE = "#0b0c0c"

MAIN_STEPS = 1200  # quantisation steps across the longer side of the main map (≈1 km for the UK)
INSET_STEPS = 600  # … and of the inset
MIN_PART = 3.0  # island parts smaller than this many squared quantisation steps are dropped
LAYOUT_CACHE_SIZE = 8
FONT_STEPS = 52  # text size as a fraction of the map's longer side: ≈12 px when the UK map is 560 px wide


@dataclass(frozen=True, slots=True)
class MapArea:
    code: str
    name: str
    geojson: str  # WGS84 lon/lat GeoJSON geometry, as stored in ``area_geometry``
    value: float | None
    period_label: str | None = None


# --------------------------------------------------------------------------------------------------------------
# Geometry


def project(geojson: str) -> shapely.Geometry | None:
    """A GeoJSON geometry in British National Grid metres, polygons only (None when nothing is drawable)."""
    if not geojson:
        return None
    geom = shapely.from_geojson(geojson)
    if not shapely.is_valid(geom):
        geom = shapely.make_valid(geom)
    if geom.geom_type == "GeometryCollection":
        polys = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
        geom = shapely.union_all(polys) if polys else None
    if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        return None
    return shapely.transform(geom, _to_bng)


def _to_bng(coords: NDArray[np.float64]) -> NDArray[np.float64]:
    x, y = TO_BNG.transform(coords[:, 0], coords[:, 1])
    return np.column_stack((x, y))


def _simplify(geoms: list[shapely.Geometry], tolerance: float) -> list[shapely.Geometry]:
    """Coverage simplification keeps shared borders identical, so no slivers or gaps open between areas."""
    out = list(shapely.coverage_simplify(np.array(geoms, dtype=object), tolerance))
    # A broken coverage (overlaps) can simplify to nothing; those fall back to per-shape simplification.
    return [
        g if g is not None and not g.is_empty else shapely.simplify(src, tolerance, preserve_topology=True)
        for g, src in zip(out, geoms, strict=True)
    ]


@dataclass(frozen=True, slots=True)
class _Grid:
    """World metres → integer viewBox units: x right, y down from ``top``."""

    left: float
    top: float
    step: float

    def ring(self, coords: NDArray[np.float64]) -> str:
        pts = np.rint(np.column_stack(((coords[:, 0] - self.left) / self.step, (self.top - coords[:, 1]) / self.step)))
        pts = pts.astype(np.int64)
        keep = np.ones(len(pts), dtype=bool)
        keep[1:] = np.any(pts[1:] != pts[:-1], axis=1)
        pts = pts[keep]
        if len(pts) > 1 and (pts[0] == pts[-1]).all():
            pts = pts[:-1]
        if len(pts) < 3:
            return ""
        deltas = np.diff(pts, axis=0).ravel()
        # Relative moves need a separator only before non-negative numbers: "l3-2 4 5".
        body = " ".join(map(str, deltas.tolist())).replace(" -", "-")
        return f"M{pts[0, 0]} {pts[0, 1]}l{body}z"

    def path(self, geom: shapely.Geometry) -> str:
        """One SVG path (``fill-rule: evenodd`` makes holes holes whatever the ring orientation)."""
        polys = list(shapely.get_parts(geom))
        if not polys:
            return ""
        largest = max(polys, key=lambda p: p.area)
        min_area = MIN_PART * self.step * self.step
        parts: list[str] = []
        for poly in polys:
            if poly is not largest and poly.area < min_area:
                continue
            parts.append(self.ring(np.asarray(poly.exterior.coords)))
            for hole in poly.interiors:
                if shapely.Polygon(hole).area >= min_area:
                    parts.append(self.ring(np.asarray(hole.coords)))
        return "".join(parts)

    def point(self, x: float, y: float) -> tuple[float, float]:
        return (x - self.left) / self.step, (self.top - y) / self.step


@dataclass(slots=True)
class _Inset:
    box: tuple[float, float, float, float]  # x, y, w, h in main units
    size: tuple[int, int]  # its own viewBox
    paths: dict[str, str]
    labels: dict[str, tuple[float, float]]
    extent: tuple[float, float, float, float]  # the inset's area drawn on the main map, in main units
    font: float


@dataclass(slots=True)
class _Layout:
    size: tuple[int, int]  # viewBox width, height (main units)
    origin: tuple[int, int]
    paths: dict[str, str]
    font: float
    legend_at: tuple[float, float]
    inset: _Inset | None = None
    names: dict[str, str] = field(default_factory=dict)
    grid: _Grid | None = None  # world metres → viewBox units, for labels


_layouts: OrderedDict[str, _Layout] = OrderedDict()
_layouts_lock = threading.Lock()


def _layout_key(features: Sequence[MapArea], inset: Collection[str], steps: int = MAIN_STEPS) -> str:
    h = hashlib.sha1(usedforsecurity=False)
    if steps != MAIN_STEPS:
        h.update(f"steps={steps}".encode())
    for f in features:
        h.update(f.code.encode())
        h.update(b"\0")
        h.update(f.geojson.encode())
        h.update(b"\1")
    h.update(",".join(sorted(inset)).encode())
    return h.hexdigest()


def _layout(features: Sequence[MapArea], inset: Collection[str], legend_rows: int, steps: int = MAIN_STEPS) -> _Layout:
    """The cached geometry of a map: same shapes and inset → same layout, whatever the values."""
    key = _layout_key(features, inset, steps)
    with _layouts_lock:
        hit = _layouts.get(key)
        if hit is not None:
            _layouts.move_to_end(key)
            return hit
    built = _build_layout(features, inset, legend_rows, steps)
    with _layouts_lock:
        _layouts[key] = built
        while len(_layouts) > LAYOUT_CACHE_SIZE:
            _layouts.popitem(last=False)
    return built


def clear_cache() -> None:
    with _layouts_lock:
        _layouts.clear()


Box = tuple[float, float, float, float]  # x, y, width, height in viewBox units


class _LandMask:
    """Land rasterised on a coarse grid with an integral image, so "how much land under this box?" is O(1).

    Placing the inset and the legend tries a few hundred boxes; exact polygon intersections took seconds.
    """

    def __init__(self, land: shapely.Geometry, frame: Box, margin: float, cell: float) -> None:
        fx, fy, fw, fh = frame
        self.x0, self.y0, self.cell = fx - margin, fy - margin, cell
        nx = math.ceil((fw + 2 * margin) / cell)
        ny = math.ceil((fh + 2 * margin) / cell)
        xs = self.x0 + (np.arange(nx) + 0.5) * cell
        ys = self.y0 + (np.arange(ny) + 0.5) * cell
        xx, yy = np.meshgrid(xs, ys)
        shapely.prepare(land)
        mask = shapely.contains_xy(land, xx, yy)
        # Grow the land by one cell each way: a box must not even touch a coast.
        grown = mask.copy()
        grown[1:, :] |= mask[:-1, :]
        grown[:-1, :] |= mask[1:, :]
        grown[:, 1:] |= mask[:, :-1]
        grown[:, :-1] |= mask[:, 1:]
        mask = grown
        self.sums = np.zeros((ny + 1, nx + 1), dtype=np.int64)
        self.sums[1:, 1:] = mask.astype(np.int64).cumsum(0).cumsum(1)

    def cells(self, box: Box) -> int:
        x, y, w, h = box
        ny, nx = self.sums.shape[0] - 1, self.sums.shape[1] - 1
        i0 = min(max(round((y - self.y0) / self.cell), 0), ny)
        i1 = min(max(round((y + h - self.y0) / self.cell), 0), ny)
        j0 = min(max(round((x - self.x0) / self.cell), 0), nx)
        j1 = min(max(round((x + w - self.x0) / self.cell), 0), nx)
        s = self.sums
        return int(s[i1, j1] - s[i0, j1] - s[i1, j0] + s[i0, j0])


def _place(land: _LandMask, frame: Box, size: tuple[float, float], avoid: list[Box], sides: Sequence[str]) -> Box:
    """Where a box of ``size`` covers least land (or other boxes), along the frame's sides.

    Boxes may stick out beyond the frame (the frame then grows and the map shrinks a little), at a cost
    far below that of hiding an area, however small.
    """
    fx, fy, fw, fh = frame
    w, h = size
    best: tuple[float, Box] | None = None
    for side in sides:
        for k in range(0, 11):  # how far the box sticks out beyond the frame, in tenths of its width
            out = w * k / 10
            x = fx + fw - w + out if side == "right" else fx - out
            for j in range(0, 41):
                box = (x, fy + (fh - h) * j / 40, w, h)
                covered = land.cells(box) * land.cell**2 + sum(_box_overlap(box, a) for a in avoid)
                cost = covered * 50 + out * h
                if best is None or cost < best[0]:
                    best = (cost, box)
    assert best is not None
    return best[1]


def _box_overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return max(w, 0.0) * max(h, 0.0)


LEGEND_CHARS = 24  # legend text wraps at this many characters; the legend box is sized for it


def _build_layout(
    features: Sequence[MapArea], inset: Collection[str], legend_rows: int, steps: int = MAIN_STEPS
) -> _Layout:
    projected = [(f.code, project(f.geojson)) for f in features]
    codes = [c for c, g in projected if g is not None]
    geoms = [g for _, g in projected if g is not None]
    names = {f.code: f.name for f in features}
    if not geoms:
        return _Layout(size=(400, 300), origin=(0, 0), paths={}, font=16, legend_at=(10, 10), names=names)
    minx, miny, maxx, maxy = shapely.total_bounds(np.array(geoms, dtype=object))
    step = max(maxx - minx, maxy - miny) / steps
    grid = _Grid(left=minx, top=maxy, step=step)
    simplified = _simplify(geoms, step)
    paths = {c: grid.path(g) for c, g in zip(codes, simplified, strict=True)}
    width, height = (maxx - minx) / step, (maxy - miny) / step
    font = max(width, height) / FONT_STEPS
    frame: Box = (0.0, 0.0, width, height)
    # Land in grid units, coarsely, to keep the inset and legend off every area.
    land = shapely.transform(
        shapely.coverage_union_all(np.array(_simplify(geoms, step * 4), dtype=object)),
        lambda c: np.column_stack(((c[:, 0] - minx) / step, (maxy - c[:, 1]) / step)),
    )
    mask = _LandMask(land, frame, margin=max(width, height) * 0.5, cell=font / 2)
    boxes: list[Box] = []

    inset_layout: _Inset | None = None
    if any(c in inset for c in codes) and not all(c in inset for c in codes):
        inset_layout = _build_inset(codes, geoms, set(inset), names, grid, frame, mask)
        boxes += [inset_layout.box, inset_layout.extent]

    legend: Box = (0.0, 0.0, 0.0, 0.0)
    if legend_rows:  # none: the page gives the legend
        legend_size = (font * LEGEND_CHARS * 0.6, font * 1.5 * legend_rows)
        legend = _place(mask, frame, legend_size, boxes, ("left", "right"))
        boxes.append(legend)
    pad = font / 2
    x0 = min([0.0] + [b[0] for b in boxes]) - pad
    y0 = min([0.0] + [b[1] for b in boxes]) - pad
    x1 = max([width] + [b[0] + b[2] for b in boxes]) + pad
    y1 = max([height] + [b[1] + b[3] for b in boxes]) + pad
    return _Layout(
        size=(math.ceil(x1 - x0), math.ceil(y1 - y0)),
        origin=(math.floor(x0), math.floor(y0)),
        paths=paths,
        font=font,
        legend_at=(legend[0], legend[1]),
        inset=inset_layout,
        names=names,
        grid=grid,
    )


def _build_inset(
    codes: list[str],
    geoms: list[shapely.Geometry],
    inset: set[str],
    names: dict[str, str],
    grid: _Grid,
    frame: Box,
    mask: _LandMask,
) -> _Inset:
    """A zoomed box on the ``inset`` areas with their neighbours for context, clipped to its extent."""
    focus = [g for c, g in zip(codes, geoms, strict=True) if c in inset]
    minx, miny, maxx, maxy = shapely.total_bounds(np.array(focus, dtype=object))
    margin = max(maxx - minx, maxy - miny) * 0.12
    minx, miny, maxx, maxy = minx - margin, miny - margin, maxx + margin, maxy + margin
    aspect = (maxx - minx) / (maxy - miny)
    longest = max(frame[2], frame[3])
    box_w = longest * 0.4
    box_h = box_w / aspect
    if box_h > longest * 0.3:
        box_h = longest * 0.3
        box_w = box_h * aspect
    step = max(maxx - minx, maxy - miny) / INSET_STEPS
    window = shapely.box(minx, miny, maxx, maxy)
    sub = [(c, g) for c, g in zip(codes, geoms, strict=True) if shapely.intersects(g, window)]
    simplified = _simplify([g for _, g in sub], step)
    igrid = _Grid(left=minx, top=maxy, step=step)
    size = (round((maxx - minx) / step), round((maxy - miny) / step))
    font = 0.9 * size[0] / box_w * longest / FONT_STEPS  # a little below the main map's font size
    paths: dict[str, str] = {}
    spots: dict[str, tuple[float, float]] = {}
    areas: dict[str, float] = {}
    for (code, _), g in zip(sub, simplified, strict=True):
        clipped = shapely.clip_by_rect(g, minx - step, miny - step, maxx + step, maxy + step)
        polys = [p for p in shapely.get_parts(clipped) if p.geom_type == "Polygon" and not p.is_empty]
        if not polys:
            continue
        paths[code] = igrid.path(shapely.MultiPolygon(polys))
        if code in inset:
            main = max(polys, key=lambda p: p.area)
            spot = polylabel(main, tolerance=step)
            spots[code] = igrid.point(spot.x, spot.y)
            areas[code] = main.area
    labels = _place_labels(spots, areas, names, font, size)
    ex0, ey0 = grid.point(minx, maxy)
    ex1, ey1 = grid.point(maxx, miny)
    extent: Box = (ex0, ey0, ex1 - ex0, ey1 - ey0)
    # Keep the inset off the land, and off its own extent, which it magnifies.
    box = _place(mask, frame, (box_w, box_h), [extent], ("right", "left"))
    return _Inset(box=box, size=size, paths=paths, labels=labels, extent=extent, font=font)


def _place_labels(
    spots: dict[str, tuple[float, float]],
    areas: dict[str, float],
    names: dict[str, str],
    font: float,
    size: tuple[int, int],
) -> dict[str, tuple[float, float]]:
    """Greedy label placement: largest areas first, each at its pole of inaccessibility or nudged off
    labels already placed (small authorities such as Castle Point sit between big ones)."""
    placed: list[Box] = []
    out: dict[str, tuple[float, float]] = {}
    for code in sorted(spots, key=lambda c: -areas[c]):
        x, y = spots[code]
        w = len(names.get(code, code)) * font * 0.62
        h = font * 1.1
        best: tuple[float, tuple[float, float]] | None = None
        for dy in (0.0, 1.0, -1.0, 2.0, -2.0, 3.0, -3.0):
            for dx in (0.0, 0.25, -0.25, 0.5, -0.5):
                cx = min(max(x + dx * w, w / 2 + 2), size[0] - w / 2 - 2)
                cy = min(max(y + dy * h, h / 2 + 2), size[1] - h / 2 - 2)
                box = (cx - w / 2, cy - h / 2, w, h)
                clash = sum(_box_overlap(box, b) for b in placed)
                cost = clash * 1000 + abs(dy) + abs(dx)
                if best is None or cost < best[0]:
                    best = (cost, (cx, cy))
        assert best is not None
        cx, cy = best[1]
        placed.append((cx - w / 2, cy - h / 2, w, h))
        out[code] = (cx, cy)
    return out


# --------------------------------------------------------------------------------------------------------------
# Classes


@dataclass(frozen=True, slots=True)
class Classes:
    """Quantile classes: ``breaks[i]``–``breaks[i+1]`` is class i; a value on a break goes to the upper class."""

    breaks: tuple[float, ...]
    colours: tuple[str, ...]

    def of(self, value: float | None) -> int | None:
        if value is None or not math.isfinite(value) or not self.colours:
            return None
        inner = self.breaks[1:-1]
        return min(int(np.searchsorted(np.array(inner), value, side="right")), len(self.colours) - 1)


def classes_of(breaks: Sequence[float]) -> Classes:
    """The palette over the build's class breaks (``map_classes``, stats/classes.py): ``len(breaks) - 1``
    classes, spread across the palette so light still means low and dark high; no breaks, no classes."""
    k = len(breaks) - 1
    if k < 1:
        return Classes(breaks=(), colours=())
    picks = [round(i * (len(PALETTE) - 1) / (k - 1)) for i in range(k)] if k > 1 else [len(PALETTE) // 2]
    return Classes(breaks=tuple(breaks), colours=tuple(PALETTE[i] for i in picks))


# --------------------------------------------------------------------------------------------------------------
# Rendering


def _title(area: MapArea, unit: nf.Unit) -> str:
    if area.value is None:
        return f"{area.name}: no data"
    period = f" ({area.period_label})" if area.period_label else ""
    return f"{area.name}: {nf.value(area.value, unit)}{period}"


def _hatch(pid: str, size: float) -> str:
    return (
        f'<pattern id="{pid}" patternUnits="userSpaceOnUse" width="{size:.1f}" height="{size:.1f}" '
        f'patternTransform="rotate(45)"><rect width="{size:.1f}" height="{size:.1f}" fill="{NO_DATA}"/>'
        f'<line x1="0" y1="0" x2="0" y2="{size:.1f}" stroke="#6f777b" stroke-width="{size / 3:.2f}"/></pattern>'
    )


def choropleth(
    features: Sequence[MapArea],
    *,
    breaks: Sequence[float],
    title: str,
    legend_title: str,
    unit: nf.Unit = nf.PLAIN,
    outline: Collection[str] = (),
    inset: Collection[str] = (),
    chart_id: str | None = None,
    outline_label: str = "South Essex",
    inset_label: str = "South Essex enlarged",
    width: int = 560,
) -> str:
    """A choropleth of ``features`` in the classes between ``breaks`` (the build's ``map_classes``, see
    :func:`classes_of`), ``outline`` areas drawn thick on top, with an inset; values written in ``unit``.

    One ``<path>`` with a ``<title>`` per area that has geometry (the inset's copies carry none, so each
    area is named once); "no data" is hatched and has its own legend entry.
    """
    layout = _layout(features, inset, legend_rows=len(PALETTE) + 4)  # 2 title lines, classes, no data, outline
    cid = chart_id or auto_id("map", title, _layout_key(features, inset))
    classes = classes_of(breaks)
    by_class: dict[int | None, list[MapArea]] = {}
    for f in features:
        if layout.paths.get(f.code):
            by_class.setdefault(classes.of(f.value), []).append(f)
    font = layout.font
    ox, oy = layout.origin
    vw, vh = layout.size
    height = round(width * vh / vw)
    nd = f"{cid}-nd"
    out: list[str] = [
        f'<svg xmlns="{SVG_NS}" id="{cid}" class="map" width="{width}" height="{height}" '
        f'viewBox="{ox} {oy} {vw} {vh}" role="img" aria-labelledby="{cid}-title" aria-describedby="{cid}-desc" '
        f'focusable="false" font-family="{FONT}" fill="{TEXT}">',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{escape(_describe(features, layout, classes, legend_title, unit, outline, outline_label))}</desc>',  # noqa: E501
        f"<defs>{_hatch(nd, font * 0.45)}</defs>",
        f'<g class="areas" stroke="#fff" stroke-width="{font / 30:.2f}" stroke-linejoin="round" fill-rule="evenodd">',
    ]
    for k in [*range(len(classes.colours)), None]:
        members = by_class.get(k)
        if not members:
            continue
        fill = f"url(#{nd})" if k is None else classes.colours[k]
        out.append(f'<g fill="{fill}" data-class="{"none" if k is None else k + 1}">')
        for f in members:
            tip = escape(_title(f, unit))
            out.append(f'<path d="{layout.paths[f.code]}"><title>{tip}</title></path>')
        out.append("</g>")
    out.append("</g>")
    outlined = [c for c in outline if layout.paths.get(c)]
    if outlined:
        out.append(_outline_group([layout.paths[c] for c in outlined], outlined, font / 6))
    if layout.inset is not None:
        out.append(_render_inset(layout, features, classes, outline, nd, inset_label))
    out.append(_legend(layout, classes, legend_title, unit, nd, bool(outlined), outline_label))
    out.append("</svg>")
    return "".join(out)


def _outline_group(paths: list[str], codes: list[str], stroke: float) -> str:
    """Outlines drawn twice, white under dark, so they read on the darkest and the lightest fill alike."""
    halo = "".join(f'<path d="{d}"/>' for d in paths)
    dark = "".join(f'<path d="{d}" data-code="{c}"/>' for d, c in zip(paths, codes, strict=True))
    return (
        f'<g class="outline" fill="none" stroke-linejoin="round" fill-rule="evenodd">'
        f'<g stroke="#fff" stroke-width="{stroke * 2.2:.2f}">{halo}</g>'
        f'<g stroke="{OUTLINE}" stroke-width="{stroke:.2f}">{dark}</g></g>'
    )


def _render_inset(
    layout: _Layout, features: Sequence[MapArea], classes: Classes, outline: Collection[str], nd: str, caption: str
) -> str:
    inset = layout.inset
    assert inset is not None
    x, y, w, h = inset.box
    sw, sh = inset.size
    font = inset.font
    values = {f.code: f for f in features}
    ex, ey, ew, eh = inset.extent
    out = [
        f'<rect class="inset-extent" x="{ex:.0f}" y="{ey:.0f}" width="{ew:.0f}" height="{eh:.0f}" fill="none" '
        f'stroke="{OUTLINE}" stroke-width="{layout.font / 10:.2f}"/>',
        f'<svg class="inset" x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{h:.0f}" viewBox="0 0 {sw} {sh}">',
        f"<title>Inset: {escape(', '.join(layout.names.get(c, c) for c in inset.labels))} and neighbours</title>",
        f'<rect width="{sw}" height="{sh}" fill="#fff"/>',
        f'<g stroke="#fff" stroke-width="{font / 12:.2f}" stroke-linejoin="round" fill-rule="evenodd">',
    ]
    for code, d in inset.paths.items():
        if not d:
            continue
        k = classes.of(values[code].value) if code in values else None
        fill = f"url(#{nd})" if k is None else classes.colours[k]
        out.append(f'<path d="{d}" fill="{fill}"/>')
    out.append("</g>")
    ring = [c for c in outline if inset.paths.get(c)]
    if ring:
        out.append(_outline_group([inset.paths[c] for c in ring], ring, font / 6))
    out.append(
        f'<g font-size="{font:.0f}" text-anchor="middle" stroke="#fff" stroke-width="{font / 4:.1f}" '
        f'paint-order="stroke" stroke-linejoin="round" font-weight="bold">'
    )
    for code, (lx, ly) in inset.labels.items():
        out.append(f'<text x="{lx:.0f}" y="{ly + font / 3:.0f}">{escape(layout.names.get(code, code))}</text>')
    out.append("</g>")
    if caption:
        out.append(
            f'<text x="{font / 2:.0f}" y="{font * 1.3:.0f}" font-size="{font:.0f}" stroke="#fff" '
            f'stroke-width="{font / 4:.1f}" paint-order="stroke">{escape(caption)}</text>'
        )
    out.append(f'<rect width="{sw}" height="{sh}" fill="none" stroke="{OUTLINE}" stroke-width="{font / 8:.1f}"/>')
    out.append("</svg>")
    return "".join(out)


def _legend(
    layout: _Layout,
    classes: Classes,
    legend_title: str,
    unit: nf.Unit,
    nd: str,
    outlined: bool,
    outline_label: str,
) -> str:
    font = layout.font
    x, y = layout.legend_at
    row = font * 1.5
    out = [f'<g class="legend" font-size="{font:.0f}">']
    lines = _wrap(legend_title, LEGEND_CHARS, 2)
    for i, line in enumerate(lines):
        out.append(f'<text x="{x:.0f}" y="{y + font + i * row:.0f}" font-weight="bold">{escape(line)}</text>')
    y += row * (len(lines) - 1)
    entries: list[tuple[str, str, str]] = []
    for k, colour in enumerate(classes.colours):
        lo = nf.value(classes.breaks[k], unit)
        hi = nf.value(classes.breaks[k + 1], unit)
        entries.append((str(k + 1), colour, lo if lo == hi else f"{lo} to {hi}"))
    entries.append(("none", f"url(#{nd})", "No data"))
    for i, (key, fill, label) in enumerate(entries):
        ry = y + row * (i + 1) + font * 0.4
        out.append(
            f'<rect data-class="{key}" x="{x:.0f}" y="{ry:.0f}" width="{font * 1.4:.0f}" height="{font:.0f}" '
            f'fill="{fill}" stroke="#6f777b" stroke-width="{font / 20:.2f}"/>'
            f'<text x="{x + font * 1.9:.0f}" y="{ry + font * 0.85:.0f}">{escape(label)}</text>'
        )
    if outlined:
        ry = y + row * (len(entries) + 1) + font * 0.4
        out.append(
            f'<rect x="{x:.0f}" y="{ry:.0f}" width="{font * 1.4:.0f}" height="{font:.0f}" fill="none" '
            f'stroke="{OUTLINE}" stroke-width="{font / 6:.1f}"/>'
            f'<text x="{x + font * 1.9:.0f}" y="{ry + font * 0.85:.0f}">{escape(outline_label)}</text>'
        )
    out.append("</g>")
    return "".join(out)


def _wrap(text: str, width: int, max_lines: int) -> list[str]:
    """Greedy word wrap; the last allowed line takes the rest, shortened with an ellipsis."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > max_lines:
        rest = " ".join(lines[max_lines - 1 :])
        lines = [*lines[: max_lines - 1], rest[: width - 1].rstrip() + "\u2026"]
    return lines or [""]


def _describe(
    features: Sequence[MapArea],
    layout: _Layout,
    classes: Classes,
    legend_title: str,
    unit: nf.Unit,
    outline: Collection[str],
    outline_label: str,
) -> str:
    drawn = [f for f in features if layout.paths.get(f.code)]
    missing = sum(1 for f in drawn if f.value is None)
    text = f"Map of {len(drawn)} areas coloured by {legend_title}"
    if classes.colours:
        lo = nf.value(classes.breaks[0], unit)
        hi = nf.value(classes.breaks[-1], unit)
        text += f" in {len(classes.colours)} classes with equal numbers of areas, from {lo} to {hi}; darker is higher"
    text += "."
    if missing:
        text += f" {missing} area{'s have' if missing != 1 else ' has'} no data (hatched)."
    by_code = {f.code: f for f in drawn}
    ring = [by_code[c] for c in outline if c in by_code]
    if ring:
        values = "; ".join(_title(f, unit) for f in ring)
        text += f" {outline_label} is outlined: {values}."
    if layout.inset is not None:
        text += " An inset enlarges it with its neighbours."
    return text


# --------------------------------------------------------------------------------------------------------------
# Area map


def _linked(path: str, code: str, name: str, links: dict[str, str] | None) -> str:
    """A shape, wrapped in a link to its page (with the area's name as the link's accessible name) if it has one."""
    href = (links or {}).get(code)
    if href is None:
        return path
    return f'<a href="{escape(href)}" aria-label="{escape(name, {chr(34): "&quot;"})}">{path}</a>'


def area_map(
    features: Sequence[MapArea],
    *,
    code: str | Collection[str],
    title: str,
    chart_id: str | None = None,
    width: int = 320,
    links: dict[str, str] | None = None,
    labels: bool = False,
) -> str:
    """Areas highlighted among their neighbours (e.g. a district among the others of its county).

    ``code`` is the highlighted area (or areas). With ``links`` (code → URL) every shape is a link named by
    its area, and the SVG is a group of links rather than one image; ``labels`` writes the highlighted
    areas' names on the map (text at least 12 px when the map is 343 px wide, a phone's column).
    """
    chosen = {code} if isinstance(code, str) else set(code)
    projected = [(f, project(f.geojson)) for f in features]
    drawn = [(f, g) for f, g in projected if g is not None]
    cid = chart_id or auto_id("areamap", ",".join(sorted(chosen)), _layout_key(features, ()))
    if not drawn:
        return (
            f'<svg xmlns="{SVG_NS}" id="{cid}" width="{width}" height="40" role="img" aria-labelledby="{cid}-title">'
            f'<title id="{cid}-title">{escape(title)} (no boundary available)</title></svg>'
        )
    minx, miny, maxx, maxy = shapely.total_bounds(np.array([g for _, g in drawn], dtype=object))
    step = max(maxx - minx, maxy - miny) / INSET_STEPS
    grid = _Grid(left=minx, top=maxy, step=step)
    simplified = _simplify([g for _, g in drawn], step)
    vw, vh = math.ceil((maxx - minx) / step), math.ceil((maxy - miny) / step)
    pad = 4
    height = round(width * (vh + 2 * pad) / (vw + 2 * pad))
    names = [f.name for f, _ in drawn if f.code in chosen]
    name = ", ".join(names) if len(names) <= 3 else f"{len(names)} areas"
    others = len(drawn) - len(names)
    role = 'role="group"' if links else 'role="img"'
    out = [
        f'<svg xmlns="{SVG_NS}" id="{cid}" class="area-map" width="{width}" height="{height}" '
        f'viewBox="{-pad} {-pad} {vw + 2 * pad} {vh + 2 * pad}" {role} aria-labelledby="{cid}-title" '
        f'aria-describedby="{cid}-desc"{"" if links else " focusable=" + chr(34) + "false" + chr(34)}>',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{escape(f"Map of {name} (dark) among {others} neighbouring areas (light).")}</desc>',
        f'<g stroke="#fff" stroke-width="{vw / 300:.1f}" stroke-linejoin="round" fill-rule="evenodd">',
    ]
    ordered = sorted(zip(drawn, simplified, strict=True), key=lambda item: item[0][0].code in chosen)
    for (f, _), g in ordered:
        fill = PALETTE[-1] if f.code in chosen else "#dee0e2"
        extra = f' stroke="{OUTLINE}" stroke-width="{vw / 150:.1f}"' if f.code in chosen else ""
        shape = f'<path d="{grid.path(g)}" fill="{fill}"{extra}><title>{escape(f.name)}</title></path>'
        out.append(_linked(shape, f.code, f.name, links))
    out.append("</g>")
    if labels:
        font = (vw + 2 * pad) * 13 / 343  # 13 px on a 343 px wide phone column
        out.append(f'<g font-family="{FONT}" font-size="{font:.0f}" text-anchor="middle" fill="{TEXT}" '
                   f'stroke="#fff" stroke-width="{font / 4:.1f}" paint-order="stroke" aria-hidden="true">')  # fmt: skip
        for (f, g), s in zip(drawn, simplified, strict=True):
            if f.code in chosen and len(chosen) <= 6:
                pt = s.representative_point() if not s.is_empty else g.representative_point()
                x, y = grid.point(pt.x, pt.y)
                out.append(f'<text x="{x:.0f}" y="{y:.0f}">{escape(f.name)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


# --------------------------------------------------------------------------------------------------------------
# Maps of classes given in the data (e.g. deprivation deciles)

# ColorBrewer RdYlBu, 10 classes (colour-blind safe): class 1 (e.g. the most deprived 10%) red, class 10 blue.
DECILE_PALETTE = (
    "#a50026", "#d73027", "#f46d43", "#fdae61", "#fee090", "#e0f3f8", "#abd9e9", "#74add1", "#4575b4", "#313695",
)  # fmt: skip
SMALL_AREA_STEPS = 500  # small areas: ≈ 80 m steps across South Essex keeps 471 shapes light


def class_map(
    features: Sequence[MapArea],
    *,
    titles: dict[str, str],
    labels: Sequence[str],
    title: str,
    legend_title: str,
    description: str,
    colours: Sequence[str] = DECILE_PALETTE,
    chart_id: str | None = None,
    width: int = 560,
    steps: int = SMALL_AREA_STEPS,
    links: dict[str, str] | None = None,
    svg_legend: bool = True,
    places: Sequence[tuple[str, float, float]] = (),
) -> str:
    """A map whose ``value`` is already a class (1 to ``len(colours)``), with a fixed legend: no quantiles.

    ``svg_legend=False`` leaves the legend to the page (HTML text stays legible when a phone shrinks the map).
    ``places``: (name, longitude, latitude) of towns to write on the map, largest first; a label that would
    overlap one already written is left out.

    One ``<path>`` with a ``<title>`` (from ``titles``) per area that has geometry; areas without a class
    are hatched as "no data". ``labels`` name the classes in the legend.
    """
    layout = _layout(features, (), legend_rows=len(colours) + 3 if svg_legend else 0, steps=steps)
    cid = chart_id or auto_id("classmap", title, _layout_key(features, (), steps))
    by_class: dict[int | None, list[MapArea]] = {}
    for f in features:
        if layout.paths.get(f.code):
            k = int(f.value) if f.value is not None and 1 <= f.value <= len(colours) else None
            by_class.setdefault(k, []).append(f)
    font = layout.font
    ox, oy = layout.origin
    vw, vh = layout.size
    height = round(width * vh / vw)
    nd = f"{cid}-nd"
    out: list[str] = [
        f'<svg xmlns="{SVG_NS}" id="{cid}" class="map class-map" width="{width}" height="{height}" '
        f'viewBox="{ox} {oy} {vw} {vh}" role="{"group" if links else "img"}" aria-labelledby="{cid}-title" '
        f'aria-describedby="{cid}-desc"{"" if links else " focusable=" + chr(34) + "false" + chr(34)} '
        f'font-family="{FONT}" fill="{TEXT}">',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{escape(description)}</desc>',
        f"<defs>{_hatch(nd, font * 0.45)}</defs>",
        f'<g class="areas" stroke="#fff" stroke-width="{font / 40:.2f}" stroke-linejoin="round" fill-rule="evenodd">',
    ]
    for k in [*range(1, len(colours) + 1), None]:
        members = by_class.get(k)
        if not members:
            continue
        fill = f"url(#{nd})" if k is None else colours[k - 1]
        out.append(f'<g fill="{fill}" data-class="{"none" if k is None else k}">')
        for f in members:
            tip = escape(titles.get(f.code, f"{f.name}: no data"))
            shape = f'<path d="{layout.paths[f.code]}" data-code="{escape(f.code)}"><title>{tip}</title></path>'
            out.append(_linked(shape, f.code, titles.get(f.code, f.name), links))
        out.append("</g>")
    out.append("</g>")
    entries = [(str(k + 1), c, label) for k, (c, label) in enumerate(zip(colours, labels, strict=True))]
    if None in by_class:
        entries.append(("none", f"url(#{nd})", "No data"))
    if svg_legend:
        out.append(_legend_box(layout, legend_title, entries))
    if places and layout.grid is not None:
        out.append(_place_names(layout.grid, places, font * 1.5, (ox, oy, vw, vh)))
    out.append("</svg>")
    return "".join(out)


def _place_names(
    grid: _Grid, places: Sequence[tuple[str, float, float]], font: float, frame: tuple[float, float, float, float]
) -> str:
    """Town names on a map, with a white halo, skipping any that would overlap another or leave the frame."""
    out = [f'<g class="place-names" font-size="{font:.0f}" font-weight="bold" text-anchor="middle" '
           f'stroke="#fff" stroke-width="{font / 4:.1f}" paint-order="stroke" aria-hidden="true">']  # fmt: skip
    taken: list[tuple[float, float, float, float]] = []
    ox, oy, vw, vh = frame
    for name, lon, lat in places:
        x, y = grid.point(*TO_BNG.transform(lon, lat))
        w, h = len(name) * font * 0.55, font * 1.1
        box = (x - w / 2, y - h, w, h)
        if (
            box[0] < ox
            or box[0] + w > ox + vw
            or box[1] < oy
            or box[1] + h > oy + vh
            or any(_box_overlap(box, t) > 0 for t in taken)
        ):
            continue
        taken.append(box)
        out.append(f'<text x="{x:.0f}" y="{y:.0f}">{escape(name)}</text>')
    out.append("</g>")
    return "".join(out)


def _legend_box(layout: _Layout, legend_title: str, entries: Sequence[tuple[str, str, str]]) -> str:
    """A legend of (class key, fill, label) swatches under a title of up to two lines."""
    font = layout.font
    x, y = layout.legend_at
    row = font * 1.5
    out = [f'<g class="legend" font-size="{font:.0f}">']
    lines = _wrap(legend_title, LEGEND_CHARS, 2)
    for i, line in enumerate(lines):
        out.append(f'<text x="{x:.0f}" y="{y + font + i * row:.0f}" font-weight="bold">{escape(line)}</text>')
    y += row * (len(lines) - 1)
    for i, (key, fill, label) in enumerate(entries):
        ry = y + row * (i + 1) + font * 0.4
        out.append(
            f'<rect data-class="{key}" x="{x:.0f}" y="{ry:.0f}" width="{font * 1.4:.0f}" height="{font:.0f}" '
            f'fill="{fill}" stroke="#6f777b" stroke-width="{font / 20:.2f}"/>'
            f'<text x="{x + font * 1.9:.0f}" y="{ry + font * 0.85:.0f}">{escape(label)}</text>'
        )
    out.append("</g>")
    return "".join(out)
