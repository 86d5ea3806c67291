"""The open data API, /api/v1 (issue 4): the same data functions as the pages, as JSON, CSV and more.

One module per job: ``params`` (parameters, routers, the release asked for), ``problems`` (RFC 9457
problem details), ``models`` (response models → the OpenAPI document), ``serving`` (ETag/304 and the
response cache, through ``observatory.web.httpcache``), a module of routes per resource (``index``,
``indicators``, ``areas``, ``observations``, ``releases``, ``judgements``, ``bulk``, ``catalog``),
``openapi`` (the document and the offline docs) and ``middleware`` (CORS, cached answers before routing).

Routes stay thin: check the parameters, pick the release, run a data function on a fresh cursor (in a
worker thread) and render. Every response names its release (``release`` in JSON bodies and the
``X-Observatory-Release`` header) and carries an ETag tied to it.
"""

from __future__ import annotations

from fastapi import FastAPI

from observatory.web.api import areas, bulk, catalog, index, indicators, judgements, observations, openapi, releases  # noqa: F401  (importing a routes module registers its routes)
from observatory.web.api.middleware import ApiMiddleware
from observatory.web.api.params import PREFIX, catalog_router, router
from observatory.web.api.serving import CACHE

__all__ = ["CACHE", "PREFIX", "install", "router"]


def install(app: FastAPI) -> None:
    """Wire the API into the app: /api/v1, /catalog.jsonld and CORS (safe to call more than once)."""
    paths = {getattr(r, "path", None) for r in app.routes}
    if f"{PREFIX}/openapi.json" not in paths:
        app.include_router(router)
    if "/catalog.jsonld" not in paths:
        app.include_router(catalog_router)
    if not any(getattr(m, "cls", None) is ApiMiddleware for m in app.user_middleware):
        app.add_middleware(ApiMiddleware)
