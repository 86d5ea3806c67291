"""Routes for signed-in officers under /officers: sign-in, action progress, local data uploads, audit log.

Every write route (POST) is declared in ``WRITE_ROUTES`` with the roles that may use it, and goes through
``_guard``, which refuses in this order: not signed in → 401; missing or wrong CSRF token → 403; role or
scope not allowed → 403. The sign-in form needs no session but its CSRF token (bound to a pre-session
cookie). Pages here are never cached (``Cache-Control: no-store``) and never shown to the public.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException

from observatory import format as nf
from observatory.officers import accounts, audit, progress, uploads
from observatory.officers.auth import PRE_COOKIE, SESSION_COOKIE, SESSION_LENGTH, new_pre_session
from observatory.officers.models import ROLES, STATUS_LABELS, STATUSES, Upload, User
from observatory.officers.service import Officers
from observatory.release import read
from observatory.strategy import Action, ActionPlan, load_action_plan
from observatory.web import charts

router = APIRouter(prefix="/officers", include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
ANYONE = ROLES
EDITORS = ("editor", "admin")
# Every write route and the roles that may use it (tests/officers check that none is missing).
WRITE_ROUTES: dict[str, tuple[str, ...]] = {
    "/officers/sign-in": (),  # no session needed; CSRF still is
    "/officers/sign-out": ANYONE,
    "/officers/actions/{action_id}": EDITORS,
    "/officers/uploads": EDITORS,
    "/officers/uploads/{upload_id}/submit": EDITORS,
    "/officers/uploads/{upload_id}/withdraw": EDITORS,
}
FORM_LIMIT = uploads.MAX_BYTES + 64 * 1024  # the file and the form's other fields
PREVIEW_ROWS = 200
EXPIRED = "The form has expired or did not come from this site. Go back, reload the page and try again."
MAX_CHARTS = 4


# ----------------------------------------------------------------------------------------------------------------
# Plumbing


def _officers(request: Request) -> Officers:
    officers: Officers | None = getattr(request.app.state, "officers", None)
    if officers is None:
        raise HTTPException(503, "Officer sign-in is not available: the officers' database cannot be used.")
    return officers


def _ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _user(request: Request) -> User | None:
    officers = _officers(request)
    with officers.db.session() as s:
        return officers.sessions.user(s, request.cookies.get(SESSION_COOKIE))


def _csrf_basis(request: Request) -> str | None:
    officers = _officers(request)
    return officers.sessions.token(request.cookies.get(SESSION_COOKIE)) or request.cookies.get(PRE_COOKIE)


def _csrf(request: Request) -> str:
    basis = _csrf_basis(request)
    return _officers(request).sessions.csrf_token(basis) if basis else ""


async def _form(request: Request) -> FormData:
    length = request.headers.get("content-length")
    if length is None:  # browsers always send it; without it the size could not be limited before reading
        raise HTTPException(411, "A form must say its length (Content-Length).")
    if not length.isdigit() or int(length) > FORM_LIMIT:
        raise HTTPException(413, f"The form is larger than {FORM_LIMIT:,} bytes.")
    return await request.form(max_files=1, max_fields=40)


async def _guard(request: Request, roles: Collection[str]) -> tuple[User, FormData]:
    """The signed-in user and the form of a write request, or a refusal (401, then 403 CSRF, then 403 role)."""
    user = _user(request)
    if user is None:
        raise HTTPException(401, "Sign in first: this action needs an officer's account.")
    form = await _form(request)
    sent = form.get("csrf_token")
    try:
        if not _officers(request).sessions.csrf_ok(_csrf_basis(request), sent if isinstance(sent, str) else None):
            raise HTTPException(403, EXPIRED)
        if user.role not in roles:
            raise HTTPException(403, f"Your role ({user.role}) does not allow this.")
    except HTTPException:
        await form.close()  # an uploaded file spooled to disk is removed at once
        raise
    return user, form


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _page(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Response:
    templates = request.app.state.templates
    base = {"request": request, "csrf_token": _csrf(request), "plan_status": STATUS_LABELS}
    response: Response = templates.TemplateResponse(request, template, {**base, **context}, status_code=status,
                                                    headers=NO_STORE)  # fmt: skip
    return response


def _signed_in_page(request: Request) -> User | RedirectResponse:
    user = _user(request)
    if user is None:
        return RedirectResponse("/officers/sign-in", status_code=303, headers=NO_STORE)
    return user


def _plan() -> ActionPlan:
    return load_action_plan()


def _action(plan: ActionPlan, action_id: str) -> Action:
    found = next((a for a in plan.actions if a.id == action_id), None)
    if found is None:
        raise HTTPException(404, "There is no action with this id in the plan.")
    return found


def _today() -> dt.date:
    return dt.datetime.now(uploads.LONDON).date()


# ----------------------------------------------------------------------------------------------------------------
# Sign in and out


@router.get("/sign-in")
def sign_in_form(request: Request) -> Response:
    if _user(request) is not None:
        return RedirectResponse("/officers", status_code=303, headers=NO_STORE)
    pre = request.cookies.get(PRE_COOKIE) or new_pre_session()
    request.cookies[PRE_COOKIE] = pre  # so the form's token is bound to the cookie set below
    response = _page(request, "officers_sign_in.html", {"title": "Sign in", "email": "", "problem": ""})
    response.set_cookie(PRE_COOKIE, pre, httponly=True, samesite="lax", secure=_secure(request), path="/officers")
    return response


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    officers = _officers(request)
    form = await _form(request)
    sent = _text(form, "csrf_token")
    if not officers.sessions.csrf_ok(request.cookies.get(PRE_COOKIE), sent):
        raise HTTPException(403, EXPIRED)
    email = _text(form, "email")[:254]
    with officers.db.session() as s:
        result = accounts.sign_in(s, email, _text(form, "password"), _ip(request))
        cookie = officers.sessions.start(s, result.user) if result.user else None
    if cookie is None:
        problem = result.reason
        status = 401
        if result.locked_until is not None:
            problem = f"Too many failed attempts: signing in is locked until {uploads.london(result.locked_until)}."
            status = 429
        return _page(request, "officers_sign_in.html", {"title": "Sign in", "email": email, "problem": problem},
                     status)  # fmt: skip
    response = RedirectResponse("/officers", status_code=303, headers=NO_STORE)
    response.set_cookie(SESSION_COOKIE, cookie, max_age=int(SESSION_LENGTH.total_seconds()), httponly=True,
                        samesite="lax", secure=_secure(request), path="/")  # fmt: skip
    response.delete_cookie(PRE_COOKIE, path="/officers")
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    user, _form_data = await _guard(request, WRITE_ROUTES["/officers/sign-out"])
    officers = _officers(request)
    with officers.db.session() as s:
        officers.sessions.end(s, request.cookies.get(SESSION_COOKIE))
        audit.record(s, "sign-out", user.email, actor=s.get(User, user.id), ip=_ip(request))
    response = RedirectResponse("/", status_code=303, headers=NO_STORE)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# ----------------------------------------------------------------------------------------------------------------
# Dashboard


@router.get("")
def dashboard(request: Request) -> Response:
    user = _signed_in_page(request)
    if isinstance(user, Response):
        return user
    plan = _plan()
    officers = _officers(request)
    with officers.db.session() as s:
        found = uploads.all_uploads(s)
        history = progress.histories(s)
    actions = []
    for a in plan.actions:
        latest = history[a.id][0] if history.get(a.id) else None
        actions.append({"id": a.id, "title": a.title, "programme": a.programme, "editable": progress.can_edit(user, a),
                        "status": latest.status_label if latest else None,
                        "last_update": latest.note_date if latest else None})  # fmt: skip
    return _page(request, "officers_home.html", {
        "title": "Officers", "user": user, "actions": actions, "uploads": [_upload_row(u) for u in found],
        "can_upload": uploads.can_upload(user), "now": dt.datetime.now(dt.UTC),
    })  # fmt: skip


def _upload_row(u: Upload) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    state = {"draft": "Draft: embargo not set", "withdrawn": "Withdrawn"}.get(u.status)
    if state is None:
        state = "Embargo lifted; in the next release built" if u.embargo_until <= now else "Embargoed"
    return {"id": u.id, "title": u.title, "org": u.org_name, "org_code": u.org_code, "file": u.filename,
            "rows": u.rows, "status": u.status, "state": state, "created": uploads.london(u.created_at),
            "embargo": uploads.london(u.embargo_until) if u.status == "submitted" else ""}  # fmt: skip


# ----------------------------------------------------------------------------------------------------------------
# Action progress


def _action_page(request: Request, user: User, action: Action, problems: dict[str, str] | None = None,
                 values: dict[str, Any] | None = None, saved: bool = False) -> Response:  # fmt: skip
    officers = _officers(request)
    with officers.db.session() as s:
        history = progress.histories(s).get(action.id, [])
    if not progress.can_edit(user, action):
        raise HTTPException(403, f"Your account ({user.scope}) cannot update this action.")
    latest = history[0] if history else None
    values = values or {
        "status": latest.status if latest else "", "note": "", "note_date": _today().isoformat(),
        "milestones": latest.milestones_done if latest else [], "evidence": "",
    }  # fmt: skip
    plan = _plan()
    milestones = [{"title": m.title, "due": plan.month_end(m.month).isoformat(), "done_in_plan": m.done}
                  for m in action.milestones]  # fmt: skip
    return _page(request, "officers_action.html", {
        "title": f"Update: {action.title}", "user": user, "action": action, "history": history,
        "statuses": [(k, STATUS_LABELS[k]) for k in STATUSES], "milestones": milestones, "values": values,
        "problems": problems or {}, "saved": saved, "today": _today().isoformat(),
    }, 422 if problems else 200)  # fmt: skip


@router.get("/actions/{action_id}")
def action_form(request: Request, action_id: str) -> Response:
    user = _signed_in_page(request)
    if isinstance(user, Response):
        return user
    return _action_page(request, user, _action(_plan(), action_id), saved=request.query_params.get("saved") == "1")


@router.post("/actions/{action_id}")
async def action_update(request: Request, action_id: str) -> Response:
    user, form = await _guard(request, WRITE_ROUTES["/officers/actions/{action_id}"])
    action = _action(_plan(), action_id)
    if not progress.can_edit(user, action):
        raise HTTPException(403, f"Your account ({user.scope}) cannot update this action.")
    values: dict[str, Any] = {
        "status": _text(form, "status"), "note": _text(form, "note"), "note_date": _text(form, "note_date"),
        "milestones": [m for m in form.getlist("milestones") if isinstance(m, str)],
        "evidence": _text(form, "evidence"),
    }  # fmt: skip
    officers = _officers(request)
    try:
        with officers.db.session() as s:
            db_user = s.get(User, user.id)
            assert db_user is not None
            progress.record_update(s, db_user, action, status=values["status"], note=values["note"],
                                   note_date=values["note_date"], milestones_done=values["milestones"],
                                   evidence=values["evidence"], today=_today(), ip=_ip(request))  # fmt: skip
    except progress.ProgressError as exc:
        return _action_page(request, user, action, exc.problems, values)
    return RedirectResponse(f"/officers/actions/{action.id}?saved=1", status_code=303, headers=NO_STORE)


# ----------------------------------------------------------------------------------------------------------------
# Local data uploads


def _org_choices(request: Request, user: User) -> list[tuple[str, str]]:
    """(GSS code, name) of the organisations this user may upload for."""
    ours = list(request.app.state.config.areas_of_interest)
    codes = [user.org_code] if user.role == "editor" and user.org_code else ours
    release = request.app.state.pool.get(None)
    cur = release.cursor()
    try:
        names = read.area_names(cur, codes)
    finally:
        cur.close()
    return [(c, names.get(c, c)) for c in codes]


def _release_facts(request: Request, org_code: str) -> tuple[set[str], set[str]]:
    """Areas inside ``org_code`` (itself included) and the slugs of publishers' indicators, per the current release."""
    release = request.app.state.pool.get(None)
    cur = release.cursor()
    try:
        inside = read.descendants(cur, org_code)
        taken = {i.slug for i in read.indicators(cur) if not i.dataset.startswith("local-")}
    finally:
        cur.close()
    return inside, taken


