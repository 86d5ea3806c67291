"""GET /api/v1: what the API offers, with links."""

from __future__ import annotations

import duckdb
from fastapi import Request
from fastapi.responses import Response

from observatory import __version__
from observatory.web.api.models import ApiIndex
from observatory.web.api.params import GVA, PREFIX, SOUTHEND, ReleaseParam, get_release, router
from observatory.web.api.serving import Rendered, as_json, serve


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
