"""Parameters of /api/v1, annotated once (FastAPI puts descriptions and examples in the OpenAPI document).

Also the routers, the refusal of unknown parameters and the release a request asks for.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from observatory.store import StoreError
from observatory.web.api.problems import PROBLEMS
from observatory.web.errors import BadRequest, NotFound
from observatory.web.releases import Release

PREFIX = "/api/v1"
MAX_TABLE_ROWS = 100_000  # rows in one XLSX or JSON-stat response; more → CSV (streamed) or the bulk files
GVA = "gross-value-added-per-hour-worked"
SOUTHEND = "E06000033"
PARQUET_MEDIA_TYPE = "application/vnd.apache.parquet"
JSONLD_MEDIA_TYPE = "application/ld+json"

ReleaseParam = Annotated[
    str | None,
    Query(
        description="Pin a past release: its id (or a unique prefix), `current` or `previous`. Default: current.",
        max_length=64,
        examples=["current"],
    ),
]
Slug = Annotated[
    str,
    Path(description="Indicator slug, as listed at /api/v1/indicators", pattern=r"^[a-z0-9-]{1,120}$",
         examples=[GVA]),
]  # fmt: skip
Code = Annotated[
    str,
    Path(description="GSS area code (or a configured group's slug)", pattern=r"^[A-Za-z0-9-]{1,40}$",
         examples=[SOUTHEND]),
]  # fmt: skip
ReleaseId = Annotated[
    str,
    Path(description="A release id (or unique prefix), `current` or `previous`", pattern=r"^[A-Za-z0-9-]{1,64}$",
         examples=["current"]),
]  # fmt: skip
TableFormat = Annotated[Literal["json", "csv"], Query(description="json (default) or csv")]
Limit = Annotated[int, Query(ge=1, le=10_000, description="Rows per page (JSON), at most 10000")]
Offset = Annotated[int, Query(ge=0, le=100_000_000, description="Rows to skip (JSON)")]


async def known_params(request: Request) -> None:
    """Refuse parameters an operation does not take (a typo like ``areas=`` would otherwise be ignored).

    Names starting with ``_`` are left alone for cache-busting clients.
    """
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or not getattr(route, "include_in_schema", True):
        return  # the docs' own helpers take the operation's parameters through
    allowed = {f.alias for f in dependant.query_params}
    for name in request.query_params:
        if name not in allowed and not name.startswith("_"):
            raise BadRequest(
                name[:40],
                f"unknown parameter {name[:40]!r}",
                ", ".join(sorted(allowed)) if allowed else "no parameters",
            )


router = APIRouter(prefix=PREFIX, responses=PROBLEMS, dependencies=[Depends(known_params)])
catalog_router = APIRouter()


def get_release(request: Request, release: str | None) -> Release:
    """The release asked for; an unknown one is a 404 that says where releases are listed."""
    try:
        found: Release = request.app.state.pool.get(release)
    except StoreError as exc:
        if release in (None, "", "current"):
            raise
        raise NotFound(
            f"There is no release {release[:64]!r} in this store: use a release id listed at {PREFIX}/releases, "
            "a unique prefix of one, 'current' or 'previous'.",
            [("Releases", f"{PREFIX}/releases")],
        ) from exc
    if release not in (None, "", "current"):
        if len(RESOLVED) > 1000:
            RESOLVED.clear()
        RESOLVED[(request.app.state.pool.current_id(), str(release))] = found.id
    return found


# what a ?release= value meant while a given release was current ('previous' moves when one is published)
RESOLVED: dict[tuple[str, str], str] = {}
