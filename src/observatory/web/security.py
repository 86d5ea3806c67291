"""What protects every response: trusted hosts, a configured base URL, browser protections, HEAD, URI length.

- **Host header.** Absolute URLs come from ``site_base_url`` (config ``deployment.base_url``,
  ``$OBSERVATORY_BASE_URL``), never from the request; Starlette's ``TrustedHostMiddleware`` refuses any
  other Host with 400, so nothing a client puts in Host can reach a page or a cache.
- **Browser protections** (``SecurityHeaders``): every response carries ``X-Content-Type-Options: nosniff``
  and ``Referrer-Policy: strict-origin-when-cross-origin``; every HTML response a Content-Security-Policy
  (``default-src 'self'``: no inline script or style, forms post to the site only) and
  ``frame-ancestors 'none'`` + ``X-Frame-Options: DENY``, except under ``EMBED_PREFIX``, which other
  sites may frame.
- **HEAD** is answered wherever GET is (``HeadAsGet``): the GET response's status and headers, no body.
- **URI length** (``LimitQuery``): a query string longer than ``MAX_QUERY_BYTES`` is refused with 400 (a
  problem+json body titled "URI Too Long" saying the limit), before any routing, parsing or caching. 400
  rather than 414 because the API's clients (and schemathesis) treat 400 as "the request was refused".
"""

from __future__ import annotations

import json
import os
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from observatory.config import Config

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
# As sent (percent-encoded). Longer than any request the API's description allows (the longest lists,
# 6,000 characters of indicators and of areas, even fully percent-encoded), shorter than hostile ones.
MAX_QUERY_BYTES = 40_000
EMBED_PREFIX = "/embed/"
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
CSP_EMBED = CSP.replace("frame-ancestors 'none'", "frame-ancestors *")
ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
)


def site_base_url(config: Config) -> str:
    """``$OBSERVATORY_BASE_URL``, else ``deployment.base_url``, else ``DEFAULT_BASE_URL``; no trailing slash."""
    return (os.environ.get("OBSERVATORY_BASE_URL") or config.deployment.base_url or DEFAULT_BASE_URL).rstrip("/")


def allowed_hosts(config: Config) -> list[str]:
    """The configured host names, else the base URL's host, 127.0.0.1, localhost and the in-process client."""
    if config.deployment.allowed_hosts:
        return list(config.deployment.allowed_hosts)
    host = urlsplit(site_base_url(config)).hostname or "127.0.0.1"
    return sorted({host, "127.0.0.1", "localhost", "testserver"})


class SecurityHeaders:
    """Adds the browser protections above to every response (CSP and framing rules to HTML only)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        embed = str(scope.get("path", "")).startswith(EMBED_PREFIX)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                kind = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                extra = list(ALWAYS)
                if kind.startswith(b"text/html"):
                    extra.append((b"content-security-policy", (CSP_EMBED if embed else CSP).encode()))
                    if not embed:
                        extra.append((b"x-frame-options", b"DENY"))
                present = {k.lower() for k, _ in headers}
                message["headers"] = headers + [(k, v) for k, v in extra if k not in present]
            await send(message)

        await self.app(scope, receive, with_headers)


class HeadAsGet:
    """Answers HEAD as the GET of the same URL would be answered, without the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        started = False

        async def no_body(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                await send(message)
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                await send({"type": "http.response.body", "body": b""})

        await self.app({**scope, "method": "GET"}, receive, no_body)


class LimitQuery:
    """Refuses a query string longer than ``MAX_QUERY_BYTES`` with 400 "URI Too Long" (problem+json)."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_QUERY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and len(scope.get("query_string", b"")) > self.max_bytes:
            body = json.dumps({
                "type": "about:blank",
                "title": "URI Too Long",
                "status": 400,
                "detail": f"The query string is longer than {self.max_bytes:,} bytes; ask for less at once "
                "(or use the bulk files at /api/v1/releases/current/observations.csv.gz).",
                "param": "query",
                "allowed": f"at most {self.max_bytes:,} bytes after the '?'",
            }).encode()  # fmt: skip
            await send({"type": "http.response.start", "status": 400, "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
            ]})  # fmt: skip
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


LINK_SCHEMES = ("http", "https", "mailto")


def safe_link(url: object) -> str:
    """``url`` if it may become a link (http, https or mailto; or a path on this site), else ``""``.

    A URL from data (a source's ``sourceURL``, a file's origin) is shown as text, never as a link, when its
    scheme is anything else (``javascript:``, ``data:``, …). Control characters and spaces that browsers
    strip before reading the scheme are removed first, so ``java\\tscript:`` is caught too.
    """
    if not isinstance(url, str):
        return ""
    text = "".join(ch for ch in url if ord(ch) > 32 and ord(ch) != 127)
    if text.startswith("/") and not text.startswith("//"):
        return url.strip()
    scheme, colon, rest = text.partition(":")
    if colon and scheme.lower() in LINK_SCHEMES and (scheme.lower() == "mailto" or rest.startswith("//")):
        return url.strip()
    return ""
