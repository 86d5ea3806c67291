"""The web application: server-rendered pages, each also available as .json and .csv.

Routes live in ``pages.py`` (the site) and ``api.py`` (/api/v1). They stay thin: parse and validate
parameters, pick the release, call the page's data function, hand the dict to ``render.respond``.
Unknown slugs/codes → a helpful 404; bad parameters → 400 with what is allowed; an unexpected error is
logged and shown as a plain 500 page, never a stack trace.
"""

from __future__ import annotations

import gc
import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware

from observatory import __version__
from observatory.config import Config, load_config
from observatory.officers.service import Officers
from observatory.store import Store, StoreError, default_store_path
from observatory.web import api, pages
from observatory.web import officers as officers_routes
from observatory.web.errors import BadRequest, NotFound
from observatory.web.releases import ReleasePool
from observatory.web.render import make_templates

log = logging.getLogger("observatory.web")
STATIC = Path(__file__).parent / "static"


def create_app(store: Store | None = None, config: Config | None = None, officers: Officers | None = None) -> FastAPI:
    """The site, the API and the officers' pages. ``officers`` defaults to the store's own officers'
    database (migrated on start); if it cannot be opened, the public site serves without it."""
    config = config or load_config()
    store = store or Store(default_store_path())
    pool = ReleasePool(store, config)
    templates = make_templates()
    app = FastAPI(title=config.deployment.name, version=__version__, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.pool = pool
    app.state.config = config
    app.state.templates = templates
    app.state.officers = officers or Officers.open(store.root)
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    app.mount("/static", ImmutableStatic(directory=str(STATIC)), name="static")
    templates.env.globals.update(site=config.deployment, themes=config.themes, version=__version__)

    app.include_router(pages.router)
    app.include_router(officers_routes.router)
    api.install(app)
    _error_handlers(app, templates)
    return app


class ImmutableStatic(StaticFiles):
    """Static files are referenced with ``?v=<version>``, so browsers may keep them for a year."""

    async def get_response(self, path: str, scope: Any) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def app_from_env() -> FastAPI:
    """Factory for uvicorn workers: store and config from $OBSERVATORY_STORE / $OBSERVATORY_CONFIG.

    The long-lived objects made at start-up (config, templates, routes) are moved out of the garbage
    collector's view, and full collections made rarer: a serving process allocates little that lives long,
    and full collections over a large heap were the main source of tail latency.
    """
    app = create_app()
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    return app


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return (
        path.endswith((".json", ".csv", ".jsonld"))
        or path.startswith("/api/")
        or "application/json" in request.headers.get("accept", "")
    )


def _error(request: Request, status: int, title: str, detail: str, **extra: Any) -> Response:
    templates = request.app.state.templates
    if _wants_json(request):
        body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
        return JSONResponse(body, status_code=status, media_type="application/problem+json")
    context = {"request": request, "status": status, "title": title, "detail": detail, **extra}
    response: Response = templates.TemplateResponse(request, "error.html", context, status_code=status)
    return response


def _error_handlers(app: FastAPI, templates: Any) -> None:
    @app.exception_handler(NotFound)
    def not_found(request: Request, exc: NotFound) -> Response:
        suggestions = [{"label": label, "url": url} for label, url in exc.suggestions]
        return _error(request, 404, "Page not found", exc.what, suggestions=suggestions)

    @app.exception_handler(BadRequest)
    def bad_request(request: Request, exc: BadRequest) -> Response:
        return _error(request, 400, "There is a problem with the address", exc.message, param=exc.param,
                      allowed=exc.allowed)  # fmt: skip

    @app.exception_handler(StoreError)
    def store_error(request: Request, exc: StoreError) -> Response:
        if "no release" in str(exc) and request.query_params.get("release"):
            shown = f"There is no release {request.query_params['release'][:40]!r} in this observatory."
            return _error(request, 404, "Release not found", shown, param="release",
                          allowed="a release id listed at /changes, 'current' or 'previous'")  # fmt: skip
        log.error("store unavailable: %s", exc)
        return _error(request, 503, "The data is not available", "No release of the data can be served right now.")

    @app.exception_handler(RequestValidationError)
    def invalid(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("query", "path"))
        return _error(request, 400, "There is a problem with the address", str(first.get("msg", "invalid")),
                      param=where)  # fmt: skip

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return _error(request, 404, "Page not found", "There is no page at this address.", suggestions=[])
        return _error(request, exc.status_code, "Request not allowed", str(exc.detail))

    @app.exception_handler(Exception)
    def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path, exc_info=exc)
        return _error(request, 500, "Sorry, there is a problem with the service", "Please try again later.")
