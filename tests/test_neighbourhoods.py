"""Neighbourhoods (LSOA 2011) on the area pages and the pages of small areas, checked against the release."""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections import Counter

import pytest
from fastapi.testclient import TestClient

from observatory.store import Store
from tests.test_pages import Page, check_structure, parse

SOUTHEND = "E06000033"
LSOA = "E01015814"  # Southend-on-Sea 003A
PER_AUTHORITY = {"E07000066": 110, "E06000033": 107, "E06000034": 98, "E07000069": 57, "E07000075": 53,
                 "E07000068": 46}  # fmt: skip
BUDGET = 250 * 1024
MAP = re.compile(r'<svg[^>]*id="map-neighbourhoods".*?</svg>', re.S)
TITLED = re.compile(r'<path d="[^"]*" data-code="(E01\d{6})"><title>([^<]*)</title></path>')


def html(client: TestClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.text[:500])
    return response.text


def page_of(text: str) -> Page:
    page = parse(text)
    check_structure(page)
    return page


def map_areas(text: str) -> dict[str, str]:
    """LSOA code -> its <title> on the neighbourhood map."""
    found = MAP.search(text)
    assert found, "no neighbourhood map"
    return dict(TITLED.findall(found.group(0)))


def table(page: Page, caption_start: str) -> list[list[str]]:
    return next(t["rows"] for t in page.tables if (t["caption"] or "").strip().startswith(caption_start))


def test_southend_maps_and_tables_its_107_neighbourhoods(client: TestClient) -> None:
    text = html(client, f"/areas/{SOUTHEND}/neighbourhoods")
    titles = map_areas(text)
    assert len(titles) == 107
    assert titles[LSOA] == "Southend-on-Sea 003A: IMD decile 6 (rank 19,102 of 32,844)"
    page = page_of(text)
    assert (2, "Neighbourhoods (LSOA 2011)") in page.headings
    rows = table(page, "The 107 neighbourhoods of Southend-on-Sea")
    assert len(rows) == 1 + 107  # header row + one per LSOA
    assert ["Southend-on-Sea 003A E01015814", "6", "19,102", "1,492"] in rows
    assert f"/areas/{LSOA}" in page.links
    assert "2011 boundaries" in page.text
    assert TITLED.search(text)  # every path carries its title


def test_shares_in_the_most_deprived_10_and_20_percent_are_the_release_values(client: TestClient, store: Store) -> None:
    with store.open() as con:
        found = con.execute(
            "SELECT indicator, area_code, value, numerator, denominator FROM observations WHERE indicator IN "
            "('imd2019-share-lsoas-most-deprived-10pc', 'imd2019-share-lsoas-most-deprived-20pc') "
            "AND area_code IN (SELECT unnest(?))",
            [list(PER_AUTHORITY)],
        ).fetchall()
    by = {(a, i[-4:]): (v, int(n), int(d)) for i, a, v, n, d in found}
    page = page_of(html(client, f"/areas/{SOUTHEND}/neighbourhoods"))
    rows = table(page, "Neighbourhoods in England's most deprived 10% and 20%")
    v10, n10, d10 = by[(SOUTHEND, "10pc")]
    v20, n20, d20 = by[(SOUTHEND, "20pc")]
    assert (n10, n20, d10) == (9, 23, 107)
    assert rows[1] == ["Southend-on-Sea", f"{n10} of {d10} ({v10:.1f}%)", f"{n20} of {d20} ({v20:.1f}%)", str(d10)]
    # The group adds its members' counts: a ratio of sums.
    group = page_of(html(client, "/areas/south-essex/neighbourhoods"))
    total = table(group, "Neighbourhoods in England's most deprived 10% and 20%")[-1]
    in10 = sum(by[(a, "10pc")][1] for a in PER_AUTHORITY)
    all_ = sum(by[(a, "10pc")][2] for a in PER_AUTHORITY)
    assert total[1] == f"{in10} of {all_} ({100 * in10 / all_:.1f}%)" and all_ == 471


