"""An indicator chart embedded on another site (issue 14, item 3): the embed page loads alone inside an iframe on
a page of another origin (a second real HTTP server), with no Content-Security-Policy violation, and shows the
chart with its source."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.browser.conftest import GVA, Site
from tests.conftest import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def partner(site: Site) -> Iterator[str]:
    """A partner's web page on another origin (localhost:<other port>) that frames the embed page."""
    embed = site.url(f"/embed/indicators/{GVA}?areas=E06000034,E06000033")
    body = (f'<!DOCTYPE html><html lang="en"><head><title>Partner</title><link rel="icon" href="data:,"></head>'
            f'<body><h1>Partner</h1><iframe src="{embed}" title="GVA chart" width="700" height="640"></iframe>'
            f"</body></html>").encode()  # fmt: skip

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_embed_page_renders_alone_in_a_frame_on_another_site(site: Site, desktop: Any, partner: str) -> None:
    page = desktop.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    try:
        page.goto(partner, wait_until="load")
        frame = page.frame_locator("iframe")
        frame.locator("figure.chart svg").first.wait_for(state="visible", timeout=30_000)
        assert frame.locator("h1").inner_text() == "Gross value added per hour worked over time"
        assert "Source: Office for National Statistics" in frame.locator(".embed-source").inner_text()
        inner = next(f for f in page.frames if f.url.startswith(site.base))
        assert inner.evaluate("() => window.top !== window")  # it really is framed, by another origin
        assert not problems, problems  # a refused frame or a CSP violation is logged as a console error
    finally:
        page.close()
