"""Reader for the ONS boundaries TopoJSON (ONSvisual/uk-topojson): areas, their geometry and parents.

The `topojson` package only encodes, so the Topology is decoded here: quantised, delta-encoded arcs
are turned back into lon/lat with the `transform`, reversed arcs (``~i``) are flipped, and rings are
stitched into Polygon/MultiPolygon geometry. One Area is made per GSS code (a code can sit in several
layers: a unitary is both ``ltla`` and ``utla``), and parents are derived from the shapes themselves
(a point inside the child lies inside its parent), so the hierarchy matches the map that is drawn.
Anything unreadable becomes a Finding; no exception escapes.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from observatory.model import Area, AreaRelation, Finding, ReaderResult, Severity

# Most specific first: the first layer a code appears in gives its Area.type and its geometry.
# ``ctry`` comes before ``rgn`` because the rgn layer repeats Wales, Scotland and Northern Ireland as
# region equivalents; they are countries, not regions.
LAYER_PRIORITY: tuple[str, ...] = ("ltla", "utla", "cty", "mcty", "cauth", "ctry", "rgn", "uk")

# The GSS entity (first three characters) each layer may hold. A code outside its layer's entities is a
# publisher slip (the file files two Scottish council areas, S12000049/S12000050, as combined
# authorities); it is reported and left out rather than given a wrong type.
LAYER_ENTITIES: dict[str, frozenset[str]] = {
    "ltla": frozenset({"E06", "E07", "E08", "E09", "W06", "S12", "N09"}),
    "utla": frozenset({"E06", "E08", "E09", "E10", "W06", "S12", "N09"}),
    "cty": frozenset({"E10"}),
    "mcty": frozenset({"E11"}),
    "cauth": frozenset({"E47"}),
    "rgn": frozenset({"E12", "W92", "S92", "N92"}),
    "ctry": frozenset({"E92", "W92", "S92", "N92"}),
    "uk": frozenset({"K02"}),
}

Coords = NDArray[np.float64]
Ring = Coords  # closed, on the output grid (rounded to _DECIMALS)
PolygonRings = list[Ring]  # exterior first, then holes

_DECIMALS = 5  # ~1 m at UK latitudes; finer than the 2016 super-generalised source


@dataclass
class _Record:
    """Everything the file says about one code, gathered across layers."""

    code: str
    name: str = ""
    layers: list[str] = field(default_factory=list)
    starts: list[int | None] = field(default_factory=list)
    ends: list[int | None] = field(default_factory=list)
    shapes: dict[str, list[PolygonRings]] = field(default_factory=dict)  # layer -> polygons

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(layer for layer in LAYER_PRIORITY if layer in self.layers)

    @property
    def valid_from(self) -> int | None:
        return None if any(s is None for s in self.starts) else min(s for s in self.starts if s is not None)

    @property
    def valid_to(self) -> int | None:
        return None if any(e is None for e in self.ends) else max(e for e in self.ends if e is not None)


class _Bad(ValueError):
    """One geometry cannot be decoded; the message says why."""


def read_boundaries(path: Path, display_path: str) -> ReaderResult:
    """Read the boundaries TopoJSON into areas, parent relations and GeoJSON geometry per code."""
    result = ReaderResult()

    def fail(rule: str, message: str) -> ReaderResult:
        result.findings.append(Finding(f"boundaries.{rule}", Severity.ERROR, display_path, message))
        return result

    try:
        raw = path.read_bytes()
    except OSError as exc:
        return fail("unreadable", f"cannot read the file: {exc.strerror or exc}")
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        return fail("invalid-json", f"not UTF-8 text: {exc.reason}")
    except json.JSONDecodeError as exc:
        return fail("invalid-json", f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")
    if not isinstance(doc, dict) or doc.get("type") != "Topology":
        return fail("not-topology", 'expected a TopoJSON object with "type": "Topology"')
    objects, arcs_in = doc.get("objects"), doc.get("arcs")
    if not isinstance(objects, dict) or not isinstance(arcs_in, list):
        return fail("not-topology", 'a Topology needs an "objects" object and an "arcs" array')
    try:
        arcs = _decode_arcs(arcs_in, doc.get("transform"))
    except _Bad as exc:
        return fail("bad-arcs", str(exc))

    records: dict[str, _Record] = {}
    for layer, obj in objects.items():
        if layer not in LAYER_PRIORITY:
            result.findings.append(
                Finding("boundaries.unknown-layer", Severity.INFO, display_path, f"layer {layer!r} ignored")
            )
            continue
        geoms = obj.get("geometries") if isinstance(obj, dict) else None
        if not isinstance(geoms, list):
            result.findings.append(
                Finding(
                    "boundaries.bad-layer",
                    Severity.ERROR,
                    display_path,
                    f"layer {layer!r} is not a GeometryCollection with a geometries array",
                )
            )
            continue
        for index, geom in enumerate(geoms):
            result.rows_read += 1
            finding = _read_geometry(layer, index, geom, arcs, records, display_path)
            if finding is not None:
                result.findings.append(finding)
                result.rows_skipped += 1

    if not records:
        return fail("empty", "no usable area geometry in any layer")
    geoms_by_code: dict[str, shapely.Geometry] = {}
    repaired: list[str] = []
    for code in sorted(records):
        rec = records[code]
        primary = rec.types[0]
        result.areas.append(
            Area(
                code=code,
                name=rec.name,
                type=primary,
                types=rec.types,
                valid_from=rec.valid_from,
                valid_to=rec.valid_to,
                source="boundaries",
            )
        )
        geom, was_repaired = _shapely(rec.shapes[primary])
        if was_repaired:
            repaired.append(code)
        geoms_by_code[code] = geom
        result.geometries[code] = _geojson(geom)
    if repaired:
        result.findings.append(
            Finding(
                "boundaries.repaired-geometry",
                Severity.INFO,
                display_path,
                f"{len(repaired)} geometries self-intersect after generalisation and were repaired with a "
                f"zero-width buffer (area unchanged): {', '.join(repaired)}",
            )
        )

    result.relations.extend(_spatial_parents(records, geoms_by_code, result.findings, display_path))
    return result


def _decode_arcs(arcs: list[Any], transform: Any) -> list[Coords]:
    """Arcs to absolute lon/lat; quantised arcs are delta-encoded and scaled by the transform."""
    scale = translate = None
    if transform is not None:
        try:
            scale = np.asarray(transform["scale"], dtype=np.float64).reshape(2)
            translate = np.asarray(transform["translate"], dtype=np.float64).reshape(2)
        except (KeyError, TypeError, ValueError) as exc:
            raise _Bad(f"transform needs two-number scale and translate ({exc})") from exc
    out: list[Coords] = []
    for i, arc in enumerate(arcs):
        try:
            points = np.asarray(arc, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise _Bad(f"arc {i} is not a list of positions") from exc
        if points.ndim != 2 or points.shape[0] < 2 or points.shape[1] < 2:
            raise _Bad(f"arc {i} is not a list of at least two positions")
        points = points[:, :2]
        if scale is not None and translate is not None:
            points = np.cumsum(points, axis=0) * scale + translate
        out.append(points)
    return out


def _read_geometry(
    layer: str,
    index: int,
    geom: Any,
    arcs: list[Coords],
    records: dict[str, _Record],
    display_path: str,
) -> Finding | None:
    """Add one layer geometry to its code's record; a Finding (geometry skipped) when it is unusable."""
    where = f"layer {layer!r}, geometry {index + 1}"

    def warn(rule: str, message: str, value: str | None = None) -> Finding:
        return Finding(
            f"boundaries.{rule}", Severity.WARNING, display_path, f"{where}: {message}; skipped", value=value
        )

    if not isinstance(geom, dict):
        return warn("bad-geometry", "not a JSON object")
    props = geom.get("properties")
    code = props.get("areacd") if isinstance(props, dict) else None
    if not isinstance(code, str) or not code.strip():
        return warn("missing-code", "no properties.areacd (GSS code)")
    assert isinstance(props, dict)
    code = code.strip()
    if code[:3] not in LAYER_ENTITIES[layer]:
        return warn("layer-mismatch", f"code {code} is not a kind of area the {layer!r} layer holds", value=code)
    name = props.get("areanm")
    if not isinstance(name, str) or not name.strip():
        return warn("missing-name", f"{code} has no properties.areanm", value=code)
    years: list[int | None] = []
    for key in ("start", "end"):
        year = props.get(key)
        if year is not None and (not isinstance(year, int) or isinstance(year, bool) or year < 1900):
            return warn("bad-year", f"{code} has {key}={year!r}, not a year", value=code)
        years.append(year)
    try:
        polygons = _polygons(geom, arcs)
    except _Bad as exc:
        return warn("bad-geometry", f"{code}: {exc}", value=code)
    rec = records.setdefault(code, _Record(code))
    if layer in rec.layers:
        return warn("duplicate-code", f"{code} appears twice in this layer", value=code)
    rec.name = rec.name or name.strip()
    rec.layers.append(layer)
    rec.starts.append(years[0])
    rec.ends.append(years[1])
    rec.shapes[layer] = polygons
    # Keep the name of the most specific layer (they agree in the ONS file, but be deterministic).
    if rec.types[0] == layer:
        rec.name = name.strip()
    return None


