"""Every table of a release file, declared once: its DDL, its columns, its typed row and its sort order.

A release is one DuckDB file. Each table below is one ``declare(...)`` of a frozen dataclass (the typed row);
the SQL column types, the ``NOT NULL`` constraints, the column order the build inserts in, the order the
rows are stored in and the columns the content hash covers all follow from that one declaration. The build
creates tables and inserts rows only through this module (:func:`create`, :func:`insert`,
:func:`insert_columns`), :mod:`observatory.release.read` reads them back as the same typed rows, and
:func:`check` refuses a release file whose tables or columns differ from these (an older or foreign file is
an error when it is opened, never a guess in a page).

To add a table: write its row dataclass, ``declare`` it (it joins :data:`TABLES`), and bump
:data:`SCHEMA_VERSION`.

Observations are stored sorted by indicator, area and period so DuckDB's zone maps keep per-request cost
independent of the total size of the release.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass
from typing import Any, Generic, TypeVar

import duckdb
import pyarrow as pa

from observatory.periods import PERIOD_KIND_SQL

SCHEMA_VERSION = 5  # 2: area_successors, ranges, neighbour_medians; location_quotients.exclusion; 3: business,
# workforce, apprenticeship and travel-to-work detail tables (DETAIL_TABLES, BUSINESS_TABLES); 4: place tables
# (PLACE_TABLES: lsoa21, lsoa11_to_lsoa21, postcodes, named_places, place_search); 5: map_classes,
# business_structure.exclusion

R = TypeVar("R")


class SchemaError(RuntimeError):
    """A release file whose tables or columns are not the ones this version of the observatory declares."""


# ---------------------------------------------------------------------------------------------------------------
# Declaring a table


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    sql_type: str  # VARCHAR, DOUBLE, INTEGER, BIGINT, BOOLEAN, DATE, TIMESTAMP, VARCHAR[]
    nullable: bool

    @property
    def quoted(self) -> str:
        return f'"{self.name}"'

    @property
    def arrow_type(self) -> pa.DataType:
        return _ARROW[self.sql_type]


_ARROW: dict[str, pa.DataType] = {
    "VARCHAR": pa.string(),
    "DOUBLE": pa.float64(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "BOOLEAN": pa.bool_(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
    "VARCHAR[]": pa.list_(pa.string()),
}
_SQL: dict[object, str] = {
    str: "VARCHAR",
    float: "DOUBLE",
    int: "INTEGER",
    bool: "BOOLEAN",
    dt.date: "DATE",
    dt.datetime: "TIMESTAMP",
    list[str]: "VARCHAR[]",
}


@dataclass(frozen=True, slots=True)
class Table(Generic[R]):
    """One release table: name, typed row class, columns in order, storage order, key and hashed columns."""

    name: str
    row: type[R]
    columns: tuple[Column, ...]
    order: str  # the order rows are stored in (SQL ORDER BY list); "" keeps the order they were given
    primary_key: tuple[str, ...] = ()
    hashed: tuple[str, ...] = ()  # columns the content hash covers (empty: derived, not hashed)
    hash_order: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column_list(self, alias: str = "") -> str:
        """The declared columns, quoted, comma-separated (optionally qualified by a table alias)."""
        prefix = f"{alias}." if alias else ""
        return ", ".join(f"{prefix}{c.quoted}" for c in self.columns)

    def ddl(self) -> str:
        cols = [
            f"{c.quoted} {c.sql_type}"
            + (" PRIMARY KEY" if self.primary_key == (c.name,) else "")
            + ("" if c.nullable or self.primary_key == (c.name,) else " NOT NULL")
            for c in self.columns
        ]
        return f'CREATE TABLE "{self.name}" ({", ".join(cols)})'

    def make(self, values: Sequence[Any]) -> R:
        """A typed row from a result tuple in the declared column order."""
        return self.row(*values)

    def as_dict(self, row: R) -> dict[str, Any]:
        """A typed row as a plain dict (column → value), e.g. for a page's JSON."""
        return {name: getattr(row, name) for name in self.names}


TABLES: dict[str, Table[Any]] = {}


