"""Data for /invest: an investor evidence pack for South Essex, generated from the release.

Every figure comes from the release: the six authorities' latest values beside England (the ITL1 "England"
where the publisher gives no E92000001 value, as for GVA per hour worked), the median of each authority's ten
statistical neighbours at the same period, South Essex only where the release has a complete aggregate, the
productivity index (England = 100) and the strongest sectors by location quotient per ITL3 area. Nothing here
is typed by hand except which indicators belong in which section.
"""

from __future__ import annotations

from typing import Any

import duckdb

from observatory import format as nf
from observatory.config import Config
from observatory.release import read, schema
from observatory.stats.productivity import EXCLUSION_RULE
from observatory.web.data.areas import ENGLAND
from observatory.web.data.common import SOUTH_ESSEX, Row, rows, unit_label, with_equivalents_many

GVA = "gross-value-added-per-hour-worked"
SECTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("productivity", "Productivity", (GVA, "gross-value-added-per-filled-job")),
    ("workforce", "Workforce and skills",
     ("employment-rate", "level-3-or-above-qualifications-great-britain", "gross-median-weekly-pay")),
    ("business", "Business base and survival",
     ("active-businesses", "business-births", "one-year-survival-rate", "five-year-survival-rate",
      "high-growth-businesses")),
    ("connectivity", "Connectivity",
     ("gigabit-capable-broadband", "4g-coverage", "5g-coverage",
      "residents-within-a-30-minute-walk-of-their-nearest-railway-station")),
    ("housing", "Housing affordability", ("housing-affordability-ratio-residence-based",)),
)  # fmt: skip
TOP_SECTORS = 5


TOTAL_NOTE = "not compared (a total)"


def _indicators(cur: duckdb.DuckDBPyConnection, slugs: list[str]) -> dict[str, Row]:
    """Indicators with their reviewed aggregation (``sum`` marks a total, never benchmarked against England's)."""
    aggregation = {slug: j.aggregation for slug, j in read.judgements(cur).items()}
    return {
        r.slug: {**schema.INDICATORS.as_dict(r), "aggregation": aggregation.get(r.slug, "not-aggregable")}
        for r in read.indicators(cur, slugs)
    }


def _neighbours(cur: duckdb.DuckDBPyConnection, codes: list[str]) -> dict[str, list[str]]:
    return {c: [n.neighbour_code for n in read.neighbours(cur, c)] for c in codes}


def _latest_period(cur: duckdb.DuckDBPyConnection, slug: str, codes: list[str]) -> Row | None:
    found = rows(
        cur,
        "SELECT period, period_label, period_start FROM observations WHERE indicator = $s "
        "AND area_code IN (SELECT unnest($c)) AND value IS NOT NULL ORDER BY period_start DESC, period DESC LIMIT 1",
        {"s": slug, "c": codes},
    )
    return found[0] if found else None


def _values(cur: duckdb.DuckDBPyConnection, slug: str, period: str, codes: list[str]) -> dict[str, float]:
    found = rows(
        cur,
        "SELECT area_code, value FROM observations WHERE indicator = $s AND period = $p "
        "AND area_code IN (SELECT unnest($c)) AND value IS NOT NULL",
        {"s": slug, "p": period, "c": codes},
    )
    return {r["area_code"]: float(r["value"]) for r in found}


def _group_value(cur: duckdb.DuckDBPyConnection, slug: str, period: str) -> Row | None:
    """South Essex only where the release holds a complete aggregate at the same period."""
    found = rows(
        cur,
        'SELECT value, method, sentence FROM aggregates WHERE "group" = $g AND indicator = $s AND period = $p '
        "AND complete AND value IS NOT NULL",
        {"g": SOUTH_ESSEX, "s": slug, "p": period},
    )
    return found[0] if found else None


def _trend(cur: duckdb.DuckDBPyConnection, slug: str, codes: list[str]) -> dict[str, str]:
    found = rows(
        cur,
        "SELECT area_code, sentence FROM trends WHERE indicator = $s AND latest AND area_code IN (SELECT unnest($c))",
        {"s": slug, "c": codes},
    )
    return {r["area_code"]: r["sentence"] for r in found}


