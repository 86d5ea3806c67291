"""Release routes: the list, one release, and the diff between two."""

from __future__ import annotations

import json
from typing import Annotated, Any

import duckdb
from fastapi import Query, Request
from fastapi.responses import Response

from observatory.release.read import UnknownIndicator, diff_rows, summarise_diff
from observatory.web.api.models import ReleaseDetail, ReleaseDiff, ReleaseList
from observatory.web.api.params import GVA, PREFIX, Limit, Offset, ReleaseId, TableFormat, get_release, router
from observatory.web.api.serving import Rendered, _link_header, as_json, page_links, serve
from observatory.web.data import api_data as data
from observatory.web.errors import UnknownValue
from observatory.web.formats import CSV_MEDIA_TYPE, csv_bytes


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
            raise UnknownValue("indicator", str(exc), "a slug listed at /api/v1/indicators") from exc
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
