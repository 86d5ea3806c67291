"""The site's pages beyond home and indicators: areas, compare, themes, search, changes, about, methodology,
accessibility — in-process, parsed with a real HTML parser, each page's .json and .csv checked against it."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from observatory.config import Config
from observatory.pipeline.build import build_release
from observatory.store import Store
from observatory.web.app import create_app
from observatory.web.data.areas import area_page
from observatory.web.data.common import jsonable
from observatory.web.data.compare import compare_page
from observatory.web.data.search import search_page
from observatory.web.data.themes import theme_page
from observatory.web.pages import clear_caches
from tests.conftest import copy_current, link_sources

GVA = "gross-value-added-per-hour-worked"
SOUTHEND = "E06000033"
SIX = ("Basildon", "Brentwood", "Castle Point", "Rochford", "Southend-on-Sea", "Thurrock")


@dataclass
class Page:
    """What a reader (or a screen reader) gets from a page: headings, tables, links and the text."""

    headings: list[tuple[int, str]] = field(default_factory=list)
    tables: list[dict[str, Any]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    text: str = ""


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.page = Page()
        self.chunks: list[str] = []
        self._heading: tuple[int, list[str]] | None = None
        self._svg = 0
        self._section = ""
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._caption = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "svg":
            self._svg += 1
        if self._svg:
            return
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._heading = (int(tag[1]), [])
        elif tag == "a" and a.get("href"):
            self.page.links.append(str(a["href"]))
        elif tag == "table":
            self.page.tables.append({"caption": None, "th": [], "rows": []})
        elif tag == "caption":
            self.page.tables[-1]["caption"] = ""
            self._caption = True
        elif tag in ("thead", "tbody"):
            self._section = tag
        elif tag == "tr":
            self._row = []
        elif tag in ("th", "td"):
            self._cell = []
            if tag == "th":
                self.page.tables[-1]["th"].append((self._section, a.get("scope")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self._svg -= 1
            return
        if self._svg:
            return
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6") and self._heading:
            self.page.headings.append((self._heading[0], " ".join("".join(self._heading[1]).split())))
            self._heading = None
        elif tag in ("th", "td") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "caption":
            self._caption = False
        elif tag == "tr" and self._row is not None:
            self.page.tables[-1]["rows"].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._svg:
            return
        self.chunks.append(data)
        if self._heading:
            self._heading[1].append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._caption:
            self.page.tables[-1]["caption"] += data


def parse(html: str) -> Page:
    parser = _Parser()
    parser.feed(html)
    parser.page.text = " ".join(" ".join(parser.chunks).split())
    return parser.page


def check_structure(page: Page) -> None:
    """One h1, headings never skip a level, every table captioned, every header cell scoped."""
    levels = [level for level, _ in page.headings]
    assert levels.count(1) == 1, page.headings
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, f"heading level jumps from h{before} to h{after}: {page.headings}"
    for table in page.tables:
        assert table["caption"] and table["caption"].strip(), table
        for section, scope in table["th"]:
            assert scope == ("col" if section == "thead" else "row"), table


def get_page(client: TestClient, url: str) -> Page:
    response = client.get(url)
    assert response.status_code == 200, (url, response.text[:500])
    assert "Traceback" not in response.text
    page = parse(response.text)
    check_structure(page)
    return page


def row_for(page: Page, label: str) -> list[str]:
    return next(r for t in page.tables for r in t["rows"] if r and r[0].startswith(label))


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)


# ----------------------------------------------------------------------------------------------------------------
# Areas


def test_southend_area_page_shows_latest_gva_with_period_and_source(client: TestClient) -> None:
    page = get_page(client, f"/areas/{SOUTHEND}/all")  # every theme in full, one step from the short page
    data = client.get(f"/areas/{SOUTHEND}.json").json()
    gva = next(r for t in data["themes"] for r in t["indicators"] if r["slug"] == GVA)
    assert gva["value"] is not None
    row = row_for(page, "Gross value added per hour worked")
    assert gva["period_label"] in row and gva["display"] in row
    assert "Source: Office for National Statistics" in row[0]
    england = next(b for b in gva["benchmarks"] if b["role"] == "england")
    assert england["source_code"] == "TLB" and england["display"] in row  # same-as fallback: England as ITL1 TLB
    assert page.headings[0] == (1, "Southend-on-Sea: All indicators")
    for theme in ("Enterprise Growth", "Future Work", "Vibrant Places"):
        assert (2, theme) in page.headings
    short = get_page(client, f"/areas/{SOUTHEND}")
    assert "/areas/E12000006" in short.links and "/areas/south-essex" in short.links  # parents as links
    assert f"/areas/{SOUTHEND}/all" in short.links and f"/areas/{SOUTHEND}/enterprise-growth" in short.links


def test_area_page_latest_is_the_newest_period_in_the_data(client: TestClient, store: Store) -> None:
    data = client.get(f"/areas/{SOUTHEND}.json").json()
    gva = next(r for r in data["table"] if r["indicator"] == GVA)
    with store.open() as con:
        found = con.execute(
            "SELECT period, value FROM observations WHERE indicator = ? AND area_code = ? "
            "ORDER BY period_start DESC LIMIT 1",
            [GVA, SOUTHEND],
        ).fetchone()
    assert found is not None and (gva["period"], gva["value"]) == found


def test_area_pages_for_every_kind_of_area(client: TestClient) -> None:
    for code, name in (("E10000012", "Essex"), ("E12000006", "East of England"), ("E92000001", "England"),
                       ("TLH", "East of England"), ("E07000066", "Basildon")):  # fmt: skip
        page = get_page(client, f"/areas/{code}")
        assert page.headings[0] == (1, name)
    essex = client.get("/areas/E10000012.json").json()
    kids = {a["code"] for g in essex["children"] for a in g["areas"]}
    assert {"E07000066", "E07000068", "E07000069", "E07000075"} <= kids  # the four Essex districts of South Essex
    basildon = client.get("/areas/E07000066.json").json()
    assert [b["code"] for b in basildon["benchmarks"]] == ["E92000001", "E12000006", "E10000012"]


def test_group_page_lists_the_six_members_side_by_side(client: TestClient) -> None:
    page = get_page(client, "/areas/south-essex/all")
    data = client.get("/areas/south-essex.json").json()
    assert [m["name"] for m in data["members"]] == list(SIX)
    header = page.tables[0]["rows"][0]
    assert header[2:8] == list(SIX)
    for member in SIX:
        assert member in page.text
    gva = row_for(page, "Gross value added per hour worked")
    assert len(gva) >= 2 + 6 + 1
    # no group value is ever averaged: without an aggregates table the page says so
    if not data["has_aggregates"]:
        assert "Averaging the members' rates would be wrong" in page.text
        assert not any(r["role"] == "group" for r in data["table"])


def test_areas_index_puts_south_essex_first(client: TestClient) -> None:
    page = get_page(client, "/areas")
    data = client.get("/areas.json").json()
    first = data["sections"][0]
    assert first["key"] == "south-essex"
    assert [a["name"] for a in first["areas"]] == ["South Essex", *SIX]
    assert next(h for h in page.headings if h[0] == 2)[1].startswith("South Essex")
    assert data["count"] == len(data["table"])
    assert {a["code"] for s in data["sections"] for a in s["areas"]} == {r["code"] for r in data["table"]}
    assert f"/areas/{SOUTHEND}" in page.links


def test_indicator_page_has_its_chart_map_and_judgements(client: TestClient) -> None:
    response = client.get("/indicators/employment-rate")
    page = get_page(client, "/indicators/employment-rate")
    assert 'id="chart-over-time"' in response.text and 'id="map-by-area"' in response.text
    data = client.get("/indicators/employment-rate.json").json()
    assert len(data["ranking"]) > 300 and response.text.count("<path d=") >= len(data["ranking"])
    if data["judgements"]:  # the release carries the statistics: each authority's result and its method link
        # the answer first (a short verdict per authority), each judgement in full one click away
        assert (2, f"South Essex, {data['latest']['period_label']}") in page.headings
        assert (3, "South Essex compared with England: each judgement in full") in page.headings
        thurrock = next(j for j in data["judgements"] if j["code"] == "E06000034")
        assert thurrock["comparison"]["sentence"] in page.text
        assert f"/methodology#{thurrock['comparison']['method']}" in page.links


# ----------------------------------------------------------------------------------------------------------------
# Compare, themes, search


def test_compare_defaults_and_chosen(client: TestClient) -> None:
    page = get_page(client, "/compare")
    data = client.get("/compare.json").json()
    assert [a["name"] for a in data["areas"]] == [*SIX, "England"]
    assert GVA in data["indicators"] and len(data["indicators"]) >= 4
    assert "Gross value added per hour worked" in page.text
    chosen = client.get(f"/compare.json?areas={SOUTHEND},E92000001&indicators=employment-rate,{GVA}").json()
    assert [a["code"] for a in chosen["areas"]] == [SOUTHEND, "E92000001"]
    assert chosen["indicators"] == ["employment-rate", GVA]
    england_gva = next(c for r in chosen["rows"] if r["slug"] == GVA for c in r["cells"] if c["code"] == "E92000001")
    assert england_gva["source_code"] == "TLB" and england_gva["value"] is not None
    # what the HTML form sends: repeated checkboxes plus the free-text codes
    form = client.get(f"/compare.json?area={SOUTHEND}&area=E06000034&areas=E07000070&indicator=employment-rate").json()
    assert [a["code"] for a in form["areas"]] == ["E07000070", SOUTHEND, "E06000034"]
    same_period = {c["period"] for c in form["rows"][0]["cells"] if not c["other_period"]}
    assert len(same_period) == 1


def test_theme_page(client: TestClient) -> None:
    page = get_page(client, "/themes/future-work")
    data = client.get("/themes/future-work.json").json()
    assert data["theme"]["name"] == "Future Work"
    assert [a["name"] for a in data["areas"]] == [*SIX, "England"]
    row = row_for(page, "Employment rate")
    employment = next(i for i in data["indicators"] if i["slug"] == "employment-rate")
    assert employment["period_label"] in row
    assert [c["display"] for c in employment["cells"]] == row[2:]


@pytest.mark.parametrize(
    ("q", "kind", "expected"),
    [
        ("productvity", "indicators", GVA),
        ("productivity", "indicators", GVA),
        ("southend", "areas", SOUTHEND),
        ("Southnd", "areas", SOUTHEND),
        ("E06000033", "areas", SOUTHEND),
        ("basldon", "areas", "E07000066"),
        ("employment rate", "indicators", "employment-rate"),
    ],
)
def test_search_is_typo_tolerant_and_ranked(client: TestClient, q: str, kind: str, expected: str) -> None:
    data = client.get("/search.json", params={"q": q}).json()
    first = data[kind][0]
    assert (first.get("slug") or first.get("code")) == expected
    page = get_page(client, f"/search?q={q}")
    assert (f"/indicators/{expected}" if kind == "indicators" else f"/areas/{expected}") in page.links


def test_search_exact_code_is_the_only_area(client: TestClient) -> None:
    data = client.get("/search.json?q=E06000033").json()
    assert [a["code"] for a in data["areas"]] == [SOUTHEND]
    assert get_page(client, "/search").headings[0] == (1, "Search")


# ----------------------------------------------------------------------------------------------------------------
# About, methodology, accessibility, changes (one release)


def test_about_names_sources_licence_and_release(client: TestClient, config: Config) -> None:
    page = get_page(client, "/about")
    data = client.get("/about.json").json()
    for source in config.sources:
        assert source.publisher in page.text
    assert "Open Government Licence v3.0" in page.text
    assert data["this_release"]["id"] == client.get("/about").headers["X-Observatory-Release"]
    assert data["this_release"]["content_hash"] in page.text
    assert data["findings_total"] > 0 and "value.missing-without-status" in page.text
    assert len(data["table"]) == sum(s["file_count"] for s in data["sources"]) > 100


def test_methodology_and_accessibility(client: TestClient) -> None:
    page = get_page(client, "/methodology")
    titles = {g["id"]: g["title"] for g in client.get("/methodology.json").json()["general"]}
    for anchor in ("periods", "status-codes", "confidence-intervals", "comparators", "revisions"):
        assert (2, titles[anchor]) in page.headings
    methods = client.get("/methodology.json").json()["methods"]
    assert all(m["id"] and m["text"] for m in methods)
    response = client.get("/methodology")
    for m in methods:
        assert f'id="{m["id"]}"' in response.text  # /methodology#<method> lands on the method
    statement = get_page(client, "/accessibility")
    assert "WCAG" in statement.text and "2.2" in statement.text
    assert (2, "Preparation of this accessibility statement") in statement.headings
    assert (3, "Compliance status") in statement.headings


def test_changes_with_one_release(client: TestClient, store: Store) -> None:
    page = get_page(client, "/changes")
    data = client.get("/changes.json").json()
    if len(store.release_ids()) == 1:
        assert data["only_one"] and "only one release" in page.text
    assert [r["id"] for r in data["releases"]][-1] == store.release_ids()[0]
    assert f"/changes?release={store.release_ids()[-1]}" in page.links


# ----------------------------------------------------------------------------------------------------------------
# Every page: .json is the data dict, .csv is its table


PAGES = [
    "/areas",
    f"/areas/{SOUTHEND}",
    "/areas/south-essex",
    "/compare",
    f"/compare?areas={SOUTHEND},E92000001&indicators=employment-rate",
    "/themes/enterprise-growth",
    "/search?q=thurrock",
    "/changes",
    "/about",
    "/methodology",
    "/accessibility",
]


@pytest.mark.parametrize("url", PAGES)
def test_json_and_csv_match_the_page_data(client: TestClient, url: str) -> None:
    path, _, query = url.partition("?")
    suffix = f"?{query}" if query else ""
    html = client.get(url)
    payload = client.get(f"{path}.json{suffix}")
    table = client.get(f"{path}.csv{suffix}")
    assert html.status_code == payload.status_code == table.status_code == 200
    data = payload.json()
    assert data["release"] == html.headers["X-Observatory-Release"]
    assert data["title"] and data["title"].split("“")[0].strip() in html.text
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert len(rows) == len(data["table"])
    if rows:
        assert list(rows[0]) == list(data["table"][0])
    for got, want in zip(rows, data["table"], strict=True):
        assert got == {k: csv_cell(v) for k, v in want.items()}
    assert table.headers["content-type"].startswith("text/csv")


def test_json_is_exactly_the_data_function(client: TestClient, store: Store, config: Config) -> None:
    with store.open() as con:
        cur = con.cursor()
        cases = {
            f"/areas/{SOUTHEND}.json": area_page(cur, config, SOUTHEND),
            "/areas/south-essex.json": area_page(cur, config, "south-essex"),
            "/compare.json": compare_page(cur, config, None, None),
            "/themes/future-work.json": theme_page(cur, config, "future-work"),
            "/search.json?q=productivity": search_page(cur, "productivity"),
        }
    for url, data in cases.items():
        served = client.get(url).json()
        served.pop("release")
        assert served == json.loads(json.dumps(jsonable(data))), url


# ----------------------------------------------------------------------------------------------------------------
# Errors: helpful 404s, 400s with what is allowed, nothing reflected unescaped


def test_unknown_area_suggests_the_likely_one(client: TestClient) -> None:
    response = client.get("/areas/E0600003")
    assert response.status_code == 404
    page = parse(response.text)
    assert any(link.startswith("/areas/E0600003") for link in page.links), page.links
    assert client.get("/areas/E0600003.json").json()["suggestions"]


def test_unknown_theme_suggests_themes(client: TestClient) -> None:
    response = client.get("/themes/nope")
    assert response.status_code == 404
    assert "/themes/future-work" in parse(response.text).links or "/themes/" in response.text
    near = client.get("/themes/future-wrk")
    assert near.status_code == 404 and "/themes/future-work" in parse(near.text).links


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("/compare?areas=ZZZ", "unknown area code"),
        ("/compare?indicators=no-such-indicator", "unknown indicator"),
        ("/compare?indicators=Not_A_Slug", "not an indicator slug"),
        ("/compare?indicators=" + ",".join(["employment-rate"] * 41), "too many indicators"),
        ("/search?q=" + "x" * 101, "longer than"),
        ("/areas.xml", "unknown format"),
        ("/areas/E06000033.pdf", "unknown format"),
        ("/changes?release=nope", "no release"),
    ],
)
def test_bad_parameters_are_400_or_404_never_500(client: TestClient, url: str, needle: str) -> None:
    response = client.get(url)
    assert response.status_code in (400, 404), response.text[:300]
    assert needle in response.text
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    "url",
    ["/search?q=<script>alert(1)</script>", "/compare?areas=<script>alert(1)</script>",
     "/compare?indicators=<script>alert(1)</script>", "/areas/<script>alert(1)</script>",
     "/themes/<script>alert(1)<%2Fscript>"],
)  # fmt: skip
def test_markup_in_parameters_is_escaped(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code in (200, 400, 404)
    assert "<script>alert" not in response.text
    if response.status_code == 200:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


# ----------------------------------------------------------------------------------------------------------------
# With the statistics tables and two releases


@pytest.fixture(scope="module")
def stats_client(store: Store, config: Config, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A copy of the current release, with the statistics tables every build writes (release.schema)."""
    copy = copy_current(store, tmp_path_factory.mktemp("stats-store"))
    clear_caches()
    with TestClient(create_app(copy, config), raise_server_exceptions=False) as c:
        yield c
    clear_caches()


