"""Data for place pages: a ward (May 2025), a named neighbourhood (MSOA 2021) or a custom set of them.

Deprivation comes from the English Indices of Deprivation 2019, published on 2011 LSOAs. Each 2011 LSOA
is carried to a 2021 LSOA by the ONS best-fit lookup, and each 2021 LSOA belongs to its MSOA (the ONS
numbering) and to the ward holding most of its area (both in the release: ``lsoa11_to_lsoa21``,
``lsoa21``). A place's profile sums the mid-2015 populations (IoD2019 denominators) of its 2011 LSOAs:
the share of its population in England's most deprived 10% is the population of its 2011 LSOAs in
decile 1 over the population of all of them — a ratio of sums, never an average of shares. The deciles
were measured on the 2011 LSOAs, not on the ward or neighbourhood, and the page says so.
"""

from __future__ import annotations

import re
from typing import Any

import duckdb

from observatory.pipeline.places import KIND_LABELS, custom_url, normalise
from observatory.release import read
from observatory.sources.imd import DOMAINS, LSOA_COUNT, POPULATION_SLUG, decile_slug, rank_slug
from observatory.sources.postcodes import normalise_postcode, postcode_prefix
from observatory.stats import deprivation as stats_deprivation
from observatory.web.data.common import Row
from observatory.web.errors import BadRequest, NotFound

WARD = re.compile(r"^E05\d{6}$")
MSOA = re.compile(r"^E02\d{6}$")
MAX_MEMBERS = 120
METHOD = (
    "IoD2019 ranks and deciles were published for 2011 LSOAs. Each 2011 LSOA is placed in a 2021 LSOA by "
    "the ONS best-fit lookup (LSOA 2011 to LSOA 2021, v2), and each 2021 LSOA in its MSOA and in the ward "
    "(May 2025) that holds most of its area. A place's share of population in England's most deprived 10% "
    "is the mid-2015 population (the IoD2019 denominators, excluding prisoners) of its 2011 LSOAs in "
    "decile 1, divided by the population of all its 2011 LSOAs; likewise for 20% (deciles 1 and 2). The "
    "deciles describe the 2011 LSOAs, not the ward or neighbourhood as a whole."
)
POSTCODE_NOTE = (
    "Positions are postcode centroids from the ONS National Statistics Postcode Lookup (May 2025), placed "
    "in the 2021 boundaries by point-in-polygon; a postcode near a boundary can straddle it."
)


def _codes(value: str | None, pattern: re.Pattern[str], param: str) -> list[str]:
    codes = [c.strip().upper() for c in (value or "").split(",") if c.strip()]
    bad = [c for c in codes if not pattern.match(c)]
    if bad:
        raise BadRequest(param, f"{bad[0][:20]!r} is not a code", "comma-separated GSS codes")
    if len(codes) > MAX_MEMBERS:
        raise BadRequest(param, f"more than {MAX_MEMBERS} areas", f"up to {MAX_MEMBERS}")
    return list(dict.fromkeys(codes))


def _members(cur: duckdb.DuckDBPyConnection, codes: list[str]) -> list[Row]:
    found = [read.plain(p) for p in read.wards_and_msoas(cur, codes)]
    by = {r["code"]: r for r in found}
    missing = [c for c in codes if c not in by]
    if missing:
        raise NotFound(f"{missing[0]} is not a ward (May 2025) or neighbourhood (MSOA 2021) of South Essex",
                       [("Search for a place", "/search"), ("Build your own area", "/areas/custom")])  # fmt: skip
    return [{**by[c], "kind": "ward" if by[c]["type"] == "ward" else "neighbourhood", "url": f"/areas/{c}"}
            for c in codes]  # fmt: skip


