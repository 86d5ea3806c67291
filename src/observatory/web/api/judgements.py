"""Methods and judgements (comparisons and trends) with their reasons."""

from __future__ import annotations

from typing import Annotated

import duckdb
from fastapi import Query, Request
from fastapi.responses import Response

from observatory.release import read
from observatory.web.api.models import JudgementList, MethodList
from observatory.web.api.params import GVA, SOUTHEND, Limit, Offset, ReleaseParam, get_release, router
from observatory.web.api.serving import Rendered, _link_header, as_json, page_links, serve


@router.get("/methods", response_model=MethodList, summary="Every statistical method behind a judgement, explained")
async def methods(request: Request, release: ReleaseParam = None) -> Response:
    rel = get_release(request, release)

    def build(cur: duckdb.DuckDBPyConnection) -> Rendered:
        found = [
            {"method": m, "title": t, "description": d, "url": f"/methodology#{m}"}
            for m, t, d in ((r.method, r.title, r.description) for r in read.methods(cur))
        ]
        return as_json({"count": len(found), "methods": found}, rel)

    return await serve(request, rel, release, "json", build)


@router.get(
    "/judgements",
    response_model=JudgementList,
    summary="Comparisons with benchmarks and trend assessments, each with its method and plain-English reason",
)
async def judgements(
    request: Request,
    indicator: Annotated[str | None, Query(max_length=120, pattern=r"^[a-z0-9-]+$", description="Indicator slug",
                                           examples=[GVA])] = None,
    area: Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z0-9-]+$", description="Area code",
                                      examples=[SOUTHEND])] = None,
    latest: Annotated[bool, Query(description="Only each series' latest period (default true)")] = True,
    limit: Limit = 1000,
    offset: Offset = 0,
    release: ReleaseParam = None,
) -> Response:  # fmt: skip
    rel = get_release(request, release)

    def build(cur: duckdb.DuckDBPyConnection) -> Rendered:
        comparisons = [
            (
                c.indicator,
                c.area_code,
                c.period,
                c.period_label,
                c.benchmark_code,
                c.method,
                c.outcome,
                c.judgement,
                c.reason,
                c.sentence,
            )
            for c in read.latest_judged_comparisons(cur, indicator=indicator, area=area, latest=latest)
        ]
        trends = [
            (t.indicator, t.area_code, t.period, t.period_label, t.method, t.outcome, t.judgement, t.reason,
             t.sentence)
            for t in read.trends(cur, indicators=None if indicator is None else [indicator],
                                 areas=None if area is None else [area])
            if t.latest or not latest
        ]  # fmt: skip
        found = [
            {"indicator": r[0], "area_code": r[1], "period": r[2], "period_label": r[3], "kind": "comparison",
             "benchmark_code": r[4], "method": r[5], "outcome": r[6], "judgement": r[7], "reason": r[8],
             "sentence": r[9], "method_url": f"/methodology#{r[5]}"}
            for r in comparisons
        ] + [
            {"indicator": r[0], "area_code": r[1], "period": r[2], "period_label": r[3], "kind": "trend",
             "benchmark_code": None, "method": r[4], "outcome": r[5], "judgement": r[6], "reason": r[7],
             "sentence": r[8], "method_url": f"/methodology#{r[4]}"}
            for r in trends
        ]  # fmt: skip
        following, previous = page_links(request, offset, limit, len(found))
        body = {"count": len(found), "limit": limit, "offset": offset, "next": following,
                "judgements": found[offset : offset + limit]}  # fmt: skip
        rendered = as_json(body, rel)
        rendered.headers.update(_link_header(following, previous))
        return rendered

    return await serve(request, rel, release, "json", build)
