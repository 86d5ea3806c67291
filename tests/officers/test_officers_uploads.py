"""Local data uploads on SQLite and PostgreSQL: checked like a publisher's file, refused with row and column,
previewed, embargoed, invisible to the public by every route until a release is built after the embargo,
then in that release with its provenance."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
import re
from functools import partial
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import func, select

from observatory.officers import uploads
from observatory.officers.models import AuditEvent, Upload
from observatory.officers.service import Officers
from observatory.pipeline.build import ExtraInput, build_release
from observatory.store import Store
from observatory.web.app import create_app
from observatory.web.pages import clear_caches
from tests.officers.conftest import SOUTHEND, csrf_of, sign_in, small_config

HEADER = "areacd,areanm,indicator,period,observation,measure,unit\n"
INDICATOR = "Town-centre footfall (Southend local count)"
SLUG = "town-centre-footfall-southend-local-count"
GOOD = (
    HEADER
    + f"{SOUTHEND},Southend-on-Sea,{INDICATOR},2023-01-01/P1Y,1250000,Count,visits\n"
    + f"{SOUTHEND},Southend-on-Sea,{INDICATOR},2024-01-01/P1Y,1310000,Count,visits\n"
    + f"{SOUTHEND},Southend-on-Sea,{INDICATOR},2025-01-01/P1Y,1402000,Count,visits\n"
).encode()
# Three errors, one a row (the header is row 1): a value that is not a number (row 2, observation), another
# council's area (row 3, areacd: Thurrock is not inside Southend), an impossible month (row 4, period).
BAD = (
    HEADER
    + f"{SOUTHEND},Southend-on-Sea,{INDICATOR},2023-01-01/P1Y,12x0000,Count,visits\n"
    + f"E06000034,Thurrock,{INDICATOR},2024-01-01/P1Y,1310000,Count,visits\n"
    + f"{SOUTHEND},Southend-on-Sea,{INDICATOR},2025-13-01/P1Y,1402000,Count,visits\n"
).encode()


def upload_page(client: TestClient) -> str:
    page = client.get("/officers/uploads/new")
    assert page.status_code == 200
    return csrf_of(page.text)


def post_file(client: TestClient, token: str, name: str, data: bytes, title: str = "Footfall") -> object:
    files = {"file": (name, data, "application/octet-stream")}
    return client.post("/officers/uploads", data={"csrf_token": token, "title": title, "org": SOUTHEND}, files=files)


def findings_table(html: str) -> list[tuple[str, str, str]]:
    """(severity, row, column) of each finding in the page's findings table."""
    body = html.split('class="data findings"', 1)[1].split("</table>", 1)[0]
    trs = re.findall(r"<tr class=\"finding-[a-z]+\">(.*?)</tr>", body)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", tr) for tr in trs]
    return [(c[0], c[1], c[2]) for c in cells]


def stored(officers: Officers) -> tuple[int, list[Path]]:
    with officers.db.session() as s:
        n = int(s.scalar(select(func.count()).select_from(Upload)) or 0)
    files = sorted(officers.uploads_dir.glob("*")) if officers.uploads_dir.exists() else []
    return n, files


def test_an_upload_with_errors_is_refused_with_findings_naming_row_and_column(
    client: TestClient, users: dict[str, str], officers: Officers
) -> None:
    sign_in(client, users["southend"])
    response = post_file(client, upload_page(client), "footfall.csv", BAD)
    assert response.status_code == 422  # type: ignore[attr-defined]
    html = response.text  # type: ignore[attr-defined]
    assert "3 errors. Nothing was kept." in html
    assert findings_table(html) == [("Error", "2", "observation"), ("Error", "3", "areacd"), ("Error", "4", "period")]
    assert "12x0000" in html and "E06000034 is not Southend-on-Sea (E06000033)" in html
    assert stored(officers) == (0, [])
    with officers.db.session() as s:
        refused = s.scalars(select(AuditEvent).where(AuditEvent.action == "upload.refused")).one()
        assert refused.actor == users["southend"]


