"""No dead ends: the internal links on every page type lead somewhere (never a 404 or a 500), and in-page
anchors (``/methodology#group-values``, ``#main``) point at an element that exists."""

from __future__ import annotations

import re
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urldefrag, urlsplit

import httpx
import pytest

from tests.browser.conftest import PAGE_IDS, PAGES, Site, open_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PER_KIND = 12  # links checked per kind of target (e.g. /areas/{code}), evenly spread over the sorted list


def kind(path: str) -> str:
    """The route a link goes to: /areas/E06000033 and /areas/E07000066 are one kind."""
    parts = [p for p in path.split("/") if p]
    if not parts:
        return "/"
    stem = parts[0].split(".")[0]
    suffix = "." + parts[-1].rsplit(".", 1)[1] if "." in parts[-1] else ""
    return "/" + stem + ("/*" * (len(parts) - 1)) + suffix


def spread(items: list[str], n: int) -> list[str]:
    if len(items) <= n:
        return items
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def test_internal_links_and_anchors_resolve(site: Site, page: Any) -> None:
    targets: dict[str, set[str]] = defaultdict(set)  # url without fragment -> pages linking to it
    anchors: dict[str, set[str]] = defaultdict(set)  # url -> fragments wanted
    checked_pages = []
    missing_here: list[str] = []
    for page_id in PAGE_IDS:
        path = PAGES[page_id]
        if site.status(path) not in (200, 404) or (site.status(path) == 404 and page_id != "not-found"):
            continue
        checked_pages.append(path)
        open_page(page, site, path)
        hrefs: list[str] = page.locator("a[href]").evaluate_all(
            "els => els.map(a => new URL(a.getAttribute('href'), document.baseURI).href)"  # SVG <a> too
        )
        ids = set(page.locator("[id]").evaluate_all("els => els.map(e => e.id)"))
        for href in hrefs:
            url, frag = urldefrag(href)
            if not url.startswith(site.base):
                continue
            rel = url[len(site.base) :] or "/"
            if rel == path:  # a link within the page (the skip link, "on this page" lists)
                if frag and frag not in ids:
                    missing_here.append(f"{path}#{frag}")
                continue
            if urlsplit(rel).path.endswith(".pdf"):
                continue  # reports take seconds to print; tests/test_reports.py covers them
            targets[rel].add(path)
            if frag:
                anchors[rel].add(frag)
    assert checked_pages, "no page was served: the link check found nothing to check"

    by_kind: dict[str, list[str]] = defaultdict(list)
    for rel in sorted(targets):
        by_kind[kind(urlsplit(rel).path)].append(rel)
    sample = sorted({u for urls in by_kind.values() for u in spread(urls, PER_KIND)} | set(anchors))

    def fetch(rel: str) -> tuple[str, int, str]:
        with httpx.Client(timeout=60) as client:
            r = client.get(site.url(rel))
            return rel, r.status_code, r.text if "html" in r.headers.get("content-type", "") else ""

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(fetch, sample))

    broken = [
        f"{rel} → {status} (linked from {sorted(targets[rel])[:3]})" for rel, status, _ in results if status >= 400
    ]
    assert not broken, f"{len(broken)} of {len(sample)} internal links are broken:\n" + "\n".join(broken[:30])

    bodies = {rel: body for rel, _, body in results}
    missing = list(missing_here)
    for rel, frags in anchors.items():
        ids = set(re.findall(r'\bid="([^"]+)"', bodies.get(rel, "")))
        missing += [f"{rel}#{f} (linked from {sorted(targets[rel])[:2]})" for f in sorted(frags) if f not in ids]
    assert not missing, "links to anchors that do not exist:\n" + "\n".join(missing[:30])
