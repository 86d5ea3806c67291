"""Data for /business, /commuting and /future-work: the business base, where people work, apprenticeships.

Each function reads the release's tables written by the build (``business_structure``, ``business_change``,
``commuting_summary``, ``commuting_flows``, ``apprenticeship_training``, ``aps_counts``, observations and
aggregates) and returns one dict: the page, its ``.json`` and its ``.csv`` (the ``table`` key). Shares,
quotients, categories and group totals are computed by the build; these functions select and label them.
"""

from __future__ import annotations

from typing import Any

import duckdb

from observatory import format as nf
from observatory.config import Config
from observatory.release import read, schema
from observatory.sources.census_od import CATEGORY_LABELS, ORIGIN_LABELS
from observatory.stats.business import EXCLUSION_RULE as LQ_EXCLUSION_RULE
from observatory.stats.business import METHOD as LQ_METHOD
from observatory.web.data.areas import ENGLAND, not_benchmarked
from observatory.web.data.common import SOUTH_ESSEX, Row
from observatory.web.errors import NotFound

BANDS = (("micro", "Micro (0–9)"), ("small", "Small (10–49)"), ("medium", "Medium (50–249)"), ("large", "Large (250+)"))
UBC_SOURCE = "Office for National Statistics – UK Business Counts (IDBR), via Nomis"
CENSUS_SOURCE = "Office for National Statistics – Census 2021, origin–destination table ODWP01EW"
DFE_SOURCE = "Department for Education – Individualised Learner Record (apprenticeships provider dashboard data)"
APS_SOURCE = "Office for National Statistics – Annual Population Survey (T01), via Nomis"
TOP_FLOWS = 10
STATUS_SHORT = {  # the APS symbols' statuses, short enough for a table cell (the full text is in notes)
    "suppressed": "withheld: sample 0–2",
    "unreliable": "small sample: no interval",
    "missing": "missing",
    "below-500": "estimate below 500",
    "not-combinable": "a member's count is withheld",
}
TRAINING_LABELS = {
    "own": "In their own authority",
    "group": "In another South Essex authority",
    "elsewhere": "Elsewhere in England",
    "unknown": "Outside England or unknown",
}


def _pct(value: float | None, decimals: int = 1) -> str:
    """A share (0–1) as a percentage, through the one formatter."""
    return nf.value(None if value is None else 100 * value, nf.Unit(suffix="%", decimals=decimals))


def _count(value: float | None) -> str:
    return nf.number(value, 0)


def _choices(cur: duckdb.DuckDBPyConnection, config: Config) -> list[Row]:
    names = read.area_names(cur, config.areas_of_interest)
    group = config.group(SOUTH_ESSEX)
    out = [{"code": SOUTH_ESSEX, "name": group.name if group else "South Essex"}]
    out += [{"code": c, "name": names.get(c, c)} for c in config.areas_of_interest]
    return out


def _chosen(cur: duckdb.DuckDBPyConnection, config: Config, code: str, base: str) -> tuple[Row, list[Row]]:
    choices = _choices(cur, config)
    found = next((c for c in choices if c["code"] == code), None)
    if found is None:
        raise NotFound(f"no page for {code[:40]!r} here", [(c["name"], f"{base}/{c['code']}") for c in choices])
    return found, choices