def test_area_page_shows_judgements_neighbours_and_group_values(stats_client: TestClient) -> None:
    page = get_page(stats_client, f"/areas/{SOUTHEND}/all")  # the detail, one step from the short page
    data = stats_client.get(f"/areas/{SOUTHEND}.json").json()
    assert data["has_comparisons"] and data["has_trends"]
    gva = next(r for t in data["themes"] for r in t["indicators"] if r["slug"] == GVA)
    assert gva["comparison"]["reason"] and gva["comparison"]["reason"] in page.text
    assert f"/methodology#{gva['comparison']['method']}" in page.links
    assert "Compared with England" in page.text and "Trend" in page.text
    short = get_page(stats_client, f"/areas/{SOUTHEND}")
    assert data["neighbours"] and f"/areas/{data['neighbours'][0]['code']}" in short.links
    assert 'class="spine-mark"' in stats_client.get(f"/areas/{SOUTHEND}/all").text  # a spine chart per theme
    group = stats_client.get("/areas/south-essex.json").json()
    assert group["has_aggregates"]
    shown = [r for r in group["table"] if r["role"] == "group" and r["value"] is not None]
    assert shown and {r["method"] for r in shown} <= {"aggregate-sum", "aggregate-ratio-of-sums"}  # never an average
    summed = [r for r in shown if r["method"] == "aggregate-sum"]
    assert summed
    members = [r for r in group["table"] if r["role"] == "member" and r["indicator"] == summed[0]["indicator"]]
    assert summed[0]["value"] == pytest.approx(sum(r["value"] for r in members))
    # an incomplete aggregate never shows a number
    rows = [r for t in group["themes"] for r in t["indicators"] if r["group_value"]]
    assert any(not r["group_value"]["complete"] for r in rows)
    assert all(r["group_value"]["value"] is None for r in rows if not r["group_value"]["complete"])


