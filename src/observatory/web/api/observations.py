"""Observations: JSON (paged), CSV (streamed), JSON-stat and XLSX."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any, Literal

import duckdb
from fastapi import Query, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from observatory import format as nf
from observatory.release import read, schema
from observatory.release.read import EXPORT_COLUMNS
from observatory.web.api.models import JsonStatDataset, ObservationPage
from observatory.web.api.params import (
    GVA,
    MAX_TABLE_ROWS,
    PREFIX,
    SOUTHEND,
    Limit,
    Offset,
    ReleaseParam,
    get_release,
    router,
)
from observatory.web.api.serving import (
    Rendered,
    _link_header,
    _pinned,
    _url,
    as_json,
    base_headers,
    not_modified,
    page_links,
    serve,
)
from observatory.web.data import api_data as data
from observatory.web.errors import BadRequest
from observatory.web.formats import (
    CSV_MEDIA_TYPE,
    EXPORT_SCHEMA,
    XLSX_MEDIA_TYPE,
    csv_lines,
    dumps,
    jsonstat_dataset,
    xlsx_bytes,
)
from observatory.web.releases import Release
from observatory.web.render import wants_bom

# Exactly what api_data.split_list + check_indicators / check_areas accept (comma-separated, blanks ignored);
# 6,000 characters hold at most 3,000 items (api_data.MAX_CODES), so a request valid by the description is
# never refused as too long.
SLUG_LIST = r"^[\s,]*([a-z0-9]+(-[a-z0-9]+)*(\s*,[\s,]*[a-z0-9]+(-[a-z0-9]+)*)*)?[\s,]*$"
CODE_LIST = r"^[\s,]*([A-Za-z0-9-]{2,40}(\s*,[\s,]*[A-Za-z0-9-]{2,40})*)?[\s,]*$"


@router.get(
    "/observations",
    response_model=ObservationPage | JsonStatDataset,
    summary="Observations, filtered; JSON (paged), CSV (streamed), JSON-stat 2.0 or XLSX",
    description=(
        "Filters combine with AND; `indicator`, `area` and `area_type` take comma-separated lists. JSON is paged "
        "(`limit`, `offset`, `next`); CSV streams every matching row in the columns of `observatory export`; "
        f"JSON-stat and XLSX carry at most {MAX_TABLE_ROWS:,} rows (use CSV or the bulk files for more)."
    ),
    responses={
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
            }
        }
    },
)
async def observations(
    request: Request,
    indicator: Annotated[str | None, Query(max_length=6000, pattern=SLUG_LIST,
                                           description="Indicator slug(s), comma-separated",
                                           examples=[GVA])] = None,
    area: Annotated[str | None, Query(max_length=6000, pattern=CODE_LIST,
                                      description="Area code(s), comma-separated",
                                      examples=[SOUTHEND])] = None,
    area_type: Annotated[str | None, Query(max_length=200, description="Area type(s), comma-separated, e.g. ltla",
                                           examples=["ltla"])] = None,
    from_: Annotated[str | None, Query(alias="from", max_length=10, description="Periods starting on or after: a "
                                       "year (2015), month (2015-04) or date (2015-04-01)", examples=["2015"])] = None,
    to: Annotated[str | None, Query(max_length=10, description="Periods starting on or before: a year (2022), month "
                                    "or date", examples=["2022"])] = None,
    latest: Annotated[bool, Query(description="Only each series' (indicator × area) latest period")] = False,
    format: Annotated[Literal["json", "csv", "jsonstat", "xlsx"], Query(description="json (paged), csv (streamed), "
                                                                        "jsonstat (JSON-stat 2.0) or xlsx")] = "json",
    bom: Annotated[bool, Query(description="format=csv only: start with a UTF-8 byte-order mark, for Excel")] = False,
    limit: Limit = 1000,
    offset: Offset = 0,
    release: ReleaseParam = None,
) -> Response:  # fmt: skip
    rel = get_release(request, release)
    qp = request.query_params

    def parse(cur: duckdb.DuckDBPyConnection) -> data.ObservationQuery:
        inds = data.split_list(qp.getlist("indicator")) if indicator is not None else []
        codes = data.split_list(qp.getlist("area")) if area is not None else []
        types = data.split_list(qp.getlist("area_type")) if area_type is not None else []
        for name, given in (("from", from_), ("to", to)):
            if given is not None and not given.strip():
                raise BadRequest(name, "empty", "a year (2020), a month (2020-04) or a date (2020-04-01)")
        start = data.parse_when(from_, "from", end=False)
        end = data.parse_when(to, "to", end=True)
        # from after to is a valid request (by the API's description) that no observation matches
        known = data.facts(cur, rel.id)
        return data.ObservationQuery(
            indicators=data.check_indicators(cur, inds, known_facts=known) if inds else None,
            areas=data.check_areas(cur, codes, known_facts=known) if codes else None,
            area_types=data.check_area_types(cur, types, known_facts=known) if types else None,
            start=start,
            end=end,
            latest=latest,
            latest_table=True,  # every release carries latest_observations (release.schema)
        )

    if format == "csv":
        return await _observations_csv(request, rel, release, parse)

    def build(cur: duckdb.DuckDBPyConnection) -> Rendered:
        query = parse(cur)
        if format == "json":
            count, found = data.observation_page(cur, query, limit, offset)
            following, previous = page_links(request, offset, limit, count)
            body = {"count": count, "limit": limit, "offset": offset, "next": following, "previous": previous,
                    "observations": found}  # fmt: skip
            rendered = as_json(body, rel)
            rendered.headers.update(_link_header(following, previous))
            return rendered
        count = data.observation_count(cur, query)
        if count > MAX_TABLE_ROWS:
            raise BadRequest(
                "format",
                f"{count:,} observations match: too many for {format}",
                f"at most {MAX_TABLE_ROWS:,} rows; narrow the query (indicator=, area=, from=, to=, latest=true) "
                f"or use format=csv or {PREFIX}/releases/{rel.id}/observations.csv.gz",
            )
        found = data.observation_rows(cur, query)
        slugs = sorted({str(r["indicator"]) for r in found})
        meta = {i.slug: schema.INDICATORS.as_dict(i) for i in read.indicators(cur, slugs)}
        sources = sorted({nf.organisations(m["source_org"]) for m in meta.values() if m["source_org"]}) or [
            "not stated"
        ]
        label = meta[slugs[0]]["label"] if len(slugs) == 1 else "Observations"
        if format == "jsonstat":
            dataset = jsonstat_dataset(
                found, indicators=meta, label=str(label), release=rel.id, updated=rel.created.replace(" ", "T"),
                source="; ".join(sources), href=_url(request),
            )  # fmt: skip
            return Rendered(dumps(dataset), "application/json")
        return _xlsx(request, rel, found, meta, str(label), sources)

    return await serve(request, rel, release, format, build)


def _xlsx(
    request: Request, rel: Release, found: list[dict[str, Any]], meta: dict[str, dict[str, Any]], label: str,
    sources: list[str],
) -> Rendered:  # fmt: skip
    notes: list[tuple[str, str]] = [
        ("Title", label),
        ("Query", f"{request.url.path}?{request.url.query}"),
        ("Source", "; ".join(sources)),
        ("Licence", "Open Government Licence v3.0: https://www.nationalarchives.gov.uk/doc/open-government-licence/"
                    "version/3/ — Source: Office for National Statistics and the producers named below."),
        ("Release", rel.id),
        ("Release created", f"{rel.created} UTC"),
        ("Rows", str(len(found))),
        ("Published by", request.app.title),
    ]  # fmt: skip
    for slug, m in meta.items():
        unit = m["unit"] or ""
        source = nf.organisations(m["source_org"]) + (f" ({m['source_url']})" if m["source_url"] else "")
        published = f", published {m['source_date']}" if m["source_date"] else ""
        notes.append((slug, f"{m['label']} — unit: {unit or 'not stated'}; source: {source}{published}"))
    notes.extend((name, text) for name, _t, text in EXPORT_SCHEMA if name in data.OBSERVATION_FIELDS)
    notes.append(("period_label", "The period as the publisher labels it (e.g. 2023/24)"))
    fields = data.OBSERVATION_FIELDS
    body = xlsx_bytes(fields, ([r[f] for f in fields] for r in found), notes, sheet="data")
    name = f"{next(iter(meta))}.xlsx" if len(meta) == 1 else "observations.xlsx"
    return Rendered(body, XLSX_MEDIA_TYPE, {"Content-Disposition": f'attachment; filename="{name}"'})


async def _observations_csv(
    request: Request,
    rel: Release,
    asked: str | None,
    parse: Callable[[duckdb.DuckDBPyConnection], data.ObservationQuery],
) -> Response:
    """Validate on one cursor, then stream rows from it in batches as the client reads them."""
    headers = base_headers(request, rel, "csv", _pinned(rel, asked))
    if not_modified(request, headers["ETag"]):
        return Response(status_code=304, headers=headers)
    cur = rel.cursor()
    try:
        query = await run_in_threadpool(parse, cur)
    except BaseException:
        cur.close()
        raise
    headers["Content-Disposition"] = 'attachment; filename="observations.csv"'
    headers["Link"] = (
        f'<{PREFIX}/releases/{rel.id}/observations.csv-metadata.json>; rel="describedby"; type="application/csvm+json"'
    )
    rows_ = data.observation_stream(cur, query, rel.id)
    chunks: Iterator[bytes] = csv_lines(EXPORT_COLUMNS, rows_, bom=wants_bom(request))
    return StreamingResponse(chunks, media_type=CSV_MEDIA_TYPE, headers=headers)