def _lsoas(cur: duckdb.DuckDBPyConnection, wards: list[str], msoas: list[str]) -> list[Row]:
    """The 2021 LSOAs of the place, each with the 2011 LSOAs carried to it and their IMD decile."""
    found = [read.plain(r) for r in read.lsoa21_links(cur, wards, msoas)]
    lsoa11 = sorted({r["lsoa11"] for r in found if r["lsoa11"]})
    values = _iod(cur, lsoa11)
    out: dict[str, Row] = {}
    for r in found:
        row = out.setdefault(r["code"], {k: r[k] for k in ("code", "name", "ward", "ward_name", "msoa21",
                                                            "msoa_name", "ward_share")} | {"lsoa11": []})  # fmt: skip
        if r["lsoa11"]:
            v = values.get(r["lsoa11"], {})
            row["lsoa11"].append({"code": r["lsoa11"], "name": r["lsoa11_name"], "url": f"/areas/{r['lsoa11']}",
                                  "decile": v.get(("imd", "decile")), "rank": v.get(("imd", "rank")),
                                  "population": v.get(("pop", ""))})  # fmt: skip
    return list(out.values())


def _iod(cur: duckdb.DuckDBPyConnection, lsoa11: list[str]) -> dict[str, dict[tuple[str, str], int]]:
    slugs = {decile_slug(d.key): (d.key, "decile") for d in DOMAINS} | {
        rank_slug(d.key): (d.key, "rank") for d in DOMAINS
    }
    slugs[POPULATION_SLUG] = ("pop", "")
    out: dict[str, dict[tuple[str, str], int]] = {}
    for o in read.observations_of(cur, indicators=sorted(slugs), areas=lsoa11):
        if o.value is not None:
            out.setdefault(o.area_code, {})[slugs[o.indicator]] = int(o.value)
    return out


def deprivation_profile(cur: duckdb.DuckDBPyConnection, lsoa11: list[str]) -> dict[str, Any]:
    """Per domain: population of the 2011 LSOAs in England's most deprived 10% and 20%, over all of them
    (:func:`observatory.stats.deprivation.deprivation_profile` on the release's IoD2019 observations)."""
    return stats_deprivation.deprivation_profile(_iod(cur, lsoa11), lsoa11)


