"""Every page reads completely without JavaScript, fits a phone without sideways scrolling, and loads cleanly."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import PAGE_IDS, Site, open_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# What a reader gets from the main content: headings, text blocks, tables, figures and their text alternatives.
# textContent is used (not innerText) so that CSS-hidden-but-read text such as .visually-hidden counts too, but
# only for elements that are rendered (checkVisibility), so hiding content without JS would be caught.
READING = """() => {
  const main = document.querySelector('main');
  if (!main) return null;
  const t = el => (el.textContent || '').replace(/\\s+/g, ' ').trim();
  const shown = el => el.checkVisibility({visibilityProperty: true});
  const blocks = [...main.querySelectorAll(
      'h1, h2, h3, h4, h5, h6, p, li, dt, dd, th, td, caption, figcaption, pre, blockquote, summary, legend')]
    .filter(el => shown(el) && !el.closest('button, template, [role=status][aria-live]')).map(t).filter(Boolean);
  const svgText = [...main.querySelectorAll('svg > title, svg > desc')].map(t);
  return {
    headings: [...main.querySelectorAll('h1, h2, h3, h4, h5, h6')].filter(shown).map(h => h.tagName + ' ' + t(h)),
    tables: [...main.querySelectorAll('table')].filter(shown).map(tb => tb.rows.length),
    figures: [...main.querySelectorAll('figure')].filter(shown).length,
    svgs: [...main.querySelectorAll('svg')].filter(shown).length,
    blocks, svgText,
  };
}"""


@pytest.fixture
def page_without_js(no_js: Any) -> Iterator[Any]:
    p = no_js.new_page()
    yield p
    p.close()


@pytest.mark.parametrize("page_id", PAGE_IDS)
def test_page_reads_completely_without_javascript(site: Site, page: Any, page_without_js: Any, page_id: str) -> None:
    path = site.need_page(page_id)
    open_page(page, site, path)
    with_js = page.evaluate(READING)
    open_page(page_without_js, site, path)
    without = page_without_js.evaluate(READING)
    assert with_js is not None and without is not None, f"{path}: no <main>"
    assert without["headings"] and without["headings"][0].startswith("H1 "), f"{path}: no h1 first without JS"
    assert without["headings"] == with_js["headings"], f"{path}: headings differ without JS"
    assert without["tables"] == with_js["tables"], f"{path}: tables (rows per table) differ without JS"
    assert without["figures"] == with_js["figures"] and without["svgs"] == with_js["svgs"], f"{path}: figures differ"
    assert without["svgText"] == with_js["svgText"], f"{path}: chart/map text alternatives differ without JS"
    lost = Counter(with_js["blocks"]) - Counter(without["blocks"])
    assert not lost, f"{path}: text shown with JavaScript is missing without it: {list(lost)[:10]}"


MOBILE_OVERFLOW = """() => {
  const de = document.documentElement, width = de.clientWidth;
  // Does a scrolling/clipping ancestor contain this element's overflow? An absolutely positioned element is only
  // clipped by a scroller that is, or contains, its containing block (its nearest positioned ancestor).
  const scrolls = el => {
    const pos = getComputedStyle(el).position;
    if (pos === 'fixed') return false;
    let contained = pos !== 'absolute';
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const cs = getComputedStyle(p);
      if (!contained && cs.position !== 'static') contained = true;
      if (contained && ['auto', 'scroll', 'hidden', 'clip'].includes(cs.overflowX)) return true;
    }
    return false; };
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                     (el.classList.length ? '.' + [...el.classList].join('.') : '');
  const wide = [...document.body.querySelectorAll('*')].filter(el => {
      const r = el.getBoundingClientRect(); return r.width > 0 && r.right > width + 1 && !scrolls(el); });
  const where = el => {
    const c = el.parentElement && el.parentElement.closest('table, figure, section, nav, header, footer');
    return c ? ` in ${name(c)}` : ''; };
  const counts = new Map();
  for (const el of wide.filter(el => !wide.includes(el.parentElement))) {
    const key = `${name(el)}${where(el)}`;
    const right = Math.round(el.getBoundingClientRect().right);
    const had = counts.get(key) || {n: 0, right: 0};
    counts.set(key, {n: had.n + 1, right: Math.max(had.right, right)});
  }
  const outer = [...counts].slice(0, 8).map(([k, v]) => `${k} ×${v.n} (right edge up to ${v.right}px)`);
  return {width, scrollWidth: de.scrollWidth, bodyScrollWidth: document.body.scrollWidth, outer};
}"""


@pytest.fixture(scope="module")
def phones(browser: Any) -> Iterator[dict[int, Any]]:
    """One phone-sized context per width, reused across pages."""
    contexts: dict[int, Any] = {}
    for width in (375, 320):
        contexts[width] = browser.new_context(viewport={"width": width, "height": 812}, is_mobile=True, has_touch=True,
                                              device_scale_factor=2, locale="en-GB")  # fmt: skip
    yield contexts
    for ctx in contexts.values():
        ctx.close()


@pytest.mark.parametrize("width", [375, 320], ids=["375px", "320px-reflow"])
@pytest.mark.parametrize("page_id", PAGE_IDS)
def test_no_horizontal_scroll_on_a_phone(site: Site, phones: dict[int, Any], page_id: str, width: int) -> None:
    """375×812 (a common phone); 320 CSS px is WCAG 2.2 reflow (1.4.10). Tables may scroll inside their region."""
    path = site.need_page(page_id)
    page = phones[width].new_page()
    try:
        open_page(page, site, path)
        m = page.evaluate(MOBILE_OVERFLOW)
        assert m["scrollWidth"] <= m["width"] and m["bodyScrollWidth"] <= m["width"], (
            f"{path} at {width}px scrolls sideways: page {m['scrollWidth']}px wide in a {m['width']}px viewport; "
            f"too wide: {m['outer']}"
        )
        zoomable = page.evaluate("() => (document.querySelector('meta[name=viewport]') || {}).content || ''")
        assert "user-scalable=no" not in zoomable and "maximum-scale=1" not in zoomable, "zoom must not be blocked"
    finally:
        page.close()


@pytest.mark.parametrize("page_id", PAGE_IDS)
def test_page_loads_cleanly(site: Site, page: Any, page_id: str) -> None:
    """No script errors, no console errors, no broken stylesheet/script/image; the right status; a unique title."""
    path = site.need_page(page_id)
    errors: list[str] = []
    failed: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("requestfailed", lambda r: failed.append(f"{r.url} ({r.failure})"))

    def on_response(r: Any) -> None:
        if r.status >= 400 and r.request.resource_type != "document":
            failed.append(f"{r.url} → {r.status}")

    page.on("response", on_response)
    response = open_page(page, site, path)
    assert response.status == (404 if page_id == "not-found" else 200)
    assert response.headers.get("content-type", "").startswith("text/html")
    page.wait_for_load_state("networkidle")
    if page_id != "not-found":  # the 404 page may log its own status as a console error in Chromium
        assert not errors, f"{path}: {errors}"
    else:
        assert not [e for e in errors if not e.startswith("console error: Failed to load resource")], errors
    assert not failed, f"{path}: sub-resources failed: {failed}"
    title = page.title()
    assert title and title.count("–") <= 2 and len(title) < 120, title
    assert page.locator("html[lang]").count() == 1
    assert page.locator("main").count() == 1 and page.locator("h1").count() == 1, f"{path}: one main, one h1"