def _sql_type(hint: object, override: str | None) -> tuple[str, bool]:
    nullable = False
    args = typing.get_args(hint)
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        rest = [a for a in args if a is not type(None)]
        nullable = len(rest) < len(args)
        hint = rest[0] if len(rest) == 1 else hint
    if override is not None:
        return override, nullable
    try:
        return _SQL[hint], nullable
    except KeyError:
        raise TypeError(f"no SQL type for {hint!r}") from None


def declare(
    name: str,
    row: type[R],
    *,
    order: str,
    primary_key: Sequence[str] = (),
    sql_types: Mapping[str, str] | None = None,
    hashed: str | Sequence[str] = (),
    hash_order: str = "",
) -> Table[R]:
    """Declare a release table from its row dataclass (field order = column order; ``X | None`` = nullable).

    ``hashed``: the columns the content hash covers (names, or one space-separated string).
    """
    if not is_dataclass(row):
        raise TypeError(f"{row!r} is not a dataclass")
    if name in TABLES:
        raise ValueError(f"table {name!r} is declared twice")
    hints = typing.get_type_hints(row)
    overrides = dict(sql_types or {})
    columns = []
    for f in fields(row):
        sql_type, nullable = _sql_type(hints[f.name], overrides.pop(f.name, None))
        columns.append(Column(f.name, sql_type, nullable))
    if overrides:
        raise ValueError(f"{name}: sql_types names unknown columns {sorted(overrides)}")
    hashed_columns = tuple(hashed.split() if isinstance(hashed, str) else hashed)
    table: Table[R] = Table(name, row, tuple(columns), order, tuple(primary_key), hashed_columns, hash_order)
    unknown = (set(table.primary_key) | set(table.hashed)) - set(table.names)
    if unknown:
        raise ValueError(f"{name}: primary key or hashed columns {sorted(unknown)} are not columns")
    TABLES[name] = table
    return table


# ---------------------------------------------------------------------------------------------------------------
# Base tables: what the publishers' files say, with the release's own record


@dataclass(frozen=True, slots=True)
class ReleaseInfoRow:
    id: str
    created: dt.datetime
    content_hash: str
    config_hash: str
    counts: str  # JSON object: table or quantity → count
    observatory_version: str
    sources_dir: str | None
    schema_version: int


@dataclass(frozen=True, slots=True)
class InputRow:
    """One input file: its source, path relative to the sources folder, size in bytes, sha256 and URL;
    ``provenance`` (JSON) for an officer's upload: who uploaded it, when, its organisation and embargo."""

    source: str | None
    path: str | None
    size: int | None
    sha256: str | None
    url: str | None
    provenance: str | None = None


@dataclass(frozen=True, slots=True)
class FindingRow:
    """One validation finding (see :class:`observatory.model.Finding`); ``row`` is the physical line."""

    rule: str | None
    severity: str | None
    file: str | None
    row: int | None
    column: str | None
    value: str | None
    message: str | None


@dataclass(frozen=True, slots=True)
class IndicatorRow:
    """An indicator's metadata as the publisher gives it, with counts filled in after the observations."""

    slug: str
    label: str
    dataset: str
    subtitle: str | None
    description: str | None
    caveats: str | None
    measure: str | None
    unit: str | None
    prefix: str | None
    suffix: str | None
    decimals: int | None
    source_org: str | None
    source_url: str | None
    source_date: dt.date | None
    experimental: bool | None
    standardised: bool | None
    licence: str | None
    themes: list[str] | None
    observations: int | None
    areas: int | None
    first_period: dt.date | None
    last_period: dt.date | None


@dataclass(frozen=True, slots=True)
class AreaRow:
    """An area: GSS code (or group slug), name, main type and every type, years valid, source, Welsh name."""

    code: str
    name: str
    type: str
    types: list[str] | None
    valid_from: int | None
    valid_to: int | None
    source: str | None
    welsh_name: str | None


@dataclass(frozen=True, slots=True)
class AreaRelationRow:
    """``code`` lies in (or is the same as) ``parent``; ``relation`` is the parent's kind (rgn, itl1, same-as …)."""

    code: str
    parent: str
    relation: str


@dataclass(frozen=True, slots=True)
class AreaGeometryRow:
    code: str
    geojson: str  # GeoJSON geometry, WGS84


