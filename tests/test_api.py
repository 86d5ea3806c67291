"""The open data API (/api/v1) in-process over the real data: every endpoint, every format, HTTP behaviour."""

from __future__ import annotations

import csv
import gzip
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pyjstat import pyjstat

from observatory.config import Config
from observatory.pipeline.build import BuildReport, build_release
from observatory.release import schema
from observatory.release.read import EXPORT_COLUMNS
from observatory.store import Store
from observatory.web import api
from observatory.web.app import create_app
from observatory.web.catalog import indicator_dataset, indicator_jsonld
from observatory.web.data import api_data
from observatory.web.data.areas import area_page
from observatory.web.data.common import jsonable
from observatory.web.formats import XLSX_MEDIA_TYPE
from tests.conftest import link_sources

pytestmark = pytest.mark.slow
GVA = "gross-value-added-per-hour-worked"
SOUTHEND = "E06000033"
THURROCK = "E06000034"
EAST = "E12000006"
V1 = "/api/v1"
OBSERVATIONS = (
    400_699  # 299,961 from ONS ELS + deprivation + 62,645 business, workforce, apprenticeships, travel to work
)
INDICATORS = 190  # 90 from ONS ELS + 57 from the Indices of Deprivation + 43 business, workforce and travel to work


def make_client(store: Store, config: Config) -> TestClient:
    app = create_app(store, config)
    api.install(app)  # a no-op once app.py wires the API itself
    api.CACHE.clear()
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client(full_build: tuple[Store, BuildReport], config: Config) -> Iterator[TestClient]:
    store, _ = full_build
    with make_client(store, config) as c:
        yield c


@pytest.fixture(scope="module")
def two(
    tmp_path_factory: pytest.TempPathFactory, shared: Path, config: Config
) -> Iterator[tuple[TestClient, str, str]]:
    """A store with the 2024-07-15 GVA vintage built first, then the current data."""
    root = tmp_path_factory.mktemp("api-vintages")
    vintages = shared / "ons-els-vintages"
    old_sources = link_sources(
        root / "sources-2024",
        shared,
        {"gross-value-added/gross-value-added.csv": vintages / "gross-value-added-per-hour-worked-2024-07-15.csv"},
    )
    store = Store(root / "store")
    old = build_release(config, old_sources, store)
    new = build_release(config, shared, store)
    assert old.release_id and new.release_id
    with make_client(store, config) as c:
        yield c, old.release_id, new.release_id


def problem(response: Any) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == response.status_code and body["title"] and body["detail"]
    return body


# ----------------------------------------------------------------------------------------------------------------
# Indicators and areas


def test_index_and_indicator_list(client: TestClient) -> None:
    index = client.get(V1)
    assert index.status_code == 200 and index.json()["links"]["openapi"] == f"{V1}/openapi.json"
    listing = client.get(f"{V1}/indicators").json()
    assert listing["count"] == INDICATORS == len(listing["indicators"])
    gva = next(i for i in listing["indicators"] if i["slug"] == GVA)
    assert gva["label"] == "Gross value added per hour worked" and gva["url"] == f"{V1}/indicators/{GVA}"
    growth = client.get(f"{V1}/indicators?theme=enterprise-growth").json()
    assert GVA in {i["slug"] for i in growth["indicators"]} and growth["count"] < INDICATORS
    assert all("enterprise-growth" in i["themes"] for i in growth["indicators"])
    found = client.get(f"{V1}/indicators?q=value added hour").json()
    assert [i["slug"] for i in found["indicators"]] == [GVA]
    as_csv = list(csv.DictReader(io.StringIO(client.get(f"{V1}/indicators?format=csv").text)))
    assert len(as_csv) == INDICATORS and {"slug", "label", "themes"} <= set(as_csv[0])


def test_indicator_detail_has_metadata_source_licence_coverage(client: TestClient) -> None:
    body = client.get(f"{V1}/indicators/{GVA}").json()
    assert body["source"]["organisation"] == "Office for National Statistics"
    assert body["licence"]["id"] == "OGL-UK-3.0" and "open-government-licence" in body["licence"]["url"]
    assert {"slug": "enterprise-growth", "name": "Enterprise Growth"} in body["themes"]
    periods = {p["period"]: p for p in body["coverage"]["periods"]}
    assert periods["2022-01-01/P1Y"]["label"] == "2022"
    assert any(t["type"] == "ltla" and t["areas"] > 300 for t in body["coverage"]["area_types"])
    assert body["release"] == client.get(V1).headers["X-Observatory-Release"]


