"""/invest and the PDF reports: real values with sources and periods; PDFs whose text carries the figures."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from observatory.config import Config
from observatory.reports import report_file
from observatory.store import Store
from observatory.web.data.common import jsonable
from observatory.web.data.invest import invest_page
from tests.conftest import unless_ci
from tests.test_consistency import _column_token, _number

SOUTHEND = "E06000033"
GVA = "gross-value-added-per-hour-worked"
CHROMIUM = Path("/usr/bin/chromium")


def test_invest_shows_real_values_with_sources_and_periods(client: TestClient, store: Store) -> None:
    data = client.get("/invest.json").json()
    with store.open() as con:
        gva = con.execute(
            "SELECT value, period_label FROM observations WHERE indicator = $s AND area_code = $a "
            "ORDER BY period_start DESC LIMIT 1",
            {"s": GVA, "a": SOUTHEND},
        ).fetchone()
    assert gva is not None
    productivity = next(s for s in data["sections"] if s["slug"] == "productivity")
    fig = next(f for f in productivity["figures"] if f["slug"] == GVA)
    southend = next(r for r in fig["rows"] if r["code"] == SOUTHEND)
    assert southend["value"] == gva[0] and fig["period_label"] == gva[1]
    assert fig["england"]["code"] == "TLB" and fig["england"]["value"] is not None  # England falls back to ITL1
    assert southend["neighbours_n"] > 0 and southend["neighbours_median"] is not None
    assert {r["code"] for r in fig["rows"]} == set(data["members"][i]["code"] for i in range(6))
    assert data["productivity_index"]["rows"] and data["sectors"]
    assert all(len(a["sectors"]) <= 5 for a in data["sectors"])
    html = client.get("/invest").text
    assert southend["display"] in html and fig["period_label"] in html
    assert "Source: Office for National Statistics" in html and "Ofcom" in html
    assert data["release"] in html
    for section in data["sections"]:
        for f in section["figures"]:
            assert f["source_org"] and f["period_label"], f["slug"]


def test_invest_json_is_the_page_data_and_csv_its_table(client: TestClient, store: Store, config: Config) -> None:
    with store.open() as con:
        expected = invest_page(con.cursor(), config)
    got = client.get("/invest.json").json()
    got.pop("release")
    assert got == json.loads(json.dumps(jsonable(expected)))
    rows = list(csv.DictReader(io.StringIO(client.get("/invest.csv").text)))
    assert len(rows) == len(expected["table"])


def test_report_of_unknown_area_is_404(client: TestClient) -> None:
    assert client.get("/areas/E99999999/report.pdf").status_code == 404


@pytest.mark.parametrize("length", [41, 250, 5000])
def test_report_address_too_long_for_a_file_name_is_404_not_500(client: TestClient, store: Store, length: int) -> None:
    # 250+ characters used to reach the cache file name before any check (OSError: file name too long → 500)
    response = client.get(f"/areas/{'A' * length}/report.pdf")
    assert response.status_code == 404
    assert "A" * 41 not in response.text  # the address is not echoed in full


@pytest.mark.parametrize("code", ["S12000033", "TLH", "E10000012", "E92000001", "E05002204"])
def test_reports_are_made_only_for_south_essex_its_groups_and_invest(
    client: TestClient, store: Store, config: Config, code: str
) -> None:
    # Aberdeen City, ITL1 East of England, Essex county, England, a ward: none has a report (each was ~12 s of
    # Chromium); the 404 says which reports exist, and nothing is typeset or cached.
    response = client.get(f"/areas/{code}/report.pdf")
    assert response.status_code == 404
    for made in [*config.areas_of_interest, "south-essex"]:
        assert f'href="/areas/{made}/report.pdf"' in response.text
    assert 'href="/invest.pdf"' in response.text
    release = client.get("/about.json").json()["release"]
    folder = store.root / "cache" / release / "reports"
    assert not folder.exists() or not [p for p in folder.iterdir() if p.name.startswith(code)]


def test_cli_report_of_an_area_outside_south_essex_is_refused(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "x.pdf"
    done = observatory("report", "E10000012", "--out", str(out), "--store", str(store.root))
    assert done.returncode == 1 and not out.exists()
    assert "E06000034" in done.stderr and "south-essex" in done.stderr and "invest" in done.stderr


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def observatory(*args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "observatory"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "observatory"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.browser
@unless_ci(not CHROMIUM.exists(), reason="chromium is not installed (scripts/setup-system.sh)")
@pytest.mark.parametrize("target", [SOUTHEND, "south-essex"])
def test_cli_report_pdf_has_headline_figures_periods_sources_and_release(
    client: TestClient, store: Store, tmp_path: Path, target: str
) -> None:
    out = tmp_path / f"{target}.pdf"
    started = time.perf_counter()
    done = observatory("report", target, "--out", str(out), "--store", str(store.root))
    assert done.returncode == 0, done.stderr
    print(f"{target}: {out.stat().st_size:,} bytes in {time.perf_counter() - started:.1f} s")
    assert out.read_bytes().startswith(b"%PDF")
    text = " ".join(pdf_text(out).split())
    page = client.get(f"/areas/{target}.json").json()
    assert page["release"] in text
    assert "Office for National Statistics" in text
    assert page["title"] in text
    if target == SOUTHEND:
        row = next(r for t in page["themes"] for r in t["indicators"] if r["slug"] == GVA)
        assert f"Gross value added per hour worked {row['display']}" in text
        assert row["period_label"] in text
    else:
        row = next(r for t in page["themes"] for r in t["indicators"] if r["slug"] == GVA)
        assert row["period_label"] in text
        for m in row["members"]:
            if m["value"] is not None:
                assert m["display"] in text
    assert report_file(store, page["release"], target).exists()


@pytest.mark.browser
@unless_ci(not CHROMIUM.exists(), reason="chromium is not installed (scripts/setup-system.sh)")
def test_invest_pdf_is_served_and_cached(client: TestClient, store: Store) -> None:
    response = client.get("/invest.pdf")
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    release = response.headers["x-observatory-release"]
    folder = store.root / "cache" / release / "reports"
    assert report_file(store, release, "invest").exists()
    assert not [p for p in folder.iterdir() if p.name.startswith(".report-")]  # no temporary file left


def test_cli_report_bad_area_is_one_line(store: Store, tmp_path: Path) -> None:
    done = observatory("report", "no such", "--out", str(tmp_path / "x.pdf"), "--store", str(store.root))
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0 and done.stderr.startswith("observatory:")


# --- the printed reports as documents (issue 14 item 5, issue 10 item 11) ------------------------------------

THURROCK, ENGLAND = "E06000034", "E92000001"
AUTHORITIES = ("E07000066", "E07000068", "E07000069", "E07000075", "E06000033", "E06000034")
SEPARATOR = re.compile(r"\|| · · |^\s*·|·\s*$", re.M)  # a raw publisher separator, or a "·" with nothing beside it


def _pdf(client: TestClient, path: str) -> tuple[bytes, str]:
    response = client.get(path)
    assert response.status_code == 200 and response.content.startswith(b"%PDF"), path
    return response.content, response.headers["x-observatory-release"]


def _check_document(body: bytes, release: str, first_page: list[str], pages: range) -> list[str]:
    """Page count, a cover that is not blank, "Page n of N" and the release on every page, no raw separators and
    no link that leads nowhere (every link in the PDF is an absolute http(s) address). Returns each page's text."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(body))
    n = len(reader.pages)
    assert n in pages, f"{n} pages, not {pages.start}–{pages.stop - 1}"
    texts = [p.extract_text() for p in reader.pages]
    cover = " ".join(texts[0].split())
    for words in first_page:
        assert words in cover, f"{words!r} not on the first page"
    for i, text in enumerate(texts, start=1):
        flat = " ".join(text.split())
        assert f"Page {i} of {n}" in flat, f"page {i} has no page number"
        assert f"Data release {release}" in flat, f"page {i} has no release id"
        assert not SEPARATOR.search(text), f"page {i}: leftover separator {SEPARATOR.search(text)!r}"
        for annot in reader.pages[i - 1].get("/Annots") or []:
            uri = annot.get_object().get("/A", {}).get("/URI")
            assert uri is None or str(uri).startswith(("https://", "http://")), f"page {i}: dead link {uri!r}"
    return texts


