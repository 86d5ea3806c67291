"""The open data API, /api/v1 (issue 4): the same data functions as the pages, as JSON, CSV and more.

Routes stay thin: check the parameters, pick the release, run a data function on a fresh cursor (in a
worker thread) and render. Releases are immutable, so a rendered response is kept in a small in-process
cache keyed by (release id, URL): repeated queries cost a dictionary lookup, and a newly published
release gets new keys. Every response names its release (``release`` in JSON bodies and the
``X-Observatory-Release`` header) and carries an ETag tied to it.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import html
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, quote, urlencode

import duckdb
from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from observatory import __version__
from observatory.config import Config
from observatory.release.read import EXPORT_COLUMNS, UnknownIndicator, diff_rows, summarise_diff
from observatory.store import StoreError
from observatory.web.catalog import dcat_catalog
from observatory.web.data import api_data as data
from observatory.web.data.areas import area_page
from observatory.web.data.common import all_indicators, rows
from observatory.web.errors import BadRequest, NotFound
from observatory.web.formats import (
    CSV_MEDIA_TYPE,
    EXPORT_SCHEMA,
    GEOJSON_MEDIA_TYPE,
    XLSX_MEDIA_TYPE,
    csv_bytes,
    csv_lines,
    csvw_metadata,
    dumps,
    geojson_feature,
    jsonstat_dataset,
    xlsx_bytes,
)
from observatory.web.releases import Release
from observatory.web.render import CACHE_CONTROL, etag, wants_bom

PREFIX = "/api/v1"
IMMUTABLE = "public, max-age=31536000, immutable"
MAX_TABLE_ROWS = 100_000  # rows in one XLSX or JSON-stat response; more → CSV (streamed) or the bulk files
CACHE_BYTES = int(os.environ.get("OBSERVATORY_API_CACHE_BYTES", str(128 * 1024 * 1024)))
CACHE_ENTRY_MAX = 8 * 1024 * 1024
GZIP_MIN = 1000  # as the app's GZipMiddleware
GVA = "gross-value-added-per-hour-worked"
SOUTHEND = "E06000033"
PARQUET_MEDIA_TYPE = "application/vnd.apache.parquet"
JSONLD_MEDIA_TYPE = "application/ld+json"


# ----------------------------------------------------------------------------------------------------------------
# Response models: the OpenAPI document is generated from these, and schemathesis checks answers against it.


class Problem(BaseModel):
    """RFC 9457 problem details, as every 4xx/5xx of the API is sent (``application/problem+json``)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    param: str | None = None
    allowed: str | None = None
    suggestions: list[dict[str, str]] | None = None


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
    rank: int
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


# ----------------------------------------------------------------------------------------------------------------
# Parameters (annotated once; FastAPI puts descriptions and examples in the OpenAPI document)

ReleaseParam = Annotated[
    str | None,
    Query(
        description="Pin a past release: its id (or a unique prefix), `current` or `previous`. Default: current.",
        max_length=64,
        examples=["current"],
    ),
]
Slug = Annotated[
    str,
    Path(description="Indicator slug, as listed at /api/v1/indicators", pattern=r"^[a-z0-9-]{1,120}$",
         examples=[GVA]),
]  # fmt: skip
Code = Annotated[
    str,
    Path(description="GSS area code (or a configured group's slug)", pattern=r"^[A-Za-z0-9-]{1,40}$",
         examples=[SOUTHEND]),
]  # fmt: skip
ReleaseId = Annotated[
    str,
    Path(description="A release id (or unique prefix), `current` or `previous`", pattern=r"^[A-Za-z0-9-]{1,64}$",
         examples=["current"]),
]  # fmt: skip
TableFormat = Annotated[Literal["json", "csv"], Query(description="json (default) or csv")]
Limit = Annotated[int, Query(ge=1, le=10_000, description="Rows per page (JSON), at most 10000")]
Offset = Annotated[int, Query(ge=0, le=100_000_000, description="Rows to skip (JSON)")]

PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "A parameter cannot be used; `allowed` says what it accepts"},
    404: {"model": Problem, "description": "No such indicator, area or release (with suggestions)"},
}


# ----------------------------------------------------------------------------------------------------------------
# Serving: release, unknown parameters, ETag/304, response cache


async def known_params(request: Request) -> None:
    """Refuse parameters an operation does not take (a typo like ``areas=`` would otherwise be ignored).

    Names starting with ``_`` are left alone for cache-busting clients.
    """
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or not getattr(route, "include_in_schema", True):
        return  # the docs' own helpers take the operation's parameters through
    allowed = {f.alias for f in dependant.query_params}
    for name in request.query_params:
        if name not in allowed and not name.startswith("_"):
            raise BadRequest(
                name[:40],
                f"unknown parameter {name[:40]!r}",
                ", ".join(sorted(allowed)) if allowed else "no parameters",
            )


router = APIRouter(prefix=PREFIX, responses=PROBLEMS, dependencies=[Depends(known_params)])
catalog_router = APIRouter()


def get_release(request: Request, release: str | None) -> Release:
    """The release asked for; an unknown one is a 404 that says where releases are listed."""
    try:
        found: Release = request.app.state.pool.get(release)
    except StoreError as exc:
        if release in (None, "", "current"):
            raise
        raise NotFound(
            f"There is no release {release[:64]!r} in this store: use a release id listed at {PREFIX}/releases, "
            "a unique prefix of one, 'current' or 'previous'.",
            [("Releases", f"{PREFIX}/releases")],
        ) from exc
    if release not in (None, "", "current"):
        if len(RESOLVED) > 1000:
            RESOLVED.clear()
        RESOLVED[(request.app.state.pool.current_id(), str(release))] = found.id
    return found


@dataclass
class Rendered:
    body: bytes
    media_type: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Entry:
    """A finished response: body, every header, and its gzip form once a client has asked for it."""

    body: bytes
    headers: list[tuple[bytes, bytes]]
    etag: bytes
    compressible: bool
    gz: bytes | None = None


