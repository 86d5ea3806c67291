"""CORS for the read-only API and catalogue, and cached answers served before routing."""

from __future__ import annotations

import gzip
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from observatory.store import StoreError
from observatory.web.api.params import RESOLVED
from observatory.web.api.serving import CACHE, cache_key
from observatory.web.httpcache import Entry, matches


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
            key = self._key(scope)
            entry = None if key is None else CACHE.get(key)
            if key is not None and entry is not None:
                await self._answer(key, entry, headers, send)
                return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.CORS]
            await send(message)

        await self.app(scope, receive, with_cors)

    @staticmethod
    def _key(scope: Scope) -> tuple[str, ...] | None:
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
        return None if release_id is None else cache_key(scope, release_id)

    async def _answer(self, key: tuple[str, ...], entry: Entry, headers: dict[bytes, bytes], send: Send) -> None:
        if matches(headers.get(b"if-none-match"), entry.etag):
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
                    CACHE.add_gzip(key, entry, gzip.compress(body, compresslevel=6))
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
