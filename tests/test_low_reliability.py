"""The publisher's "unreliable" notes: ONS ELS writes "Estimate and confidence interval unreliable since the
group sample size is small (3-9)" in `notes` with an empty `status` (employment-rate, qualifications-none-gb).
Such a value carries the low-reliability status 'u' in the release, and every page that shows it shows "[u]".

The rows are found here by reading the publisher's CSVs with the plain csv module, not by the reader under test.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from fastapi.testclient import TestClient

from observatory.store import Store

FILES = ("employment-rate/employment-rate.csv", "qualifications-none-gb/qualifications-none-gb.csv")
NOTE = "unreliable since the group sample size is small"
CASTLE_POINT = "E07000069"
FLAG = '<abbr title="low reliability">[u]</abbr>'


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _noted_rows(shared: Path) -> list[dict[str, str]]:
    rows = []
    for name in FILES:
        with open(shared / "ons-els" / name, encoding="utf-8-sig", newline="") as fh:
            rows += [r for r in csv.DictReader(fh) if NOTE in r["notes"] and not r["status"].strip()]
    return rows


def test_every_unreliable_note_becomes_status_u_with_the_note_kept(shared: Path, store: Store) -> None:
    rows = _noted_rows(shared)
    assert len(rows) == 56 + 258  # counted by hand with grep -c on the two files
    with store.open() as con:
        found = {
            (i, a, p): (s, n)
            for i, a, p, s, n in con.execute(
                "SELECT indicator, area_code, period, status, notes FROM observations WHERE notes LIKE '%unreliable%'"
            ).fetchall()
        }
    for r in rows:
        key = (_slug(r["indicator"]), r["areacd"], r["period"])
        assert key in found, key
        assert found[key] == ("u", r["notes"]), key


def test_castle_point_inactivity_2023_is_flagged_wherever_it_is_shown(shared: Path, client: TestClient) -> None:
    # employment-rate.csv: E07000069, Economically inactive, 2023-01-01/P1Y, 12.1, no interval, the note.
    (row,) = [
        r for r in _noted_rows(shared)
        if r["areacd"] == CASTLE_POINT and r["indicator"] == "Economically inactive" and r["period"].startswith("2023")
    ]  # fmt: skip
    shown = f"{float(row['observation']):.1f}%"
    assert shown == "12.1%"
    flagged = f"{shown} {FLAG}"
    home = client.get("/").text
    assert flagged in home
    theme = client.get(f"/areas/{CASTLE_POINT}/future-work").text
    assert re.search(rf"<strong>{re.escape(shown)}</strong> {re.escape(FLAG)}", theme)
    indicator = client.get("/indicators/economically-inactive").text
    # South Essex summary, ranked table and the chart's numbers table each flag it.
    assert indicator.count(flagged) >= 2
    assert re.search(rf'data-glance="value">{re.escape(flagged)}', indicator)
    assert re.search(rf'data-role="value" data-value="12.1">{re.escape(flagged)}', indicator)
    table = client.get(f"/areas/{CASTLE_POINT}.csv").text
    (line,) = [x for x in csv.DictReader(table.splitlines()) if x["indicator"] == "economically-inactive"]
    assert (line["period"], line["value"], line["status"]) == (row["period"], "12.1", "u")
    data = client.get(f"/areas/{CASTLE_POINT}.json").json()
    (cell,) = [c for c in data["table"] if c["indicator"] == "economically-inactive"]
    assert cell["status"] == "u"


def test_aps_unemployment_points_to_the_model_based_rate_on_the_area_page(client: TestClient) -> None:
    """Thurrock's APS unemployment rate (a direct survey estimate) is listed where Thurrock differs from
    England; beside it a hint says ONS recommends the model-based rate, with a link, and the figure stays."""
    page = client.get("/areas/E06000034").text
    differs = page[page.index('id="differs"') : page.index('id="glance"')]
    row = differs[differs.index('data-indicator="aps-unemployment-rate"') :]
    row = row[: row.index("</tr>")]
    assert 'data-role="survey-hint"' in row
    assert "ONS recommends the" in row
    assert '<a href="/indicators/modelled-unemployment-rate">' in row
    assert re.search(r'data-area="E06000034" data-value="[0-9.]+">[0-9.]+%', row)  # the figure is not hidden
    data = client.get("/indicators/aps-unemployment-rate.json").json()
    assert "ONS recommends its model-based estimate" in data["indicator"]["caveats"]
    assert "/indicators/modelled-unemployment-rate" in data["indicator"]["caveats"]


def test_no_value_of_low_reliability_is_called_significantly_different(store: Store) -> None:
    """The build's comparisons do not read the status; today no 'u' value is judged better/worse/higher/lower
    (such values publish no interval, or their interval contains England's). Should that change, the verdict
    would need a caveat in its sentence: this test says so rather than letting it pass silently."""
    with store.open() as con:
        judged = con.execute(
            "SELECT c.indicator, c.area_code, c.period, c.judgement FROM comparisons c "
            "JOIN observations o USING (indicator, area_code, period) "
            "WHERE o.status = 'u' AND c.judgement IN ('better', 'worse', 'higher', 'lower')"
        ).fetchall()
        flagged = con.execute("SELECT count(*) FROM observations WHERE status = 'u'").fetchone()
    assert flagged is not None and flagged[0] >= 56 + 258
    assert judged == []
