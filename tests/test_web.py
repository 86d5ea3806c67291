"""The site in-process: pages, their .json/.csv twins, errors, caching headers."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from observatory.config import Config
from observatory.pipeline.build import BuildReport
from observatory.store import Store
from observatory.web.app import create_app

GVA = "gross-value-added-per-hour-worked"


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self.titles: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_title = tag == "title"

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)
        if self._in_title:
            self.titles.append(data)


def text_of(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.chunks).split())


@pytest.fixture(scope="module")
def client(full_build: tuple[Store, BuildReport], config: Config) -> Iterator[TestClient]:
    store, _ = full_build
    with TestClient(create_app(store, config), raise_server_exceptions=False) as c:
        yield c


def test_indicator_page_shows_southend_latest_gva_with_period_and_source(client: TestClient) -> None:
    response = client.get(f"/indicators/{GVA}")
    assert response.status_code == 200
    text = text_of(response.text)
    assert "Gross value added per hour worked" in text
    assert "Southend-on-Sea" in text and "£29.84" not in text  # shown at the publisher's 1 decimal place
    assert "£29.8" in text
    assert "Office for National Statistics" in text
    assert "Open Government Licence" in text
    data = client.get(f"/indicators/{GVA}.json").json()
    southend = next(s for s in data["series"] if s["code"] == "E06000033")
    assert any(p["period"] == "2022-01-01/P1Y" and p["value"] == 29.84 for p in southend["points"])
    assert data["release"] == response.headers["X-Observatory-Release"]


def test_page_and_csv_agree(client: TestClient) -> None:
    data = client.get(f"/indicators/{GVA}.json?area=E06000033&area=TLB").json()
    rows = list(csv.DictReader(io.StringIO(client.get(f"/indicators/{GVA}.csv?area=E06000033&area=TLB").text)))
    assert {(r["area_code"], r["period"], float(r["value"])) for r in rows if r["value"]} == {
        (r["area_code"], r["period"], r["value"]) for r in data["table"] if r["value"] is not None
    }
    assert {r["area_code"] for r in rows} == {"E06000033", "TLB"}


def test_england_falls_back_to_its_itl1_equivalent(client: TestClient) -> None:
    data = client.get(f"/indicators/{GVA}.json").json()
    assert "TLB" in data["selected"] and "E92000001" not in data["selected"]
    england = next(s for s in data["series"] if s["code"] == "TLB")
    assert england["name"] == "England" and england["points"]


def test_home_and_lists(client: TestClient) -> None:
    home = client.get("/")
    assert home.status_code == 200
    text = text_of(home.text)
    for programme in ("Vibrant Places", "Enterprise Growth", "Future Work", "Data Transformation"):
        assert programme in text
    assert "England" in text
    assert client.get("/index.csv").status_code == 200
    listing = client.get("/indicators")
    assert listing.status_code == 200 and f'href="/indicators/{GVA}"' in listing.text


@pytest.mark.parametrize(
    ("url", "status", "needle"),
    [
        ("/indicators/gross-value-added-per-hour-workd", 404, f"/indicators/{GVA}"),
        ("/indicators/nope.json", 404, "no indicator"),
        ("/indicators/employment-rate?areas=ZZZ", 400, "unknown area code"),
        ("/indicators/employment-rate?areas=%3Cscript%3E", 400, "not an area code"),
        ("/indicators/employment-rate.xml", 400, "unknown format"),
        ("/no/such/page", 404, "no page"),
        ("/indicators?release=20200101T000000Z-00000000", 404, "no release"),
    ],
)
def test_errors_are_helpful_and_never_500(client: TestClient, url: str, status: int, needle: str) -> None:
    response = client.get(url)
    assert response.status_code == status
    assert needle.lower() in response.text.lower()
    assert "Traceback" not in response.text
    assert "<script>" not in response.text


def test_etag_and_not_modified(client: TestClient) -> None:
    first = client.get(f"/indicators/{GVA}")
    tag = first.headers["ETag"]
    again = client.get(f"/indicators/{GVA}", headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert "max-age" in first.headers["Cache-Control"]


def test_reviewed_unit_correction_is_applied_and_reported(client: TestClient) -> None:
    """The publisher labels the affordability ratio '%'; the reviewed metadata corrects it, openly."""
    data = client.get("/indicators/housing-affordability-ratio-residence-based.json").json()
    assert (data["indicator"]["unit"], data["indicator"]["measure"]) == ("ratio", "Ratio")
    thurrock = next(s for s in data["series"] if s["code"] == "E06000034")
    assert thurrock["points"] and not any(p["display"].endswith("%") for p in thurrock["points"])
    about = client.get("/about")
    assert about.status_code == 200
