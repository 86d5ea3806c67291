"""Serving an API response: ETag/304, the shared response cache, rendering helpers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

import duckdb
from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.types import Scope

from observatory.config import Config
from observatory.web.api.params import PARQUET_MEDIA_TYPE
from observatory.web.formats import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, csv_bytes, dumps
from observatory.web.httpcache import (
    CACHE_CONTROL,
    GZIP_MIN,
    IMMUTABLE,
    RESPONSES,
    Entry,
    etag,
    matches,
    normalise_query,
)
from observatory.web.releases import Release


@dataclass
class Rendered:
    body: bytes
    media_type: str
    headers: dict[str, str] = field(default_factory=dict)


CACHE = RESPONSES  # the one response cache, shared with the pages
INCOMPRESSIBLE = ("application/gzip", PARQUET_MEDIA_TYPE, XLSX_MEDIA_TYPE)


def api_query(query: str) -> str:
    """The query as the API reads it: ``_``-prefixed names (cache busters) dropped, pairs sorted and de-duplicated."""
    return normalise_query("&".join(p for p in query.split("&") if p and not p.startswith("_")))


def cache_key(scope: Scope, release_id: str, extra: str = "") -> tuple[str, str, str]:
    """(``api``, release + extra, path?normalised query): never anything from the Host header."""
    query = api_query(scope.get("query_string", b"").decode("latin-1"))
    return "api", f"{release_id}|{extra}", f"{scope['path']}?{query}"


def base_headers(request: Request, release: Release, fmt: str, pinned: bool, extra: str = "") -> dict[str, str]:
    tag = etag(release.id, fmt, request.url.path, api_query(request.url.query), extra)
    return {
        "ETag": tag,
        "Cache-Control": IMMUTABLE if pinned else CACHE_CONTROL,
        "X-Observatory-Release": release.id,
    }


def _pinned(release: Release, asked: str | None) -> bool:
    """An exact release id in the URL names content that can never change."""
    return asked == release.id


def not_modified(request: Request, tag: str) -> bool:
    return matches(request.headers.get("if-none-match"), tag)


def _url(request: Request) -> str:
    """The path and the query as the cache keys it (used in links and notes of cached bodies)."""
    query = api_query(request.url.query)
    return f"{request.url.path}?{query}" if query else request.url.path


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
        # from the normalised query: a cached body is shared by every request with the same key
        params = [(k, v) for k, v in parse_qsl(api_query(request.url.query), keep_blank_values=True) if k != "offset"]
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