@pytest.fixture(scope="module")
def two_release_client(
    store: Store, config: Config, shared: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, Store]]:
    """The full release, then one built from the 2024-07-15 GVA file: the newer release revises Southend's GVA."""
    root = tmp_path_factory.mktemp("two-releases")
    copy = copy_current(store, root / "store")
    vintage = shared / "ons-els-vintages" / "gross-value-added-per-hour-worked-2024-07-15.csv"
    old = link_sources(root / "sources", shared, {"gross-value-added/gross-value-added.csv": vintage})
    build_release(config, old, copy, accept_loss=["ons-els/gross-value-added"])  # an older vintage, on purpose
    clear_caches()
    with TestClient(create_app(copy, config), raise_server_exceptions=False) as c:
        yield c, copy
    clear_caches()


def test_changes_lists_revisions_between_two_releases(two_release_client: tuple[TestClient, Store]) -> None:
    client, store = two_release_client
    first, second = store.release_ids()
    page = get_page(client, "/changes")
    data = client.get("/changes.json").json()
    assert (data["previous"], data["release"]) == (first, second)
    gva = next(r for r in data["by_indicator"] if r["indicator"] == GVA)
    assert gva["revised"] > 100
    southend = [r for r in data["table"] if r["area_code"] == SOUTHEND and r["period"] == "2022-01-01/P1Y"
                and r["indicator"] == GVA]  # fmt: skip
    assert [(r["change"], r["old_value"], r["new_value"]) for r in southend] == [("revised", 29.84, 28.5)]
    revised_rows = [r for t in page.tables for r in t["rows"] if len(r) == 5 and r[1] == "Southend-on-Sea"]
    assert ["Gross value added per hour worked", "Southend-on-Sea", "2022", "£29.8", "£28.5"] in revised_rows
    assert len(list(csv.DictReader(io.StringIO(client.get("/changes.csv").text)))) == len(data["table"])
    assert {r["id"] for r in data["releases"]} == {first, second}
    older = client.get(f"/changes.json?release={first}").json()
    assert older["previous"] is None and older["release"] == first and not older["only_one"]
