"""Take-away figures: an indicator's chart and map as files, their data as CSV, and a chart-only embed page.

Routes (all take ``?areas=`` like the indicator page and ``?release=`` to pin a release):

- ``/indicators/{slug}/chart.svg|png|csv`` — the line chart of the chosen areas with its caption drawn in
  (title, subtitle, units, source, licence, release id); CSV: the chart's numbers (the page's own table).
- ``/indicators/{slug}/map.svg|png|csv`` — the map of every current local authority at the latest period;
  CSV: each authority's value and rank.
- ``/embed/indicators/{slug}`` — the chart alone on a small page that other sites may frame: its response sets
  ``Content-Security-Policy: frame-ancestors *`` (every other page of the site refuses framing).

A file is made from the same data function and Vega-Lite spec as the page (``pages.chart_spec``), so the
download and the page cannot disagree. Files are cached per release (releases never change).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from observatory import format as nf
from observatory.web import figures, httpcache
from observatory.web.data.api_data import licence_of
from observatory.web.data.indicators import indicator_page
from observatory.web.errors import BadRequest
from observatory.web.pages import (
    CACHE,
    _joined,
    cache_scope,
    chart_missing,
    chart_spec,
    config_of,
    indicator_charts,
    indicator_map,
    indicator_map_title,
    release_for,
)
from observatory.web.releases import Release
from observatory.web.render import csv_text, etag
from observatory.web.security import CSP_EMBED

router = APIRouter(include_in_schema=False)
FILE_TYPES = {"svg": "image/svg+xml", "png": "image/png", "csv": "text/csv; charset=utf-8"}
FILE_CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=60"


def _made(scope: str, key: str, make: Callable[[], bytes]) -> bytes:
    """A rendered file, made once per release and kept in the pages' LRU cache."""
    body: bytes = CACHE.get_or_compute(scope, f"file:{key}", lambda: {"body": make()})["body"]
    return body


def _payload(request: Request, release: Release, slug: str) -> tuple[dict[str, Any], str]:
    """The indicator page's data for the chosen areas (shared with the page's cache) and the areas parameter."""
    cfg = config_of(request)
    areas = _joined(request, "areas", "area") or ""
    scope = cache_scope(release, cfg)
    cur = release.cursor()
    try:
        payload = CACHE.get_or_compute(scope, f"indicator:{slug}:{areas}",
                                       lambda: indicator_page(cur, cfg, slug, areas or None))  # fmt: skip
    finally:
        cur.close()
    return payload, areas


def caption(payload: dict[str, Any], release: Release, title: str, note: str = "") -> figures.Caption:
    """What a downloaded figure says about itself, from the indicator's metadata (ONS ELS metadata JSON)."""
    ind = payload["indicator"]
    source = nf.organisations(ind.get("source_org"), "not stated by the publisher")
    if ind.get("source_date"):
        source += f", published {ind['source_date']:%-d %B %Y}"
    licence = licence_of(ind.get("licence"))
    return figures.Caption(
        title=title,
        subtitle=ind.get("subtitle") or "",
        units=ind.get("unit_label") or "",
        source=source,
        licence=licence["name"] or licence["id"],
        release=release.id,
        note=note,
    )


def _file(request: Request, release: Release, body: bytes, fmt: str, filename: str) -> Response:
    tag = etag(release, request, fmt)
    headers = {"ETag": tag, "Cache-Control": FILE_CACHE_CONTROL, "X-Observatory-Release": release.id,
               "Content-Disposition": f'attachment; filename="{filename}-{release.id}.{fmt}"'}  # fmt: skip
    if httpcache.matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=FILE_TYPES[fmt], headers=headers)


def _format(fmt: str) -> str:
    if fmt not in FILE_TYPES:
        raise BadRequest("format", f"unknown format .{fmt[:10]}", "svg, png or csv")
    return fmt


@router.get("/indicators/{slug}/chart.{fmt}")
def chart_file(request: Request, slug: str, fmt: str) -> Response:
    """The line chart as a captioned SVG or PNG, or its numbers as CSV."""
    fmt = _format(fmt)
    release = release_for(request)
    payload, areas = _payload(request, release, slug)
    if fmt == "csv":
        return _file(request, release, csv_text(payload["table"]), fmt, f"{slug}-chart")
    cfg = config_of(request)
    missing = chart_missing(payload)
    they = "it is" if len(missing) == 1 else "they are"
    note = f"No data for {', '.join(missing)} in this release, so {they} not drawn."
    cap = caption(payload, release, f"{payload['indicator']['label']} over time", note if missing else "")
    spec = chart_spec(payload, cfg)

    def make() -> bytes:
        return figures.chart_png(spec, cap) if fmt == "png" else figures.chart_svg(spec, cap).encode()

    body = _made(cache_scope(release, cfg), f"chart:{slug}:{areas}:{fmt}", make)
    return _file(request, release, body, fmt, f"{slug}-chart")


@router.get("/indicators/{slug}/map.{fmt}")
def map_file(request: Request, slug: str, fmt: str) -> Response:
    """The map of every current local authority (latest period) as a captioned SVG or PNG, or CSV."""
    fmt = _format(fmt)
    release = release_for(request)
    payload, _ = _payload(request, release, slug)
    if not payload.get("latest"):
        raise BadRequest("indicator", "this indicator has no local authority figures to map", "another indicator")
    if fmt == "csv":
        table = [{"area_code": r["code"], "area_name": r["name"], "period": payload["latest"]["period"],
                  "period_label": payload["latest"]["period_label"], "value": r["value"], "lci_95": r["lci_95"],
                  "uci_95": r["uci_95"], "status": r["status"], "rank": r["rank"], "south_essex": r["south_essex"]}
                 for r in payload["ranking"]]  # fmt: skip
        return _file(request, release, csv_text(table), fmt, f"{slug}-map")
    cfg = config_of(request)
    cap = caption(payload, release, indicator_map_title(payload))

    def make() -> bytes:
        svg = figures.captioned_svg(indicator_map(release, payload, cfg), cap)
        return figures.svg_png(svg) if fmt == "png" else svg.encode()

    body = _made(cache_scope(release, cfg), f"map:{slug}:{fmt}", make)
    return _file(request, release, body, fmt, f"{slug}-map")


@router.get("/embed/indicators/{slug}")
def embed(request: Request, slug: str) -> Response:
    """The indicator's chart alone, with its caption and a link to the full page, for framing on other sites."""
    release = release_for(request)
    cfg = config_of(request)
    payload, areas = _payload(request, release, slug)
    extra = indicator_charts(release, payload, cfg)
    query = f"?areas={areas}&release={release.id}" if areas else f"?release={release.id}"
    context = {"request": request, "data": payload, "release": release, **extra, "query": query,
               "caption": caption(payload, release, f"{payload['indicator']['label']} over time")}  # fmt: skip
    # the site's whole Content-Security-Policy with only its frame-ancestors opened (web/security.py CSP_EMBED)
    headers = {"X-Observatory-Release": release.id, "Cache-Control": FILE_CACHE_CONTROL,
               "Content-Security-Policy": CSP_EMBED}  # fmt: skip
    response: Response = request.app.state.templates.TemplateResponse(request, "embed.html", context, headers=headers)
    return response
