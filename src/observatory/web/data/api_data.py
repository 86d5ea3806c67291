"""Data functions only the API serves: filtered observations, area hierarchy, geometry, releases, bulk files.

What a page also shows comes from that page's own data function (imported in ``web/api.py``), so the site
and the API cannot disagree. Here every value from a user reaches SQL as a bound parameter; the SQL text is
assembled only from constant fragments.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from observatory import format as nf
from observatory.config import Config
from observatory.release import read, schema
from observatory.release.read import EXPORT_COLUMNS, export_rows
from observatory.store import Store
from observatory.web.data.common import CODE, LICENCE_URL, Row, area, indicator, suggest
from observatory.web.data.indicators import _latest_ltla_period, _ranking, indicator_list
from observatory.web.errors import BadRequest, NotFound, UnknownValue
from observatory.web.formats import csv_lines

MAX_CODES = 3000  # comma-separated areas or indicators in one query (as many as 6,000 characters hold)
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TYPE = re.compile(r"^[a-z0-9-]{1,30}$")
DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
LICENCES = {"OGL-UK-3.0": ("Open Government Licence v3.0", LICENCE_URL)}

OBSERVATION_FIELDS = (
    "indicator",
    "area_code",
    "area_name",
    "period",
    "period_label",
    "period_start",
    "period_duration",
    "value",
    "lci_95",
    "uci_95",
    "numerator",
    "denominator",
    "status",
    "notes",
)


def licence_of(licence_id: str | None) -> dict[str, str]:
    name, url = LICENCES.get(licence_id or "OGL-UK-3.0", (licence_id or "", ""))
    return {"id": licence_id or "OGL-UK-3.0", "name": name, "url": url}


# ----------------------------------------------------------------------------------------------------------------
# Parameters


def split_list(values: Sequence[str]) -> list[str]:
    """``a,b`` and repeated parameters alike → a de-duplicated list, in order."""
    out = [v.strip() for value in values for v in value.split(",") if v.strip()]
    return list(dict.fromkeys(out))


@dataclass(frozen=True)
class Facts:
    """What parameters are checked against, read once per release (releases never change)."""

    labels: dict[str, str]  # indicator slug -> label
    codes: frozenset[str]
    types: tuple[str, ...]


_FACTS: dict[str, Facts] = {}
_facts_lock = threading.Lock()


def facts(cur: duckdb.DuckDBPyConnection, release_id: str | None = None) -> Facts:
    if release_id is None:
        release_id = read.release_info(cur).id
    known = _FACTS.get(release_id)
    if known is not None:
        return known
    areas = read.areas(cur)
    made = Facts(
        labels={r.slug: r.label for r in read.indicators(cur)},
        codes=frozenset(a.code for a in areas),
        types=tuple(sorted({t for a in areas for t in a.types or ()})),
    )
    with _facts_lock:
        if len(_FACTS) > 32:
            _FACTS.clear()
        _FACTS[release_id] = made
    return made


def check_indicators(
    cur: duckdb.DuckDBPyConnection, slugs: list[str], param: str = "indicator", known_facts: Facts | None = None
) -> list[str]:
    if len(slugs) > MAX_CODES:
        raise BadRequest(param, "too many indicators", f"at most {MAX_CODES} comma-separated indicator slugs")
    bad = [s for s in slugs if not SLUG.match(s)]
    if bad:
        raise BadRequest(param, f"{bad[0][:60]!r} is not an indicator slug", "slugs listed at /api/v1/indicators")
    known = (known_facts or facts(cur)).labels
    unknown = [s for s in slugs if s not in known]
    if unknown:
        hints = suggest(unknown[0], known, "")
        hint = f" (did you mean {', '.join(url for _l, url in hints[:3])}?)" if hints else ""
        raise UnknownValue(param, f"unknown indicator {unknown[0]}{hint}", "slugs listed at /api/v1/indicators")
    return slugs


def check_areas(
    cur: duckdb.DuckDBPyConnection, codes: list[str], param: str = "area", known_facts: Facts | None = None
) -> list[str]:
    if len(codes) > MAX_CODES:
        raise BadRequest(param, "too many areas", f"at most {MAX_CODES} comma-separated area codes")
    bad = [c for c in codes if not CODE.match(c)]
    if bad:
        raise BadRequest(param, f"{bad[0][:60]!r} is not an area code", "GSS codes such as E06000033, or south-essex")
    known = (known_facts or facts(cur)).codes
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise UnknownValue(param, f"unknown area code {unknown[0]}", "codes listed at /api/v1/areas")
    return codes


def check_area_types(
    cur: duckdb.DuckDBPyConnection, types: list[str], param: str = "area_type", known_facts: Facts | None = None
) -> list[str]:
    known = (known_facts or facts(cur)).types
    unknown = [t for t in types if t not in known]
    if unknown:
        raise UnknownValue(param, f"unknown area type {unknown[0][:30]!r}", f"one of: {', '.join(known)}")
    return types


def parse_when(text: str | None, param: str, *, end: bool) -> dt.date | None:
    """A year (2020), month (2020-04) or date (2020-04-01); as an upper bound, the last day it covers."""
    if text is None or text.strip() == "":
        return None
    found = DATE.match(text.strip())
    allowed = "a year (2020), a month (2020-04) or a date (2020-04-01)"
    if found is None:
        raise BadRequest(param, f"{text[:30]!r} is not a year or a date", allowed)
    year, month, day = found.group(1), found.group(2), found.group(3)
    try:
        if day is not None:
            return dt.date(int(year), int(month), int(day))
        if month is not None:
            first = dt.date(int(year), int(month), 1)
            if not end:
                return first
            following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
            return following - dt.timedelta(days=1)
        return dt.date(int(year), 12, 31) if end else dt.date(int(year), 1, 1)
    except ValueError as exc:
        raise BadRequest(param, f"{text[:30]!r} is not a real date", allowed) from exc


# ----------------------------------------------------------------------------------------------------------------
# Observations


# The query and its SQL live in the read layer (release/read.py); these names stay here for the API routes.
ObservationQuery = read.ObservationQuery
observation_page = read.observation_page
observation_count = read.observation_count
observation_rows = read.observation_rows
observation_stream = read.observation_stream


# ----------------------------------------------------------------------------------------------------------------
# Indicators


def indicator_summaries(cur: duckdb.DuckDBPyConnection, config: Config, theme: str | None, q: str | None) -> list[Row]:
    """The indicator list page's rows (same function), filtered by theme and words of ``q``."""
    listing = indicator_list(cur, config)
    seen: dict[str, Row] = {}
    for group in listing["themes"]:
        for r in group["indicators"]:
            seen.setdefault(r["slug"], r)
    found = sorted(seen.values(), key=lambda r: str(r["label"]))
    if theme:
        known = list(dict.fromkeys([t.slug for t in config.themes] + [t for r in found for t in r["themes"] or []]))
        if theme not in known:
            raise UnknownValue("theme", f"unknown theme {theme[:40]!r}", f"one of: {', '.join(known)}")
        found = [r for r in found if theme in (r["themes"] or [])]
    if q:
        words = [w.lower() for w in q.split() if w]
        found = [r for r in found if all(w in f"{r['slug']} {r['label']} {r['subtitle'] or ''}".lower() for w in words)]
    return found


