"""WCAG 2.2 A/AA with axe-core, and the keyboard: every control reachable by Tab, in order, with visible focus."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import AXE, PAGE_IDS, Site, open_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

RUN_AXE = """async (tags) => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return {version: axe.version, violations: r.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, tags: v.tags.filter(t => t.startsWith('wcag')),
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160),
                              summary: (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 300)}))}))};
}"""


def run_axe(page: Any) -> dict[str, Any]:
    # evaluated through the DevTools protocol: the pages' Content-Security-Policy forbids inline script tags
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result: dict[str, Any] = page.evaluate(RUN_AXE, AXE_TAGS)
    return result


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}; {', '.join(v['tags'])}): {v['help']} — {len(v['nodes'])} node(s)")
        for n in v["nodes"][:8]:
            lines.append(f"    {n['target']}  {n['html']!r}")
            lines.append(f"      {n['summary']}")
        if len(v["nodes"]) > 8:
            lines.append(f"    … and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


@pytest.mark.parametrize("page_id", PAGE_IDS)
def test_axe_finds_no_wcag22_a_aa_violations(site: Site, page: Any, page_id: str) -> None:
    path = site.need_page(page_id)
    open_page(page, site, path)
    result = run_axe(page)
    violations = result["violations"]
    assert not violations, (
        f"axe-core {result['version']} found {len(violations)} WCAG A/AA violation(s) on {path}:\n"
        + describe_violations(violations)
    )


# --------------------------------------------------------------------------------------------------------------
# Keyboard

# Marks every element a keyboard user should be able to Tab to (DOM order; no positive tabindex expected), and
# records its look before it is focused: the element's own style, its parent's and its labels'.
MARK_FOCUSABLE = """() => {
  const sel = 'a[href], area[href], button, input:not([type=hidden]), select, textarea, summary, iframe, ' +
              '[tabindex], [contenteditable=""], [contenteditable=true], audio[controls], video[controls]';
  let nodes = [...document.querySelectorAll(sel)];
  try { nodes = [...new Set([...nodes, ...document.querySelectorAll('a[*|href]')])]
          .sort((a, b) => a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1); } catch (e) {}
  const seenRadio = new Set();
  const els = nodes.filter(el => {
    if (el.matches(':disabled') || el.closest('[inert]')) return false;
    const ti = el.getAttribute('tabindex');
    if (ti !== null && parseInt(ti, 10) < 0) return false;
    if (el.tagName === 'SUMMARY' && el.parentElement.tagName !== 'DETAILS') return false;
    if (!el.checkVisibility({visibilityProperty: true})) return false;
    if (el.type === 'radio') {
      const group = el.form ? el.form.querySelectorAll(`input[type=radio][name="${CSS.escape(el.name)}"]`) : [];
      const chosen = [...group].find(r => r.checked) || group[0] || el;
      if (seenRadio.has(el.name) || chosen !== el) return false;
      seenRadio.add(el.name);
    }
    return true;
  });
  const look = el => { if (!el) return ''; const s = getComputedStyle(el);
    return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow, s.backgroundColor, s.color,
            s.borderTopColor, s.borderBottomColor, s.borderBottomWidth, s.textDecorationLine,
            s.textDecorationThickness].join('|'); };
  const looks = el => [look(el), look(el.parentElement), ...[...(el.labels || [])].map(look)];
  window.__kb = {looks};
  return els.map((el, i) => {
    el.setAttribute('data-kb-index', String(i));
    const name = (el.getAttribute('aria-label') || el.textContent || el.value || el.id || '')
      .trim().replace(/\\s+/g, ' ');
    return {i, what: `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} "${name.slice(0, 50)}"`,
            look: looks(el), positive: parseInt(el.getAttribute('tabindex') || '0', 10) > 0};
  });
}"""

# What has focus now: which marked element, how it looks, whether it is on screen.
FOCUS_INFO = """(el) => {
  if (!el || el === document.body || el === document.documentElement) return null;
  const r = el.getBoundingClientRect();
  const s = getComputedStyle(el);
  const name = (el.getAttribute('aria-label') || el.textContent || el.value || el.id || '')
    .trim().replace(/\\s+/g, ' ');
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0
    && !/rgba\\(.*, 0\\)$/.test(s.outlineColor);
  return {index: el.hasAttribute('data-kb-index') ? parseInt(el.getAttribute('data-kb-index'), 10) : null,
          what: `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} "${name.slice(0, 50)}"`,
          look: window.__kb ? window.__kb.looks(el) : [], outline,
          onScreen: r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0 &&
                    r.left < window.innerWidth && r.top < window.innerHeight,
          inMain: !!el.closest('main')};
}"""
FOCUS_NOW = f"() => ({FOCUS_INFO})(document.activeElement)"

# Records every focus change as it happens (the look is read while the element has focus), so a long page can be
# tabbed through without a round trip per key.
RECORD_FOCUS = f"""() => {{
  const info = {FOCUS_INFO};
  window.__trail = [];
  document.addEventListener('focusin', e => window.__trail.push(info(e.target)), true);
}}"""


def tab_through(page: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Press Tab from the top of the page, once per control and a few more, recording where focus goes."""
    expected: list[dict[str, Any]] = page.evaluate(MARK_FOCUSABLE)
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    page.evaluate(RECORD_FOCUS)
    presses = len(expected) + 10
    trail: list[dict[str, Any] | None] = []
    while presses > 0:
        chunk = min(presses, 60)
        for _ in range(chunk):
            page.keyboard.press("Tab")
        presses -= chunk
        trail = page.evaluate("() => window.__trail")
        indexes = [t["index"] for t in trail if t is not None and t["index"] is not None]
        if len(set(indexes)) < len(indexes):
            break  # focus has come round to the top again
    reached: list[dict[str, Any]] = []
    seen: set[int] = set()
    for now in trail:
        if now is None:
            continue
        if now["index"] is not None:
            if now["index"] in seen:
                break
            seen.add(now["index"])
        reached.append(now)
    return expected, reached


