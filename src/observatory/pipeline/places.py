"""Places at build time: 2021 geography, postcodes placed by point-in-polygon, named places and the search index.

Inputs (each read by its own reader): the South Essex LSOA 2021, MSOA 2021 and ward (May 2025) boundaries,
the ONS LSOA 2011 → 2021 best-fit lookup, ONS place names and the NSPL postcode centroids. Outputs:

- areas of type ``ward`` and ``msoa`` (named by the House of Commons Library, e.g. "Benfleet North"), with
  geometry and their authority, in the ordinary ``areas`` tables;
- ``lsoa21``: every 2021 LSOA with its MSOA (by name, as the ONS numbers them), its ward (the ward holding
  the largest part of its area, with that share) and its authority;
- ``lsoa11_to_lsoa21``: the best-fit lookup for the 2011 LSOAs of the six authorities, so that IoD2019
  (published on 2011 LSOAs) is carried to 2021 LSOAs, wards and neighbourhoods without pretending a 2011
  value was measured on a 2021 area;
- ``postcodes``: each postcode centroid placed in its LSOA 2021, MSOA 2021, ward and authority by
  point-in-polygon (shapely STRtree, WGS84 longitude/latitude as the boundaries are); a postcode outside
  the six authorities gets the authority (any in Great Britain) whose boundary holds it, else none;
- ``named_places``: towns and villages (parish and Built-up Area names) resolved to the wards or
  neighbourhoods named after them, plus the named areas declared in ``observatory.toml``;
- ``place_search``: one row per searchable name (normalised key, display name, kind, target URL,
  authority, whether it is in South Essex), built here so the web only reads it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import duckdb
import numpy as np
import shapely

from observatory.config import Config
from observatory.model import Area, AreaRelation, Finding, ReaderResult, Severity
from observatory.release import schema
from observatory.sources.geography_2021 import BestFit, Geography2021, read_best_fit, read_geography_2021
from observatory.sources.place_names import PlaceNames, read_place_names
from observatory.sources.postcodes import Postcodes, read_postcodes

FORMATS = ("boundaries-2021", "ons-geography-lookups-2021", "ons-places", "nspl-postcodes")

KIND_LABELS = {
    "authority": "Local authority",
    "town": "Town or village",
    "ward": "Ward",
    "neighbourhood": "Neighbourhood",
    "named": "Named area",
    "parish": "Parish",
    "elsewhere": "Place outside South Essex",
}


def normalise(text: str) -> str:
    """The search key of a name: no accents, lower case, "&" as "and", punctuation as spaces, single spaces."""
    if text.isascii():
        plain = text.lower()
    else:
        plain = unicodedata.normalize("NFKD", text)
        plain = "".join(c for c in plain if not unicodedata.combining(c)).lower()
    plain = plain.replace("&", " and ").replace("'", "").replace("’", "").replace(".", "")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


def short_name(name: str) -> str:
    """How people shorten a town's name: "Southend-on-Sea" → "Southend", "Stanford-le-Hope" → "Stanford"."""
    return re.sub(r"-(on|upon|le|under|in|by)-.*$", "", name)


def slugify(text: str) -> str:
    return normalise(text).replace(" ", "-")


@dataclass(slots=True)
class PlaceSources:
    """What the place readers gave: any part may be None when its source is not configured."""

    geography: Geography2021 | None = None
    best_fit: BestFit | None = None
    names: PlaceNames | None = None
    postcodes: Postcodes | None = None
    findings: list[Finding] = field(default_factory=list)

    def reader_result(self) -> ReaderResult:
        """Wards and MSOAs as areas (with geometry and their authority); findings and row counts of all."""
        out = ReaderResult(findings=list(self.findings))
        msoa_names = {p.code: p for p in self.names.of_kind("msoa21")} if self.names else {}
        for part in (self.geography, self.best_fit, self.names, self.postcodes):
            if part is not None:
                out.findings.extend(part.findings)
                out.rows_read += part.rows_read
                out.rows_skipped += part.rows_skipped
        if self.geography is None:
            return out
        for b in self.geography.boundaries:
            if b.layer == "lsoa21":
                continue  # 2021 LSOAs share codes with 2011 LSOAs: kept in their own table (lsoa21)
            name, welsh = b.name, None
            if b.layer == "msoa21":
                named = msoa_names.get(b.code)
                if named is None:
                    out.findings.append(
                        Finding(
                            "places.msoa-unnamed",
                            Severity.WARNING,
                            b.source_file,
                            f"{b.code} has no House of Commons Library name in msoa21_names.csv;"
                            " shown with its ONS name",
                            value=b.code,
                        )
                    )
                else:
                    name, welsh = named.name, named.welsh_name
            kind = "ward" if b.layer == "ward" else "msoa"
            out.areas.append(
                Area(
                    b.code,
                    name,
                    kind,
                    (kind,),
                    valid_from=2025 if kind == "ward" else 2021,
                    source=b.source_file.split("/")[0],
                    welsh_name=welsh,
                )
            )
            out.relations.append(AreaRelation(b.code, b.authority, "ltla"))
            out.geometries[b.code] = b.geojson
        return out


