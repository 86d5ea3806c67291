"""Data for the area list, the area pages and the group page (also served as .json and .csv).

An area page answers "how is this place doing?": every indicator with data for the area, grouped by
theme, the latest value beside England, its region and Essex at the same period, the range across
English authorities, and — when the release carries the statistics tables — the comparison and trend with
their plain-English reason. A group page puts the members side by side and shows a group value only when
the release has a complete aggregate for it; rates are never averaged here.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import duckdb

from observatory import format as nf
from observatory.config import Config, Group
from observatory.release import read, schema
from observatory.release.schema import AggregateRow, ComparisonRow, TrendRow
from observatory.stats.compare import METHOD_NO_BENCHMARK
from observatory.stats.derive import PEER_SET
from observatory.web.data.common import SOUTH_ESSEX, Row, all_indicators, area, unit_label, with_equivalents_many
from observatory.web.data.glance import with_glance
from observatory.web.data.neighbourhoods import neighbourhoods, parse_domain, small_area

ENGLAND = "E92000001"
PEERS = PEER_SET  # the one peer set of every rank and range (stats.derive)

RELATION_LABELS = {
    "member": "Group",
    "cty": "County",
    "cauth": "Combined authority",
    "mcty": "Metropolitan county",
    "rgn": "Region",
    "itl3": "ITL3 area",
    "itl2": "ITL2 area",
    "itl1": "ITL1 region",
    "ctry": "Nation",
    "uk": "United Kingdom",
}
TYPE_LABELS = {
    "group": "Group of authorities",
    "ltla": "Local authority",
    "utla": "County",
    "cauth": "Combined authority",
    "mcty": "Metropolitan county",
    "gla": "Greater London Authority",
    "rgn": "Region",
    "ctry": "Nation",
    "uk": "United Kingdom",
    "country-group": "Group of nations",
    "itl1": "ITL1 region",
    "itl2": "ITL2 area",
    "itl3": "ITL3 area",
    "pfa": "Police force area",
    "soa": "Super output area (Northern Ireland)",
    "lsoa": "Neighbourhood (LSOA 2011)",
    "ward": "Ward (May 2025)",
    "msoa": "Neighbourhood (MSOA 2021)",
    "other": "Other statistical area",
}
LTLA_PREFIX_LABELS = {
    "E06": "Unitary authority",
    "E07": "District",
    "E08": "Metropolitan borough",
    "E09": "London borough",
    "W06": "Welsh principal area",
    "S12": "Scottish council area",
    "N09": "Northern Ireland district",
}
# The sections of /areas, in the order people look for them; (key, heading, condition on a row).
SECTION_ORDER = (
    ("south-essex", "South Essex"),
    ("authorities", "Local authorities"),
    ("counties", "Counties"),
    ("regions", "Regions of England"),
    ("nations", "Nations and the United Kingdom"),
    ("itl1", "ITL1 regions"),
    ("itl2", "ITL2 areas"),
    ("itl3", "ITL3 areas"),
    ("groups", "Groups of authorities"),
    ("combined", "Combined authorities and metropolitan counties"),
    ("police", "Police force areas"),
    ("former", "Former authorities and counties"),
    ("small", "Small areas in Northern Ireland"),
    ("neighbourhoods", "Neighbourhoods in Greater Essex (LSOA 2011)"),
)
NEIGHBOURS_METHOD = "euclidean-zscore-10-nearest"  # observatory.stats.neighbours.METHOD_ID: the methodology anchor
COLLAPSED_SECTIONS = frozenset({"small", "neighbourhoods"})  # long lists few people need: in <details> on the page


def type_label(a: Row) -> str:
    if a["type"] == "ltla":
        return LTLA_PREFIX_LABELS.get(str(a["code"])[:3], "Local authority")
    if a["type"] == "ctry" and a["code"] == "E92000001":
        return "Nation"
    return TYPE_LABELS.get(a["type"], str(a["type"]))


def _section(a: Row, ours: set[str], groups: set[str]) -> str:
    t = a["type"]
    if a["code"] in ours:
        return "south-essex"
    if a["code"] in groups:
        return "groups"
    if a["valid_to"] is not None:
        return "former"
    return {
        "ltla": "authorities",
        "utla": "counties",
        "rgn": "regions",
        "ctry": "nations",
        "uk": "nations",
        "country-group": "nations",
        "itl1": "itl1",
        "itl2": "itl2",
        "itl3": "itl3",
        "group": "groups",
        "cauth": "combined",
        "mcty": "combined",
        "gla": "combined",
        "pfa": "police",
        "lsoa": "neighbourhoods",
    }.get(t, "small")


def area_index(cur: duckdb.DuckDBPyConnection, config: Config) -> dict[str, Any]:
    """Every area in the release, grouped by type; South Essex (the group and its six) first."""
    keys = ("code", "name", "type", "types", "valid_from", "valid_to")
    found = [{k: getattr(a, k) for k in keys} for a in sorted(read.areas(cur), key=lambda a: (a.name, a.code))]
    ours = list(config.areas_of_interest)
    groups = {g.slug for g in config.groups}
    by_section: dict[str, list[Row]] = defaultdict(list)
    for a in found:
        a["type_label"] = type_label(a)
        a["section"] = _section(a, set(ours), groups)
        by_section[a["section"]].append(a)
    order = {c: i for i, c in enumerate([SOUTH_ESSEX, *ours])}
    by_section["south-essex"].sort(key=lambda a: order.get(a["code"], len(order)))
    south_essex_group = [a for a in by_section["groups"] if a["code"] == SOUTH_ESSEX]
    by_section["south-essex"][:0] = south_essex_group
    sections = [
        {"key": key, "title": title, "areas": by_section[key], "collapsed": key in COLLAPSED_SECTIONS}
        for key, title in SECTION_ORDER
        if by_section[key]
    ]
    table = [
        {"code": a["code"], "name": a["name"], "type": a["type"], "type_label": a["type_label"],
         "section": a["section"], "valid_from": a["valid_from"], "valid_to": a["valid_to"]}
        for a in found
    ]  # fmt: skip
    return {"title": "Areas", "count": len(found), "sections": sections, "table": table}


# ----------------------------------------------------------------------------------------------------------------
# One area


def _relations(cur: duckdb.DuckDBPyConnection, code: str) -> tuple[list[Row], list[Row], list[Row]]:
    """Parents (nearest first), children grouped by type, and same-as equivalents, as links."""
    ups = [r for r in read.area_relations(cur, [code]) if r.relation != "same-as"]
    up_names = read.area_names(cur, [r.parent for r in ups])
    parents = [
        {"code": r.parent, "name": up_names[r.parent], "relation": r.relation} for r in ups if r.parent in up_names
    ]
    rank = {k: i for i, k in enumerate(RELATION_LABELS)}
    parents.sort(key=lambda p: (rank.get(p["relation"], len(rank)), p["name"]))
    for p in parents:
        p["relation_label"] = RELATION_LABELS.get(p["relation"], p["relation"])
        label = p["relation_label"]  # within a sentence: "region", but "ITL3 area" keeps its capitals
        p["relation_phrase"] = (
            "" if label == p["name"] else label if label[:2].isupper() else label[:1].lower() + label[1:]
        )  # "United Kingdom" needs no "(United Kingdom)"
    downs = {r.code for r in read.area_relations(cur, parents=[code]) if r.relation != "same-as"}
    kids = [
        {"code": a.code, "name": a.name, "type": a.type, "types": a.types, "valid_to": a.valid_to}
        for a in sorted(read.areas(cur, downs), key=lambda a: (a.name, a.code))
    ]
    grouped: dict[str, list[Row]] = defaultdict(list)
    for k in kids:
        label = type_label(k) if k["valid_to"] is None else f"Former {type_label(k).lower()}"
        grouped[label].append({"code": k["code"], "name": k["name"]})
    children = [{"type_label": label, "areas": grouped[label]} for label in sorted(grouped, key=_child_order)]
    same = [r.parent for r in read.area_relations(cur, [code], relations=["same-as"])]
    same += [r.code for r in read.area_relations(cur, parents=[code], relations=["same-as"])]
    same_names = read.area_names(cur, same)
    same_as = [{"code": c, "name": same_names[c]} for c in same if c in same_names]
    return parents, children, same_as


def part_of(parents: list[Row]) -> list[Row]:
    """The short "Part of" line: each name once (East of England is both a region and an ITL1 region: one link,
    to the nearest in ``RELATION_LABELS`` order, with both relations, e.g. "region; ITL1 region"); each relation
    keeps its own code in ``relations`` so every parent stays one link away (the ITL1 region's is TLH)."""
    out: dict[str, Row] = {}
    for p in parents:
        relation = {"code": p["code"], "phrase": p["relation_phrase"]}
        if p["name"] in out:
            out[p["name"]]["relation_phrase"] = "; ".join(
                x for x in (out[p["name"]]["relation_phrase"], p["relation_phrase"]) if x
            )
            out[p["name"]]["relations"].append(relation)
        else:
            out[p["name"]] = {
                "code": p["code"], "name": p["name"], "relation_phrase": p["relation_phrase"], "relations": [relation]
            }  # fmt: skip
    return list(out.values())


def _child_order(label: str) -> tuple[int, str]:
    rank = ["Region", "County", "Unitary authority", "Metropolitan borough", "London borough", "District"]
    return (rank.index(label) if label in rank else len(rank) + label.startswith("Former"), label)


def _benchmarks(cur: duckdb.DuckDBPyConnection, config: Config, a: Row, parents: list[Row]) -> list[Row]:
    """England, the region and the county beside the area; South Essex areas use the configured comparators."""
    in_group = a["code"] == SOUTH_ESSEX or a["code"] in config.areas_of_interest
    by_rel = {p["relation"]: p for p in parents}
    comparators = [c for c in config.comparators if c != "K02000001"]
    names = read.area_names(cur, comparators)
    found: list[Row] = []
    if a["code"] != ENGLAND:
        found.append({"role": "england", "code": ENGLAND, "name": "England"})
    if in_group:
        found += [{"role": _role(c, i), "code": c, "name": names.get(c, c)} for i, c in enumerate(comparators)
                  if c != ENGLAND]  # fmt: skip
    else:
        for role, rel in (("region", "rgn"), ("county", "cty")):
            if rel in by_rel:
                found.append({"role": role, "code": by_rel[rel]["code"], "name": by_rel[rel]["name"]})
    return [b for b in found if b["code"] != a["code"]]


def _role(code: str, index: int) -> str:
    return {"E92000001": "england", "E12000006": "region", "E10000012": "county"}.get(code, f"comparator{index}")


def _latest_by_indicator(found: list[Row]) -> dict[str, dict[str, Any]]:
    """Per indicator: the latest observation, the latest one with a value (``valued``: the same row unless the
    latest is missing or suppressed; judgements are of this period) and the history of the same period type."""
    series: dict[str, list[Row]] = defaultdict(list)
    for r in found:
        series[r["indicator"]].append(r)
    out: dict[str, dict[str, Any]] = {}
    for slug, pts in series.items():
        pts.sort(key=lambda p: (p["period_start"], p["period_duration"] or ""))
        latest = pts[-1]
        history = [p for p in pts if p["period_duration"] == latest["period_duration"]]
        with_value = [p for p in history if p["value"] is not None]
        valued = with_value[-1] if with_value else None
        out[slug] = {"latest": latest, "valued": valued, "history": history, "any_value": bool(with_value)}
    return out


def _benchmark_period(series: dict[str, Any]) -> str:
    """The period whose benchmark values stand beside an indicator's row: the latest, or — when the latest has no
    value and the row shows the latest with one and its judgements — that earlier period (England 2021 beside a
    2021 value and a 2021 verdict, never England 2022)."""
    valued = series["valued"]
    return str(valued["period"] if valued is not None else series["latest"]["period"])


def _ranges(cur: duckdb.DuckDBPyConnection, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], Row]:
    """The spread of English authorities' values for each (indicator, period): the build's ``ranges`` table."""
    if not pairs:
        return {}
    return {(r.indicator, r.period): read.plain(r) for r in read.ranges_at(cur, pairs)}