@dataclass(frozen=True, slots=True)
class ObservationRow:
    """One published value: indicator × area × period, with its 95% interval, numerator, denominator, status."""

    indicator: str
    area_code: str
    period: str  # ISO 8601 period as the publisher wrote it
    period_start: dt.date
    period_duration: str | None  # ISO 8601 duration (P1Y, P3Y …); None for a point in time
    period_label: str
    value: float | None
    lci_95: float | None
    uci_95: float | None
    numerator: float | None
    denominator: float | None
    status: str | None
    notes: str | None
    source_file: str | None
    source_row: int | None


RELEASE_INFO = declare("release_info", ReleaseInfoRow, order="id")
# inputs and findings keep the build report's order (order="")
INPUTS = declare("inputs", InputRow, order="", sql_types={"size": "BIGINT"})
FINDINGS = declare("findings", FindingRow, order="")
INDICATORS = declare(
    "indicators",
    IndicatorRow,
    order="slug",
    primary_key=("slug",),
    hashed="slug label dataset subtitle description caveats measure unit prefix suffix decimals source_org source_url"
    " source_date experimental standardised licence themes",
    hash_order="slug",
)
AREAS = declare(
    "areas",
    AreaRow,
    order="code",
    primary_key=("code",),
    hashed=("code", "name", "type", "types", "valid_from", "valid_to", "welsh_name"),
    hash_order="code",
)
AREA_RELATIONS = declare(
    "area_relations",
    AreaRelationRow,
    order="code, relation, parent",
    hashed=("code", "relation", "parent"),
    hash_order="code, relation, parent",
)
AREA_GEOMETRY = declare(
    "area_geometry", AreaGeometryRow, order="code", primary_key=("code",), hashed=("code", "geojson"), hash_order="code"
)
OBSERVATIONS = declare(
    "observations",
    ObservationRow,
    order="indicator, area_code, period_start, period_duration",
    hashed="indicator area_code period value lci_95 uci_95 numerator denominator status notes",
    hash_order="indicator, area_code, period",
)


@dataclass(frozen=True, slots=True)
class LatestObservationRow(ObservationRow):
    """Each series' latest observation (same columns as ``observations``), precomputed for "latest" queries."""


LATEST_OBSERVATIONS = declare("latest_observations", LatestObservationRow, order="indicator, area_code")

BASE_TABLES: tuple[Table[Any], ...] = (
    RELEASE_INFO, INPUTS, FINDINGS, INDICATORS, AREAS, AREA_RELATIONS, AREA_GEOMETRY, OBSERVATIONS
)  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# Derived tables: the statistics every build computes from its own data (observatory.stats.derive)


@dataclass(frozen=True, slots=True)
class IndicatorJudgementRow:
    """The reviewed judgement metadata of an indicator (metadata/indicators.toml)."""

    indicator: str
    polarity: str
    aggregation: str
    comparison: str
    numerator: str | None
    denominator: str | None
    multiplier: float | None
    weight: str | None
    note: str | None
    reviewed: bool


@dataclass(frozen=True, slots=True)
class MethodRow:
    method: str
    title: str
    description: str


@dataclass(frozen=True, slots=True)
class RankRow:
    """Rank (1 = highest value) of an area among its peers for one indicator and period, and its quintile."""

    indicator: str
    area_code: str
    period: str
    value: float
    rank: int
    peers: int
    quintile: int
    method: str


@dataclass(frozen=True, slots=True)
class ComparisonRow:
    """An area's value against a benchmark (England, region, group) for one period, with the judgement."""

    indicator: str
    area_code: str
    period: str
    period_label: str
    benchmark_code: str
    benchmark_role: str
    method: str
    outcome: str
    judgement: str
    reason: str
    sentence: str
    value: float
    lci_95: float | None
    uci_95: float | None
    benchmark_value: float
    rank: int | None
    peers: int | None
    quintile: int | None
    polarity: str


@dataclass(frozen=True, slots=True)
class TrendRow:
    """The trend of an area's series up to ``period`` (``latest``: up to its latest period)."""

    indicator: str
    area_code: str
    period: str
    period_label: str
    method: str
    outcome: str
    judgement: str
    n_points: int
    first_period: str
    first_label: str
    first_value: float
    last_value: float
    slope: float | None
    slope_se: float | None
    z: float | None
    reason: str
    sentence: str
    latest: bool