def _upload_form(request: Request, user: User, problem: str = "", title: str = "", checked: Any = None,
                 status: int = 200) -> Response:  # fmt: skip
    if not uploads.can_upload(user):
        raise HTTPException(403, f"Your account ({user.scope}) cannot upload data: uploads are made by an "
                                 "organisation's editors.")  # fmt: skip
    return _page(request, "officers_upload.html", {
        "title": "Upload local data", "user": user, "orgs": _org_choices(request, user), "problem": problem,
        "form_title": title, "findings": checked.findings if checked else [], "max_bytes": uploads.MAX_BYTES,
    }, status)  # fmt: skip


@router.get("/uploads/new")
def upload_form(request: Request) -> Response:
    user = _signed_in_page(request)
    if isinstance(user, Response):
        return user
    return _upload_form(request, user)


@router.post("/uploads")
async def upload(request: Request) -> Response:
    user, form = await _guard(request, WRITE_ROUTES["/officers/uploads"])
    try:
        return await _upload(request, user, form)
    finally:
        await form.close()


async def _upload(request: Request, user: User, form: FormData) -> Response:
    if not uploads.can_upload(user):
        raise HTTPException(403, f"Your account ({user.scope}) cannot upload data.")
    orgs = dict(_org_choices(request, user))
    org_code = _text(form, "org") or (user.org_code or "")
    title = _text(form, "title")
    if org_code not in orgs:
        raise HTTPException(403, f"Your account ({user.scope}) cannot upload data for {org_code[:12]!r}.")
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return _upload_form(request, user, "Choose a CSV or XLSX file to upload.", title, status=422)
    data = await file.read(uploads.MAX_BYTES + 1)
    inside, taken = _release_facts(request, org_code)
    display = uploads.safe_filename(file.filename)
    checked = uploads.check(data, file.filename, org_code=org_code, org_name=orgs[org_code], allowed_areas=inside,
                            taken_slugs=taken, display=display, today=_today())  # fmt: skip
    officers = _officers(request)
    if checked.errors:
        with officers.db.session() as s:
            audit.record(s, "upload.refused", uploads.safe_filename(file.filename), actor=s.get(User, user.id),
                         ip=_ip(request), after={"errors": len(checked.errors), "org": org_code,
                                                 "first": str(checked.errors[0])[:300]})  # fmt: skip
        n = len(checked.errors)
        message = f"The file was not accepted: {n} error{'s' if n != 1 else ''}. Nothing was kept."
        return _upload_form(request, user, message, title, checked, status=422)
    try:
        with officers.db.session() as s:
            db_user = s.get(User, user.id)
            assert db_user is not None
            saved = uploads.save_draft(s, db_user, officers.uploads_dir, data, file.filename, title, org_code,
                                       orgs[org_code], checked, _ip(request))  # fmt: skip
            upload_id = saved.id
    except uploads.UploadError as exc:
        return _upload_form(request, user, str(exc), title, checked, status=422)
    return RedirectResponse(f"/officers/uploads/{upload_id}", status_code=303, headers=NO_STORE)


