"""Neighbourhoods (LSOA 2011) inside an authority or a group, and the page of one small area.

Deprivation is published for each of England's 32,844 LSOAs (IoD2019, 2011 boundaries): a rank (1 = most
deprived) and a decile on the IMD and each of its seven domains. An authority's page maps its LSOAs by
decile on the chosen domain and gives the share of them in England's most deprived 10% and 20% (counted
from all of England's LSOAs, with numerator and denominator), and how the authority's share in the most
deprived 10% changed from IoD2019 to IoD2025 (MHCLG's authority summaries). A group adds its members'
counts (a ratio of sums, never an average of shares).
"""

from __future__ import annotations

import duckdb

from observatory.release import read
from observatory.sources.imd import DOMAINS, LSOA_COUNT, POPULATION_SLUG, decile_slug, rank_slug, share_slug
from observatory.web.data.common import Row
from observatory.web.errors import BadRequest, NotFound

DOMAIN_LABELS = {d.key: d.label for d in DOMAINS}
SHORT_LABELS = {"imd": "IMD"}  # how a map title names the index: "IMD decile 6", "Income deprivation decile 4"
DEFAULT_DOMAIN = "imd"
BOUNDARY_NOTE = (
    "Neighbourhoods are lower-layer super output areas (LSOAs) on their 2011 boundaries, as used by the "
    "English Indices of Deprivation 2019; the 2021 LSOAs differ in places."
)
CHANGE_CAVEAT = (
    "IoD2025 is built on the 2021 LSOAs and ranks 296 authorities (2024 boundaries); IoD2019 on the 2011 "
    "LSOAs and 317 authorities. Deprivation is relative: a change in the share can come from other areas "
    "changing."
)
INLINE_TABLE_MAX = 120  # more neighbourhoods than this (a group): the full table is a download, not on the page


def parse_domain(value: str | None) -> str:
    """The ``domain`` query parameter: one of the IMD and its seven domains (default: the IMD)."""
    if value is None or value == "":
        return DEFAULT_DOMAIN
    if value not in DOMAIN_LABELS:
        raise BadRequest("domain", f"unknown domain {value[:40]!r}", ", ".join(DOMAIN_LABELS))
    return value


def domain_name(domain: str) -> str:
    return SHORT_LABELS.get(domain, DOMAIN_LABELS[domain])


def lsoa_rows(cur: duckdb.DuckDBPyConnection, authorities: list[str], domain: str) -> list[Row]:
    """The LSOAs of some authorities with rank, decile (on ``domain``) and population, most deprived first."""
    found = read.lsoa_deprivation(
        cur, authorities, rank=rank_slug(domain), decile=decile_slug(domain), population=POPULATION_SLUG
    )
    return [read.plain(r) for r in found]


def map_title(r: Row, domain: str) -> str:
    """The tooltip of one LSOA on the map: "Southend-on-Sea 003A: IMD decile 6 (rank 19,102 of 32,844)"."""
    if r["decile"] is None or r["rank"] is None:
        return f"{r['name']}: no data"
    return f"{r['name']}: {domain_name(domain)} decile {r['decile']} (rank {r['rank']:,} of {LSOA_COUNT:,})"


def _shares(cur: duckdb.DuckDBPyConnection, authorities: list[Row], domain: str) -> list[Row]:
    """Per authority: LSOAs in England's most deprived 10% and 20% on ``domain``, with the counts."""
    found = [
        read.plain(o)
        for o in read.observations_of(
            cur, indicators=[share_slug(domain, 10), share_slug(domain, 20)], areas=[a["code"] for a in authorities]
        )
    ]
    by = {(r["area_code"], r["indicator"]): r for r in found}
    out = []
    for a in authorities:
        row: Row = {"code": a["code"], "name": a["name"]}
        for percent in (10, 20):
            r = by.get((a["code"], share_slug(domain, percent)), {})
            row[f"share{percent}"] = r.get("value")
            row[f"in{percent}"] = None if r.get("numerator") is None else int(r["numerator"])
            row["total"] = None if r.get("denominator") is None else int(r["denominator"])
        out.append(row)
    return out


def _group_shares(cur: duckdb.DuckDBPyConnection, name: str, code: str, domain: str) -> Row | None:
    """A group's shares from the build's ``aggregates`` (ratio of its members' summed counts); None unless both
    are complete."""
    found = [
        read.plain(g)
        for g in read.aggregates(cur, [code], indicators=[share_slug(domain, 10), share_slug(domain, 20)])
        if g.complete and g.value is not None and g.numerator is not None and g.denominator is not None
    ]
    by = {r["indicator"]: r for r in found}
    s10, s20 = by.get(share_slug(domain, 10)), by.get(share_slug(domain, 20))
    if s10 is None or s20 is None:
        return None
    return {"code": code, "name": name, "in10": int(s10["numerator"]), "in20": int(s20["numerator"]),
            "total": int(s10["denominator"]), "share10": s10["value"], "share20": s20["value"]}  # fmt: skip