def _values_at(
    cur: duckdb.DuckDBPyConnection, pairs: list[tuple[str, str]], codes: list[str]
) -> dict[tuple[str, str, str], Row]:
    """Observations of some areas at given (indicator, period) pairs, keyed (indicator, period, area)."""
    return {(r.indicator, r.period, r.area_code): read.plain(r) for r in read.observations_at(cur, pairs, codes)}


def _judgements(results: list[ComparisonRow] | list[TrendRow]) -> dict[str, list[Row]]:
    """Comparison (against its benchmark) or trend results of one area, by indicator."""
    out: dict[str, list[Row]] = defaultdict(list)
    for r in results:
        out[r.indicator].append(
            {
                "benchmark": r.benchmark_code if isinstance(r, ComparisonRow) else None,
                "benchmark_value": r.benchmark_value if isinstance(r, ComparisonRow) else None,
                "period": r.period,
                "method": r.method,
                "outcome": r.outcome,
                "judgement": r.judgement,
                "polarity": r.polarity if isinstance(r, ComparisonRow) else None,
                "reason": r.reason,
                "sentence": r.sentence,
            }
        )
    return out


def not_benchmarked(cur: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Indicators whose benchmarks' figures are not shown beside an area's, with what is shown instead: totals
    (reviewed aggregation ``sum``: England's 2.5 million businesses is no benchmark for an authority's count) and
    indicators with a reviewed ``no_benchmark`` reason (England's share working in London). The one rule for the
    area, group, theme and business pages; the build makes no comparison for them either."""
    out = {slug: nf.NOT_COMPARABLE for slug, j in read.judgements(cur).items() if j.aggregation == "sum"}
    for r in read.select(cur, schema.COMPARISONS, {"method": METHOD_NO_BENCHMARK}):  # the build's one decision
        out.setdefault(r.indicator, nf.NOT_BENCHMARKED)
    return out


def _comparison_for(results: list[Row], period: str | None, benchmark: str | None) -> Row | None:
    """The result for exactly ``period`` against England (or the only benchmark); None when there is none —
    never a result of another period."""
    same = [r for r in results if r["period"] == period]
    if benchmark is not None:
        exact = [r for r in same if r["benchmark"] in (benchmark, None)]
        same = exact or same
    return same[0] if same else None


def _cell(ind: Row, obs: Row | None, code: str, name: str, role: str) -> Row:
    value = obs["value"] if obs else None
    return {
        "role": role,
        "code": code,
        "name": name,
        "value": value,
        "lci_95": obs["lci_95"] if obs else None,
        "uci_95": obs["uci_95"] if obs else None,
        "status": obs["status"] if obs else None,
        "display": nf.value(value, nf.unit_of(ind)),
    }


def _themed(config: Config, indicators: dict[str, Row], shown: set[str]) -> list[tuple[str, str, str, list[str]]]:
    """(slug, name, aim, indicator slugs with data) per theme; indicators in no theme go under "Other"."""
    out: list[tuple[str, str, str, list[str]]] = []
    placed: set[str] = set()
    for theme in config.themes:
        slugs = [s for s in theme.indicators if s in shown]
        placed.update(slugs)
        if slugs:
            out.append((theme.slug, theme.name, theme.aim, slugs))
    rest = sorted((s for s in shown if s not in placed), key=lambda s: str(indicators[s]["label"]))
    if rest:
        out.append(("other", "Other indicators", "", rest))
    return out


def area_page(cur: duckdb.DuckDBPyConnection, config: Config, code: str, domain: str | None = None) -> dict[str, Any]:
    """One area (or a group, see ``group_page``): every indicator with data, by theme, beside benchmarks, with
    its ``glance`` (headline figures and one-word verdicts against England, ``web/data/glance.py``).

    ``domain`` picks the deprivation domain of the neighbourhood map (authorities and groups with LSOAs).
    """
    return with_glance(cur, _area_payload(cur, config, code, domain), config)


def _area_payload(cur: duckdb.DuckDBPyConnection, config: Config, code: str, domain: str | None) -> dict[str, Any]:
    chosen = parse_domain(domain)
    a = area(cur, code)
    group = config.group(code)
    if group is not None:
        return group_page(cur, config, a, group, chosen)
    if a["type"] == "lsoa":
        return lsoa_page(cur, a)
    parents, children, same_as = _relations(cur, code)
    hood = neighbourhoods(cur, a, [a], chosen) if a["type"] == "ltla" else None
    if hood is not None:  # the neighbourhood table links every LSOA: not listed again under "Areas within"
        children = [g for g in children if g["type_label"] != TYPE_LABELS["lsoa"]]
    places = _wards_and_neighbourhoods(cur, code) if a["type"] == "ltla" else None
    if places:  # listed near the top of the page instead
        children = [g for g in children if g["type_label"] not in (TYPE_LABELS["ward"], TYPE_LABELS["msoa"])]
    benchmarks = _benchmarks(cur, config, a, parents)
    indicators = {r["slug"]: r for r in all_indicators(cur)}
    found = [read.plain(o) for o in read.observations_of(cur, areas=[code])]
    per = _latest_by_indicator([r for r in found if r["indicator"] in indicators])
    slugs = sorted(per)
    bench_codes = [b["code"] for b in benchmarks]
    used = with_equivalents_many(cur, slugs, bench_codes)
    pairs = [(s, per[s]["latest"]["period"]) for s in slugs]
    shown_at = {s: _benchmark_period(per[s]) for s in slugs}  # the period the benchmarks beside the row are of
    values = _values_at(cur, sorted({*pairs, *shown_at.items()}), sorted({c for s in slugs for c in used[s]}))
    ranges = _ranges(cur, pairs)
    comparisons = _judgements(read.comparisons(cur, areas=[code]))
    trends = _judgements(read.trends(cur, areas=[code]))
    totals = not_benchmarked(cur)
    rows_by_slug: dict[str, Row] = {}
    for slug in slugs:
        ind = indicators[slug]
        latest = per[slug]["latest"]
        period = latest["period"]
        valued = per[slug]["valued"]
        at = shown_at[slug]  # the latest period, or the earlier one judged when the latest has no value
        bench = []
        for b, used_code in zip(benchmarks, used[slug], strict=True):
            is_total = slug in totals  # no benchmark: a total, or a figure that measures something else
            cell = _cell(ind, None if is_total else values.get((slug, at, used_code)), b["code"], b["name"],
                         b["role"])  # fmt: skip
            cell["period"] = at
            cell["period_label"] = valued["period_label"] if valued and at != period else latest["period_label"]
            cell["other_period"] = at != period  # said beside the value: "56.8% in 2022" is no benchmark for 2021
            cell["not_comparable"] = is_total
            if is_total:
                cell["display"] = totals[slug]
            cell["source_code"] = used_code
            bench.append(cell)
        rng = ranges.get((slug, period))
        judged = valued["period"] if valued else None
        comparison = _comparison_for(comparisons.get(slug, []), judged, ENGLAND)
        trend = _comparison_for(trends.get(slug, []), judged, None)
        earlier = None
        if valued is not None and judged != period:
            earlier = {
                "period": judged,
                "period_label": valued["period_label"],
                "value": valued["value"],
                "lci_95": valued["lci_95"],
                "uci_95": valued["uci_95"],
                "display": nf.value(valued["value"], nf.unit_of(ind)),
            }
        rows_by_slug[slug] = {
            "slug": slug,
            "label": ind["label"],
            "unit_label": unit_label(ind),
            "format": _format_of(ind),
            "period": period,
            "period_label": latest["period_label"],
            "value": latest["value"],
            "lci_95": latest["lci_95"],
            "uci_95": latest["uci_95"],
            "status": latest["status"],
            "display": nf.value(latest["value"], nf.unit_of(ind)),
            "benchmarks": bench,
            "range": None if rng is None else {k: rng[k] for k in ("min", "p25", "p75", "max", "n")},
            "history": [{"period_label": p["period_label"], "value": p["value"]} for p in per[slug]["history"]],
            "comparison": comparison,
            "trend": trend,
            "judgement_period": judged,
            "judgement_period_label": valued["period_label"] if valued else None,
            "latest_with_value": earlier,
            "source_org": ind["source_org"],
        }
    themes = [
        {"slug": t_slug, "name": name, "aim": aim, "indicators": [rows_by_slug[s] for s in members]}
        for t_slug, name, aim, members in _themed(config, indicators, set(slugs))
    ]
    table = [_table_row(a, r) for r in sorted(rows_by_slug.values(), key=lambda r: str(r["label"]))]
    return {
        "title": a["name"],
        "area": {**a, "type_label": type_label(a), "is_group": False},
        "parents": parents,
        "part_of": part_of(parents),
        "children": children,
        "same_as": same_as,
        "neighbours": _neighbours(cur, code),
        "neighbours_method": NEIGHBOURS_METHOD,
        "benchmarks": benchmarks,
        "themes": themes,
        "count": len(slugs),
        "without_data": len(indicators) - len(slugs),
        "has_comparisons": any(r["comparison"] for r in rows_by_slug.values()),
        "has_trends": any(r["trend"] for r in rows_by_slug.values()),
        "peers": PEERS,
        "neighbourhoods": hood,
        "places": places,
        "table": table,
    }


def _wards_and_neighbourhoods(cur: duckdb.DuckDBPyConnection, code: str) -> dict[str, list[Row]] | None:
    """An authority's wards (May 2025) and named neighbourhoods (MSOA 2021), each linking to its page."""
    within = {r.code for r in read.area_relations(cur, parents=[code], relations=["ltla"])}
    found = [
        {"code": a.code, "name": a.name, "type": a.type}
        for a in sorted(read.areas(cur, within), key=lambda a: (a.name, a.code))
        if a.type in ("ward", "msoa")
    ]
    if not found:
        return None
    return {
        "wards": [r for r in found if r["type"] == "ward"],
        "neighbourhoods": [r for r in found if r["type"] == "msoa"],
    }


def lsoa_page(cur: duckdb.DuckDBPyConnection, a: Row) -> dict[str, Any]:
    """A neighbourhood (LSOA 2011): its deprivation on every domain, authority, ward and population."""
    small = small_area(cur, a)
    parents = [{**p, "relation_label": "Local authority" if p["relation"] == "ltla" else "Ward",
                "relation_phrase": "local authority" if p["relation"] == "ltla" else "ward"}
               for p in (small["authority"], small["ward"]) if p is not None]  # fmt: skip
    return {
        "title": a["name"],
        "area": {**a, "type_label": type_label(a), "is_group": False},
        "parents": parents,
        "part_of": part_of(parents),
        "children": [],
        "same_as": [],
        "neighbours": [],
        "benchmarks": [],
        "themes": [],
        "count": sum(1 for d in small["domains"] if d["rank"] is not None) * 2 + (small["population"] is not None),
        "without_data": 0,
        "has_comparisons": False,
        "has_trends": False,
        "peers": PEERS,
        "small_area": small,
        "table": small["table"],
    }


def _format_of(ind: Row) -> Row:
    """The indicator's unit (prefix, suffix, decimals) for the page's value filter and the spine chart."""
    unit = nf.unit_of(ind)
    return {"prefix": unit.prefix, "suffix": unit.suffix, "decimals": unit.decimals}


def _table_row(a: Row, r: Row) -> Row:
    """One flat CSV row per indicator: the area's latest value, then each benchmark's at ``benchmark_period`` (the
    same period, or the earlier one judged when the latest has no value, beside the area's value for it)."""
    out: Row = {
        "area_code": a["code"],
        "area_name": a["name"],
        "indicator": r["slug"],
        "indicator_label": r["label"],
        "period": r["period"],
        "period_label": r["period_label"],
        "value": r["value"],
        "lci_95": r["lci_95"],
        "uci_95": r["uci_95"],
        "status": r["status"],
    }
    earlier = r["latest_with_value"]  # the latest has no value: the benchmarks are of the period judged
    out["benchmark_period"] = r["judgement_period"] if earlier else r["period"]
    out["benchmark_period_value"] = earlier["value"] if earlier else r["value"]  # the area's, beside them
    for role in ("england", "region", "county"):
        cell = next((b for b in r["benchmarks"] if b["role"] == role), None)
        out[f"{role}_code"] = cell["code"] if cell else None
        out[f"{role}_value"] = cell["value"] if cell else None
    rng = r["range"] or {}
    out["source"] = nf.organisations(r["source_org"])
    for stat in ("min", "p25", "p75", "max"):
        out[f"authorities_{stat}"] = rng.get(stat)
    comparison, trend = r["comparison"] or {}, r["trend"] or {}
    out["judgement_period"] = r["judgement_period"]  # the period the comparison and trend are of
    out["comparison"] = comparison.get("judgement")
    out["comparison_reason"] = comparison.get("reason")
    out["trend"] = trend.get("judgement")
    out["trend_reason"] = trend.get("reason")
    return out


def _neighbours(cur: duckdb.DuckDBPyConnection, code: str) -> list[Row]:
    """Statistical neighbours, nearest first, with their names."""
    found = read.neighbours(cur, code)
    names = {a.code: a.name for a in read.areas(cur, [n.neighbour_code for n in found])}
    return [{"code": n.neighbour_code, "name": names[n.neighbour_code], "rank": n.rank, "distance": n.distance}
            for n in found]  # fmt: skip


# ----------------------------------------------------------------------------------------------------------------
# A group of authorities


def _aggregates(cur: duckdb.DuckDBPyConnection, group: str) -> dict[str, list[AggregateRow]]:
    """The release's group values by indicator, newest period first."""
    out: dict[str, list[AggregateRow]] = defaultdict(list)
    for r in read.aggregates(cur, [group]):
        out[r.indicator].append(r)
    for found in out.values():
        found.sort(key=lambda r: r.period or "", reverse=True)
    return out


def group_page(
    cur: duckdb.DuckDBPyConnection, config: Config, a: Row, group: Group, domain: str = "imd"
) -> dict[str, Any]:
    """A group's members side by side at each indicator's latest period; a group value only when complete."""
    names = read.area_names(cur, group.members)
    members: list[Row] = [{"code": c, "name": names[c]} for c in group.members if c in names]
    codes = [m["code"] for m in members]
    benchmarks = _benchmarks(cur, config, a, [])
    indicators = {r["slug"]: r for r in all_indicators(cur)}
    latest = read.latest_periods(cur, list(indicators), codes)
    latest_by = {s: read.plain(p) for s, p in latest.items()}
    slugs = sorted(latest_by)
    pairs = [(s, latest_by[s]["period"]) for s in slugs]
    used = with_equivalents_many(cur, slugs, [b["code"] for b in benchmarks])
    values = _values_at(cur, pairs, sorted({*codes, *(c for s in slugs for c in used[s])}))
    labels = {(s, p.period): p.period_label for s, p in latest.items()}
    aggregates = _aggregates(cur, group.slug)
    totals = not_benchmarked(cur)
    by_slug: dict[str, Row] = {}
    table: list[Row] = []
    for slug, period in pairs:
        ind = indicators[slug]
        cells = [_cell(ind, values.get((slug, period, m["code"])), m["code"], m["name"], "member") for m in members]
        bench = []
        for b, used_code in zip(benchmarks, used[slug], strict=True):
            is_total = slug in totals  # no benchmark: a total, or a figure that measures something else
            cell = _cell(ind, None if is_total else values.get((slug, period, used_code)), b["code"], b["name"],
                         b["role"])  # fmt: skip
            cell["not_comparable"] = is_total
            if is_total:
                cell["display"] = totals[slug]
            cell["source_code"] = used_code
            bench.append(cell)
        candidates = aggregates.get(slug, [])
        agg = next((r for r in candidates if r.period == period), candidates[0] if candidates else None)
        group_value = _group_value(ind, agg, group)
        by_slug[slug] = {
            "slug": slug,
            "label": ind["label"],
            "unit_label": unit_label(ind),
            "period": period,
            "period_label": labels.get((slug, period), period),
            "members": cells,
            "benchmarks": bench,
            "group_value": group_value,
            "source_org": ind["source_org"],
            "missing": [c["name"] for c in cells if c["value"] is None],
        }
        for cell in [*cells, *bench]:
            table.append(
                {"group": group.slug, "indicator": slug, "indicator_label": ind["label"], "period": period,
                 "period_label": by_slug[slug]["period_label"], "role": cell["role"], "area_code": cell["code"],
                 "area_name": cell["name"], "value": cell["value"], "lci_95": cell["lci_95"],
                 "uci_95": cell["uci_95"], "status": cell["status"], "method": None, "note": None}
            )  # fmt: skip
        if group_value is not None:
            table.append(
                {"group": group.slug, "indicator": slug, "indicator_label": ind["label"],
                 "period": group_value["period"] or period,
                 "period_label": group_value["period_label"] or by_slug[slug]["period_label"], "role": "group",
                 "area_code": group.slug,
                 "area_name": group.name, "value": group_value["value"], "lci_95": None, "uci_95": None,
                 "status": None, "method": group_value["method"], "note": group_value["reason"]}
            )  # fmt: skip
    themes = [
        {"slug": t_slug, "name": name, "aim": aim, "indicators": [by_slug[s] for s in shown]}
        for t_slug, name, aim, shown in _themed(config, indicators, set(slugs))
    ]
    return {
        "title": group.name,
        "area": {**a, "type_label": type_label(a), "is_group": True, "description": group.description},
        "members": members,
        "parents": [],
        "children": [{"type_label": "Members", "areas": members}],
        "same_as": [],
        "neighbours": [],
        "benchmarks": benchmarks,
        "themes": themes,
        "count": len(slugs),
        "without_data": len(indicators) - len(slugs),
        "has_aggregates": bool(aggregates),
        "has_comparisons": False,
        "has_trends": False,
        "peers": PEERS,
        "neighbourhoods": neighbourhoods(cur, a, members, domain, group=True),
        "table": table,
    }


def _group_value(ind: Row, agg: AggregateRow | None, group: Group) -> Row | None:
    """The group's own value, only from a complete aggregate computed by the indicator's rule."""
    if agg is None:
        return None
    if not agg.complete or agg.value is None:
        return {"value": None, "display": "not available", "method": agg.method, "reason": agg.reason,
                "complete": False, "period": agg.period, "period_label": agg.period_label}  # fmt: skip
    return {"value": agg.value, "display": nf.value(agg.value, nf.unit_of(ind)), "method": agg.method,
            "reason": agg.reason, "complete": True, "period": agg.period, "period_label": agg.period_label,
            "name": group.name}  # fmt: skip
