"""The OpenAPI document and documentation pages that work offline."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from observatory.web.api.params import GVA, PREFIX, SOUTHEND, router
from observatory.web.errors import BadRequest
from observatory.web.formats import dumps
from observatory.web.httpcache import CACHE_CONTROL

WHEN_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {
            "type": "string",
            "pattern": "^([1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])(-(0[1-9]|1[0-2]))?$",
            "description": "a year or a month",
        },
        {"type": "string", "format": "date", "description": "a date"},
    ]
}


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """OpenAPI 3.1 for /api/v1 only, with problem responses as ``application/problem+json``."""
    cached: dict[str, Any] | None = getattr(app.state, "api_openapi", None)
    if cached is not None:
        return cached
    doc = get_openapi(
        title=f"{app.title} API",
        version="1",
        openapi_version="3.1.0",
        summary="Open statistics for South Essex: indicators, areas, observations and releases.",
        description=(
            "Every data operation takes `release=` to pin a past release; every response names the release "
            "that served it (`release` in JSON, header `X-Observatory-Release`) and carries an ETag (send "
            "`If-None-Match` for a 304). Errors are RFC 9457 problem details. Unknown parameters are refused. "
            "Data: Office for National Statistics and other producers, Open Government Licence v3.0."
        ),
        routes=router.routes,
    )
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for item in doc.get("paths", {}).values():
        for op in item.values():
            for param in op.get("parameters", []):
                if param["name"] in ("from", "to") and param["in"] == "query":
                    param["schema"] = WHEN_SCHEMA  # exactly what parse_when accepts: a year, a month or a date
            responses = op.setdefault("responses", {})
            responses.pop("422", None)
            for code in ("400", "404"):
                responses[code] = {
                    "description": responses.get(code, {}).get("description", "Problem"),
                    "content": {"application/problem+json": {"schema": problem_ref}},
                }
            ok = responses.get("200")
            if ok is not None:
                ok["headers"] = {
                    "X-Observatory-Release": {
                        "description": "The release that served this",
                        "schema": {"type": "string"},
                    },
                    "ETag": {"description": "Tied to the release and the URL", "schema": {"type": "string"}},
                }
                content = ok.get("content", {})
                # a response class with its own media type: drop FastAPI's default JSON entry beside it
                if len(content) > 1 and content.get("application/json") == {"schema": {}}:
                    content.pop("application/json")
    doc["components"]["schemas"].pop("HTTPValidationError", None)
    doc["components"]["schemas"].pop("ValidationError", None)
    app.state.api_openapi = doc
    return doc


@router.get("/openapi.json", include_in_schema=False)
async def openapi_json(request: Request) -> Response:
    return Response(dumps(openapi_document(request.app)), media_type="application/json")


EXAMPLE_VALUES = {
    "slug": GVA,
    "code": SOUTHEND,
    "release_id": "current",
    "old": "previous",
    "new": "current",
    "indicator": GVA,
    "area": SOUTHEND,
}


def _example_url(path: str, params: list[dict[str, Any]]) -> str:
    url = path
    query: list[tuple[str, str]] = []
    for p in params:
        value = EXAMPLE_VALUES.get(p["name"]) or next(iter(p.get("schema", {}).get("examples", []) or []), None)
        if p["in"] == "path":
            url = url.replace("{" + p["name"] + "}", quote(str(value or "x"), safe=""))
        elif p["name"] in ("indicator", "area") and value:
            query.append((p["name"], str(value)))
    return url + (f"?{urlencode(query)}" if query else "")


def docs_html(doc: dict[str, Any]) -> str:
    """A page per the OpenAPI document: every operation, its parameters, an example call and a form to try it."""
    esc = html.escape
    parts = [
        "<!DOCTYPE html><html lang='en-GB'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{esc(doc['info']['title'])} – documentation</title>"
        "<link rel='stylesheet' href='/static/site.css'>"
        "</head><body class='api-docs'><main class='width' id='main'>",
        f"<p><a href='/'>Home</a></p><h1>{esc(doc['info']['title'])}</h1>"
        f"<p>{esc(doc['info'].get('description', ''))}</p>",
        "<p>Machine-readable description: <a href='/api/v1/openapi.json'>OpenAPI 3.1</a>. "
        "Catalogue: <a href='/catalog.jsonld'>DCAT (JSON-LD)</a>. Every example below is a link you can open.</p>",
        "<h2>Operations</h2><ul>",
    ]
    ops = [(path, method, op) for path, item in doc["paths"].items() for method, op in item.items()]
    for path, method, op in ops:
        parts.append(f"<li><a href='#{esc(op['operationId'])}'>{method.upper()} <code>{esc(path)}</code></a> — "
                     f"{esc(op.get('summary', ''))}</li>")  # fmt: skip
    parts.append("</ul>")
    for path, method, op in ops:
        params = op.get("parameters", [])
        example = _example_url(path, params)
        parts.append(
            f"<section class='op' id='{esc(op['operationId'])}'><h3>{method.upper()} <code>{esc(path)}</code></h3>"
            f"<p>{esc(op.get('summary', ''))}</p>"
        )
        if op.get("description"):
            parts.append(f"<p>{esc(op['description'])}</p>")
        parts.append(f"<p>Example: <a href='{esc(example)}'><code>{esc(example)}</code></a></p>")
        if params:
            parts.append("<table><caption class='visually-hidden'>Parameters</caption><thead><tr><th scope='col'>"
                         "Parameter</th><th scope='col'>In</th><th scope='col'>Type</th><th scope='col'>What it does"
                         "</th></tr></thead><tbody>")  # fmt: skip
            for p in params:
                schema = p.get("schema", {})
                kind = _type_text(schema)
                req = " (required)" if p.get("required") else ""
                desc = p.get("description") or schema.get("description") or ""
                parts.append(f"<tr><td><code>{esc(p['name'])}</code>{req}</td><td>{esc(p['in'])}</td>"
                             f"<td>{esc(kind)}</td><td>{esc(desc)}</td></tr>")  # fmt: skip
            parts.append("</tbody></table>")
            parts.append(f"<form class='try' method='get' action='{PREFIX}/docs/try'>"
                         f"<input type='hidden' name='_op' value='{esc(op['operationId'])}'>")  # fmt: skip
            for p in params:
                pid = f"{op['operationId']}-{p['name']}"
                value = (
                    EXAMPLE_VALUES.get(p["name"], "") if p["in"] == "path" or p["name"] in ("indicator", "area") else ""
                )
                parts.append(f"<label for='{esc(pid)}'>{esc(p['name'])}</label>")
                parts.append(_field(pid, p["name"], p.get("schema", {}), str(value)))
            parts.append("<button type='submit'>Try it</button></form>")
        codes = ", ".join(sorted(op.get("responses", {})))
        parts.append(f"<p>Responses: {esc(codes)}</p></section>")
    parts.append("</main></body></html>")
    return "".join(parts)


def _field(pid: str, name: str, schema: dict[str, Any], value: str) -> str:
    """A text box, or a choice list for enumerations and true/false (empty = leave the default)."""
    esc = html.escape
    choices = schema.get("enum") or (["true", "false"] if schema.get("type") == "boolean" else None)
    if choices:
        options = "".join(f"<option>{esc(str(c))}</option>" for c in choices)
        return f"<select id='{esc(pid)}' name='{esc(name)}'><option value=''>(default)</option>{options}</select>"
    return f"<input id='{esc(pid)}' name='{esc(name)}' value='{esc(value)}'>"


def _type_text(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    if "anyOf" in schema:
        return " or ".join(_type_text(s) for s in schema["anyOf"] if s.get("type") != "null")
    text = str(schema.get("type", "string"))
    bounds = [f"{k} {schema[k]}" for k in ("minimum", "maximum") if k in schema]
    return text + (f" ({', '.join(bounds)})" if bounds else "")


@router.get("/docs", include_in_schema=False, response_class=HTMLResponse)
async def docs(request: Request) -> Response:
    return HTMLResponse(docs_html(openapi_document(request.app)), headers={"Cache-Control": CACHE_CONTROL})


@router.get("/docs/try", include_in_schema=False)
async def docs_try(request: Request) -> Response:
    """The docs' forms land here: fill the operation's path from the form, keep the rest as its query."""
    doc = openapi_document(request.app)
    wanted = request.query_params.get("_op", "")
    for path, item in doc["paths"].items():
        for op in item.values():
            if op.get("operationId") != wanted:
                continue
            url = path
            query: list[tuple[str, str]] = []
            for p in op.get("parameters", []):
                value = request.query_params.get(p["name"], "").strip()
                if p["in"] == "path":
                    url = url.replace("{" + p["name"] + "}", quote(value or "-", safe=""))
                elif value:
                    query.append((p["name"], value))
            return RedirectResponse(url + (f"?{urlencode(query)}" if query else ""), status_code=303)
    raise BadRequest("_op", "unknown operation", f"an operation listed at {PREFIX}/docs")