@dataclass(frozen=True, slots=True)
class ChangeRow:
    """Change of an area's value over ``periods_back`` periods to ``period`` (absolute, %, annualised %)."""

    indicator: str
    area_code: str
    period: str
    periods_back: int
    from_period: str
    from_label: str
    from_value: float
    to_label: str
    to_value: float
    change: float
    change_pct: float | None
    annual_rate_pct: float | None
    method: str
    reason: str


@dataclass(frozen=True, slots=True)
class AggregateRow:
    """A group's value for an indicator and period by the indicator's rule; ``value`` only when complete."""

    group: str
    indicator: str
    period: str | None
    period_label: str | None
    value: float | None
    partial_value: float | None
    rule: str
    method: str
    members_with_data: int
    members_total: int
    complete: bool
    missing: list[str] | None
    numerator: float | None
    denominator: float | None
    reason: str
    sentence: str


@dataclass(frozen=True, slots=True)
class NeighbourRow:
    area_code: str
    neighbour_code: str
    rank: int
    distance: float
    method: str


@dataclass(frozen=True, slots=True)
class NeighbourExclusionRow:
    area_code: str
    reason: str


@dataclass(frozen=True, slots=True)
class NeighbourIndicatorRow:
    indicator: str
    period: str | None
    areas: int
    mean: float | None
    sd: float | None


@dataclass(frozen=True, slots=True)
class ProductivityIndexRow:
    """GVA per hour as an index (England = 100) for an area and period."""

    area_code: str
    period: str
    period_label: str
    value: float | None
    england_code: str | None
    england_value: float | None
    index: float | None
    method: str
    reason: str


@dataclass(frozen=True, slots=True)
class GvaIndustryRow:
    """ONS regional GVA by industry for an ITL3 area and year (£ million), with its share of the area's total."""

    prices: str
    itl3_code: str
    itl3_name: str
    sic_code: str
    sic_description: str
    level: str
    year: int
    value: float
    share: float | None
    source_file: str
    source_row: int | None


@dataclass(frozen=True, slots=True)
class LocationQuotientRow:
    itl3_code: str
    sic_code: str
    sic_description: str
    year: int
    area_value: float
    area_total: float
    area_share: float
    uk_value: float
    uk_total: float
    uk_share: float
    lq: float | None
    prices: str
    method: str
    exclusion: str | None  # why the industry is not offered as a sector strength (None: it may be)


@dataclass(frozen=True, slots=True)
class AreaSuccessorRow:
    """An ended English lower-tier GSS code and the code that succeeded it (same name, starting the next year)."""

    code: str
    successor: str
    reason: str


@dataclass(frozen=True, slots=True)
class RangeRow:
    """Spread of the rank peers' values (English lower-tier authorities) for one indicator and period."""

    indicator: str
    period: str
    min: float
    p25: float
    p75: float
    max: float
    n: int
    peer_set: str


@dataclass(frozen=True, slots=True)
class MapClassRow:
    """One class of an indicator's choropleth at one period: values from ``lower`` up to ``upper`` (a value on an
    inner break belongs to the class above), among the ``areas`` current local authorities with a boundary and
    a value (stats/classes.py)."""

    indicator: str
    period: str
    class_no: int  # 1 = lowest values
    lower: float
    upper: float
    areas: int
    method: str


@dataclass(frozen=True, slots=True)
class NeighbourMedianRow:
    """Median of an area's statistical neighbours' values for one indicator and period (``neighbours`` of them)."""

    area_code: str
    indicator: str
    period: str
    median: float
    neighbours: int


@dataclass(frozen=True, slots=True)
class ShiftShareRow:
    itl3_code: str
    sic_code: str
    sic_description: str
    base_year: int
    end_year: int
    base_value: float
    end_value: float
    actual_change: float
    national_growth: float
    industry_mix: float
    local: float
    uk_growth_pct: float
    industry_growth_pct: float | None
    prices: str
    method: str


