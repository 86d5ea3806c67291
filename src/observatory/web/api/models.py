"""Response models of /api/v1: the OpenAPI document is generated from them; schemathesis checks answers by it."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Licence(BaseModel):
    id: str
    name: str
    url: str


class IndicatorSummary(BaseModel):
    slug: str
    label: str
    subtitle: str | None
    unit: str | None
    themes: list[str]
    experimental: bool | None
    first_period: dt.date | None
    last_period: dt.date | None
    observations: int | None
    url: str


class IndicatorList(BaseModel):
    release: str
    count: int
    indicators: list[IndicatorSummary]


class ThemeRef(BaseModel):
    slug: str
    name: str


class Source(BaseModel):
    organisation: str | None
    url: str | None
    date: dt.date | None


class AreaTypeCount(BaseModel):
    type: str
    areas: int


class PeriodInfo(BaseModel):
    period: str
    label: str
    start: dt.date
    duration: str | None
    observations: int


class Coverage(BaseModel):
    first_period: dt.date | None
    last_period: dt.date | None
    observations: int | None
    areas: int | None
    area_types: list[AreaTypeCount]
    periods: list[PeriodInfo]


class IndicatorDetail(BaseModel):
    release: str
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
    experimental: bool | None
    standardised: bool | None
    themes: list[ThemeRef]
    source: Source
    licence: Licence
    coverage: Coverage
    links: dict[str, str]


class AreaSummary(BaseModel):
    code: str
    name: str
    type: str
    types: list[str]
    valid_from: int | None
    valid_to: int | None
    has_geometry: bool
    url: str


class AreaList(BaseModel):
    release: str
    count: int
    areas: list[AreaSummary]


class AreaRef(BaseModel):
    code: str
    name: str
    relation: str | None = None
    type: str | None = None


class AreaDetail(BaseModel):
    release: str
    code: str
    name: str
    welsh_name: str | None
    type: str
    types: list[str]
    valid_from: int | None
    valid_to: int | None
    parents: list[AreaRef]
    children: list[AreaRef]
    same_as: list[AreaRef]
    has_geometry: bool
    observations: int
    indicators: int
    links: dict[str, str]


class GeometryProperties(BaseModel):
    code: str
    name: str
    type: str
    release: str


class GeoFeature(BaseModel):
    """A GeoJSON Feature (RFC 7946): WGS84 longitude/latitude; ``geometry`` is a Polygon or MultiPolygon."""

    type: Literal["Feature"]
    id: str
    geometry: dict[str, Any]
    properties: GeometryProperties
    release: str


class Observation(BaseModel):
    indicator: str
    area_code: str
    area_name: str
    period: str = Field(description="ISO 8601 interval: start date / duration, e.g. 2022-01-01/P1Y")
    period_label: str
    period_start: dt.date
    period_duration: str | None
    value: float | None
    lci_95: float | None
    uci_95: float | None
    numerator: float | None
    denominator: float | None
    status: str | None
    notes: str | None


class ObservationPage(BaseModel):
    release: str
    count: int = Field(description="Observations matching the query (all pages)")
    limit: int
    offset: int
    next: str | None = Field(description="The next page, or null on the last")
    previous: str | None
    observations: list[Observation]


class JsonStatCategory(BaseModel):
    index: list[str]
    label: dict[str, str]
    unit: dict[str, dict[str, Any]] | None = None


class JsonStatDimension(BaseModel):
    label: str
    category: JsonStatCategory


class JsonStatDataset(BaseModel):
    """A JSON-stat 2.0 dataset (https://json-stat.org/format/): indicator × area × period."""

    model_config = ConfigDict(populate_by_name=True)

    version: Literal["2.0"]
    class_: Literal["dataset"] = Field(alias="class")
    label: str
    source: str
    updated: str
    id: list[str]
    size: list[int]
    role: dict[str, list[str]]
    dimension: dict[str, JsonStatDimension]
    value: list[float | None] | dict[str, float]
    status: dict[str, str] | None = None
    extension: dict[str, Any]
    release: str
    href: str | None = None


class MapValue(BaseModel):
    area_code: str
    area_name: str
    value: float | None
    lci_95: float | None
    uci_95: float | None
    status: str | None
    rank: int | None  # None: outside the rank's stated peer set (e.g. not an English lower-tier authority)
    south_essex: bool


class MapIndicator(BaseModel):
    slug: str
    label: str
    unit: str | None
    decimals: int | None
    prefix: str | None
    suffix: str | None


class IndicatorMap(BaseModel):
    release: str
    indicator: MapIndicator
    period: str | None
    period_label: str | None
    area_type: str
    count: int
    values: list[MapValue]


class AreaProfile(BaseModel):
    """The area page's own data (``/areas/{code}.json``): every indicator beside its benchmarks, by theme."""

    model_config = ConfigDict(extra="allow")

    release: str
    title: str
    table: list[dict[str, Any]]


class ReleaseSummary(BaseModel):
    id: str
    created: str
    content_hash: str
    config_hash: str
    counts: dict[str, int]
    current: bool
    url: str


class ReleaseList(BaseModel):
    release: str = Field(description="The current release")
    count: int
    releases: list[ReleaseSummary]


class ReleaseInput(BaseModel):
    source: str | None
    path: str | None
    size: int | None
    sha256: str | None
    url: str | None
    provenance: dict[str, str] | None = None


class FindingCount(BaseModel):
    rule: str | None
    severity: str | None
    count: int


class ReleaseDetail(BaseModel):
    release: str
    id: str
    created: str
    current: bool
    content_hash: str
    config_hash: str
    observatory_version: str
    counts: dict[str, int]
    inputs: list[ReleaseInput]
    findings: list[FindingCount]
    downloads: dict[str, str]


class DiffSummary(BaseModel):
    added: int
    removed: int
    revised: int


class DiffChange(BaseModel):
    change: Literal["added", "removed", "revised"]
    indicator: str
    area_code: str
    area_name: str
    period: str
    old_value: float | None
    new_value: float | None
    old_lci_95: float | None
    new_lci_95: float | None
    old_uci_95: float | None
    new_uci_95: float | None
    old_status: str | None
    new_status: str | None


class ReleaseDiff(BaseModel):
    release: str = Field(description="The newer release of the two")
    old: str
    new: str
    summary: DiffSummary
    count: int
    limit: int
    offset: int
    next: str | None
    changes: list[DiffChange]


class ApiIndex(BaseModel):
    release: str
    title: str
    version: str
    links: dict[str, str]


class Method(BaseModel):
    method: str
    title: str
    description: str
    url: str


class MethodList(BaseModel):
    count: int
    methods: list[Method]
    release: str


class Judgement(BaseModel):
    indicator: str
    area_code: str
    period: str
    period_label: str | None = None
    kind: Literal["comparison", "trend"]
    benchmark_code: str | None = None
    method: str
    outcome: str | None = None
    judgement: str | None = None
    reason: str | None = None
    sentence: str | None = None
    method_url: str


class JudgementList(BaseModel):
    count: int
    limit: int
    offset: int
    next: str | None
    judgements: list[Judgement]
    release: str


class CsvwColumn(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str
    datatype: str


class CsvwTableSchema(BaseModel):
    columns: list[CsvwColumn]
    primaryKey: list[str]


class CsvwMetadata(BaseModel):
    """W3C CSV on the Web metadata for the bulk CSV."""

    model_config = ConfigDict(extra="allow")
    url: str
    tableSchema: CsvwTableSchema
    release: str


class DataPackage(BaseModel):
    """A Frictionless Data Package describing both bulk files."""

    model_config = ConfigDict(extra="allow")
    name: str
    resources: list[dict[str, Any]]
    release: str
