"""The business base by rule: sector × size structure, location quotients and change, from ``business_counts``.

Written by the build into every release (tables always created; empty without UK Business Counts), for the
areas of interest, each group (counts summed over its members, a value only when every member has one) and
England. Shares and quotients use the sum of the 18 industry groups as the area's total, so that the
industries of an area add up to 100% (ONS rounds every cell to 5 independently, so the size-band file's
total can differ by a few enterprises).

- ``business_structure``: (area_code, year, industry_code, industry, size_band, count, area_total, share,
  england_count, england_total, england_share, lq, representation). ``share`` = count / area_total (all
  sizes, all industries; for ``industry_code`` ``00``, all industries, the size-band file's total);
  ``lq`` = share / england_share (None where England has none); ``representation`` ``over`` / ``under``
  per ``METHOD`` for a sector's all-sizes row, else None.
- ``business_change``: (area_code, industry_code, industry, size_band, from_year, to_year, from_count,
  to_count, change, change_pct, england_change_pct) between the first and last year.

A quotient says nothing about how many enterprises stand behind it: pages show counts beside it, and the
shortlists use ``MIN_COUNT`` (see ``METHOD``).
"""

from __future__ import annotations

import duckdb

from observatory import format as nf
from observatory.config import Config
from observatory.release import schema
from observatory.sources.nomis_xlsx import RATE_INTERVAL_METHOD

ENGLAND = "E92000001"
MIN_COUNT = 50  # a sector enters a shortlist only with at least this many enterprises (area or expected)
MIN_SHARE = 0.01  # the same threshold as for GVA location quotients (stats/productivity.MIN_SHARE)
EXCLUSION_RULE = (
    "Enterprise-count location quotients are not read as a sector's over-representation for a sector with fewer "
    f"than {MIN_COUNT} enterprises in the area (counts are rounded to 5, so a small sector's quotient can move a "
    "long way on rounding alone) or with less than 1% of the area's enterprises (too small for a high quotient to "
    "mean a strength, as for the GVA quotients). Such sectors keep their quotient in the tables, with the reason."
)
METHOD = (
    "Location quotient of enterprise counts: the sector's share of the area's enterprises divided by its share "
    "of England's, both from UK Business Counts (all size bands; shares of the sum of the 18 industry groups). "
    f"A sector is called over-represented at a quotient of 1.2 or more with at least {MIN_COUNT} enterprises in "
    f"the area, and under-represented at 0.8 or less where at least {MIN_COUNT} would be expected at England's "
    "share: counts are rounded to 5, so quotients of small sectors are not meaningful. " + EXCLUSION_RULE
)


def exclusion(count: float | None, share: float | None) -> str | None:
    """Why a sector's enterprise-count quotient is not read as over-representation (see ``EXCLUSION_RULE``)."""
    if count is None or count < MIN_COUNT:
        return f"fewer than {MIN_COUNT} enterprises (counts are rounded to 5)"
    if share is None or share < MIN_SHARE:
        return (
            f"{nf.number(None if share is None else 100 * share, 1)}% of the area's enterprises, below the 1% threshold"
        )
    return None


# Method ids for /methodology (joined to the release's ``methods`` table by stats/derive.py).
METHODS: dict[str, tuple[str, str]] = {
    "lq-enterprise-counts": ("Location quotients of enterprise counts (UK Business Counts)", METHOD),
    "aps-rate-from-counts": (
        "Employment, unemployment and inactivity rates from APS counts",
        "Rate = numerator count / denominator count × 100 (employment and inactivity: of all aged 16–64; "
        "unemployment: of the economically active), from the published APS T01 counts. "
        + RATE_INTERVAL_METHOD
        + " A group's rate is the ratio of its members' summed counts, without an interval.",
    ),
    "dfe-rounding": (
        "Apprenticeship figures summed, then rounded to 10",
        "DfE's provider-level file is unrounded; the observatory sums it exactly to each authority (or home × "
        "delivery pair) and then rounds to the nearest 10, halves up, as DfE publishes such figures. Rates per "
        "1,000 residents aged 16–64 use the rounded count and ONS's mid-2021 population for every year.",
    ),
}


