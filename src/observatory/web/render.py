"""One data dict, many renderers: HTML (Jinja2, autoescaped), JSON and CSV from the same function.

Every response names the release that served it and is cacheable until the next release
(ETag = release id + URL; 304 on If-None-Match).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from observatory import format as nf
from observatory.web import httpcache
from observatory.web.data.common import jsonable
from observatory.web.errors import BadRequest
from observatory.web.formats import CSV_MEDIA_TYPE, table_csv
from observatory.web.httpcache import CACHE_CONTROL
from observatory.web.releases import Release
from observatory.web.security import safe_link

TEMPLATES = Path(__file__).parent / "templates"
FORMATS = ("html", "json", "csv")


_MD_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+)\)")


def prose(text: str | None) -> Markup:
    """Publisher prose for HTML: escaped, Markdown links ``[text](https://…)`` as real links, paragraphs kept.

    Only http(s) targets become links; anything else stays escaped text.
    """
    if not text:
        return Markup("")
    out = []
    for para in re.split(r"\n\s*\n", text.strip()):
        escaped = str(escape(para))
        linked = _MD_LINK.sub(lambda m: f'<a href="{m[2]}">{m[1]}</a>', escaped)
        out.append(f"<p>{linked}</p>".replace("\n", "<br>"))
    return Markup("".join(out))  # noqa: S704 (every part escaped above)


def sources(org: str | None, url: str | None = None, default: str = "Office for National Statistics") -> Markup:
    """The publisher's pipe-separated source organisations (and URLs, paired in order) as readable text/links."""
    orgs = [o.strip() for o in (org or default).split("|") if o.strip()] or [default]
    urls = [u.strip() for u in (url or "").split("|")]
    parts = []
    for i, o in enumerate(orgs):
        u = urls[i] if i < len(urls) else ""
        ok = u.startswith(("https://", "http://")) and bool(safe_link(u))
        parts.append(f'<a href="{escape(u)}">{escape(o)}</a>' if ok else str(escape(o)))
    return Markup("; ".join(parts))  # noqa: S704 (every part escaped above)


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    env = templates.env
    env.autoescape = True
    env.trim_blocks = True
    env.lstrip_blocks = True
    env.filters["value"] = _value_filter
    env.filters["change"] = lambda v, ind: nf.change(v, nf.unit_of(ind))
    env.filters["number"] = lambda v, decimals=1, signed=False: nf.number(v, decimals, signed=signed)
    env.filters["link"] = safe_link  # every URL that comes from data goes through it before an href
    env.filters["prose"] = prose
    env.filters["sources"] = sources
    env.filters["organisations"] = nf.organisations
    env.filters["thousands"] = lambda n: nf.number(n, 0) if nf.is_number(n) else n
    env.filters["datefmt"] = _datefmt
    return templates


def _value_filter(value: float | None, ind: dict[str, Any], *, with_unit: bool = True, signed: bool = False) -> str:
    """``{{ x | value(ind) }}``: a value in its indicator's unit (``with_unit=False``: the number alone)."""
    unit = nf.unit_of(ind)
    if not with_unit:
        return nf.number(value, unit.decimals, signed=signed)
    return nf.value(value, unit, signed=signed)


def _datefmt(d: Any) -> str:
    """A date (or an ISO date-time string such as a release's ``created``) as "30 November 2026"."""
    if isinstance(d, str):
        try:
            d = date.fromisoformat(d[:10])
        except ValueError:
            return str(d)
    return str(d.strftime("%-d %B %Y")) if hasattr(d, "strftime") else str(d or "")


def split_format(name: str) -> tuple[str, str]:
    """``gva.json`` -> (``gva``, ``json``); slugs and area codes never contain a dot."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        return name, "html"
    if ext not in FORMATS:
        raise BadRequest("format", f"unknown format .{ext[:10]}", "add .json or .csv to the page address, or none")
    return stem, ext


def etag(release: Release, request: Request, fmt: str, version: str = "") -> str:
    """The response's ETag (``observatory.web.httpcache.etag`` of release, format and URL), plus ``version``
    for pages that also depend on something outside the release (the action tracker: recorded progress and
    today's date)."""
    return httpcache.etag(release.id, fmt, request.url.path, request.url.query, version, exact=True)


def not_modified(request: Request, tag: str) -> bool:
    """``If-None-Match`` names this tag (weak comparison, lists, ``*``)."""
    return httpcache.matches(request.headers.get("if-none-match"), tag)


def wants_bom(request: Request) -> bool:
    """``?bom=1``: the CSV is for a spreadsheet, so it starts with a UTF-8 byte-order mark (Excel then reads
    "£" correctly). Without it CSV has no BOM, as programs expect."""
    return request.query_params.get("bom", "").lower() in ("1", "true", "yes")


def csv_text(table: Iterable[dict[str, Any]], columns: Iterable[str] = (), *, bom: bool = False) -> bytes:
    """A page's table as CSV through the one formula-safe writer; ``columns`` head an empty table."""
    rows = [jsonable(row) for row in table]
    return table_csv(rows, list(columns), bom=bom)


def respond(
    request: Request,
    templates: Jinja2Templates,
    release: Release,
    fmt: str,
    template: str,
    data: dict[str, Any] | Callable[[], dict[str, Any]],
    *,
    filename: str = "data",
    extra: dict[str, Any] | None = None,
    version: str = "",
) -> Response:
    tag = etag(release, request, fmt, version)
    headers = {"ETag": tag, "Cache-Control": CACHE_CONTROL, "X-Observatory-Release": release.id}
    if not_modified(request, tag):
        return Response(status_code=304, headers=headers)
    payload = data() if callable(data) else data
    if fmt == "json":
        body = json.dumps({**jsonable(payload), "release": release.id}, ensure_ascii=False, separators=(",", ":"))
        return Response(body, media_type="application/json", headers=headers)
    if fmt == "csv":
        table = payload.get("table")
        if table is None:
            raise BadRequest("format", "this page has no table to download", "json or html")
        headers["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        csv_body = csv_text(table, payload.get("table_columns") or (), bom=wants_bom(request))
        return Response(csv_body, media_type=CSV_MEDIA_TYPE, headers=headers)
    context = {"data": payload, "release": release, "request": request, **(extra or {})}
    response = templates.TemplateResponse(request, template, context, headers=headers)
    assert isinstance(response, HTMLResponse)
    return response
