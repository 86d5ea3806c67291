"""Reader for the 2021 small-area geography of South Essex: LSOA 2021, MSOA 2021 and wards (May 2025).

Source: ``south-essex-boundaries-2021/`` (ONS generalised clipped boundaries, cut per authority by
drkane/geo-lookups; see its PROVENANCE.md): ``lsoa21/<LAD>.geojson``, ``msoa21/<LAD>.geojson`` and
``wards2025/<LAD>.geojson``, GeoJSON in CRS84 (longitude, latitude). The authority of each feature is the
file's name (the LSOA/MSOA files carry no ONS LAD field; the added ``LADCD_ACTIVE`` column is not ONS's),
and for wards also ``LAD25CD``, which must agree.

Also the ONS *LSOA (2011) to LSOA (2021) to LAD (2022) best-fit lookup* (``ons-geography-lookups-2021/``),
which carries IoD2019 (published on 2011 LSOAs) to 2021 LSOAs. It is one-directional: every 2011 LSOA
once; seven of South Essex's 478 2021 LSOAs are never a target (split successors).

Every feature and lookup row is either returned or named in a finding (file, feature index or row, column).
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from observatory.model import Finding, Severity
from observatory.sources.small_areas import _Bad, compact_geometry, feature_list

LAYERS = {  # folder -> (layer, code property, name property, code pattern)
    "lsoa21": ("lsoa21", "LSOA21CD", "LSOA21NM", re.compile(r"^E01\d{6}$")),
    "msoa21": ("msoa21", "MSOA21CD", "MSOA21NM", re.compile(r"^E02\d{6}$")),
    "wards2025": ("ward", "WD25CD", "WD25NM", re.compile(r"^E05\d{6}$")),
}
LAD_FILE = re.compile(r"^(E0[6-9]\d{6})\.geojson$")
BEST_FIT_FILE = "lsoa11_to_lsoa21_best_fit_lookup_england_wales_v2.csv"
BEST_FIT_COLUMNS = ("LSOA11CD", "LSOA21CD", "LSOA21NM", "LAD22CD")
LSOA = re.compile(r"^[EW]01\d{6}$")
LAD = re.compile(r"^[EWSN]\d{8}$")


@dataclass(frozen=True, slots=True)
class Boundary:
    """One 2021-geography area: ``layer`` is lsoa21, msoa21 or ward; ``geojson`` is compact WGS84 GeoJSON."""

    code: str
    name: str
    layer: str
    authority: str
    geojson: str  # on the 5-decimal grid (≈1 m), for maps
    source_file: str
    exact: str = ""  # the publisher's geometry, full precision, for point-in-polygon


@dataclass(slots=True)
class Geography2021:
    boundaries: list[Boundary] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    rows_read: int = 0
    rows_skipped: int = 0

    def layer(self, name: str) -> list[Boundary]:
        return [b for b in self.boundaries if b.layer == name]


def _compact(geometry: Any) -> str:
    """The map geometry: a MultiPolygon's parts that vanish on the 1 m grid (slivers) are dropped."""
    try:
        return compact_geometry(geometry)
    except _Bad:
        if not (isinstance(geometry, dict) and geometry.get("type") == "MultiPolygon"):
            raise
    parts = []
    for coords in geometry.get("coordinates") or []:
        try:
            parts.append(json.loads(compact_geometry({"type": "Polygon", "coordinates": coords}))["coordinates"])
        except _Bad:
            continue
    if not parts:
        raise _Bad("every part of the MultiPolygon is smaller than the 1 m grid")
    return json.dumps({"type": "MultiPolygon", "coordinates": parts}, separators=(",", ":"))


