"""Reader for small-area boundaries: LSOA 2011 GeoJSON, one FeatureCollection per local authority.

The source (martinjc/UK-GeoJSON, see ../shared/data/essex-small-area-boundaries/PROVENANCE.md) holds, for
Greater Essex, ``lsoa11/<LAD code>.json`` (GeoJSON, WGS84) plus copies the observatory does not use:

- ``lsoa11/topo_<LAD>.json``: TopoJSON of the same LSOAs for six authorities — the GeoJSON already has them;
- ``msoa11/``: middle-layer areas, for which no statistics are loaded;
- ``wards2013/``: December 2013 wards, out of date (every South Essex council has had ward reviews since)
  and not joinable to the 2019 ward codes of the ONS lookups, so showing them would mislead.

LSOAs are 2011 Census geography, the geography of IoD2019: they join to the deprivation data by code. The
authority is known only from the file name, so the LSOA → LAD relation comes from it. Coordinates are
rounded to 5 decimals (about 1 m), finer than the generalised source, which keeps pages light.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import shapely

from observatory.model import Area, AreaRelation, Finding, ReaderResult, Severity

LSOA_FOLDER = "lsoa11"
DECIMALS = 5
LSOA_CODE = re.compile(r"^[EW]01\d{6}$")
LAD_FILE = re.compile(r"^[EW]0[6-9]\d{6}\.json$")

Position = list[float]
Ring = list[Position]


class _Bad(ValueError):
    """One feature's geometry cannot be used; the message says why."""


def _ring(raw: Any) -> Ring:
    """A closed ring on the 5-decimal grid, without repeated consecutive points; fewer than 4 points → _Bad."""
    if not isinstance(raw, list):
        raise _Bad("a ring is not a list of positions")
    out: Ring = []
    for pos in raw:
        if not (isinstance(pos, list) and len(pos) >= 2):
            raise _Bad(f"position {str(pos)[:40]} is not [longitude, latitude]")
        x, y = pos[0], pos[1]
        if (
            not (isinstance(x, int | float) and isinstance(y, int | float))
            or isinstance(x, bool)
            or isinstance(y, bool)
        ):
            raise _Bad(f"position {str(pos)[:40]} is not numeric")
        if not (math.isfinite(x) and math.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90):
            raise _Bad(f"position {str(pos)[:40]} is not a longitude/latitude")
        point = [round(x, DECIMALS) + 0.0, round(y, DECIMALS) + 0.0]  # + 0.0: no "-0.0" in the output
        if not out or point != out[-1]:
            out.append(point)
    if out and out[0] != out[-1]:
        out.append(out[0])
    if len(out) < 4:
        raise _Bad("a ring has fewer than 4 distinct positions")
    return out


def _polygon(raw: Any) -> list[Ring]:
    """Exterior ring then holes; a hole that collapses on the grid is dropped, a collapsed exterior is _Bad."""
    if not isinstance(raw, list) or not raw:
        raise _Bad("a polygon is not a non-empty list of rings")
    rings = [_ring(raw[0])]
    for hole in raw[1:]:
        try:
            rings.append(_ring(hole))
        except _Bad:
            continue  # a hole smaller than the grid is not worth drawing
    return rings


def compact_geometry(geometry: Any) -> str:
    """GeoJSON Polygon/MultiPolygon → compact text on a 5-decimal grid; anything else raises ValueError."""
    if not isinstance(geometry, dict):
        raise _Bad("the feature has no geometry object")
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if kind == "Polygon":
        out: dict[str, Any] = {"type": "Polygon", "coordinates": _polygon(coords)}
    elif kind == "MultiPolygon":
        if not isinstance(coords, list) or not coords:
            raise _Bad("a MultiPolygon without polygons")
        out = {"type": "MultiPolygon", "coordinates": [_polygon(p) for p in coords]}
    else:
        raise _Bad(f"geometry type {kind!r} is not Polygon or MultiPolygon")
    return json.dumps(out, separators=(",", ":"))


