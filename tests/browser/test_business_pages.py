"""The business base, where people work and Future Work pages in Chromium: their content matches the
publishers' files (figures stated from PROVENANCE.md or read off the sheet), the flow map has its table,
and the pages read without JavaScript. Accessibility (axe-core), 375/320 px reflow and no-JS reading for
these pages run with every other page through ``PAGES`` in conftest.py."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Site, norm, open_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _rows(page: Any, caption_id: str) -> dict[str, list[str]]:
    cells: list[list[str]] = page.evaluate(
        """(id) => [...document.getElementById(id).closest('table').tBodies[0].rows].map(
             r => [...r.cells].map(c => c.textContent.replace(/\\s+/g, ' ').trim()))""",
        caption_id,
    )
    return {r[0]: r[1:] for r in cells}


def test_castle_point_business_base_shows_sizes_sectors_and_change(site: Site, page: Any) -> None:
    open_page(page, site, "/business/E07000069")
    assert norm(page.locator("h1").text_content()) == "Business base: Castle Point"
    sizes = _rows(page, "cap-sizes")
    # March 2022, size-band file (PROVENANCE.md: Castle Point 3,265); March 2018: 3,205 (2,950 micro).
    assert sizes["All sizes"][0] == "3,265"
    assert sizes["All sizes"][3].startswith("+60 ")  # 3,265 − 3,205
    assert "ownership" in norm(page.locator(".notice").text_content()).lower()
    matrix = _rows(page, "cap-matrix")
    assert len(matrix) == 18
    assert page.locator("a[href='/business/E07000069'][aria-current='page']").count() == 1


def test_south_essex_business_base_is_the_sum_of_the_six(site: Site, page: Any) -> None:
    open_page(page, site, "/business")
    sizes = _rows(page, "cap-sizes")
    # 2022 (PROVENANCE.md): 7,580 + 4,385 + 3,265 + 3,640 + 7,105 + 7,005
    assert sizes["All sizes"][0] == f"{7580 + 4385 + 3265 + 3640 + 7105 + 7005:,}"
    data = site.json("/business.json")
    assert data["area"]["code"] == "south-essex" and data["table"]
    csv_text = site.get("/business.csv").text
    assert csv_text.startswith("area_code,area_name,year,industry_code")


def test_commuting_page_has_its_flow_map_with_tables(site: Site, page: Any) -> None:
    open_page(page, site, "/commuting/E06000033")
    assert norm(page.locator("h1").text_content()) == "Where people work: Southend-on-Sea"
    residents = _rows(page, "cap-residents")
    # ODWP01EW, Southend-on-Sea: 4,267 of 83,281 employed residents work in London (PROVENANCE.md table).
    assert residents["London"] == ["4,267", f"{100 * 4267 / 83281:.1f}%"]
    assert residents["Mainly at or from home, or no fixed place"][0] == "40,617"
    svg = page.locator("figure.flow-figure svg")
    assert svg.count() == 1 and svg.get_attribute("role") == "img"
    assert "Southend-on-Sea" in norm(page.locator("#flow-title").text_content())
    out_rows = _rows(page, "cap-out")
    line_titles = page.locator("line.flow-out title").all_text_contents()
    assert len(out_rows) == 10 and len(line_titles) >= 1
    first = next(iter(out_rows))
    assert any(first in t for t in line_titles)  # the map's lines carry the table's places
    assert site.get("/commuting/E06000033.csv").text.startswith("area_code,area_name,direction")


def test_future_work_shows_apprenticeships_part_year_and_aps_intervals(site: Site, page: Any) -> None:
    open_page(page, site, "/future-work")
    text = norm(page.locator("main").text_content())
    assert "Provisional, and August to April only" in text
    starts = _rows(page, "cap-apprenticeship-starts")
    assert set(starts) >= {"Basildon", "South Essex", "England"}
    employment = _rows(page, "cap-aps-employment-rate")
    # Basildon Jan–Dec 2022: 103,200 ± 14,600 in employment of 117,900 aged 16–64 (PROVENANCE.md).
    rate, half = 100 * 103_200 / 117_900, 100 * 14_600 / 117_900
    assert employment["Basildon"][-1] == f"{rate:.1f}%{rate - half:.1f}% to {rate + half:.1f}%"
    unemployment = _rows(page, "cap-aps-unemployment-rate")
    assert unemployment["Brentwood"][0].startswith("not available")  # '!' in the file: never a number


def test_strategy_links_to_the_new_evidence(site: Site, page: Any) -> None:
    open_page(page, site, "/strategy")
    assert page.locator("#future-work ~ p a[href='/future-work'], a[href='/future-work']").count() >= 1
    assert page.locator("a[href='/business']").count() >= 1
    open_page(page, site, "/invest")
    assert page.locator("#labour-pool").count() == 1 and page.locator("#business-base").count() == 1