def write_business(con: duckdb.DuckDBPyConnection, config: Config) -> None:
    """Create and fill ``business_structure`` and ``business_change`` on the release being written."""
    schema.create(con, schema.BUSINESS_TABLES)
    areas = [*config.areas_of_interest, ENGLAND]
    groups = [(g.slug, list(g.members)) for g in config.groups]
    con.execute("CREATE TEMP TABLE _bc AS SELECT * FROM business_counts WHERE area_code IN (SELECT unnest(?))", [areas])
    for slug, members in groups:
        con.execute(
            """INSERT INTO _bc
               SELECT ?, year, industry_code, any_value(industry), size_band, sum(count), '', 0
               FROM business_counts WHERE area_code IN (SELECT unnest(?))
               GROUP BY year, industry_code, size_band HAVING count(DISTINCT area_code) = ?""",
            [slug, members, len(members)],
        )
    con.execute(
        """
        INSERT INTO business_structure
        WITH totals AS (
          SELECT area_code, year, sum(count) AS area_total FROM _bc
          WHERE industry_code <> '00' AND size_band = 'total' GROUP BY area_code, year),
        all_sizes AS (
          SELECT area_code, year, count AS total00 FROM _bc WHERE industry_code = '00' AND size_band = 'total'),
        cells AS (
          SELECT b.area_code, b.year, b.industry_code, b.industry, b.size_band, b.count,
                 CASE WHEN b.industry_code = '00' THEN a.total00 ELSE t.area_total END AS area_total
          FROM _bc b JOIN totals t USING (area_code, year) LEFT JOIN all_sizes a USING (area_code, year)),
        shares AS (SELECT *, count / nullif(area_total, 0) AS share FROM cells)
        SELECT c.area_code, c.year, c.industry_code, c.industry, c.size_band, c.count, c.area_total, c.share,
               e.count, e.area_total, e.share, c.share / nullif(e.share, 0),
               CASE WHEN c.size_band <> 'total' OR c.industry_code = '00' THEN NULL
                    WHEN c.share / nullif(e.share, 0) >= 1.2 AND c.count >= $min AND c.share >= $min_share THEN 'over'
                    WHEN c.share / nullif(e.share, 0) <= 0.8 AND e.share * c.area_total >= $min THEN 'under' END,
               NULL
        FROM shares c LEFT JOIN shares e
          ON e.area_code = $england AND e.year = c.year AND e.industry_code = c.industry_code
             AND e.size_band = c.size_band
        ORDER BY c.area_code, c.year, c.industry_code, c.size_band
        """,
        {"england": ENGLAND, "min": MIN_COUNT, "min_share": MIN_SHARE},
    )
    sectors = con.execute(
        "SELECT area_code, year, industry_code, count, share FROM business_structure "
        "WHERE size_band = 'total' AND industry_code <> '00'"
    ).fetchall()
    con.executemany(
        "UPDATE business_structure SET exclusion = ? WHERE area_code = ? AND year = ? AND industry_code = ? "
        "AND size_band = 'total'",
        [(why, a, y, i) for a, y, i, count, share in sectors if (why := exclusion(count, share)) is not None],
    )
    con.execute(
        """
        INSERT INTO business_change
        WITH span AS (SELECT min(year) AS y0, max(year) AS y1 FROM _bc),
        pairs AS (
          SELECT a.area_code, a.industry_code, a.industry, a.size_band, a.year AS from_year, b.year AS to_year,
                 a.count AS from_count, b.count AS to_count
          FROM _bc a JOIN _bc b USING (area_code, industry_code, size_band), span
          WHERE a.year = span.y0 AND b.year = span.y1)
        SELECT p.area_code, p.industry_code, p.industry, p.size_band, p.from_year, p.to_year, p.from_count,
               p.to_count, p.to_count - p.from_count, 100 * (p.to_count - p.from_count) / nullif(p.from_count, 0),
               100 * (e.to_count - e.from_count) / nullif(e.from_count, 0)
        FROM pairs p LEFT JOIN pairs e
          ON e.area_code = ? AND e.industry_code = p.industry_code AND e.size_band = p.size_band
        ORDER BY p.area_code, p.industry_code, p.size_band
        """,
        [ENGLAND],
    )
    con.execute("DROP TABLE _bc")
