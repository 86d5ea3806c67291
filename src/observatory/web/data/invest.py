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
from observatory.stats.productivity import EXCLUSION_RULE, STRENGTH_RULE, TOP_STRENGTHS, is_strength
from observatory.web.data.areas import ENGLAND
from observatory.web.data.common import SOUTH_ESSEX, Row, unit_label, with_equivalents_many

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


TOTAL_NOTE = nf.NOT_COMPARABLE


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
    found = read.latest_periods(cur, [slug], codes).get(slug)
    return None if found is None else read.plain(found)


def _values(cur: duckdb.DuckDBPyConnection, slug: str, period: str, codes: list[str]) -> dict[str, float]:
    return {o.area_code: o.value for o in read.observations_at(cur, [(slug, period)], codes) if o.value is not None}


def _group_value(cur: duckdb.DuckDBPyConnection, slug: str, period: str) -> Row | None:
    """South Essex only where the release holds a complete aggregate at the same period."""
    found = [
        a
        for a in read.aggregates(cur, [SOUTH_ESSEX], indicators=[slug])
        if a.period == period and a.complete and a.value is not None
    ]
    return {"value": found[0].value, "method": found[0].method, "sentence": found[0].sentence} if found else None


def _trend(cur: duckdb.DuckDBPyConnection, slug: str, codes: list[str]) -> dict[str, str]:
    return {t.area_code: t.sentence for t in read.trends(cur, indicators=[slug], areas=codes) if t.latest}


def _neighbour_medians(cur: duckdb.DuckDBPyConnection, slug: str, period: str, codes: list[str]) -> dict[str, Row]:
    """Median of each authority's statistical neighbours at the period (the build's ``neighbour_medians``)."""
    return {code: read.plain(m) for code, m in read.neighbour_medians(cur, slug, period, codes).items()}


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
    found = [read.plain(p) for p in read.productivity_index(cur, codes) if p.index is not None]
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
    """Sector strengths per ITL3 area in its latest year (current prices): industries with a location quotient
    above 1 that the exclusion rule does not exclude, highest first, at most ``TOP_STRENGTHS``
    (:data:`~observatory.stats.productivity.STRENGTH_RULE`); ``excluded`` lists the industries the exclusion rule
    leaves out, with the reason; ``fewer`` is a sentence when fewer than
    ``TOP_STRENGTHS`` industries qualify, else None."""
    names = read.area_names(cur, sorted({q.itl3_code for q in read.latest_location_quotients(cur)}))
    areas: dict[str, Row] = {}
    for q in read.latest_location_quotients(cur):
        entry = areas.setdefault(
            q.itl3_code,
            {"code": q.itl3_code, "name": names.get(q.itl3_code, q.itl3_code), "year": q.year, "sectors": [],
             "excluded": [], "fewer": None},
        )  # fmt: skip
        if q.exclusion is not None:
            entry["excluded"].append({"sic_code": q.sic_code, "description": q.sic_description,
                                      "lq_display": nf.number(q.lq, 2), "reason": q.exclusion})  # fmt: skip
        elif is_strength(q.lq, q.exclusion) and len(entry["sectors"]) < TOP_STRENGTHS:
            entry["sectors"].append(
                {"sic_code": q.sic_code, "description": q.sic_description, "lq": q.lq,
                 "lq_display": nf.number(q.lq, 2), "area_share_pct": q.area_share * 100,
                 "uk_share_pct": q.uk_share * 100, "gva_million": q.area_value}
            )  # fmt: skip
    for entry in areas.values():
        n = len(entry["sectors"])
        if n < TOP_STRENGTHS:
            entry["fewer"] = (
                f"Only {_count_words(n)} industr{'y has' if n == 1 else 'ies have'} a location quotient above 1 in "
                f"{entry['name']} in {entry['year']} (after the exclusions), so "
                f"{'no industry is' if n == 0 else 'only ' + ('that one is' if n == 1 else 'those are')} listed."
            )
    return list(areas.values())


def _count_words(n: int) -> str:
    return ("no", "one", "two", "three", "four")[n] if n < 5 else str(n)


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
                     "source": nf.organisations(fig["source_org"])}
                )  # fmt: skip
            if fig["south_essex"] is not None:
                table.append(
                    {"section": key, "indicator": slug, "indicator_label": fig["label"], "period": fig["period"],
                     "period_label": fig["period_label"], "area_code": SOUTH_ESSEX, "area_name": "South Essex",
                     "value": fig["south_essex"]["value"], "england_code": fig["england"]["code"],
                     "england_value": fig["england"]["value"], "neighbours_median": None,
                     "neighbours_with_data": None, "source": nf.organisations(fig["source_org"])}
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
        "strength_rule": STRENGTH_RULE,
        "sources": list(sources.values()),
        "table": table,
    }