def test_areas_filters_and_hierarchy(client: TestClient) -> None:
    ltlas = client.get(f"{V1}/areas?type=ltla").json()
    assert SOUTHEND in {a["code"] for a in ltlas["areas"]} and all("ltla" in a["types"] for a in ltlas["areas"])
    east = client.get(f"{V1}/areas?parent={EAST}&type=ltla").json()
    codes = {a["code"] for a in east["areas"]}
    assert {SOUTHEND, THURROCK} <= codes and "E08000001" not in codes  # Bolton is in the North West
    area = client.get(f"{V1}/areas/{SOUTHEND}").json()
    assert area["name"] == "Southend-on-Sea"
    parents = {(p["code"], p["relation"]) for p in area["parents"]}
    assert {(EAST, "rgn"), ("E92000001", "ctry"), ("south-essex", "member")} <= parents
    assert area["has_geometry"] and area["links"]["geometry"] == f"{V1}/areas/{SOUTHEND}/geometry"
    region = client.get(f"{V1}/areas/{EAST}").json()
    assert SOUTHEND in {c["code"] for c in region["children"]}


def test_geometry_is_a_geojson_feature_in_wgs84(client: TestClient) -> None:
    response = client.get(f"{V1}/areas/{SOUTHEND}/geometry")
    assert response.headers["content-type"].startswith("application/geo+json")
    feature = response.json()
    assert feature["type"] == "Feature" and feature["id"] == SOUTHEND
    assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
    flat = json.dumps(feature["geometry"]["coordinates"])
    numbers = [float(x) for x in flat.replace("[", " ").replace("]", " ").replace(",", " ").split()]
    lons, lats = numbers[0::2], numbers[1::2]
    assert 0.5 < min(lons) < max(lons) < 0.9 and 51.4 < min(lats) < max(lats) < 51.7  # Southend, not elsewhere
    missing = client.get(f"{V1}/areas/south-essex/geometry")
    assert missing.status_code == 404 and "no boundary" in problem(missing)["detail"]


# ----------------------------------------------------------------------------------------------------------------
# Observations


def test_observations_real_value_and_filters(client: TestClient) -> None:
    body = client.get(f"{V1}/observations?indicator={GVA}&area={SOUTHEND}").json()
    by_period = {o["period"]: o for o in body["observations"]}
    assert by_period["2022-01-01/P1Y"]["value"] == 29.84
    assert by_period["2022-01-01/P1Y"]["area_name"] == "Southend-on-Sea"
    assert body["count"] == len(body["observations"]) and body["next"] is None
    one = client.get(f"{V1}/observations?indicator={GVA}&area={SOUTHEND}&from=2022&to=2022").json()
    assert [(o["period"], o["value"]) for o in one["observations"]] == [("2022-01-01/P1Y", 29.84)]
    months = client.get(f"{V1}/observations?indicator={GVA}&area={SOUTHEND}&from=2021-06&to=2022-12-31").json()
    assert [o["period_start"] for o in months["observations"]] == ["2022-01-01"]
    both = client.get(f"{V1}/observations?indicator={GVA}&area={SOUTHEND},{THURROCK}&from=2022&to=2022").json()
    assert {o["area_code"] for o in both["observations"]} == {SOUTHEND, THURROCK}
    repeated = client.get(f"{V1}/observations?indicator={GVA}&area={SOUTHEND}&area={THURROCK}&from=2022&to=2022")
    assert repeated.json()["observations"] == both["observations"]
    typed = client.get(f"{V1}/observations?indicator={GVA}&area_type=itl1&from=2022&to=2022").json()
    assert "TLH" in {o["area_code"] for o in typed["observations"]} and SOUTHEND not in str(typed)


def test_latest_gives_each_series_latest_period(client: TestClient) -> None:
    everything = client.get(f"{V1}/observations?indicator={GVA}&area={SOUTHEND},{THURROCK}").json()["observations"]
    latest = client.get(f"{V1}/observations?indicator={GVA}&area={SOUTHEND},{THURROCK}&latest=true").json()
    assert latest["count"] == 2
    for o in latest["observations"]:
        mine = [p["period_start"] for p in everything if p["area_code"] == o["area_code"]]
        assert o["period_start"] == max(mine)
    area = client.get(f"{V1}/observations?area={SOUTHEND}&latest=true&limit=10000").json()
    assert area["count"] == len({o["indicator"] for o in area["observations"]}) > 50


