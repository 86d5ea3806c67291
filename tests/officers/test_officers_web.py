"""The officers' pages over HTTP, on SQLite and PostgreSQL: every write route refused without sign-in, without
a CSRF token and with the wrong role; sign-in lockout; action progress on the public tracker; audit log."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from starlette.routing import Route

from observatory.officers import accounts
from observatory.officers.models import ActionUpdate, AuditEvent
from observatory.officers.service import Officers
from observatory.strategy import load_action_plan
from observatory.web.officers import WRITE_ROUTES
from tests.officers.conftest import PASSWORD, THURROCK, csrf_of, sign_in

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
OPEN_ROUTES = {"/officers/sign-in"}  # needs no session, but its CSRF token


def every_route(app: Any) -> list[tuple[str, set[str]]]:
    """(path, methods) of every route of the app, through included routers (FastAPI keeps them nested)."""
    found: list[tuple[str, set[str]]] = []
    for route in app.routes:
        if hasattr(route, "effective_route_contexts"):
            for ctx in route.effective_route_contexts():
                found.append((ctx.path, set(getattr(ctx.original_route, "methods", None) or ())))
        elif isinstance(route, APIRoute | Route):
            found.append((route.path, set(route.methods or ())))
    return found


def write_routes(client: TestClient) -> list[str]:
    routes = every_route(client.app)
    assert len(routes) > 50 and any(p == "/strategy/actions" for p, _ in routes)  # the walk sees the whole app
    return sorted({path for path, methods in routes if methods & WRITE_METHODS})


def concrete(path: str) -> str:
    return path.replace("{action_id}", "eg-1").replace("{upload_id}", "1")


def count_updates(officers: Officers) -> int:
    with officers.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(ActionUpdate)) or 0)


def test_every_write_route_is_declared(client: TestClient) -> None:
    """A new POST route must be added to WRITE_ROUTES (and so to the checks below) or this fails."""
    assert write_routes(client) == sorted(WRITE_ROUTES)


def test_every_write_route_refuses_anonymous_visitors(client: TestClient, users: dict[str, str]) -> None:
    for path in write_routes(client):
        response = client.post(concrete(path), data={"csrf_token": "0" * 64})
        want = 403 if path in OPEN_ROUTES else 401  # the sign-in form: refused for its (forged) CSRF token
        assert response.status_code == want, path


def test_every_write_route_refuses_a_missing_or_forged_csrf_token(
    client: TestClient, users: dict[str, str], officers: Officers
) -> None:
    sign_in(client, users["admin"])  # the most powerful role: only the token is missing
    for path in write_routes(client):
        for data in ({}, {"csrf_token": "0" * 64}):
            response = client.post(concrete(path), data={**data, "status": "on-track", "note": "x"})
            assert response.status_code == 403, (path, data)
    assert count_updates(officers) == 0


def test_a_token_from_another_session_is_refused(client: TestClient, users: dict[str, str]) -> None:
    other = sign_in(client, users["viewer"])
    client.cookies.clear()
    sign_in(client, users["growth"])
    response = client.post("/officers/actions/eg-1", data={"csrf_token": other, "status": "on-track"})
    assert response.status_code == 403


def test_every_write_route_refuses_the_wrong_role(
    client: TestClient, users: dict[str, str], officers: Officers
) -> None:
    token = sign_in(client, users["viewer"])  # a viewer may read everything, change nothing
    for path in write_routes(client):
        if set(WRITE_ROUTES[path]) >= {"viewer"} or path in OPEN_ROUTES:
            continue  # signing in and out are for every role
        form = {"csrf_token": token, "status": "on-track", "note": "x", "note_date": "2026-11-01",
                "embargo": "2030-01-01T09:30"}  # fmt: skip
        response = client.post(concrete(path), data=form)
        assert response.status_code == 403, path
    assert count_updates(officers) == 0


def test_editors_are_kept_to_their_own_programme_and_organisation(
    client: TestClient, users: dict[str, str], officers: Officers
) -> None:
    token = sign_in(client, users["growth"])  # editor of enterprise-growth
    form = {"csrf_token": token, "status": "on-track", "note": "x", "note_date": "2026-11-01"}
    assert client.post("/officers/actions/vp-1", data=form).status_code == 403  # vibrant places
    assert client.get("/officers/actions/vp-1").status_code == 403
    files = {"file": ("f.csv", b"areacd,indicator,period,observation\n", "text/csv")}
    refused = client.post("/officers/uploads", data={"csrf_token": token, "title": "t"}, files=files)
    assert refused.status_code == 403  # a programme editor has no organisation's data to upload
    client.cookies.clear()
    token = sign_in(client, users["southend"])
    assert client.post("/officers/actions/eg-1", data={**form, "csrf_token": token}).status_code == 403
    refused = client.post("/officers/uploads", data={"csrf_token": token, "title": "t", "org": THURROCK}, files=files)
    assert refused.status_code == 403  # Southend's editor cannot upload Thurrock's data
    assert count_updates(officers) == 0


def test_lockout_over_http(client: TestClient, users: dict[str, str]) -> None:
    page = client.get("/officers/sign-in")
    token = csrf_of(page.text)
    for _ in range(accounts.ACCOUNT_LIMIT):
        bad = client.post("/officers/sign-in", data={"csrf_token": token, "email": users["admin"], "password": "nope"})
        assert bad.status_code in (401, 429) and "session" not in "".join(client.cookies.keys())
    right = client.post("/officers/sign-in", data={"csrf_token": token, "email": users["admin"], "password": PASSWORD})
    assert right.status_code == 429 and "locked until" in right.text
    assert "obs_session" not in client.cookies
    assert client.get("/officers").status_code == 303  # still not signed in: sent to the sign-in page


def test_session_cookie_is_signed_httponly_and_samesite(client: TestClient, users: dict[str, str]) -> None:
    page = client.get("/officers/sign-in")
    response = client.post("/officers/sign-in", data={"csrf_token": csrf_of(page.text), "email": users["viewer"],
                                                      "password": PASSWORD})  # fmt: skip
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("obs_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie  # plain http here
    client.cookies.set("obs_session", cookie.split(";")[0].split("=", 1)[1][:-2] + "xx")
    assert client.get("/officers").status_code == 303  # a tampered cookie is no session


def test_secure_cookie_over_https(small_release: object, officers: Officers, users: dict[str, str]) -> None:
    from observatory.web.app import create_app
    from tests.officers.conftest import small_config

    app = create_app(small_release, small_config(), officers=officers)  # type: ignore[arg-type]
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as c:
        page = c.get("/officers/sign-in")
        response = c.post("/officers/sign-in", data={"csrf_token": csrf_of(page.text), "email": users["viewer"],
                                                     "password": PASSWORD})  # fmt: skip
        cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("obs_session="))
        assert "Secure" in cookie


def test_an_action_update_appears_on_the_public_tracker_with_its_date(
    client: TestClient, users: dict[str, str], officers: Officers
) -> None:
    plan = load_action_plan()
    action = next(a for a in plan.actions if a.id == "eg-1")
    before = client.get("/strategy/actions")
    assert before.status_code == 200
    tag = before.headers["etag"]
    token = sign_in(client, users["growth"])
    note_date = (dt.date.today() - dt.timedelta(days=3)).isoformat()
    first = action.milestones[0].title
    response = client.post("/officers/actions/eg-1", data={
        "csrf_token": token, "status": "at-risk", "note": "Survey fieldwork moved to January.", "note_date": note_date,
        "milestones": [first], "evidence": "https://example.org/board-minutes\nhttp://example.org/report",
    })  # fmt: skip
    assert response.status_code == 303 and response.headers["location"] == "/officers/actions/eg-1?saved=1"
    client.cookies.clear()  # the public, signed out
    # the page changed, so a conditional request with the old ETag gets the new page, not a 304
    after = client.get("/strategy/actions", headers={"If-None-Match": tag})
    assert after.status_code == 200 and after.headers["etag"] != tag
    data = client.get("/strategy/actions.json").json()
    row = next(a for a in data["actions"] if a["id"] == "eg-1")
    assert row["status"] == "at-risk" and row["status_label"] == "At risk" and row["last_update"] == note_date
    assert row["history"][0]["note"] == "Survey fieldwork moved to January."
    assert row["history"][0]["evidence"] == ["https://example.org/board-minutes", "http://example.org/report"]
    met = next(m for m in row["milestones"] if m["title"] == first)
    assert met["done"] == note_date and met["overdue"] is False
    html = after.text
    tr = re.search(r'<tr id="eg-1">.*?</tr>', html, re.S)
    assert tr and "At risk" in tr.group(0) and note_date in tr.group(0)
    assert "Survey fieldwork moved to January." in html and 'href="https://example.org/board-minutes"' in html
    table = list(csv.DictReader(io.StringIO(client.get("/strategy/actions.csv").text)))
    assert next(r for r in table if r["id"] == "eg-1")["last_update"] == note_date
    with officers.db.session() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "action.update")).one()
        assert event.actor == users["growth"] and event.before is None and event.after["status"] == "at-risk"


def test_tracker_flags_overdue_milestones_against_today_and_states_the_plan_dates(client: TestClient) -> None:
    plan = load_action_plan()
    data = client.get("/strategy/actions.json").json()
    today = dt.date.fromisoformat(data["today"])
    assert today == dt.datetime.now(__import__("zoneinfo").ZoneInfo("Europe/London")).date()
    due = {(a.id, m.title): plan.month_end(m.month) for a in plan.actions for m in a.milestones}
    for a in data["actions"]:
        for m in a["milestones"]:
            # no progress recorded in this database and none met in the plan file: overdue iff due before today
            assert m["overdue"] is (due[(a["id"], m["title"])] < today), (a["id"], m["title"])
    assert data["overdue"] == sum(1 for d in due.values() if d < today)
    dates = data["plan"]["dates"]
    assert dates["agreed"] == "2019-11-14" and dates["duration"] == "12–18 months"
    html = client.get("/strategy/actions").text
    assert "agreed at the board of 14 November 2019, to run for 12–18 months" in html
    assert "1 April 2026, a restart date" in html
    if plan.start <= today <= plan.month_end(plan.months):
        assert 'class="today"' in html and f"today, {today.isoformat()}" in html


@pytest.mark.parametrize(
    ("field", "form"),
    [
        ("evidence", {"evidence": "javascript:alert(1)"}),
        ("evidence", {"evidence": "ftp://example.org/x"}),
        ("note_date", {"note_date": "2999-01-01"}),
        ("note", {"note": "   "}),
        ("status", {"status": "finished"}),
        ("milestones", {"milestones": ["Not a milestone"]}),
    ],
)
def test_bad_progress_is_refused_naming_the_field(
    client: TestClient, users: dict[str, str], officers: Officers, field: str, form: dict[str, object]
) -> None:
    token = sign_in(client, users["growth"])
    data = {"csrf_token": token, "status": "on-track", "note": "ok", "note_date": "2026-11-01", **form}
    response = client.post("/officers/actions/eg-1", data=data)
    assert response.status_code == 422 and f'href="#{field}"' in response.text
    assert count_updates(officers) == 0


def test_audit_log_records_sign_ins_and_changes_and_exports_formula_safe_csv(
    client: TestClient, users: dict[str, str]
) -> None:
    page = client.get("/officers/sign-in")
    client.post("/officers/sign-in", data={"csrf_token": csrf_of(page.text), "email": "=HYPERLINK(\"x\")@a.b",
                                           "password": "nope"})  # fmt: skip
    token = sign_in(client, users["growth"])
    client.post("/officers/actions/eg-1", data={"csrf_token": token, "status": "on-track", "note": "Begun.",
                                                "note_date": "2026-11-02"})  # fmt: skip
    assert client.get("/officers/audit").status_code == 403  # editors do not see the log
    assert client.get("/officers/audit.csv").status_code == 403
    client.cookies.clear()
    sign_in(client, users["admin"])
    page_html = client.get("/officers/audit").text
    assert "action.update" in page_html and "sign-in.failed" in page_html
    response = client.get("/officers/audit.csv")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    found = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    actions = [r["action"] for r in found]
    assert actions[:3] == ["user.add"] * 3 and "sign-in.failed" in actions and "action.update" in actions
    failed = next(r for r in found if r["action"] == "sign-in.failed")
    assert failed["actor"].startswith("'=hyperlink") and failed["target"].startswith("'=")
    update = next(r for r in found if r["action"] == "action.update")
    assert update["actor"] == users["growth"] and '"status": "on-track"' in update["after"]
