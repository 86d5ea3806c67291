"""Data for /compare: chosen areas × chosen indicators, each at its latest period.

Within one indicator every area is shown at the same period (the latest any chosen area has), so a row
compares like with like; an area without a value then shows its own latest value with its period, flagged.
Defaults: the six South Essex authorities and England, and the programmes' headline indicators.
"""

from __future__ import annotations

import re
from typing import Any

import duckdb

from observatory import format as nf
from observatory.config import Config
from observatory.release import read
from observatory.web.data.areas import ENGLAND
from observatory.web.data.common import (
    Row,
    all_indicators,
    parse_codes,
    suggest,
    unit_label,
    with_equivalents_many,
)
from observatory.web.errors import BadRequest

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_INDICATORS = 40
HEADLINES_PER_PROGRAMME = 3


def parse_slugs(value: str | None, cur: duckdb.DuckDBPyConnection, param: str = "indicators") -> list[str] | None:
    """A comma-separated list of indicator slugs, each checked against the release (None when empty)."""
    if value is None or value.strip() == "":
        return None
    slugs = [s.strip() for s in value.split(",") if s.strip()]
    if len(slugs) > MAX_INDICATORS:
        raise BadRequest(param, "too many indicators", f"at most {MAX_INDICATORS} comma-separated indicator slugs")
    bad = [s for s in slugs if not SLUG.match(s) or len(s) > 120]
    if bad:
        raise BadRequest(param, f"{bad[0][:40]!r} is not an indicator slug",
                         "slugs such as gross-value-added-per-hour-worked, listed at /indicators")  # fmt: skip
    known = {r.slug for r in read.indicators(cur, slugs)}
    unknown = [s for s in slugs if s not in known]
    if unknown:
        raise BadRequest(param, f"unknown indicator {unknown[0]}", "indicator slugs listed at /indicators")
    return list(dict.fromkeys(slugs))


def default_indicators(config: Config, known: set[str]) -> list[str]:
    """The first few indicators of each programme, as on the home page."""
    out: list[str] = []
    for theme in (t for t in config.themes if t.programme):
        out += [s for s in theme.indicators if s in known and s not in out][:HEADLINES_PER_PROGRAMME]
    return out


def compare_page(
    cur: duckdb.DuckDBPyConnection, config: Config, areas: str | None, indicators: str | None
) -> dict[str, Any]:
    all_inds = {r["slug"]: r for r in all_indicators(cur)}
    chosen_codes = parse_codes(areas, cur) or [*config.areas_of_interest, ENGLAND]
    chosen_slugs = parse_slugs(indicators, cur) or default_indicators(config, set(all_inds))
    names = read.area_names(cur, chosen_codes)
    used = with_equivalents_many(cur, chosen_slugs, chosen_codes)
    source_codes = sorted({c for s in chosen_slugs for c in used[s]})
    found = sorted(
        (read.plain(o) for o in read.observations_of(cur, indicators=chosen_slugs, areas=source_codes)),
        key=lambda r: r["period_start"],
    )
    series: dict[tuple[str, str], list[Row]] = {}
    for r in found:
        series.setdefault((r["indicator"], r["area_code"]), []).append(r)
    table_rows: list[Row] = []
    table: list[Row] = []
    for slug in chosen_slugs:
        ind = all_inds[slug]
        latest = {c: _latest(series.get((slug, src), [])) for c, src in zip(chosen_codes, used[slug], strict=True)}
        starts = [(r["period_start"], r["period"], r["period_label"]) for r in latest.values() if r is not None]
        common = max(starts) if starts else None
        cells = []
        for code, src in zip(chosen_codes, used[slug], strict=True):
            at = None
            if common is not None:
                at = next((r for r in series.get((slug, src), []) if r["period"] == common[1]), None)
            own = at or latest[code]
            cells.append(
                {
                    "code": code,
                    "name": names.get(code, code),
                    "source_code": src,
                    "value": own["value"] if own else None,
                    "lci_95": own["lci_95"] if own else None,
                    "uci_95": own["uci_95"] if own else None,
                    "status": own["status"] if own else None,
                    "period": own["period"] if own else None,
                    "period_label": own["period_label"] if own else None,
                    "other_period": own is not None and at is None,
                    "display": nf.value(own["value"] if own else None, nf.unit_of(ind)),
                }
            )
        table_rows.append(
            {"slug": slug, "label": ind["label"], "unit_label": unit_label(ind),
             "period_label": common[2] if common else None, "cells": cells}
        )  # fmt: skip
        table += [
            {"indicator": slug, "indicator_label": ind["label"], "area_code": c["code"], "area_name": c["name"],
             "period": c["period"], "period_label": c["period_label"], "value": c["value"], "lci_95": c["lci_95"],
             "uci_95": c["uci_95"], "status": c["status"]}
            for c in cells
        ]  # fmt: skip
    return {
        "title": "Compare areas",
        "areas": [{"code": c, "name": names.get(c, c)} for c in chosen_codes],
        "indicators": chosen_slugs,
        "rows": table_rows,
        "any_other_period": any(c["other_period"] for r in table_rows for c in r["cells"]),
        "choices": _choices(cur, config, chosen_codes, chosen_slugs, all_inds),
        "table": table,
    }