def _get_upload(request: Request, upload_id: int) -> Upload:
    if not 0 < upload_id < 2**63:  # beyond any database's integer key: no such upload (not a 500)
        raise HTTPException(404, "There is no upload with this number.")
    with _officers(request).db.session() as s:
        found = s.get(Upload, upload_id)
    if found is None:
        raise HTTPException(404, "There is no upload with this number.")
    return found


def _preview(request: Request, user: User, up: Upload, problem: str = "", status: int = 200) -> Response:
    officers = _officers(request)
    path = officers.uploads_dir / up.stored_name
    data = path.read_bytes()
    inside, taken = _release_facts(request, up.org_code)
    checked = uploads.check(data, up.filename, org_code=up.org_code, org_name=up.org_name, allowed_areas=inside,
                            taken_slugs=taken, display=up.filename, today=up.created_at.date())  # fmt: skip
    obs = checked.result.observations
    indicators = {i.slug: i for i in checked.result.indicators}
    chart_svgs: list[str] = []
    for slug, ind in list(indicators.items())[:MAX_CHARTS]:
        by_area: dict[str, list[charts.Point]] = {}
        names: dict[str, str] = {}
        for o in obs:
            if o.indicator == slug:
                by_area.setdefault(o.area_code, []).append(charts.Point(o.period.start, o.period.label, o.value))
                names[o.area_code] = o.area_name or o.area_code
        series = [charts.Series(code, names[code], sorted(points, key=lambda p: p.period_start))
                  for code, points in by_area.items()]  # fmt: skip
        unit = ind.unit or ind.measure or "value"
        chart_svgs.append(charts.line_chart(series, title=f"{ind.label} (uploaded, not yet released)", y_title=unit,
                                            chart_id=f"upload-{up.id}-{len(chart_svgs)}"))  # fmt: skip
    table = [{"row": o.source_row, "area": o.area_code, "area_name": o.area_name,
              "indicator": indicators[o.indicator].label, "period": o.period.label, "value": o.value,
              "display": nf.value(o.value, nf.unit_of(indicators[o.indicator])),
              "unit": indicators[o.indicator].unit or ""}
             for o in obs[:PREVIEW_ROWS]]  # fmt: skip
    return _page(request, "officers_preview.html", {
        "title": f"Upload {up.id}: {up.title}", "user": user, "upload": _upload_row(up), "findings": checked.findings,
        "charts": chart_svgs, "table": table, "total": len(obs), "problem": problem, "sha256": up.sha256,
        "can_submit": up.status == "draft" and uploads.can_upload(user)
                      and (user.role == "admin" or user.org_code == up.org_code),
        "can_withdraw": up.status in ("draft", "submitted") and uploads.can_upload(user)
                        and (user.role == "admin" or user.org_code == up.org_code),
    }, status)  # fmt: skip


