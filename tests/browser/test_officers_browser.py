"""An editor in a real browser: signs in, records progress on an action, uploads a small local data file, sees
the preview and its findings, submits it with an embargo. axe-core finds no WCAG A/AA violation on the sign-in,
editor (progress) and upload pages, nor on the preview.

The server is a second ``observatory serve`` on the shared full release, with its own officers' folder
(``OBSERVATORY_OFFICERS_DIR``) so the progress recorded here never shows on the other tests' tracker.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from observatory.pipeline.build import BuildReport
from observatory.store import Store
from tests.browser.conftest import REPO, SOUTHEND, Site, observatory_command, serving
from tests.browser.test_accessibility import describe_violations, run_axe

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EDITOR = "editor@southend.example.org"
PASSWORD = "a long test password for the browser"
INDICATOR = "Business support enquiries handled (Southend local count)"
# Row 3 has an empty value and no status: a WARNING the preview must show with its row (3) and column.
CSV = (
    "areacd,areanm,indicator,period,observation,measure,unit\n"
    f"{SOUTHEND},Southend-on-Sea,{INDICATOR},2023-01-01/P1Y,412,Count,enquiries\n"
    f"{SOUTHEND},Southend-on-Sea,{INDICATOR},2024-01-01/P1Y,,Count,enquiries\n"
    f"{SOUTHEND},Southend-on-Sea,{INDICATOR},2025-01-01/P1Y,538,Count,enquiries\n"
)
SHOTS = Path(os.environ.get("OBSERVATORY_SCREENSHOTS", "/tmp/officers-screens"))


@pytest.fixture(scope="module")
def officer_site(full_build: tuple[Store, BuildReport], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    store, _ = full_build
    folder = tmp_path_factory.mktemp("officers-browser")
    env = {**os.environ, "OBSERVATORY_OFFICERS_DIR": str(folder)}
    env.pop("OBSERVATORY_DATABASE_URL", None)
    add = [*observatory_command(), "users", "add", EDITOR, "--role", "editor", "--org", SOUTHEND,
           "--programme", "enterprise-growth", "--store", str(store.root)]  # fmt: skip
    made = subprocess.run(add, input=PASSWORD + "\n", env=env, cwd=REPO, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    with serving(store, folder / "serve.log", env) as running:
        yield running


def no_violations(page: Any, what: str) -> None:
    result = run_axe(page)
    assert result["violations"] == [], f"axe-core {result['version']} on {what}:\n" + describe_violations(
        result["violations"]
    )


def shoot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_an_editor_records_progress_and_uploads_embargoed_data(
    officer_site: Site, browser: Any, tmp_path: Path
) -> None:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    ctx.set_default_timeout(30_000)
    page = ctx.new_page()
    try:
        page.goto(officer_site.url("/officers/sign-in"), wait_until="load")
        no_violations(page, "the sign-in page")
        shoot(page, "sign-in")
        page.get_by_label("Email address").fill(EDITOR)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/officers$"))
        assert "Signed in as" in page.content()

        # progress on an action of the editor's programme
        page.goto(officer_site.url("/officers/actions/eg-1"), wait_until="load")
        no_violations(page, "the editor's progress page")
        shoot(page, "action")
        today = dt.datetime.now(ZoneInfo("Europe/London")).date().isoformat()
        page.get_by_label("On track").check()
        page.get_by_label("Date of this update").fill(today)
        page.get_by_label("Progress note").fill("Business survey commissioned; fieldwork starts in January.")
        page.get_by_label("Evidence links").fill("https://example.org/cabinet-report")
        page.get_by_role("button", name="Save progress").click()
        page.wait_for_url(re.compile(r"saved=1"))
        assert "Saved." in page.content()
        page.goto(officer_site.url("/strategy/actions"), wait_until="load")
        row = page.locator("tr#eg-1")
        assert "On track" in row.inner_text() and today in row.inner_text()

        # a small local data file: preview, findings, embargo
        page.goto(officer_site.url("/officers/uploads/new"), wait_until="load")
        no_violations(page, "the upload page")
        shoot(page, "upload")
        data = tmp_path / "enquiries.csv"
        data.write_text(CSV, encoding="utf-8")
        page.get_by_label("Title").fill("Business support enquiries")
        page.locator("input#file").set_input_files(str(data))
        page.get_by_role("button", name="Check and preview").click()
        page.wait_for_url(re.compile(r"/officers/uploads/\d+$"))
        findings = page.locator("table.findings tbody tr")
        assert findings.count() == 1
        cells = [c.strip() for c in findings.first.locator("td").all_inner_texts()]
        assert cells[:3] == ["Warning", "3", "observation"] and "no status explains why" in cells[4]
        assert page.locator("figure.chart svg").count() == 1
        assert "538" in page.content()
        no_violations(page, "the upload preview")
        shoot(page, "preview")
        embargo = (dt.datetime.now(ZoneInfo("Europe/London")) + dt.timedelta(days=7)).replace(hour=9, minute=30)
        page.get_by_label("Embargo until (UK time)").fill(embargo.strftime("%Y-%m-%dT%H:%M"))
        page.get_by_role("button", name="Submit with this embargo").click()
        page.wait_for_load_state("load")
        text = page.content()
        assert "Embargoed until 09:30 on" in text and embargo.strftime("%B %Y") in text
    finally:
        ctx.close()
