"""Every page type, opened in a real browser for real areas and indicators: the figures people come for are there,
and agree with the publisher's file, with the page's own .json twin and with each other (table ↔ chart ↔ map)."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest

from observatory.config import Config
from tests.browser.conftest import GVA, PAGES, SOUTHEND, Site, norm, open_page
from tests.conftest import require

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
SOUTH_ESSEX = {
    "E07000066": "Basildon",
    "E07000068": "Brentwood",
    "E07000069": "Castle Point",
    "E07000075": "Rochford",
    "E06000033": "Southend-on-Sea",
    "E06000034": "Thurrock",
}

NUMBERS = "details:has(#numbers) table, #numbers ~ .table-scroll table"  # the chart's numbers on the indicator page

# A table as the reader sees it: header cells and rows of cell texts (th and td alike).
TABLE = """(table) => ({
  caption: table.caption ? table.caption.textContent.replace(/\\s+/g, ' ').trim() : '',
  head: [...table.querySelectorAll('thead th')].map(c => c.textContent.replace(/\\s+/g, ' ').trim()),
  rows: [...table.querySelectorAll('tbody tr')]
    .map(r => [...r.cells].map(c => c.textContent.replace(/\\s+/g, ' ').trim())),
})"""


def table(page: Any, selector: str) -> dict[str, Any]:
    loc = page.locator(selector)
    assert loc.count() >= 1, f"no table matches {selector}"
    result: dict[str, Any] = loc.first.evaluate(TABLE)
    return result


def headings(page: Any, level: str = "h1, h2, h3") -> list[str]:
    return [norm(t) for t in page.locator(f"main :is({level})").all_inner_texts()]


def link_hrefs(page: Any, scope: str = "main") -> list[str]:
    hrefs: list[str] = page.locator(f"{scope} a[href]").evaluate_all("els => els.map(a => a.getAttribute('href'))")
    return hrefs


def one_decimal(value: float, prefix: str = "£") -> str:
    return f"{prefix}{value:,.1f}"


def southend_gva_from_source() -> tuple[str, float]:
    """Southend-on-Sea's latest GVA per hour worked, read straight from the publisher's CSV (not via the app)."""
    path = SHARED / "ons-els" / "gross-value-added" / "gross-value-added.csv"
    require(path.exists(), f"{path} is not beside this checkout")
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = [
            r
            for r in csv.DictReader(f)
            if r["areacd"] == SOUTHEND and r["indicator"].strip().lower() == "gross value added per hour worked"
        ]
    assert rows, "Southend-on-Sea has no GVA per hour worked in the source file"
    latest = max(rows, key=lambda r: r["period"])
    return latest["period"][:4], float(latest["observation"])


# --------------------------------------------------------------------------------------------------------------
# Home and the indicator list


def test_home_shows_each_programme_with_headlines_beside_england(site: Site, page: Any, config: Config) -> None:
    site.need_page("home")
    open_page(page, site, "/")
    assert norm(page.locator("h1").inner_text()) == "South Essex at a glance"
    programmes = [t.name for t in config.themes if getattr(t, "programme", False)]
    h2 = headings(page, "h2")
    missing = [p for p in programmes if p not in h2]
    assert not missing, f"home page lacks the programme(s) {missing}; h2s are {h2}"
    data = site.json("/index.json")
    for prog in data["programmes"]:
        section = page.locator(f"section:has(h2:text-is('{prog['name']}'))")
        assert section.count() == 1, prog["name"]
        tables = section.locator("table")
        assert tables.count() == 1 and len(prog["headlines"]) >= 1, f"{prog['name']}: one table of its headlines"
        t = tables.first.evaluate(TABLE)
        assert "England" in t["head"], f"{prog['name']}: no England column: {t['head']}"
        assert set(SOUTH_ESSEX.values()) <= set(t["head"]), f"{t['caption']!r} lacks an authority: {t['head']}"
        assert len(t["rows"]) == len(prog["headlines"]), f"{prog['name']}: one row per headline measure: {t['rows']}"
        for h, row in zip(prog["headlines"], t["rows"], strict=True):
            assert row[0].startswith(h["indicator"]["label"]), (row[0], h["indicator"]["label"])
            for a in h["areas"]:  # each area's latest value, as the JSON gives it, leads its cell
                name = "England" if a["is_england"] else a["name"]
                cell = row[t["head"].index(name)]
                assert cell.startswith(a["display"]), f"{h['indicator']['label']}, {name}: {cell!r} != {a['display']!r}"
                if a["change_1"] is not None:
                    assert f"since {a['change_1_from']}" in cell, (name, cell)
            cells = [row[t["head"].index(n)] for n in (*SOUTH_ESSEX.values(), "England")]
            assert all(re.search(r"\d", c) or c == "no data" for c in cells), row


def test_indicator_list_links_every_indicator_in_the_release(site: Site, page: Any) -> None:
    site.need_page("indicators")
    open_page(page, site, "/indicators")
    data = site.json("/indicators.json")
    slugs = {i["slug"] for theme in data["themes"] for i in theme["indicators"]}
    linked = {h.removeprefix("/indicators/") for h in link_hrefs(page) if re.fullmatch(r"/indicators/[\w-]+", h)}
    assert slugs and slugs <= linked, f"not linked: {sorted(slugs - linked)[:10]}"
    assert len(slugs) >= 80, f"only {len(slugs)} indicators listed"
    assert [t["name"] for t in data["themes"]] == headings(page, "h2")[: len(data["themes"])]


# --------------------------------------------------------------------------------------------------------------
# The indicator page: GVA per hour worked


def test_southend_latest_gva_shows_with_its_period_and_source(site: Site, page: Any) -> None:
    path = site.need_page("indicator")
    year, value = southend_gva_from_source()
    shown = one_decimal(value)  # the publisher's one decimal place
    open_page(page, site, path)
    assert norm(page.locator("h1").inner_text()) == "Gross value added per hour worked"

    ranked = table(page, "table.ranked")
    row = next((r for r in ranked["rows"] if r[1].startswith("Southend-on-Sea")), None)
    assert row is not None, "Southend-on-Sea is not in the ranked table"
    assert shown in row, f"ranked table shows {row} for Southend-on-Sea, expected {shown}"
    assert year in ranked["caption"], f"the ranked table's caption {ranked['caption']!r} does not name {year}"
    assert page.locator("table.ranked tr.highlight", has_text="Southend-on-Sea").count() == 1, "not highlighted"

    numbers = table(page, NUMBERS)
    col = numbers["head"].index("Southend-on-Sea")
    by_period = {r[0]: r for r in numbers["rows"]}
    assert by_period[year][col].startswith(shown), f"chart table {year}: {by_period[year][col]!r}, expected {shown}"

    facts = norm(page.locator("main").inner_text())
    assert f"Latest period (local authorities) {year}" in facts or f"{year}" in ranked["caption"]
    source = page.locator("dl.facts a", has_text="Office for National Statistics")
    assert source.count() >= 1, "the source is not named and linked in the facts"
    assert source.first.get_attribute("href", timeout=1000).startswith("https://www.ons.gov.uk/")
    indicator = site.json(f"/indicators/{GVA}.json")["indicator"]
    y, m, d = (int(x) for x in indicator["source_date"].split("-"))
    published = f"{d} {['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'][m - 1]} {y}"  # noqa: E501
    assert published in facts, f"the publisher's release date {published} is not shown"
    assert "Open Government Licence" in facts


def test_chart_numbers_table_matches_the_chart_data(site: Site, page: Any) -> None:
    path = site.need_page("indicator")
    data = site.json(f"/indicators/{GVA}.json")
    open_page(page, site, path)
    numbers = table(page, NUMBERS)
    series = data["series"]
    assert numbers["head"] == ["Period", *[s["name"] for s in series]], numbers["head"]
    assert [r[0] for r in numbers["rows"]] == [p["label"] for p in data["periods"]]
    mismatches = []
    for r, p in zip(numbers["rows"], data["periods"], strict=True):
        for cell, s in zip(r[1:], series, strict=True):
            point = next((pt for pt in s["points"] if pt["period"] == p["period"]), None)
            want = point["display"] if point and point["value"] is not None else "–"
            if not cell.startswith(want):
                mismatches.append((p["label"], s["name"], cell, want))
    assert not mismatches, f"table cells differ from the page's data: {mismatches[:10]}"

    chart = page.locator("figure.chart svg")
    assert chart.count() > 0, "the indicator page has no chart <svg>"
    svg = chart.first
    assert svg.get_attribute("role") == "img"
    title = norm(svg.locator("title").first.text_content())
    desc = norm(svg.locator("desc").first.text_content())
    assert title, "the chart has no <title>"
    missing = []
    for s in series:
        known = [pt for pt in s["points"] if pt["value"] is not None]
        if known:
            last = max(known, key=lambda pt: pt["period"])
            if f"{last['display']} in {last['period_label']}" not in desc:
                missing.append(f"{s['name']}: {last['display']} in {last['period_label']}")
    assert not missing, (
        f"the chart's text alternative does not carry the table's latest values: {missing}; desc={desc!r}"
    )


def test_ranked_table_matches_the_page_data(site: Site, page: Any) -> None:
    path = site.need_page("indicator")
    data = site.json(f"/indicators/{GVA}.json")
    open_page(page, site, path)
    ranked = table(page, "table.ranked")
    got = [(r[0], r[1].replace("(South Essex)", "").strip(), r[2]) for r in ranked["rows"]]
    want = [("–" if r["rank"] is None else str(r["rank"]), r["name"], r["display"]) for r in data["ranking"]]
    assert got == want
    assert len(want) >= 300, f"only {len(want)} authorities ranked"


def test_map_has_an_area_with_a_title_for_each_current_authority(site: Site, page: Any) -> None:
    path = site.need_page("indicator")
    open_page(page, site, path)
    svg = page.locator("figure.map svg")
    assert svg.count() > 0, "the indicator page has no map (<svg> in figure.map)"
    titles: list[str] = svg.first.evaluate(
        """svg => [...svg.querySelectorAll('path')].map(p => {
             const own = [...p.children].find(c => c.tagName.toLowerCase() === 'title');
             const g = p.closest('g, a');
             const up = g && [...g.children].find(c => c.tagName.toLowerCase() === 'title');
             return ((own || up || {}).textContent || '').replace(/\\s+/g, ' ').trim();
           }).filter(t => t)"""
    )
    assert svg.first.get_attribute("role") in ("img", "group", "figure", "graphics-document", None)
    data = site.json(f"/indicators/{GVA}.json")
    ranking = data["ranking"]
    missing, wrong = [], []
    for r in ranking:
        hit = [t for t in titles if re.search(rf"(^|\W){re.escape(r['name'])}(\W|$)", t)]
        if not hit:
            missing.append(r["name"])
        elif re.search(r"\d", " ".join(hit)) and not any(r["display"] in t for t in hit):
            wrong.append((r["name"], r["display"], hit[0]))
    assert not missing, (
        f"{len(missing)} of {len(ranking)} ranked authorities have no titled area on the map: {missing[:15]}"
    )
    assert not wrong, f"map titles disagree with the ranked table: {wrong[:10]}"
    # South Essex outlined, and a legend
    map_text = norm(page.locator("figure.map").inner_text() + " " + (svg.first.text_content() or ""))
    assert "South Essex" in map_text, "the map does not name the South Essex outline/inset"
    assert page.locator("figure.map :is(.legend, [class*=legend], figcaption, table)").count() or re.search(
        r"legend|key", map_text, re.I
    ), "the map has no legend"


def test_area_picker_removes_an_area_without_javascript(site: Site, no_js: Any) -> None:
    path = site.need_page("indicator")
    page = no_js.new_page()
    try:
        open_page(page, site, path)
        page.locator("details.picker > summary").click()  # the picker is one step away, in a closed <details>
        page.get_by_label("Basildon", exact=True).uncheck()
        with page.expect_navigation():
            page.get_by_role("button", name=re.compile("update", re.I)).click()
        head = table(page, NUMBERS)["head"]
        assert "Basildon" not in head and "Southend-on-Sea" in head, head
        assert "E07000066" not in page.url and "E06000033" in page.url
    finally:
        page.close()


# --------------------------------------------------------------------------------------------------------------
# Areas


def test_southend_area_page_has_every_theme_its_gva_and_related_areas(site: Site, page: Any) -> None:
    path = site.need_page("area")
    year, value = southend_gva_from_source()
    data = site.json(f"/areas/{SOUTHEND}.json")
    open_page(page, site, path)
    assert norm(page.locator("h1").inner_text()) == "Southend-on-Sea"
    hrefs = set(link_hrefs(page))
    missing = [t["name"] for t in data["themes"] if f"/areas/{SOUTHEND}/{t['slug']}" not in hrefs]
    assert not missing, f"themes without their detail page linked from the short page: {missing}"
    page.locator("main details.glance-theme > summary", has_text="Enterprise Growth").click()  # at a glance
    row = page.locator("main details.glance-theme tr", has=page.locator(f"a[href='/indicators/{GVA}']")).first
    cells = norm(row.inner_text())
    assert one_decimal(value) in cells and year in cells, f"GVA row at a glance reads {cells!r}"
    detail = page.context.new_page()  # one step away: the theme in full, with its source
    try:
        open_page(detail, site, f"/areas/{SOUTHEND}/enterprise-growth")
        row = detail.locator("main tr", has=detail.locator(f"a[href='/indicators/{GVA}']")).first
        cells = norm(row.inner_text())
        assert one_decimal(value) in cells and year in cells, f"GVA row in detail reads {cells!r}"
        assert "Office for National Statistics" in cells
        assert detail.locator("main svg").count() >= 1, "no sparkline or spine chart on the detail page"
    finally:
        detail.close()
    related = [f"/areas/{p['code']}" for p in data["parents"] + data["children"] + data["neighbours"] if "code" in p]
    unlinked = [h for h in related if h not in hrefs]
    assert not unlinked, f"related areas not linked: {unlinked}"
    assert "/areas/south-essex" in hrefs and "/areas/E12000006" in hrefs, "South Essex / East of England not linked"
    assert page.locator("main svg").count() >= 1, "no locator map"
    for svg in page.locator("main svg").all()[:20]:
        assert norm(svg.locator("title").first.text_content()), "an SVG on the area page has no <title>"


def test_south_essex_page_lists_its_six_members(site: Site, page: Any) -> None:
    path = site.need_page("group")
    open_page(page, site, path)
    assert norm(page.locator("h1").inner_text()) == "South Essex"
    hrefs = set(link_hrefs(page))
    assert {f"/areas/{code}" for code in SOUTH_ESSEX} <= hrefs
    head = table(page, "main table")["head"]
    assert set(SOUTH_ESSEX.values()) <= set(head), head


NEIGHBOURHOOD_TITLES = """svg => [...svg.querySelectorAll('path')].map(p => {
  const t = [...p.children].find(c => c.tagName.toLowerCase() === 'title');
  const box = p.getBBox();
  return {title: t ? t.textContent : '', drawn: box.width > 0 && box.height > 0};
})"""


def test_neighbourhood_map_renders_with_a_table_alternative(site: Site, page: Any) -> None:
    site.need_page("area")
    open_page(page, site, f"/areas/{SOUTHEND}/neighbourhoods")  # one step from the area page
    svg = page.locator("section.neighbourhoods figure svg")
    assert svg.count() == 1 and svg.is_visible(), "no neighbourhood map on the authority page"
    box = svg.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100, box
    paths = svg.evaluate(NEIGHBOURHOOD_TITLES)
    assert len(paths) == 107 and all(p["title"] and p["drawn"] for p in paths), paths[:3]
    assert "Southend-on-Sea 003A: IMD decile 6 (rank 19,102 of 32,844)" in [p["title"] for p in paths]
    assert norm(svg.locator("title").first.text_content())
    legend = page.locator("section.neighbourhoods figure .map-legend")  # an HTML legend, legible on phones
    assert legend.count() == 1 and "most deprived" in norm(legend.inner_text()).lower()
    lsoas = page.locator("section.neighbourhoods table.lsoas")
    assert lsoas.locator("tbody tr").count() == 107, "the map's table alternative does not list every neighbourhood"
    page.locator("details.lsoa-table summary").click()
    assert lsoas.is_visible() and lsoas.locator("a[href='/areas/E01015814']").count() == 1


def test_domain_picker_works_without_javascript(site: Site, no_js: Any) -> None:
    site.need_page("area")
    page = no_js.new_page()
    try:
        open_page(page, site, f"/areas/{SOUTHEND}/neighbourhoods")
        page.get_by_label("Show deprivation on").select_option("income")
        with page.expect_navigation():
            page.locator("section.neighbourhoods").get_by_role("button", name="Show").click()
        assert "domain=income" in page.url
        titles = [p["title"] for p in page.locator("section.neighbourhoods figure svg").evaluate(NEIGHBOURHOOD_TITLES)]
        assert "Southend-on-Sea 003A: Income deprivation decile 5 (rank 13,559 of 32,844)" in titles
    finally:
        page.close()


def test_lsoa_page_shows_its_deprivation_authority_and_locator(site: Site, page: Any) -> None:
    path = site.need_page("lsoa")
    open_page(page, site, path)
    assert norm(page.locator("h1").inner_text()) == "Southend-on-Sea 003A"
    rows = table(page, "main table")["rows"]
    assert any(r[:3] == ["Index of Multiple Deprivation", "19,102", "6"] for r in rows), rows
    assert f"/areas/{SOUTHEND}" in set(link_hrefs(page))
    locator = page.locator("figure.locator svg")
    assert locator.is_visible() and locator.locator("path").count() == 107


def test_areas_index_links_every_authority(site: Site, page: Any) -> None:
    site.need_page("areas")
    open_page(page, site, "/areas")
    hrefs = set(link_hrefs(page))
    ranked = site.json(f"/indicators/{GVA}.json")["ranking"] if site.status(f"/indicators/{GVA}.json") == 200 else []
    missing = [r["code"] for r in ranked if f"/areas/{r['code']}" not in hrefs]
    assert {f"/areas/{c}" for c in SOUTH_ESSEX} <= hrefs
    assert not missing, f"authorities missing from /areas: {missing[:10]}"


# --------------------------------------------------------------------------------------------------------------
# Compare, themes, search, changes, static pages, errors


def test_compare_shows_both_areas_for_both_indicators(site: Site, page: Any) -> None:
    path = site.need_page("compare")
    year, value = southend_gva_from_source()
    open_page(page, site, path)
    t = table(page, "main table")
    assert "Southend-on-Sea" in t["head"] and "Thurrock" in t["head"], t["head"]
    gva = next((r for r in t["rows"] if r[0].startswith("Gross value added per hour worked")), None)
    assert gva is not None, [r[0] for r in t["rows"]]
    assert gva[t["head"].index("Southend-on-Sea")].startswith(one_decimal(value)), gva
    assert year in gva
    assert any(r[0].startswith("Employment rate") for r in t["rows"]), [r[0] for r in t["rows"]]


def test_theme_page_lists_the_themes_indicators(site: Site, page: Any, config: Config) -> None:
    path = site.need_page("theme")
    theme = next(t for t in config.themes if t.slug == "future-work")
    open_page(page, site, path)
    assert norm(page.locator("h1").inner_text()) == theme.name
    hrefs = set(link_hrefs(page))
    data = site.json("/themes/future-work.json")
    shown = {i["slug"] for i in data["indicators"]}
    assert shown <= set(theme.indicators) and len(shown) >= len(theme.indicators) - len(data.get("not_in_release", []))
    assert {f"/indicators/{s}" for s in shown} <= hrefs


def test_search_finds_southend_even_misspelt(site: Site, page: Any) -> None:
    site.need_page("search")
    for q in ("southend", "Southnd", "E06000033"):
        open_page(page, site, f"/search?q={q}")
        link = page.locator(f"main a[href='/areas/{SOUTHEND}']")
        assert link.count() >= 1, f"searching {q!r} does not find Southend-on-Sea"
        assert "Southend-on-Sea" in norm(link.first.inner_text())
    open_page(page, site, "/search?q=productivity")
    assert page.locator("main a[href^='/indicators/gross-value-added']").count() >= 1, "productivity → GVA"


def test_search_from_the_header_box(site: Site, page: Any) -> None:
    site.need_page("search")
    open_page(page, site, "/")
    page.get_by_label("Search places, postcodes and indicators").first.fill("Thurrock")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=Thurrock"))
    assert page.locator("main a[href='/areas/E06000034']").count() >= 1


def test_changes_names_the_current_release(site: Site, page: Any) -> None:
    path = site.need_page("changes")
    release = site.json("/index.json")["release"]
    open_page(page, site, path)
    assert release in norm(page.locator("main").inner_text())
    assert page.locator("h1").count() == 1


def test_about_gives_sources_and_the_ogl_attribution(site: Site, page: Any) -> None:
    path = site.need_page("about")
    open_page(page, site, path)
    text = norm(page.locator("main").inner_text())
    assert "Open Government Licence" in text
    assert "Office for National Statistics" in text
    assert "Crown copyright" in text, "the OS/ONS boundary attribution is missing"


def test_methodology_and_accessibility_statement_read(site: Site, page: Any) -> None:
    path = site.need_page("methodology")
    open_page(page, site, path)
    assert page.locator("h1").count() == 1 and len(headings(page, "h2")) >= 2
    path = site.need_page("accessibility")
    open_page(page, site, path)
    text = norm(page.locator("main").inner_text())
    assert "ccessibility" in norm(page.locator("h1").inner_text())
    assert re.search(r"WCAG 2\.2", text), "the statement does not name the standard (WCAG 2.2)"


def test_unknown_addresses_give_a_helpful_404_and_bad_parameters_a_400(site: Site, page: Any) -> None:
    site.need_page("not-found")
    response = open_page(page, site, PAGES["not-found"])
    assert response.status == 404
    assert norm(page.locator("h1").inner_text()) == "Page not found"
    assert page.locator("main a[href='/indicators']").count() >= 1, "no way on from the 404 page"
    open_page(page, site, "/indicators/gross-value-added-per-hour-workd")
    assert page.locator(f"main a[href='/indicators/{GVA}']").count() >= 1, "a near-miss slug suggests the right page"
    for bad in ("/areas/E99999999", "/no/such/page"):
        assert open_page(page, site, bad).status == 404, bad
    for bad in (f"/indicators/{GVA}.xml", "/compare?areas=" + "x" * 20):
        status = open_page(page, site, bad).status
        assert status in (400, 404), f"{bad} answered {status}"
        assert "Traceback" not in page.content()
