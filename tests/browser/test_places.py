"""Finding a place on a phone (375 px, Chromium): by name or postcode, with and without JavaScript.

Expected authorities are from the publishers' files: Canvey Island is a parish of Castle Point (E04003950 →
E07000069 in ons-places/ap_places.csv), Grays's wards are Thurrock's (E05002235/6 → E06000034), Billericay
a parish of Basildon (E04003870 → E07000066), Rayleigh a parish of Rochford (E04004087 → E07000075), and
SS1 1AA's centroid (51.54352, 0.71240 in postcodes-nspl-latlon/SS.csv) is in Southend-on-Sea, whose
postcode districts SS0/SS1 lie wholly in it (postcodes-nspl-latlon/PROVENANCE.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import Site, norm, open_page
from tests.browser.test_accessibility import describe_violations, run_axe

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WANTED = [
    ("Canvey Island", "Castle Point"),
    ("Grays", "Thurrock"),
    ("Billericay", "Basildon"),
    ("Rayleigh", "Rochford"),
    ("SS1 1AA", "Southend-on-Sea"),
]
WARD = "/areas/E05002225"  # Victoria ward, Southend-on-Sea (wards2025/E06000033.geojson)
NEIGHBOURHOOD = "/areas/E02004473"  # "Benfleet North" (msoa21_names.csv), Castle Point 001
CUSTOM = "/areas/custom?name=Grays&wards=E05002235,E05002236"
PICKER = "/areas/custom"
SEARCH = "/search?q=Canvey+Island"
PHONE = {"width": 375, "height": 812}


@pytest.fixture(scope="module")
def phone(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport=PHONE, locale="en-GB", is_mobile=True, has_touch=True)
    ctx.set_default_timeout(30_000)
    yield ctx
    ctx.close()


@pytest.fixture(scope="module")
def phone_no_js(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport=PHONE, locale="en-GB", java_script_enabled=False)
    ctx.set_default_timeout(30_000)
    yield ctx
    ctx.close()


def _on_the_place_page(page: Any, authority: str, q: str) -> None:
    assert re.search(r"/areas/", page.url), f"{q!r} ended on {page.url}, not a place page"
    main = norm(page.locator("main").inner_text())
    assert authority in main, f"{q!r} reached {page.url}, which does not name {authority}"
    h1 = norm(page.locator("h1").inner_text())
    if not re.match(r"SS1", q):
        assert h1 == q, f"{q!r} reached a page headed {h1!r}"


# A point of the screen where the shape itself (not a neighbour over its bounding box) takes the tap.
INSIDE = """(a) => {
  const path = a.querySelector('path');
  const box = path.getBoundingClientRect();
  for (let i = 1; i < 20; i++) for (let j = 1; j < 20; j++) {
    const x = box.left + box.width * i / 20, y = box.top + box.height * j / 20;
    const hit = document.elementFromPoint(x, y);
    if (hit && a.contains(hit)) return {x, y};
  }
  return null;
}"""


def _tap(page: Any, link: Any) -> None:
    link.scroll_into_view_if_needed()
    point = link.evaluate(INSIDE)
    assert point, "no point of the shape can be tapped"
    with page.expect_navigation():
        page.touchscreen.tap(point["x"], point["y"])


@pytest.mark.parametrize(("q", "authority"), WANTED)
def test_type_and_choose_a_suggestion_with_javascript(site: Site, phone: Any, q: str, authority: str) -> None:
    """Interaction 1: type in the header's search box; interaction 2: tap the first suggestion."""
    page = phone.new_page()
    try:
        open_page(page, site, "/")
        box = page.get_by_label("Search places, postcodes and indicators").first
        box.fill(q)
        option = page.locator("[role=option]").first
        option.wait_for(state="visible")
        assert q.split()[0].lower() in norm(option.inner_text()).lower(), norm(option.inner_text())
        with page.expect_navigation():
            option.dispatch_event("mousedown")
        page.wait_for_load_state("load")
        _on_the_place_page(page, authority, q)
    finally:
        page.close()