def _els(shared: Path, dataset: str, indicator: str) -> dict[tuple[str, str], float]:
    """(area code, period) → value from the publisher's ONS ELS CSV."""
    with open(shared / "ons-els" / dataset / f"{dataset}.csv", encoding="utf-8-sig", newline="") as fh:
        return {(r["areacd"], r["period"]): float(r["observation"]) for r in csv.DictReader(fh)
                if r["indicator"] == indicator and r["observation"]}  # fmt: skip


def _close(token: str, expected: float) -> bool:
    got = _number(token)
    assert got is not None, f"{token!r} is not a number"
    value, decimals = got
    return abs(value - expected) <= 0.5 * 10**-decimals + 1e-9


@pytest.mark.browser
@unless_ci(not CHROMIUM.exists(), reason="chromium is not installed (scripts/setup-system.sh)")
def test_thurrock_report_is_an_a4_document_of_8_to_12_pages(client: TestClient) -> None:
    """The Thurrock area report: 8–12 A4 pages, a cover with the key figures (not a blank first page), a section
    per programme, page numbers and the release on every page, no dead links, no leftover separators."""
    from pypdf import PdfReader

    body, release = _pdf(client, f"/areas/{THURROCK}/report.pdf")
    page = client.get(f"/areas/{THURROCK}.json").json()
    texts = _check_document(body, release, ["Thurrock", "Key figures", release, "Contents"], range(8, 13))
    box = PdfReader(io.BytesIO(body)).pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (210, 297)  # A4 mm
    flat = " ".join(" ".join(texts[1:]).split())
    for i, theme in enumerate(page["themes"], start=1):
        assert f"{i}. {theme['name']}" in flat, f"no section {theme['name']!r}"
    for programme in ("Vibrant Places", "Enterprise Growth", "Future Work", "Data Transformation and connectivity"):
        assert f"{programme}: Thurrock compared with England" in flat, f"no chart for {programme}"
    assert flat.count("Sources: ") >= 4, "a chart without its sources"


