"""Data for the indicator list and the indicator page (also served as .json and .csv)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import duckdb

from observatory import format as nf
from observatory.config import Config
from observatory.release import read
from observatory.release.schema import ComparisonRow, TrendRow
from observatory.stats.derive import PEER_SET
from observatory.web.data.common import (
    LICENCE_URL,
    Row,
    area_lists,
    indicator,
    parse_codes,
    unit_label,
    with_equivalents_many,
)
from observatory.web.data.freshness import freshness


def indicator_list(cur: duckdb.DuckDBPyConnection, config: Config) -> dict[str, Any]:
    """Every indicator, grouped by theme (an indicator can sit in several themes; unthemed ones last)."""
    keys = (
        "slug",
        "label",
        "subtitle",
        "unit",
        "themes",
        "experimental",
        "first_period",
        "last_period",
        "observations",
    )
    found = [{k: getattr(i, k) for k in keys} for i in read.indicators(cur)]
    by_slug = {r["slug"]: r for r in found}
    themes = []
    placed: set[str] = set()
    for theme in config.themes:
        members = [by_slug[s] for s in theme.indicators if s in by_slug]
        placed.update(r["slug"] for r in members)
        themes.append({"slug": theme.slug, "name": theme.name, "aim": theme.aim, "indicators": members})
    rest = [r for r in found if r["slug"] not in placed]
    if rest:
        themes.append({"slug": "other", "name": "Other indicators", "aim": "", "indicators": rest})
    table = [
        {"slug": r["slug"], "label": r["label"], "unit": r["unit"], "first_period": r["first_period"],
         "last_period": r["last_period"], "observations": r["observations"], "themes": ";".join(r["themes"] or [])}
        for r in found
    ]  # fmt: skip
    return {"title": "Indicators", "themes": themes, "count": len(found), "table": table}


def _series(cur: duckdb.DuckDBPyConnection, slug: str, codes: list[str], ind: Row) -> list[dict[str, Any]]:
    names = read.area_names(cur, codes)
    keys = ("area_code", "period", "period_label", "period_start", "period_duration", "value", "lci_95", "uci_95",
            "status", "notes")  # fmt: skip
    found = [
        {"area_name": names.get(o.area_code, o.area_code), **{k: getattr(o, k) for k in keys}}
        for o in read.observations_of(cur, indicators=[slug], areas=codes)
    ]
    by_area: dict[str, list[Row]] = {c: [] for c in codes}
    for r in found:
        r["display"] = nf.value(r["value"], nf.unit_of(ind))
        by_area[r["area_code"]].append(r)
    return [{"code": c, "name": names.get(c, c), "points": pts} for c, pts in by_area.items()]


def _latest_ltla_period(cur: duckdb.DuckDBPyConnection, slug: str) -> Row | None:
    found = read.latest_authority_period(cur, slug)
    return None if found is None else read.plain(found)


def _ranking(cur: duckdb.DuckDBPyConnection, slug: str, period: str, config: Config, ind: Row) -> list[Row]:
    """Every authority with a value at the period: English lower-tier ones with their rank from the build's
    ``ranks`` table (the peer set every rank sentence uses), then the rest of the UK, unranked."""
    found = [read.plain(r) for r in read.ranking(cur, slug, period)]
    ours = set(config.areas_of_interest)
    for r in found:
        r["south_essex"] = r["code"] in ours
        r["display"] = nf.value(r["value"], nf.unit_of(ind))
    return found


def _with_equivalents(cur: duckdb.DuckDBPyConnection, slug: str, codes: list[str]) -> list[str]:
    """A comparator the publisher keys differently (England as ITL1 TLB) is replaced by its same-as area."""
    return with_equivalents_many(cur, [slug], codes)[slug]


def _judgements(cur: duckdb.DuckDBPyConnection, slug: str, codes: list[str], names: dict[str, str]) -> list[Row]:
    """Each authority's latest comparison with England and its trend, from the release's statistics tables."""
    comparisons = read.comparisons(cur, indicators=[slug], areas=codes, roles=["england"])
    trends = read.trends(cur, indicators=[slug], areas=codes)
    out = []
    for code in codes:
        comparison, trend = _newest(comparisons, code), _newest(trends, code)
        if comparison is None and trend is None:
            continue
        out.append({"code": code, "name": names.get(code, code), "comparison": _result(comparison),
                    "trend": _result(trend)})  # fmt: skip
    return out


def _newest(found: list[ComparisonRow] | list[TrendRow], code: str) -> ComparisonRow | TrendRow | None:
    """The area's result for its most recent period (ISO periods sort by their start)."""
    return max((r for r in found if r.area_code == code), key=lambda r: r.period, default=None)