def test_a_precomputed_latest_table_gives_the_same_answer(full_build: tuple[Store, BuildReport]) -> None:
    """When the build adds ``latest_observations``, ``latest=true`` reads it: same rows as ranking them."""
    store, _ = full_build
    path = store.release_path(str(store.current_id()))
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{path}' AS r (READ_ONLY)")
        for table in ("observations", "areas", "release_info", "indicators"):
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM r.{table}")
        schema.create(con, [schema.LATEST_OBSERVATIONS])
        schema.fill_latest_observations(con)
        cur = con.cursor()
        for query in (
            api_data.ObservationQuery(indicators=[GVA], latest=True),
            api_data.ObservationQuery(areas=[SOUTHEND], latest=True),
            api_data.ObservationQuery(area_types=["rgn"], latest=True),
        ):
            ranked = api_data.observation_rows(cur, query)
            assert ranked and ranked == api_data.observation_rows(cur, replace(query, latest_table=True))


def test_paging_walks_the_whole_result(client: TestClient) -> None:
    url = f"{V1}/observations?indicator={GVA}&area={SOUTHEND},{THURROCK}"
    whole = client.get(url).json()["observations"]
    seen: list[dict[str, Any]] = []
    page = client.get(f"{url}&limit=7")
    assert 'rel="next"' in page.headers["Link"]
    while True:
        body = page.json()
        assert body["limit"] == 7 and body["count"] == len(whole)
        seen.extend(body["observations"])
        if body["next"] is None:
            break
        page = client.get(body["next"])
    assert seen == whole
    beyond = client.get(f"{url}&offset=100000").json()
    assert beyond["observations"] == [] and beyond["count"] == len(whole)


def test_csv_streams_the_export_columns(client: TestClient) -> None:
    response = client.get(f"{V1}/observations?indicator={GVA}&area={SOUTHEND}&format=csv")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "content-length" not in response.headers  # streamed
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    assert next(r for r in rows if r["period"] == "2022-01-01/P1Y")["value"] == "29.84"
    assert {r["release"] for r in rows} == {response.headers["X-Observatory-Release"]}
    everything = client.get(f"{V1}/observations?format=csv")
    assert everything.text.count("\n") == OBSERVATIONS + 1


@pytest.mark.filterwarnings("ignore:Shouldn't use this function anymore:DeprecationWarning")  # inside pyjstat 2.4
def test_jsonstat_reads_back_with_pyjstat_as_json_and_csv(client: TestClient) -> None:
    query = f"{V1}/observations?indicator={GVA},employment-rate&area={SOUTHEND},{THURROCK},E92000001&from=2015"
    as_json = client.get(f"{query}&limit=10000").json()["observations"]
    as_csv = list(csv.DictReader(io.StringIO(client.get(f"{query}&format=csv").text)))
    stat = client.get(f"{query}&format=jsonstat")
    assert stat.json()["version"] == "2.0" and stat.json()["class"] == "dataset"
    frame = pyjstat.Dataset.read(stat.text).write("dataframe", naming="id")
    from_stat = {
        (r["indicator"], r["area"], r["period"]): r["value"] for r in frame.to_dict("records") if pd.notna(r["value"])
    }
    from_json = {(o["indicator"], o["area_code"], o["period"]): o["value"] for o in as_json if o["value"] is not None}
    from_csv = {(r["indicator"], r["area_code"], r["period"]): float(r["value"]) for r in as_csv if r["value"]}
    assert from_stat == from_json == from_csv
    assert from_stat[(GVA, SOUTHEND, "2022-01-01/P1Y")] == 29.84
    assert len(from_stat) > 20