def focus_visible(before: list[str], now: dict[str, Any]) -> bool:
    """Focus is visible when a real outline shows, or the element, its parent or its label changes look."""
    if now["outline"] and now["look"][0].split("|")[:3] != before[0].split("|")[:3]:
        return True
    return any(a != b for a, b in zip(before, now["look"], strict=False))


@pytest.mark.parametrize("page_id", PAGE_IDS)
def test_every_control_is_reachable_by_tab_in_order_with_visible_focus(site: Site, page: Any, page_id: str) -> None:
    path = site.need_page(page_id)
    open_page(page, site, path)
    expected, reached = tab_through(page)
    assert expected, f"{path}: no focusable elements at all"

    positive = [e["what"] for e in expected if e["positive"]]
    assert not positive, f"{path}: positive tabindex breaks the reading order: {positive}"

    seen = [r["index"] for r in reached if r["index"] is not None]
    unreachable = [e["what"] for e in expected if e["i"] not in set(seen)]
    assert not unreachable, f"{path}: {len(unreachable)} control(s) never receive focus by Tab: {unreachable[:20]}"

    out_of_order = [(reached[k]["what"]) for k in range(1, len(seen)) if seen[k] <= seen[k - 1]]
    assert not out_of_order, f"{path}: Tab order differs from the reading order at {out_of_order[:10]}"

    by_index = {e["i"]: e for e in expected}
    invisible = [
        r["what"] for r in reached if r["index"] is not None and not focus_visible(by_index[r["index"]]["look"], r)
    ]
    assert not invisible, f"{path}: {len(invisible)} element(s) show no visible focus style: {invisible[:20]}"

    hidden = [r["what"] for r in reached if not r["onScreen"]]
    assert not hidden, f"{path}: focus lands on element(s) that are off screen or have no size: {hidden[:20]}"


@pytest.mark.parametrize("page_id", ["home", "indicator", "area", "not-found"])
def test_skip_link_is_first_and_moves_focus_to_main(site: Site, page: Any, page_id: str) -> None:
    path = site.need_page(page_id)
    open_page(page, site, path)
    page.keyboard.press("Tab")
    first = page.evaluate(FOCUS_NOW)
    assert first is not None and "skip" in first["what"].lower(), f"{path}: the first Tab stop is {first}"
    assert first["onScreen"], f"{path}: the skip link does not become visible when focused"
    href = page.evaluate("() => document.activeElement.getAttribute('href')")
    assert href and href.startswith("#"), f"{path}: skip link href {href!r}"
    target = href[1:]
    assert page.locator(f"main#{target}, #{target} >> nth=0").count() == 1, f"{path}: no element #{target}"
    page.keyboard.press("Enter")
    assert page.evaluate("() => location.hash") == href
    active = page.evaluate("() => document.activeElement && document.activeElement.id")
    assert active == target, f"{path}: after the skip link, focus is on {active!r}, not #{target}"
    if page.locator(f"#{target} a[href], #{target} button, #{target} input, #{target} [tabindex='0']").count():
        page.keyboard.press("Tab")
        assert page.evaluate("() => !!document.activeElement.closest('main')"), (
            f"{path}: the Tab after the skip link does not land inside main"
        )