@router.get("/uploads/{upload_id}")
def upload_preview(request: Request, upload_id: int) -> Response:
    user = _signed_in_page(request)
    if isinstance(user, Response):
        return user
    return _preview(request, user, _get_upload(request, upload_id))


def _may_change(user: User, up: Upload) -> None:
    if not uploads.can_upload(user) or (user.role == "editor" and user.org_code != up.org_code):
        raise HTTPException(403, f"Your account ({user.scope}) cannot change data of {up.org_code}.")


@router.post("/uploads/{upload_id}/submit")
async def upload_submit(request: Request, upload_id: int) -> Response:
    user, form = await _guard(request, WRITE_ROUTES["/officers/uploads/{upload_id}/submit"])
    up = _get_upload(request, upload_id)
    _may_change(user, up)
    try:
        with _officers(request).db.session() as s:
            db_user, db_up = s.get(User, user.id), s.get(Upload, upload_id)
            assert db_user is not None and db_up is not None
            uploads.submit(s, db_user, db_up, _text(form, "embargo"), _ip(request))
    except uploads.UploadError as exc:
        return _preview(request, user, up, str(exc), status=422)
    return RedirectResponse(f"/officers/uploads/{upload_id}", status_code=303, headers=NO_STORE)


@router.post("/uploads/{upload_id}/withdraw")
async def upload_withdraw(request: Request, upload_id: int) -> Response:
    user, _form_data = await _guard(request, WRITE_ROUTES["/officers/uploads/{upload_id}/withdraw"])
    up = _get_upload(request, upload_id)
    _may_change(user, up)
    with _officers(request).db.session() as s:
        db_user, db_up = s.get(User, user.id), s.get(Upload, upload_id)
        assert db_user is not None and db_up is not None
        if db_up.status != "withdrawn":
            audit.record(s, "upload.withdraw", f"upload {upload_id}", actor=db_user, ip=_ip(request),
                         before={"status": db_up.status}, after={"status": "withdrawn"})  # fmt: skip
            db_up.status = "withdrawn"
    return RedirectResponse(f"/officers/uploads/{upload_id}", status_code=303, headers=NO_STORE)


# ----------------------------------------------------------------------------------------------------------------
# Audit log (admins)


def _admin(request: Request) -> User | Response:
    user = _signed_in_page(request)
    if isinstance(user, User) and user.role != "admin":
        raise HTTPException(403, "Only admins can see the audit log.")
    return user


@router.get("/audit")
def audit_page(request: Request) -> Response:
    user = _admin(request)
    if isinstance(user, Response):
        return user
    with _officers(request).db.session() as s:
        found = audit.events(s, limit=500)
    return _page(request, "officers_audit.html", {"title": "Audit log", "user": user, "events": found})


@router.get("/audit.csv")
def audit_csv(request: Request) -> Response:
    user = _admin(request)
    if isinstance(user, Response):
        return user
    with _officers(request).db.session() as s:
        text = audit.export_csv(s)
    headers = {**NO_STORE, "Content-Disposition": 'attachment; filename="observatory-audit-log.csv"'}
    return Response("\ufeff" + text, media_type="text/csv; charset=utf-8", headers=headers)
