"""Tables that fit (issue 14, item 2): at 1280 px no table is cut off; on phones a table either fits or scrolls
inside its own labelled region (role=region, a label, tabindex=0) with the first column fixed; no word is broken
in the middle, and the page itself never scrolls sideways."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import PAGE_IDS, Site, open_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TABLES = """() => [...document.querySelectorAll('main table')].filter(t => t.checkVisibility()).map(t => {
  const region = t.closest('[role=region]');
  const box = t.parentElement;
  const labelled = !!region && (!!region.getAttribute('aria-label') ||
    (!!region.getAttribute('aria-labelledby') && !!document.getElementById(region.getAttribute('aria-labelledby'))));
  const first = t.querySelector('tbody tr > :first-child');
  const cs = getComputedStyle(t);
  return {
    name: (t.caption ? t.caption.textContent : (region && region.getAttribute('aria-label')) || '').trim().slice(0, 60),
    tableWidth: t.scrollWidth, boxWidth: box.clientWidth,
    region: !!region, labelled, focusable: !!region && region.getAttribute('tabindex') === '0',
    regionScrolls: !!region && ['auto', 'scroll'].includes(getComputedStyle(region).overflowX),
    sticky: first ? getComputedStyle(first).position : '',
    wrap: [cs.overflowWrap, cs.wordBreak, cs.hyphens],
    linkWrap: [...t.querySelectorAll('a')].map(a => getComputedStyle(a).overflowWrap).filter(w => w !== 'normal'),
  };
})"""


def assert_tables_fit(tables: list[dict[str, Any]], path: str, width: int | str) -> None:
    """Each table (as TABLES reports it) breaks no word mid-word, and one wider than its box scrolls inside a
    labelled, focusable region with its first column fixed."""
    for t in tables:
        assert t["wrap"] == ["normal", "normal", "manual"], f"{path} at {width}px: {t['name']!r} may break words: {t}"
        if t["tableWidth"] > t["boxWidth"] + 1:
            assert t["region"] and t["labelled"] and t["focusable"] and t["regionScrolls"], (
                f"{path} at {width}px: {t['name']!r} ({t['tableWidth']}px in {t['boxWidth']}px) is cut off: {t}"
            )
            assert t["sticky"] == "sticky", f"{path} at {width}px: {t['name']!r}: the first column is not fixed"


@pytest.fixture(scope="module")
def contexts(browser: Any) -> Iterator[dict[int, Any]]:
    made = {w: browser.new_context(viewport={"width": w, "height": 900}, locale="en-GB") for w in (1280, 375, 320)}
    yield made
    for ctx in made.values():
        ctx.close()


@pytest.mark.parametrize("width", [1280, 375, 320])
@pytest.mark.parametrize("page_id", [p for p in PAGE_IDS if p != "not-found"])
def test_no_table_is_cut_off(site: Site, contexts: dict[int, Any], page_id: str, width: int) -> None:
    path = site.need_page(page_id)
    page = contexts[width].new_page()
    try:
        open_page(page, site, path)
        tables = page.evaluate(TABLES)
        page_width = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    finally:
        page.close()
    assert page_width[0] <= page_width[1], f"{path} at {width}px scrolls sideways: {page_width}"
    for t in tables:
        assert t["wrap"] == ["normal", "normal", "manual"], f"{path} at {width}px: {t['name']!r} may break words: {t}"
        assert not t["linkWrap"], f"{path} at {width}px: links in {t['name']!r} may break mid-word"
        fits = t["tableWidth"] <= t["boxWidth"] + 1
        if width >= 1280:
            assert fits, f"{path} at {width}px: {t['name']!r} is cut off ({t['tableWidth']}px in {t['boxWidth']}px)"
        elif not fits:
            assert t["region"] and t["labelled"] and t["focusable"] and t["regionScrolls"], (
                f"{path} at {width}px: {t['name']!r} ({t['tableWidth']}px in {t['boxWidth']}px) is not inside a "
                f"labelled, focusable scroll region: {t}"
            )
            assert t["sticky"] == "sticky", f"{path} at {width}px: {t['name']!r}: the first column is not fixed"
