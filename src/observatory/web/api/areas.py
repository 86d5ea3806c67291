"""Area routes: list, one area, its geometry and profile."""

from __future__ import annotations

from typing import Annotated

import duckdb
from fastapi import Query, Request
from fastapi.responses import JSONResponse, Response

from observatory.web.api.models import AreaDetail, AreaList, AreaProfile, GeoFeature
from observatory.web.api.params import PREFIX, Code, ReleaseParam, TableFormat, get_release, router
from observatory.web.api.serving import Rendered, _config, as_csv, as_json, serve
from observatory.web.data import api_data as data
from observatory.web.data.areas import area_page
from observatory.web.formats import GEOJSON_MEDIA_TYPE, dumps, geojson_feature


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
    parent: Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z0-9-]{2,40}$",
                                        description="Only areas within this one (a code)",
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
