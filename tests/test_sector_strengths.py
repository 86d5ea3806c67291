"""Sector strengths are strengths: a location quotient above 1, after a stated exclusion rule (issue 10 item 8).

Expected values are worked out here from the publishers' files, not from the release:
- GVA quotients from ONS Table 3c (ITL3, current prices, £ million): the 18 broad industries, owner-occupiers'
  imputed rental (68IMP) taken out of real estate in the area and in the UK (the sum of every ITL3 area), an
  industry excluded when it is activities of households (T) or under 1% of the area's GVA on that basis;
- enterprise-count quotients from UK Business Counts (Nomis xlsx, industry × size band, March 2022): South
  Essex is the sum of its six authorities' rows; a sector is excluded with fewer than 50 enterprises or under
  1% of the area's enterprises (the sum of the 18 industry groups).
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict

import pytest
from fastapi.testclient import TestClient
from python_calamine import CalamineWorkbook

from tests.conftest import SHARED

pytestmark = pytest.mark.slow

GVA_FILE = SHARED / "ons-gva-itl3-by-industry" / "Table_3c_ITL3_UK_current_price_estimates_pounds_million.csv"
UBC_FILE = (
    SHARED / "nomis-uk-business-counts" / "UBC_enterprises_by_industry_and_sizeband__nomis_2023_04_24_152639.xlsx"
)
BROAD = re.compile(r"^(AB|C|DE|F|G|H|I|J|K|L|M|N|O|P|Q|R|S|T) \(")  # the 18 broad industries (not CA, CB …)
SOUTH_ESSEX_NAMES = ("Basildon", "Brentwood", "Castle Point", "Rochford", "Southend-on-Sea", "Thurrock")


def _gva_strengths() -> dict[str, tuple[int, list[str]]]:
    """ITL3 code → (latest year, the SIC codes of its strengths, highest quotient first, at most five)."""
    with open(GVA_FILE, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    year = max(int(k) for k in rows[0] if k.isdigit())

    def val(r: dict[str, str]) -> float:
        return float(r[str(year)].replace(",", ""))

    areas: dict[str, dict[str, float]] = defaultdict(dict)
    uk: dict[str, float] = defaultdict(float)
    for r in rows:
        if BROAD.match(r["SIC07 code"]) or r["SIC07 code"] == "68IMP":
            areas[r["ITL region code"]][r["SIC07 code"]] = val(r)
            uk[r["SIC07 code"]] += val(r)

    def market(m: dict[str, float]) -> dict[str, float]:
        out = {k: v for k, v in m.items() if BROAD.match(k)}
        out["L (68)"] -= m["68IMP"]
        return out

    uk_m = market(uk)
    uk_total = sum(uk_m.values())
    out: dict[str, tuple[int, list[str]]] = {}
    for code in ("TLH31", "TLH32", "TLH36", "TLH37"):
        a = market(areas[code])
        total = sum(a.values())
        lq = {k: (v / total) / (uk_m[k] / uk_total) for k, v in a.items() if uk_m[k] > 0}
        kept = [k for k in lq if lq[k] > 1 and not k.startswith("T ") and a[k] / total >= 0.01]
        out[code] = (year, sorted(kept, key=lambda k: -lq[k])[:5])
    return out


def test_invest_lists_only_quotients_above_one_and_says_when_fewer_than_five(client: TestClient) -> None:
    expected = _gva_strengths()
    page = client.get("/invest.json").json()
    got = {a["code"]: a for a in page["sectors"]}
    assert set(got) == set(expected)
    for code, (year, sics) in expected.items():
        area = got[code]
        assert area["year"] == year
        assert [q["sic_code"] for q in area["sectors"]] == sics, code
        assert all(q["lq"] > 1 for q in area["sectors"])
        assert (area["fewer"] is not None) == (len(sics) < 5), code
    # Thurrock's 2021 GVA has only four industries above 1 once imputed rental and tiny sectors are out
    assert len(expected["TLH32"][1]) < 5
    html = client.get("/invest").text
    assert "location quotient above 1" in html
    assert got["TLH32"]["fewer"] in html.replace("&#39;", "'")


def _ubc_south_essex(year: int) -> dict[str, float]:
    """Industry label (without its number) → South Essex's enterprises (all sizes), summed over the six."""
    sheet = CalamineWorkbook.from_path(str(UBC_FILE)).get_sheet_by_index(0).to_python()
    counts: dict[str, float] = defaultdict(float)
    block_year, industry = None, None
    for row in sheet:
        first = str(row[0]).strip() if row else ""
        if first == "date":
            block_year = int(float(row[1]))
        elif first == "industry":
            industry = str(row[1]).split(" : ", 1)[1].strip()
        elif block_year == year and industry and first.startswith("ladu:") and first[5:] in SOUTH_ESSEX_NAMES:
            counts[industry] += float(row[1])
    return dict(counts)


def test_enterprise_quotients_carry_the_same_stated_exclusion_rule(client: TestClient) -> None:
    counts = _ubc_south_essex(2022)
    total = sum(counts.values())
    assert len(counts) == 18
    excluded = {k for k, v in counts.items() if v < 50 or v / total < 0.01}
    assert "Public administration & defence (O)" in excluded  # 35 enterprises across the six authorities
    page = client.get("/business/south-essex.json").json()
    assert page["latest_year"] == 2022
    got = {s["industry"]: s for s in page["sectors"]}
    assert set(got) == set(counts)
    assert {k for k, s in got.items() if s["exclusion"]} == excluded
    assert not {s["industry"] for s in page["over"]} & excluded  # an excluded sector is never over-represented
    invest = client.get("/invest.json").json()["business_base"]
    assert "fewer than 50 enterprises" in invest["lq_rule"] and "1%" in invest["lq_rule"]
    assert invest["lq_rule"] in client.get("/invest").text.replace("&#39;", "'")
