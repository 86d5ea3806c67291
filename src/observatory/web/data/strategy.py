"""Data for /strategy (the four programmes' outcome indicators) and /strategy/actions (the action plan tracker).

Outcomes are shown for South Essex (only where the release has an honest group value: ``aggregates`` with all
six members; otherwise "not computable" with the aggregate's reason) and each authority: the value at the
strategy's baseline (the period starting in the baseline year, or the nearest earlier one), the latest value,
the direction wanted (polarity in ``indicator_judgements``) and whether it is moving that way (``trends``).
The productivity gap with England comes from the derived ``productivity_index`` (England = 100).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import duckdb

from observatory import format as nf
from observatory.config import Config
from observatory.release import read
from observatory.stats.aggregate import METHOD_NONE
from observatory.strategy import PRODUCTIVITY_INDEX, ActionPlan
from observatory.web.data.common import SOUTH_ESSEX, Row, all_indicators, unit_label

GVA = "gross-value-added-per-hour-worked"
FORMAT_COLUMNS = "slug, label, unit, measure, prefix, suffix, decimals"
INDEX_FORMAT: Row = {"decimals": 1, "unit": "", "prefix": None, "suffix": None}
JUDGEMENT_LABELS = {
    "improving": "Improving",
    "worsening": "Worsening",
    "no significant change": "No significant change",
    "not-judged": "Not tested",
}
WANTED = {
    "higher-better": "Up (higher is better)",
    "lower-better": "Down (lower is better)",
    "no-judgement": "No direction set",
}


def _start(period: str) -> dt.date:
    return dt.date.fromisoformat(period[:10])


def _point(period: str | None, label: str | None, value: float | None, fmt: Row) -> Row | None:
    if period is None:
        return None
    return {"period": period, "period_label": label, "value": value, "display": nf.value(value, nf.unit_of(fmt))}


def _baseline(points: list[tuple[str, str, float]], year: int) -> tuple[Row | None, str]:
    """The point starting in ``year`` or the nearest earlier one, and a note saying which."""
    earlier = [p for p in points if _start(p[0]).year <= year]
    if not earlier:
        return None, f"No value for {year} or earlier in this release."
    period, label, value = max(earlier, key=lambda p: _start(p[0]))
    note = label if _start(period).year == year else f"{label} (the latest before {year}; none starts in {year})"
    return {"period": period, "period_label": label, "value": value}, note


def pair_sentence(first: Row, last: Row) -> str:
    """ "It rose from A in P1 to B in P2." over exactly the two points shown (their displayed, rounded values)."""
    a, b = first["display"], last["display"]
    if a == b or first["value"] == last["value"]:
        return f"It was {b} both in {first['period_label']} and in {last['period_label']}."
    verb = "rose" if last["value"] > first["value"] else "fell"
    return f"It {verb} from {a} in {first['period_label']} to {b} in {last['period_label']}."


def _trend_clause(t: Row) -> str:
    """What the trend test (over its own, named window) found, without restating values."""
    window = f"the {t['n_points']} periods {t['first_label']} to {t['period_label']}"
    if t["method"] == "weighted-linear-trend-95":
        found = {
            "no significant change": "no statistically significant trend",
            "increasing": "a statistically significant increase",
            "decreasing": "a statistically significant decrease",
        }.get(t["outcome"], t["outcome"])
        judged = f", so it is {t['judgement']}" if t["judgement"] in ("improving", "worsening") else ""
        return f"Weighted linear trend test over {window}: {found}{judged}."
    if t["n_points"] <= 1:
        return "Only one period of data, so no trend test is possible."
    why = str(t["reason"]).split("; ", 1)[1] if "; " in str(t["reason"]) else "no trend test is possible."
    return f"Trend: {why}"


def _programme_aims(config: Config) -> dict[str, tuple[str, str | None]]:
    return {t.slug: (t.name, t.aim) for t in config.themes}


def strategy_page(cur: duckdb.DuckDBPyConnection, config: Config, plan: ActionPlan) -> dict[str, Any]:
    ours = list(config.areas_of_interest)
    codes = [SOUTH_ESSEX, *ours]
    names = read.area_names(cur, codes)
    inds = {r["slug"]: r for r in all_indicators(cur)}
    polarity = {slug: j.polarity for slug, j in read.judgements(cur).items()}
    methods = {m.method: m.title for m in read.methods(cur)}
    themes = _programme_aims(config)
    year = plan.baseline_year
    warnings: list[str] = []
    programmes = []
    table: list[Row] = []
    for prog in plan.programmes:
        theme_name, aim = themes.get(prog.theme, (prog.name, None))
        if prog.theme not in themes:
            warnings.append(f"Programme {prog.name}: theme “{prog.theme}” is not configured, so its aim is not shown.")
        outcomes = []
        for slug in prog.outcomes:
            if slug == PRODUCTIVITY_INDEX:
                outcome = _index_outcome(cur, codes, names, polarity.get(GVA, "no-judgement"), year, methods)
            elif slug in inds:
                outcome = _indicator_outcome(cur, inds[slug], codes, names, polarity.get(slug, "no-judgement"), year,
                                             methods)  # fmt: skip
            else:
                warnings.append(f"Programme {prog.name}: outcome indicator “{slug}” is not in this release.")
                continue
            outcome["tally"] = _tally(outcome["rows"])
            outcomes.append(outcome)
            table += [
                {"programme": prog.id, "programme_name": prog.name, "indicator": outcome["slug"],
                 "indicator_label": outcome["label"], "area_code": r["code"], "area_name": r["name"],
                 "computable": r["computable"],
                 "baseline_period": r["baseline"]["period"] if r["baseline"] else None,
                 "baseline_period_label": r["baseline"]["period_label"] if r["baseline"] else None,
                 "baseline_value": r["baseline"]["value"] if r["baseline"] else None,
                 "latest_period": r["latest"]["period"] if r["latest"] else None,
                 "latest_period_label": r["latest"]["period_label"] if r["latest"] else None,
                 "latest_value": r["latest"]["value"] if r["latest"] else None,
                 "direction_wanted": outcome["polarity"], "judgement": r["judgement"], "reason": r["reason"],
                 "method": r["method"]}
                for r in outcome["rows"]
            ]  # fmt: skip
        programmes.append({
            "id": prog.id, "name": prog.name, "theme": prog.theme, "theme_name": theme_name, "aim": aim,
            "actions": sum(1 for a in plan.actions if a.programme == prog.id), "outcomes": outcomes,
        })  # fmt: skip
    return {
        "title": "The South Essex productivity strategy",
        "plan": {
            "title": plan.title,
            "start": plan.start.isoformat(),
            "start_text": _day(plan.start),
            "baseline_year": year,
        },
        "areas": [{"code": c, "name": names.get(c, c)} for c in codes],
        "programmes": programmes,
        "warnings": warnings,
        "table": table,
    }


def _tally(rows: list[Row]) -> list[Row]:
    """How many authorities are moving each way (the closed table's summary): [{"label", "count"}] in the order of
    ``JUDGEMENT_LABELS``, authorities only (the group row is said on its own)."""
    counts = Counter(r["judgement_label"] or "No trend assessment" for r in rows if not r["is_group"])
    order = [*JUDGEMENT_LABELS.values(), "No trend assessment"]
    return [{"label": k, "count": counts[k]} for k in order if counts[k]]


def _day(d: dt.date) -> str:
    """A date in words, as the public reads it: "1 April 2026"."""
    return f"{d.day} {d:%B %Y}"


def _no_group_figure(agg: Row | None, ind: Row) -> str:
    """Why South Essex has no figure, in plain words: the aggregate's own reason unless the rule is that the
    measure cannot be combined, when the reason names the kind of measure (the indicators' metadata note is
    written for the methodology, not for this table)."""
    if agg is None:
        return "No South Essex figure: there is no group figure for this indicator in this release."
    if agg["method"] != METHOD_NONE:
        return f"No South Essex figure: {agg['reason']}"
    unit = str(ind.get("unit") or "").lower()
    measure = str(ind.get("measure") or "").lower()
    kind = next(
        (k for word, k in (("ratio", "a ratio"), ("rate", "a rate"), ("median", "a median"), ("mean", "an average"),
                           ("score", "a score"), ("head", "a per-head figure"), ("percent", "a percentage"),
                           ("%", "a percentage")) if word in measure or word in unit),
        "this measure",
    )  # fmt: skip
    return f"No South Essex figure: {kind} cannot be added up from the authorities' figures."


def _row(code: str, names: dict[str, str]) -> Row:
    return {"code": code, "name": names.get(code, code), "is_group": code == SOUTH_ESSEX, "computable": True,
            "baseline": None, "baseline_note": "", "latest": None, "judgement": None, "judgement_label": "",
            "reason": "", "method": None, "method_title": None}  # fmt: skip


def _with_method(row: Row, method: str | None, methods: dict[str, str]) -> None:
    row["method"] = method
    row["method_title"] = methods.get(method or "", method)


def _indicator_outcome(
    cur: duckdb.DuckDBPyConnection, ind: Row, codes: list[str], names: dict[str, str], pol: str, year: int,
    methods: dict[str, str],
) -> Row:  # fmt: skip
    slug = ind["slug"]
    obs = sorted(
        (read.plain(o) for o in read.observations_of(cur, indicators=[slug], areas=codes) if o.value is not None),
        key=lambda o: o["period_start"],
    )
    durations = {o["period_duration"] for o in obs}
    main = obs[-1]["period_duration"] if obs else None  # the latest period's duration: one series per area
    aggs = [read.plain(a) for a in read.aggregates(cur, [SOUTH_ESSEX], indicators=[slug])]
    trends = {t.area_code: read.plain(t) for t in read.trends(cur, indicators=[slug], areas=codes) if t.latest}
    out = []
    for code in codes:
        row = _row(code, names)
        if code == SOUTH_ESSEX:
            points = [(a["period"], a["period_label"], a["value"]) for a in aggs if a["complete"] and a["period"]]
            if not points:
                last = aggs[-1] if aggs else None
                row["computable"] = False
                row["reason"] = _no_group_figure(last, ind)
                _with_method(row, last["method"] if last else None, methods)
                out.append(row)
                continue
        else:
            points = [(o["period"], o["period_label"], o["value"]) for o in obs
                      if o["area_code"] == code and o["period_duration"] == main]  # fmt: skip
        if points:
            row["latest"] = _point(*points[-1], fmt=ind)
            base, row["baseline_note"] = _baseline(points, year)
            row["baseline"] = _point(base["period"], base["period_label"], base["value"], ind) if base else None
        else:
            row["baseline_note"] = "No value in this release."
        t = trends.get(code)
        first = row["baseline"] or (_point(*points[0], fmt=ind) if points else None)
        pair = pair_sentence(first, row["latest"]) + " " if first and row["latest"] else ""
        if t:
            row["judgement"] = t["judgement"]
            row["judgement_label"] = JUDGEMENT_LABELS.get(t["judgement"], t["judgement"])
            row["reason"] = pair + _trend_clause(t)
            _with_method(row, t["method"], methods)
        elif points:
            row["reason"] = "No trend assessment for this area in this release."
        out.append(row)
    note = "Series of different period lengths exist; the latest period's length is used." if len(durations) > 1 else ""
    return {"slug": slug, "label": ind["label"], "url": f"/indicators/{slug}", "unit_label": unit_label(ind),
            "polarity": pol, "wanted": WANTED.get(pol, pol), "note": note, "rows": out}  # fmt: skip


def _index_outcome(
    cur: duckdb.DuckDBPyConnection, codes: list[str], names: dict[str, str], pol: str, year: int,
    methods: dict[str, str],
) -> Row:  # fmt: skip
    found = [read.plain(p) for p in read.productivity_index(cur, codes)]
    out = []
    for code in codes:
        row = _row(code, names)
        mine = [r for r in found if r["area_code"] == code]
        points = [(r["period"], r["period_label"], r["index"]) for r in mine if r["index"] is not None]
        if not points:
            last = mine[-1] if mine else None
            row["computable"] = False
            why = str(last["reason"]).removeprefix("Not computable: ") if last else ""
            row["reason"] = (
                f"No {'South Essex figure' if code == SOUTH_ESSEX else 'figure'}: {why}"
                if why
                else "No productivity index for this area in this release."
            )
            _with_method(row, last["method"] if last else "index-england-100", methods)
            out.append(row)
            continue
        row["latest"] = _point(*points[-1], fmt=INDEX_FORMAT)
        base, row["baseline_note"] = _baseline(points, year)
        row["baseline"] = _point(base["period"], base["period_label"], base["value"], INDEX_FORMAT) if base else None
        first = row["baseline"] or _point(*points[0], fmt=INDEX_FORMAT)
        assert first is not None
        last_pt = row["latest"]
        row["judgement"] = "not-judged"
        row["judgement_label"] = JUDGEMENT_LABELS["not-judged"]
        row["reason"] = (
            f"{pair_sentence(first, last_pt)} The index has England = 100. No confidence interval is published for "
            "GVA per hour worked, so no trend test is possible."
        )
        _with_method(row, "index-england-100", methods)
        out.append(row)
    return {"slug": PRODUCTIVITY_INDEX, "label": "Productivity gap with England: GVA per hour worked (England = 100)",
            "url": f"/indicators/{GVA}", "unit_label": "index, England = 100", "polarity": pol,
            "wanted": WANTED.get(pol, pol), "note": "", "rows": out}  # fmt: skip


# ----------------------------------------------------------------------------------------------------------------
# /strategy/actions


PLAN_STATUS_LABELS = {
    "planned": "Planned",
    "in-progress": "In progress",
    "complete": "Complete",
    "delayed": "Delayed",
    "cancelled": "Cancelled",
}


def plan_dates(plan: ActionPlan) -> dict[str, Any]:
    """The plan's dates with their basis, in words: never a date without saying what it is."""
    agreed = f"{plan.agreed.day} {plan.agreed:%B %Y}"
    start = f"{plan.start.day} {plan.start:%B %Y}"
    basis = (
        f"Its {plan.months} months are counted from {start}, a restart date set in the plan's configuration "
        f"(not the date it was agreed)."
        if plan.start_basis == "restart"
        else f"Its {plan.months} months are counted from {start}, the month it was agreed."
    )
    return {"agreed": plan.agreed.isoformat(), "agreed_at": plan.agreed_at, "duration": plan.agreed_duration,
            "start_basis": plan.start_basis,
            "sentence": f"The plan was agreed at {plan.agreed_at} of {agreed}, to run for {plan.agreed_duration}. "
                        + basis}  # fmt: skip


def _today_position(plan: ActionPlan, today: dt.date) -> float | None:
    """Where today falls on the timeline, in months from the plan's start (None when outside the plan)."""
    for m in range(1, plan.months + 1):
        first, last = plan.month_start(m), plan.month_end(m)
        if first <= today <= last:
            return m - 1 + (today - first).days / ((last - first).days + 1)
    return None


def actions_page(
    cur: duckdb.DuckDBPyConnection, plan: ActionPlan, progress: dict[str, list[Any]] | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The tracker. ``progress`` maps action id → recorded updates, newest first (``officers.progress.
    UpdateView``); ``today`` (Europe/London) decides which milestones are overdue."""
    progress = progress or {}
    today = today or dt.date.today()
    known = {r.slug: r.label for r in read.indicators(cur)}
    programmes = {p.id: p.name for p in plan.programmes}
    stage_names = {s.id: s.name for s in plan.stages}
    warnings: list[str] = []
    actions = []
    table: list[Row] = []
    for a in plan.actions:
        linked = []
        for slug in a.indicators:
            if slug in known:
                linked.append({"slug": slug, "label": known[slug], "url": f"/indicators/{slug}"})
            else:
                warnings.append(
                    f"Action {a.id} ({a.title}) links to “{slug}”, which is not an indicator in this release."
                )
        history = progress.get(a.id, [])
        latest = history[0] if history else None
        met: dict[str, str] = {}  # milestone title → the date of the first update recording it met
        for u in reversed(history):
            for title in u.milestones_done:
                met.setdefault(title, u.note_date)
        milestones = []
        for m in a.milestones:
            due = plan.month_end(m.month)
            done = m.done or met.get(m.title)
            milestones.append({"title": m.title, "stage": m.stage, "stage_name": stage_names[m.stage],
                               "month": m.month, "due": due.isoformat(), "done": done,
                               "overdue": done is None and due < today})  # fmt: skip
        status = latest.status if latest else a.status
        status_label = latest.status_label if latest else f"{PLAN_STATUS_LABELS.get(a.status, a.status)}"
        item = {
            "id": a.id, "programme": a.programme, "programme_name": programmes[a.programme], "title": a.title,
            "description": a.description, "owner": a.owner, "stage": a.stage, "stage_name": stage_names[a.stage],
            "status": status, "status_label": status_label, "recorded": latest is not None,
            "last_update": latest.note_date if latest else None, "start_month": a.start_month,
            "end_month": a.end_month, "start": plan.month_start(a.start_month).isoformat(),
            "end": plan.month_end(a.end_month).isoformat(), "milestones": milestones, "indicators": linked,
            "progress": latest.note if latest else a.progress,
            "overdue": sum(1 for m in milestones if m["overdue"]),
            "history": [{"date": u.note_date, "status": u.status, "status_label": u.status_label, "note": u.note,
                         "milestones_done": u.milestones_done, "evidence": u.evidence} for u in history],
        }  # fmt: skip
        actions.append(item)
        table.append({
            "id": a.id, "programme": a.programme, "programme_name": item["programme_name"], "title": a.title,
            "owner": a.owner, "stage": a.stage, "status": status, "status_label": status_label,
            "last_update": item["last_update"], "progress_note": item["progress"],
            "start": item["start"], "end": item["end"], "start_month": a.start_month, "end_month": a.end_month,
            "milestones": [f"{m['title']} (month {m['month']}, by {m['due']}"
                           + (f"; met {m['done']})" if m["done"] else "; overdue)" if m["overdue"] else ")")
                           for m in milestones],
            "overdue_milestones": item["overdue"],
            "indicators": [i["slug"] for i in linked],
        })  # fmt: skip
    months = plan.months
    stages = [
        {"id": s.id, "name": s.name, "first_month": s.first_month, "last_month": s.last_month,
         "start": plan.month_start(s.first_month).isoformat(), "end": plan.month_end(s.last_month).isoformat(),
         "actions": sum(1 for a in plan.actions if a.stage == s.id)}
        for s in plan.stages
    ]  # fmt: skip
    counts: dict[str, int] = {}
    for item in actions:
        label = str(item["status_label"])
        counts[label] = counts.get(label, 0) + 1
    return {
        "title": "Strategy action plan",
        "plan": {
            "title": plan.title,
            "start": plan.start.isoformat(),
            "end": plan.month_end(months).isoformat(),
            "months": months,
            "dates": plan_dates(plan),
        },
        "today": today.isoformat(),
        "today_position": _today_position(plan, today),
        "stages": stages,
        "programmes": [
            {"id": p.id, "name": p.name, "actions": [x for x in actions if x["programme"] == p.id]}
            for p in plan.programmes
        ],
        "month_labels": [plan.month_start(m).strftime("%b %Y") for m in range(1, months + 1)],
        "status_counts": counts,
        "recorded": sum(1 for x in actions if x["recorded"]),
        "overdue": sum(x["overdue"] for x in actions),
        "warnings": warnings,
        "actions": actions,
        "table": table,
    }
