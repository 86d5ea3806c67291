"""Data for the home page: South Essex at a glance, a few headline indicators per programme."""

from __future__ import annotations

from typing import Any

import duckdb

from observatory import format as nf
from observatory.config import Config
from observatory.web.data.common import Row, all_indicators, rows, with_equivalents_many

HEADLINES_PER_PROGRAMME = 3
ENGLAND = "E92000001"


def _headline(cur: duckdb.DuckDBPyConnection, ind: Row, codes: list[str]) -> dict[str, Any] | None:
    """Latest value for each authority, change since the previous period and over five periods."""
    england = with_equivalents_many(cur, [ind["slug"]], [ENGLAND])[ind["slug"]][0]  # e.g. TLB for GVA
    found = rows(
        cur,
        """
        WITH ranked AS (
          SELECT o.area_code, a.name, o.period, o.period_label, o.period_start, o.value,
                 dense_rank() OVER (PARTITION BY o.area_code ORDER BY o.period_start DESC) AS back
          FROM observations o JOIN areas a ON a.code = o.area_code
          WHERE o.indicator = $slug AND o.area_code IN (SELECT unnest($codes)) AND o.value IS NOT NULL
        )
        SELECT area_code, name, back, period, period_label, value FROM ranked WHERE back IN (1, 2, 6)
        """,
        {"slug": ind["slug"], "codes": [*codes, england]},
    )
    if not found:
        return None
    by_area: dict[str, dict[int, Row]] = {}
    for r in found:
        by_area.setdefault(r["area_code"], {})[r["back"]] = r
    areas = []
    for code in [*codes, england]:
        points = by_area.get(code)
        if not points or 1 not in points:
            continue
        latest = points[1]
        prev, five = points.get(2), points.get(6)
        areas.append(
            {
                "code": code,
                "name": latest["name"],
                "period": latest["period_label"],
                "value": latest["value"],
                "display": nf.value(latest["value"], nf.unit_of(ind)),
                "change_1": None if prev is None else latest["value"] - prev["value"],
                "change_1_from": None if prev is None else prev["period_label"],
                "change_5": None if five is None else latest["value"] - five["value"],
                "change_5_from": None if five is None else five["period_label"],
                "is_england": code == england,
            }
        )
    return {"indicator": ind, "areas": areas}


def home_page(cur: duckdb.DuckDBPyConnection, config: Config) -> dict[str, Any]:
    indicators = {r["slug"]: r for r in all_indicators(cur)}
    programmes = []
    table: list[dict[str, Any]] = []
    for theme in (t for t in config.themes if t.programme):
        headlines: list[dict[str, Any]] = []
        for slug in theme.indicators:
            if slug not in indicators or len(headlines) >= HEADLINES_PER_PROGRAMME:
                continue
            headline = _headline(cur, indicators[slug], list(config.areas_of_interest))
            if headline:
                headlines.append(headline)
                table += [
                    {"programme": theme.name, "indicator": slug, "area_code": a["code"], "area_name": a["name"],
                     "period": a["period"], "value": a["value"], "change_since_previous": a["change_1"],
                     "change_over_five_periods": a["change_5"]}
                    for a in headline["areas"]
                ]  # fmt: skip
        programmes.append({"slug": theme.slug, "name": theme.name, "aim": theme.aim, "headlines": headlines})
    return {"title": config.deployment.name, "programmes": programmes, "table": table}
