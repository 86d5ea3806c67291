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
    """Latest value for each authority (the latest period with a value of the indicator's main period type:
    ``trends.latest``) and its change from exactly 1 and 5 periods earlier (the build's ``changes``; none across
    a gap)."""
    england = with_equivalents_many(cur, [ind["slug"]], [ENGLAND])[ind["slug"]][0]  # e.g. TLB for GVA
    found = rows(
        cur,
        """
        SELECT l.area_code, a.name, l.period, l.period_label, l.last_value AS value,
               c1.change AS change_1, c1.from_label AS change_1_from, c5.change AS change_5,
               c5.from_label AS change_5_from
        FROM trends l JOIN areas a ON a.code = l.area_code
        LEFT JOIN changes c1 ON c1.indicator = l.indicator AND c1.area_code = l.area_code AND c1.period = l.period
             AND c1.periods_back = 1
        LEFT JOIN changes c5 ON c5.indicator = l.indicator AND c5.area_code = l.area_code AND c5.period = l.period
             AND c5.periods_back = 5
        WHERE l.indicator = $slug AND l.latest AND l.area_code IN (SELECT unnest($codes))
        """,
        {"slug": ind["slug"], "codes": [*codes, england]},
    )
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