def read_geography_2021(folder: Path, display_prefix: str) -> Geography2021:
    """Read the three layers; a missing layer folder is an error, a bad feature is an error naming it."""
    out = Geography2021()
    prefix = display_prefix.rstrip("/")

    def error(rule: str, file: str, message: str, column: str | None = None, value: str | None = None) -> None:
        out.findings.append(
            Finding(f"geography-2021.{rule}", Severity.ERROR, file, message, column=column, value=value)
        )

    for sub, (layer, code_key, name_key, pattern) in LAYERS.items():
        sub_dir = folder / sub
        if not sub_dir.is_dir():
            error("missing-folder", f"{prefix}/{sub}", f"{sub_dir} does not exist: no {layer} boundaries")
            continue
        seen: dict[str, str] = {}
        for path in sorted(sub_dir.glob("*.geojson")):
            display = f"{prefix}/{sub}/{path.name}"
            m = LAD_FILE.match(path.name)
            if m is None:
                out.findings.append(
                    Finding(
                        "geography-2021.unknown-file",
                        Severity.WARNING,
                        display,
                        "the file name is not a local authority code (<LAD>.geojson); not read",
                    )
                )
                continue
            lad = m.group(1)
            features, problem = feature_list(path, display, "geography-2021")
            if features is None:
                assert problem is not None
                out.findings.append(problem)
                continue
            for i, feature in enumerate(features):
                out.rows_read += 1
                where = f"features[{i}].properties"
                props = feature.get("properties") if isinstance(feature, dict) else None
                props = props if isinstance(props, dict) else {}
                code = str(props.get(code_key) or "").strip()
                name = str(props.get(name_key) or "").strip()
                bad: tuple[str, str, str] | None = None
                if not pattern.match(code):
                    bad = ("invalid-code", f"{code[:20]!r} is not a {layer} code", code_key)
                elif code in seen:
                    bad = ("duplicate-code", f"{code} is also in {seen[code]}", code_key)
                elif not name:
                    bad = ("missing-name", f"{code} has no name", name_key)
                elif layer == "ward" and str(props.get("LAD25CD") or "").strip() != lad:
                    bad = (
                        "authority-mismatch",
                        f"{code}: LAD25CD {props.get('LAD25CD')!r} is not the file's {lad}",
                        "LAD25CD",
                    )
                if bad is None:
                    try:
                        geojson = _compact(feature.get("geometry"))
                    except _Bad as exc:
                        bad = ("invalid-geometry", f"{code}: {exc}", f"features[{i}].geometry")
                if bad is not None:
                    error(bad[0], display, bad[1], f"{where}.{bad[2]}" if bad[2].isupper() else bad[2], code or None)
                    out.rows_skipped += 1
                    continue
                seen[code] = display
                exact = json.dumps(feature["geometry"], separators=(",", ":"))
                out.boundaries.append(Boundary(code, name, layer, lad, geojson, display, exact))
        if not seen and not any(f.severity is Severity.ERROR for f in out.findings):
            error("no-areas", f"{prefix}/{sub}", f"no <LAD>.geojson file with {layer} features")
    return out


@dataclass(slots=True)
class BestFit:
    """LSOA 2011 → LSOA 2021 (ONS best fit), only for the 2011 LSOAs asked for."""

    lsoa11_to_21: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    rows_read: int = 0
    rows_skipped: int = 0


def read_best_fit(folder: Path, display_prefix: str) -> BestFit:
    """Every row of the best-fit lookup checked (codes, one row per 2011 LSOA); all rows are kept."""
    out = BestFit()
    display = f"{display_prefix.rstrip('/')}/{BEST_FIT_FILE}"
    path = folder / BEST_FIT_FILE
    if not path.is_file():
        out.findings.append(Finding("lookup-2021.missing-file", Severity.ERROR, display, "file not found"))
        return out
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in BEST_FIT_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            out.findings.append(
                Finding(
                    "lookup-2021.missing-column",
                    Severity.ERROR,
                    display,
                    f"the header lacks {', '.join(missing)}",
                    row=1,
                    column=missing[0],
                )
            )
            return out
        for line, row in enumerate(reader, start=2):
            out.rows_read += 1
            old, new = (row.get("LSOA11CD") or "").strip(), (row.get("LSOA21CD") or "").strip()
            column, value = ("LSOA11CD", old) if not LSOA.match(old) else ("LSOA21CD", new)
            if not LSOA.match(old) or not LSOA.match(new):
                message = f"{value[:20]!r} is not an LSOA code"
            elif old in out.lsoa11_to_21:
                message = f"{old} is listed twice (a best-fit lookup gives each 2011 LSOA once)"
                column, value = "LSOA11CD", old
            else:
                out.lsoa11_to_21[old] = new
                continue
            out.findings.append(
                Finding(
                    "lookup-2021.invalid-row", Severity.ERROR, display, message, row=line, column=column, value=value
                )
            )
            out.rows_skipped += 1
    return out
