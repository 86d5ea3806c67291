"""Area and group pages that lead with the answer (issue 14, item 1), in Chromium.

- At 1280×800 the page reaches its last section heading (the last visible ``main h2``) within 4 screen heights,
  and opens with the headline figures, each with a one-word verdict against England written as a word (a colour
  alone would not do: every verdict chip has one of the page's verdict words as its text).
- Without JavaScript the short page is the same, and the at-a-glance tables open (native ``<details>``).
- At 375 and 320 px, with every ``<details>`` opened: the page never scrolls sideways and no table is cut off
  (it fits, or scrolls inside a labelled, focusable region with its first column fixed — the rule of
  ``test_tables.py``); axe-core finds no WCAG 2.2 A/AA violation on the short page and its detail pages.

The measured heights are printed (``pytest -s``) so a change in length can be read from the log.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import Site, open_page
from tests.browser.test_accessibility import describe_violations, run_axe
from tests.browser.test_tables import TABLES, assert_tables_fit

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AUTHORITIES = ("E07000066", "E07000068", "E07000069", "E07000075", "E06000033", "E06000034")
SHORT_PAGES = [f"/areas/{c}" for c in (*AUTHORITIES, "south-essex")]
VIEWPORT = {"width": 1280, "height": 800}
MAX_SCREENS = 4
WORDS = {"Better", "Similar", "Worse", "Higher", "Lower", "Not tested", "Not compared", "No comparison"}

LAST_HEADING = """() => {
  const hs = [...document.querySelectorAll('main h2')].filter(h => h.checkVisibility());
  const last = hs[hs.length - 1];
  return {first: hs.length ? hs[0].textContent.trim() : null, last: last ? last.textContent.trim() : null,
          top: last ? last.getBoundingClientRect().top + window.scrollY : null};
}"""
OPEN_ALL = "() => document.querySelectorAll('main details').forEach(d => d.open = true)"
SIDEWAYS = "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"


@pytest.fixture(scope="module")
def contexts(browser: Any) -> Iterator[dict[str, Any]]:
    made = {
        "1280": browser.new_context(viewport=VIEWPORT, locale="en-GB"),
        "no-js": browser.new_context(viewport=VIEWPORT, locale="en-GB", java_script_enabled=False),
        "375": browser.new_context(viewport={"width": 375, "height": 800}, locale="en-GB"),
        "320": browser.new_context(viewport={"width": 320, "height": 800}, locale="en-GB"),
    }
    yield made
    for ctx in made.values():
        ctx.close()


@pytest.mark.parametrize("js", ["1280", "no-js"])
@pytest.mark.parametrize("path", SHORT_PAGES)
def test_area_page_reaches_its_last_section_within_four_screens(
    site: Site, contexts: dict[str, Any], path: str, js: str
) -> None:
    site.need(path)
    page = contexts[js].new_page()
    try:
        open_page(page, site, path)
        found = page.evaluate(LAST_HEADING)
        cards = page.locator("main .cards > li")
        n_cards = cards.count()
        card_words = [cards.nth(i).locator(".card-verdict .chip").all_text_contents() for i in range(n_cards)]
        chips = page.locator("main .chip").all_text_contents()  # also those in closed <details>
        # the glance tables open without a script: the first theme's table becomes visible on a click
        summary = page.locator("main details.glance-theme > summary").first
        table = page.locator("main details.glance-theme table").first
        hidden_before = not table.is_visible()
        summary.click()
        shown_after = table.is_visible()
    finally:
        page.close()
    limit = MAX_SCREENS * VIEWPORT["height"]
    print(f"{path} ({js}): last section heading {found['last']!r} at {found['top']:.0f} px (limit {limit} px)")
    assert found["first"] == "Headline figures", f"{path}: the page does not lead with its headline figures: {found}"
    assert found["top"] is not None and found["top"] <= limit, (
        f"{path}: the last section heading {found['last']!r} is at {found['top']:.0f} px, more than "
        f"{MAX_SCREENS} screens of {VIEWPORT['height']} px"
    )
    assert n_cards >= 4, f"{path}: only {n_cards} headline figures"
    for words in card_words:  # an authority: one verdict per card; a group: one count per verdict of its members
        assert words and all(w.strip() for w in words), f"{path}: a headline figure without a verdict in words"
    for chip in chips:  # never colour alone: every coloured verdict carries its word
        text = " ".join(chip.split())
        assert text in WORDS or text.split(" ", 1)[-1].capitalize() in WORDS, f"{path}: verdict chip {chip!r}"
    assert hidden_before and shown_after, f"{path}: the at-a-glance table does not open as a <details> should"


@pytest.mark.parametrize("width", ["375", "320"])
@pytest.mark.parametrize("path", [*SHORT_PAGES, "/areas/E06000034/future-work", "/areas/south-essex/future-work"])
def test_area_pages_fit_a_phone(site: Site, contexts: dict[str, Any], path: str, width: str) -> None:
    site.need(path)
    page = contexts[width].new_page()
    try:
        open_page(page, site, path)
        page.evaluate(OPEN_ALL)
        tables = page.evaluate(TABLES)
        sideways = page.evaluate(SIDEWAYS)
    finally:
        page.close()
    assert sideways[0] <= sideways[1], f"{path} at {width}px scrolls sideways: {sideways}"
    assert tables, f"{path}: no table"
    assert_tables_fit(tables, path, width)


@pytest.mark.parametrize(
    "path",
    ["/areas/E06000034", "/areas/south-essex", "/areas/E06000034/future-work", "/areas/south-essex/enterprise-growth",
     "/areas/E06000033/neighbourhoods"],
)  # fmt: skip
def test_axe_finds_no_violations_on_area_pages_opened_in_full(site: Site, contexts: dict[str, Any], path: str) -> None:
    site.need(path)
    page = contexts["1280"].new_page()
    try:
        open_page(page, site, path)
        page.evaluate(OPEN_ALL)
        result = run_axe(page)
    finally:
        page.close()
    violations = result["violations"]
    assert not violations, f"axe-core found {len(violations)} violation(s) on {path}:\n" + describe_violations(
        violations
    )


def test_every_theme_is_one_step_away(site: Site) -> None:
    """Each theme of the short page links to its own detail page, which answers and names the theme."""
    for path in ("/areas/E06000034", "/areas/south-essex"):
        data = site.json(f"{path}.json")
        html = site.get(path).text
        for s in data["glance"]["sections"]:
            link = f"{path}/{s['slug']}"
            assert f'href="{link}"' in html, f"{path}: no link to {link}"
            site.need(link)
            assert f"<h1>{data['area']['name']}: {s['name']}</h1>" in site.get(link).text