def test_xlsx_has_the_table_and_a_notes_sheet(client: TestClient) -> None:
    response = client.get(f"{V1}/observations?indicator={GVA}&area={SOUTHEND},{THURROCK}&format=xlsx")
    assert response.headers["content-type"] == XLSX_MEDIA_TYPE
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["data", "notes"]
    table = list(book["data"].iter_rows(values_only=True))
    header, body = table[0], table[1:]
    assert header[:3] == ("indicator", "area_code", "area_name")
    rows = [dict(zip(header, r, strict=True)) for r in body]
    assert any(r["area_code"] == SOUTHEND and r["period"] == "2022-01-01/P1Y" and r["value"] == 29.84 for r in rows)
    json_count = client.get(f"{V1}/observations?indicator={GVA}&area={SOUTHEND},{THURROCK}").json()["count"]
    assert len(rows) == json_count
    notes = {str(k): str(v) for k, v in book["notes"].iter_rows(values_only=True)}
    assert "Open Government Licence" in notes["Licence"]
    assert notes["Release"] == response.headers["X-Observatory-Release"]
    assert "Office for National Statistics" in notes["Source"]


def test_too_big_for_a_table_format_says_what_to_do(client: TestClient) -> None:
    body = problem(client.get(f"{V1}/observations?format=xlsx"))
    assert body["status"] == 400 and "format=csv" in body["allowed"]


# ----------------------------------------------------------------------------------------------------------------
# Page data through the API


def test_profile_is_the_area_pages_data(
    client: TestClient, full_build: tuple[Store, BuildReport], config: Config
) -> None:
    store, _ = full_build
    body = client.get(f"{V1}/areas/{SOUTHEND}/profile").json()
    with store.open() as con:
        page = json.loads(json.dumps(jsonable(area_page(con.cursor(), config, SOUTHEND)), default=str))
    assert {k: v for k, v in body.items() if k != "release"} == page
    gva = next(r for r in body["table"] if r.get("slug", r.get("indicator")) == GVA) if body["table"] else None
    assert gva is not None


def test_map_agrees_with_the_indicator_page(client: TestClient) -> None:
    body = client.get(f"{V1}/indicators/{GVA}/map").json()
    southend = next(v for v in body["values"] if v["area_code"] == SOUTHEND)
    assert southend["south_essex"] and body["count"] > 300
    page = client.get(f"/indicators/{GVA}.json")
    if page.status_code == 200:  # the page's own ranking, same function
        ranking = page.json()["ranking"]
        assert [(r["code"], r["value"]) for r in ranking] == [(v["area_code"], v["value"]) for v in body["values"]]
    old = client.get(f"{V1}/indicators/{GVA}/map?period=2022-01-01/P1Y").json()
    assert next(v for v in old["values"] if v["area_code"] == SOUTHEND)["value"] == 29.84
    regions = client.get(f"{V1}/indicators/{GVA}/map?period=2022-01-01/P1Y&area_type=itl1").json()
    assert "TLH" in {v["area_code"] for v in regions["values"]}
    bad = problem(client.get(f"{V1}/indicators/{GVA}/map?period=1066"))
    assert bad["param"] == "period"


# ----------------------------------------------------------------------------------------------------------------
# Releases, pinning, diff, bulk


def test_release_list_and_detail(client: TestClient) -> None:
    listing = client.get(f"{V1}/releases").json()
    assert listing["count"] == 1 and listing["releases"][0]["current"]
    rid = listing["releases"][0]["id"]
    detail = client.get(f"{V1}/releases/{rid}").json()
    assert detail["id"] == rid == detail["release"] and len(detail["inputs"]) >= 144
    gva_file = next(i for i in detail["inputs"] if i["path"] == "ons-els/gross-value-added/gross-value-added.csv")
    assert len(gva_file["sha256"]) == 64
    assert detail["counts"]["observations"] == OBSERVATIONS
    assert client.get(f"{V1}/releases/current").json()["id"] == rid


