"""The productivity gap: GVA per hour as an index of England, industry structure and shift-share.

GVA per hour worked is a ratio (GVA / hours), so a group's figure needs the group's total GVA and total
hours; an average of members' figures or indices would be wrong. The release has neither total for local
authorities, so South Essex's index is reported as not computable, with each member shown instead.

From the ITL3 GVA-by-industry tables (current prices, which add up): each industry's share of the area's
GVA, location quotients against the UK (the sum of all ITL3 areas), and a shift-share of GVA growth
between two years that splits each industry's actual change exactly into national growth, industry mix
and a local component.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from observatory import format as nf
from observatory.sources.gva_itl3 import GvaRow, industry_letters

METHOD_INDEX = "index-england-100"
METHOD_GROUP_INDEX = "index-not-computable-ratio"
METHOD_LQ = "location-quotient-uk"
METHOD_SHIFT_SHARE = "shift-share-3-component"
GVA_PER_HOUR = "gross-value-added-per-hour-worked"
UK_ITL3_SUM = "UK"  # code used for the sum of all ITL3 areas in the tables
DEFAULT_SHIFT_SHARE_YEARS: tuple[tuple[int, int], ...] = ((1998, 2021), (2011, 2021))


def index_of(value: float, england: float) -> float:
    """Value as an index with England = 100."""
    if england <= 0:
        raise ValueError("England's value must be positive to index against")
    return 100 * value / england


@dataclass(frozen=True, slots=True)
class LocationQuotient:
    itl3_code: str
    sic_code: str
    year: int
    area_value: float
    area_total: float
    area_share: float
    uk_value: float
    uk_total: float
    uk_share: float
    lq: float | None  # None when the UK has none of the industry
    exclusion: str | None = None  # why the industry is not offered as a sector strength; None = included


IMPUTED_RENTAL = "68IMP"  # owner-occupiers' imputed rental: output of owner-occupied homes, not of businesses
REAL_ESTATE = "L"
HOUSEHOLDS = "T"  # activities of households as employers
MIN_SHARE = 0.01  # industries below 1% of the area's (market) GVA are too small to call a strength
EXCLUSION_RULE = (
    "Location quotients are computed on GVA excluding owner-occupiers' imputed rental (the rent home owners are "
    "imputed to pay themselves: it is not produced by businesses and employs no one, yet it is most of the real "
    "estate figure in areas with many owner-occupied homes), so real estate means real estate businesses only. "
    "Not offered as sector strengths: activities of households as employers, and any industry with less than 1% of "
    "the area's GVA (on that basis) in the year — too small for a high quotient to mean a strength."
)


TOP_STRENGTHS = 5
STRENGTH_RULE = (
    "A sector strength is an industry with a location quotient above 1 (a larger share of the area's GVA than of "
    "the UK's) that the rule above does not exclude. The five highest are listed; where fewer than five "
    "industries qualify, only those are listed and the page says so."
)


def is_strength(lq: float | None, exclusion: str | None) -> bool:
    """Whether an industry may be called a sector strength: a quotient above 1 and not excluded."""
    return lq is not None and lq > 1 and exclusion is None


def market_basis(industries: Mapping[str, float], imputed: float | None) -> dict[str, float]:
    """The 18 broad industries with owner-occupiers' imputed rental taken out of real estate (L).

    ``imputed`` is the 68IMP row's value for the same area and year; None leaves L as published.
    """
    out = dict(industries)
    for sic in out:
        if imputed is not None and industry_letters(sic) == REAL_ESTATE:
            out[sic] -= imputed
    return out


def _exclusion(sic: str, share: float) -> str | None:
    if industry_letters(sic) == HOUSEHOLDS:
        return "activities of households as employers: not a business sector"
    if share < MIN_SHARE:
        return f"{nf.number(100 * share, 1)}% of the area's GVA, below the 1% threshold"
    return None


def industry_table(rows: Iterable[GvaRow], prices: str = "current") -> dict[tuple[str, int], dict[str, float]]:
    """(area, year) → {industry code: £m} for the 18 broad industries of one price basis."""
    table: dict[tuple[str, int], dict[str, float]] = defaultdict(dict)
    for r in rows:
        if r.prices == prices and r.level == "industry":
            for year, value in r.values.items():
                table[(r.itl3_code, year)][r.sic_code] = value
    return dict(table)


def uk_sum(table: Mapping[tuple[str, int], Mapping[str, float]]) -> dict[int, dict[str, float]]:
    """The UK as the sum of every ITL3 area, per year and industry (current prices add up; CVM do not)."""
    out: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for (_area, year), industries in table.items():
        for sic, v in industries.items():
            out[year][sic] += v
    return {y: dict(v) for y, v in out.items()}


def location_quotients(
    area: Mapping[str, float], uk: Mapping[str, float], itl3_code: str, year: int
) -> list[LocationQuotient]:
    """LQ = (industry's share of the area's GVA) / (industry's share of UK GVA); shares over the 18 industries.

    Pass maps on the :func:`market_basis` (imputed rental removed from both). Each result carries its
    ``exclusion`` (see :data:`EXCLUSION_RULE`), or None when it may be shown as a sector strength.
    """
    area_total = sum(area.values())
    uk_total = sum(uk.values())
    out = []
    for sic in sorted(area):
        a = area[sic]
        u = uk.get(sic, 0.0)
        a_share = a / area_total if area_total else 0.0
        u_share = u / uk_total if uk_total else 0.0
        lq = a_share / u_share if u_share > 0 else None
        out.append(
            LocationQuotient(
                itl3_code, sic, year, a, area_total, a_share, u, uk_total, u_share, lq, _exclusion(sic, a_share)
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class ShiftShare:
    itl3_code: str
    sic_code: str  # an industry, or "Total" for the sum over industries
    base_year: int
    end_year: int
    base_value: float
    end_value: float
    actual_change: float
    national_growth: float  # base × UK growth of all industries
    industry_mix: float  # base × (UK growth of this industry − UK growth of all industries)
    local: float  # the rest: base × (local growth − UK growth of this industry)
    uk_growth: float  # proportions, e.g. 0.25 = +25%
    industry_growth: float | None


def shift_share(
    itl3_code: str,
    base: Mapping[str, float],
    end: Mapping[str, float],
    uk_base: Mapping[str, float],
    uk_end: Mapping[str, float],
    base_year: int,
    end_year: int,
) -> list[ShiftShare]:
    """Three-component shift-share per industry plus a Total row; national + mix + local = actual, exactly.

    The local component is computed as the remainder, so the identity holds even for an industry that had
    no GVA in the base year (where a local growth rate is undefined) and cannot drift by rounding.
    """
    uk_total_base = sum(uk_base.values())
    g = sum(uk_end.values()) / uk_total_base - 1 if uk_total_base else 0.0
    rows: list[ShiftShare] = []
    for sic in sorted(set(base) | set(end)):
        b = base.get(sic, 0.0)
        e = end.get(sic, 0.0)
        ub = uk_base.get(sic, 0.0)
        gi = uk_end.get(sic, 0.0) / ub - 1 if ub else None
        national = b * g
        mix = b * ((gi if gi is not None else g) - g)
        actual = e - b
        rows.append(
            ShiftShare(itl3_code, sic, base_year, end_year, b, e, actual, national, mix, actual - national - mix, g, gi)
        )
    total = ShiftShare(
        itl3_code,
        "Total",
        base_year,
        end_year,
        sum(r.base_value for r in rows),
        sum(r.end_value for r in rows),
        sum(r.actual_change for r in rows),
        sum(r.national_growth for r in rows),
        sum(r.industry_mix for r in rows),
        sum(r.local for r in rows),
        g,
        g,
    )
    return [*rows, total]


def focus_rows(rows: Sequence[GvaRow], codes: Iterable[str]) -> list[GvaRow]:
    wanted = set(codes)
    return [r for r in rows if r.itl3_code in wanted]


METHODS = {
    METHOD_INDEX: (
        "GVA per hour worked as an index of England (England = 100)",
        "Each area's GVA per hour worked divided by England's for the same year, times 100 (England's figure is "
        "the publisher's E92000001 value, or its ITL1 'England' (TLB) value where only that is published). "
        "Below 100 means less output per hour than England: the productivity gap.",
    ),
    METHOD_GROUP_INDEX: (
        "No South Essex productivity index without totals",
        "GVA per hour is total GVA divided by total hours worked. A group's figure needs both totals for its "
        "members; averaging members' figures or indices would weight a small authority like a large one. The "
        "release has neither total for local authorities, so South Essex's index is 'not computable' and each "
        "member's index is shown instead.",
    ),
    METHOD_LQ: (
        "Location quotients against the UK",
        "From ONS regional GVA by industry (ITL3, current prices, £ million): an industry's share of the area's "
        "GVA divided by its share of UK GVA, both over the 18 broad industries (AB … T). The UK is the sum of all "
        "179 ITL3 areas in the tables (so it excludes Extra-Regio). Above 1: the area is more specialised in the "
        "industry than the UK. " + EXCLUSION_RULE,
    ),
    METHOD_SHIFT_SHARE: (
        "Shift-share of GVA growth",
        "For each broad industry between two years (current prices): national growth = base-year GVA × UK growth "
        "of all industries; industry mix = base-year GVA × (UK growth of the industry − UK growth of all "
        "industries); local component = actual change − national growth − industry mix, i.e. base-year GVA × "
        "(local growth − UK growth of the industry). The three add up exactly to the actual change. Current "
        "prices are used because chained-volume figures do not add up across industries or areas; the growth is "
        "therefore nominal.",
    ),
}