def _latest(points: list[Row]) -> Row | None:
    with_value = [p for p in points if p["value"] is not None]
    return with_value[-1] if with_value else (points[-1] if points else None)


def _choices(
    cur: duckdb.DuckDBPyConnection, config: Config, codes: list[str], slugs: list[str], inds: dict[str, Row]
) -> dict[str, Any]:
    """What the form offers: South Essex and the comparators as checkboxes, every indicator by theme."""
    offered = [*config.areas_of_interest, *config.comparators]
    names = dict(read.area_names(cur, offered))
    others = [c for c in codes if c not in offered]
    names.update(read.area_names(cur, others))
    areas = [{"code": c, "name": names.get(c, c), "selected": c in codes} for c in [*offered, *others] if c in names]
    themes = []
    placed: set[str] = set()
    for theme in config.themes:
        members = [s for s in theme.indicators if s in inds and s not in placed]
        placed.update(members)
        themes.append(_theme_choice(theme.slug, theme.name, members, inds, slugs))
    rest = [s for s in inds if s not in placed]
    if rest:
        themes.append(_theme_choice("other", "Other indicators", rest, inds, slugs))
    authorities = [a for a in areas if a["code"] in config.areas_of_interest]
    return {
        "areas": areas,
        "other_areas": ",".join(others),
        "themes": [t for t in themes if t["indicators"]],
        "names": area_names(cur),
        "neighbour_choices": authorities,
        "groups": group_choices(cur, config),
    }


def _theme_choice(slug: str, name: str, members: list[str], inds: dict[str, Row], chosen: list[str]) -> Row:
    items = [{"slug": s, "label": inds[s]["label"], "selected": s in chosen} for s in members]
    return {"slug": slug, "name": name, "indicators": items, "open": any(i["selected"] for i in items)}


# ----------------------------------------------------------------------------------------------------------------
# Choosing without codes: names typed, statistical neighbours, whole groups, whole themes

NAME_KINDS = ("ltla", "utla", "rgn", "ctry", "uk", "cauth")  # what people compare (not neighbourhoods)
MAX_AREAS = 40
MAX_NAMES = 20  # names typed in one request (/compare?names=…): each is matched against every area's name


def area_names(cur: duckdb.DuckDBPyConnection) -> list[Row]:
    """Every current area people compare (authorities, counties, regions, nations), by name: the form's list."""
    found = sorted((a for a in read.current_areas(cur) if a.type in NAME_KINDS), key=lambda a: (a.name, a.code))
    return [{"code": a.code, "name": a.name, "type": a.type} for a in found]