def test_release_pinning_and_diff(two: tuple[TestClient, str, str]) -> None:
    client, old, new = two
    url = f"{V1}/observations?indicator={GVA}&area={SOUTHEND}&from=2022&to=2022"
    current = client.get(url)
    pinned = client.get(f"{url}&release={old}")
    assert current.json()["observations"][0]["value"] == 29.84 and current.json()["release"] == new
    assert pinned.json()["observations"][0]["value"] == 28.5 and pinned.json()["release"] == old
    assert pinned.headers["X-Observatory-Release"] == old and current.headers["X-Observatory-Release"] == new
    assert "immutable" in pinned.headers["Cache-Control"] and "immutable" not in current.headers["Cache-Control"]
    assert current.headers["ETag"] != pinned.headers["ETag"]
    assert client.get(f"{url}&release=previous").json()["release"] == old
    diff = client.get(f"{V1}/releases/{old}/diff/{new}?indicator={GVA}&limit=10000").json()
    assert (diff["old"], diff["new"]) == (old, new) and diff["summary"]["revised"] > 100
    southend = [c for c in diff["changes"] if c["area_code"] == SOUTHEND and c["period"] == "2022-01-01/P1Y"]
    assert [(c["change"], c["old_value"], c["new_value"]) for c in southend] == [("revised", 28.5, 29.84)]
    as_csv = list(csv.DictReader(io.StringIO(client.get(f"{V1}/releases/previous/diff/current?format=csv").text)))
    assert any(r["area_code"] == SOUTHEND and r["old_value"] == "28.5" for r in as_csv)
    listing = client.get(f"{V1}/releases").json()
    assert [r["id"] for r in listing["releases"]] == [old, new]
    bad = problem(client.get(f"{V1}/releases/{old}/diff/{new}?indicator=nope"))
    assert bad["status"] == 400
    old_bulk = client.get(f"{V1}/releases/{old}/observations.csv.gz")
    text = gzip.decompress(old_bulk.content).decode()
    assert f"{SOUTHEND},Southend-on-Sea,{GVA},2022-01-01/P1Y,2022-01-01,P1Y,28.5," in text


def _cli(*args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "observatory", *args], check=True, capture_output=True, text=True
    ).stdout