INDICATOR_JUDGEMENTS = declare(
    "indicator_judgements",
    IndicatorJudgementRow,
    order="indicator",
    primary_key=("indicator",),
    hashed="indicator polarity aggregation comparison numerator denominator multiplier weight note reviewed",
    hash_order="indicator",
)
METHODS = declare("methods", MethodRow, order="method", primary_key=("method",))
RANKS = declare("ranks", RankRow, order="indicator, period, rank, area_code")
COMPARISONS = declare("comparisons", ComparisonRow, order="indicator, area_code, period, benchmark_role")
TRENDS = declare("trends", TrendRow, order="indicator, area_code, period")
CHANGES = declare("changes", ChangeRow, order="indicator, area_code, period, periods_back")
AGGREGATES = declare("aggregates", AggregateRow, order='"group", indicator, period NULLS FIRST')
NEIGHBOURS = declare("neighbours", NeighbourRow, order="area_code, rank")
NEIGHBOUR_EXCLUSIONS = declare("neighbour_exclusions", NeighbourExclusionRow, order="area_code")
NEIGHBOUR_INDICATORS = declare("neighbour_indicators", NeighbourIndicatorRow, order="indicator")
PRODUCTIVITY_INDEX = declare("productivity_index", ProductivityIndexRow, order="area_code, period")
GVA_INDUSTRY = declare("gva_industry", GvaIndustryRow, order="prices, itl3_code, year, source_row NULLS LAST, sic_code")
LOCATION_QUOTIENTS = declare("location_quotients", LocationQuotientRow, order="itl3_code, year, sic_code")
SHIFT_SHARE = declare("shift_share", ShiftShareRow, order="itl3_code, base_year, end_year, sic_code")
AREA_SUCCESSORS = declare("area_successors", AreaSuccessorRow, order="code", primary_key=("code",))
RANGES = declare("ranges", RangeRow, order="indicator, period")
NEIGHBOUR_MEDIANS = declare("neighbour_medians", NeighbourMedianRow, order="area_code, indicator, period")
MAP_CLASSES = declare("map_classes", MapClassRow, order="indicator, period, class_no")


# ---------------------------------------------------------------------------------------------------------------
# Places (pipeline/places.py): 2021 geography, postcodes, named places and the place search index


@dataclass(frozen=True, slots=True)
class Lsoa21Row:
    """A 2021 LSOA of the six authorities: its MSOA (ONS numbering), its ward (largest share of area)."""

    code: str
    name: str
    msoa21: str | None
    ward: str | None
    ward_share: float | None  # share of the LSOA's area in that ward, 0–1
    authority: str
    geojson: str  # WGS84, 5 decimals


@dataclass(frozen=True, slots=True)
class Lsoa11ToLsoa21Row:
    """The ONS best-fit lookup for the 2011 LSOAs of the six authorities."""

    lsoa11: str
    lsoa21: str


@dataclass(frozen=True, slots=True)
class PostcodeRow:
    """An NSPL postcode centroid placed by point-in-polygon (``in_scope``: inside the six authorities' LSOAs)."""

    postcode: str  # "SS1 1AA"
    district: str  # "SS1"
    sector: str  # "SS1 1"
    lat: float
    long: float
    lsoa21: str | None
    msoa21: str | None
    ward: str | None
    authority: str | None
    in_scope: bool


@dataclass(frozen=True, slots=True)
class NamedPlaceRow:
    """A town, village or declared area made of wards (May 2025) and/or neighbourhoods (MSOA 2021)."""

    slug: str
    name: str
    origin: str  # config, parish, bua22
    authority: str | None  # None when it spans authorities
    wards: list[str]
    neighbourhoods: list[str]
    note: str | None


@dataclass(frozen=True, slots=True)
class PlaceSearchRow:
    """One searchable name: normalised ``key``, where it leads (``url``) and whether it is in South Essex."""

    key: str
    name: str
    kind: str  # authority, town, named, ward, neighbourhood, parish, elsewhere
    code: str | None
    url: str
    authority: str | None
    authority_name: str | None
    south_essex: bool
    detail: str | None


