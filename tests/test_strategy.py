"""The strategy pages: the action plan file (schema-validated, errors naming the field), /strategy's outcome
indicators from the release (baseline, latest, direction, trend) and /strategy/actions' tracker and timeline."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import tomllib
from pathlib import Path

import jsonschema
import pytest
from fastapi.testclient import TestClient

from observatory import format as nf
from observatory.config import Config
from observatory.store import Store
from observatory.strategy import PLAN_FILE, ActionPlanError, load_action_plan, schema, validate_plan
from observatory.web.data.strategy import INDEX_FORMAT, actions_page, strategy_page
from tests.test_pages import Page, check_structure, csv_cell, parse

METADATA = Path(__file__).resolve().parents[1] / "src" / "observatory" / "metadata"
THURROCK = "E06000034"
PROGRAMMES = ("Vibrant Places", "Enterprise Growth", "Future Work", "Data Transformation")
STAGES = {"initiation", "delivery", "securing-long-term-delivery"}


# ----------------------------------------------------------------------------------------------------------------
# The plan file


def test_action_plan_validates_and_holds_the_plans_actions() -> None:
    data = tomllib.loads((METADATA / PLAN_FILE).read_text(encoding="utf-8"))
    assert validate_plan(data, schema()) == []
    jsonschema.Draft202012Validator.check_schema(schema())
    plan = load_action_plan()
    assert [p.name for p in plan.programmes] == list(PROGRAMMES)
    per = {p.id: sum(1 for a in plan.actions if a.programme == p.id) for p in plan.programmes}
    assert per == {"vibrant-places": 4, "enterprise-growth": 3, "future-work": 3, "data-transformation": 3}
    assert {a.status for a in plan.actions} == {"planned"}
    assert {a.stage for a in plan.actions} == STAGES
    assert [(s.id, s.first_month, s.last_month) for s in plan.stages] == [
        ("initiation", 1, 3), ("delivery", 4, 15), ("securing-long-term-delivery", 16, 18),
    ]  # fmt: skip
    assert plan.start.isoformat() == "2026-04-01" and plan.month_end(18).isoformat() == "2027-09-30"
    assert all(a.milestones for a in plan.actions)
    assert all("lead to be confirmed" in a.owner for a in plan.actions)


def _broken(tmp_path: Path, index: int, old: str, new: str) -> Path:
    """A copy of the plan with one change inside action ``index`` (0-based)."""
    head, *actions = (METADATA / PLAN_FILE).read_text(encoding="utf-8").split("[[actions]]")
    assert old in actions[index], (old, actions[index])
    actions[index] = actions[index].replace(old, new, 1)
    path = tmp_path / PLAN_FILE
    path.write_text("[[actions]]".join([head, *actions]), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("index", "old", "new", "expected"),
    [
        (3, 'stage = "delivery"\n', 'stage = "build"\n', "actions[3].stage: 'build' is not one of ['initiation',"),
        (0, 'title = "Publish an inward-investment vision"\n', "", "actions[0].title: is required"),
        (
            5,
            'programme = "enterprise-growth"',
            'programme = "marketing"',
            "actions[5].programme: 'marketing'",
        ),
        (1, 'status = "planned"', 'status = "started"', "actions[1].status: 'started' is not one of"),
        (0, "month = 2 }", "month = 7 }", "actions[0].milestones[0].month: month 7 is not in the initiation stage"),
        (2, "end_month = 12", "end_month = 2", "actions[2].end_month: 2 is before start_month 4"),
        (4, 'owner = "', 'ownr = "', "actions[4].owner: is required"),
    ],
)
def test_a_broken_plan_names_the_field(tmp_path: Path, index: int, old: str, new: str, expected: str) -> None:
    with pytest.raises(ActionPlanError) as caught:
        load_action_plan(_broken(tmp_path, index, old, new))
    assert PLAN_FILE in str(caught.value)
    assert expected in str(caught.value), str(caught.value)


def test_plan_that_is_not_toml(tmp_path: Path) -> None:
    path = tmp_path / PLAN_FILE
    path.write_text("title = \n", encoding="utf-8")
    with pytest.raises(ActionPlanError, match="not valid TOML"):
        load_action_plan(path)


# ----------------------------------------------------------------------------------------------------------------
# The pages


def get_page(client: TestClient, url: str) -> Page:
    response = client.get(url)
    assert response.status_code == 200, (url, response.text[:500])
    page = parse(response.text)
    check_structure(page)
    return page


def table_for(page: Page, caption: str) -> list[list[str]]:
    rows: list[list[str]] = next(t["rows"] for t in page.tables if t["caption"].startswith(caption))
    return rows


def test_strategy_page_shows_programmes_with_baseline_and_latest_values(client: TestClient, store: Store) -> None:
    page = get_page(client, "/strategy")
    data = client.get("/strategy.json").json()
    assert [p["name"] for p in data["programmes"]] == list(PROGRAMMES)
    for name in PROGRAMMES:
        assert (2, name) in page.headings
    assert data["warnings"] == []
    with store.open() as con:
        latest = con.execute(
            'SELECT period_label, "index" FROM productivity_index WHERE area_code = ? AND "index" IS NOT NULL '
            "ORDER BY period DESC LIMIT 1",
            [THURROCK],
        ).fetchone()
        base = con.execute(
            "SELECT \"index\", period_label FROM productivity_index WHERE area_code = ? AND period LIKE '2019-%'",
            [THURROCK],
        ).fetchone()
        emp = con.execute(
            "SELECT period_label, value FROM observations WHERE indicator = 'employment-rate' AND area_code = ? "
            "AND period_start = DATE '2019-01-01'",
            [THURROCK],
        ).fetchone()
        emp_ind = con.execute("SELECT decimals, unit, prefix, suffix FROM indicators WHERE slug = 'employment-rate'")
        cols = [d[0] for d in emp_ind.description or []]
        fmt = dict(zip(cols, emp_ind.fetchone() or (), strict=True))
    assert latest is not None and base is not None and emp is not None
    base_label = base[1]
    row = next(r for r in table_for(page, "Productivity gap with England") if r[0] == "Thurrock")
    assert nf.value(latest[1], nf.unit_of(INDEX_FORMAT)) in row[2] and latest[0] in row[2]
    # the baseline cell: its value and the period's own label, which starts in 2019 (no note, none needed)
    assert row[1] == nf.value(base[0], nf.unit_of(INDEX_FORMAT)) + base_label  # value, then its period's label
    assert "starting in" not in page.text and "nearest" not in row[1]
    assert "/methodology#index-england-100" in page.links
    row = next(r for r in table_for(page, "Employment rate") if r[0] == "Thurrock")
    assert nf.value(emp[1], nf.unit_of(fmt)) in row[1] and "2019" in row[1]
    assert any(w in row[3] for w in ("Improving", "Worsening", "No significant change", "Not tested"))
    se = next(r for r in table_for(page, "Productivity gap with England") if r[0] == "South Essex")
    assert se[1].startswith("No South Essex figure:") and "total" in se[1]  # the build's reason, never an average
    # a measure that cannot be added up says so in plain words, not the metadata's note for the methodology
    se = next(r for r in table_for(page, "Housing affordability ratio") if r[0] == "South Essex")
    assert se[1].startswith("No South Essex figure: a ratio cannot be added up"), se[1]
    assert "Not aggregable" not in page.text and "Not computable" not in page.text
    assert f"from {data['plan']['start_text']}" in page.text and data["plan"]["start"] not in page.text
    future = next(p for p in data["programmes"] if p["name"] == "Future Work")
    assert future["aim"] and future["aim"] in page.text
    slugs = [o["slug"] for p in data["programmes"] for o in p["outcomes"]]
    for slug in ("productivity-index", "employment-rate", "level-3-or-above-qualifications-great-britain",
                 "apprenticeship-starts-england", "business-births", "high-growth-businesses",
                 "gigabit-capable-broadband"):  # fmt: skip
        assert slug in slugs
    emp_rows = [
        r for p in data["programmes"] for o in p["outcomes"] if o["slug"] == "employment-rate" for r in o["rows"]
    ]
    assert {o["wanted"] for p in data["programmes"] for o in p["outcomes"] if o["slug"] == "employment-rate"} == {
        "Up (higher is better)"
    }
    thurrock = next(r for r in emp_rows if r["code"] == THURROCK)
    assert thurrock["baseline"]["value"] == emp[1] and thurrock["method"]


def test_strategy_csv_and_json_agree(client: TestClient) -> None:
    data = client.get("/strategy.json").json()
    text = client.get("/strategy.csv").text
    found = list(csv.DictReader(io.StringIO(text)))
    assert len(found) == len(data["table"]) > 0
    for got, want in zip(found, data["table"], strict=True):
        assert got == {k: csv_cell(v) for k, v in want.items()}
    page = get_page(client, "/strategy")
    for r in data["table"]:
        if r["area_code"] == THURROCK and r["latest_period_label"]:
            assert r["latest_period_label"] in page.text


def test_actions_page_lists_thirteen_planned_actions_in_three_stages(client: TestClient) -> None:
    page = get_page(client, "/strategy/actions")
    data = client.get("/strategy/actions.json").json()
    assert len(data["actions"]) == 13 and {a["status"] for a in data["actions"]} == {"planned"}
    tracker = [r for t in page.tables if "actions" in t["caption"] for r in t["rows"][1:]]
    assert len(tracker) == 13
    assert all(r[3] == "Planned" for r in tracker)  # no progress recorded in this test's officers' database
    assert {r[2] for r in tracker} == {"Initiation", "Delivery", "Securing long-term delivery"}
    stages = table_for(page, "The plan's three stages")[1:]
    assert [r[0] for r in stages] == ["Initiation", "Delivery", "Securing long-term delivery"]
    assert [r[1] for r in stages] == ["1–3", "4–15", "16–18"]
    assert "/indicators/employment-rate" in page.links
    html = client.get("/strategy/actions").text
    assert 'role="img"' in html and 'aria-labelledby="timeline-title timeline-desc"' in html
    found = list(csv.DictReader(io.StringIO(client.get("/strategy/actions.csv").text)))
    assert [r["id"] for r in found] == [a["id"] for a in data["actions"]]
    for got, want in zip(found, data["table"], strict=True):
        assert got == {k: csv_cell(v) for k, v in want.items()}
        assert want["title"] in page.text


def test_unknown_slugs_warn_rather_than_fail(store: Store, config: Config) -> None:
    plan = load_action_plan()
    first = dataclasses.replace(plan.actions[0], indicators=("no-such-indicator", *plan.actions[0].indicators))
    prog = dataclasses.replace(plan.programmes[0], outcomes=("no-such-outcome", *plan.programmes[0].outcomes))
    odd = dataclasses.replace(plan, actions=(first, *plan.actions[1:]), programmes=(prog, *plan.programmes[1:]))
    with store.open() as con:
        cur = con.cursor()
        actions = actions_page(cur, odd)
        outcomes = strategy_page(cur, config, odd)
    assert any("no-such-indicator" in w for w in actions["warnings"])
    assert actions["actions"][0]["indicators"][0]["slug"] != "no-such-indicator"
    assert any("no-such-outcome" in w for w in outcomes["warnings"])
    assert json.dumps(outcomes["table"], default=str)
