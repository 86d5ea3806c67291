"""The one read layer over a release: typed rows of the declared tables, the tidy export and the diff.

Pages, the API, the command line and the PDF reports read a release through these functions. Each takes a
DuckDB cursor on one release (``Release.cursor()`` or ``Store.open``) and returns the typed rows declared in
:mod:`observatory.release.schema` — the columns are known, so no caller asks whether a table or column
exists (a release file without them is refused when it is opened). Every value from a user reaches SQL as
a bound parameter; table and column names come only from the schema's declarations; release file paths
come only from validated release ids.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import duckdb

from observatory.release import schema
from observatory.release.schema import (
    AggregateRow,
    AreaRelationRow,
    AreaRow,
    ChangeRow,
    ComparisonRow,
    FindingRow,
    IndicatorJudgementRow,
    IndicatorRow,
    InputRow,
    LocationQuotientRow,
    Lsoa21Row,
    MapClassRow,
    MethodRow,
    NamedPlaceRow,
    NeighbourMedianRow,
    NeighbourRow,
    ObservationRow,
    PlaceSearchRow,
    ProductivityIndexRow,
    RangeRow,
    RankRow,
    ReleaseInfoRow,
    Table,
    TrendRow,
)
from observatory.store import Store, StoreError

R = TypeVar("R")
Cursor = duckdb.DuckDBPyConnection
Where = Mapping[str, object]

# ---------------------------------------------------------------------------------------------------------------
# Typed rows of the declared tables


def select(cur: Cursor, table: Table[R], where: Where | None = None, *, order: str | None = None) -> list[R]:
    """Rows of ``table`` matching ``where`` (column → value; a list/tuple/set means "any of"; None means NULL).

    ``order`` is an SQL ORDER BY list of declared columns (default: the table's storage order). Raises
    ``ValueError`` for a column the table does not declare.
    """
    clauses: list[str] = []
    params: dict[str, object] = {}
    for i, (column, value) in enumerate((where or {}).items()):
        if column not in table.names:
            raise ValueError(f"{table.name} has no column {column!r}")
        if value is None:
            clauses.append(f'"{column}" IS NULL')
        elif isinstance(value, list | tuple | set | frozenset):
            clauses.append(f'"{column}" IN (SELECT unnest($p{i}))')
            params[f"p{i}"] = list(value)
        else:
            clauses.append(f'"{column}" = $p{i}')
            params[f"p{i}"] = value
    sql = f'SELECT {table.column_list()} FROM "{table.name}"'  # noqa: S608 (declared names only)
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    if order or table.order:
        sql += f" ORDER BY {order or table.order}"
    cur.execute(sql, params)
    return [table.make(r) for r in cur.fetchall()]


def _any(values: Collection[str] | None) -> list[str] | None:
    return None if values is None else list(values)


def _where(**columns: object) -> dict[str, object]:
    """Only the filters given (a None filter means "all", not "IS NULL")."""
    return {k: v for k, v in columns.items() if v is not None}


def release_info(cur: Cursor) -> ReleaseInfoRow:
    found = select(cur, schema.RELEASE_INFO)
    if not found:
        raise StoreError("the release has no release_info row")
    return found[0]


def inputs(cur: Cursor) -> list[InputRow]:
    """The release's input files in the build's order."""
    return select(cur, schema.INPUTS)


def findings(cur: Cursor) -> list[FindingRow]:
    """The build's findings in the build's order."""
    return select(cur, schema.FINDINGS)


@dataclass(frozen=True, slots=True)
class FindingCount:
    """How many findings of one rule and severity the build made, with one message as an example."""

    severity: str
    rule: str
    count: int
    example: str


def finding_counts(cur: Cursor) -> list[FindingCount]:
    """Findings by severity and rule: errors, then warnings, then the rest; the most frequent first."""
    cur.execute(
        "SELECT severity, rule, count(*), any_value(message) FROM findings GROUP BY severity, rule "
        "ORDER BY CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, count(*) DESC, rule"
    )
    return [FindingCount(*r) for r in cur.fetchall()]


def indicators(cur: Cursor, slugs: Collection[str] | None = None) -> list[IndicatorRow]:
    """Indicators (all, or those named), by label."""
    return select(cur, schema.INDICATORS, _where(slug=_any(slugs)), order="label, slug")


def indicator(cur: Cursor, slug: str) -> IndicatorRow | None:
    found = select(cur, schema.INDICATORS, {"slug": slug})
    return found[0] if found else None


def areas(cur: Cursor, codes: Collection[str] | None = None) -> list[AreaRow]:
    """Areas (all, or those named), by code."""
    return select(cur, schema.AREAS, _where(code=_any(codes)))


def area(cur: Cursor, code: str) -> AreaRow | None:
    found = select(cur, schema.AREAS, {"code": code})
    return found[0] if found else None


def area_names(cur: Cursor, codes: Collection[str]) -> dict[str, str]:
    """Code → name for the areas named (codes not in the release are left out)."""
    return {a.code: a.name for a in areas(cur, codes)}


def area_relations(
    cur: Cursor,
    codes: Collection[str] | None = None,
    *,
    parents: Collection[str] | None = None,
    relations: Collection[str] | None = None,
) -> list[AreaRelationRow]:
    return select(cur, schema.AREA_RELATIONS, _where(code=_any(codes), parent=_any(parents), relation=_any(relations)))


def judgements(cur: Cursor) -> dict[str, IndicatorJudgementRow]:
    """The reviewed judgement metadata by indicator slug."""
    return {j.indicator: j for j in select(cur, schema.INDICATOR_JUDGEMENTS)}


def methods(cur: Cursor) -> list[MethodRow]:
    return select(cur, schema.METHODS)


def comparisons(
    cur: Cursor,
    *,
    indicators: Collection[str] | None = None,
    areas: Collection[str] | None = None,
    roles: Collection[str] | None = None,
) -> list[ComparisonRow]:
    """Comparisons with benchmarks (``roles``: england, region, group …), by indicator, area, period, role."""
    return select(
        cur,
        schema.COMPARISONS,
        _where(indicator=_any(indicators), area_code=_any(areas), benchmark_role=_any(roles)),
    )


def trends(
    cur: Cursor, *, indicators: Collection[str] | None = None, areas: Collection[str] | None = None
) -> list[TrendRow]:
    """Trend results, by indicator, area and period (the period the trend ends at)."""
    return select(cur, schema.TRENDS, _where(indicator=_any(indicators), area_code=_any(areas)))


def changes(
    cur: Cursor, *, indicators: Collection[str] | None = None, areas: Collection[str] | None = None
) -> list[ChangeRow]:
    return select(cur, schema.CHANGES, _where(indicator=_any(indicators), area_code=_any(areas)))


def ranks(
    cur: Cursor,
    *,
    indicators: Collection[str] | None = None,
    areas: Collection[str] | None = None,
    periods: Collection[str] | None = None,
) -> list[RankRow]:
    return select(cur, schema.RANKS, _where(indicator=_any(indicators), area_code=_any(areas), period=_any(periods)))


def aggregates(
    cur: Cursor, groups: Collection[str] | None = None, *, indicators: Collection[str] | None = None
) -> list[AggregateRow]:
    """Group values by group, indicator and period (undated rows first)."""
    return select(cur, schema.AGGREGATES, _where(group=_any(groups), indicator=_any(indicators)))


def neighbours(cur: Cursor, area_code: str) -> list[NeighbourRow]:
    """An area's statistical neighbours, nearest first."""
    return select(cur, schema.NEIGHBOURS, {"area_code": area_code})


def productivity_index(cur: Cursor, areas: Collection[str] | None = None) -> list[ProductivityIndexRow]:
    return select(cur, schema.PRODUCTIVITY_INDEX, _where(area_code=_any(areas)))


def latest_location_quotients(cur: Cursor, prices: str = "current") -> list[LocationQuotientRow]:
    """Each ITL3 area's location quotients in its latest year with quotients (``prices`` current or CVM),
    by area code, then the highest quotient first (industries without a quotient left out)."""
    columns = schema.LOCATION_QUOTIENTS.column_list("q")
    cur.execute(
        f"""
        WITH latest AS (SELECT itl3_code, max(year) AS year FROM location_quotients
                        WHERE lq IS NOT NULL AND prices = $prices GROUP BY itl3_code)
        SELECT {columns} FROM location_quotients q JOIN latest l USING (itl3_code, year)
        WHERE q.lq IS NOT NULL AND q.prices = $prices
        ORDER BY q.itl3_code, q.lq DESC, q.sic_code
        """,  # noqa: S608 (declared names only)
        {"prices": prices},
    )
    return [schema.LOCATION_QUOTIENTS.make(r) for r in cur.fetchall()]


def map_classes(cur: Cursor, indicator: str, period: str) -> list[MapClassRow]:
    """The classes of an indicator's map at a period, lowest first (empty: nothing to map)."""
    return select(cur, schema.MAP_CLASSES, {"indicator": indicator, "period": period})


@dataclass(frozen=True, slots=True)
class MappedArea:
    """A current local authority with its boundary (GeoJSON, WGS84) and its value at one period."""

    code: str
    name: str
    geojson: str
    value: float | None
    period_label: str | None


def mapped_areas(cur: Cursor, indicator: str, period: str) -> list[MappedArea]:
    """Every current lower-tier authority with a boundary, by code, with its value for ``period`` (None where it
    has none): the areas an indicator's map draws and ``map_classes`` classifies."""
    cur.execute(
        f"""
        SELECT a.code, a.name, g.geojson, o.value, o.period_label
        FROM areas a JOIN area_geometry g ON g.code = a.code
        LEFT JOIN observations o ON o.area_code = a.code AND o.indicator = $slug AND o.period = $period
        WHERE {CURRENT_LTLA} ORDER BY a.code
        """,  # noqa: S608 (constant fragment)
        {"slug": indicator, "period": period},
    )
    return [MappedArea(*r) for r in cur.fetchall()]


# ---------------------------------------------------------------------------------------------------------------
# Queries the pages and the API need beyond one table's rows (joins, latest periods, counts). Each returns typed
# rows; :func:`plain` turns any of them into the dict a page's JSON and CSV are made from.


def plain(row: Any) -> dict[str, Any]:
    """A typed row (any dataclass in this module or the schema) as a plain dict, field → value."""
    return {f.name: getattr(row, f.name) for f in dataclasses.fields(row)}


def observations_at(cur: Cursor, pairs: Collection[tuple[str, str]], codes: Collection[str]) -> list[ObservationRow]:
    """Observations of the areas ``codes`` at the given (indicator, period) pairs (none for no pairs or codes)."""
    if not pairs or not codes:
        return []
    columns = schema.OBSERVATIONS.column_list("o")
    cur.execute(
        f"""
        SELECT {columns}
        FROM observations o JOIN (SELECT unnest($i) AS i, unnest($p) AS p) k ON k.i = o.indicator AND k.p = o.period
        WHERE o.area_code IN (SELECT unnest($c))
        ORDER BY o.indicator, o.area_code, o.period_start
        """,  # noqa: S608 (declared names only)
        {"i": [p[0] for p in pairs], "p": [p[1] for p in pairs], "c": list(codes)},
    )
    return [schema.OBSERVATIONS.make(r) for r in cur.fetchall()]


def observations_of(
    cur: Cursor, *, indicators: Collection[str] | None = None, areas: Collection[str] | None = None
) -> list[ObservationRow]:
    """Observations (all, or of the indicators and areas named), by indicator, area and period start."""
    return select(cur, schema.OBSERVATIONS, _where(indicator=_any(indicators), area_code=_any(areas)))


@dataclass(frozen=True, slots=True)
class LatestPeriod:
    """The latest period with a value of an indicator among some areas."""

    indicator: str
    period: str
    period_label: str
    period_start: Any


def latest_periods(cur: Cursor, indicators: Collection[str], codes: Collection[str]) -> dict[str, LatestPeriod]:
    """Indicator → its latest period in which any of ``codes`` has a value (latest start; of two periods that
    start together, the later ISO text, as the pages have always chosen)."""
    cur.execute(
        """
        SELECT indicator, period, period_label, period_start
        FROM observations WHERE indicator IN (SELECT unnest($s)) AND area_code IN (SELECT unnest($c))
          AND value IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY indicator ORDER BY period_start DESC, period DESC) = 1
        ORDER BY indicator
        """,
        {"s": list(indicators), "c": list(codes)},
    )
    return {r[0]: LatestPeriod(*r) for r in cur.fetchall()}


def neighbour_medians(
    cur: Cursor, indicator: str, period: str, codes: Collection[str]
) -> dict[str, NeighbourMedianRow]:
    """Area code → the median of its statistical neighbours' values of ``indicator`` at ``period``."""
    found = select(cur, schema.NEIGHBOUR_MEDIANS, {"indicator": indicator, "period": period, "area_code": list(codes)})
    return {r.area_code: r for r in found}


def areas_named_like(cur: Cursor, word: str) -> list[AreaRow]:
    """Areas whose lower-cased name contains ``word`` (a cheap pre-filter for name look-ups), by code."""
    columns = schema.AREAS.column_list()
    cur.execute(
        f"SELECT {columns} FROM areas WHERE lower(name) LIKE '%' || $w || '%' ORDER BY code",  # noqa: S608
        {"w": word.lower()},
    )
    return [schema.AREAS.make(r) for r in cur.fetchall()]


def current_areas(cur: Cursor) -> list[AreaRow]:
    """Areas that have not ended (``valid_to`` NULL), by code."""
    return select(cur, schema.AREAS, {"valid_to": None})


def descendants(cur: Cursor, code: str) -> set[str]:
    """``code`` and every area within it (following area relations down, except same-as and group membership)."""
    cur.execute(
        """
        WITH RECURSIVE d(code) AS (
          SELECT $o::VARCHAR
          UNION SELECT r.code FROM area_relations r JOIN d ON r.parent = d.code
          WHERE r.relation NOT IN ('same-as', 'member'))
        SELECT code FROM d
        """,
        {"o": code},
    )
    return {r[0] for r in cur.fetchall()}


@dataclass(frozen=True, slots=True)
class HeadlineTrend:
    """An area's latest value of an indicator (``trends.latest``) with its changes from 1 and 5 periods back."""

    area_code: str
    name: str
    period: str
    period_label: str
    value: float | None
    change_1: float | None
    change_1_from: str | None
    change_5: float | None
    change_5_from: str | None
    status: str | None = None  # the observation's status (e.g. 'u' low reliability), shown beside the value


def headline_trends(cur: Cursor, indicator: str, codes: Collection[str]) -> list[HeadlineTrend]:
    """For each of ``codes`` with a trend: the latest period of the indicator's main period type, its value and
    the build's changes from exactly 1 and 5 periods earlier (None across a gap)."""
    cur.execute(
        """
        SELECT l.area_code, a.name, l.period, l.period_label, l.last_value,
               c1.change, c1.from_label, c5.change, c5.from_label, o.status
        FROM trends l JOIN areas a ON a.code = l.area_code
        LEFT JOIN observations o ON o.indicator = l.indicator AND o.area_code = l.area_code AND o.period = l.period
        LEFT JOIN changes c1 ON c1.indicator = l.indicator AND c1.area_code = l.area_code AND c1.period = l.period
             AND c1.periods_back = 1
        LEFT JOIN changes c5 ON c5.indicator = l.indicator AND c5.area_code = l.area_code AND c5.period = l.period
             AND c5.periods_back = 5
        WHERE l.indicator = $slug AND l.latest AND l.area_code IN (SELECT unnest($codes))
        ORDER BY l.area_code
        """,
        {"slug": indicator, "codes": list(codes)},
    )
    return [HeadlineTrend(*r) for r in cur.fetchall()]


def producer_counts(cur: Cursor) -> list[tuple[str, int]]:
    """(producer, number of indicators) over the release's ``source_org`` lists ("|"-separated), most first."""
    cur.execute(
        "SELECT trim(p), count(*) FROM indicators, unnest(string_split(source_org, '|')) t(p) "
        "WHERE source_org IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1"
    )
    return [(str(p), int(n)) for p, n in cur.fetchall()]


@dataclass(frozen=True, slots=True)
class AreaShape:
    """An area's name and boundary (GeoJSON, WGS84)."""

    code: str
    name: str
    geojson: str


def english_authority_shapes(cur: Cursor) -> list[AreaShape]:
    """Current English lower-tier authorities (E06, E07, E08, E09) with their boundaries, by code."""
    cur.execute(
        """SELECT a.code, a.name, g.geojson FROM areas a JOIN area_geometry g ON g.code = a.code
           WHERE a.type = 'ltla' AND a.valid_to IS NULL AND (a.code LIKE 'E06%' OR a.code LIKE 'E07%'
                 OR a.code LIKE 'E08%' OR a.code LIKE 'E09%') ORDER BY a.code"""
    )
    return [AreaShape(*r) for r in cur.fetchall()]


CURRENT_LTLA = "list_contains(a.types, 'ltla') AND a.valid_to IS NULL"  # a current lower-tier authority


@dataclass(frozen=True, slots=True)
class PeriodCount:
    """A period and how many current local authorities have a value in it."""

    period: str
    period_label: str
    n: int


def latest_authority_period(cur: Cursor, indicator: str) -> PeriodCount | None:
    """The latest period in which current local authorities have values of ``indicator`` (of periods starting
    together, the one with most authorities)."""
    cur.execute(
        f"""
        SELECT o.period, any_value(o.period_label), count(*) AS n
        FROM observations o JOIN areas a ON a.code = o.area_code
        WHERE o.indicator = $slug AND o.value IS NOT NULL AND {CURRENT_LTLA}
        GROUP BY o.period, o.period_start ORDER BY o.period_start DESC, n DESC LIMIT 1
        """,  # noqa: S608 (constant fragment)
        {"slug": indicator},
    )
    found = cur.fetchone()
    return None if found is None else PeriodCount(*found)


@dataclass(frozen=True, slots=True)
class RankedValue:
    """An authority's value at a period with its rank among the build's peers (None: not in the peer set)."""

    code: str
    name: str
    value: float
    lci_95: float | None
    uci_95: float | None
    status: str | None
    rank: int | None
    peers: int | None


def ranking(cur: Cursor, indicator: str, period: str) -> list[RankedValue]:
    """Every current authority (and every ranked area) with a value at ``period``: ranked ones by rank (the
    build's ``ranks``), then the rest by value, highest first, then by name."""
    cur.execute(
        f"""
        SELECT a.code, a.name, o.value, o.lci_95, o.uci_95, o.status, r.rank, r.peers
        FROM observations o JOIN areas a ON a.code = o.area_code
        LEFT JOIN ranks r ON r.indicator = o.indicator AND r.period = o.period AND r.area_code = o.area_code
        WHERE o.indicator = $slug AND o.period = $period AND o.value IS NOT NULL
          AND ({CURRENT_LTLA} OR r.rank IS NOT NULL)
        ORDER BY r.rank NULLS LAST, o.value DESC, a.name
        """,  # noqa: S608 (constant fragment)
        {"slug": indicator, "period": period},
    )
    return [RankedValue(*r) for r in cur.fetchall()]


def current_authorities_in(cur: Cursor, parent: str) -> list[AreaRow]:
    """Current lower-tier authorities directly within ``parent`` (a county, region …), by name."""
    columns = schema.AREAS.column_list("a")
    cur.execute(
        f"SELECT {columns} FROM area_relations r JOIN areas a ON a.code = r.code "  # noqa: S608 (declared names)
        "WHERE r.parent = $p AND a.type = 'ltla' AND a.valid_to IS NULL ORDER BY a.name, a.code",
        {"p": parent},
    )
    return [schema.AREAS.make(r) for r in cur.fetchall()]


@dataclass(frozen=True, slots=True)
class ParentArea:
    """A county or region containing some authorities, and how many current authorities it holds."""

    code: str
    name: str
    n: int


def parents_of(cur: Cursor, codes: Collection[str]) -> list[ParentArea]:
    """The counties, upper-tier areas and regions containing any of ``codes``, smallest first, then by name."""
    cur.execute(
        """
        SELECT p.code, p.name, count(DISTINCT k.code) AS n FROM area_relations r JOIN areas p ON p.code = r.parent
        JOIN area_relations k ON k.parent = p.code JOIN areas ka ON ka.code = k.code
        WHERE r.code IN (SELECT unnest($c)) AND r.relation IN ('cty', 'utla', 'rgn') AND ka.type = 'ltla'
          AND ka.valid_to IS NULL
        GROUP BY p.code, p.name ORDER BY n, p.name
        """,
        {"c": list(codes)},
    )
    return [ParentArea(*r) for r in cur.fetchall()]


def latest_judged_comparisons(
    cur: Cursor, *, indicator: str | None = None, area: str | None = None, latest: bool = True
) -> list[ComparisonRow]:
    """Comparisons (of one indicator and/or area, or all); ``latest``: only each series' latest judged period —
    the latest period with a comparison, i.e. with a value (as area pages show it), not a later period whose
    value is missing or suppressed. By indicator, area, period, benchmark."""
    columns = schema.COMPARISONS.column_list("c")
    cur.execute(
        f"""SELECT {columns} FROM comparisons c
            WHERE ($i IS NULL OR indicator = $i) AND ($a IS NULL OR area_code = $a)
              AND (NOT $latest OR period = (SELECT max_by(o.period, o.period_start) FROM observations o
                   WHERE o.indicator = c.indicator AND o.area_code = c.area_code AND o.period IN
                   (SELECT c2.period FROM comparisons c2 WHERE c2.indicator = c.indicator
                    AND c2.area_code = c.area_code)))
            ORDER BY indicator, area_code, period, benchmark_code""",  # noqa: S608 (declared names only)
        {"i": indicator, "a": area, "latest": latest},
    )
    return [schema.COMPARISONS.make(r) for r in cur.fetchall()]


def series_present(cur: Cursor, indicators: Collection[str], codes: Collection[str]) -> set[tuple[str, str]]:
    """(indicator, area code) pairs among those asked for that have at least one observation."""
    cur.execute(
        "SELECT DISTINCT indicator, area_code FROM observations "
        "WHERE indicator IN (SELECT unnest($s)) AND area_code IN (SELECT unnest($c))",
        {"s": list(indicators), "c": list(codes)},
    )
    return {(str(i), str(a)) for i, a in cur.fetchall()}


@dataclass(frozen=True, slots=True)
class LsoaDeprivation:
    """An LSOA of an authority with its IoD rank and decile on one domain and its population (mid-2015)."""

    code: str
    name: str
    authority_code: str
    authority_name: str
    rank: int | None
    decile: int | None
    population: int | None


def lsoa_deprivation(
    cur: Cursor, authorities: Collection[str], *, rank: str, decile: str, population: str
) -> list[LsoaDeprivation]:
    """The LSOAs of ``authorities`` with the values of the ``rank``, ``decile`` and ``population`` indicators,
    most deprived (rank 1) first, unranked last."""
    cur.execute(
        """
        SELECT a.code, a.name, r.parent, p.name,
               max(CASE WHEN o.indicator = $rank THEN o.value END)::INTEGER AS rank,
               max(CASE WHEN o.indicator = $decile THEN o.value END)::INTEGER,
               max(CASE WHEN o.indicator = $pop THEN o.value END)::INTEGER
        FROM areas a JOIN area_relations r ON r.code = a.code AND r.relation = 'ltla'
        JOIN areas p ON p.code = r.parent
        LEFT JOIN observations o ON o.area_code = a.code AND o.indicator IN ($rank, $decile, $pop)
        WHERE a.type = 'lsoa' AND r.parent IN (SELECT unnest($lads))
        GROUP BY ALL ORDER BY rank NULLS LAST, a.code
        """,
        {"rank": rank, "decile": decile, "pop": population, "lads": list(authorities)},
    )
    return [LsoaDeprivation(*r) for r in cur.fetchall()]


def ranges_at(cur: Cursor, pairs: Collection[tuple[str, str]]) -> list[RangeRow]:
    """The spread of the rank peers' values at each (indicator, period) pair that has one."""
    wanted = set(pairs)
    if not wanted:
        return []
    found = select(cur, schema.RANGES, {"indicator": sorted({i for i, _ in wanted})})
    return [r for r in found if (r.indicator, r.period) in wanted]


# Places: wards (May 2025), neighbourhoods (MSOA 2021), 2021 LSOAs and postcodes of South Essex


@dataclass(frozen=True, slots=True)
class PlaceArea:
    """A ward or neighbourhood (MSOA 2021) with the authority it lies in."""

    code: str
    name: str
    type: str  # ward, msoa
    authority_code: str
    authority_name: str


def wards_and_msoas(cur: Cursor, codes: Collection[str] | None = None) -> list[PlaceArea]:
    """Wards and neighbourhoods (all, or those named) with their authority: by authority name, wards first,
    then by name."""
    cur.execute(
        "SELECT a.code, a.name, a.type, r.parent, p.name FROM areas a "
        "JOIN area_relations r ON r.code = a.code AND r.relation = 'ltla' JOIN areas p ON p.code = r.parent "
        "WHERE a.type IN ('ward', 'msoa') AND ($c IS NULL OR a.code IN (SELECT unnest($c))) "
        "ORDER BY p.name, a.type DESC, a.name, a.code",
        {"c": None if codes is None else list(codes)},
    )
    return [PlaceArea(*r) for r in cur.fetchall()]


@dataclass(frozen=True, slots=True)
class Lsoa21Link:
    """A 2021 LSOA with its ward and neighbourhood, and one 2011 LSOA carried to it (best-fit lookup)."""

    code: str
    name: str
    ward: str | None
    ward_name: str | None
    msoa21: str | None
    msoa_name: str | None
    ward_share: float | None
    lsoa11: str | None
    lsoa11_name: str | None


def lsoa21_links(cur: Cursor, wards: Collection[str], msoas: Collection[str]) -> list[Lsoa21Link]:
    """The 2021 LSOAs in any of ``wards`` or ``msoas``, one row per 2011 LSOA carried to each, by code."""
    cur.execute(
        """
        SELECT l.code, l.name, l.ward, w.name, l.msoa21, m.name, l.ward_share, b.lsoa11, a11.name
        FROM lsoa21 l LEFT JOIN areas w ON w.code = l.ward LEFT JOIN areas m ON m.code = l.msoa21
        LEFT JOIN lsoa11_to_lsoa21 b ON b.lsoa21 = l.code LEFT JOIN areas a11 ON a11.code = b.lsoa11
        WHERE l.ward IN (SELECT unnest($w)) OR l.msoa21 IN (SELECT unnest($m))
        ORDER BY l.code, b.lsoa11
        """,
        {"w": list(wards), "m": list(msoas)},
    )
    return [Lsoa21Link(*r) for r in cur.fetchall()]


@dataclass(frozen=True, slots=True)
class AreaName:
    code: str
    name: str


def _overlapping(cur: Cursor, want: str, given: str, code: str) -> list[AreaName]:
    """Areas of the 2021 LSOA column ``want`` (ward or msoa21) sharing an LSOA with ``code`` in column ``given``."""
    cur.execute(
        f"SELECT DISTINCT x.code, x.name FROM lsoa21 l JOIN areas x ON x.code = l.{want} "  # noqa: S608 (constants)
        f"WHERE l.{given} = $c ORDER BY x.name, x.code",
        {"c": code},
    )
    return [AreaName(*r) for r in cur.fetchall()]


def msoas_of_ward(cur: Cursor, ward: str) -> list[AreaName]:
    """The neighbourhoods (MSOA 2021) that the ward's 2021 LSOAs lie in, by name."""
    return _overlapping(cur, "msoa21", "ward", ward)


def wards_of_msoa(cur: Cursor, msoa: str) -> list[AreaName]:
    """The wards that the neighbourhood's 2021 LSOAs lie in, by name."""
    return _overlapping(cur, "ward", "msoa21", msoa)


def lsoa21s(cur: Cursor, *, msoa: str) -> list[Lsoa21Row]:
    """The 2021 LSOAs of a neighbourhood (MSOA 2021), by code."""
    return select(cur, schema.LSOA21, {"msoa21": msoa})


def named_places(cur: Cursor, origin: str) -> list[NamedPlaceRow]:
    """Named places of one origin (config, parish, bua22), by name."""
    return sorted(select(cur, schema.NAMED_PLACES, {"origin": origin}), key=lambda p: (p.name, p.slug))


def postcode(cur: Cursor, code: str) -> dict[str, Any] | None:
    """One postcode ("SS1 1AA"): its ``postcodes`` row with the names of its ward, neighbourhood (MSOA),
    authority and 2021 LSOA (``ward_name``, ``msoa_name``, ``authority_name``, ``lsoa21_name``); None when the
    release does not have it."""
    found = select(cur, schema.POSTCODES, {"postcode": code})
    if not found:
        return None
    p = found[0]
    names = area_names(cur, [c for c in (p.ward, p.msoa21, p.authority) if c])
    lsoa = select(cur, schema.LSOA21, {"code": p.lsoa21}) if p.lsoa21 else []
    return {
        **schema.POSTCODES.as_dict(p),
        "ward_name": names.get(p.ward or ""),
        "msoa_name": names.get(p.msoa21 or ""),
        "authority_name": names.get(p.authority or ""),
        "lsoa21_name": lsoa[0].name if lsoa else None,
    }


@dataclass(frozen=True, slots=True)
class PostcodeSpread:
    """How many postcodes of a district or sector fall in one ward and authority."""

    ward: str | None
    ward_name: str | None
    authority: str | None
    authority_name: str | None
    in_scope: bool
    n: int


def postcode_spread(cur: Cursor, kind: str, value: str) -> list[PostcodeSpread]:
    """Postcodes of a district ("SS0", ``kind`` "district") or sector ("SS0 7") by ward and authority."""
    column = "district" if kind == "district" else "sector"
    cur.execute(
        f"SELECT p.ward, w.name, p.authority, a.name, p.in_scope, count(*) "  # noqa: S608 (a declared column)
        f"FROM postcodes p LEFT JOIN areas w ON w.code = p.ward LEFT JOIN areas a ON a.code = p.authority "
        f"WHERE p.{column} = $v GROUP BY ALL ORDER BY p.ward NULLS LAST, p.authority NULLS LAST",
        {"v": value},
    )
    return [PostcodeSpread(*r) for r in cur.fetchall()]


def place_search(cur: Cursor) -> list[PlaceSearchRow]:
    """The release's place search index (towns, wards, neighbourhoods, parishes …), by key, kind, url."""
    return select(cur, schema.PLACE_SEARCH, order="key, kind, url")


def sibling_shapes(cur: Cursor, *, relation: str, parent: str, type: str) -> list[AreaShape]:
    """Current areas of ``type`` related to ``parent`` by ``relation`` (e.g. the districts of a region), with
    their boundaries, by code."""
    cur.execute(
        """
        SELECT a.code, a.name, g.geojson FROM areas a JOIN area_geometry g ON g.code = a.code
        JOIN area_relations r ON r.code = a.code AND r.relation = $rel AND r.parent = $parent
        WHERE a.type = $type AND a.valid_to IS NULL ORDER BY a.code
        """,
        {"rel": relation, "parent": parent, "type": type},
    )
    return [AreaShape(*r) for r in cur.fetchall()]


def shapes_within(cur: Cursor, type: str, authorities: Collection[str]) -> list[AreaShape]:
    """Areas of ``type`` (lsoa, ward, msoa …) within ``authorities``, with their boundaries, by code."""
    cur.execute(
        """
        SELECT a.code, a.name, g.geojson FROM areas a JOIN area_geometry g ON g.code = a.code
        JOIN area_relations r ON r.code = a.code AND r.relation = 'ltla'
        WHERE a.type = $t AND r.parent IN (SELECT unnest($l)) ORDER BY a.code
        """,
        {"t": type, "l": list(authorities)},
    )
    return [AreaShape(*r) for r in cur.fetchall()]


@dataclass(frozen=True, slots=True)
class TownShapes:
    """A named place of some authorities, its size in 2021 LSOAs and the boundaries of its parts."""

    name: str
    lsoas: int
    geojsons: list[str]


def towns(cur: Cursor, authorities: Collection[str]) -> list[TownShapes]:
    """The named places of ``authorities``, largest (most 2021 LSOAs) first, then by name."""
    cur.execute(
        """
        WITH parts AS (
          SELECT n.name, u.code FROM named_places n, unnest(list_concat(n.wards, n.neighbourhoods)) u(code)
          WHERE n.authority IN (SELECT unnest($l))),
        sizes AS (
          SELECT p.name, count(DISTINCT l.code) AS n FROM parts p
          JOIN lsoa21 l ON l.ward = p.code OR l.msoa21 = p.code GROUP BY p.name)
        SELECT p.name, s.n, list(g.geojson) FROM parts p JOIN sizes s ON s.name = p.name
        JOIN area_geometry g ON g.code = p.code GROUP BY p.name, s.n ORDER BY s.n DESC, p.name
        """,
        {"l": list(authorities)},
    )
    return [TownShapes(*r) for r in cur.fetchall()]


# Business base, travel to work and apprenticeships (the detail tables of issue 13)


def has_rows(cur: Cursor, table: Table[Any]) -> bool:
    """Whether a declared table holds any row (a release built without that source has it empty)."""
    cur.execute(f'SELECT 1 FROM "{table.name}" LIMIT 1')  # noqa: S608 (declared names only)
    return cur.fetchone() is not None


def business_years(cur: Cursor, area: str | None = None) -> list[int]:
    """The years of ``business_structure`` (of one area, or of any), earliest first."""
    cur.execute(
        "SELECT DISTINCT year FROM business_structure WHERE $a IS NULL OR area_code = $a ORDER BY 1", {"a": area}
    )
    return [int(r[0]) for r in cur.fetchall()]


@dataclass(frozen=True, slots=True)
class FlowTotal:
    """People travelling between an area and a set of areas (Census 2021, workplace in the UK), summed."""

    code: str
    name: str
    count: float


def commuting_totals(
    cur: Cursor, codes: Collection[str], *, to: bool, outside: bool, limit: int | None = None, least: float = 0
) -> list[FlowTotal]:
    """Summed flows from ``codes`` to each destination (``to``) or into ``codes`` from each origin, leaving
    out flows within one area and, with ``outside``, flows among ``codes``; at least ``least`` people; the
    largest first (``limit`` of them)."""
    near, far = ("origin_code", "destination_code") if to else ("destination_code", "origin_code")
    cur.execute(
        f"""SELECT f.{far}, coalesce(a.name, f.{far}), sum(f.count) AS total
            FROM commuting_flows f LEFT JOIN areas a ON a.code = f.{far}
            WHERE f.place_of_work = 3 AND f.{near} IN (SELECT unnest($o)) AND f.destination_code <> f.origin_code
              AND (NOT $outside OR f.{far} NOT IN (SELECT unnest($o)))
            GROUP BY 1, 2 HAVING sum(f.count) >= $least ORDER BY total DESC, 1 LIMIT $n""",  # noqa: S608 (constants)
        {"o": list(codes), "outside": outside, "least": least, "n": limit},
    )
    return [FlowTotal(*r) for r in cur.fetchall()]


# Observations for the API: a validated query (every list already checked against the release), its pages,
# its count, all its rows, or a stream of export rows.

_SELECT = (
    "o.indicator, o.area_code, a.name AS area_name, o.period, o.period_label, o.period_start, o.period_duration,"
    " o.value, o.lci_95, o.uci_95, o.numerator, o.denominator, o.status, o.notes"
)
_ORDER = "o.indicator, o.area_code, o.period_start, o.period_duration"


def _dicts(cur: Cursor, sql: str, params: Mapping[str, object]) -> list[dict[str, Any]]:
    cur.execute(sql, dict(params))
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


@dataclass(frozen=True)
class ObservationQuery:
    """A validated observations query: every list is checked against the release before any SQL runs."""

    indicators: list[str] | None = None
    areas: list[str] | None = None
    area_types: list[str] | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    latest: bool = False
    latest_table: bool = False  # answer ``latest`` from the release's precomputed latest_observations

    def sql(self) -> tuple[str, dict[str, Any]]:
        where = ["TRUE"]
        params: dict[str, Any] = {}
        if self.indicators is not None:
            where.append("list_contains($ind, o.indicator)" if len(self.indicators) > 1 else "o.indicator = $ind")
            params["ind"] = self.indicators if len(self.indicators) > 1 else self.indicators[0]
        if self.areas is not None:
            where.append("list_contains($areas, o.area_code)" if len(self.areas) > 1 else "o.area_code = $areas")
            params["areas"] = self.areas if len(self.areas) > 1 else self.areas[0]
        if self.area_types is not None:
            where.append("list_has_any(a.types, $types)")
            params["types"] = self.area_types
        if self.start is not None:
            where.append("o.period_start >= $start")
            params["start"] = self.start
        if self.end is not None:
            where.append("o.period_start <= $end")
            params["end"] = self.end
        table = "observations"
        latest = ""
        if self.latest and self.latest_table and self.start is None and self.end is None:
            table = "latest_observations"
        elif self.latest:
            latest = (
                " QUALIFY row_number() OVER (PARTITION BY o.indicator, o.area_code"
                " ORDER BY o.period_start DESC, o.period_duration DESC NULLS LAST) = 1"
            )
        sql = (
            f"SELECT {_SELECT} FROM {table} o JOIN areas a ON a.code = o.area_code "  # noqa: S608 (constants)
            f"WHERE {' AND '.join(where)}{latest}"
        )
        return sql, params


def observation_page(cur: Cursor, query: ObservationQuery, limit: int, offset: int) -> tuple[int, list[dict[str, Any]]]:
    """One page of observations in the export order, and how many the whole query has."""
    sql, params = query.sql()
    found = _dicts(
        cur,
        f"SELECT *, count(*) OVER () AS total FROM ({sql}) o ORDER BY {_ORDER} LIMIT $limit OFFSET $offset",  # noqa: S608
        {**params, "limit": limit, "offset": offset},
    )
    if found:
        total = int(found[0]["total"])
        for r in found:
            del r["total"]
        return total, found
    return observation_count(cur, query), []


def observation_count(cur: Cursor, query: ObservationQuery) -> int:
    sql, params = query.sql()
    cur.execute(f"SELECT count(*) FROM ({sql}) o", params)  # noqa: S608
    counted = cur.fetchone()
    return int(counted[0]) if counted else 0


def observation_rows(cur: Cursor, query: ObservationQuery) -> list[dict[str, Any]]:
    sql, params = query.sql()
    return _dicts(cur, f"SELECT * FROM ({sql}) o ORDER BY {_ORDER}", params)  # noqa: S608


def observation_stream(
    cur: Cursor, query: ObservationQuery, release_id: str, batch: int = 5000
) -> Iterator[tuple[object, ...]]:
    """Rows in the columns of ``observatory export`` (EXPORT_COLUMNS), fetched in batches as they are sent."""
    sql, params = query.sql()
    columns = "area_code, area_name, indicator, period, period_start, period_duration, value, lci_95, uci_95"
    cur.execute(
        f"SELECT {columns}, numerator, denominator, status, notes, $release FROM ({sql}) o ORDER BY {_ORDER}",  # noqa: S608
        {**params, "release": release_id},
    )
    try:
        while chunk := cur.fetchmany(batch):
            yield from chunk
    finally:
        cur.close()


# Indicator and area metadata for the API (rows as dicts, named as the API's response models name them)


def indicator_area_types(cur: Cursor, indicator: str) -> list[dict[str, Any]]:
    """(type, areas): how many areas of each type have observations of ``indicator``, most first."""
    return _dicts(
        cur,
        "SELECT t AS type, count(DISTINCT o.area_code) AS areas FROM observations o "
        "JOIN (SELECT code, unnest(types) AS t FROM areas) a ON a.code = o.area_code "
        "WHERE o.indicator = $s GROUP BY t ORDER BY areas DESC, t",
        {"s": indicator},
    )


def indicator_periods(cur: Cursor, indicator: str) -> list[dict[str, Any]]:
    """(period, label, start, duration, observations) of ``indicator``, by start."""
    return _dicts(
        cur,
        "SELECT period, any_value(period_label) AS label, period_start AS start, any_value(period_duration) AS "
        "duration, count(*) AS observations FROM observations WHERE indicator = $s "
        "GROUP BY period, period_start ORDER BY period_start, period",
        {"s": indicator},
    )


def period_labels(cur: Cursor, indicator: str) -> dict[str, str]:
    """Period → its label, for every period of ``indicator``."""
    return {r["period"]: r["label"] for r in indicator_periods(cur, indicator)}


def latest_period_of_type(cur: Cursor, indicator: str, area_type: str) -> str | None:
    """The latest period in which areas of ``area_type`` have a value of ``indicator``."""
    found = _dicts(
        cur,
        "SELECT o.period FROM observations o JOIN areas a ON a.code = o.area_code WHERE o.indicator = $s "
        "AND o.value IS NOT NULL AND list_contains(a.types, $t) ORDER BY o.period_start DESC, o.period LIMIT 1",
        {"s": indicator, "t": area_type},
    )
    return str(found[0]["period"]) if found else None


def ranked_of_type(cur: Cursor, indicator: str, period: str, area_type: str) -> list[dict[str, Any]]:
    """Areas of ``area_type`` with a value at ``period``, ranked (1 = highest), highest first."""
    return _dicts(
        cur,
        "SELECT a.code AS area_code, a.name AS area_name, o.value, o.lci_95, o.uci_95, o.status, "
        "rank() OVER (ORDER BY o.value DESC) AS rank FROM observations o JOIN areas a ON a.code = o.area_code "
        "WHERE o.indicator = $s AND o.period = $p AND o.value IS NOT NULL AND list_contains(a.types, $t) "
        "ORDER BY o.value DESC, a.name",
        {"s": indicator, "p": period, "t": area_type},
    )


def area_summaries(cur: Cursor, area_type: str | None, parent: str | None) -> list[dict[str, Any]]:
    """Areas (of a type, within a parent, or all) with whether each has a boundary, by name."""
    return _dicts(
        cur,
        "SELECT a.code, a.name, a.type, a.types, a.valid_from, a.valid_to, "
        "EXISTS (SELECT 1 FROM area_geometry g WHERE g.code = a.code) AS has_geometry FROM areas a "
        "WHERE ($t IS NULL OR list_contains(a.types, $t)) AND ($p IS NULL OR a.code IN "
        "(SELECT code FROM area_relations WHERE parent = $p AND relation <> 'same-as')) ORDER BY a.name, a.code",
        {"t": area_type, "p": parent},
    )


def area_links(cur: Cursor, code: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """An area's parents (code, name, relation), children (code, name, type, relation) and same-as areas."""
    parents = _dicts(
        cur,
        "SELECT r.parent AS code, p.name, r.relation FROM area_relations r JOIN areas p ON p.code = r.parent "
        "WHERE r.code = $c AND r.relation <> 'same-as' ORDER BY r.relation, p.name",
        {"c": code},
    )
    children = _dicts(
        cur,
        "SELECT r.code, c.name, c.type, r.relation FROM area_relations r JOIN areas c ON c.code = r.code "
        "WHERE r.parent = $c AND r.relation <> 'same-as' ORDER BY c.name, c.code",
        {"c": code},
    )
    same_as = _dicts(
        cur,
        "SELECT a.code, a.name FROM area_relations r JOIN areas a ON a.code = CASE WHEN r.code = $c THEN r.parent "
        "ELSE r.code END WHERE r.relation = 'same-as' AND (r.code = $c OR r.parent = $c) ORDER BY a.code",
        {"c": code},
    )
    return parents, children, same_as


def area_counts(cur: Cursor, code: str) -> tuple[int, int]:
    """(observations, indicators) of an area."""
    found = _dicts(
        cur,
        "SELECT count(*) AS n, count(DISTINCT indicator) AS k FROM observations WHERE area_code = $c",
        {"c": code},
    )
    return (int(found[0]["n"]), int(found[0]["k"])) if found else (0, 0)


def has_geometry(cur: Cursor, code: str) -> bool:
    """Whether the release has a boundary for the area."""
    return bool(_dicts(cur, "SELECT 1 AS present FROM area_geometry WHERE code = $c", {"c": code}))


def area_geojson(cur: Cursor, code: str) -> str | None:
    """An area's boundary (GeoJSON, WGS84), or None."""
    found = select(cur, schema.AREA_GEOMETRY, {"code": code})
    return found[0].geojson if found else None


def as_dicts(table: Table[R], found: list[R]) -> list[dict[str, Any]]:
    """Typed rows as plain dicts (column → value), for a page's JSON and CSV."""
    return [table.as_dict(r) for r in found]


# ---------------------------------------------------------------------------------------------------------------
# The tidy export and the diff between two releases

EXPORT_COLUMNS = (
    "area_code",
    "area_name",
    "indicator",
    "period",
    "period_start",
    "period_duration",
    "value",
    "lci_95",
    "uci_95",
    "numerator",
    "denominator",
    "status",
    "notes",
    "release",
)
DIFF_COLUMNS = (
    "change",
    "indicator",
    "area_code",
    "area_name",
    "period",
    "old_value",
    "new_value",
    "old_lci_95",
    "new_lci_95",
    "old_uci_95",
    "new_uci_95",
    "old_status",
    "new_status",
)
BATCH = 10_000


class UnknownIndicator(StoreError):
    pass


def check_indicator(con: duckdb.DuckDBPyConnection, slug: str | None, catalog: str = "main") -> None:
    """Raise :class:`UnknownIndicator` (with close matches) unless ``slug`` is None or in the release."""
    if slug is None:
        return
    cur = con.cursor()
    slugs = [r[0] for r in cur.execute(f"SELECT slug FROM {catalog}.indicators").fetchall()]  # noqa: S608
    if slug not in slugs:
        close = difflib.get_close_matches(slug, slugs, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else "; `observatory indicators` lists them"
        raise UnknownIndicator(f"no indicator {slug!r} in this release{hint}")


def export_rows(
    con: duckdb.DuckDBPyConnection, release_id: str, indicator: str | None = None
) -> Iterator[tuple[object, ...]]:
    """Every observation as a tidy row (EXPORT_COLUMNS), in a stable order, streamed in batches."""
    check_indicator(con, indicator)
    cur = con.cursor()
    cur.execute(
        """
        SELECT o.area_code, a.name, o.indicator, o.period, o.period_start, o.period_duration, o.value,
               o.lci_95, o.uci_95, o.numerator, o.denominator, o.status, o.notes, $release
        FROM observations o JOIN areas a ON a.code = o.area_code
        WHERE $indicator IS NULL OR o.indicator = $indicator
        ORDER BY o.indicator, o.area_code, o.period_start, o.period_duration
        """,
        {"release": release_id, "indicator": indicator},
    )
    while batch := cur.fetchmany(BATCH):
        yield from batch


@dataclass(frozen=True, slots=True)
class DiffSummary:
    added: int
    removed: int
    revised: int


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def diff_rows(
    store: Store, old: str, new: str, indicator: str | None = None
) -> tuple[str, str, list[tuple[object, ...]]]:
    """Observations added, removed and revised (value, interval or status) from release old to new."""
    old_id, new_id = store.resolve(old), store.resolve(new)
    con = duckdb.connect(":memory:")
    try:
        for alias, rid in (("old", old_id), ("new", new_id)):
            con.execute(f"ATTACH {_sql_string(str(store.release_path(rid)))} AS {alias} (READ_ONLY)")
        if indicator is not None:
            slugs = {
                r[0]
                for catalog in ("old", "new")
                for r in con.execute(f"SELECT slug FROM {catalog}.indicators").fetchall()  # noqa: S608
            }
            if indicator not in slugs:
                check_indicator(con, indicator, "new")
        rows = con.execute(
            """
            WITH o AS (SELECT * FROM old.observations WHERE $ind IS NULL OR indicator = $ind),
                 n AS (SELECT * FROM new.observations WHERE $ind IS NULL OR indicator = $ind),
                 j AS (
                   SELECT coalesce(n.indicator, o.indicator) AS indicator,
                          coalesce(n.area_code, o.area_code) AS area_code,
                          coalesce(n.period, o.period) AS period,
                          coalesce(n.period_start, o.period_start) AS period_start,
                          CASE WHEN o.indicator IS NULL THEN 'added'
                               WHEN n.indicator IS NULL THEN 'removed' ELSE 'revised' END AS change,
                          o.value AS old_value, n.value AS new_value, o.lci_95 AS old_lci, n.lci_95 AS new_lci,
                          o.uci_95 AS old_uci, n.uci_95 AS new_uci, o.status AS old_status, n.status AS new_status
                   FROM o FULL OUTER JOIN n
                     ON o.indicator = n.indicator AND o.area_code = n.area_code AND o.period = n.period
                   WHERE o.indicator IS NULL OR n.indicator IS NULL
                      OR o.value IS DISTINCT FROM n.value OR o.lci_95 IS DISTINCT FROM n.lci_95
                      OR o.uci_95 IS DISTINCT FROM n.uci_95 OR o.status IS DISTINCT FROM n.status
                 )
            SELECT j.change, j.indicator, j.area_code,
                   coalesce(na.name, oa.name, j.area_code), j.period,
                   j.old_value, j.new_value, j.old_lci, j.new_lci, j.old_uci, j.new_uci, j.old_status, j.new_status
            FROM j LEFT JOIN new.areas na ON na.code = j.area_code LEFT JOIN old.areas oa ON oa.code = j.area_code
            ORDER BY j.indicator, j.area_code, j.period_start, j.period, j.change
            """,
            {"ind": indicator},
        ).fetchall()
    finally:
        con.close()
    return old_id, new_id, rows


def summarise_diff(rows: list[tuple[object, ...]]) -> DiffSummary:
    changes = [r[0] for r in rows]
    return DiffSummary(changes.count("added"), changes.count("removed"), changes.count("revised"))