def _neighbour_medians(cur: duckdb.DuckDBPyConnection, slug: str, period: str, codes: list[str]) -> dict[str, Row]:
    """Median of each authority's statistical neighbours at the period (the build's ``neighbour_medians``)."""
    found = rows(
        cur,
        "SELECT area_code, median, neighbours FROM neighbour_medians WHERE indicator = $s AND period = $p "
        "AND area_code IN (SELECT unnest($c))",
        {"s": slug, "p": period, "c": codes},
    )
    return {r["area_code"]: r for r in found}


def _figure(
    cur: duckdb.DuckDBPyConnection,
    ind: Row,
    members: list[Row],
    england_code: str,
    neighbours: dict[str, list[str]],
) -> Row | None:
    slug = ind["slug"]
    codes = [m["code"] for m in members]
    latest = _latest_period(cur, slug, codes)
    if latest is None:
        return None
    period = latest["period"]
    everyone = sorted({*codes, england_code, *(n for c in codes for n in neighbours.get(c, []))})
    values = _values(cur, slug, period, everyone)
    trends = _trend(cur, slug, codes)
    total = ind["aggregation"] == "sum"  # a count grows with the area: England's total is no benchmark for it
    england = None if total else values.get(england_code)
    out_rows: list[Row] = []
    medians = _neighbour_medians(cur, slug, period, codes)
    for m in members:
        med = None if total else medians.get(m["code"])
        median = med["median"] if med else None
        value = values.get(m["code"])
        out_rows.append(
            {"code": m["code"], "name": m["name"], "value": value, "display": nf.value(value, nf.unit_of(ind)),
             "neighbours_median": median,
             "neighbours_display": TOTAL_NOTE if total else nf.value(median, nf.unit_of(ind)) if med else nf.NO_DATA,
             "neighbours_n": med["neighbours"] if med else 0,
             "vs_england": None if value is None or england is None else value - england,
             "trend": trends.get(m["code"])}
        )  # fmt: skip
    group = _group_value(cur, slug, period)
    return {
        "slug": slug,
        "label": ind["label"],
        "unit_label": unit_label(ind),
        "period": period,
        "period_label": latest["period_label"],
        "source_org": ind["source_org"],
        "source_url": ind["source_url"],
        "source_date": ind["source_date"],
        "england": {"code": england_code, "value": england,
                    "display": TOTAL_NOTE if total else nf.value(england, nf.unit_of(ind))},
        "is_total": total,
        "south_essex": None if group is None else {
            "value": group["value"], "display": nf.value(group["value"], nf.unit_of(ind)), "method": group["method"],
            "sentence": group["sentence"],
        },
        "rows": out_rows,
    }  # fmt: skip


def _productivity_index(cur: duckdb.DuckDBPyConnection, members: list[Row]) -> Row | None:
    codes = [m["code"] for m in members]
    found = rows(
        cur,
        'SELECT area_code, period, period_label, value, england_code, england_value, "index", reason '
        'FROM productivity_index WHERE area_code IN (SELECT unnest($c)) AND "index" IS NOT NULL',
        {"c": codes},
    )
    if not found:
        return None
    periods = sorted({r["period"] for r in found})
    latest, first = periods[-1], periods[0]
    by = {(r["area_code"], r["period"]): r for r in found}
    names = {m["code"]: m["name"] for m in members}
    label = {r["period"]: r["period_label"] for r in found}
    out_rows = []
    for code in codes:
        now, then = by.get((code, latest)), by.get((code, first))
        out_rows.append(
            {"code": code, "name": names[code], "index": now["index"] if now else None,
             "display": nf.number(now["index"] if now else None, 1), "reason": now["reason"] if now else None,
             "first_index": then["index"] if then else None,
             "first_display": nf.number(then["index"] if then else None, 1)}
        )  # fmt: skip
    england = next((r for r in found if r["period"] == latest), None)
    return {
        "period": latest,
        "period_label": label[latest],
        "first_period": first,
        "first_period_label": label[first],
        "england_code": england["england_code"] if england else None,
        "rows": out_rows,
    }