def _result(r: ComparisonRow | TrendRow | None) -> Row | None:
    if r is None:
        return None
    return {"period": r.period, "period_label": r.period_label, "method": r.method, "outcome": r.outcome,
            "judgement": r.judgement, "reason": r.reason, "sentence": r.sentence}  # fmt: skip


def indicator_page(
    cur: duckdb.DuckDBPyConnection, config: Config, slug: str, areas: str | None = None
) -> dict[str, Any]:
    ind = indicator(cur, slug)
    ours, comparators = area_lists(config)
    comparators = _with_equivalents(cur, slug, comparators)
    chosen = parse_codes(areas, cur) or [*ours, *comparators]
    series = _series(cur, slug, chosen, ind)
    names = read.area_names(cur, [*ours, *comparators])
    choices = [{"code": c, "name": names.get(c, c), "selected": c in chosen} for c in [*ours, *comparators]]
    durations = Counter(p["period_duration"] for s in series for p in s["points"])
    latest = _latest_ltla_period(cur, slug)
    ranking = _ranking(cur, slug, latest["period"], config, ind) if latest else []
    periods = sorted(
        {(p["period_start"], p["period"], p["period_label"]) for s in series for p in s["points"]}, reverse=True
    )
    lookup = {(s["code"], p["period"]): p for s in series for p in s["points"]}
    table = [
        {
            "area_code": s["code"],
            "area_name": s["name"],
            "period": p["period"],
            "period_label": p["period_label"],
            "value": p["value"],
            "lci_95": p["lci_95"],
            "uci_95": p["uci_95"],
            "status": p["status"],
        }
        for s in series
        for p in s["points"]
    ]
    main = durations.most_common(1)[0][0] if durations else None
    as_of = read.release_info(cur).created.date()
    fresh = freshness(ind.get("source_date"), [p["period_start"] for s in series for p in s["points"]
                                               if p["period_duration"] == main], as_of)  # fmt: skip
    return {
        "title": ind["label"],
        "freshness": fresh,
        "indicator": {**ind, "unit_label": unit_label(ind), "licence_url": LICENCE_URL},
        "selected": chosen,
        "choices": choices,
        "areas_of_interest": ours,
        "comparators": comparators,
        "series": series,
        "mixed_durations": len(durations) > 1,
        "periods": [{"period": p, "label": lab} for _s, p, lab in periods],
        "cells": {f"{code}|{period}": pt["display"] for (code, period), pt in lookup.items()},
        "has_ci": any(p["lci_95"] is not None for s in series for p in s["points"]),
        "latest": latest,
        "ranking": ranking,
        "ranked_peers": next((r["peers"] for r in ranking if r["peers"] is not None), 0),
        "peer_set": PEER_SET,
        "judgements": _judgements(cur, slug, ours, names),
        "table": table,
        "downloads": {
            "csv": f"/indicators/{slug}.csv",
            "json": f"/indicators/{slug}.json",
            "xlsx": f"/api/v1/observations?indicator={slug}&format=xlsx",
        },
        "api": f"/api/v1/observations?indicator={slug}&area={','.join(chosen)}",
    }