LSOA21 = declare(
    "lsoa21",
    Lsoa21Row,
    order="code",
    primary_key=("code",),
    hashed="code name msoa21 ward ward_share authority geojson",
    hash_order="code",
)
LSOA11_TO_LSOA21 = declare(
    "lsoa11_to_lsoa21",
    Lsoa11ToLsoa21Row,
    order="lsoa11",
    primary_key=("lsoa11",),
    hashed="lsoa11 lsoa21",
    hash_order="lsoa11",
)
POSTCODES = declare(
    "postcodes",
    PostcodeRow,
    order="postcode",
    primary_key=("postcode",),
    hashed="postcode lat long lsoa21 msoa21 ward authority in_scope",
    hash_order="postcode",
)
NAMED_PLACES = declare(
    "named_places",
    NamedPlaceRow,
    order="slug",
    primary_key=("slug",),
    hashed="slug name origin authority wards neighbourhoods note",
    hash_order="slug",
)
PLACE_SEARCH = declare(
    "place_search",
    PlaceSearchRow,
    order="key, kind, url, name, code",
    hashed="key name kind code url authority south_essex detail",
    hash_order="key, kind, url, name, code",
)
PLACE_TABLES: tuple[Table[Any], ...] = (LSOA21, LSOA11_TO_LSOA21, POSTCODES, NAMED_PLACES, PLACE_SEARCH)

DERIVED_TABLES: tuple[Table[Any], ...] = (
    INDICATOR_JUDGEMENTS, METHODS, AREA_SUCCESSORS, RANKS, RANGES, COMPARISONS, TRENDS, CHANGES, AGGREGATES,
    NEIGHBOURS, NEIGHBOUR_EXCLUSIONS, NEIGHBOUR_INDICATORS, NEIGHBOUR_MEDIANS, PRODUCTIVITY_INDEX, MAP_CLASSES,
)  # fmt: skip
GVA_TABLES: tuple[Table[Any], ...] = (GVA_INDUSTRY, LOCATION_QUOTIENTS, SHIFT_SHARE)


# ---------------------------------------------------------------------------------------------------------------
# Business, workforce, apprenticeships and travel to work (issue 13): detail tables written from the readers'
# ``ReaderResult.tables`` (pipeline/detail.py) and the business structure derived from them (stats/business.py)


@dataclass(frozen=True, slots=True)
class BusinessCountRow:
    """UK Business Counts: enterprises of an area by year, Nomis broad industry group (``00`` all) and size band."""

    area_code: str
    year: int
    industry_code: str
    industry: str
    size_band: str  # total, micro, small, medium, large
    count: float
    source_file: str
    source_row: int


@dataclass(frozen=True, slots=True)
class ApsCountRow:
    """APS T01 (16–64) counts with their published 95% half-width; a Nomis symbol's status where no number."""

    area_code: str
    period: str
    period_label: str
    variable: str  # all, active, employment, employees, self-employed, unemployed, inactive
    value: float | None
    conf: float | None
    status: str | None
    source_file: str
    source_row: int


@dataclass(frozen=True, slots=True)
class ApprenticeshipFlowRow:
    """DfE starts/achievements/enrolments by learner home × delivery authority (rounded to 10)."""

    period: str
    period_label: str
    provisional: bool
    home_code: str | None
    home_name: str
    delivery_code: str | None
    delivery_name: str
    starts: float
    achievements: float
    enrolments: float


@dataclass(frozen=True, slots=True)
class ApprenticeshipTrainingRow:
    """Where an authority's residents start apprenticeships: own, group, elsewhere, unknown (rounded to 10)."""

    period: str
    period_label: str
    provisional: bool
    home_code: str
    category: str
    starts: float


@dataclass(frozen=True, slots=True)
class CommutingFlowRow:
    """Census 2021 ODWP01EW flow with an end in the group; place_of_work -8, 1, 2 or 3."""

    origin_code: str
    destination_code: str
    place_of_work: int
    count: float


@dataclass(frozen=True, slots=True)
class CommutingSummaryRow:
    """Where an area's employed residents work (direction residents) or its workers live (workers)."""

    area_code: str
    direction: str
    category: str
    count: float
    share: float | None


@dataclass(frozen=True, slots=True)
class MigrationFlowRow:
    """Census 2021 ODMG01EW: address one year before (origin; -8, 999999999 special) → usual residence."""

    origin_code: str
    destination_code: str
    count: float


@dataclass(frozen=True, slots=True)
class BusinessStructureRow:
    """Sector × size cell of an area (areas of interest, groups, England) with shares and quotient vs England."""

    area_code: str
    year: int
    industry_code: str
    industry: str
    size_band: str
    count: float
    area_total: float | None
    share: float | None
    england_count: float | None
    england_total: float | None
    england_share: float | None
    lq: float | None
    representation: str | None  # over, under (stats/business.METHOD) or None
    exclusion: str | None  # why a sector's quotient is not read as over-representation (stats/business.py)


