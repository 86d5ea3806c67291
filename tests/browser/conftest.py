"""One real server and one real browser per session, shared by every browser test.

The server is ``observatory serve`` on the full release built from ../shared/data (the ``full_build``
fixture), on a free loopback port. The browser is Debian's chromium (``/usr/bin/chromium``) driven by
Playwright (``playwright install`` cannot download here). axe-core comes from ``node_modules`` (npm).
``scripts/setup-system.sh`` installs chromium, wrk, fonts and node_modules; ``make test`` runs it.

A page a test is about must be served: a 404 (or any other unexpected status) fails the test (``Site.need``).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from observatory.pipeline.build import BuildReport
from observatory.reports import CHROMIUM, CHROMIUM_ARGS  # one place for the browser and its flags
from observatory.store import Store
from tests.conftest import observatory_command as observatory_command  # re-exported for the browser tests
from tests.conftest import serving as serve_process

REPO = Path(__file__).resolve().parents[2]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
GVA = "gross-value-added-per-hour-worked"
SOUTHEND = "E06000033"

# Every page type of the site, for real areas and indicators. "not-found" must answer 404; every other
# page must answer 200 (a 404 fails its tests).
PAGES: dict[str, str] = {
    "home": "/",
    "indicators": "/indicators",
    "indicator": f"/indicators/{GVA}",
    "areas": "/areas",
    "area": f"/areas/{SOUTHEND}",
    "group": "/areas/south-essex",
    "lsoa": "/areas/E01015814",  # a neighbourhood (LSOA 2011): Southend-on-Sea 003A
    "compare": f"/compare?areas={SOUTHEND},E06000034&indicators={GVA},employment-rate",
    "theme": "/themes/future-work",
    "search": "/search?q=southend",
    "changes": "/changes",
    "about": "/about",
    "methodology": "/methodology",
    "accessibility": "/accessibility",
    "strategy": "/strategy",
    "actions": "/strategy/actions",
    "invest": "/invest",
    "embed": f"/embed/indicators/{GVA}",
    "business": "/business",
    "business-area": "/business/E07000069",  # Castle Point
    "commuting": "/commuting",
    "commuting-area": f"/commuting/{SOUTHEND}",
    "future-work": "/future-work",
    "not-found": "/indicators/no-such-indicator",
}
PAGE_IDS = list(PAGES)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: real-browser tests (Playwright + Debian chromium + axe-core); run scripts/setup-system.sh"
    )


@dataclass
class Site:
    """The running server, plus a plain HTTP client for statuses and the pages' .json twins."""

    base: str
    client: httpx.Client = field(repr=False)
    _cache: dict[str, httpx.Response] = field(default_factory=dict, repr=False)

    def url(self, path: str) -> str:
        return self.base + path

    def get(self, path: str) -> httpx.Response:
        if path not in self._cache:
            self._cache[path] = self.client.get(self.url(path))
        return self._cache[path]

    def status(self, path: str) -> int:
        return self.get(path).status_code

    def need(self, path: str, expect: int = 200) -> None:
        """Fail on any unexpected status, a 404 included: a page the test is about must exist."""
        status = self.status(path)
        if status == expect:
            return
        body = " ".join(self.get(path).text.split())[:400]
        pytest.fail(f"{path} answered {status}, expected {expect}: {body}")

    def need_page(self, page_id: str) -> str:
        path = PAGES[page_id]
        self.need(path, 404 if page_id == "not-found" else 200)
        return path

    def json(self, path: str) -> Any:
        response = self.get(path)
        assert response.status_code == 200, f"{path} answered {response.status_code}"
        return response.json()


@contextmanager
def serving(store: Store, log: Path, env: dict[str, str] | None = None) -> Iterator[Site]:
    """``observatory serve`` on ``store`` on a free loopback port until the block ends (``env``: its environment)."""
    with serve_process(store.root, log, env=env) as base, httpx.Client(timeout=60, follow_redirects=False) as client:
        yield Site(base, client)


@pytest.fixture(scope="session")
def site(full_build: tuple[Store, BuildReport], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with serving(full_build[0], tmp_path_factory.mktemp("serve") / "serve.log") as running:
        yield running


def _prerequisites() -> list[str]:
    missing = []
    if importlib.util.find_spec("playwright") is None:
        missing.append("the Python package playwright (pip install -e '.[dev]')")
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    if not AXE.exists():
        missing.append(f"{AXE.relative_to(REPO)} (npm ci)")
    return missing


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    missing = _prerequisites()
    if missing:
        pytest.fail("browser tests need " + "; ".join(missing) + " — run scripts/setup-system.sh", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # A fresh, throw-away profile: Playwright's launch() gives every browser its own temporary user data dir.
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def desktop(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    ctx.set_default_timeout(30_000)
    yield ctx
    ctx.close()


@pytest.fixture(scope="session")
def no_js(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB", java_script_enabled=False)
    ctx.set_default_timeout(30_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(desktop: Any) -> Iterator[Any]:
    p = desktop.new_page()
    yield p
    p.close()


def open_page(page: Any, site: Site, path: str) -> Any:
    """Go to a page and wait until it has loaded; returns the main document's response."""
    response = page.goto(site.url(path), wait_until="load")
    assert response is not None, f"no response for {path}"
    return response


def norm(text: str | None) -> str:
    return " ".join((text or "").split())
