"""Data for the home page: South Essex at a glance, a few headline indicators per programme."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import duckdb

from observatory import format as nf
from observatory.config import Config
from observatory.release import read
from observatory.release.schema import AggregateRow
from observatory.web.data.common import Row, all_indicators, with_equivalents_many

HEADLINES_PER_PROGRAMME = 3
ENGLAND = "E92000001"


def _headline(cur: duckdb.DuckDBPyConnection, ind: Row, codes: list[str]) -> dict[str, Any] | None:
    """Latest value for each authority (the latest period with a value of the indicator's main period type:
    ``trends.latest``) and its change from exactly 1 and 5 periods earlier (the build's ``changes``; none across
    a gap)."""
    england = with_equivalents_many(cur, [ind["slug"]], [ENGLAND])[ind["slug"]][0]  # e.g. TLB for GVA
    found = [read.plain(r) for r in read.headline_trends(cur, ind["slug"], [*codes, england])]
    if not found:
        return None
    by_area = {r["area_code"]: r for r in found}
    areas = []
    for code in [*codes, england]:
        latest = by_area.get(code)
        if latest is None:
            continue
        areas.append(
            {
                "code": code,
                "name": latest["name"],
                "period": latest["period_label"],
                "value": latest["value"],
                "display": nf.value(latest["value"], nf.unit_of(ind)),
                "change_1": latest["change_1"],
                "change_1_from": latest["change_1_from"],
                "change_5": latest["change_5"],
                "change_5_from": latest["change_5_from"],
                "status": latest["status"],
                "is_england": code == england,
            }
        )
    return {"indicator": ind, "areas": areas, "since_1": _common(a["change_1_from"] for a in areas),
            "since_5": _common(a["change_5_from"] for a in areas)}  # fmt: skip


def _common(labels: Iterable[str | None]) -> str | None:
    """The one period every area's change is measured from (for a plain heading: "Change since 2019"), else None."""
    found = {label for label in labels if label is not None}
    return found.pop() if len(found) == 1 else None


def group_figure(cur: duckdb.DuckDBPyConnection, group: str, ind: Row) -> dict[str, Any] | None:
    """The group's own figure for its newest period from the release's ``aggregates`` table: a value where the
    rules allow (a sum, or summed numerators over summed denominators, all members with data), else the plain
    sentence saying why not; None when the release has no group value row for the indicator."""
    found = read.aggregates(cur, [group], indicators=[ind["slug"]])
    if not found:
        return None
    newest = max(found, key=lambda r: str(r.period))
    usable = newest.complete and newest.value is not None
    return {"period": newest.period_label, "value": newest.value if usable else None,
            "display": nf.value(newest.value, nf.unit_of(ind)) if usable else None,
            "why_not": None if usable else why_no_group_figure(newest), "method": newest.method}  # fmt: skip


def why_no_group_figure(agg: AggregateRow) -> str:
    """Why a group has no figure, in plain words (the build's own ``reason`` names files and rules)."""
    have, total = agg.members_with_data, agg.members_total
    if agg.rule == "not-aggregable":
        return "this measure cannot be added up from the authorities' own figures"
    if agg.rule == "ratio" and have == 0:
        return "the publisher does not give the counts behind the authorities' rates, and averaging rates is wrong"
    if have < total:
        return f"{total - have} of the {total} authorities have no figure for {agg.period_label}"
    return "the figures needed to compute it are not in this release"


def home_page(cur: duckdb.DuckDBPyConnection, config: Config) -> dict[str, Any]:
    indicators = {r["slug"]: r for r in all_indicators(cur)}
    programmes: list[dict[str, Any]] = []
    table: list[dict[str, Any]] = []
    group = config.groups[0] if config.groups else None  # South Essex
    for theme in (t for t in config.themes if t.programme):
        headlines: list[dict[str, Any]] = []
        for slug in theme.indicators:
            if slug not in indicators or len(headlines) >= HEADLINES_PER_PROGRAMME:
                continue
            headline = _headline(cur, indicators[slug], list(config.areas_of_interest))
            if headline:
                headline["group"] = group_figure(cur, group.slug, indicators[slug]) if group else None
                headline["group_name"] = group.name if group else None
                headlines.append(headline)
                table += [
                    {"programme": theme.name, "indicator": slug, "area_code": a["code"], "area_name": a["name"],
                     "period": a["period"], "value": a["value"], "change_since_previous": a["change_1"],
                     "change_over_five_periods": a["change_5"]}
                    for a in headline["areas"]
                ]  # fmt: skip
        programmes.append({"slug": theme.slug, "name": theme.name, "aim": theme.aim, "headlines": headlines})
    groups = [h["group"] for prog in programmes for h in prog["headlines"] if h.get("group")]
    group_counts = {"name": group.name if group else None, "with_figure": sum(g["value"] is not None for g in groups),
                    "headlines": len(groups)}  # fmt: skip
    return {"title": config.deployment.name, "programmes": programmes, "table": table, "group_counts": group_counts}