def _polygons(geom: dict[str, Any], arcs: list[Coords]) -> list[PolygonRings]:
    """Rings of each polygon (a Polygon is one polygon, a MultiPolygon a list of them)."""
    kind, refs = geom.get("type"), geom.get("arcs")
    if kind not in ("Polygon", "MultiPolygon"):
        raise _Bad(f"geometry type {kind!r} is not Polygon or MultiPolygon")
    polygons: list[Any] = [refs] if kind == "Polygon" else _nonempty_list(refs)
    return [[_ring(ring, arcs) for ring in _nonempty_list(poly)] for poly in polygons]


def _nonempty_list(value: Any) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise _Bad("an empty or missing list of arcs or rings")
    return value


def _ring(refs: Any, arcs: list[Coords]) -> Ring:
    """Stitch arcs into a closed ring; each arc after the first repeats its predecessor's last point."""
    parts: list[Coords] = []
    for n, ref in enumerate(_nonempty_list(refs)):
        if not isinstance(ref, int) or isinstance(ref, bool) or not -len(arcs) <= ref < len(arcs):
            raise _Bad(f"arc reference {ref!r} is out of range")
        arc = arcs[ref] if ref >= 0 else arcs[~ref][::-1]
        parts.append(arc if n == 0 else arc[1:])
    ring = _rounded(np.concatenate(parts))
    if len(ring) < 4 or not np.array_equal(ring[0], ring[-1]):
        raise _Bad("a ring that is not closed or has fewer than four distinct positions")
    return ring


