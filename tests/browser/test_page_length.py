"""Pages that lead with the answer (issue 14, items 1 and 2) for the home page, indicator pages, /invest and
/strategy.

At 1280 × 800 each page reaches its last section heading (the last visible ``main h2``) within 4 viewport heights
(3,200 px) and shows its answer on the first screen: the home page's headline table, an indicator's South Essex
values, ranks and verdicts, the investor key figures. The rest is one step away in closed ``<details>`` that open
without JavaScript. With every ``<details>`` opened, the page never scrolls sideways; at 1280 px every table fits;
on phones (375 and 320 px) every table fits or scrolls inside a labelled, focusable region with its first column
fixed, no word breaks in the middle and no sentence is squeezed into a word a line (the /invest and /strategy trend
columns once made rows about 500 px tall). axe-core finds no WCAG 2.2 A/AA violation with details closed and open.

The area and group pages' cases are in ``test_page_length_areas.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import GVA, Site, open_page
from tests.browser.test_accessibility import describe_violations, run_axe
from tests.browser.test_tables import TABLES, assert_tables_fit

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTH, HEIGHT = 1280, 800
SCREENS = 4  # issue 14 item 1: "no page needs more than about 4 screen heights at 1280 px"
# A cell holding a sentence (over 100 characters) squeezed into a column under 150 px: on /invest and /strategy such
# columns (about a word a line) made rows about 500 px tall on phones
SENTENCE, NARROW = 100, 150

# Indicators of different shapes: with and without intervals, a count (a total), a snapshot, a long caveat and
# the freshness warning, a survey rate with suppressed values, a ratio.
INDICATORS = (
    GVA,
    "employment-rate",
    "housing-affordability-ratio-residence-based",
    "active-businesses",
    "gigabit-capable-broadband",
    "cancer-diagnosis-at-stage-1-and-2",
    "level-3-or-above-qualifications-great-britain",
    "modelled-unemployment-rate",  # the tallest of all 190 indicator pages when this test was written
)
# page -> the element that answers the question the page is visited for (it starts on the first screen)
ANSWER = (
    {"/": "table.headlines", "/invest": "table.key-figures"}
    | {f"/indicators/{slug}": "table.glance" for slug in INDICATORS}
    | {"/strategy": "section.programme"}
)  # /strategy: the first programme's outcomes, each authority's one step away
PAGES = list(ANSWER)
PHONE_PAGES = PAGES

LAYOUT = """() => {
  const headings = [...document.querySelectorAll('main h2')].filter(h => h.checkVisibility());
  const last = headings[headings.length - 1];
  return {last: last ? last.getBoundingClientRect().top + window.scrollY : null,
          lastText: last ? last.textContent.trim() : null, height: document.documentElement.scrollHeight};
}"""
ANSWER_TOP = """(sel) => { const el = document.querySelector(sel);
  return el && el.checkVisibility() ? el.getBoundingClientRect().top + window.scrollY : null; }"""
OPEN_ALL = "() => document.querySelectorAll('main details').forEach(d => { d.open = true; })"
SQUEEZED = """([sentence, narrow]) => [...document.querySelectorAll('main table')].filter(t => t.checkVisibility())
  .flatMap(t => [...t.querySelectorAll('tbody td, tbody th')].filter(c => c.checkVisibility()).map(c => ({
    table: (t.caption ? t.caption.textContent : '').trim().slice(0, 60),
    text: c.textContent.replace(/\\s+/g, ' ').trim(), width: Math.round(c.getBoundingClientRect().width),
    height: Math.round(c.getBoundingClientRect().height)})))
  .filter(c => c.text.length > sentence && c.width < narrow).map(c => ({...c, text: c.text.slice(0, 60)}))"""


@pytest.fixture(scope="module")
def contexts(browser: Any) -> Iterator[dict[str, Any]]:
    made = {
        "desktop": browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, locale="en-GB"),
        "no-js": browser.new_context(
            viewport={"width": WIDTH, "height": HEIGHT}, locale="en-GB", java_script_enabled=False
        ),
        "375": browser.new_context(viewport={"width": 375, "height": HEIGHT}, locale="en-GB"),
        "320": browser.new_context(viewport={"width": 320, "height": HEIGHT}, locale="en-GB"),
    }
    yield made
    for ctx in made.values():
        ctx.close()


def _open(site: Site, ctx: Any, path: str) -> Any:
    site.need(path)
    page = ctx.new_page()
    open_page(page, site, path)
    return page


@pytest.mark.parametrize("path", PAGES)
def test_last_section_heading_within_four_screens_and_the_answer_first(
    site: Site, contexts: dict[str, Any], path: str
) -> None:
    page = _open(site, contexts["desktop"], path)
    try:
        layout = page.evaluate(LAYOUT)
        answer = page.evaluate(ANSWER_TOP, ANSWER[path])
    finally:
        page.close()
    assert layout["last"] is not None, f"{path} has no section heading (main h2)"
    assert layout["last"] <= SCREENS * HEIGHT, (
        f"{path} at {WIDTH}×{HEIGHT}: its last section heading {layout['lastText']!r} is at {layout['last']:.0f} px, "
        f"beyond {SCREENS} screens ({SCREENS * HEIGHT} px); page height {layout['height']} px"
    )
    assert answer is not None, f"{path}: the answer ({ANSWER[path]}) is not shown"
    assert answer < HEIGHT, f"{path}: the answer ({ANSWER[path]}) starts at {answer:.0f} px, below the first screen"


@pytest.mark.parametrize("path", [f"/indicators/{GVA}", "/invest"])
def test_the_rest_opens_without_javascript(site: Site, contexts: dict[str, Any], path: str) -> None:
    """Each closed <details> opens with a click in a browser without JavaScript and shows what its summary
    promises; the long tables (the ranked table of every authority, the investor detail) are among them."""
    page = _open(site, contexts["no-js"], path)
    try:
        details = page.locator("main details:not([open])").element_handles()  # fixed: opening one changes the set
        assert len(details) >= 2, f"{path}: nothing is kept one step away"
        hidden_tables = page.evaluate(
            "() => [...document.querySelectorAll('main details:not([open]) table')]"
            ".filter(t => !t.checkVisibility()).length"
        )
        assert hidden_tables >= 1, f"{path}: no long table is one step away"
        for i, d in enumerate(details):
            if not d.is_visible():  # a <details> inside another closed one opens with its parent
                continue
            d.query_selector(":scope > summary").click()
            assert d.evaluate("d => d.open"), f"{path}: details {i} did not open"
            shown = d.evaluate(
                "d => [...d.children].filter(c => c.tagName !== 'SUMMARY' && c.checkVisibility()).length"
            )
            assert shown >= 1, f"{path}: details {i} opened but shows nothing"
        if path.startswith("/indicators/"):
            assert page.locator("table.ranked").is_visible(), "the ranked table is not shown once opened"
            assert page.locator("table.ranked tbody tr").count() >= 300
        else:
            assert page.locator('table.data:has(th:text-is("Neighbours\' median"))').count() >= 5
    finally:
        page.close()


@pytest.mark.parametrize("width", ["1280", "375", "320"])
@pytest.mark.parametrize("path", PHONE_PAGES)
def test_no_sideways_scroll_no_cut_off_table_no_squeezed_rows_with_everything_open(
    site: Site, contexts: dict[str, Any], path: str, width: str
) -> None:
    page = _open(site, contexts["desktop" if width == "1280" else width], path)
    try:
        page.evaluate(OPEN_ALL)
        tables = page.evaluate(TABLES)
        squeezed = page.evaluate(SQUEEZED, [SENTENCE, NARROW])
        page_width = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    finally:
        page.close()
    assert page_width[0] <= page_width[1], f"{path} at {width}px scrolls sideways: {page_width}"
    assert tables, f"{path}: no table found"
    assert_tables_fit(tables, path, width)
    for t in tables:
        assert not t["linkWrap"], f"{path} at {width}px: links in {t['name']!r} may break mid-word"
        fits = t["tableWidth"] <= t["boxWidth"] + 1
        assert fits or width != "1280", (
            f"{path} at 1280px: {t['name']!r} is cut off ({t['tableWidth']}px in {t['boxWidth']}px)"
        )
    assert not squeezed, f"{path} at {width}px: sentences squeezed into columns under {NARROW}px: {squeezed[:5]}"


@pytest.mark.parametrize("width", ["desktop", "375"])
@pytest.mark.parametrize("path", ["/", f"/indicators/{GVA}", "/invest"])
def test_axe_finds_no_violations_with_details_closed_and_open(
    site: Site, contexts: dict[str, Any], path: str, width: str
) -> None:
    page = _open(site, contexts[width], path)
    try:
        closed = run_axe(page)
        page.evaluate(OPEN_ALL)
        opened = run_axe(page)
    finally:
        page.close()
    for state, result in (("closed", closed), ("open", opened)):
        assert not result["violations"], (
            f"axe-core {result['version']} on {path} at {width} with details {state}:\n"
            + describe_violations(result["violations"])
        )
