"""Indicator routes: list, one indicator, its map."""

from __future__ import annotations

from typing import Annotated

import duckdb
from fastapi import Query, Request
from fastapi.responses import Response

from observatory.web.api.models import IndicatorDetail, IndicatorList, IndicatorMap, MapValue
from observatory.web.api.params import PREFIX, ReleaseParam, Slug, TableFormat, get_release, router
from observatory.web.api.serving import Rendered, _config, as_csv, as_json, serve
from observatory.web.data import api_data as data

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