def _change(cur: duckdb.DuckDBPyConnection, authorities: list[Row], domain: str) -> list[Row]:
    """Per authority: its share in the most deprived 10% in IoD2019 and IoD2025 (MHCLG's summaries) and the
    change between them in percentage points, as the build worked it (``changes``: the published decimals,
    one period back from IoD2025 to IoD2019)."""
    slug = f"iod-{domain}-proportion-most-deprived-10pc"
    codes = [a["code"] for a in authorities]
    found = [o for o in read.observations_of(cur, indicators=[slug], areas=codes) if o.period_label in ("2019", "2025")]
    by = {(o.area_code, o.period_label): o.value for o in found}
    moved = {
        c.area_code: c.change
        for c in read.changes(cur, indicators=[slug], areas=codes)
        if c.periods_back == 1 and (c.from_label, c.to_label) == ("2019", "2025")
    }
    out = []
    for a in authorities:
        v19, v25 = by.get((a["code"], "2019")), by.get((a["code"], "2025"))
        out.append(
            {"code": a["code"], "name": a["name"], "share_2019": v19, "share_2025": v25, "change": moved.get(a["code"])}
        )
    return [r for r in out if r["share_2019"] is not None or r["share_2025"] is not None]


def neighbourhoods(
    cur: duckdb.DuckDBPyConnection, a: Row, authorities: list[Row], domain: str, *, group: bool = False
) -> Row | None:
    """The neighbourhood section of an authority's (or a group's) page; None when it has no LSOAs."""
    lsoas = lsoa_rows(cur, [m["code"] for m in authorities], domain)
    if not lsoas:
        return None
    deciles = [sum(1 for r in lsoas if r["decile"] == d) for d in range(1, 11)]
    shares = _shares(cur, authorities, domain)
    total = _group_shares(cur, a["name"], a["code"], domain) if group else None
    return {
        "domain": domain,
        "domain_label": DOMAIN_LABELS[domain],
        "domain_name": domain_name(domain),
        "domains": [{"key": k, "label": v} for k, v in DOMAIN_LABELS.items()],
        "boundary_year": 2011,
        "boundary_note": BOUNDARY_NOTE,
        "count": len(lsoas),
        "lsoa_total": LSOA_COUNT,
        "deciles": deciles,
        "shares": shares,
        "group_share": total,
        "change": _change(cur, authorities, domain),
        "change_caveat": CHANGE_CAVEAT,
        "inline_table": len(lsoas) <= INLINE_TABLE_MAX,
        "group": group,
        "lsoas": lsoas,
    }


def small_area(cur: duckdb.DuckDBPyConnection, a: Row) -> Row:
    """One LSOA: rank and decile on the IMD and each domain, its authority and ward, its population."""
    found = [read.plain(o) for o in read.observations_of(cur, areas=[a["code"]]) if o.indicator.startswith("imd2019-")]
    values = {r["indicator"]: r["value"] for r in found}
    domains = []
    for key, label in DOMAIN_LABELS.items():
        rank, decile = values.get(rank_slug(key)), values.get(decile_slug(key))
        domains.append({"key": key, "label": label, "rank": None if rank is None else int(rank),
                        "decile": None if decile is None else int(decile)})  # fmt: skip
    relations = sorted(read.area_relations(cur, [a["code"]], relations=["ltla", "ward"]), key=lambda r: r.relation)
    parent_names = read.area_names(cur, [r.parent for r in relations])
    parents = [
        {"code": r.parent, "name": parent_names[r.parent], "relation": r.relation}
        for r in relations
        if r.parent in parent_names
    ]
    authority = next((p for p in parents if p["relation"] == "ltla"), None)
    ward = next((p for p in parents if p["relation"] == "ward"), None)
    pop = values.get(POPULATION_SLUG)
    table = [
        {"area_code": a["code"], "area_name": a["name"], "domain": d["key"], "domain_label": d["label"],
         "rank": d["rank"], "decile": d["decile"], "of": LSOA_COUNT, "period": "2019"}
        for d in domains
    ]  # fmt: skip
    return {
        "domains": domains,
        "authority": authority,
        "ward": ward,
        "population": None if pop is None else int(pop),
        "lsoa_total": LSOA_COUNT,
        "boundary_year": 2011,
        "boundary_note": BOUNDARY_NOTE,
        "table": table,
    }


def neighbourhood_table(payload: Row) -> Row:
    """An area page's neighbourhoods as a table of their own (the group page's full list is a download)."""
    hood = payload.get("neighbourhoods")
    if not hood:
        raise NotFound(f"{payload['area']['name']} has no neighbourhood (LSOA) figures in this release.")
    table = [
        {"lsoa_code": r["code"], "lsoa_name": r["name"], "authority_code": r["authority_code"],
         "authority_name": r["authority_name"], "domain": hood["domain"], "rank": r["rank"], "of": LSOA_COUNT,
         "decile": r["decile"], "population_mid_2015": r["population"]}
        for r in hood["lsoas"]
    ]  # fmt: skip
    return {"title": f"Neighbourhoods of {payload['area']['name']}", "area": payload["area"], "table": table}
