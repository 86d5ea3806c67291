"""Routes of the public site. Each page is also served at the same address + ``.json`` / ``.csv``."""

from __future__ import annotations

import datetime as dt
import gzip
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import duckdb
import shapely
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from observatory import format as nf
from observatory.officers.uploads import LONDON
from observatory.release import read
from observatory.strategy import load_action_plan
from observatory.web import charts, maps
from observatory.web.catalog import indicator_jsonld
from observatory.web.data.area_names import resolve_area_name
from observatory.web.data.areas import area_index, area_page
from observatory.web.data.changes import changes_page
from observatory.web.data.common import parse_codes
from observatory.web.data.compare import added_view, compare_page, parse_slugs
from observatory.web.data.glance import section_page
from observatory.web.data.home import home_page
from observatory.web.data.indicators import indicator_list, indicator_page
from observatory.web.data.neighbourhoods import map_title, neighbourhood_table
from observatory.web.data.places import MSOA, WARD, custom_page, place_page
from observatory.web.data.search import search_page
from observatory.web.data.static_pages import about_page, accessibility_page, methodology_page
from observatory.web.data.strategy import actions_page, strategy_page
from observatory.web.data.themes import theme_page
from observatory.web.errors import BadRequest
from observatory.web.httpcache import CACHE_CONTROL, GZIP_MIN, RESPONSES, Entry
from observatory.web.releases import Release
from observatory.web.render import etag, not_modified, respond, split_format

router = APIRouter(include_in_schema=False)
DataFn = Callable[[duckdb.DuckDBPyConnection], dict[str, Any]]
ExtraFn = Callable[[Release, dict[str, Any]], dict[str, Any]]


class PageCache:
    """Page data (and rendered extras such as SVG) per (release + config, key), least recently used dropped first.

    Releases are immutable, so a page's data computed once is right for as long as that release is served;
    only pages whose data is costly (area pages, the diff) are cached, each under a key naming its inputs.
    """

    def __init__(self, max_entries: int = 256) -> None:  # ~0.6 MB a page: ~150 MB at most
        self.max_entries = max_entries
        self._items: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, scope: str, key: str, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        with self._lock:
            found = self._items.get((scope, key))
            if found is not None:
                self._items.move_to_end((scope, key))
                return found
        value = compute()  # outside the lock: a rare double computation beats serialising every request
        with self._lock:
            self._items[(scope, key)] = value
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


CACHE = PageCache()


def clear_caches() -> None:
    """Forget every cached page (tests that serve different stores under the same release id need this)."""
    CACHE.clear()
    RESPONSES.clear()


SVG = charts.ChartCache()  # rendered charts and maps per release: SVG is the costly part of a page


def cache_scope(release: Release, config: Any) -> str:
    """What a cached page depends on: the release and the deployment's config (its hash, else the object)."""
    return f"{release.id}|{getattr(config, 'hash', '') or id(config)}"


def release_for(request: Request) -> Release:
    release: Release = request.app.state.pool.get(request.query_params.get("release"))
    return release


def page(
    request: Request,
    name: str,
    template: str,
    data: DataFn,
    filename: str,
    extra: ExtraFn | None = None,
    cache_key: str | None = None,
    version: str = "",
) -> Response:
    """Validate the format, pick the release, run the data function on a fresh cursor, render.

    With ``cache_key`` the data (and the HTML-only extras) are kept per release under that key.
    ``version`` names what else the page depends on besides the release (it is part of the ETag and of
    the cache keys).
    """
    _, fmt = split_format(name)
    release = release_for(request)
    scope = cache_scope(release, config_of(request)) + (f"|{version}" if version else "")
    key = ("page", scope, request.url.path, request.url.query)  # exact: page bodies repeat the query in links
    if cache_key is not None and not not_modified(request, etag(release, request, fmt, version)):
        hit = RESPONSES.get(key)
        if hit is not None:
            return _cached(request, hit)
    cur = release.cursor()
    try:
        if cache_key is None:
            payload = data(cur)
            more = extra(release, payload) if extra is not None and fmt == "html" else None
        else:
            payload = CACHE.get_or_compute(scope, cache_key, lambda: data(cur))
            more = None
            if extra is not None and fmt == "html":
                fn = extra
                more = CACHE.get_or_compute(scope, f"{cache_key}|extra", lambda: fn(release, payload))
        response = respond(request, request.app.state.templates, release, fmt, template, payload,
                           filename=filename, extra=more, version=version)  # fmt: skip
    finally:
        cur.close()
    if cache_key is not None and response.status_code == 200:
        body = bytes(response.body)
        headers = [(k, v) for k, v in response.raw_headers if k != b"content-length"]
        packed = gzip.compress(body, compresslevel=6, mtime=0) if len(body) >= GZIP_MIN else None
        RESPONSES.put(key, Entry(body, headers, response.headers["etag"].encode(), packed is not None, packed))
    return response