def test_an_xlsx_upload_is_read_by_the_same_rules_naming_the_sheet_row(
    client: TestClient, users: dict[str, str], officers: Officers
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for line in csv.reader(io.StringIO(GOOD.decode())):
        sheet.append([float(v) if v.isdigit() else v for v in line])
    sheet["E3"] = "about 1.3m"  # row 3 of the sheet, the observation column
    buf = io.BytesIO()
    book.save(buf)
    sign_in(client, users["southend"])
    response = post_file(client, upload_page(client), "footfall.xlsx", buf.getvalue())
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert findings_table(response.text) == [("Error", "3", "observation")]  # type: ignore[attr-defined]
    assert stored(officers) == (0, [])


def test_files_that_are_not_data_are_refused(client: TestClient, users: dict[str, str], officers: Officers) -> None:
    sign_in(client, users["southend"])
    token = upload_page(client)
    assert post_file(client, token, "run.sh", b"#!/bin/sh\nrm -rf /\n").status_code == 422  # type: ignore[attr-defined]
    assert post_file(client, token, "fake.xlsx", b"not a zip").status_code == 422  # type: ignore[attr-defined]
    big = post_file(client, token, "big.csv", GOOD + b"x" * uploads.MAX_BYTES)
    assert big.status_code in (413, 422)  # type: ignore[attr-defined]
    assert stored(officers) == (0, [])


def public_sees(client: TestClient, release_id: str) -> dict[str, object]:
    """What an anonymous visitor can find of the uploaded indicator, by every public route."""
    bulk = client.get(f"/api/v1/releases/{release_id}/observations.csv.gz")
    assert bulk.status_code == 200
    text = gzip.decompress(bulk.content).decode() if bulk.content[:2] == b"\x1f\x8b" else bulk.text
    obs = client.get("/api/v1/observations", params={"indicator": SLUG, "format": "csv"})
    return {
        "page": client.get(f"/indicators/{SLUG}").status_code,
        "api": client.get(f"/api/v1/indicators/{SLUG}").status_code,
        "observations": obs.status_code == 200 and SLUG in obs.text,
        "bulk": [r for r in csv.DictReader(io.StringIO(text)) if r["indicator"] == SLUG],
        "search": SLUG in client.get("/search.json", params={"q": "footfall"}).text,
        "list": SLUG in client.get("/indicators.json").text,
        "catalog": SLUG in client.get("/catalog.jsonld").text,
        "changes": SLUG in client.get("/changes.json").text,  # what the latest release revised: the feed
    }


def test_an_embargoed_upload_is_invisible_to_the_public_until_a_release_after_its_embargo(
    users: dict[str, str], officers: Officers, small_sources: Path, small_release: Store, tmp_path: Path
) -> None:
    config = small_config()
    store = Store(tmp_path / "store")
    before = build_release(config, small_sources, store)
    assert before.release_id
    clear_caches()
    app = create_app(store, config, officers=officers)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        sign_in(client, users["southend"])
        response = post_file(client, upload_page(client), "footfall.csv", GOOD, "Town-centre footfall")
        assert response.status_code == 303  # type: ignore[attr-defined]
        where = response.headers["location"]  # type: ignore[attr-defined]
        preview = client.get(where)
        assert preview.status_code == 200 and "<svg" in preview.text and "1250000" in preview.text.replace(",", "")
        embargo = (dt.datetime.now(uploads.LONDON) + dt.timedelta(days=2)).replace(second=0, microsecond=0)
        sent = client.post(f"{where}/submit", data={"csrf_token": csrf_of(preview.text),
                                                   "embargo": embargo.strftime("%Y-%m-%dT%H:%M")})  # fmt: skip
        assert sent.status_code == 303
        assert "Embargoed until" in client.get(where).text
        client.cookies.clear()
        sign_in(client, users["viewer"])  # a viewer can preview embargoed data
        seen = client.get(where)
        assert seen.status_code == 200 and "1402000" in seen.text.replace(",", "")
        client.cookies.clear()
        assert client.get(where).status_code == 303  # the public is sent to sign in
        assert public_sees(client, before.release_id) == {
            "page": 404, "api": 404, "observations": False, "bulk": [], "search": False, "list": False,
            "catalog": False, "changes": False,
        }  # fmt: skip

    with officers.db.session() as s:
        up = s.scalars(select(Upload)).one()
        assert up.status == "submitted" and up.embargo_until == embargo.astimezone(dt.UTC)
        # a build before the embargo reads nothing; one after it reads the upload
        assert uploads.local_inputs(s, officers.uploads_dir, embargo.astimezone(dt.UTC) - dt.timedelta(minutes=1)) == []
        after_time = embargo.astimezone(dt.UTC) + dt.timedelta(minutes=1)
        lifted = uploads.local_inputs(s, officers.uploads_dir, after_time)
    assert len(lifted) == 1
    extra = [ExtraInput(i.file, partial(uploads.read_input, i)) for i in lifted]
    after = build_release(config, small_sources, store, now=after_time, extra=extra)
    assert after.release_id and after.release_id != before.release_id

    clear_caches()
    app = create_app(store, config, officers=officers)
    with TestClient(app, raise_server_exceptions=False) as client:
        seen = public_sees(client, after.release_id)
        assert seen["page"] == seen["api"] == 200 and seen["observations"] and seen["search"] and seen["list"]
        assert seen["catalog"] and seen["changes"]  # the new release lists it among what it added
        want = {(r["period"], float(r["observation"])) for r in csv.DictReader(io.StringIO(GOOD.decode()))}
        bulk = seen["bulk"]
        assert isinstance(bulk, list)
        assert {(r["period"], float(r["value"])) for r in bulk} == want
        assert {r["area_code"] for r in bulk} == {SOUTHEND}
        detail = client.get(f"/api/v1/releases/{after.release_id}").json()
        item = next(i for i in detail["inputs"] if i["source"] == "officers-uploads")
        assert item["path"] == "officers-uploads/1/footfall.csv"
        assert item["sha256"] == hashlib.sha256(GOOD).hexdigest() and item["size"] == len(GOOD)
        assert item["provenance"]["uploaded_by"] == users["southend"]
        assert item["provenance"]["embargo_until"] == embargo.astimezone(dt.UTC).isoformat()
        assert item["provenance"]["organisation"] == SOUTHEND
        assert dt.datetime.fromisoformat(item["provenance"]["uploaded_at"]) <= dt.datetime.now(dt.UTC)
        assert "Southend-on-Sea" in client.get(f"/api/v1/indicators/{SLUG}").text  # the source organisation


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("2026-03-29T01:30", "does not exist"),
        ("2026-10-25T01:30", "happens twice"),
        ("2001-01-01T09:00", "passed"),
        ("tomorrow", "YYYY-MM-DD"),
    ],
)
def test_embargo_times_are_uk_local_and_unambiguous(text: str, field: str) -> None:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with pytest.raises(uploads.UploadError, match=field):
        uploads.parse_embargo(text, now)
    summer = uploads.parse_embargo("2026-07-01T09:30", now)  # BST: 08:30 UTC
    assert summer == dt.datetime(2026, 7, 1, 8, 30, tzinfo=dt.UTC)
    assert uploads.parse_embargo("2026-12-01T09:30", now) == dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)


def test_a_form_of_unknown_or_excessive_length_is_refused_before_it_is_read(
    client: TestClient, users: dict[str, str], officers: Officers
) -> None:
    sign_in(client, users["southend"])
    token = upload_page(client)
    chunks = iter([f"csrf_token={token}&title=x".encode()])  # streamed: no Content-Length
    headers = {"content-type": "application/x-www-form-urlencoded"}
    assert client.post("/officers/uploads", content=chunks, headers=headers).status_code == 411
    huge = {**headers, "content-length": str(uploads.MAX_BYTES * 10)}
    assert client.post("/officers/uploads", content=b"csrf_token=x", headers=huge).status_code in (400, 413)
    assert stored(officers) == (0, [])
