"""Deprivation profile of a set of neighbourhoods (a ward, a named neighbourhood or a user's custom area).

Source: MHCLG English Indices of Deprivation 2019, LSOA 2011 deciles by domain and the mid-2015 population
of each LSOA (``imd2019-lsoa``), as carried in the release's observations. A set chosen at request time
cannot be precomputed by the build, so its profile is worked here, in the statistics layer, never in web code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from observatory.sources.imd import DOMAINS

POPULATION = ("pop", "")


def deprivation_profile(values: Mapping[str, Mapping[tuple[str, str], int]], lsoa11: Sequence[str]) -> dict[str, Any]:
    """Per IoD domain: the population of the 2011 LSOAs in England's most deprived 10% and 20%, over the population
    of those with a decile — counts added first, then one share (never an average of the LSOAs' shares).

    ``values``: LSOA code → {(domain key, "decile"): 1–10, ("pop", ""): mid-2015 population}.
    Returns ``{"population", "lsoa11_count", "domains": [{key, label, population, lsoas, pop10, pop20, lsoas10,
    lsoas20, share10, share20}]}``; shares are percentages (unrounded; the page rounds them), None without
    population.
    """
    covered = [c for c in lsoa11 if POPULATION in values.get(c, {})]
    population = sum(values[c][POPULATION] for c in covered)
    domains = []
    for d in DOMAINS:
        with_decile = [c for c in covered if (d.key, "decile") in values[c]]
        total = sum(values[c][POPULATION] for c in with_decile)
        in10 = sum(values[c][POPULATION] for c in with_decile if values[c][(d.key, "decile")] == 1)
        in20 = sum(values[c][POPULATION] for c in with_decile if values[c][(d.key, "decile")] <= 2)
        n10 = sum(1 for c in with_decile if values[c][(d.key, "decile")] == 1)
        n20 = sum(1 for c in with_decile if values[c][(d.key, "decile")] <= 2)
        domains.append({
            "key": d.key, "label": d.label, "population": total, "lsoas": len(with_decile),
            "pop10": in10, "pop20": in20, "lsoas10": n10, "lsoas20": n20,
            "share10": 100.0 * in10 / total if total else None,
            "share20": 100.0 * in20 / total if total else None,
        })  # fmt: skip
    return {"population": population, "lsoa11_count": len(covered), "domains": domains}