def resolve_names(cur: duckdb.DuckDBPyConnection, text: str) -> tuple[list[str], list[dict[str, Any]]]:
    """Area names typed by a person, separated by commas, semicolons or new lines → (codes, problems).

    Names are taken once each (case aside) and at most ``MAX_NAMES`` of them (else BadRequest, before any
    matching). A name matches exactly (case and punctuation aside, through the one name slug of ``area_names.py``); the
    form's list shows each name with its code in brackets, "Thurrock (E06000034)", which is read too. A name that
    matches nothing is a problem with up to five suggestions (label, code).
    """
    from observatory.web.data.area_names import area_code_for_name

    typed = {n.casefold(): n for n in (" ".join(raw.split())[:100] for raw in re.split(r"[,;\n]+", text)) if n}
    if len(typed) > MAX_NAMES:  # before any matching: each name is a look-up, and one request must stay short
        raise BadRequest("names", f"{len(typed)} different names in one request",
                         f"at most {MAX_NAMES} names, separated by commas")  # fmt: skip
    known = {r["code"]: r["name"] for r in area_names(cur)}
    codes: list[str] = []
    problems: list[dict[str, Any]] = []
    for name in typed.values():  # each name once, in the order first typed
        bracketed = re.fullmatch(r"(.*)\(([A-Za-z0-9-]{2,40})\)", name)
        if bracketed and bracketed.group(2) in known:
            codes.append(bracketed.group(2))
            continue
        code = area_code_for_name(cur, name)
        if code is not None:
            codes.append(code)
            continue
        choices = {c: f"{n} ({c})" for c, n in known.items()}
        problems.append({"name": name, "suggestions": [(label, url.rsplit("/", 1)[-1])
                                                       for label, url in suggest(name, choices, "/")]})  # fmt: skip
    return codes, problems


def statistical_neighbours(cur: duckdb.DuckDBPyConnection, code: str) -> list[str]:
    """The authority and its statistical neighbours, nearest first (the release's ``neighbours`` table)."""
    return [code, *(r.neighbour_code for r in sorted(read.neighbours(cur, code), key=lambda r: r.rank))]


def group_members(cur: duckdb.DuckDBPyConnection, config: Config, key: str) -> list[str]:
    """A configured group's members (``south-essex``), or the current local authorities within a county,
    region or nation (by code, from ``area_relations``); [] when ``key`` is neither."""
    group = config.group(key)
    if group is not None:
        return list(group.members)
    return [a.code for a in read.current_authorities_in(cur, key)]


def group_choices(cur: duckdb.DuckDBPyConnection, config: Config) -> list[Row]:
    """Groups offered in one action: the configured groups, then the counties and regions of the authorities."""
    out = [{"key": g.slug, "name": f"{g.name} ({len(g.members)} authorities)"} for g in config.groups]
    found = read.parents_of(cur, config.areas_of_interest)
    out += [{"key": p.code, "name": f"Every authority in {p.name} ({p.n})"} for p in found]
    return out


def theme_indicators(config: Config, slug: str, known: set[str]) -> list[str]:
    theme = next((t for t in config.themes if t.slug == slug), None)
    if theme is None:
        raise BadRequest("theme", f"unknown theme {slug[:40]!r}", ", ".join(t.slug for t in config.themes))
    return [s for s in theme.indicators if s in known]


def added_view(
    cur: duckdb.DuckDBPyConnection,
    config: Config,
    codes: list[str],
    slugs: list[str],
    *,
    names: str | None = None,
    neighbours_of: str | None = None,
    group: str | None = None,
    theme: str | None = None,
) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    """The chosen areas and indicators after the one-step additions: (codes, slugs, problems with names).

    ``codes``/``slugs`` are the choices so far (already checked); additions keep their order and never repeat.
    Raises BadRequest for an unknown group, theme or neighbours authority, or more than 40 areas.
    """
    problems: list[dict[str, Any]] = []
    add: list[str] = []
    if names:
        found, problems = resolve_names(cur, names)
        add += found
    if neighbours_of:
        parse_codes(neighbours_of, cur, "neighbours_of")
        add += statistical_neighbours(cur, neighbours_of)
    if group:
        members = group_members(cur, config, group)
        if not members:
            raise BadRequest("group", f"unknown group {group[:40]!r}", "south-essex, or a county or region code")
        add += members
    out_codes = list(dict.fromkeys([*codes, *add]))
    if len(out_codes) > MAX_AREAS:
        raise BadRequest("areas", "too many areas", f"at most {MAX_AREAS} areas")
    out_slugs = list(slugs)
    if theme:
        known = {i.slug for i in read.indicators(cur)}
        out_slugs = list(dict.fromkeys([*out_slugs, *theme_indicators(config, theme, known)]))[:MAX_INDICATORS]
    return out_codes, out_slugs, problems
