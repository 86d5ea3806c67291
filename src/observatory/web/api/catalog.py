"""The DCAT catalogue at /catalog.jsonld (no /api/v1 prefix)."""

from __future__ import annotations

import duckdb
from fastapi import Request
from fastapi.responses import JSONResponse, Response

from observatory.web.api.params import JSONLD_MEDIA_TYPE, ReleaseParam, catalog_router, get_release
from observatory.web.api.serving import Rendered, serve
from observatory.web.catalog import dcat_catalog
from observatory.web.data.common import all_indicators
from observatory.web.formats import dumps


class JsonLDResponse(JSONResponse):
    media_type = JSONLD_MEDIA_TYPE


@catalog_router.get("/catalog.jsonld", include_in_schema=False, response_class=JsonLDResponse)
async def catalog(request: Request, release: ReleaseParam = None) -> Response:
    rel = get_release(request, release)
    base = request.app.state.base_url

    def build(cur: duckdb.DuckDBPyConnection) -> Rendered:
        body = dcat_catalog(all_indicators(cur), base=base, title=request.app.title, release_id=rel.id,
                            created=rel.created)  # fmt: skip
        return Rendered(dumps(body), JSONLD_MEDIA_TYPE)

    return await serve(request, rel, release, "jsonld", build)