def business_page(cur: duckdb.DuckDBPyConnection, config: Config, code: str = SOUTH_ESSEX) -> dict[str, Any]:
    """The business base of South Essex or one authority: size bands, sector × size, quotients, change."""
    area, choices = _chosen(cur, config, code, "/business")
    if not read.has_rows(cur, schema.BUSINESS_STRUCTURE):
        raise NotFound("this release has no UK Business Counts", [])
    years = read.business_years(cur)
    data: dict[str, Any] = {
        "title": f"Business base: {area['name']}",
        "area": area,
        "choices": choices,
        "years": years,
        "source": UBC_SOURCE,
        "lq_method": LQ_METHOD,
        "table": [],
    }
    if not years:
        return data
    first, latest = years[0], years[-1]
    data.update(first_year=first, latest_year=latest)
    cells = [read.plain(c) for c in read.select(cur, schema.BUSINESS_STRUCTURE, {"area_code": code, "year": latest})]
    changes = {
        (r["industry_code"], r["size_band"]): r
        for r in (read.plain(c) for c in read.select(cur, schema.BUSINESS_CHANGE, {"area_code": code}))
    }
    by_industry: dict[str, dict[str, Row]] = {}
    for c in cells:
        by_industry.setdefault(c["industry_code"], {})[c["size_band"]] = c
    total = by_industry.get("00", {})
    data["sizes"] = [
        {
            "band": band,
            "label": label,
            "count": _count(total.get(band, {}).get("count")),
            "share": _pct(total.get(band, {}).get("share")),
            "england_share": _pct(total.get(band, {}).get("england_share")),
            "change": _change(changes.get(("00", band))),
        }
        for band, label in (*BANDS, ("total", "All sizes"))
    ]
    sectors = []
    for ind_code, bands in sorted(by_industry.items()):
        if ind_code == "00":
            continue
        t = bands.get("total", {})
        sectors.append(
            {
                "code": ind_code,
                "industry": t.get("industry", ""),
                "counts": [_count(bands.get(b, {}).get("count")) for b, _ in BANDS],
                "total": _count(t.get("count")),
                "total_value": t.get("count"),
                "share": _pct(t.get("share")),
                "england_share": _pct(t.get("england_share")),
                "lq": None if t.get("lq") is None else nf.number(t["lq"], 2),
                "lq_value": t.get("lq"),
                "representation": t.get("representation"),
                "exclusion": t.get("exclusion"),
                "change": _change(changes.get((ind_code, "total"))),
            }
        )
    data["sectors"] = sectors
    data["over"] = sorted((s for s in sectors if s["representation"] == "over"), key=lambda s: -s["lq_value"])
    data["under"] = sorted((s for s in sectors if s["representation"] == "under"), key=lambda s: s["lq_value"])
    data["table"] = [
        {"area_code": code, "area_name": area["name"], "year": c["year"], "industry_code": c["industry_code"],
         "industry": c["industry"], "size_band": c["size_band"], "enterprises": c["count"],
         "share_of_area": c["share"], "england_share": c["england_share"], "location_quotient": c["lq"],
         "representation": c["representation"], "source": UBC_SOURCE}
        for c in cells
    ]  # fmt: skip
    data["itl3"] = _itl3_context(cur, config, code)
    return data


def _change(r: Row | None) -> Row | None:
    if r is None:
        return None
    pct = r["change_pct"]
    eng = r["england_change_pct"]
    return {
        "from": _count(r["from_count"]),
        "to": _count(r["to_count"]),
        "change": f"{r['change']:+,.0f}",
        "pct": "–" if pct is None else f"{pct:+.1f}%",
        "england_pct": "–" if eng is None else f"{eng:+.1f}%",
    }


def _itl3_context(cur: duckdb.DuckDBPyConnection, config: Config, code: str) -> list[Row]:
    """The ITL3 areas the authority (or group) lies in, for the GVA-by-industry link."""
    codes = list(config.areas_of_interest) if code == SOUTH_ESSEX else [code]
    parents = sorted({r.parent for r in read.area_relations(cur, codes, relations=["itl3"])})
    names = read.area_names(cur, parents)
    return [{"code": p, "name": names.get(p, p)} for p in parents]


def _indicator_values(cur: duckdb.DuckDBPyConnection, slugs: list[str], code: str, comparators: list[str]) -> list[Row]:
    """Latest value of each indicator for the area (a group: its complete aggregate) and the comparators
    ("not comparable" where the reviewed metadata says they are no benchmark: ``areas.not_benchmarked``)."""
    no_benchmark = not_benchmarked(cur)
    out = []
    for slug in slugs:
        ind = _indicator(cur, slug)
        if ind is None:
            continue
        own: Row | None
        if code == SOUTH_ESSEX:
            complete = [
                a for a in read.aggregates(cur, [code], indicators=[slug]) if a.complete and a.value is not None
            ]
            best = max(complete, key=lambda a: a.period or "", default=None)
            own = (
                None
                if best is None
                else {"value": best.value, "period": best.period, "period_label": best.period_label}
            )
        else:
            latest = read.select(cur, schema.LATEST_OBSERVATIONS, {"indicator": slug, "area_code": code})
            own = read.plain(latest[0]) if latest else None
        period = own["period"] if own else None
        bench = {}
        for comp in comparators if slug not in no_benchmark else ():
            found = read.observations_at(cur, [(slug, period)], [comp]) if period else []
            bench[comp] = nf.value(found[0].value if found else None, nf.unit_of(ind))
        if slug in no_benchmark:
            bench = dict.fromkeys(comparators, no_benchmark[slug])
        out.append(
            {"slug": slug, "label": ind["label"], "value": own["value"] if own else None,
             "display": nf.value(own["value"] if own else None, nf.unit_of(ind)),
             "period_label": own["period_label"] if own else "", "benchmarks": bench,
             "description": ind["description"]}
        )  # fmt: skip
    return out