def read_place_sources(config: Config, sources_dir: Path) -> PlaceSources:
    """Run the place readers for the configured sources of the place formats."""
    out = PlaceSources()
    for source in config.sources:
        if source.format not in FORMATS:
            continue
        folder = sources_dir / source.name
        if not folder.is_dir():
            continue  # already an error finding from the build's input listing
        if source.format == "boundaries-2021":
            out.geography = read_geography_2021(folder, source.name)
        elif source.format == "ons-geography-lookups-2021":
            out.best_fit = read_best_fit(folder, source.name)
        elif source.format == "ons-places":
            out.names = read_place_names(folder, source.name)
        elif source.format == "nspl-postcodes":
            out.postcodes = read_postcodes(folder, source.name)
    return out


# ----------------------------------------------------------------------------------------------------------------
# Writing the tables


def _tree(geojsons: list[str]) -> tuple[shapely.STRtree, np.ndarray]:
    geoms = np.array([shapely.from_geojson(g) for g in geojsons], dtype=object)
    geoms = shapely.make_valid(geoms)
    return shapely.STRtree(geoms), geoms


def _locate(tree: shapely.STRtree, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """For each point, the index of the (first) polygon holding it, or -1."""
    found = np.full(len(xs), -1, dtype=np.int64)
    if len(xs) == 0:
        return found
    points = shapely.points(xs, ys)
    pairs = tree.query(points, predicate="intersects")
    # a point on a shared border intersects two polygons: keep the lowest polygon index, deterministically
    order = np.lexsort((pairs[1], pairs[0]))
    first = pairs[:, order]
    keep = np.ones(first.shape[1], dtype=bool)
    keep[1:] = first[0, 1:] != first[0, :-1]
    found[first[0, keep]] = first[1, keep]
    return found


def write_places(con: duckdb.DuckDBPyConnection, sources: PlaceSources, config: Config) -> list[Finding]:
    """Create and fill the place tables in an open release (after areas and observations are written)."""
    findings: list[Finding] = []
    schema.create(con, schema.PLACE_TABLES)
    geo = sources.geography
    if geo is None:
        return findings
    scope = set(config.areas_of_interest)
    names = dict(con.execute("SELECT code, name FROM areas").fetchall())
    lsoas, msoas, wards = geo.layer("lsoa21"), geo.layer("msoa21"), geo.layer("ward")
    msoa_by_name = {m.name: m.code for m in msoas}  # ONS names: "Castle Point 001"

    # LSOA 2021 → ward: the ward holding the largest part of the LSOA (areas in degrees² compare fairly
    # within a few km); LSOA → MSOA by the ONS numbering ("Castle Point 001A" is in "Castle Point 001").
    ward_tree, ward_geoms = _tree([w.exact for w in wards])
    lsoa_rows = []
    exact: dict[str, str] = {}
    split = 0
    for b in lsoas:
        g = shapely.make_valid(shapely.from_geojson(b.exact))
        best, best_share = None, 0.0
        total = g.area or 1.0
        for j in ward_tree.query(g, predicate="intersects"):
            share = shapely.intersection(g, ward_geoms[j]).area / total
            if share > best_share:
                best, best_share = wards[int(j)].code, share
        if best_share < 0.99:
            split += 1
        msoa = msoa_by_name.get(b.name[:-1]) if re.fullmatch(r".+ \d{3}[A-Z]", b.name) else None
        if msoa is None:
            findings.append(
                Finding(
                    "places.lsoa-without-msoa",
                    Severity.WARNING,
                    b.source_file,
                    f"{b.code} {b.name}: no MSOA 2021 of the name {b.name[:-1]!r}",
                    value=b.code,
                )
            )
        lsoa_rows.append((b.code, b.name, msoa, best, round(best_share, 4), b.authority, b.geojson))
        exact[b.code] = b.exact
    findings.append(
        Finding(
            "places.lsoa-ward-fit",
            Severity.INFO,
            geo.boundaries[0].source_file.split("/")[0],
            f"{len(lsoas) - split} of {len(lsoas)} LSOA 2021 lie (99% or more of their area) in one "
            f"ward of May 2025; {split} straddle wards and are given the ward holding most of them",
        )
    )
    schema.insert(con, schema.LSOA21, lsoa_rows)
    lsoa_info = {r[0]: r for r in lsoa_rows}

    if sources.best_fit is not None:
        se_lsoa11 = [
            r[0]
            for r in con.execute(
                "SELECT code FROM areas a JOIN area_relations r USING (code) WHERE a.type = 'lsoa' "
                "AND r.relation = 'ltla' AND r.parent IN (SELECT unnest($s))",
                {"s": sorted(scope)},
            ).fetchall()
        ]
        pairs = [(c, sources.best_fit.lsoa11_to_21[c]) for c in se_lsoa11 if c in sources.best_fit.lsoa11_to_21]
        missing = sorted(set(se_lsoa11) - {p[0] for p in pairs})
        outside = [p for p in pairs if p[1] not in lsoa_info]
        if missing or outside:
            findings.append(
                Finding(
                    "places.best-fit-gap",
                    Severity.WARNING,
                    "ons-geography-lookups-2021",
                    f"{len(missing)} South Essex 2011 LSOAs are not in the best-fit lookup and "
                    f"{len(outside)} map to a 2021 LSOA outside the 2021 boundaries",
                )
            )
        schema.insert(con, schema.LSOA11_TO_LSOA21, pairs)
        reached = {p[1] for p in pairs}
        unreached = sorted(set(lsoa_info) - reached)
        findings.append(
            Finding(
                "places.best-fit-unreached",
                Severity.INFO,
                "ons-geography-lookups-2021",
                f"{len(unreached)} of {len(lsoa_info)} South Essex 2021 LSOAs are not the best fit of "
                f"any 2011 LSOA (split in 2021), so carry no IoD2019 value: {', '.join(unreached)}",
            )
        )

    if sources.postcodes is not None:
        shapes = [exact[r[0]] for r in lsoa_rows]
        ward_shapes = [(w.code, w.exact) for w in wards]
        findings += _write_postcodes(con, sources.postcodes, lsoa_rows, shapes, ward_shapes, scope)
    parishes = _write_named_places(con, sources, config, names, findings)
    _write_search(con, sources, config, names, parishes)
    return findings


def _write_postcodes(
    con: duckdb.DuckDBPyConnection,
    pcs: Postcodes,
    lsoa_rows: list[tuple[str, str, str | None, str | None, float, str, str]],
    shapes: list[str],
    wards: list[tuple[str, str]],
    scope: set[str],
) -> list[Finding]:
    """Postcode centroids → LSOA 2021 (so MSOA and authority) and ward, each by point-in-polygon; else the LAD."""
    pts = pcs.points
    xs = np.array([p.long for p in pts], dtype=np.float64)
    ys = np.array([p.lat for p in pts], dtype=np.float64)
    tree, _ = _tree(shapes)
    idx = _locate(tree, xs, ys)
    w_tree, _ = _tree([g for _, g in wards])
    w_idx = _locate(w_tree, xs, ys)
    lads = con.execute(
        "SELECT a.code, g.geojson FROM areas a JOIN area_geometry g USING (code) WHERE list_contains(a.types, 'ltla')"
        " AND a.valid_to IS NULL ORDER BY a.code"
    ).fetchall()
    lad_tree, _ = _tree([g for _, g in lads]) if lads else (None, None)
    outside = np.flatnonzero(idx < 0)
    lad_idx = _locate(lad_tree, xs[outside], ys[outside]) if lad_tree is not None else np.full(len(outside), -1)
    lad_of = {int(i): (lads[int(j)][0] if j >= 0 else None) for i, j in zip(outside, lad_idx, strict=True)}
    table = {
        "postcode": [],
        "district": [],
        "sector": [],
        "lat": [],
        "long": [],
        "lsoa21": [],
        "msoa21": [],
        "ward": [],
        "authority": [],
        "in_scope": [],
    }  # type: dict[str, list[object]]
    for i, p in enumerate(pts):
        j = int(idx[i])
        row = lsoa_rows[j] if j >= 0 else None
        authority = row[5] if row else lad_of.get(i)
        for key, value in (
            ("postcode", p.postcode),
            ("district", p.postcode.split()[0]),
            ("sector", p.postcode[:-2]),
            ("lat", p.lat),
            ("long", p.long),
            ("lsoa21", row[0] if row else None),
            ("msoa21", row[2] if row else None),
            ("ward", wards[int(w_idx[i])][0] if w_idx[i] >= 0 else None),
            ("authority", authority),
            ("in_scope", bool(row) and authority in scope),
        ):
            table[key].append(value)
    schema.insert_columns(con, schema.POSTCODES, table)
    inside = int((idx >= 0).sum())
    return [
        Finding(
            "places.postcodes-placed",
            Severity.INFO,
            "postcodes-nspl-latlon",
            f"{len(pts):,} postcode centroids placed: {inside:,} in the six authorities' 2021 LSOAs, "
            f"{sum(1 for v in lad_of.values() if v):,} in another authority, "
            f"{sum(1 for v in lad_of.values() if not v):,} in no boundary",
        )
    ]


def _words(text: str) -> str:
    return f" {normalise(text)} "


def _components(name: str, wards: list[tuple[str, str, str]], msoas: list[tuple[str, str, str]]
                ) -> tuple[list[str], list[str]]:  # fmt: skip
    """The wards and neighbourhoods whose names (already as ``_words``) contain ``name`` as whole words."""
    key = _words(name)
    return ([c for c, n, _ in wards if key in n], [c for c, n, _ in msoas if key in n])


def _write_named_places(
    con: duckdb.DuckDBPyConnection,
    sources: PlaceSources,
    config: Config,
    names: dict[str, str],
    findings: list[Finding],
) -> list[SearchRow]:
    """Towns and villages of South Essex resolved to the wards or neighbourhoods named after them."""
    scope = set(config.areas_of_interest)
    area_rows = con.execute(
        "SELECT a.code, a.name, a.type, r.parent FROM areas a JOIN area_relations r ON r.code = a.code "
        "AND r.relation = 'ltla' WHERE a.type IN ('ward', 'msoa') ORDER BY a.code"
    ).fetchall()
    wards = [(c, _words(n), p) for c, n, t, p in area_rows if t == "ward" and p in scope]
    msoas = [(c, _words(n), p) for c, n, t, p in area_rows if t == "msoa" and p in scope]
    authority_of = {c: p for c, _, p in wards + msoas}
    rows: dict[str, tuple[str, str, str, str | None, list[str], list[str], str | None]] = {}
    for named in getattr(config, "named_areas", []):
        members = [*named.wards, *named.neighbourhoods]
        unknown = [m for m in members if m not in authority_of]
        if unknown:
            findings.append(
                Finding(
                    "places.named-area-unknown",
                    Severity.ERROR,
                    "observatory.toml",
                    f"named area {named.slug!r} lists {', '.join(unknown)}, not a ward or "
                    "neighbourhood of the six authorities",
                    column="named_areas",
                )
            )
            continue
        lads = sorted({authority_of[m] for m in members})
        rows[named.slug] = (
            named.slug,
            named.name,
            "config",
            lads[0] if len(lads) == 1 else None,
            list(named.wards),
            list(named.neighbourhoods),
            named.note or None,
        )
    candidates: dict[str, tuple[str, str | None]] = {}  # name -> (origin, parish authority)
    if sources.names is not None:
        for p in sources.names.of_kind("ap"):
            if p.code.startswith("E04") and p.parent in scope:
                candidates.setdefault(p.name, ("parish", p.parent))
        for p in sources.names.of_kind("bua22"):
            candidates.setdefault(p.name, ("bua22", None))
    taken = {normalise(r[1]) for r in rows.values()}
    unplaced: list[tuple[str, str]] = []
    for code in scope:  # an authority's own name (or its short form) is the authority, not a town in it
        if code in names:
            taken |= {normalise(names[code]), normalise(short_name(names[code]))}
    for name, (origin, parish_lad) in sorted(candidates.items()):
        if normalise(name) in taken:
            continue
        in_wards, in_msoas = _components(name, wards, msoas)
        if origin == "bua22":  # no parent here: it must lead a component's name ("Grays Riverside"), not be it
            key = normalise(name)
            leads = [
                c
                for c, n, _ in wards + msoas
                if c in in_wards + in_msoas and n.startswith(f" {key} ") and n != f" {key} "
            ]
            if not leads:
                continue
        if parish_lad is not None:  # a parish is in one authority: only its components there
            in_wards = [c for c in in_wards if authority_of[c] == parish_lad]
            in_msoas = [c for c in in_msoas if authority_of[c] == parish_lad]
        if not in_wards and not in_msoas:
            if parish_lad is not None:  # a parish with no ward or neighbourhood of its name: its authority
                unplaced.append((name, parish_lad))
            continue
        if in_wards:  # one layer, so the town's map and profile are of one kind of area: wards first
            in_msoas = []
        lads = sorted({authority_of[c] for c in in_wards + in_msoas})
        slug = slugify(name)
        if slug in rows:
            continue
        note = (
            f"{'Parish' if origin == 'parish' else 'Built-up Area (2022)'} name; the observatory shows it "
            "through the wards and neighbourhoods named after it"
        )
        rows[slug] = (slug, name, origin, lads[0] if len(lads) == 1 else None, in_wards, in_msoas, note)
        taken.add(normalise(name))
    schema.insert(con, schema.NAMED_PLACES, list(rows.values()))
    return [
        (normalise(n), n, "parish", None, f"/areas/{lad}", lad, names.get(lad), True,
         f"Parish in {names.get(lad, lad)}; no ward or neighbourhood of its own, so its figures are its authority's")
        for n, lad in sorted(unplaced)
    ]  # fmt: skip


SearchRow = tuple[str, str, str, str | None, str, str | None, str | None, bool, str | None]


def custom_url(name: str | None, wards: list[str], neighbourhoods: list[str]) -> str:
    """The shareable address of a set of wards and neighbourhoods."""
    params = {
        k: v
        for k, v in (("name", name or ""), ("wards", ",".join(wards)), ("neighbourhoods", ",".join(neighbourhoods)))
        if v
    }
    return "/areas/custom?" + urlencode(params, safe=",")


def place_url(wards: list[str], neighbourhoods: list[str], name: str) -> str:
    """A single ward or neighbourhood is its own page; several are a named custom area."""
    if len(wards) + len(neighbourhoods) == 1:
        return f"/areas/{(wards or neighbourhoods)[0]}"
    return custom_url(name, wards, neighbourhoods)


def _write_search(
    con: duckdb.DuckDBPyConnection,
    sources: PlaceSources,
    config: Config,
    names: dict[str, str],
    parishes: list[SearchRow],
) -> None:
    scope = set(config.areas_of_interest)
    out: list[SearchRow] = list(parishes)

    def add(
        name: str,
        kind: str,
        code: str | None,
        url: str,
        lad: str | None,
        detail: str | None,
        extra_keys: tuple[str, ...] = (),
    ) -> None:
        se = lad in scope or code in scope or code == "south-essex"
        for key in dict.fromkeys([normalise(name), *(normalise(k) for k in extra_keys if k)]):
            if key:
                out.append((key, name, kind, code, url, lad, names.get(lad or ""), se, detail))

    ons_names = {p.code: p.ons_name for p in sources.names.of_kind("msoa21")} if sources.names else {}
    for code, name, welsh in con.execute(
        "SELECT code, name, welsh_name FROM areas WHERE list_contains(types, 'ltla') AND valid_to IS NULL"
    ).fetchall():
        add(name, "authority", code, f"/areas/{code}", code, None, (welsh or "", short_name(name)))
    for g in config.groups:
        add(g.name, "authority", g.slug, f"/areas/{g.slug}", None, g.description)
    for code, name, kind, lad, welsh in con.execute(
        "SELECT a.code, a.name, a.type, r.parent, a.welsh_name FROM areas a JOIN area_relations r ON r.code = a.code"
        " AND r.relation = 'ltla' WHERE a.type IN ('ward', 'msoa')"
    ).fetchall():
        ons_name = ons_names.get(code) if kind == "msoa" else None
        add(
            name,
            "ward" if kind == "ward" else "neighbourhood",
            code,
            f"/areas/{code}",
            lad,
            None if kind == "ward" else f"MSOA 2021 {ons_name or code}",
            (ons_name or "", welsh or ""),
        )
    for slug, name, origin, lad, wards, hoods, _note in con.execute(
        "SELECT slug, name, origin, authority, wards, neighbourhoods, note FROM named_places"
    ).fetchall():
        parts = ", ".join(
            filter(
                None,
                [
                    f"{len(wards)} ward{'s' * (len(wards) != 1)}" if wards else "",
                    f"{len(hoods)} neighbourhood{'s' * (len(hoods) != 1)}" if hoods else "",
                ],
            )
        )
        add(name, "named" if origin == "config" else "town", slug, place_url(wards, hoods, name), lad, parts)
    if sources.names is not None:  # wards and parishes elsewhere: their authority's page, after South Essex
        for p in sources.names.of_kind("ap"):
            if p.parent and p.parent not in scope and p.parent in names and p.code[:3] in ("E04", "E05", "W04", "W05"):
                kind = "parish" if p.code[1:3] == "04" else "ward"
                add(
                    p.name,
                    "elsewhere",
                    p.code,
                    f"/areas/{p.parent}",
                    p.parent,
                    f"{'Parish' if kind == 'parish' else 'Ward'} in {names[p.parent]}",
                )
    schema.insert(con, schema.PLACE_SEARCH, out)