def indicator_detail(cur: duckdb.DuckDBPyConnection, config: Config, slug: str) -> Row:
    """Full metadata of one indicator, with where and when it has data."""
    ind = indicator(cur, slug)
    types = read.indicator_area_types(cur, slug)
    periods = read.indicator_periods(cur, slug)
    names = {t.slug: t.name for t in config.themes}
    return {
        **ind,
        "themes": [{"slug": t, "name": names.get(t, t)} for t in ind["themes"] or []],
        "source": {
            "organisation": nf.organisations(ind["source_org"], "") or None,
            "url": ind["source_url"],
            "date": ind["source_date"],
        },
        "licence": licence_of(ind["licence"]),
        "coverage": {
            "first_period": ind["first_period"],
            "last_period": ind["last_period"],
            "observations": ind["observations"],
            "areas": ind["areas"],
            "area_types": types,
            "periods": periods,
        },
    }


def indicator_map(
    cur: duckdb.DuckDBPyConnection, config: Config, slug: str, period: str | None, area_type: str | None
) -> Row:
    """Every area's value for one period (default: the latest with local-authority data, as the page).

    For local authorities this is the indicator page's own ranking; other area types use the same query
    shape on that type.
    """
    ind = indicator(cur, slug)
    if area_type is not None:
        check_area_types(cur, [area_type])
    known = read.period_labels(cur, slug)
    if period is not None and period not in known:
        latest_periods = sorted(known)[-3:]
        raise UnknownValue("period", f"no period {period[:40]!r} for {slug}", f"one of the periods of {slug}, e.g. "
                         f"{', '.join(latest_periods)} (listed at /api/v1/indicators/{slug})")  # fmt: skip
    if period is None:
        if area_type in (None, "ltla"):
            latest = _latest_ltla_period(cur, slug)
            period = None if latest is None else str(latest["period"])
        else:
            period = read.latest_period_of_type(cur, slug, area_type)
    values: list[Row] = []
    if period is not None:
        if area_type in (None, "ltla"):
            ranked = _ranking(cur, slug, period, config, ind)
            values = [
                {"area_code": r["code"], "area_name": r["name"], "value": r["value"], "lci_95": r["lci_95"],
                 "uci_95": r["uci_95"], "status": r["status"], "rank": r["rank"], "south_essex": r["south_essex"]}
                for r in ranked
            ]  # fmt: skip
        else:
            ours = set(config.areas_of_interest)
            values = read.ranked_of_type(cur, slug, period, area_type)
            for v in values:
                v["south_essex"] = v["area_code"] in ours
    return {
        "indicator": {"slug": ind["slug"], "label": ind["label"], "unit": ind["unit"], "decimals": ind["decimals"],
                      "prefix": ind["prefix"], "suffix": ind["suffix"]},
        "period": period,
        "period_label": known.get(period) if period else None,
        "area_type": area_type or "ltla",
        "count": len(values),
        "values": values,
    }  # fmt: skip