def _cached(request: Request, entry: Entry) -> Response:
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in entry.headers}
    if entry.gz is not None and "gzip" in request.headers.get("accept-encoding", ""):
        return Response(entry.gz, headers={**headers, "Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
    return Response(entry.body, headers=headers)  # the GZip middleware adds Vary to an identity response


def config_of(request: Request) -> Any:
    return request.app.state.config


def _joined(request: Request, many: str, one: str) -> str | None:
    """A list parameter given as ``many=a,b`` and/or repeated ``one=a&one=b`` (what an HTML form sends)."""
    parts = [request.query_params.get(many, ""), *request.query_params.getlist(one)]
    joined = ",".join(p.strip() for p in parts if p.strip())
    return joined or None


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    cfg = config_of(request)
    return page(request, "index", "home.html", lambda cur: home_page(cur, cfg), "south-essex-at-a-glance",
                cache_key="home")  # fmt: skip


@router.get("/index.{fmt}")
def home_data(request: Request, fmt: str) -> Response:
    cfg = config_of(request)
    return page(request, f"index.{fmt}", "home.html", lambda cur: home_page(cur, cfg), "south-essex-headlines",
                cache_key="home")  # fmt: skip


@router.get("/indicators")
@router.get("/indicators.{fmt}")
def indicators(request: Request, fmt: str = "html") -> Response:
    cfg = config_of(request)
    return page(request, f"indicators.{fmt}", "indicators.html", lambda cur: indicator_list(cur, cfg), "indicators",
                cache_key="indicator-list")  # fmt: skip


@router.get("/indicators/{name}")
def indicator(request: Request, name: str) -> Response:
    cfg = config_of(request)
    slug, _ = split_format(name)
    areas = ",".join([request.query_params.get("areas", ""), *request.query_params.getlist("area")]).strip(",")
    return page(request, name, "indicator.html", lambda cur: indicator_page(cur, cfg, slug, areas or None), slug,
                extra=lambda release, payload: {
                    **indicator_charts(release, payload, cfg),
                    "jsonld": indicator_jsonld(payload["indicator"], base=request.app.state.base_url,
                                               site=cfg.deployment.name, release_id=release.id,
                                               created=release.created),
                },
                cache_key=f"indicator:{slug}:{areas}")  # fmt: skip


@router.get("/areas")
@router.get("/areas.{fmt}")
def areas(request: Request, fmt: str = "html") -> Response:
    cfg = config_of(request)
    return page(request, f"areas.{fmt}", "areas.html", lambda cur: area_index(cur, cfg), "areas", cache_key="areas")


@router.get("/areas/custom")
@router.get("/areas/custom.{fmt}")
def custom_area(request: Request, fmt: str = "html") -> Response:
    """Your own area: wards and/or neighbourhoods chosen from a list (checkboxes, no script needed)."""
    wards, hoods = _joined(request, "wards", "ward"), _joined(request, "neighbourhoods", "neighbourhood")
    name = request.query_params.get("name")
    return page(request, f"custom.{fmt}", "place.html", lambda cur: custom_page(cur, wards, hoods, name),
                "custom-area", extra=place_maps, cache_key=f"custom:{wards}:{hoods}:{name}")  # fmt: skip


@router.get("/areas/{name}")
def area(request: Request, name: str) -> Response:
    cfg = config_of(request)
    code, fmt = split_format(name)
    if WARD.match(code) or MSOA.match(code):  # wards (May 2025) and named neighbourhoods (MSOA 2021)
        pc = request.query_params.get("postcode")
        wards, hoods = ([code], []) if WARD.match(code) else ([], [code])
        return page(request, name, "place.html", lambda cur: place_page(cur, wards, hoods, postcode=pc), code,
                    extra=place_maps, cache_key=f"place:{code}:{pc or ''}")  # fmt: skip
    if code != code.upper() and cfg.group(code) is None:  # a name (/areas/thurrock), not a code: redirect
        query = f"?{request.url.query}" if request.url.query else ""
        suffix = "" if fmt == "html" else f".{fmt}"
        return RedirectResponse(f"/areas/{by_name(request, code)}{suffix}{query}", status_code=308)
    domain = request.query_params.get("domain")
    return page(request, name, "area.html", lambda cur: area_page(cur, cfg, code, domain), code,
                extra=area_overview_maps, cache_key=f"area:{code}:{domain or ''}")  # fmt: skip


def by_name(request: Request, slug: str) -> str:
    """The code of the area named by ``slug`` in the requested release (see ``data/area_names.py``)."""
    cur = release_for(request).cursor()
    try:
        return resolve_area_name(cur, slug)
    finally:
        cur.close()


@router.get("/areas/{code}/neighbourhoods.{fmt}")
def area_neighbourhoods(request: Request, code: str, fmt: str) -> Response:
    """Every neighbourhood (LSOA) of an authority or group with its rank and decile: the map's full table."""
    cfg = config_of(request)
    if fmt not in ("csv", "json"):
        raise BadRequest("format", f"unknown format .{fmt[:10]}", "csv or json")
    domain = request.query_params.get("domain")
    return page(request, f"neighbourhoods.{fmt}", "area.html",
                lambda cur: neighbourhood_table(area_page(cur, cfg, code, domain)), f"{code}-neighbourhoods",
                cache_key=f"area-lsoas:{code}:{domain or ''}")  # fmt: skip


@router.get("/compare")
@router.get("/compare.{fmt}")
def compare(request: Request, fmt: str = "html") -> Response:
    cfg = config_of(request)
    codes, slugs = _joined(request, "areas", "area"), _joined(request, "indicators", "indicator")
    adding = {k: (request.query_params.get(k) or "").strip() for k in ("names", "neighbours_of", "group", "theme")}
    if any(adding.values()):
        return compare_additions(request, fmt, codes, slugs, adding)
    return page(request, f"compare.{fmt}", "compare.html", lambda cur: compare_page(cur, cfg, codes, slugs),
                "compare", cache_key=f"compare:{codes}:{slugs}")  # fmt: skip


def compare_additions(request: Request, fmt: str, codes: str | None, slugs: str | None,
                      adding: dict[str, str]) -> Response:  # fmt: skip
    """Areas added by name, neighbours or group and indicators by theme: redirect (303) to the shareable view
    (``/compare?areas=…&indicators=…``); a name that matches no area shows the page with suggestions instead."""
    cfg = config_of(request)
    cur = release_for(request).cursor()
    try:
        base_codes = parse_codes(codes, cur) or []
        base_slugs = parse_slugs(slugs, cur) or []
        new_codes, new_slugs, problems = added_view(cur, cfg, base_codes, base_slugs, names=adding["names"],
                                                    neighbours_of=adding["neighbours_of"], group=adding["group"],
                                                    theme=adding["theme"])  # fmt: skip
    finally:
        cur.close()
    query = {"areas": ",".join(new_codes), "indicators": ",".join(new_slugs),
             "release": request.query_params.get("release", "")}  # fmt: skip
    shown = urlencode({k: v for k, v in query.items() if v}, safe=",")
    if not problems:
        return RedirectResponse(f"/compare{'' if fmt == 'html' else '.' + fmt}{'?' + shown if shown else ''}",
                                status_code=303)  # fmt: skip
    joined_codes, joined_slugs = query["areas"] or None, query["indicators"] or None
    return page(request, f"compare.{fmt}", "compare.html",
                lambda cur: {**compare_page(cur, cfg, joined_codes, joined_slugs), "problems": problems,
                             "typed": adding["names"]}, "compare")  # fmt: skip


@router.get("/themes")
def themes() -> Response:
    """The themes are listed, with their indicators, on /indicators."""
    return RedirectResponse("/indicators", status_code=308)


@router.get("/themes/{name}")
def theme(request: Request, name: str) -> Response:
    cfg = config_of(request)
    slug, _ = split_format(name)
    return page(request, name, "theme.html", lambda cur: theme_page(cur, cfg, slug), slug, cache_key=f"theme:{slug}")


@router.get("/search")
@router.get("/search.{fmt}")
def search(request: Request, fmt: str = "html") -> Response:
    """Places and postcodes first (the first result is the place meant), then indicators and areas."""
    q = request.query_params.get("q")
    return page(request, f"search.{fmt}", "search.html", lambda cur: search_page(cur, q), "search")


@router.get("/changes")
@router.get("/changes.{fmt}")
def changes(request: Request, fmt: str = "html") -> Response:
    cfg = config_of(request)
    store = request.app.state.pool.store
    listed = f"{store.current_id()}:{','.join(store.release_ids())}"  # a new release changes the list
    return page(request, f"changes.{fmt}", "changes.html", lambda cur: changes_page(cur, store, cfg), "changes",
                cache_key=f"changes:{listed}")  # fmt: skip


@router.get("/about")
@router.get("/about.{fmt}")
def about(request: Request, fmt: str = "html") -> Response:
    cfg = config_of(request)
    return page(request, f"about.{fmt}", "about.html", lambda cur: about_page(cur, cfg), "about", cache_key="about")


@router.get("/methodology")
@router.get("/methodology.{fmt}")
def methodology(request: Request, fmt: str = "html") -> Response:
    return page(request, f"methodology.{fmt}", "methodology.html", methodology_page, "methodology")


@router.get("/accessibility")
@router.get("/accessibility.{fmt}")
def accessibility(request: Request, fmt: str = "html") -> Response:
    cfg = config_of(request)
    return page(request, f"accessibility.{fmt}", "accessibility.html", lambda cur: accessibility_page(cfg),
                "accessibility")  # fmt: skip


# ----------------------------------------------------------------------------------------------------------------
# Charts and maps: server-rendered SVG for the HTML only (the .json/.csv carry the same numbers as data)


def chart_series(payload: dict[str, Any]) -> tuple[list[charts.Series], str | None, int]:
    """The indicator page's series as chart input, on the page's most common period length only (mixing one-
    and three-year figures on one line would mislead): (series, that duration, how many durations there are)."""
    durations: dict[str | None, int] = {}
    for s in payload["series"]:
        for p in s["points"]:
            durations[p["period_duration"]] = durations.get(p["period_duration"], 0) + 1
    main = max(durations, key=lambda d: durations[d]) if durations else None
    series = [
        charts.Series(s["code"], s["name"], [
            charts.Point(p["period_start"], p["period_label"], p["value"], p["lci_95"], p["uci_95"])
            for p in s["points"] if p["period_duration"] == main
        ])
        for s in payload["series"]
    ]  # fmt: skip
    return series, main, len(durations)


def chart_spec(payload: dict[str, Any], config: Any, *, narrow: bool = False) -> dict[str, Any]:
    """The Vega-Lite spec of the indicator page's line chart (the page, the downloads and the embed share it).

    Each South Essex authority keeps its colour (its place in ``areas_of_interest``), each comparator its grey.
    """
    ind = payload["indicator"]
    series, _, _ = chart_series(payload)
    return charts.line_chart_spec(
        series, y_title=ind.get("unit_label") or "", unit=nf.unit_of(ind),
        highlight=list(config.areas_of_interest), comparators=payload["comparators"],
        width=300 if narrow else 600, height=260 if narrow else 300, narrow=narrow,
    )  # fmt: skip


def chart_missing(payload: dict[str, Any]) -> list[str]:
    """The names of the chosen areas with no value for the indicator (said beside the chart, never drawn)."""
    series, _, _ = chart_series(payload)
    return [s.name for s in series if not any(p.value is not None for p in s.points)]


def indicator_charts(release: Release, payload: dict[str, Any], config: Any) -> dict[str, Any]:
    """The line chart of the chosen areas (wide, and narrow for phones) and the map of every current authority,
    cached per release; the areas chosen that have no data for the indicator are named (``chart_missing``)."""
    ind = payload["indicator"]
    series, main, n_durations = chart_series(payload)
    chosen = ",".join(payload["selected"])
    scope = cache_scope(release, config)

    def line(narrow: bool) -> str:
        return charts.line_chart(
            series, title=f"{ind['label']} over time", y_title=ind.get("unit_label") or "", unit=nf.unit_of(ind),
            highlight=list(config.areas_of_interest),
            comparators=payload["comparators"], chart_id="chart-over-time-narrow" if narrow else "chart-over-time",
            width=300 if narrow else 600, height=260 if narrow else 300, narrow=narrow,
        )  # fmt: skip

    chart = SVG.get_or_render(scope, f"line:{ind['slug']}:{chosen}", lambda: line(False))
    narrow = SVG.get_or_render(scope, f"line-narrow:{ind['slug']}:{chosen}", lambda: line(True))
    grid = {f"{s['code']}|{p['period']}": p for s in payload["series"] for p in s["points"]}  # table lookup
    missing = chart_missing(payload)
    shown = {"chart_svg": chart, "chart_narrow_svg": narrow, "grid": grid, "chart_missing": missing,
             "chart_duration": main if n_durations > 1 else None}  # fmt: skip
    latest = payload.get("latest")
    if not latest:
        return {**shown, "map_svg": None}
    drawn = SVG.get_or_render(scope, f"map:{ind['slug']}", lambda: indicator_map(release, payload, config))
    return {**shown, "map_svg": drawn}


def map_features(release: Release, slug: str, period: str) -> list[maps.MapArea]:
    """Every current local authority with its boundary and its value for ``period`` (None where missing)."""
    cur = release.cursor()
    try:
        return [
            maps.MapArea(f.code, f.name, f.geojson, f.value, f.period_label)
            for f in read.mapped_areas(cur, slug, period)
        ]
    finally:
        cur.close()


def map_breaks(release: Release, slug: str, period: str) -> list[float]:
    """The build's class breaks of the indicator's map at ``period`` (``map_classes``; empty: no classes)."""
    cur = release.cursor()
    try:
        found = read.map_classes(cur, slug, period)
    finally:
        cur.close()
    return [found[0].lower, *(c.upper for c in found)] if found else []


def indicator_map_title(payload: dict[str, Any]) -> str:
    return f"{payload['indicator']['label']} by local authority, {payload['latest']['period_label']}"


def indicator_map(release: Release, payload: dict[str, Any], config: Any) -> str:
    """The choropleth of the latest period's values, South Essex outlined and in an inset."""
    ind, latest = payload["indicator"], payload["latest"]
    ours = list(config.areas_of_interest)
    return maps.choropleth(
        map_features(release, ind["slug"], latest["period"]), breaks=map_breaks(release, ind["slug"], latest["period"]),
        title=indicator_map_title(payload), legend_title=ind.get("unit_label") or ind["label"], unit=nf.unit_of(ind),
        outline=ours, inset=ours, chart_id="map-by-area",
    )  # fmt: skip


LOCATOR_PARENTS = ("rgn", "ctry", "uk")  # siblings are drawn within the nearest of these parents
LOCATOR_MAX = 450
PLURALS = {
    "ltla": "local authorities",
    "utla": "counties",
    "rgn": "regions",
    "ctry": "nations",
    "cauth": "combined authorities",
    "itl1": "ITL1 regions",
    "itl2": "ITL2 areas",
    "itl3": "ITL3 areas",
}


def locator_map(release: Release, payload: dict[str, Any]) -> tuple[str, str] | None:
    """The area among its siblings (same type, same region or nation), or None when there is nothing to draw."""
    a = payload["area"]
    parent = next((p for rel in LOCATOR_PARENTS for p in payload["parents"] if p["relation"] == rel), None)
    if parent is None or a.get("valid_to") is not None:
        return None
    cur = release.cursor()
    try:
        found = [
            (s.code, s.name, s.geojson)
            for s in read.sibling_shapes(cur, relation=parent["relation"], parent=parent["code"], type=a["type"])
        ]
    finally:
        cur.close()
    if not any(code == a["code"] for code, _, _ in found) or len(found) > LOCATOR_MAX:
        return None
    features = [maps.MapArea(code, name, geojson, None) for code, name, geojson in found]
    kind = PLURALS.get(a["type"], "areas of the same kind")
    title = f"Map: where {a['name']} is in {parent['name']}"
    caption = f"{a['name']} (dark) among the other {kind} of {parent['name']} (light)."
    return maps.area_map(features, code=a["code"], title=title, chart_id="locator"), caption


def _lsoa_shapes(release: Release, authorities: list[str]) -> dict[str, tuple[str, str]]:
    """Code -> (name, GeoJSON) of the LSOAs (with a boundary) of some authorities."""
    cur = release.cursor()
    try:
        return {s.code: (s.name, s.geojson) for s in read.shapes_within(cur, "lsoa", authorities)}
    finally:
        cur.close()


DECILE_LABELS = ("1: most deprived 10%", *(str(d) for d in range(2, 10)), "10: least deprived 10%")


TOWN_LABELS = 10  # at most this many town names on a neighbourhood map, largest first


def town_labels(release: Release, authorities: list[str]) -> list[tuple[str, float, float]]:
    """(name, longitude, latitude) of the main towns of some authorities: the named places with the most 2021
    LSOAs (about 1,500 residents each), placed inside their largest ward or neighbourhood."""
    cur = release.cursor()
    try:
        found = [(t.name, t.lsoas, t.geojsons) for t in read.towns(cur, authorities)][:TOWN_LABELS]
    finally:
        cur.close()
    towns = []
    for name, _n, shapes in found:
        parts = [shapely.make_valid(shapely.from_geojson(g)) for g in shapes]
        point = max(parts, key=lambda g: g.area).representative_point()  # inside the town's largest part
        towns.append((name, point.x, point.y))
    return towns


def neighbourhood_map(release: Release, payload: dict[str, Any]) -> str | None:
    """The area's LSOAs coloured by decile on the chosen domain (fixed classes, not quantiles)."""
    hood = payload.get("neighbourhoods")
    if not hood:
        return None
    a = payload["area"]
    authorities = sorted({r["authority_code"] for r in hood["lsoas"]})
    shapes = _lsoa_shapes(release, authorities)
    if not shapes:
        return None
    by_code = {r["code"]: r for r in hood["lsoas"]}
    features = [maps.MapArea(code, name, geojson, (by_code.get(code) or {}).get("decile"))
                for code, (name, geojson) in shapes.items()]  # fmt: skip
    titles = {r["code"]: map_title(r, hood["domain"]) for r in hood["lsoas"]}
    counts = ", ".join(f"decile {d}: {n}" for d, n in enumerate(hood["deciles"], start=1))
    description = (
        f"Map of the {len(features)} neighbourhoods (LSOA 2011) of {a['name']}, coloured by "
        f"{hood['domain_label']} decile from 1 (most deprived 10% in England, red) to 10 (least deprived, blue). "
        f"Neighbourhoods per decile: {counts}. "
        + ("The table below gives each one." if hood["inline_table"] else "The CSV download gives each one.")
    )
    return maps.class_map(
        features, titles=titles, labels=DECILE_LABELS,
        title=f"{hood['domain_label']} 2019 by neighbourhood in {a['name']}",
        legend_title=f"{hood['domain_name']} decile (England)", description=description,
        chart_id="map-neighbourhoods", links={code: f"/areas/{code}" for code in shapes}, svg_legend=False,
        places=town_labels(release, authorities),
    )  # fmt: skip


def lsoa_locator(release: Release, payload: dict[str, Any]) -> tuple[str, str] | None:
    """A neighbourhood among the other neighbourhoods of its authority."""
    a, authority = payload["area"], payload["small_area"]["authority"]
    if authority is None:
        return None
    shapes = _lsoa_shapes(release, [authority["code"]])
    if a["code"] not in shapes:
        return None
    features = [maps.MapArea(code, name, geojson, None) for code, (name, geojson) in shapes.items()]
    title = f"Map: where {a['name']} is in {authority['name']}"
    caption = f"{a['name']} (dark) among the other {len(features) - 1} neighbourhoods of {authority['name']} (light)."
    return maps.area_map(features, code=a["code"], title=title, chart_id="locator"), caption


def place_maps(release: Release, payload: dict[str, Any]) -> dict[str, Any]:
    """A place among the wards (or neighbourhoods) of its authorities; every shape links to its page."""
    if payload.get("kind") == "picker" or not payload.get("members"):
        return {}
    authorities = [a["code"] for a in payload["authorities"]]
    layer = "ward" if payload["wards"] else "msoa"
    cur = release.cursor()
    try:
        found = [(s.code, s.name, s.geojson) for s in read.shapes_within(cur, layer, authorities)]
    finally:
        cur.close()
    chosen = set(payload["wards"] if layer == "ward" else payload["neighbourhoods"])
    features = [maps.MapArea(code, name, geojson, None) for code, name, geojson in found]
    where = " and ".join(a["name"] for a in payload["authorities"])
    kind = "wards" if layer == "ward" else "neighbourhoods"
    title = f"Map: {payload['title']} among the {kind} of {where}"
    svg = maps.area_map(features, code=chosen, title=title, chart_id="place-map", width=560,
                        links={c: f"/areas/{c}" for c, _, _ in found}, labels=True)  # fmt: skip
    caption = (f"{payload['title']} (dark) among the other {kind} of {where} (light). Select any {kind[:-1]} "
               "to open its page.")  # fmt: skip
    return {"place_svg": svg, "place_caption": caption}


def area_overview_maps(release: Release, payload: dict[str, Any]) -> dict[str, Any]:
    """The short area page draws only its locator map; the charts are on its detail pages (``area_charts``)."""
    if payload.get("small_area") or not payload.get("glance"):
        return area_charts(release, payload)
    locator = None if payload["area"].get("is_group") else locator_map(release, payload)
    return {"locator_svg": locator[0] if locator else None, "locator_caption": locator[1] if locator else None}


def area_charts(release: Release, payload: dict[str, Any]) -> dict[str, Any]:
    """A locator map, a sparkline per indicator and, where the release has comparisons, a spine chart per theme."""
    if payload.get("small_area"):
        found = lsoa_locator(release, payload)
        return {"locator_svg": found[0] if found else None, "locator_caption": found[1] if found else None}
    if payload["area"].get("is_group"):
        return {"neighbourhood_svg": neighbourhood_map(release, payload)}
    name = payload["area"]["name"]
    sparks: dict[str, str] = {}
    for theme in payload["themes"]:
        for r in theme["indicators"]:
            fmt = r["format"]
            values = [h["value"] for h in r["history"]]
            if r["slug"] not in sparks and len(values) > 1:
                first, last = r["history"][0], r["history"][-1]
                label = (
                    f"{r['label']} in {name}, {first['period_label']} to {last['period_label']}: from "
                    f"{nf.value(first['value'], nf.unit_of(fmt))} to "
                    f"{nf.value(last['value'], nf.unit_of(fmt))}"
                )
                sparks[r["slug"]] = charts.sparkline(values, label=label)
    locator = locator_map(release, payload)
    return {"sparks": sparks, "spines": spine_charts(payload), "locator_svg": locator[0] if locator else None,
            "locator_caption": locator[1] if locator else None,
            "neighbourhood_svg": neighbourhood_map(release, payload)}  # fmt: skip


def spine_charts(payload: dict[str, Any], themes: set[str] | None = None, width: int = 720) -> dict[str, str]:
    """An authority's spine chart (SVG) per theme slug (only ``themes`` if given), where the release has comparisons:
    each indicator's judged value against England and the range of English authorities. Used by the area page and
    its printed report."""
    if not payload.get("has_comparisons") or payload["area"].get("is_group"):
        return {}
    name = payload["area"]["name"]
    spines: dict[str, str] = {}
    for theme in payload["themes"]:
        if themes is not None and theme["slug"] not in themes:
            continue
        spine_rows = []
        for r in theme["indicators"]:
            fmt = r["format"]
            england = next((b for b in r["benchmarks"] if b["role"] == "england"), None)
            rng = r["range"] or {}
            comparison = r["comparison"] or {}
            judgement = comparison.get("judgement")
            polarity = comparison.get("polarity")
            # the latest value missing: the spine shows the period that was judged, with England's value for it
            earlier = r["latest_with_value"] if comparison else None
            spine_rows.append(charts.SpineRow(
                label=f"{r['label']} ({earlier['period_label']})" if earlier else r["label"],
                area_value=earlier["value"] if earlier else r["value"],
                england_value=comparison["benchmark_value"] if earlier else england["value"] if england else None,
                p_min=rng.get("min"), p25=rng.get("p25"), p75=rng.get("p75"), p_max=rng.get("max"),
                judgement=judgement if judgement in ("better", "similar", "worse") else "not-tested",
                polarity="higher-better" if polarity == "higher-better" else
                "lower-better" if polarity == "lower-better" else "no-judgement",
                unit=nf.unit_of(fmt),
                england_note=nf.NOT_COMPARABLE if england and england.get("not_comparable") and not earlier else None,
            ))  # fmt: skip
        if spine_rows:
            spines[theme["slug"]] = charts.spine_chart(
                spine_rows,
                title=f"{theme['name']}: {name} compared with England",
                chart_id=f"spine-{theme['slug']}",
                width=width,
            )
    return spines


# ----------------------------------------------------------------------------------------------------------------
# The investor evidence pack and the printable PDF reports


@router.get("/invest")
@router.get("/invest.{fmt}")
def invest(request: Request, fmt: str = "html") -> Response:
    from observatory.web.data.invest import invest_page

    if fmt == "pdf":
        return report_response(request, "invest")
    cfg = config_of(request)
    return page(request, f"invest.{fmt}", "invest.html", lambda cur: invest_page(cur, cfg), "invest-south-essex",
                cache_key="invest")  # fmt: skip


@router.get("/areas/{code}/report.pdf")
def area_report(request: Request, code: str) -> Response:
    return report_response(request, code)


@router.get("/areas/{code}/{section}")
def area_section(request: Request, code: str, section: str) -> Response:
    """One step away from an area's short page: one theme in full (trend sentences, ranks, region and county,
    sparklines, spine chart), ``all`` of them, or the neighbourhoods (``web/data/glance.py``)."""
    cfg = config_of(request)
    name, _ = split_format(section)
    domain = request.query_params.get("domain")
    return page(request, section, "area_section.html",
                lambda cur: section_page(area_page(cur, cfg, code, domain), name), f"{code}-{name}",
                extra=area_charts, cache_key=f"area-section:{code}:{name}:{domain or ''}")  # fmt: skip


def report_response(request: Request, target: str) -> Response:
    """A page of the current (or ``?release=``) release as a typeset PDF, made once per release."""
    from fastapi.responses import FileResponse

    from observatory.reports import ReportError, layout_version, report_pdf
    from observatory.web.errors import NotFound

    release = release_for(request)
    tag = etag(release, request, "pdf", layout_version())  # a new layout is a new document for the same release
    headers = {"ETag": tag, "X-Observatory-Release": release.id, "Cache-Control": CACHE_CONTROL}
    if not_modified(request, headers["ETag"]):
        return Response(status_code=304, headers=headers)
    try:
        path = report_pdf(request.app, request.app.state.pool.store, release.id, target)
    except ReportError as exc:
        if "there is no page" in str(exc) or "is not an area code" in str(exc):
            raise NotFound(str(exc), []) from exc
        raise
    name = "invest-south-essex" if target == "invest" else target
    return FileResponse(path, media_type="application/pdf", filename=f"{name}-{release.id}.pdf", headers=headers)


# ----------------------------------------------------------------------------------------------------------------
# The productivity strategy: outcomes of the four programmes, and the action plan (metadata/action_plan.toml)


@router.get("/strategy")
@router.get("/strategy.{fmt}")
def strategy(request: Request, fmt: str = "html") -> Response:
    cfg = config_of(request)
    plan = load_action_plan()  # reviewed data in the package: a bad file is an ActionPlanError naming the field
    return page(request, f"strategy.{fmt}", "strategy.html", lambda cur: strategy_page(cur, cfg, plan), "strategy",
                cache_key=f"strategy:{plan.digest}")  # fmt: skip


@router.get("/strategy/actions")
@router.get("/strategy/actions.{fmt}")
def strategy_actions(request: Request, fmt: str = "html") -> Response:
    """The tracker: the plan (reviewed file), progress recorded by editors (officers' database), today."""
    plan = load_action_plan()
    today = dt.datetime.now(LONDON).date()
    officers = getattr(request.app.state, "officers", None)
    progress, seen = officers.public_progress() if officers is not None else ({}, 0)
    version = f"{today.isoformat()}|{seen}"
    return page(request, f"actions.{fmt}", "actions.html", lambda cur: actions_page(cur, plan, progress, today),
                "strategy-actions", cache_key=f"strategy-actions:{plan.digest}", version=version)  # fmt: skip


# The business base, where people work, and Future Work's apprenticeships and employment (issue 13)


@router.get("/business")
@router.get("/business.{fmt}")
def business(request: Request, fmt: str = "html") -> Response:
    from observatory.web.data.business import business_page

    cfg = config_of(request)
    return page(request, f"business.{fmt}", "business.html", lambda cur: business_page(cur, cfg),
                "business-south-essex", cache_key="business:south-essex")  # fmt: skip


@router.get("/business/{name}")
def business_area(request: Request, name: str) -> Response:
    from observatory.web.data.business import business_page

    cfg = config_of(request)
    code, _ = split_format(name)
    return page(request, name, "business.html", lambda cur: business_page(cur, cfg, code), f"business-{code}",
                cache_key=f"business:{code}")  # fmt: skip


@router.get("/commuting")
@router.get("/commuting.{fmt}")
def commuting(request: Request, fmt: str = "html") -> Response:
    from observatory.web.data.business import commuting_page

    cfg = config_of(request)
    return page(request, f"commuting.{fmt}", "commuting.html", lambda cur: commuting_page(cur, cfg),
                "commuting-south-essex", extra=commuting_map, cache_key="commuting:south-essex")  # fmt: skip


@router.get("/commuting/{name}")
def commuting_area(request: Request, name: str) -> Response:
    from observatory.web.data.business import commuting_page

    cfg = config_of(request)
    code, _ = split_format(name)
    return page(request, name, "commuting.html", lambda cur: commuting_page(cur, cfg, code), f"commuting-{code}",
                extra=commuting_map, cache_key=f"commuting:{code}")  # fmt: skip


def commuting_map(release: Release, data: dict[str, Any]) -> dict[str, Any]:
    """The flow map's SVG (HTML only), drawn once per release and area."""
    from observatory.web.flowmap import flow_map_svg

    cur = release.cursor()
    try:
        return {"flow_map": flow_map_svg(cur, data)}
    finally:
        cur.close()


@router.get("/future-work")
@router.get("/future-work.{fmt}")
def future_work(request: Request, fmt: str = "html") -> Response:
    from observatory.web.data.business import future_work_page

    cfg = config_of(request)
    return page(request, f"future-work.{fmt}", "future_work.html", lambda cur: future_work_page(cur, cfg),
                "future-work", cache_key="future-work")  # fmt: skip
