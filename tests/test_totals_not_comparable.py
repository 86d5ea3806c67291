"""A count never has a total as its benchmark, and the page says "not comparable", not "no data" (#10 item 9).

England's 2,408,040 enterprises (UK Business Counts, March 2022, the size-band file's England row) is no
benchmark for an authority's 7,005: the England column of an area page, its spine chart and /invest say the
two are not comparable. "No data" would be false — England's figure exists.
"""

from __future__ import annotations

import re
import tomllib

import pytest
from fastapi.testclient import TestClient
from python_calamine import CalamineWorkbook

from observatory import format as nf
from tests.conftest import REPO, SHARED

pytestmark = pytest.mark.slow

AUTHORITIES = ("E07000066", "E07000068", "E07000069", "E07000075", "E06000033", "E06000034")
UBC_SIZES = SHARED / "nomis-uk-business-counts" / "UBC_enterprises_by_sizeband__nomis_2023_04_24_151111.xlsx"


def _totals() -> set[str]:
    with open(REPO / "src" / "observatory" / "metadata" / "indicators.toml", "rb") as fh:
        meta = tomllib.load(fh)["indicators"]
    return {slug for slug, m in meta.items() if m.get("aggregation") == "sum"}


def _england_enterprises_2022() -> float:
    sheet = CalamineWorkbook.from_path(str(UBC_SIZES)).get_sheet_by_index(0).to_python()
    year = None
    for row in sheet:
        if row and row[0] == "date":
            year = int(float(row[1]))
        elif row and row[0] == "country:England" and year == 2022:
            return float(row[1])
    raise AssertionError("no England row for 2022")


def test_england_total_exists_but_is_never_shown_as_a_benchmark(client: TestClient) -> None:
    assert _england_enterprises_2022() == 2_408_040  # PROVENANCE.md of the folder states this figure
    england = nf.number(_england_enterprises_2022(), 0)
    totals = _totals()
    assert "enterprises" in totals
    for code in AUTHORITIES:
        html = client.get(f"/areas/{code}").text
        rows = re.findall(r'<tr data-indicator="([^"]+)"[^>]*>(.*?)</tr>', html, re.S)
        shown = [(slug, body) for slug, body in rows if slug in totals]
        assert any(slug == "enterprises" for slug, _ in shown), code
        for slug, body in shown:
            cell = re.search(r'<td class="num" data-area="E92000001" data-value="">(.*?)</td>', body, re.S)
            assert cell is not None, (code, slug)
            assert "not comparable" in cell.group(1) and "no data" not in cell.group(1), (code, slug)
        assert england not in html  # England's total appears nowhere on an authority's page
        for label in {re.sub(r"<.*?>", "", b.split("</a>")[0]).strip() for _, b in shown}:
            bit = _spine_bit(html, label)  # the spine chart's text for the total, where the page draws one
            assert not bit or "(England not comparable" in bit, (code, bit)
        assert "(England not comparable" in _spine_bit(html, "Enterprises (UK Business Counts)"), code
        data = client.get(f"/areas/{code}.json").json()
        cells = [b for t in data["themes"] for r in t["indicators"] if r["slug"] in totals for b in r["benchmarks"]]
        assert cells and all(c["not_comparable"] and c["value"] is None for c in cells)
    invest = client.get("/invest.json").json()
    active = next(f for s in invest["sections"] for f in s["figures"] if f["slug"] == "active-businesses")
    assert active["england"]["display"] == nf.NOT_COMPARABLE and active["england"]["value"] is None


def _spine_bit(html: str, label: str) -> str:
    """The spine chart's description of one indicator ("label: value, verdict (England …)")."""
    found = re.search(re.escape(label) + r": [^;<]*?\(England [^)]*\)", html)
    return found.group(0) if found else ""
