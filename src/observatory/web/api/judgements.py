"""Methods and judgements (comparisons and trends) with their reasons."""

from __future__ import annotations

from typing import Annotated

import duckdb
from fastapi import Query, Request
from fastapi.responses import Response

from observatory.web.api.models import JudgementList, MethodList
from observatory.web.api.params import GVA, SOUTHEND, Limit, Offset, ReleaseParam, get_release, router
from observatory.web.api.serving import Rendered, _link_header, as_json, page_links, serve


@router.get("/methods", response_model=MethodList, summary="Every statistical method behind a judgement, explained")
async def methods(request: Request, release: ReleaseParam = None) -> Response:
    rel = get_release(request, release)

    def build(cur: duckdb.DuckDBPyConnection) -> Rendered:
        found = [
            {"method": m, "title": t, "description": d, "url": f"/methodology#{m}"}
            for m, t, d in cur.execute("SELECT method, title, description FROM methods ORDER BY method").fetchall()
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
        params = {"i": indicator, "a": area, "latest": latest}
        # "latest": the latest period that was judged, i.e. the latest with a value (as the area page shows it,
        # labelled), not a later period whose value is missing or suppressed
        latest_filter = (
            "AND (NOT $latest OR period = (SELECT max_by(o.period, o.period_start) FROM observations o "
            "WHERE o.indicator = c.indicator AND o.area_code = c.area_code AND o.period IN "
            "(SELECT c2.period FROM comparisons c2 WHERE c2.indicator = c.indicator AND c2.area_code = c.area_code)))"
        )
        comparisons = cur.execute(
            f"""SELECT indicator, area_code, period, period_label, benchmark_code, method, outcome, judgement, reason,
                       sentence FROM comparisons c
                WHERE ($i IS NULL OR indicator = $i) AND ($a IS NULL OR area_code = $a) {latest_filter}
                ORDER BY indicator, area_code, period, benchmark_code""",  # noqa: S608 (constant fragment)
            params,
        ).fetchall()
        trends = cur.execute(
            """SELECT indicator, area_code, period, period_label, method, outcome, judgement, reason, sentence
               FROM trends WHERE ($i IS NULL OR indicator = $i) AND ($a IS NULL OR area_code = $a)
                 AND (NOT $latest OR latest) ORDER BY indicator, area_code, period""",
            params,
        ).fetchall()
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
