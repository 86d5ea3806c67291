"""Printable PDF reports of the area pages and /invest, typeset by Chromium's print-to-PDF.

The page HTML is rendered by the site itself (in process, no server needed), its stylesheet inlined, and
printed by Debian's chromium driven by Playwright on A4 with the site's print stylesheet: the same charts
(server-rendered SVG), tables and sources as the page, with the release id and date in every page footer.
PDFs are cached per release in ``STORE/cache/<release>/reports/`` (releases are immutable) and written
atomically (temporary file + rename).
"""

from __future__ import annotations

import html
import os
import re
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Any

from observatory.store import Store

CHROMIUM = Path(os.environ.get("OBSERVATORY_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STATIC = Path(__file__).parent / "web" / "static"
NAME = re.compile(r"^[A-Za-z0-9-]{2,40}$")
STYLESHEET = re.compile(r'<link rel="stylesheet" href="/static/site\.css[^"]*">')
SCRIPT = re.compile(r'<script src="/static/[^"]*"[^>]*></script>')
_lock = threading.Lock()  # one Chromium at a time: a burst of report requests must not start ten browsers


class ReportError(Exception):
    """A report could not be made (unknown area, no browser); the message is one line for the user."""


def _inline(page_html: str) -> str:
    """The stylesheet inlined and the scripts dropped: the printed page needs nothing from a server."""
    css = (STATIC / "site.css").read_text(encoding="utf-8")
    out = STYLESHEET.sub(lambda _m: f"<style>{css}</style>", page_html)
    return SCRIPT.sub("", out)


def render_pdf(url_or_html: str, out_path: Path, *, title: str = "", footer: str = "") -> Path:
    """Print a URL (``http(s)://…``) or an HTML document to an A4 PDF at ``out_path`` (written atomically)."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise ReportError(f"no browser to typeset the PDF: {CHROMIUM} is missing (run scripts/setup-system.sh)")
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    small = 'style="font-size:8px;width:100%;margin:0 12mm;font-family:Arial,sans-serif;color:#333"'
    header = f"<div {small}>{html.escape(title)}</div>"
    pages = 'Page <span class="pageNumber"></span> of <span class="totalPages"></span>'
    foot = f'<div {small}><span>{html.escape(footer)}</span><span style="float:right">{pages}</span></div>'
    fd, tmp_name = tempfile.mkstemp(prefix=".report-", suffix=".pdf", dir=out_path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with _lock, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                if url_or_html.startswith(("http://", "https://")):
                    page.goto(url_or_html, wait_until="load")
                else:
                    page.set_content(url_or_html, wait_until="load")
                page.emulate_media(media="print")
                page.pdf(path=str(tmp), format="A4", print_background=True, display_header_footer=True,
                         header_template=header, footer_template=foot,
                         margin={"top": "16mm", "bottom": "16mm", "left": "12mm", "right": "12mm"})  # fmt: skip
            finally:
                browser.close()
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, out_path)
    except PlaywrightError as exc:
        raise ReportError(f"Chromium could not print the page: {str(exc).splitlines()[0]}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return out_path


def page_path(target: str) -> str:
    """The site page a report prints: ``invest`` → /invest, an area code or ``south-essex`` → /areas/{code}/all
    (every theme in full: the area page itself is a short summary with the detail one step away)."""
    if not NAME.match(target):
        raise ReportError(f"{target[:40]!r} is not an area code, south-essex or invest")
    return "/invest" if target == "invest" else f"/areas/{target}/all"


def report_folder(store: Store, release_id: str) -> Path:
    store.release_path(release_id)  # validates the id
    return store.cache_root() / release_id / "reports"


def report_pdf(app: Any, store: Store, release_id: str, target: str) -> Path:
    """The cached PDF of a page of this release, typeset on first request.

    ``app`` is the site's FastAPI app: the page is rendered through it in process, so the PDF shows exactly
    what the page shows for that release.
    """
    with warnings.catch_warnings():  # starlette's note about its httpx client is not the user's concern
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    path = page_path(target)
    out = report_folder(store, release_id) / f"{target}.pdf"
    if out.exists():
        return out
    with TestClient(app, raise_server_exceptions=True) as client:
        response = client.get(path, params={"release": release_id})
    if response.status_code == 404:
        raise ReportError(f"there is no page {path} in release {release_id}")
    if response.status_code != 200:
        raise ReportError(f"{path} answered {response.status_code}")
    found = re.search(r"<title>(.*?)</title>", response.text, re.S)
    title = html.unescape(found.group(1).strip()) if found else path
    info = store.info(release_id)
    footer = f"Data release {release_id}, built {info.created} UTC"
    return render_pdf(_inline(response.text), out, title=title, footer=footer)
