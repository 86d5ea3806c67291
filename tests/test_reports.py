"""/invest and the PDF reports: real values with sources and periods; PDFs whose text carries the figures."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from observatory.config import Config
from observatory.store import Store
from observatory.web.data.common import jsonable
from observatory.web.data.invest import invest_page
from tests.conftest import unless_ci

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
    cached = store.root / "cache" / page["release"] / "reports" / f"{target}.pdf"
    assert cached.exists()


@pytest.mark.browser
@unless_ci(not CHROMIUM.exists(), reason="chromium is not installed (scripts/setup-system.sh)")
def test_invest_pdf_is_served_and_cached(client: TestClient, store: Store) -> None:
    response = client.get("/invest.pdf")
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    release = response.headers["x-observatory-release"]
    folder = store.root / "cache" / release / "reports"
    assert (folder / "invest.pdf").exists()
    assert not [p for p in folder.iterdir() if p.name.startswith(".report-")]  # no temporary file left


def test_cli_report_bad_area_is_one_line(store: Store, tmp_path: Path) -> None:
    done = observatory("report", "no such", "--out", str(tmp_path / "x.pdf"), "--store", str(store.root))
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0 and done.stderr.startswith("observatory:")