def test_change_from_iod2019_to_iod2025_with_its_caveat(client: TestClient, store: Store) -> None:
    with store.open() as con:
        found = dict(
            con.execute(
                "SELECT period_label, value FROM observations WHERE indicator = 'iod-imd-proportion-most-deprived-10pc'"
                " AND area_code = ?",
                [SOUTHEND],
            ).fetchall()
        )
    page = page_of(html(client, f"/areas/{SOUTHEND}/neighbourhoods"))
    rows = table(page, "Share of neighbourhoods in England's most deprived 10%")
    assert rows[1] == ["Southend-on-Sea", f"{found['2019']:.1f}%", f"{found['2025']:.1f}%",
                       f"{found['2025'] - found['2019']:+.1f}"]  # fmt: skip
    assert "296 authorities" in page.text and "2021 LSOAs" in page.text


def test_domain_picker_recolours_the_map_and_rejects_unknown_domains(client: TestClient) -> None:
    imd = html(client, f"/areas/{SOUTHEND}/neighbourhoods")
    income = html(client, f"/areas/{SOUTHEND}/neighbourhoods?domain=income")
    assert map_areas(income)[LSOA] == "Southend-on-Sea 003A: Income deprivation decile 5 (rank 13,559 of 32,844)"
    assert MAP.search(imd).group(0) != MAP.search(income).group(0)  # type: ignore[union-attr]
    assert '<option value="income" selected>' in income
    assert f'action="/areas/{SOUTHEND}/neighbourhoods#neighbourhoods"' in imd and 'name="domain"' in imd
    bad = client.get(f"/areas/{SOUTHEND}/neighbourhoods?domain=nope")
    assert bad.status_code == 400 and "domain" in bad.text and "living-environment" in bad.text


def test_lsoa_page_gives_rank_decile_authority_population_and_a_locator(client: TestClient) -> None:
    text = html(client, f"/areas/{LSOA}")
    page = page_of(text)
    assert page.headings[0] == (1, "Southend-on-Sea 003A")
    rows = table(page, "Southend-on-Sea 003A on the Index of Multiple Deprivation 2019")
    assert ["Index of Multiple Deprivation", "19,102", "6"] in rows
    assert ["Income deprivation", "13,559", "5"] in rows
    assert len(rows) == 1 + 8
    assert f"/areas/{SOUTHEND}" in page.links and "1,492" in page.text and "2011 boundaries" in page.text
    assert 'id="locator"' in text and text.count("<title>") > 100  # among Southend's LSOAs
    data = client.get(f"/areas/{LSOA}.json").json()
    assert data["small_area"]["population"] == 1492
    assert client.get(f"/areas/{LSOA}.csv").status_code == 200


@pytest.mark.parametrize("code", ["E01000001", "E01999999"])  # an LSOA outside the small-area scope; none at all
def test_lsoas_outside_the_release_are_404_not_500(client: TestClient, code: str) -> None:
    assert client.get(f"/areas/{code}").status_code == 404


def test_south_essex_maps_471_neighbourhoods_and_offers_them_all_as_csv(client: TestClient) -> None:
    text = html(client, "/areas/south-essex/neighbourhoods")
    assert len(map_areas(text)) == 471
    page = page_of(text)
    assert len(table(page, "The 20 most deprived of South Essex's 471 neighbourhoods")) == 1 + 20
    response = client.get("/areas/south-essex/neighbourhoods.csv")
    assert response.status_code == 200
    listed = list(csv.DictReader(io.StringIO(response.text)))
    assert Counter(r["authority_code"] for r in listed) == PER_AUTHORITY
    assert client.get("/areas/south-essex/neighbourhoods.html").status_code == 400
    assert client.get("/areas/E92000001/neighbourhoods.csv").status_code == 404


@pytest.mark.parametrize("url", [f"/areas/{SOUTHEND}", "/areas/E06000034", "/areas/E07000066", "/areas/south-essex"])
def test_pages_with_neighbourhood_maps_stay_within_the_weight_budget(client: TestClient, url: str) -> None:
    assert len(gzip.compress(html(client, url).encode(), 6)) < BUDGET
