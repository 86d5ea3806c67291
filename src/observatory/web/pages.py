"""Routes of the public site. Each page is also served at the same address + ``.json`` / ``.csv``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from observatory.web.data.home import home_page
from observatory.web.data.indicators import indicator_list, indicator_page
from observatory.web.releases import Release
from observatory.web.render import respond, split_format

router = APIRouter(include_in_schema=False)
DataFn = Callable[[duckdb.DuckDBPyConnection], dict[str, Any]]


def release_for(request: Request) -> Release:
    release: Release = request.app.state.pool.get(request.query_params.get("release"))
    return release


def page(
    request: Request,
    name: str,
    template: str,
    data: DataFn,
    filename: str,
    extra: Callable[[Release, dict[str, Any]], dict[str, Any]] | None = None,
) -> Response:
    """Validate the format, pick the release, run the data function on a fresh cursor, render."""
    _, fmt = split_format(name)
    release = release_for(request)
    cur = release.cursor()
    try:
        payload = data(cur)
        more = extra(release, payload) if extra is not None and fmt == "html" else None
        return respond(request, request.app.state.templates, release, fmt, template, payload, filename=filename,
                       extra=more)  # fmt: skip
    finally:
        cur.close()


def config_of(request: Request) -> Any:
    return request.app.state.config


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    cfg = config_of(request)
    return page(request, "index", "home.html", lambda cur: home_page(cur, cfg), "south-essex-at-a-glance")


@router.get("/index.{fmt}")
def home_data(request: Request, fmt: str) -> Response:
    cfg = config_of(request)
    return page(request, f"index.{fmt}", "home.html", lambda cur: home_page(cur, cfg), "south-essex-headlines")


@router.get("/indicators")
@router.get("/indicators.{fmt}")
def indicators(request: Request, fmt: str = "html") -> Response:
    cfg = config_of(request)
    return page(request, f"indicators.{fmt}", "indicators.html", lambda cur: indicator_list(cur, cfg), "indicators")


@router.get("/indicators/{name}")
def indicator(request: Request, name: str) -> Response:
    cfg = config_of(request)
    slug, _ = split_format(name)
    areas = ",".join([request.query_params.get("areas", ""), *request.query_params.getlist("area")]).strip(",")
    return page(request, name, "indicator.html", lambda cur: indicator_page(cur, cfg, slug, areas or None), slug)