@dataclass(frozen=True, slots=True)
class BusinessChangeRow:
    """Change in an area's enterprises of an industry and size band between the first and last year."""

    area_code: str
    industry_code: str
    industry: str
    size_band: str
    from_year: int
    to_year: int
    from_count: float
    to_count: float
    change: float
    change_pct: float | None
    england_change_pct: float | None


BUSINESS_COUNTS = declare(
    "business_counts", BusinessCountRow, order="area_code, year, industry_code, size_band",
    hashed="area_code year industry_code industry size_band count",
    hash_order="area_code, year, industry_code, size_band",
)  # fmt: skip
APS_COUNTS = declare(
    "aps_counts", ApsCountRow, order="area_code, period, variable",
    hashed="area_code period variable value conf status", hash_order="area_code, period, variable",
)  # fmt: skip
APPRENTICESHIP_FLOWS = declare(
    "apprenticeship_flows", ApprenticeshipFlowRow, order="period, home_name, delivery_name",
    hashed="period home_code home_name delivery_code delivery_name starts achievements enrolments",
    hash_order="period, home_name, delivery_name",
)  # fmt: skip
APPRENTICESHIP_TRAINING = declare(
    "apprenticeship_training", ApprenticeshipTrainingRow, order="period, home_code, category",
    hashed="period home_code category starts", hash_order="period, home_code, category",
)  # fmt: skip
COMMUTING_FLOWS = declare(
    "commuting_flows", CommutingFlowRow, order="origin_code, destination_code, place_of_work",
    hashed="origin_code destination_code place_of_work count",
    hash_order="origin_code, destination_code, place_of_work",
)  # fmt: skip
COMMUTING_SUMMARY = declare(
    "commuting_summary", CommutingSummaryRow, order="area_code, direction, category",
    hashed="area_code direction category count", hash_order="area_code, direction, category",
)  # fmt: skip
MIGRATION_FLOWS = declare(
    "migration_flows", MigrationFlowRow, order="origin_code, destination_code",
    hashed="origin_code destination_code count", hash_order="origin_code, destination_code",
)  # fmt: skip
BUSINESS_STRUCTURE = declare(
    "business_structure", BusinessStructureRow, order="area_code, year, industry_code, size_band"
)
BUSINESS_CHANGE = declare("business_change", BusinessChangeRow, order="area_code, industry_code, size_band")
DETAIL_TABLES: tuple[Table[Any], ...] = (
    BUSINESS_COUNTS, APS_COUNTS, APPRENTICESHIP_FLOWS, APPRENTICESHIP_TRAINING, COMMUTING_FLOWS, COMMUTING_SUMMARY,
    MIGRATION_FLOWS,
)  # fmt: skip
BUSINESS_TABLES: tuple[Table[Any], ...] = (BUSINESS_STRUCTURE, BUSINESS_CHANGE)

# What "the same content" means: the data users see, not where or when it was built (fixed order).
HASHED_TABLES: tuple[Table[Any], ...] = (
    INDICATORS, AREAS, AREA_RELATIONS, AREA_GEOMETRY, INDICATOR_JUDGEMENTS, OBSERVATIONS, *DETAIL_TABLES,
    *PLACE_TABLES,
)  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# Writing


def create(con: duckdb.DuckDBPyConnection, tables: Iterable[Table[Any]]) -> None:
    """Create the given (empty) tables on a release being written."""
    for table in tables:
        con.execute(table.ddl())


def insert_columns(
    con: duckdb.DuckDBPyConnection,
    table: Table[Any],
    columns: Mapping[str, Sequence[Any] | pa.Array],
    *,
    distinct: bool = False,
) -> None:
    """Insert column-wise data (every declared column, by name) through Arrow, sorted by the table's order.

    Raises ``ValueError`` if the columns given are not exactly the declared ones.
    """
    if set(columns) != set(table.names):
        missing, extra = set(table.names) - set(columns), set(columns) - set(table.names)
        raise ValueError(
            f"{table.name}: columns differ from the schema (missing {sorted(missing)}, extra {sorted(extra)})"
        )
    arrays = {
        c.name: columns[c.name] if isinstance(columns[c.name], pa.Array) else pa.array(columns[c.name], c.arrow_type)
        for c in table.columns
    }
    view = f"_in_{table.name}"
    cur = con.cursor()  # its own cursor: the caller's may hold an unfinished result
    try:
        cur.register(view, pa.table(arrays))
        cur.execute(
            f'INSERT INTO "{table.name}" ({table.column_list()}) SELECT {"DISTINCT " if distinct else ""}'  # noqa: S608
            f"{table.column_list()} FROM {view}" + (f" ORDER BY {table.order}" if table.order else "")
        )
    finally:
        cur.close()


