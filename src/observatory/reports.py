"""Printable PDF reports of an area (authority, county, region or group) and of the investor evidence pack.

Designed for paper, not printed from the web page: dedicated templates (``report_area.html``,
``report_invest.html``, with ``static/report.css``) are filled from the same data functions as the pages
(``area_page``, ``invest_page``), so every figure agrees with the page, its JSON and the API, and typeset by
Debian's chromium (Playwright's print-to-PDF) on A4: a cover with the key figures, a section per programme,
tables at the page width, spine charts with their sources, and on every page the report's title, the data
release id and date and "Page n of N". Links are absolute (``base_url``) or plain text, so none is dead.
PDFs are cached per release and layout in ``STORE/cache/<release>/reports/`` (releases are immutable; a change
of the templates changes the layout hash in the file name) and written atomically (temporary file + rename).
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import tempfile
import threading
from pathlib import Path
from typing import Any

from markupsafe import Markup

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
WEB = Path(__file__).parent / "web"
STYLESHEET = WEB / "static" / "report.css"
LAYOUT_FILES = (STYLESHEET, *(WEB / "templates" / n for n in ("report_base.html", "report_area.html",
                                                               "report_invest.html")), Path(__file__))  # fmt: skip
NAME = re.compile(r"^[A-Za-z0-9-]{2,40}$")
RANK = re.compile(r"ranks \d+(?:st|nd|rd|th) of \d+")
_lock = threading.Lock()  # one Chromium at a time: a burst of report requests must not start ten browsers


class ReportError(Exception):
    """A report could not be made (unknown area, no browser); the message is one line for the user."""


class NoSuchReport(ReportError):
    """The target names no report the observatory makes (the site answers 404)."""


def report_targets(config: Any) -> list[str]:
    """Every report the observatory makes: each area of interest (the six South Essex authorities, by GSS code),
    each configured group (``south-essex``) and ``invest`` (the investor evidence pack)."""
    return [*config.areas_of_interest, *(g.slug for g in config.groups), "invest"]


def check_target(config: Any, target: str) -> str:
    """``target`` itself if it is one of :func:`report_targets`, else :class:`NoSuchReport` naming those that
    exist. Called before any file name or page address is made from ``target`` (a report takes ~12 s of
    Chromium, so none is typeset for an arbitrary area)."""
    allowed = report_targets(config)
    if target not in allowed:
        raise NoSuchReport(f"there is no report for {target[:40]!r}: reports exist for {', '.join(allowed)}")
    return target


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
        raise NoSuchReport(f"{target[:40]!r} is not an area code, south-essex or invest")
    return "/invest" if target == "invest" else f"/areas/{target}/all"


def report_folder(store: Store, release_id: str) -> Path:
    store.release_path(release_id)  # validates the id
    return store.cache_root() / release_id / "reports"


def layout_version() -> str:
    """A short hash of the report templates, stylesheet and this module: part of a cached PDF's name."""
    digest = hashlib.sha256()
    for path in LAYOUT_FILES:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def report_file(store: Store, release_id: str, target: str) -> Path:
    """Where the PDF of ``target`` for this release and the current layout is cached (``target`` must have passed
    :func:`check_target`; a malformed one is :class:`NoSuchReport`, never part of a path)."""
    page_path(target)
    return report_folder(store, release_id) / f"{target}-{layout_version()}.pdf"


def rank_phrase(reason: str | None) -> str:
    """The rank a comparison's reason states ("ranks 124th of 294"), or "" (the table shows it under the verdict)."""
    found = RANK.search(reason or "")
    return found.group(0) if found else ""


def _source_counts(themes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each publisher named by the report's rows, with how many indicators it gives (first mention first)."""
    counts: dict[str, int] = {}
    for t in themes:
        for r in t["indicators"]:
            for org in (r.get("source_org") or "Source not stated").split("|"):
                counts[org.strip()] = counts.get(org.strip(), 0) + 1
    return [{"org": org, "count": n} for org, n in counts.items()]


def _index_chart(data: dict[str, Any]) -> str | None:
    """The investor pack's productivity index (England = 100) at its first and latest period, as a bar chart."""
    from observatory.web import charts

    pi = data.get("productivity_index")
    if not pi:
        return None
    return charts.index_bar_chart(
        [(r["name"], r["first_index"], r["index"]) for r in pi["rows"]],
        periods=(pi["first_period_label"], pi["period_label"]),
        title=f"Productivity index, {pi['first_period_label']} and {pi['period_label']}",
        x_title="Gross value added per hour worked, England = 100", chart_id="productivity-index",
    )  # fmt: skip


def report_document(app: Any, release_id: str, target: str) -> tuple[str, str]:
    """The report's title and its HTML (one self-contained document: stylesheet inline, no scripts, no images).

    ``target`` is one of :func:`report_targets`; any other is :class:`NoSuchReport`.
    """
    from observatory.web.data.areas import area_page
    from observatory.web.data.home import HEADLINES_PER_PROGRAMME
    from observatory.web.data.invest import invest_page
    from observatory.web.errors import NotFound
    from observatory.web.pages import spine_charts

    config = app.state.config
    check_target(config, target)
    release = app.state.pool.get(release_id)
    programmes = {t.slug for t in config.themes if t.programme}
    cur = release.cursor()
    try:
        if target == "invest":
            data = invest_page(cur, config)
            extra: dict[str, Any] = {"index_svg": _index_chart(data)}
            template, title = "report_invest.html", f"{data['title']}"
        else:
            try:
                data = area_page(cur, config, target, None)
            except NotFound as exc:
                raise NoSuchReport(f"there is no page /areas/{target} in release {release_id}") from exc
            title = f"{data['area']['name']}: area report"
            extra = {"spines": spine_charts(data, programmes, width=700), "programmes": programmes,
                     "headlines": HEADLINES_PER_PROGRAMME, "sources": _source_counts(data["themes"])}  # fmt: skip
            template = "report_area.html"
    finally:
        cur.close()
    env = app.state.templates.env.overlay()
    env.filters["rank_phrase"] = rank_phrase
    document = env.get_template(template).render(
        data=data, release=release, title=title, base_url=app.state.base_url,
        stylesheet=Markup(STYLESHEET.read_text(encoding="utf-8")), **extra,  # noqa: S704 (our own file, not data)
    )  # fmt: skip
    return title, document


def report_pdf(app: Any, store: Store, release_id: str, target: str) -> Path:
    """The cached PDF report of ``target`` (an area code, a group slug or ``invest``) for this release, typeset on
    first request from the report templates and the site's data functions (``app`` is the site's FastAPI app,
    whose release pool, config and templates are used). Raises :class:`NoSuchReport` for any other target,
    before a file name is made from it."""
    check_target(app.state.config, target)
    out = report_file(store, release_id, target)
    if out.exists():
        return out
    title, document = report_document(app, release_id, target)
    info = store.info(release_id)
    footer = f"Data release {release_id}, built {info.created} UTC"
    return render_pdf(document, out, title=title, footer=footer)