def commuting_page(cur: duckdb.DuckDBPyConnection, config: Config, code: str = SOUTH_ESSEX) -> dict[str, Any]:
    """Where the area's employed residents work and where its workers live (Census 2021), with top flows."""
    area, choices = _chosen(cur, config, code, "/commuting")
    members = list(config.areas_of_interest)
    summary = [read.plain(r) for r in read.select(cur, schema.COMMUTING_SUMMARY, {"area_code": code})]
    labels = {"residents": CATEGORY_LABELS, "workers": ORIGIN_LABELS}
    if code == SOUTH_ESSEX:
        labels = {
            "residents": {**CATEGORY_LABELS, "own": "In South Essex (including at or from home)"},
            "workers": {**ORIGIN_LABELS, "own": "South Essex residents (including at or from home)"},
        }
    parts: dict[str, list[Row]] = {"residents": [], "workers": []}
    for r in summary:
        parts[r["direction"]].append(
            {"category": r["category"], "label": labels[r["direction"]].get(r["category"], r["category"]),
             "count": _count(r["count"]), "share": _pct(r["share"]), "value": r["count"], "share_value": r["share"]}
        )  # fmt: skip
    for key in parts:
        order = list(labels[key])
        parts[key].sort(key=lambda r: order.index(r["category"]) if r["category"] in order else 99)
    origins = members if code == SOUTH_ESSEX else [code]
    outside = code == SOUTH_ESSEX
    out_flows = [read.plain(f) for f in read.commuting_totals(cur, origins, to=True, outside=outside, limit=TOP_FLOWS)]
    in_flows = [read.plain(f) for f in read.commuting_totals(cur, origins, to=False, outside=outside, limit=TOP_FLOWS)]
    for r in (*out_flows, *in_flows):
        r["display"] = _count(r["count"])
    slugs = ["self-containment", "work-mainly-at-home", "work-in-south-essex", "work-in-london", "in-commuting"]
    table = [
        {"area_code": code, "area_name": area["name"], "direction": d, "category": r["category"],
         "label": r["label"], "people": r["value"], "share": r["share_value"], "source": CENSUS_SOURCE}
        for d, items in parts.items() for r in items
    ]  # fmt: skip
    return {
        "title": f"Where people work: {area['name']}",
        "area": area,
        "choices": choices,
        "residents": parts["residents"],
        "workers": parts["workers"],
        "out_flows": out_flows,
        "in_flows": in_flows,
        "indicators": _indicator_values(cur, slugs, code, [ENGLAND]),
        "source": CENSUS_SOURCE,
        "period_label": "Census day, 21 March 2021",
        "table": table,
    }