def feature_list(path: Path, display: str, rule_prefix: str) -> tuple[list[Any] | None, Finding | None]:
    """The ``features`` of a GeoJSON FeatureCollection file, or None and an error finding naming the file."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        return None, Finding(f"{rule_prefix}.encoding", Severity.ERROR, display,
                             f"not UTF-8 text: {exc.reason} at byte {exc.start}")  # fmt: skip
    except json.JSONDecodeError as exc:
        return None, Finding(f"{rule_prefix}.invalid-json", Severity.ERROR, display, f"invalid JSON: {exc.msg}",
                             row=exc.lineno, column=f"char {exc.colno}")  # fmt: skip
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(features, list):
        return None, Finding(f"{rule_prefix}.not-a-feature-collection", Severity.ERROR, display,
                             "expected a GeoJSON FeatureCollection with a 'features' list")  # fmt: skip
    return features, None


def read_small_area_boundaries(folder: Path, display_prefix: str) -> ReaderResult:
    """Read ``lsoa11/<LAD>.json`` into LSOA areas (valid from 2011), LSOA → LAD relations and geometry."""
    result = ReaderResult()
    prefix = display_prefix.rstrip("/")

    def find(rule: str, file: str, message: str, column: str | None = None, value: str | None = None) -> None:
        result.findings.append(
            Finding(f"small-areas.{rule}", Severity.ERROR, file, message, column=column, value=value)
        )

    lsoa_dir = folder / LSOA_FOLDER
    if not lsoa_dir.is_dir():
        find("missing-folder", f"{prefix}/{LSOA_FOLDER}", f"{lsoa_dir} does not exist: no LSOA boundaries")
        return result
    seen: dict[str, str] = {}  # LSOA code -> the file that gave it
    for path in sorted(lsoa_dir.glob("*.json")):
        display = f"{prefix}/{LSOA_FOLDER}/{path.name}"
        if path.name.startswith("topo_") or path.name.endswith(".provenance.json"):
            continue  # TopoJSON copies of the GeoJSON; fetch's provenance sidecars
        if not LAD_FILE.match(path.name):
            result.findings.append(
                Finding(
                    "small-areas.unknown-file",
                    Severity.WARNING,
                    display,
                    "the file name is not a local authority code (<LAD>.json), so its LSOAs have no authority; "
                    "not read",
                )
            )
            continue
        lad = path.stem
        features, problem = feature_list(path, display, "small-areas")
        if features is None:
            assert problem is not None
            result.findings.append(problem)
            continue
        for i, feature in enumerate(features):
            result.rows_read += 1
            where = f"features[{i}]"
            props = feature.get("properties") if isinstance(feature, dict) else None
            code = str(props.get("LSOA11CD", "")).strip() if isinstance(props, dict) else ""
            if not LSOA_CODE.match(code):
                find("invalid-code", display, f"{code!r} is not an LSOA code", f"{where}.properties.LSOA11CD", code)
                result.rows_skipped += 1
                continue
            if code in seen:
                find("duplicate-lsoa", display, f"{code} is also in {seen[code]}", f"{where}.properties.LSOA11CD", code)
                result.rows_skipped += 1
                continue
            try:
                geometry = compact_geometry(feature.get("geometry"))
            except _Bad as exc:
                find("invalid-geometry", display, f"{code}: {exc}", f"{where}.geometry", code)
                result.rows_skipped += 1
                continue
            assert isinstance(props, dict)
            seen[code] = display
            name = str(props.get("LSOA11NM") or "").strip() or code
            result.areas.append(Area(code, name, "lsoa", ("lsoa",), valid_from=2011, source=display_prefix))
            result.relations.append(AreaRelation(code, lad, "ltla"))
            result.geometries[code] = geometry
            if not shapely.from_geojson(geometry).is_valid:
                result.findings.append(
                    Finding(
                        "small-areas.invalid-shape",
                        Severity.WARNING,
                        display,
                        f"{code}: the boundary crosses itself (as published); kept for maps, not for measuring",
                        column=f"{where}.geometry",
                        value=code,
                    )
                )
    if not seen and not result.findings:
        find("no-areas", f"{prefix}/{LSOA_FOLDER}", "no LSOA GeoJSON file (<LAD>.json) in the folder")
    return result