# ----------------------------------------------------------------------------------------------------------------
# Areas


def area_summaries(cur: duckdb.DuckDBPyConnection, area_type: str | None, parent: str | None) -> list[Row]:
    if area_type is not None:
        check_area_types(cur, [area_type], "type")
    if parent is not None:
        check_areas(cur, [parent], "parent")
    return read.area_summaries(cur, area_type, parent)


def area_detail(cur: duckdb.DuckDBPyConnection, code: str) -> Row:
    """One area with its parents (county, region, nation, ITL, groups) and children, as code + name + relation."""
    a = area(cur, code)
    parents, children, same_as = read.area_links(cur, code)
    observations, indicators = read.area_counts(cur, code)
    return {
        **a,
        "parents": parents,
        "children": children,
        "same_as": same_as,
        "has_geometry": read.has_geometry(cur, code),
        "observations": observations,
        "indicators": indicators,
    }


def area_geometry(cur: duckdb.DuckDBPyConnection, code: str) -> tuple[Row, str]:
    a = area(cur, code)
    found = read.area_geojson(cur, code)
    if found is None:
        raise NotFound(
            f"The release has no boundary for {a['name']} ({code}); boundaries cover local authorities, counties, "
            "regions and nations.",
            [(a["name"], f"/api/v1/areas/{code}")],
        )
    return a, found


# ----------------------------------------------------------------------------------------------------------------
# Releases


def release_detail(cur: duckdb.DuckDBPyConnection) -> Row:
    """What a release was built from (inputs with sha256) and what its validation found, by rule."""
    info = schema.RELEASE_INFO.as_dict(read.release_info(cur))
    keep = ("id", "created", "content_hash", "config_hash", "counts", "observatory_version")
    inputs = read.as_dicts(schema.INPUTS, sorted(read.inputs(cur), key=lambda r: (r.source or "", r.path or "")))
    for r in inputs:  # who uploaded a local file, when, and its embargo (officers' uploads only)
        r["provenance"] = json.loads(r["provenance"]) if r["provenance"] else None
    findings = [
        {"rule": f.rule, "severity": f.severity, "count": f.count}
        for f in sorted(read.finding_counts(cur), key=lambda f: (f.severity, f.rule))
    ]
    return {**{k: info[k] for k in keep}, "inputs": inputs, "findings": findings}


# ----------------------------------------------------------------------------------------------------------------
# Bulk files, written once per release beside the store


_bulk_lock = threading.Lock()


def bulk_folder(store: Store, release_id: str) -> Path:
    store.release_path(release_id)  # validates the id: the only thing that names a path here
    return store.cache_root() / release_id


def bulk_file(store: Store, con: duckdb.DuckDBPyConnection, release_id: str, kind: str) -> Path:
    """``observations.csv.gz`` or ``observations.parquet`` of a release, written once (temp + rename)."""
    folder = bulk_folder(store, release_id)
    name = {"csv.gz": "observations.csv.gz", "parquet": "observations.parquet"}[kind]
    target = folder / name
    if target.exists():
        return target
    with _bulk_lock:
        if target.exists():
            return target
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{name}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            if kind == "csv.gz":
                with open(tmp, "wb") as raw, gzip.GzipFile(filename="observations.csv", mode="wb", fileobj=raw,
                                                           mtime=0, compresslevel=6) as gz:  # fmt: skip
                    for chunk in csv_lines(EXPORT_COLUMNS, export_rows(con, release_id)):
                        gz.write(chunk)
            else:
                _write_parquet(con, release_id, tmp)
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
    return target


PARQUET_SCHEMA = pa.schema(
    [
        ("area_code", pa.string()),
        ("area_name", pa.string()),
        ("indicator", pa.string()),
        ("period", pa.string()),
        ("period_start", pa.date32()),
        ("period_duration", pa.string()),
        ("value", pa.float64()),
        ("lci_95", pa.float64()),
        ("uci_95", pa.float64()),
        ("numerator", pa.float64()),
        ("denominator", pa.float64()),
        ("status", pa.string()),
        ("notes", pa.string()),
        ("release", pa.string()),
    ]
)


def _write_parquet(con: duckdb.DuckDBPyConnection, release_id: str, path: Path) -> None:
    with pq.ParquetWriter(path, PARQUET_SCHEMA, compression="zstd") as writer:
        batch: list[tuple[object, ...]] = []
        for row in export_rows(con, release_id):
            batch.append(row)
            if len(batch) == 50_000:
                writer.write_table(_arrow(batch))
                batch = []
        if batch:
            writer.write_table(_arrow(batch))


def _arrow(batch: list[tuple[object, ...]]) -> pa.Table:
    columns = list(zip(*batch, strict=True))
    return pa.table({name: list(col) for name, col in zip(EXPORT_COLUMNS, columns, strict=True)}, schema=PARQUET_SCHEMA)