def future_work_page(cur: duckdb.DuckDBPyConnection, config: Config) -> dict[str, Any]:
    """Apprenticeships by authority over time against England, where learners train, APS rates with intervals."""
    members = [c for c in _choices(cur, config) if c["code"] != SOUTH_ESSEX]
    codes = [m["code"] for m in members]
    series_slugs = ["apprenticeship-starts", "apprenticeship-achievements", "apprenticeship-starts-per-1000"]
    table: list[Row] = []
    series = []
    for slug in series_slugs:
        ind = _indicator(cur, slug)
        if ind is None:
            continue
        every = read.observations_of(cur, indicators=[slug])
        periods = [
            {"period": p, "period_label": label} for p, label in sorted({(o.period, o.period_label) for o in every})
        ]
        wanted = {*codes, ENGLAND}
        values = {(o.area_code, o.period): o.value for o in every if o.area_code in wanted}
        for g in read.aggregates(cur, [SOUTH_ESSEX], indicators=[slug]):
            if g.complete and g.period is not None:
                values[(SOUTH_ESSEX, g.period)] = g.value
        lines = []
        for m in [*members, {"code": SOUTH_ESSEX, "name": "South Essex"}, {"code": ENGLAND, "name": "England"}]:
            cells = [nf.value(values.get((m["code"], p["period"])), nf.unit_of(ind)) for p in periods]
            lines.append({"code": m["code"], "name": m["name"], "cells": cells})
            for p in periods:
                table.append(
                    {"section": "apprenticeships", "indicator": slug, "area_code": m["code"], "area_name": m["name"],
                     "period": p["period"], "period_label": p["period_label"],
                     "value": values.get((m["code"], p["period"])), "lci_95": None, "uci_95": None,
                     "source": DFE_SOURCE}
                )  # fmt: skip
        series.append({"slug": slug, "label": ind["label"], "caveats": ind["caveats"], "periods": periods,
                       "lines": lines})  # fmt: skip
    names = read.area_names(cur, [*codes, ENGLAND])
    part_year: list[Row] = [
        {"area_code": o.area_code, "name": names[o.area_code], "period_label": o.period_label, "value": o.value,
         "status": o.status}
        for o in read.observations_of(cur, indicators=["apprenticeship-starts-part-year"], areas=[*codes, ENGLAND])
        if o.area_code in names
    ]  # fmt: skip
    order = [*codes, ENGLAND]
    part_year.sort(key=lambda r: order.index(r["area_code"]))
    for r in part_year:
        r["display"] = _count(r["value"])
    training = _training(cur, members)
    aps = _aps(cur, members, table)
    return {
        "title": "Future Work: apprenticeships and employment",
        "members": members,
        "series": series,
        "part_year": part_year,
        "training": training,
        "aps": aps,
        "sources": {"dfe": DFE_SOURCE, "aps": APS_SOURCE},
        "table": table,
    }


def _training(cur: duckdb.DuckDBPyConnection, members: list[Row]) -> dict[str, Any]:
    final = read.select(cur, schema.APPRENTICESHIP_TRAINING, {"provisional": False})
    if not final:
        return {}
    last = max(final, key=lambda r: r.period)
    latest = {"period": last.period, "period_label": last.period_label}
    found = [read.plain(r) for r in read.select(cur, schema.APPRENTICESHIP_TRAINING, {"period": last.period})]
    by = {(r["home_code"], r["category"]): r["starts"] for r in found}
    lines = []
    for m in members:
        counts = [by.get((m["code"], c), 0.0) for c in TRAINING_LABELS]
        lines.append({"code": m["code"], "name": m["name"], "cells": [_count(c) for c in counts]})
    return {"period_label": latest["period_label"], "labels": list(TRAINING_LABELS.values()), "lines": lines}


def _aps(cur: duckdb.DuckDBPyConnection, members: list[Row], table: list[Row]) -> list[Row]:
    out = []
    areas = [*members, {"code": SOUTH_ESSEX, "name": "South Essex"}, {"code": ENGLAND, "name": "England"}]
    for slug in ("aps-employment-rate", "aps-inactivity-rate", "aps-unemployment-rate"):
        ind = _indicator(cur, slug)
        if ind is None:
            continue
        found = [read.plain(o) for o in read.observations_of(cur, indicators=[slug], areas=[a["code"] for a in areas])]
        periods = sorted({(r["period"], r["period_label"]) for r in found})
        by = {(r["area_code"], r["period"]): r for r in found}
        for g in (read.plain(a) for a in read.aggregates(cur, [SOUTH_ESSEX], indicators=[slug])):
            by[(SOUTH_ESSEX, g["period"])] = {
                "value": g["value"],
                "lci_95": None,
                "uci_95": None,
                "status": None if g["value"] is not None else "not-combinable",
            }
        lines = []
        for a in areas:
            cells = []
            for p, label in periods:
                r = by.get((a["code"], p))
                if r is None or r["value"] is None:
                    why = STATUS_SHORT.get(r["status"], r["status"] or "") if r else ""
                    cells.append({"value": "not available", "interval": why})
                else:
                    interval = (
                        f"{nf.value(r['lci_95'], nf.unit_of(ind))} to {nf.value(r['uci_95'], nf.unit_of(ind))}"
                        if r["lci_95"] is not None
                        else STATUS_SHORT.get(r["status"], "no interval")
                    )
                    cells.append({"value": nf.value(r["value"], nf.unit_of(ind)), "interval": interval})
                if r is not None:
                    table.append(
                        {"section": "aps", "indicator": slug, "area_code": a["code"], "area_name": a["name"],
                         "period": p, "period_label": label, "value": r["value"], "lci_95": r["lci_95"],
                         "uci_95": r["uci_95"], "source": APS_SOURCE}
                    )  # fmt: skip
            lines.append({"code": a["code"], "name": a["name"], "cells": cells})
        out.append({"slug": slug, "label": ind["label"], "caveats": ind["caveats"],
                    "periods": [label for _, label in periods], "lines": lines})  # fmt: skip
    return out