class ResponseCache:
    """Finished responses by (release id, host + URL), least recently used out first, bounded in bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple[str, str], Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> Entry | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple[str, str], value: Entry) -> None:
        size = len(value.body)
        if size > min(CACHE_ENTRY_MAX, self.max_bytes):
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body) + len(old.gz or b"")
            self._items[key] = value
            self._bytes += size
            self._trim()

    def add_gzip(self, value: Entry, gz: bytes) -> None:
        with self._lock:
            if value.gz is None:
                value.gz = gz
                self._bytes += len(gz)
                self._trim()

    def _trim(self) -> None:
        while self._bytes > self.max_bytes and self._items:
            _, dropped = self._items.popitem(last=False)
            self._bytes -= len(dropped.body) + len(dropped.gz or b"")

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


CACHE = ResponseCache(CACHE_BYTES)
# what a ?release= value meant while a given release was current ('previous' moves when one is published)
RESOLVED: dict[tuple[str, str], str] = {}
INCOMPRESSIBLE = ("application/gzip", PARQUET_MEDIA_TYPE, XLSX_MEDIA_TYPE)


def cache_key(scope: Scope, release_id: str, extra: str = "") -> tuple[str, str]:
    host = next((v for k, v in scope.get("headers", []) if k == b"host"), b"").decode("latin-1")
    return f"{release_id}|{extra}", f"{host}{scope['path']}?{scope.get('query_string', b'').decode('latin-1')}"


def base_headers(request: Request, release: Release, fmt: str, pinned: bool, extra: str = "") -> dict[str, str]:
    tag = etag(release, request, fmt)
    if extra:
        tag = f'"{hashlib.sha256(f"{tag}|{extra}".encode()).hexdigest()[:32]}"'
    return {
        "ETag": tag,
        "Cache-Control": IMMUTABLE if pinned else CACHE_CONTROL,
        "X-Observatory-Release": release.id,
    }


def _pinned(release: Release, asked: str | None) -> bool:
    """An exact release id in the URL names content that can never change."""
    return asked == release.id


def not_modified(request: Request, tag: str) -> bool:
    sent = request.headers.get("if-none-match")
    if not sent:
        return False
    return sent.strip() == "*" or tag in [t.strip().removeprefix("W/") for t in sent.split(",")]


def _url(request: Request) -> str:
    """The path and query as sent (used in links and notes)."""
    return f"{request.url.path}?{request.url.query}" if request.url.query else request.url.path


async def serve(
    request: Request,
    release: Release,
    asked: str | None,
    fmt: str,
    build: Callable[[duckdb.DuckDBPyConnection], Rendered],
    extra: str = "",
) -> Response:
    """304 if the client has it; else the cached response; else build it on a cursor in a worker thread.

    ``extra`` adds to the cache key and ETag what else the answer depends on (another release, the list of
    releases); only entries without it can be answered by ``ApiMiddleware`` before routing.
    """
    headers = base_headers(request, release, fmt, _pinned(release, asked), extra)
    if not_modified(request, headers["ETag"]):
        return Response(status_code=304, headers=headers)
    key = cache_key(request.scope, release.id, extra)
    entry = CACHE.get(key)
    if entry is None:

        def run() -> Rendered:
            cur = release.cursor()
            try:
                return build(cur)
            finally:
                cur.close()

        rendered = await run_in_threadpool(run)
        response = Response(rendered.body, media_type=rendered.media_type, headers={**headers, **rendered.headers})
        compressible = len(rendered.body) >= GZIP_MIN and not rendered.media_type.startswith(INCOMPRESSIBLE)
        CACHE.put(key, Entry(rendered.body, list(response.raw_headers), headers["ETag"].encode(), compressible))
        return response
    return Response(entry.body, headers={k.decode("latin-1"): v.decode("latin-1") for k, v in entry.headers})


def as_json(payload: dict[str, Any], release: Release) -> Rendered:
    """JSON with the serving release in the body (``dumps`` writes dates as ISO strings itself)."""
    return Rendered(dumps({**payload, "release": release.id}), "application/json")


def as_csv(table: list[dict[str, Any]], filename: str, columns: list[str] | None = None) -> Rendered:
    header = columns or (list(table[0]) if table else [])
    body = csv_bytes(header, ([r.get(c) for c in header] for r in table))
    return Rendered(body, CSV_MEDIA_TYPE, {"Content-Disposition": f'attachment; filename="{filename}.csv"'})


def page_links(request: Request, offset: int, limit: int, count: int) -> tuple[str | None, str | None]:
    def at(new_offset: int) -> str:
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "offset"]
        params.append(("offset", str(new_offset)))
        return f"{request.url.path}?{urlencode(params)}"

    following = at(offset + limit) if offset + limit < count else None
    previous = at(max(0, offset - limit)) if offset > 0 else None
    return following, previous


def _link_header(following: str | None, previous: str | None) -> dict[str, str]:
    links = [f'<{u}>; rel="{rel}"' for u, rel in ((following, "next"), (previous, "prev")) if u]
    return {"Link": ", ".join(links)} if links else {}


def _config(request: Request) -> Config:
    config: Config = request.app.state.config
    return config


# ----------------------------------------------------------------------------------------------------------------
# Index


@router.get("", response_model=ApiIndex, summary="What the API offers, with links")
async def api_index(request: Request, release: ReleaseParam = None) -> Response:
    rel = get_release(request, release)

    def build(cur: duckdb.DuckDBPyConnection) -> Rendered:
        links = {
            "openapi": f"{PREFIX}/openapi.json",
            "docs": f"{PREFIX}/docs",
            "indicators": f"{PREFIX}/indicators",
            "areas": f"{PREFIX}/areas",
            "observations": f"{PREFIX}/observations?indicator={GVA}&area={SOUTHEND}",
            "releases": f"{PREFIX}/releases",
            "bulk_csv": f"{PREFIX}/releases/{rel.id}/observations.csv.gz",
            "bulk_parquet": f"{PREFIX}/releases/{rel.id}/observations.parquet",
            "catalog": "/catalog.jsonld",
        }
        return as_json({"title": request.app.title, "version": __version__, "links": links}, rel)

    return await serve(request, rel, release, "json", build)


# ----------------------------------------------------------------------------------------------------------------
# Indicators

SUMMARY_KEYS = ("slug", "label", "subtitle", "unit", "experimental", "first_period", "last_period", "observations")


@router.get(
    "/indicators",
    response_model=IndicatorList,
    summary="Indicators, filtered by theme or words",
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def indicators(
    request: Request,
    theme: Annotated[str | None, Query(max_length=60, description="Theme slug, e.g. enterprise-growth",
                                       examples=["enterprise-growth"])] = None,
    q: Annotated[str | None, Query(max_length=200, description="Words that must all appear in the slug, label "
                                   "or subtitle", examples=["productivity"])] = None,
    format: TableFormat = "json",
    release: ReleaseParam = None,
) -> Response:  # fmt: skip
    rel = get_release(request, release)
    config = _config(request)

    def build(cur: duckdb.DuckDBPyConnection) -> Rendered:
        found = data.indicator_summaries(cur, config, theme, q)
        items = [
            {k: r[k] for k in SUMMARY_KEYS}
            | {"themes": list(r["themes"] or []), "url": f"{PREFIX}/indicators/{r['slug']}"}
            for r in found
        ]
        if format == "csv":
            return as_csv(items, "indicators")
        return as_json({"count": len(items), "indicators": items}, rel)

    return await serve(request, rel, release, format, build)


@router.get("/indicators/{slug}", response_model=IndicatorDetail, summary="One indicator: metadata, source, licence")
async def indicator_detail(request: Request, slug: Slug, release: ReleaseParam = None) -> Response:
    rel = get_release(request, release)
    config = _config(request)

    def build(cur: duckdb.DuckDBPyConnection) -> Rendered:
        found = data.indicator_detail(cur, config, slug)
        found["links"] = {
            "page": f"/indicators/{slug}",
            "observations": f"{PREFIX}/observations?indicator={slug}",
            "csv": f"{PREFIX}/observations?indicator={slug}&format=csv",
            "jsonstat": f"{PREFIX}/observations?indicator={slug}&format=jsonstat",
            "xlsx": f"{PREFIX}/observations?indicator={slug}&format=xlsx",
            "map": f"{PREFIX}/indicators/{slug}/map",
        }
        return as_json(found, rel)

    return await serve(request, rel, release, "json", build)


@router.get(
    "/indicators/{slug}/map",
    response_model=IndicatorMap,
    summary="Every area's value for one period (default: the latest), ranked",
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def indicator_map(
    request: Request,
    slug: Slug,
    period: Annotated[str | None, Query(max_length=60, description="A period of this indicator as listed in its "
                                        "coverage, e.g. 2022-01-01/P1Y. Default: latest.",
                                        examples=["2022-01-01/P1Y"])] = None,
    area_type: Annotated[str | None, Query(max_length=30, description="Area type (default ltla: current local "
                                           "authorities, as on the indicator page's map)", examples=["ltla"])] = None,
    format: TableFormat = "json",
    release: ReleaseParam = None,
) -> Response:  # fmt: skip
    rel = get_release(request, release)
    config = _config(request)

    def build(cur: duckdb.DuckDBPyConnection) -> Rendered:
        found = data.indicator_map(cur, config, slug, period, area_type)
        if format == "csv":
            table = [{"indicator": slug, "period": found["period"], **v} for v in found["values"]]
            return as_csv(table, f"{slug}-map", ["indicator", "period", *MapValue.model_fields])
        return as_json(found, rel)

    return await serve(request, rel, release, format, build)


# ----------------------------------------------------------------------------------------------------------------
# Areas


@router.get(
    "/areas",
    response_model=AreaList,
    summary="Areas, filtered by type or parent",
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def areas(
    request: Request,
    type: Annotated[str | None, Query(max_length=30, description="Area type: ltla, utla, rgn, ctry, itl3, group, …",
                                      examples=["ltla"])] = None,
    parent: Annotated[str | None, Query(max_length=40, description="Only areas within this one (a code)",
                                        examples=["E12000006"])] = None,
    format: TableFormat = "json",
    release: ReleaseParam = None,
) -> Response:  # fmt: skip
    rel = get_release(request, release)

    def build(cur: duckdb.DuckDBPyConnection) -> Rendered:
        found = data.area_summaries(cur, type, parent)
        for a in found:
            a["types"] = list(a["types"] or [])
            a["url"] = f"{PREFIX}/areas/{a['code']}"
        if format == "csv":
            return as_csv(found, "areas")
        return as_json({"count": len(found), "areas": found}, rel)

    return await serve(request, rel, release, format, build)


@router.get("/areas/{code}", response_model=AreaDetail, summary="One area with its parents and children")
async def area_detail(request: Request, code: Code, release: ReleaseParam = None) -> Response:
    rel = get_release(request, release)

    def build(cur: duckdb.DuckDBPyConnection) -> Rendered:
        found = data.area_detail(cur, code)
        found["types"] = list(found["types"] or [])
        found["links"] = {
            "page": f"/areas/{code}",
            "profile": f"{PREFIX}/areas/{code}/profile",
            "observations": f"{PREFIX}/observations?area={code}",
            **({"geometry": f"{PREFIX}/areas/{code}/geometry"} if found["has_geometry"] else {}),
        }
        return as_json(found, rel)

    return await serve(request, rel, release, "json", build)


class GeoJSONResponse(JSONResponse):
    media_type = GEOJSON_MEDIA_TYPE


@router.get(
    "/areas/{code}/geometry",
    response_model=GeoFeature,
    response_class=GeoJSONResponse,
    summary="The area's boundary as a GeoJSON Feature (WGS84)",
)
async def area_geometry(request: Request, code: Code, release: ReleaseParam = None) -> Response:
    rel = get_release(request, release)

    def build(cur: duckdb.DuckDBPyConnection) -> Rendered:
        a, geometry = data.area_geometry(cur, code)
        feature = geojson_feature(
            code, geometry, {"code": code, "name": a["name"], "type": a["type"], "release": rel.id}
        )
        return Rendered(dumps({**feature, "release": rel.id}), GEOJSON_MEDIA_TYPE)

    return await serve(request, rel, release, "geojson", build)


@router.get(
    "/areas/{code}/profile",
    response_model=AreaProfile,
    summary="The area page's data: every indicator's latest value beside its benchmarks",
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def area_profile(
    request: Request, code: Code, format: TableFormat = "json", release: ReleaseParam = None
) -> Response:
    rel = get_release(request, release)
    config = _config(request)

    def build(cur: duckdb.DuckDBPyConnection) -> Rendered:
        found = area_page(cur, config, code)
        if format == "csv":
            return as_csv(found.get("table") or [], f"{code}-profile")
        return as_json(found, rel)

    return await serve(request, rel, release, format, build)


# ----------------------------------------------------------------------------------------------------------------
# Observations


@router.get(
    "/observations",
    response_model=ObservationPage | JsonStatDataset,
    summary="Observations, filtered; JSON (paged), CSV (streamed), JSON-stat 2.0 or XLSX",
    description=(
        "Filters combine with AND; `indicator`, `area` and `area_type` take comma-separated lists. JSON is paged "
        "(`limit`, `offset`, `next`); CSV streams every matching row in the columns of `observatory export`; "
        f"JSON-stat and XLSX carry at most {MAX_TABLE_ROWS:,} rows (use CSV or the bulk files for more)."
    ),
    responses={
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
            }
        }
    },
)
async def observations(
    request: Request,
    indicator: Annotated[str | None, Query(max_length=20_000, description="Indicator slug(s), comma-separated",
                                           examples=[GVA])] = None,
    area: Annotated[str | None, Query(max_length=20_000, description="Area code(s), comma-separated",
                                      examples=[SOUTHEND])] = None,
    area_type: Annotated[str | None, Query(max_length=200, description="Area type(s), comma-separated, e.g. ltla",
                                           examples=["ltla"])] = None,
    from_: Annotated[str | None, Query(alias="from", max_length=10, description="Periods starting on or after: a "
                                       "year (2015), month (2015-04) or date (2015-04-01)", examples=["2015"])] = None,
    to: Annotated[str | None, Query(max_length=10, description="Periods starting on or before: a year (2022), month "
                                    "or date", examples=["2022"])] = None,
    latest: Annotated[bool, Query(description="Only each series' (indicator × area) latest period")] = False,
    format: Annotated[Literal["json", "csv", "jsonstat", "xlsx"], Query(description="json (paged), csv (streamed), "
                                                                        "jsonstat (JSON-stat 2.0) or xlsx")] = "json",
    bom: Annotated[bool, Query(description="format=csv only: start with a UTF-8 byte-order mark, for Excel")] = False,
    limit: Limit = 1000,
    offset: Offset = 0,
    release: ReleaseParam = None,
) -> Response:  # fmt: skip
    rel = get_release(request, release)
    qp = request.query_params

    def parse(cur: duckdb.DuckDBPyConnection) -> data.ObservationQuery:
        inds = data.split_list(qp.getlist("indicator")) if indicator is not None else []
        codes = data.split_list(qp.getlist("area")) if area is not None else []
        types = data.split_list(qp.getlist("area_type")) if area_type is not None else []
        start = data.parse_when(from_, "from", end=False)
        end = data.parse_when(to, "to", end=True)
        if start is not None and end is not None and start > end:
            raise BadRequest("from", f"from ({from_}) is after to ({to})", "from on or before to")
        known = data.facts(cur, rel.id)
        return data.ObservationQuery(
            indicators=data.check_indicators(cur, inds, known_facts=known) if inds else None,
            areas=data.check_areas(cur, codes, known_facts=known) if codes else None,
            area_types=data.check_area_types(cur, types, known_facts=known) if types else None,
            start=start,
            end=end,
            latest=latest,
            latest_table=True,  # every release carries latest_observations (release.schema)
        )

    if format == "csv":
        return await _observations_csv(request, rel, release, parse)

    def build(cur: duckdb.DuckDBPyConnection) -> Rendered:
        query = parse(cur)
        if format == "json":
            count, found = data.observation_page(cur, query, limit, offset)
            following, previous = page_links(request, offset, limit, count)
            body = {"count": count, "limit": limit, "offset": offset, "next": following, "previous": previous,
                    "observations": found}  # fmt: skip
            rendered = as_json(body, rel)
            rendered.headers.update(_link_header(following, previous))
            return rendered
        count = data.observation_count(cur, query)
        if count > MAX_TABLE_ROWS:
            raise BadRequest(
                "format",
                f"{count:,} observations match: too many for {format}",
                f"at most {MAX_TABLE_ROWS:,} rows; narrow the query (indicator=, area=, from=, to=, latest=true) "
                f"or use format=csv or {PREFIX}/releases/{rel.id}/observations.csv.gz",
            )
        found = data.observation_rows(cur, query)
        slugs = sorted({str(r["indicator"]) for r in found})
        meta = {
            r["slug"]: r
            for r in rows(
                cur,
                "SELECT slug, label, unit, decimals, prefix, suffix, source_org, source_url, source_date, licence "
                "FROM indicators WHERE list_contains($s, slug) ORDER BY slug",
                {"s": slugs},
            )
        }
        sources = sorted({str(m["source_org"]) for m in meta.values() if m["source_org"]}) or ["not stated"]
        label = meta[slugs[0]]["label"] if len(slugs) == 1 else "Observations"
        if format == "jsonstat":
            dataset = jsonstat_dataset(
                found, indicators=meta, label=str(label), release=rel.id, updated=rel.created.replace(" ", "T"),
                source="; ".join(sources), href=_url(request),
            )  # fmt: skip
            return Rendered(dumps(dataset), "application/json")
        return _xlsx(request, rel, found, meta, str(label), sources)

    return await serve(request, rel, release, format, build)


def _xlsx(
    request: Request, rel: Release, found: list[dict[str, Any]], meta: dict[str, dict[str, Any]], label: str,
    sources: list[str],
) -> Rendered:  # fmt: skip
    notes: list[tuple[str, str]] = [
        ("Title", label),
        ("Query", f"{request.url.path}?{request.url.query}"),
        ("Source", "; ".join(sources)),
        ("Licence", "Open Government Licence v3.0: https://www.nationalarchives.gov.uk/doc/open-government-licence/"
                    "version/3/ — Source: Office for National Statistics and the producers named below."),
        ("Release", rel.id),
        ("Release created", f"{rel.created} UTC"),
        ("Rows", str(len(found))),
        ("Published by", request.app.title),
    ]  # fmt: skip
    for slug, m in meta.items():
        unit = m["unit"] or ""
        source = f"{m['source_org'] or 'not stated'}" + (f" ({m['source_url']})" if m["source_url"] else "")
        published = f", published {m['source_date']}" if m["source_date"] else ""
        notes.append((slug, f"{m['label']} — unit: {unit or 'not stated'}; source: {source}{published}"))
    notes.extend((name, text) for name, _t, text in EXPORT_SCHEMA if name in data.OBSERVATION_FIELDS)
    notes.append(("period_label", "The period as the publisher labels it (e.g. 2023/24)"))
    fields = data.OBSERVATION_FIELDS
    body = xlsx_bytes(fields, ([r[f] for f in fields] for r in found), notes, sheet="data")
    name = f"{next(iter(meta))}.xlsx" if len(meta) == 1 else "observations.xlsx"
    return Rendered(body, XLSX_MEDIA_TYPE, {"Content-Disposition": f'attachment; filename="{name}"'})


async def _observations_csv(
    request: Request,
    rel: Release,
    asked: str | None,
    parse: Callable[[duckdb.DuckDBPyConnection], data.ObservationQuery],
) -> Response:
    """Validate on one cursor, then stream rows from it in batches as the client reads them."""
    headers = base_headers(request, rel, "csv", _pinned(rel, asked))
    if not_modified(request, headers["ETag"]):
        return Response(status_code=304, headers=headers)
    cur = rel.cursor()
    try:
        query = await run_in_threadpool(parse, cur)
    except BaseException:
        cur.close()
        raise
    headers["Content-Disposition"] = 'attachment; filename="observations.csv"'
    headers["Link"] = (
        f'<{PREFIX}/releases/{rel.id}/observations.csv-metadata.json>; rel="describedby"; type="application/csvm+json"'
    )
    rows_ = data.observation_stream(cur, query, rel.id)
    chunks: Iterator[bytes] = csv_lines(EXPORT_COLUMNS, rows_, bom=wants_bom(request))
    return StreamingResponse(chunks, media_type=CSV_MEDIA_TYPE, headers=headers)


# ----------------------------------------------------------------------------------------------------------------
# Releases


def _release_summary(info: Any) -> dict[str, Any]:
    return {
        "id": info.id,
        "created": info.created,
        "content_hash": info.content_hash,
        "config_hash": info.config_hash,
        "counts": info.counts,
        "current": info.current,
        "url": f"{PREFIX}/releases/{info.id}",
    }


@router.get("/releases", response_model=ReleaseList, summary="Every release in the store, oldest first")
async def releases(request: Request) -> Response:
    rel = get_release(request, None)
    store = request.app.state.pool.store

    def build(cur: duckdb.DuckDBPyConnection) -> Rendered:
        found = [_release_summary(i) for i in store.list()]
        return as_json({"count": len(found), "releases": found}, rel)

    # the list changes when a release is published or pruned: key the cache and ETag on it too
    return await serve(request, rel, None, "json", build, extra="|".join(store.release_ids()))


@router.get("/releases/{release_id}", response_model=ReleaseDetail, summary="One release: inputs, counts, findings")
async def release_detail(request: Request, release_id: ReleaseId) -> Response:
    rel = get_release(request, release_id)
    store = request.app.state.pool.store

    def build(cur: duckdb.DuckDBPyConnection) -> Rendered:
        found = data.release_detail(cur)
        found["counts"] = _counts(found["counts"])
        found["created"] = str(found["created"])
        found["current"] = store.current_id() == rel.id
        bulk = f"{PREFIX}/releases/{rel.id}"
        found["downloads"] = {
            "csv_gz": f"{bulk}/observations.csv.gz",
            "parquet": f"{bulk}/observations.parquet",
            "csvw": f"{bulk}/observations.csv-metadata.json",
            "datapackage": f"{bulk}/datapackage.json",
        }
        return as_json(found, rel)

    return await serve(request, rel, release_id, "json", build)


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
    judgements: list[Judgement]
    release: str


@router.get("/methods", response_model=MethodList, summary="Every statistical method behind a judgement, explained")
async def methods(request: Request, release: ReleaseParam = None) -> Response:
    rel = get_release(request, release)

    def build(cur: duckdb.DuckDBPyConnection) -> Rendered:
        found = [
            {"method": m, "title": t, "description": d, "url": f"/methodology#{m}"}
            for m, t, d in cur.execute("SELECT method, title, description FROM methods ORDER BY method").fetchall()
        ]
        return as_json({"count": len(found), "methods": found}, rel)

    return await serve(request, rel, release, "json", build)


@router.get(
    "/judgements",
    response_model=JudgementList,
    summary="Comparisons with benchmarks and trend assessments, each with its method and plain-English reason",
)
async def judgements(
    request: Request,
    indicator: Annotated[str | None, Query(max_length=120, pattern=r"^[a-z0-9-]+$", description="Indicator slug",
                                           examples=[GVA])] = None,
    area: Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z0-9-]+$", description="Area code",
                                      examples=[SOUTHEND])] = None,
    latest: Annotated[bool, Query(description="Only each series' latest period (default true)")] = True,
    release: ReleaseParam = None,
) -> Response:  # fmt: skip
    rel = get_release(request, release)
    if indicator is None and area is None:
        raise BadRequest("indicator", "give an indicator, an area or both", "indicator=<slug>, area=<code>")

    def build(cur: duckdb.DuckDBPyConnection) -> Rendered:
        params = {"i": indicator, "a": area, "latest": latest}
        latest_filter = (
            "AND (NOT $latest OR period = (SELECT max_by(period, period_start) FROM observations o "
            "WHERE o.indicator = c.indicator AND o.area_code = c.area_code))"
        )
        comparisons = cur.execute(
            f"""SELECT indicator, area_code, period, period_label, benchmark_code, method, outcome, judgement, reason,
                       sentence FROM comparisons c
                WHERE ($i IS NULL OR indicator = $i) AND ($a IS NULL OR area_code = $a) {latest_filter}
                ORDER BY indicator, area_code, period, benchmark_code""",  # noqa: S608 (constant fragment)
            params,
        ).fetchall()
        trends = cur.execute(
            """SELECT indicator, area_code, period, period_label, method, outcome, judgement, reason, sentence
               FROM trends WHERE ($i IS NULL OR indicator = $i) AND ($a IS NULL OR area_code = $a)
                 AND (NOT $latest OR latest) ORDER BY indicator, area_code, period""",
            params,
        ).fetchall()
        found = [
            {"indicator": r[0], "area_code": r[1], "period": r[2], "period_label": r[3], "kind": "comparison",
             "benchmark_code": r[4], "method": r[5], "outcome": r[6], "judgement": r[7], "reason": r[8],
             "sentence": r[9], "method_url": f"/methodology#{r[5]}"}
            for r in comparisons
        ] + [
            {"indicator": r[0], "area_code": r[1], "period": r[2], "period_label": r[3], "kind": "trend",
             "benchmark_code": None, "method": r[4], "outcome": r[5], "judgement": r[6], "reason": r[7],
             "sentence": r[8], "method_url": f"/methodology#{r[4]}"}
            for r in trends
        ]  # fmt: skip
        return as_json({"count": len(found), "judgements": found}, rel)

    return await serve(request, rel, release, "json", build)


def _counts(text: Any) -> dict[str, int]:
    loaded = json.loads(text) if isinstance(text, str) else dict(text or {})
    return {str(k): int(v) for k, v in loaded.items()}


@router.get(
    "/releases/{old}/diff/{new}",
    response_model=ReleaseDiff,
    summary="Observations added, removed and revised between two releases",
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def release_diff(
    request: Request,
    old: ReleaseId,
    new: ReleaseId,
    indicator: Annotated[str | None, Query(max_length=120, description="Only this indicator (slug)",
                                           examples=[GVA])] = None,
    format: TableFormat = "json",
    limit: Limit = 1000,
    offset: Offset = 0,
) -> Response:  # fmt: skip
    older = get_release(request, old)
    newer = get_release(request, new)
    store = request.app.state.pool.store

    def build(cur: duckdb.DuckDBPyConnection) -> Rendered:
        try:
            old_id, new_id, changes = diff_rows(store, older.id, newer.id, indicator)
        except UnknownIndicator as exc:
            raise BadRequest("indicator", str(exc), "a slug listed at /api/v1/indicators") from exc
        summary = summarise_diff(changes)
        names = [
            "change", "indicator", "area_code", "area_name", "period", "old_value", "new_value", "old_lci_95",
            "new_lci_95", "old_uci_95", "new_uci_95", "old_status", "new_status",
        ]  # fmt: skip
        if format == "csv":
            return Rendered(csv_bytes(names, changes), CSV_MEDIA_TYPE,
                            {"Content-Disposition": f'attachment; filename="diff-{old_id}-{new_id}.csv"'})  # fmt: skip
        page = [dict(zip(names, r, strict=True)) for r in changes[offset : offset + limit]]
        following, previous = page_links(request, offset, limit, len(changes))
        body = {
            "old": old_id, "new": new_id, "summary": {"added": summary.added, "removed": summary.removed,
            "revised": summary.revised}, "count": len(changes), "limit": limit, "offset": offset,
            "next": following, "changes": page,
        }  # fmt: skip
        rendered = as_json(body, newer)
        rendered.headers.update(_link_header(following, previous))
        return rendered

    return await serve(request, newer, new, format, build, extra=older.id)


# ----------------------------------------------------------------------------------------------------------------
# Bulk files


def _bulk_headers(request: Request, rel: Release, asked: str, kind: str) -> dict[str, str]:
    return base_headers(request, rel, kind, asked == rel.id)


async def _bulk(request: Request, release_id: str, kind: str, media_type: str, filename: str) -> Response:
    rel = get_release(request, release_id)
    headers = _bulk_headers(request, rel, release_id, kind)
    if not_modified(request, headers["ETag"]):
        return Response(status_code=304, headers=headers)
    store = request.app.state.pool.store

    def make() -> Any:
        cur = rel.cursor()
        try:
            return data.bulk_file(store, cur, rel.id, kind)
        finally:
            cur.close()

    path = await run_in_threadpool(make)
    headers["Link"] = (
        f'<{PREFIX}/releases/{rel.id}/observations.csv-metadata.json>; rel="describedby"; type="application/csvm+json"'
    )
    return FileResponse(path, media_type=media_type, headers=headers, filename=f"{rel.id}-{filename}")


BULK_CSV_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/gzip": {"schema": {"type": "string", "format": "binary"}}},
          "description": "Every observation of the release, gzip-compressed CSV"},
}  # fmt: skip
BULK_PARQUET_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {PARQUET_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
          "description": "Every observation of the release, Apache Parquet"},
}  # fmt: skip


@router.get(
    "/releases/{release_id}/observations.csv.gz",
    summary="Every observation of a release as gzip-compressed CSV (the columns of `observatory export`)",
    response_class=Response,
    responses=BULK_CSV_RESPONSES,
)
async def bulk_csv(request: Request, release_id: ReleaseId) -> Response:
    return await _bulk(request, release_id, "csv.gz", "application/gzip", "observations.csv.gz")


@router.get(
    "/releases/{release_id}/observations.parquet",
    summary="Every observation of a release as Parquet",
    response_class=Response,
    responses=BULK_PARQUET_RESPONSES,
)
async def bulk_parquet(request: Request, release_id: ReleaseId) -> Response:
    return await _bulk(request, release_id, "parquet", PARQUET_MEDIA_TYPE, "observations.parquet")


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


class CsvwResponse(JSONResponse):
    media_type = "application/csvm+json"


@router.get(
    "/releases/{release_id}/observations.csv-metadata.json",
    response_model=CsvwMetadata,
    response_class=CsvwResponse,
    summary="CSVW metadata of the bulk CSV: columns, types, licence, release",
)
async def bulk_csvw(request: Request, release_id: ReleaseId) -> Response:
    rel = get_release(request, release_id)
    title = request.app.title

    def build(cur: duckdb.DuckDBPyConnection) -> Rendered:
        meta = csvw_metadata(
            "observations.csv.gz",
            title=f"{title}: every observation, release {rel.id}",
            description="Every observation of every indicator in the release, one row each (gzip-compressed).",
            licence=data.licence_of("OGL-UK-3.0")["url"],
            release=rel.id,
            created=rel.created.replace(" ", "T"),
            publisher=title,
        )
        return Rendered(dumps({**meta, "release": rel.id}), "application/csvm+json")

    return await serve(request, rel, release_id, "csvw", build)


class DataPackage(BaseModel):
    """A Frictionless Data Package describing both bulk files."""

    model_config = ConfigDict(extra="allow")
    name: str
    resources: list[dict[str, Any]]
    release: str


@router.get(
    "/releases/{release_id}/datapackage.json",
    response_model=DataPackage,
    summary="Frictionless Data Package describing the bulk files",
)
async def bulk_datapackage(request: Request, release_id: ReleaseId) -> Response:
    rel = get_release(request, release_id)
    title = request.app.title
    types = {"string": "string", "date": "date", "double": "number"}

    def build(cur: duckdb.DuckDBPyConnection) -> Rendered:
        schema = {
            "fields": [{"name": n, "type": types[t], "description": d} for n, t, d in EXPORT_SCHEMA],
            "primaryKey": ["indicator", "area_code", "period"],
        }
        package = {
            "name": "south-essex-observatory-observations",
            "title": f"{title}: every observation, release {rel.id}",
            "version": rel.id,
            "created": rel.created.replace(" ", "T") + "Z",
            "licenses": [{"name": "OGL-UK-3.0", "path": data.licence_of("OGL-UK-3.0")["url"],
                          "title": "Open Government Licence v3.0"}],
            "resources": [
                {"name": "observations", "path": "observations.csv.gz", "format": "csv", "compression": "gz",
                 "mediatype": "text/csv", "encoding": "utf-8", "schema": schema},
                {"name": "observations-parquet", "path": "observations.parquet", "format": "parquet",
                 "mediatype": PARQUET_MEDIA_TYPE, "schema": schema},
            ],
        }  # fmt: skip
        return as_json(package, rel)

    return await serve(request, rel, release_id, "datapackage", build)


# ----------------------------------------------------------------------------------------------------------------
# Catalogue (no /api/v1 prefix)


class JsonLDResponse(JSONResponse):
    media_type = JSONLD_MEDIA_TYPE


@catalog_router.get("/catalog.jsonld", include_in_schema=False, response_class=JsonLDResponse)
async def catalog(request: Request, release: ReleaseParam = None) -> Response:
    rel = get_release(request, release)
    base = str(request.base_url).rstrip("/")

    def build(cur: duckdb.DuckDBPyConnection) -> Rendered:
        body = dcat_catalog(all_indicators(cur), base=base, title=request.app.title, release_id=rel.id,
                            created=rel.created)  # fmt: skip
        return Rendered(dumps(body), JSONLD_MEDIA_TYPE)

    return await serve(request, rel, release, "jsonld", build)


# ----------------------------------------------------------------------------------------------------------------
# OpenAPI document and docs that work offline


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """OpenAPI 3.1 for /api/v1 only, with problem responses as ``application/problem+json``."""
    cached: dict[str, Any] | None = getattr(app.state, "api_openapi", None)
    if cached is not None:
        return cached
    doc = get_openapi(
        title=f"{app.title} API",
        version="1",
        openapi_version="3.1.0",
        summary="Open statistics for South Essex: indicators, areas, observations and releases.",
        description=(
            "Every data operation takes `release=` to pin a past release; every response names the release "
            "that served it (`release` in JSON, header `X-Observatory-Release`) and carries an ETag (send "
            "`If-None-Match` for a 304). Errors are RFC 9457 problem details. Unknown parameters are refused. "
            "Data: Office for National Statistics and other producers, Open Government Licence v3.0."
        ),
        routes=router.routes,
    )
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for item in doc.get("paths", {}).values():
        for op in item.values():
            responses = op.setdefault("responses", {})
            responses.pop("422", None)
            for code in ("400", "404"):
                responses[code] = {
                    "description": responses.get(code, {}).get("description", "Problem"),
                    "content": {"application/problem+json": {"schema": problem_ref}},
                }
            ok = responses.get("200")
            if ok is not None:
                ok["headers"] = {
                    "X-Observatory-Release": {
                        "description": "The release that served this",
                        "schema": {"type": "string"},
                    },
                    "ETag": {"description": "Tied to the release and the URL", "schema": {"type": "string"}},
                }
                content = ok.get("content", {})
                # a response class with its own media type: drop FastAPI's default JSON entry beside it
                if len(content) > 1 and content.get("application/json") == {"schema": {}}:
                    content.pop("application/json")
    doc["components"]["schemas"].pop("HTTPValidationError", None)
    doc["components"]["schemas"].pop("ValidationError", None)
    app.state.api_openapi = doc
    return doc


@router.get("/openapi.json", include_in_schema=False)
async def openapi_json(request: Request) -> Response:
    return Response(dumps(openapi_document(request.app)), media_type="application/json")


EXAMPLE_VALUES = {
    "slug": GVA,
    "code": SOUTHEND,
    "release_id": "current",
    "old": "previous",
    "new": "current",
    "indicator": GVA,
    "area": SOUTHEND,
}


def _example_url(path: str, params: list[dict[str, Any]]) -> str:
    url = path
    query: list[tuple[str, str]] = []
    for p in params:
        value = EXAMPLE_VALUES.get(p["name"]) or next(iter(p.get("schema", {}).get("examples", []) or []), None)
        if p["in"] == "path":
            url = url.replace("{" + p["name"] + "}", quote(str(value or "x"), safe=""))
        elif p["name"] in ("indicator", "area") and value:
            query.append((p["name"], str(value)))
    return url + (f"?{urlencode(query)}" if query else "")


def docs_html(doc: dict[str, Any]) -> str:
    """A page per the OpenAPI document: every operation, its parameters, an example call and a form to try it."""
    esc = html.escape
    parts = [
        "<!DOCTYPE html><html lang='en-GB'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{esc(doc['info']['title'])} – documentation</title>"
        "<link rel='stylesheet' href='/static/site.css'>"
        "<style>.op{border-top:1px solid #ccc;padding:1em 0}code{word-break:break-all}"
        "table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}"
        ".try label{display:block;margin-top:.4em}</style></head><body><main class='width' id='main'>",
        f"<p><a href='/'>Home</a></p><h1>{esc(doc['info']['title'])}</h1>"
        f"<p>{esc(doc['info'].get('description', ''))}</p>",
        "<p>Machine-readable description: <a href='/api/v1/openapi.json'>OpenAPI 3.1</a>. "
        "Catalogue: <a href='/catalog.jsonld'>DCAT (JSON-LD)</a>. Every example below is a link you can open.</p>",
        "<h2>Operations</h2><ul>",
    ]
    ops = [(path, method, op) for path, item in doc["paths"].items() for method, op in item.items()]
    for path, method, op in ops:
        parts.append(f"<li><a href='#{esc(op['operationId'])}'>{method.upper()} <code>{esc(path)}</code></a> — "
                     f"{esc(op.get('summary', ''))}</li>")  # fmt: skip
    parts.append("</ul>")
    for path, method, op in ops:
        params = op.get("parameters", [])
        example = _example_url(path, params)
        parts.append(
            f"<section class='op' id='{esc(op['operationId'])}'><h3>{method.upper()} <code>{esc(path)}</code></h3>"
            f"<p>{esc(op.get('summary', ''))}</p>"
        )
        if op.get("description"):
            parts.append(f"<p>{esc(op['description'])}</p>")
        parts.append(f"<p>Example: <a href='{esc(example)}'><code>{esc(example)}</code></a></p>")
        if params:
            parts.append("<table><caption class='visually-hidden'>Parameters</caption><thead><tr><th scope='col'>"
                         "Parameter</th><th scope='col'>In</th><th scope='col'>Type</th><th scope='col'>What it does"
                         "</th></tr></thead><tbody>")  # fmt: skip
            for p in params:
                schema = p.get("schema", {})
                kind = _type_text(schema)
                req = " (required)" if p.get("required") else ""
                desc = p.get("description") or schema.get("description") or ""
                parts.append(f"<tr><td><code>{esc(p['name'])}</code>{req}</td><td>{esc(p['in'])}</td>"
                             f"<td>{esc(kind)}</td><td>{esc(desc)}</td></tr>")  # fmt: skip
            parts.append("</tbody></table>")
            parts.append(f"<form class='try' method='get' action='{PREFIX}/docs/try'>"
                         f"<input type='hidden' name='_op' value='{esc(op['operationId'])}'>")  # fmt: skip
            for p in params:
                pid = f"{op['operationId']}-{p['name']}"
                value = (
                    EXAMPLE_VALUES.get(p["name"], "") if p["in"] == "path" or p["name"] in ("indicator", "area") else ""
                )
                parts.append(f"<label for='{esc(pid)}'>{esc(p['name'])}</label>")
                parts.append(_field(pid, p["name"], p.get("schema", {}), str(value)))
            parts.append("<button type='submit'>Try it</button></form>")
        codes = ", ".join(sorted(op.get("responses", {})))
        parts.append(f"<p>Responses: {esc(codes)}</p></section>")
    parts.append("</main></body></html>")
    return "".join(parts)


def _field(pid: str, name: str, schema: dict[str, Any], value: str) -> str:
    """A text box, or a choice list for enumerations and true/false (empty = leave the default)."""
    esc = html.escape
    choices = schema.get("enum") or (["true", "false"] if schema.get("type") == "boolean" else None)
    if choices:
        options = "".join(f"<option>{esc(str(c))}</option>" for c in choices)
        return f"<select id='{esc(pid)}' name='{esc(name)}'><option value=''>(default)</option>{options}</select>"
    return f"<input id='{esc(pid)}' name='{esc(name)}' value='{esc(value)}'>"


def _type_text(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    if "anyOf" in schema:
        return " or ".join(_type_text(s) for s in schema["anyOf"] if s.get("type") != "null")
    text = str(schema.get("type", "string"))
    bounds = [f"{k} {schema[k]}" for k in ("minimum", "maximum") if k in schema]
    return text + (f" ({', '.join(bounds)})" if bounds else "")


@router.get("/docs", include_in_schema=False, response_class=HTMLResponse)
async def docs(request: Request) -> Response:
    return HTMLResponse(docs_html(openapi_document(request.app)), headers={"Cache-Control": CACHE_CONTROL})


@router.get("/docs/try", include_in_schema=False)
async def docs_try(request: Request) -> Response:
    """The docs' forms land here: fill the operation's path from the form, keep the rest as its query."""
    doc = openapi_document(request.app)
    wanted = request.query_params.get("_op", "")
    for path, item in doc["paths"].items():
        for op in item.values():
            if op.get("operationId") != wanted:
                continue
            url = path
            query: list[tuple[str, str]] = []
            for p in op.get("parameters", []):
                value = request.query_params.get(p["name"], "").strip()
                if p["in"] == "path":
                    url = url.replace("{" + p["name"] + "}", quote(value or "-", safe=""))
                elif value:
                    query.append((p["name"], value))
            return RedirectResponse(url + (f"?{urlencode(query)}" if query else ""), status_code=303)
    raise BadRequest("_op", "unknown operation", f"an operation listed at {PREFIX}/docs")


# ----------------------------------------------------------------------------------------------------------------
# CORS and wiring


class ApiMiddleware:
    """CORS for the read-only API and catalogue, and cached answers served before routing.

    Any origin may GET; preflights are answered here. A GET whose (release, URL) is in the response cache
    is answered straight from it (or 304 on a matching If-None-Match), gzip-compressed once if the client
    accepts it: releases are immutable, so there is nothing to validate twice.
    """

    EXPOSE = b"ETag, Link, X-Observatory-Release, Content-Disposition"
    CORS = ((b"access-control-allow-origin", b"*"), (b"access-control-expose-headers", EXPOSE))

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path.startswith("/api/") or path == "/catalog.jsonld"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        if scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
            await self._preflight(headers, send)
            return
        if scope["method"] == "GET":
            entry = self._cached(scope)
            if entry is not None:
                await self._answer(entry, headers, send)
                return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.CORS]
            await send(message)

        await self.app(scope, receive, with_cors)

    @staticmethod
    def _cached(scope: Scope) -> Entry | None:
        app = scope.get("app")
        pool = getattr(getattr(app, "state", None), "pool", None)
        if pool is None:
            return None
        try:
            current: str = pool.current_id()
        except StoreError:
            return None
        query: bytes = scope.get("query_string", b"")
        release_id: str | None = current
        if b"release=" in query:
            asked = [v for k, v in parse_qsl(query.decode("latin-1")) if k == "release"]
            release_id = current if asked in ([], [""], ["current"]) else RESOLVED.get((current, asked[-1]))
        return None if release_id is None else CACHE.get(cache_key(scope, release_id))

    async def _answer(self, entry: Entry, headers: dict[bytes, bytes], send: Send) -> None:
        if entry.etag in [t.strip().removeprefix(b"W/") for t in headers.get(b"if-none-match", b"").split(b",")]:
            keep = {b"etag", b"cache-control", b"x-observatory-release"}
            out = [(k, v) for k, v in entry.headers if k in keep]
            await send({"type": "http.response.start", "status": 304, "headers": [*out, *self.CORS]})
            await send({"type": "http.response.body", "body": b""})
            return
        body = entry.body
        out = [(k, v) for k, v in entry.headers if k != b"content-length"]
        if entry.compressible:
            out.append((b"vary", b"Accept-Encoding"))
            if b"gzip" in headers.get(b"accept-encoding", b""):
                if entry.gz is None:
                    CACHE.add_gzip(entry, gzip.compress(body, compresslevel=6))
                body = entry.gz or body
                out.append((b"content-encoding", b"gzip"))
        out.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": [*out, *self.CORS]})
        await send({"type": "http.response.body", "body": body})

    async def _preflight(self, headers: dict[bytes, bytes], send: Send) -> None:
        allow_headers = headers.get(b"access-control-request-headers", b"") or b"Accept, If-None-Match"
        await send({"type": "http.response.start", "status": 204, "headers": [
            (b"access-control-allow-origin", b"*"),
            (b"access-control-allow-methods", b"GET, HEAD, OPTIONS"),
            (b"access-control-allow-headers", allow_headers),
            (b"access-control-max-age", b"86400"),
            (b"vary", b"Access-Control-Request-Headers"),
        ]})  # fmt: skip
        await send({"type": "http.response.body", "body": b""})


def install(app: FastAPI) -> None:
    """Wire the API into the app: /api/v1, /catalog.jsonld and CORS (safe to call more than once)."""
    paths = {getattr(r, "path", None) for r in app.routes}
    if f"{PREFIX}/openapi.json" not in paths:
        app.include_router(router)
    if "/catalog.jsonld" not in paths:
        app.include_router(catalog_router)
    if not any(getattr(m, "cls", None) is ApiMiddleware for m in app.user_middleware):
        app.add_middleware(ApiMiddleware)