@pytest.mark.parametrize(("q", "authority"), WANTED)
def test_type_submit_and_tap_without_javascript(site: Site, phone_no_js: Any, q: str, authority: str) -> None:
    """Without a script: type and press Enter (1), tap the first result (2)."""
    page = phone_no_js.new_page()
    try:
        open_page(page, site, "/")
        box = page.get_by_label("Search places, postcodes and indicators").first
        box.fill(q)
        with page.expect_navigation():
            box.press("Enter")
        first = page.locator("main section[aria-labelledby^=found-] a").first
        with page.expect_navigation():
            first.click()
        _on_the_place_page(page, authority, q)
    finally:
        page.close()


def test_tapping_an_area_on_a_neighbourhood_map_opens_its_page(site: Site, phone: Any) -> None:
    page = phone.new_page()
    try:
        open_page(page, site, NEIGHBOURHOOD)
        links = page.locator("#place-map-figure svg a")
        assert links.count() == 12, "Castle Point has 12 neighbourhoods (MSOA 2021), each a link on the map"
        other = page.locator("#place-map-figure svg a[href='/areas/E02004480']")  # Canvey Island Winter Gardens
        assert other.get_attribute("aria-label") == "Canvey Island Winter Gardens"
        _tap(page, other)
        assert page.url.endswith("/areas/E02004480")
        assert norm(page.locator("h1").inner_text()) == "Canvey Island Winter Gardens"
        open_page(page, site, "/areas/E07000069")  # the authority's decile map of 2011 neighbourhoods
        lsoa = page.locator("#map-neighbourhoods a").first
        href = lsoa.get_attribute("href")
        assert href and href.startswith("/areas/E01"), href
        _tap(page, lsoa)
        assert page.url.endswith(href)
    finally:
        page.close()


def test_the_neighbourhoods_are_reachable_from_the_top_of_an_authority_page(site: Site, phone: Any) -> None:
    page = phone.new_page()
    try:
        open_page(page, site, "/areas/E06000033")
        jump = page.locator("main p.jump a[href='/areas/E06000033/neighbourhoods']")  # one step away (issue 14)
        box = jump.bounding_box()
        assert box is not None and box["y"] < 1200, f"the link to the neighbourhoods is at y={box}"
        jump.click()
        page.wait_for_load_state()
        assert page.locator("#neighbourhoods").count() == 1
        assert page.locator("#wards ~ * a[href^='/areas/E05'], #wards + details a[href^='/areas/E05']").count() >= 17
    finally:
        page.close()


@pytest.mark.parametrize("path", [WARD, NEIGHBOURHOOD, CUSTOM, PICKER, SEARCH, "/search?q=SS0"])
def test_place_pages_pass_axe_and_fit_320_px(site: Site, browser: Any, path: str) -> None:
    ctx = browser.new_context(viewport={"width": 320, "height": 800}, locale="en-GB")
    page = ctx.new_page()
    try:
        response = open_page(page, site, path)
        assert response.status == 200, f"{path} answered {response.status}"
        result = run_axe(page)
        assert not result["violations"], f"axe on {path}:\n" + describe_violations(result["violations"])
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 320, f"{path} scrolls sideways at 320 px (content {width} px wide)"
    finally:
        ctx.close()


def test_map_legend_and_labels_are_legible_at_375_px(site: Site, phone: Any) -> None:
    page = phone.new_page()
    try:
        open_page(page, site, CUSTOM)
        sizes = page.evaluate(
            "() => [...document.querySelectorAll('#place-map-figure svg text')]"
            ".map(t => t.getBoundingClientRect().height)"
        )
        assert sizes, "the place map names the chosen wards"
        assert min(sizes) >= 12, f"map labels render {min(sizes):.1f} px high at 375 px"
        open_page(page, site, "/areas/E06000033")
        legend = page.evaluate(
            "() => [...document.querySelectorAll('.neighbourhood-map .map-legend li')]"
            ".map(t => parseFloat(getComputedStyle(t).fontSize))"
        )
        assert len(legend) == 11 and min(legend) >= 12, f"decile legend text at 375 px: {legend}"
    finally:
        page.close()