def insert(con: duckdb.DuckDBPyConnection, table: Table[R], rows: Iterable[R | Sequence[Any]]) -> None:
    """Insert typed rows (or tuples in the declared column order), sorted by the table's order."""
    tuples = [
        tuple(getattr(r, n) for n in table.names) if isinstance(r, table.row) else tuple(r)  # type: ignore[arg-type]
        for r in rows
    ]
    width = len(table.columns)
    for r in tuples:
        if len(r) != width:
            raise ValueError(f"{table.name}: a row has {len(r)} values for {width} columns: {r!r}")
    insert_columns(con, table, {n: [r[i] for r in tuples] for i, n in enumerate(table.names)})


def fill_latest_observations(con: duckdb.DuckDBPyConnection) -> None:
    """Fill ``latest_observations``: each series' latest period of its indicator's main period type.

    The main type is the one most of the indicator's values have (ties as ``periods.main_period_kind``), so a
    stray three-year value never stands in for an annual series' latest; a series with no value of the main
    type gets its own latest. Within a type, the latest start wins (longest duration first on a tie).
    """
    con.execute(
        f"INSERT INTO latest_observations ({OBSERVATIONS.column_list()}) "  # noqa: S608
        f"WITH kinds AS (SELECT indicator, {PERIOD_KIND_SQL.format(p='')} AS kind, count(*) AS n "
        "FROM observations GROUP BY ALL), "
        "main AS (SELECT indicator, arg_min(kind, (-n, length(kind), kind)) AS kind FROM kinds GROUP BY indicator) "
        f"SELECT {OBSERVATIONS.column_list('o')} FROM observations o JOIN main m ON m.indicator = o.indicator "
        "QUALIFY row_number() OVER (PARTITION BY o.indicator, o.area_code ORDER BY "
        f"{PERIOD_KIND_SQL.format(p='o.')} = m.kind DESC, o.period_start DESC, o.period_duration DESC NULLS LAST)"
        f" = 1 ORDER BY {LATEST_OBSERVATIONS.order}"
    )


# ---------------------------------------------------------------------------------------------------------------
# Hashing and checking


def content_hash_sql() -> str:
    """One sha256 over every hashed table's rows in a fixed order (coalesce keeps empty tables hashable)."""
    parts = []
    for table in HASHED_TABLES:
        types_ = {c.name: c.sql_type for c in table.columns}
        expr = ", ".join(f'"{n}"::VARCHAR' if types_[n].endswith("[]") else f'"{n}"' for n in table.hashed)
        sql = f"SELECT sha256(coalesce(string_agg(concat_ws('|', {expr}), chr(10) ORDER BY {table.hash_order}), ''))"
        parts.append(f'({sql} FROM "{table.name}")')
    return f"SELECT sha256(concat_ws(':', {', '.join(parts)}))"


def check(con: duckdb.DuckDBPyConnection) -> None:
    """Raise :class:`SchemaError` unless every declared table exists with exactly its declared columns and types."""
    found: dict[str, list[tuple[str, str]]] = {}
    for table_name, column, data_type in con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
    ).fetchall():
        found.setdefault(table_name, []).append((column, data_type))
    for table in TABLES.values():
        have = found.get(table.name)
        if have is None:
            raise SchemaError(f"the release has no {table.name!r} table (schema version {SCHEMA_VERSION} expected)")
        want = [(c.name, c.sql_type) for c in table.columns]
        if have != want:
            raise SchemaError(
                f"table {table.name!r} has columns {have}, schema version {SCHEMA_VERSION} declares {want}"
            )
    row = con.execute("SELECT schema_version FROM release_info").fetchone()
    if row is None or row[0] != SCHEMA_VERSION:
        raise SchemaError(f"release schema version {row[0] if row else None}, expected {SCHEMA_VERSION}")