def _sectors(cur: duckdb.DuckDBPyConnection) -> list[Row]:
    """The five highest location quotients per ITL3 area in the release's latest year (current prices)."""
    found = rows(
        cur,
        """
        WITH latest AS (SELECT itl3_code, max(year) AS year FROM location_quotients WHERE lq IS NOT NULL
                        GROUP BY itl3_code)
        SELECT q.itl3_code, coalesce(a.name, q.itl3_code) AS itl3_name, q.sic_code, q.sic_description, q.year,
               q.lq, q.area_share, q.uk_share, q.area_value, q.prices, q.method, q.exclusion
        FROM location_quotients q JOIN latest l USING (itl3_code, year)
        LEFT JOIN areas a ON a.code = q.itl3_code
        WHERE q.lq IS NOT NULL AND q.prices = 'current'
        ORDER BY q.itl3_code, q.lq DESC, q.sic_code
        """,
    )
    areas: dict[str, Row] = {}
    for r in found:
        entry = areas.setdefault(
            r["itl3_code"],
            {"code": r["itl3_code"], "name": r["itl3_name"], "year": r["year"], "sectors": [], "excluded": []},
        )
        if r["exclusion"] is not None:
            entry["excluded"].append({"sic_code": r["sic_code"], "description": r["sic_description"],
                                      "lq_display": f"{r['lq']:.2f}", "reason": r["exclusion"]})  # fmt: skip
        elif len(entry["sectors"]) < TOP_SECTORS:
            entry["sectors"].append(
                {"sic_code": r["sic_code"], "description": r["sic_description"], "lq": r["lq"],
                 "lq_display": nf.number(r["lq"], 2), "area_share_pct": r["area_share"] * 100,
                 "uk_share_pct": r["uk_share"] * 100, "gva_million": r["area_value"]}
            )  # fmt: skip
    return list(areas.values())


def invest_page(cur: duckdb.DuckDBPyConnection, config: Config) -> dict[str, Any]:
    """The evidence pack: each section's figures for the six authorities against England and neighbours."""
    ours = list(config.areas_of_interest)
    names = read.area_names(cur, ours)
    members: list[Row] = [{"code": c, "name": names[c]} for c in ours if c in names]
    wanted = [s for _, _, slugs in SECTIONS for s in slugs]
    indicators = _indicators(cur, wanted)
    present = [s for s in wanted if s in indicators]
    england_for = with_equivalents_many(cur, present, [ENGLAND])
    neighbours = _neighbours(cur, [m["code"] for m in members])
    sections: list[Row] = []
    table: list[Row] = []
    sources: dict[str, Row] = {}
    for key, title, slugs in SECTIONS:
        figures = []
        for slug in slugs:
            if slug not in indicators:
                continue
            fig = _figure(cur, indicators[slug], members, england_for[slug][0], neighbours)
            if fig is None:
                continue
            figures.append(fig)
            sources.setdefault(str(fig["source_org"]), {"org": fig["source_org"], "indicators": []})
            sources[str(fig["source_org"])]["indicators"].append(fig["label"])
            for r in fig["rows"]:
                table.append(
                    {"section": key, "indicator": slug, "indicator_label": fig["label"], "period": fig["period"],
                     "period_label": fig["period_label"], "area_code": r["code"], "area_name": r["name"],
                     "value": r["value"], "england_code": fig["england"]["code"],
                     "england_value": fig["england"]["value"],
                     "neighbours_median": r["neighbours_median"], "neighbours_with_data": r["neighbours_n"],
                     "source": fig["source_org"]}
                )  # fmt: skip
            if fig["south_essex"] is not None:
                table.append(
                    {"section": key, "indicator": slug, "indicator_label": fig["label"], "period": fig["period"],
                     "period_label": fig["period_label"], "area_code": SOUTH_ESSEX, "area_name": "South Essex",
                     "value": fig["south_essex"]["value"], "england_code": fig["england"]["code"],
                     "england_value": fig["england"]["value"], "neighbours_median": None,
                     "neighbours_with_data": None, "source": fig["source_org"]}
                )  # fmt: skip
        sections.append({"slug": key, "title": title, "figures": figures})
    from observatory.web.data.business import business_base_summary, labour_pool

    return {
        "title": "Invest in South Essex: the evidence",
        "members": members,
        "labour_pool": labour_pool(cur, config),
        "business_base": business_base_summary(cur, config),
        "productivity_index": _productivity_index(cur, members),
        "sections": sections,
        "sectors": _sectors(cur),
        "sector_rule": EXCLUSION_RULE,
        "sources": list(sources.values()),
        "table": table,
    }
