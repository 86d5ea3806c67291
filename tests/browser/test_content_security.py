"""Issue 11, item 3: every page type passes its own Content-Security-Policy in real Chromium.

The policy (``default-src 'self'``, no inline script or style) is the server's; the browser enforces it and
reports each blocked script, style, image or frame as a ``securitypolicyviolation`` event and a console error.
Both are collected from the moment the document starts, on every page type, and must be empty.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import PAGE_IDS, PAGES, Site, open_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LISTEN = """() => {
  window.__csp = [];
  document.addEventListener('securitypolicyviolation', e => window.__csp.push(
    `${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile || ''}:${e.lineNumber || ''}`));
}"""
EXTRA = {"api-docs": "/api/v1/docs"}


@pytest.mark.parametrize("page_id", [*PAGE_IDS, *EXTRA])
def test_no_content_security_policy_violation(site: Site, desktop: Any, page_id: str) -> None:
    path = EXTRA.get(page_id) or site.need_page(page_id)
    page = desktop.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(f"({LISTEN})()")
    try:
        response = open_page(page, site, path)
        policy = response.headers.get("content-security-policy", "")
        assert "default-src 'self'" in policy and "unsafe-inline" not in policy, f"{path}: policy {policy!r}"
        page.wait_for_load_state("networkidle")
        if page.locator("input[type=search]").count():  # site.js enhances search as you type
            page.locator("input[type=search]").first.fill("south")
            page.wait_for_timeout(500)
        violations = page.evaluate("() => window.__csp")
    finally:
        page.close()
    assert violations == [], f"{path}: {violations}"
    assert console == [], f"{path}: {console}"


def test_every_page_type_is_covered() -> None:
    assert {"home", "indicator", "area", "group", "compare", "search", "not-found"} <= set(PAGES)