POOL_MIN = 1000  # an authority is "within commuting reach" when at least this many of its residents work here


def labour_pool(cur: duckdb.DuckDBPyConnection, config: Config) -> dict[str, Any] | None:
    """People working in South Essex by where they live, and the employed residents within commuting reach.

    Within reach: the six authorities and every authority from which at least ``POOL_MIN`` residents
    travelled to a workplace in South Essex on Census day 2021 (Census 2021 ODWP01EW).
    """
    if not read.has_rows(cur, schema.COMMUTING_FLOWS):
        return None
    members = list(config.areas_of_interest)
    origins: list[Row] = [
        {"code": f.code, "name": f.name, "commuters": f.count}
        for f in read.commuting_totals(cur, members, to=False, outside=True, least=POOL_MIN)
    ]
    employed: dict[str, float] = {
        o.area_code: o.value
        for o in read.observations_of(
            cur, indicators=["census-employed-residents"], areas=members + [o["code"] for o in origins]
        )
        if o.value is not None
    }
    if not employed:
        return None
    own = sum(employed.get(c, 0.0) for c in members)
    reach = own + sum(employed.get(o["code"], 0.0) for o in origins)
    workers = {
        r.category: r.count
        for r in read.select(cur, schema.COMMUTING_SUMMARY, {"area_code": SOUTH_ESSEX, "direction": "workers"})
    }
    for o in origins:
        o["commuters_display"] = _count(o["commuters"])
        o["employed_display"] = _count(employed.get(o["code"]))
    return {
        "period_label": "Census day, 21 March 2021",
        "source": CENSUS_SOURCE,
        "min_commuters": f"{POOL_MIN:,}",
        "south_essex_employed": _count(own),
        "within_reach": _count(reach),
        "workers_total": _count(sum(workers.values())) if workers else "–",
        "workers_local": _count(workers.get("own")),
        "origins": origins,
    }


def business_base_summary(cur: duckdb.DuckDBPyConnection, config: Config) -> dict[str, Any] | None:
    """South Essex's enterprises by size band and its largest sectors, latest year, with England shares."""
    years = read.business_years(cur, SOUTH_ESSEX)
    if not years:
        return None
    latest = {"y": years[-1]}
    found = [
        read.plain(r)
        for r in read.select(cur, schema.BUSINESS_STRUCTURE, {"area_code": SOUTH_ESSEX, "year": years[-1]})
    ]
    labels = dict((*BANDS, ("total", "All sizes")))
    order = list(labels)
    totals = sorted((r for r in found if r["industry_code"] == "00"), key=lambda r: order.index(r["size_band"]))
    sizes = [
        {"label": labels[r["size_band"]], "count": _count(r["count"]), "share": _pct(r["share"]),
         "england_share": _pct(r["england_share"])}
        for r in totals
    ]  # fmt: skip
    sectors = sorted(
        (r for r in found if r["industry_code"] != "00" and r["size_band"] == "total"), key=lambda r: -r["count"]
    )[:5]
    return {
        "year": latest["y"],
        "source": UBC_SOURCE,
        "lq_rule": LQ_EXCLUSION_RULE,
        "sizes": sizes,
        "sectors": [
            {
                "industry": r["industry"],
                "count": _count(r["count"]),
                "share": _pct(r["share"]),
                "england_share": _pct(r["england_share"]),
                "lq": None if r["lq"] is None else nf.number(r["lq"], 2),
                "exclusion": r["exclusion"],
            }
            for r in sectors
        ],
    }


def _indicator(cur: duckdb.DuckDBPyConnection, slug: str) -> Row | None:
    found = read.indicator(cur, slug)
    return None if found is None else schema.INDICATORS.as_dict(found)
