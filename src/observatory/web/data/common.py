"""Queries and formatting shared by the page/API data functions.

A data function takes a cursor on one release plus validated parameters and returns a plain dict: the
HTML template, the JSON and the CSV are all rendered from that one dict, so they cannot disagree.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from typing import Any

import duckdb
from rapidfuzz import fuzz, process

from observatory.config import Config
from observatory.release import read, schema
from observatory.web.errors import BadRequest, NotFound

Row = dict[str, Any]
CODE = re.compile(r"^[A-Za-z0-9-]{2,40}$")
LICENCE_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
SOUTH_ESSEX = "south-essex"


def rows(cur: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | list[Any] | None = None) -> list[Row]:
    cur.execute(sql, params or {})
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def one(cur: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | list[Any] | None = None) -> Row | None:
    found = rows(cur, sql, params)
    return found[0] if found else None


def jsonable(value: Any) -> Any:
    """Dates as ISO strings; everything else as is (the dicts are otherwise JSON-ready)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def all_indicators(cur: duckdb.DuckDBPyConnection) -> list[Row]:
    """Every indicator's metadata (the ``indicators`` table's columns), by label."""
    return read.as_dicts(schema.INDICATORS, read.indicators(cur))


def indicator(cur: duckdb.DuckDBPyConnection, slug: str) -> Row:
    """One indicator's metadata; ``NotFound`` with suggestions for an unknown slug."""
    found = read.indicator(cur, slug)
    if found is None:
        choices = {r.slug: r.label for r in read.indicators(cur)}
        raise NotFound(
            f"There is no indicator “{slug}” in this release.",
            suggest(slug, choices, "/indicators/"),
        )
    return schema.INDICATORS.as_dict(found)


def area(cur: duckdb.DuckDBPyConnection, code: str) -> Row:
    """One area (code, name, type, types, valid_from, valid_to, welsh_name); ``NotFound`` with suggestions."""
    found = read.area(cur, code)
    if found is None:
        choices = {r.code: f"{r.name} ({r.code})" for r in read.areas(cur)}
        raise NotFound(f"There is no area “{code}” in this release.", suggest(code, choices, "/areas/"))
    return {k: v for k, v in schema.AREAS.as_dict(found).items() if k != "source"}


def suggest(text: str, choices: dict[str, str], prefix: str, limit: int = 5) -> list[tuple[str, str]]:
    """Likely intended pages for a mistyped slug, code or name (typo-tolerant), as (label, url)."""
    if not text:
        return []
    keys = list(choices)
    scored: dict[str, float] = {}
    for pool, cutoff in ((keys, 60), ([choices[k] for k in keys], 70)):
        for _match, score, index in process.extract(text, pool, scorer=fuzz.WRatio, limit=limit, score_cutoff=cutoff):
            scored[keys[index]] = max(score, scored.get(keys[index], 0.0))
    best = sorted(scored, key=lambda k: -scored[k])[:limit]
    return [(choices[k], f"{prefix}{k}") for k in best]


def parse_codes(value: str | None, cur: duckdb.DuckDBPyConnection, param: str = "areas") -> list[str] | None:
    """A comma-separated list of area codes (or group slugs), each checked against the release."""
    if value is None or value.strip() == "":
        return None
    codes = [c.strip() for c in value.split(",") if c.strip()]
    if len(codes) > 40:
        raise BadRequest(param, "too many areas", "at most 40 comma-separated area codes")
    bad = [c for c in codes if not CODE.match(c)]
    if bad:
        raise BadRequest(param, f"{bad[0][:40]!r} is not an area code", "GSS codes such as E06000033, or south-essex")
    known = set(read.area_names(cur, codes))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise BadRequest(param, f"unknown area code {unknown[0]}", "codes listed at /areas")
    return list(dict.fromkeys(codes))


def unit_label(ind: Row) -> str:
    """The unit in words for axis titles and table headers, e.g. "£ per hour" or "%"."""
    unit = ind.get("unit") or ""
    measure = ind.get("measure") or ""
    if unit and measure and unit.lower() != measure.lower() and unit not in ("£", "%"):
        return unit
    return unit or measure


def area_lists(config: Config) -> tuple[list[str], list[str]]:
    comparators = [c for c in config.comparators if c != "K02000001"]
    return list(config.areas_of_interest), comparators


def region_of(cur: duckdb.DuckDBPyConnection, code: str) -> str | None:
    found = read.area_relations(cur, [code], relations=["rgn"])
    return found[0].parent if found else None


def with_equivalents_many(cur: duckdb.DuckDBPyConnection, slugs: list[str], codes: list[str]) -> dict[str, list[str]]:
    """``indicators._with_equivalents`` for many indicators in two queries (an area page shows ~90).

    For each indicator, a code without data is replaced by its same-as equivalent (England → ITL1 TLB) when
    that one has data; otherwise it is kept.
    """
    same = {r.parent: r.code for r in read.area_relations(cur, relations=["same-as"])}
    wanted = list({*codes, *(same[c] for c in codes if c in same)})
    have: dict[str, set[str]] = defaultdict(set)
    for indicator, area_code in read.series_present(cur, slugs, wanted):
        have[indicator].add(area_code)
    return {
        slug: [c if c in have[slug] or same.get(c) not in have[slug] else str(same[c]) for c in codes] for slug in slugs
    }
