"""Data for /themes/{slug}: a theme's aim and its indicators for the six authorities beside England.

Each indicator is shown at the latest period any South Essex authority has, so the six values in a row are
for the same period; England's value is for that period too (or its ITL1 equivalent where the publisher keys
England that way).
"""

from __future__ import annotations

from typing import Any

import duckdb

from observatory import format as nf
from observatory.config import Config, Theme
from observatory.release import read
from observatory.web.data.areas import ENGLAND
from observatory.web.data.common import Row, all_indicators, suggest, unit_label, with_equivalents_many
from observatory.web.errors import NotFound

OTHER = "other"


def find_theme(config: Config, slug: str, known: set[str]) -> Theme:
    """The configured theme, or "other" (indicators in no theme); unknown slugs → 404 with suggestions."""
    for theme in config.themes:
        if theme.slug == slug:
            return theme
    placed = {s for t in config.themes for s in t.indicators}
    if slug == OTHER and known - placed:
        return Theme(slug=OTHER, name="Other indicators", aim="Indicators outside the strategy's themes.",
                     indicators=sorted(known - placed))  # fmt: skip
    choices = {t.slug: t.name for t in config.themes}
    raise NotFound(f"There is no theme “{slug}”.", suggest(slug, choices, "/themes/") or
                   [(t.name, f"/themes/{t.slug}") for t in config.themes])  # fmt: skip


def theme_page(cur: duckdb.DuckDBPyConnection, config: Config, slug: str) -> dict[str, Any]:
    inds = {r["slug"]: r for r in all_indicators(cur)}
    theme = find_theme(config, slug, set(inds))
    ours = list(config.areas_of_interest)
    slugs = [s for s in theme.indicators if s in inds]
    used = with_equivalents_many(cur, slugs, [ENGLAND])
    england_src = {s: used[s][0] for s in slugs}
    names = read.area_names(cur, [*ours, ENGLAND])
    latest = {
        slug: {"indicator": slug, "period": p.period, "label": p.period_label}
        for slug, p in read.latest_periods(cur, slugs, ours).items()
    }
    pairs = [(slug, r["period"]) for slug, r in latest.items()]
    values = {
        (r.indicator, r.area_code): read.plain(r)
        for r in read.observations_at(cur, pairs, [*ours, *set(england_src.values())])
    }
    items = []
    table: list[Row] = []
    for s in slugs:
        ind = inds[s]
        period = latest.get(s)
        cells = []
        for code in [*ours, ENGLAND]:
            src = england_src[s] if code == ENGLAND else code
            obs = values.get((s, src)) if period else None
            cells.append({
                "code": code, "name": names.get(code, code), "source_code": src,
                "value": obs["value"] if obs else None, "status": obs["status"] if obs else None,
                "lci_95": obs["lci_95"] if obs else None, "uci_95": obs["uci_95"] if obs else None,
                "display": nf.value(obs["value"] if obs else None, nf.unit_of(ind)), "is_england": code == ENGLAND,
            })  # fmt: skip
        items.append(
            {"slug": s, "label": ind["label"], "subtitle": ind["subtitle"], "unit_label": unit_label(ind),
             "experimental": ind["experimental"], "period": period["period"] if period else None,
             "period_label": period["label"] if period else None, "cells": cells}
        )  # fmt: skip
        table += [
            {"theme": theme.slug, "indicator": s, "indicator_label": ind["label"],
             "period": period["period"] if period else None, "period_label": period["label"] if period else None,
             "area_code": c["code"], "area_name": c["name"], "value": c["value"], "lci_95": c["lci_95"],
             "uci_95": c["uci_95"], "status": c["status"]}
            for c in cells
        ]  # fmt: skip
    missing = [s for s in theme.indicators if s not in inds]
    return {
        "title": theme.name,
        "theme": {"slug": theme.slug, "name": theme.name, "aim": theme.aim, "programme": theme.programme},
        "areas": [{"code": c, "name": names.get(c, c)} for c in [*ours, ENGLAND]],
        "indicators": items,
        "not_in_release": missing,
        "others": [{"slug": t.slug, "name": t.name} for t in config.themes if t.slug != theme.slug],
        "table": table,
    }