@pytest.mark.browser
@unless_ci(not CHROMIUM.exists(), reason="chromium is not installed (scripts/setup-system.sh)")
def test_investor_pack_is_an_a4_document_with_values_under_their_headings(client: TestClient, shared: Path) -> None:
    """The investor pack: at most 12 pages with a cover of key figures; in its gross median weekly pay table each
    authority's value stands under "Value" and England's under "England", both read from the ONS ELS file."""
    from pypdf import PdfReader

    body, release = _pdf(client, "/invest.pdf")
    texts = _check_document(body, release, ["Key figures", "Productivity index", release], range(4, 13))
    index = client.get("/invest.json").json()["productivity_index"]
    flat = " ".join(" ".join(texts[1:]).split())
    periods = f"{index['first_period_label']} and {index['period_label']}"
    assert f"Productivity index: gross value added per hour worked, England = 100, {periods}" in flat  # the chart
    assert "Source: Office for National Statistics, regional and subregional labour productivity" in flat
    pay = _els(shared, "gross-median-weekly-pay", "Gross median weekly pay")
    period = max(p for (code, p) in pay if code in AUTHORITIES)
    names = {r["code"]: r["name"] for r in client.get("/invest.json").json()["members"]}
    lines = [
        line
        for p in PdfReader(io.BytesIO(body)).pages
        for line in p.extract_text(extraction_mode="layout").splitlines()
    ]
    at = next(i for i, line in enumerate(lines) if line.strip().startswith(f"Gross median weekly pay, {period[:4]}"))
    top = next(i for i in range(at, at + 4) if all(w in lines[i] for w in ("Area", "Value", "England", "median")))
    header = lines[top]
    value_edge, england_edge = header.index("Value") + 5, header.index("England") + 7
    checked = 0
    for line in lines[top + 1 :]:
        code = next((c for c in AUTHORITIES if line.startswith(names[c])), None)
        if code is None:
            if line[:1].strip():  # the next thing on the page that is not a trend sentence running on
                break
            continue
        assert _close(_column_token(line, value_edge), pay[(code, period)]), (names[code], line.strip())
        assert _close(_column_token(line, england_edge), pay[(ENGLAND, period)]), (names[code], line.strip())
        checked += 1
    assert checked == len(AUTHORITIES)