def test_bulk_csv_round_trip_equals_the_export(client: TestClient, full_build: tuple[Store, BuildReport]) -> None:
    """The core fidelity check through HTTP: bulk CSV.gz read with pandas == `observatory export`."""
    store, _ = full_build
    response = client.get(f"{V1}/releases/current/observations.csv.gz")
    assert response.status_code == 200 and response.headers["content-type"] == "application/gzip"
    exported = _cli("export", "--store", str(store.root))
    assert gzip.decompress(response.content).decode("utf-8") == exported  # byte for byte
    options: dict[str, Any] = {"dtype": str, "keep_default_na": False}
    through_http = pd.read_csv(io.BytesIO(response.content), compression="gzip", **options)
    source = pd.read_csv(io.StringIO(exported), **options)
    assert list(through_http.columns) == list(EXPORT_COLUMNS) and len(through_http) == OBSERVATIONS
    pd.testing.assert_frame_equal(through_http, source)
    with store.open() as con:
        stored = con.execute(
            "SELECT count(*) FROM observations WHERE indicator = $i AND area_code = $a AND value = 29.84",
            {"i": GVA, "a": SOUTHEND},
        ).fetchone()
    assert stored == (1,)
    again = client.get(
        f"{V1}/releases/current/observations.csv.gz", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304


def test_bulk_parquet_and_metadata(client: TestClient) -> None:
    response = client.get(f"{V1}/releases/current/observations.parquet")
    assert response.status_code == 200
    table = pq.read_table(io.BytesIO(response.content))
    assert table.column_names == list(EXPORT_COLUMNS) and table.num_rows == OBSERVATIONS
    with duckdb.connect() as con:
        con.register("t", table)
        value = con.execute(
            "SELECT value FROM t WHERE indicator = $i AND area_code = $a AND period = '2022-01-01/P1Y'",
            {"i": GVA, "a": SOUTHEND},
        ).fetchone()
    assert value == (29.84,)
    csvw = client.get(f"{V1}/releases/current/observations.csv-metadata.json")
    assert csvw.headers["content-type"].startswith("application/csvm+json")
    meta = csvw.json()
    assert [c["name"] for c in meta["tableSchema"]["columns"]] == list(EXPORT_COLUMNS)
    assert meta["url"] == "observations.csv.gz" and "open-government-licence" in meta["dc:license"]["@id"]
    package = client.get(f"{V1}/releases/current/datapackage.json").json()
    assert [f["name"] for f in package["resources"][0]["schema"]["fields"]] == list(EXPORT_COLUMNS)


# ----------------------------------------------------------------------------------------------------------------
# HTTP behaviour


def test_etag_304_and_release_header(client: TestClient) -> None:
    url = f"{V1}/observations?indicator={GVA}&area={SOUTHEND}"
    first = client.get(url)
    assert first.headers["X-Observatory-Release"] == first.json()["release"]
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["X-Observatory-Release"] == first.headers["X-Observatory-Release"]
    other = client.get(f"{url}&format=csv")
    assert other.headers["ETag"] != first.headers["ETag"]
    assert "max-age" in first.headers["Cache-Control"]


def test_cors_for_get_and_preflight(client: TestClient) -> None:
    response = client.get(f"{V1}/indicators", headers={"Origin": "https://example.org"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert "X-Observatory-Release" in response.headers["access-control-expose-headers"]
    preflight = client.options(
        f"{V1}/observations",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "GET",
                 "Access-Control-Request-Headers": "if-none-match"},
    )  # fmt: skip
    assert preflight.status_code == 204 and "GET" in preflight.headers["access-control-allow-methods"]
    assert "if-none-match" in preflight.headers["access-control-allow-headers"]
    error = client.get(f"{V1}/indicators/nope", headers={"Origin": "https://example.org"})
    assert error.headers["access-control-allow-origin"] == "*"  # a browser client can read errors too


def test_gzip_compression(client: TestClient) -> None:
    response = client.get(f"{V1}/indicators", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"


@pytest.mark.parametrize(
    ("url", "status", "needle"),
    [
        ("/observations?indicator=nope", 400, "unknown indicator"),
        ("/observations?indicator=gross-value-added-per-hour-workd", 400, GVA),
        ("/observations?indicator=%3Cscript%3E", 400, "not an indicator slug"),
        ("/observations?area=ZZZ", 400, "unknown area code"),
        ("/observations?area=E06000033;DROP", 400, "not an area code"),
        ("/observations?area_type=planet", 400, "ltla"),
        ("/observations?from=20x", 400, "a year"),
        ("/observations?from=2022-02-30", 400, "not a real date"),
        ("/observations?from=2023&to=2020", 400, "after"),
        ("/observations?latest=perhaps", 400, "bool"),
        ("/observations?format=pdf", 400, "jsonstat"),
        ("/observations?limit=0", 400, "greater than or equal to 1"),
        ("/observations?limit=10001", 400, "10000"),
        ("/observations?offset=-1", 400, "greater than or equal to 0"),
        ("/observations?areas=E06000033", 400, "unknown parameter"),
        ("/observations?release=19990101T000000Z-00000000", 404, "no release"),
        ("/indicators?theme=space", 400, "enterprise-growth"),
        ("/indicators/gross-value-added-per-hour-workd", 404, GVA),
        ("/indicators/NOT_A_SLUG", 400, "pattern"),
        ("/areas?type=planet", 400, "ltla"),
        ("/areas?parent=ZZZ", 400, "unknown area code"),
        ("/areas/ZZZ", 404, "no area"),
        ("/areas/ZZZ/profile", 404, "no area"),
        ("/releases/nope", 404, "no release"),
        ("/releases/nope/observations.csv.gz", 404, "no release"),
        ("/releases/current/diff/nope", 404, "no release"),
        ("/nothing/here", 404, "no page"),
    ],
)
def test_bad_parameters_are_4xx_problems_saying_what_is_allowed(
    client: TestClient, url: str, status: int, needle: str
) -> None:
    response = client.get(f"{V1}{url}")
    assert response.status_code == status, response.text
    body = problem(response)
    assert needle.lower() in json.dumps(body).lower()
    assert "Traceback" not in response.text and str(Path.cwd()) not in response.text


# ----------------------------------------------------------------------------------------------------------------
# Description, docs, catalogue


def test_openapi_documents_every_operation_with_problems(client: TestClient) -> None:
    doc = client.get(f"{V1}/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    paths = set(doc["paths"])
    for path in ("/api/v1/indicators", "/api/v1/indicators/{slug}", "/api/v1/areas/{code}/geometry",
                 "/api/v1/observations", "/api/v1/areas/{code}/profile", "/api/v1/indicators/{slug}/map",
                 "/api/v1/releases", "/api/v1/releases/{release_id}", "/api/v1/releases/{old}/diff/{new}",
                 "/api/v1/releases/{release_id}/observations.csv.gz",
                 "/api/v1/releases/{release_id}/observations.parquet"):  # fmt: skip
        assert path in paths
        op = doc["paths"][path]["get"]
        assert "application/problem+json" in op["responses"]["400"]["content"]
        assert "422" not in op["responses"]
    obs = doc["paths"]["/api/v1/observations"]["get"]["responses"]["200"]["content"]
    assert {"application/json", "text/csv", XLSX_MEDIA_TYPE} <= set(obs)


def test_docs_work_offline_and_list_every_operation(client: TestClient) -> None:
    doc = client.get(f"{V1}/openapi.json").json()
    page = client.get(f"{V1}/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for path in doc["paths"]:
        assert f"<code>{path}</code>" in page.text
    assert "<script src=" not in page.text and "cdn" not in page.text.lower()
    op = doc["paths"]["/api/v1/areas/{code}"]["get"]["operationId"]
    tried = client.get(f"{V1}/docs/try?_op={op}&code={SOUTHEND}", follow_redirects=False)
    assert tried.status_code == 303 and tried.headers["location"] == f"{V1}/areas/{SOUTHEND}"


def test_dcat_catalogue(client: TestClient) -> None:
    response = client.get("/catalog.jsonld")
    assert response.headers["content-type"].startswith("application/ld+json")
    catalogue = response.json()
    assert catalogue["@type"] == "dcat:Catalog"
    datasets = {d["dct:identifier"]: d for d in catalogue["dcat:dataset"]}
    gva = datasets[GVA]
    assert gva["@type"] == "dcat:Dataset" and gva["dct:publisher"]["foaf:name"] == "Office for National Statistics"
    titles = {d["dct:title"] for d in gva["dcat:distribution"]}
    assert {"CSV", "JSON", "JSON-stat 2.0", "Excel workbook (XLSX)"} <= titles
    assert "open-government-licence" in gva["dct:license"]["@id"]
    assert gva["dct:temporal"]["dcat:startDate"]["@value"] <= "2004-01-01"
    release = client.get(f"{V1}/releases/current").json()
    assert gva["dct:modified"]["@value"] == release["created"].replace(" ", "T")
    csv_url = next(d for d in gva["dcat:distribution"] if d["dct:title"] == "CSV")["dcat:downloadURL"]["@id"]
    assert client.get(csv_url.removeprefix("http://testserver")).status_code == 200
    assert len([d for d in datasets if d != GVA]) >= 90


def test_schema_org_dataset_for_the_indicator_page(client: TestClient) -> None:
    ind = client.get(f"{V1}/indicators/{GVA}").json()
    ind["themes"] = [t["slug"] for t in ind["themes"]]
    ind |= {"source_org": ind["source"]["organisation"], "source_url": ind["source"]["url"], "licence": "OGL-UK-3.0",
            "first_period": ind["coverage"]["first_period"], "last_period": ind["coverage"]["last_period"]}  # fmt: skip
    data = indicator_dataset(ind, base="https://example.org", site="South Essex Data Observatory",
                             release_id="r1", created="2026-11-26 17:08:47")  # fmt: skip
    assert data["@type"] == "Dataset" and data["name"] == "Gross value added per hour worked"
    assert data["creator"]["name"] == "Office for National Statistics" and data["temporalCoverage"].startswith("20")
    text = indicator_jsonld({**ind, "label": "</script><b>x"}, base="https://example.org", site="S", release_id="r",
                            created="2026-11-26")  # fmt: skip
    assert "</script>" not in text and json.loads(text)["name"] == "</script><b>x"


def test_judgements_and_methods_are_in_the_api(client: TestClient) -> None:
    found = client.get(f"{V1}/judgements?indicator=employment-rate&area={THURROCK}").json()
    england = next(j for j in found["judgements"] if j["kind"] == "comparison" and j["benchmark_code"] == "E92000001")
    assert england["judgement"] == "similar"
    assert england["sentence"].startswith("Thurrock's employment rate (78.1%, 2023) is similar to England's (76.0%)")
    assert england["method_url"] == f"/methodology#{england['method']}"
    assert any(j["kind"] == "trend" for j in found["judgements"])
    methods = client.get(f"{V1}/methods").json()["methods"]
    assert england["method"] in {m["method"] for m in methods}
    assert all(m["description"] for m in methods)
    problem = client.get(f"{V1}/judgements")
    assert problem.status_code == 400 and problem.headers["content-type"].startswith("application/problem+json")