def _shapely(polygons: list[PolygonRings]) -> tuple[shapely.Geometry, bool]:
    """Shapes on the output grid, and whether they had to be repaired to be valid.

    The super-generalised source has slivers and self-touching rings (about 25 areas, including
    England and the UK); a zero-width buffer repairs them without changing the area, fast enough for
    the whole file (``make_valid`` takes seconds on the UK outline).
    """
    parts = [shapely.Polygon(rings[0], rings[1:]) for rings in polygons]
    geom: shapely.Geometry = parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)
    if shapely.is_valid(geom):
        return geom, False
    try:
        fixed = shapely.buffer(geom, 0)
    except shapely.errors.GEOSException:
        return geom, False
    return (geom, False) if shapely.is_empty(fixed) else (fixed, True)


def _rounded(ring: Ring) -> Ring:
    """Coordinates on the output grid, consecutive repeats dropped."""
    r: Ring = np.round(ring, _DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0
    keep = np.ones(len(r), dtype=bool)
    keep[1:] = np.any(r[1:] != r[:-1], axis=1)
    return r[keep]


def _geojson(geom: shapely.Geometry) -> str:
    """Compact GeoJSON geometry text with rounded coordinates.

    Winding is kept as the source has it (exterior rings clockwise, the d3/Vega convention; RFC 7946
    readers must accept either).
    """
    polygons = [
        [_coords(part.exterior), *(_coords(hole) for hole in part.interiors)]
        for part in shapely.get_parts(geom)
        if isinstance(part, shapely.Polygon)
    ]
    if len(polygons) == 1:
        out: dict[str, Any] = {"type": "Polygon", "coordinates": polygons[0]}
    else:
        out = {"type": "MultiPolygon", "coordinates": polygons}
    return json.dumps(out, separators=(",", ":"))


def _coords(ring: shapely.LinearRing) -> list[list[float]]:
    values: list[list[float]] = (np.round(shapely.get_coordinates(ring), _DECIMALS) + 0.0).tolist()
    return values


# Which layers to search for each kind of child, and the relation each parent layer gives.
_PARENT_LAYERS: dict[str, tuple[str, ...]] = {
    "ltla": ("utla", "mcty", "cauth", "rgn", "ctry", "uk"),
    "utla": ("rgn", "ctry", "uk"),
    "cty": ("rgn", "ctry", "uk"),
    "mcty": ("rgn", "ctry", "uk"),
    "cauth": ("rgn", "ctry", "uk"),
    "rgn": ("ctry", "uk"),
    "ctry": ("uk",),
    "uk": (),
}


def _overlaps(a: _Record, b: _Record) -> bool:
    """Whether two areas existed in a common year (None: open-ended)."""
    lo = max(a.valid_from or 0, b.valid_from or 0)
    hi = min(a.valid_to or 9999, b.valid_to or 9999)
    return lo <= hi


def _spatial_parents(
    records: dict[str, _Record],
    geoms: dict[str, shapely.Geometry],
    findings: list[Finding],
    display_path: str,
) -> list[AreaRelation]:
    """Parents of every area from a point inside it, among parents that existed at the same time.

    Every level above is related directly (a district to its county, region, country and the UK), so
    that "all districts in the East of England" needs no recursion. A district's upper tier is found in
    the utla layer: a county gives relation "cty", any other upper tier "utla"; a unitary is its own
    upper tier and gets no self relation. Regions are English only (the rgn layer's nations are skipped).
    """
    codes = sorted(records)
    points = {code: shapely.point_on_surface(geoms[code]) for code in codes}
    trees: dict[str, tuple[list[str], shapely.STRtree]] = {}
    for layer in LAYER_PRIORITY:
        members = [c for c in codes if layer in records[c].layers]
        if layer == "rgn":
            members = [c for c in members if "ctry" not in records[c].layers]
        trees[layer] = (members, shapely.STRtree([geoms[c] for c in members]))

    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    for child in codes:
        rec = records[child]
        for layer in _PARENT_LAYERS[rec.types[0]]:
            members, tree = trees[layer]
            hits = tree.query(points[child], predicate="within")
            for hit in sorted(int(h) for h in hits):
                parent = members[hit]
                if parent == child or not _overlaps(rec, records[parent]):
                    continue
                relation = layer
                if layer == "utla" and "cty" in records[parent].layers:
                    relation = "cty"
                found[(child, relation)].append(parent)

    relations: list[AreaRelation] = []
    order = {kind: i for i, kind in enumerate(("utla", "cty", "mcty", "cauth", "rgn", "ctry", "uk"))}
    for (child, relation), parents in sorted(found.items(), key=lambda kv: (kv[0][0], order[kv[0][1]])):
        # Two parents of one kind at the same time (e.g. two counties) means the shapes disagree.
        for i, p in enumerate(parents):
            for q in parents[i + 1 :]:
                if _overlaps(records[p], records[q]):
                    findings.append(
                        Finding(
                            "boundaries.ambiguous-parent",
                            Severity.WARNING,
                            display_path,
                            f"{child} lies in both {p} and {q} ({relation}) in overlapping years",
                            value=child,
                        )
                    )
        relations.extend(AreaRelation(child, parent, relation) for parent in parents)
    for child in codes:
        if records[child].types[0] not in ("ctry", "uk") and (child, "ctry") not in found:
            findings.append(
                Finding(
                    "boundaries.no-parent",
                    Severity.WARNING,
                    display_path,
                    f"{child} lies in no country of the ctry layer",
                    value=child,
                )
            )
    return relations