def place_page(
    cur: duckdb.DuckDBPyConnection, wards: list[str], msoas: list[str], name: str | None = None,
    postcode: str | None = None,
    custom: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """A ward, a neighbourhood or a custom set: members, 2021 LSOAs with IoD2019 carried, profile, method."""
    members = _members(cur, wards + msoas)
    single = members[0] if len(members) == 1 and not name and not custom else None
    lsoas = _lsoas(cur, wards, msoas)
    lsoa11 = sorted({x["code"] for r in lsoas for x in r["lsoa11"]})
    profile = deprivation_profile(cur, lsoa11)
    without = [r["code"] for r in lsoas if not r["lsoa11"]]
    authorities = sorted({(m["authority_code"], m["authority_name"]) for m in members})
    if single is not None:
        kind = single["kind"]
        title = single["name"]
        lead = (f"{'Ward (May 2025)' if kind == 'ward' else 'Neighbourhood (MSOA 2021)'} in "
                f"{single['authority_name']}, area code {single['code']}")  # fmt: skip
    else:
        kind = "custom"
        title = name or "Your area"
        parts = []
        if wards:
            parts.append(f"{len(wards)} ward{'s' * (len(wards) != 1)}")
        if msoas:
            parts.append(f"{len(msoas)} neighbourhood{'s' * (len(msoas) != 1)}")
        places = ", ".join(n for _, n in authorities)
        lead = f"{'Named area' if name else 'Custom area'}: {' and '.join(parts)} in {places}"
    extra: dict[str, Any] = {}
    if single is not None and kind == "ward":
        extra["ward_neighbourhoods"] = [read.plain(m) for m in read.msoas_of_ward(cur, single["code"])]
    if single is not None and kind == "neighbourhood":
        extra["neighbourhood_wards"] = [read.plain(w) for w in read.wards_of_msoa(cur, single["code"])]
        first = next(iter(read.lsoa21s(cur, msoa=single["code"])), None)
        extra["ons_name"] = (first.name if first else "")[:-1] or None
    located = postcode_lookup(cur, postcode) if postcode else None
    return {
        "title": title,
        "kind": kind,
        "kind_label": KIND_LABELS.get(kind, "Custom area"),
        "lead": lead,
        "members": members,
        "wards": wards,
        "neighbourhoods": msoas,
        "authorities": [{"code": c, "name": n, "url": f"/areas/{c}"} for c, n in authorities],
        "lsoas": lsoas,
        "profile": profile,
        "coverage": {
            "lsoa21": len(lsoas),
            "lsoa21_without_iod": without,
            "lsoa11": len(lsoa11),
            "population": profile["population"],
        },
        "method": METHOD,
        "lsoa_total": LSOA_COUNT,
        "share_url": custom_url(name or (single["name"] if single else None), wards, msoas),
        "postcode": located,
        "postcode_note": POSTCODE_NOTE if located else None,
        **extra,
        "table": [
            {
                "area": r["code"],
                "area_name": r["name"],
                "ward": r["ward"],
                "msoa21": r["msoa21"],
                "lsoa11": x["code"],
                "imd_decile_2019_lsoa11": x["decile"],
                "imd_rank_2019_lsoa11": x["rank"],
                "population_mid_2015_lsoa11": x["population"],
            }
            for r in lsoas
            for x in (r["lsoa11"] or [{"code": None, "decile": None, "rank": None, "population": None}])
        ],
    }


def custom_page(
    cur: duckdb.DuckDBPyConnection, wards: str | None, neighbourhoods: str | None, name: str | None
) -> dict[str, Any]:
    """``/areas/custom``: with no areas chosen, the picker (every ward and neighbourhood); else the profile."""
    w = _codes(wards, WARD, "wards")
    m = _codes(neighbourhoods, MSOA, "neighbourhoods")
    label = " ".join((name or "").split())[:80] or None
    choices = [read.plain(p) for p in read.wards_and_msoas(cur)]
    picker: dict[str, dict[str, Any]] = {}
    for c in choices:
        group = picker.setdefault(c["authority_code"], {"code": c["authority_code"], "name": c["authority_name"],
                                                         "wards": [], "neighbourhoods": []})  # fmt: skip
        chosen = c["code"] in w or c["code"] in m
        group["wards" if c["type"] == "ward" else "neighbourhoods"].append({**c, "checked": chosen})
    named: list[dict[str, Any]] = [
        {"slug": n.slug, "name": n.name, "wards": n.wards, "neighbourhoods": n.neighbourhoods, "note": n.note}
        for n in read.named_places(cur, "config")
    ]
    for n in named:
        n["url"] = custom_url(n["name"], list(n["wards"]), list(n["neighbourhoods"]))
    if not w and not m:
        return {"title": "Build your own area", "kind": "picker", "picker": list(picker.values()), "named": named,
                "name": label, "table": []}  # fmt: skip
    data = place_page(cur, w, m, label, custom=True)
    data["picker"] = list(picker.values())
    data["named"] = named
    data["name"] = label
    return data


def postcode_lookup(cur: duckdb.DuckDBPyConnection, text: str) -> Row | None:
    """A full postcode's place (any spacing or case), or None when it is not a postcode in the release."""
    pc = normalise_postcode(text)
    if pc is None:
        return None
    found = read.postcode(cur, pc)
    if found is None:
        return {"postcode": pc, "found": False}
    return {**found, "found": True}


def postcode_area(cur: duckdb.DuckDBPyConnection, text: str) -> Row | None:
    """A postcode district ("SS0") or sector ("SS0 7"): how its postcodes fall across wards and authorities."""
    prefix = postcode_prefix(text)
    if prefix is None:
        return None
    kind, value = prefix
    found = _spread(cur, kind, value)
    if not found and kind == "district" and value[-1].isdigit() and len(value) > 2:
        kind, value = "sector", f"{value[:-1]} {value[-1]}"  # "SS07" written without its space
        found = _spread(cur, kind, value)
    if not found:
        return {"kind": kind, "value": value, "total": 0, "wards": [], "authorities": []}
    total = sum(r["n"] for r in found)
    wards: dict[str, Row] = {}
    lads: dict[str, Row] = {}
    for r in found:
        if r["ward"]:
            wards.setdefault(r["ward"], {"code": r["ward"], "name": r["ward_name"], "url": f"/areas/{r['ward']}",
                                         "authority_name": r["authority_name"], "n": 0})["n"] += r["n"]  # fmt: skip
        key = r["authority"] or ""
        lads.setdefault(key, {"code": r["authority"], "name": r["authority_name"] or "no authority boundary",
                              "in_scope": r["in_scope"], "n": 0})["n"] += r["n"]  # fmt: skip
    return {
        "kind": kind, "value": value, "total": total,
        "wards": sorted(wards.values(), key=lambda r: (-r["n"], r["name"])),
        "authorities": sorted(lads.values(), key=lambda r: (-r["n"], r["name"])),
    }  # fmt: skip


def _spread(cur: duckdb.DuckDBPyConnection, kind: str, value: str) -> list[Row]:
    return [read.plain(r) for r in read.postcode_spread(cur, kind, value)]


PLACE_COLUMNS = "key, name, kind, code, url, authority, authority_name, south_essex, detail"
KIND_ORDER = {"authority": 0, "town": 1, "named": 1, "ward": 2, "neighbourhood": 3, "parish": 4, "elsewhere": 5}


def load_places(cur: duckdb.DuckDBPyConnection) -> list[Row]:
    """The release's place search index (built at build time; every release has the table, maybe empty)."""
    keys = PLACE_COLUMNS.split(", ")
    return [{k: getattr(p, k) for k in keys} for p in read.place_search(cur)]


def place_results(index: list[Row], text: str, limit: int = 10) -> list[Row]:
    """Places by name: exact, then prefix, then word-prefix, then fuzzy; South Essex before elsewhere.

    ``index`` is :func:`load_places`' list (kept per release by the search module).
    """
    from rapidfuzz import fuzz, process

    key = normalise(text)
    if not key:
        return []
    found: list[tuple[int, Row]] = []
    for r in index:
        k = r["key"]
        if k == key:
            found.append((0, r))
        elif k.startswith(key):
            found.append((1, r))
        elif f" {key}" in f" {k}":
            found.append((2, r))
        elif key in k:
            found.append((3, r))
    if len(found) < limit and len(key) >= 3:  # typos: fuzzy over the South Essex names only
        pool = [r for r in index if r["south_essex"]]
        near = process.extract(key, [r["key"] for r in pool], scorer=fuzz.WRatio, limit=limit, score_cutoff=80)
        have = {id(r) for _, r in found}
        found += [(3, pool[i]) for _, _, i in near if id(pool[i]) not in have]
    found.sort(key=lambda tr: (tr[0] if tr[1]["south_essex"] or tr[0] == 0 else tr[0] + 4, not tr[1]["south_essex"],
                               KIND_ORDER.get(tr[1]["kind"], 6), len(tr[1]["name"]), tr[1]["name"]))  # fmt: skip
    out: list[Row] = []
    seen: set[str] = set()
    for tier, r in found:
        if r["url"] in seen:
            continue
        seen.add(r["url"])
        where = r["authority_name"] if r["authority_name"] and r["kind"] != "authority" else None
        out.append({"name": r["name"], "kind": r["kind"], "kind_label": KIND_LABELS.get(r["kind"], r["kind"]),
                    "code": r["code"], "url": r["url"], "authority": r["authority"], "authority_name": where,
                    "south_essex": r["south_essex"], "detail": r["detail"], "exact": tier == 0})  # fmt: skip
        if len(out) >= limit:
            break
    return out
