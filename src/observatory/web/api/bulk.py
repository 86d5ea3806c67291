"""Bulk files of a release: gzip CSV, Parquet, CSVW metadata and a Data Package."""

from __future__ import annotations

from typing import Any

import duckdb
from fastapi import Request
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from observatory.web.api.models import CsvwMetadata, DataPackage
from observatory.web.api.params import PARQUET_MEDIA_TYPE, PREFIX, ReleaseId, get_release, router
from observatory.web.api.serving import Rendered, as_json, base_headers, not_modified, serve
from observatory.web.data import api_data as data
from observatory.web.formats import EXPORT_SCHEMA, csvw_metadata, dumps
from observatory.web.releases import Release


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
