"""Data for /strategy (the four programmes' outcome indicators) and /strategy/actions (the action plan tracker).

Outcomes are shown for South Essex (only where the release has an honest group value: ``aggregates`` with all
six members; otherwise "not computable" with the aggregate's reason) and each authority: the value at the
strategy's baseline (the period starting in the baseline year, or the nearest earlier one), the latest value,
the direction wanted (polarity in ``indicator_judgements``) and whether it is moving that way (``trends``).
The productivity gap with England comes from the derived ``productivity_index`` (England = 100).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

from observatory import format as nf
from observatory.config import Config
from observatory.release import read
from observatory.strategy import PRODUCTIVITY_INDEX, ActionPlan
from observatory.web.data.common import SOUTH_ESSEX, Row, all_indicators, rows, unit_label

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
    note = (
        f"{label} (the period starting in {year})"
        if _start(period).year == year
        else f"{label} (nearest period before {year}; none starts in {year})"
    )
    return {"period": period, "period_label": label, "value": value}, note


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
        "plan": {"title": plan.title, "start": plan.start.isoformat(), "baseline_year": year},
        "areas": [{"code": c, "name": names.get(c, c)} for c in codes],
        "programmes": programmes,
        "warnings": warnings,
        "table": table,
    }


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
    obs = rows(
        cur,
        """
        SELECT area_code, period, period_label, period_duration, value FROM observations
        WHERE indicator = $s AND area_code IN (SELECT unnest($c)) AND value IS NOT NULL ORDER BY period_start
        """,
        {"s": slug, "c": codes},
    )
    durations = {o["period_duration"] for o in obs}
    main = obs[-1]["period_duration"] if obs else None  # the latest period's duration: one series per area
    aggs = rows(
        cur,
        """SELECT period, period_label, value, complete, reason, method FROM aggregates
           WHERE "group" = $g AND indicator = $s ORDER BY period NULLS FIRST""",
        {"g": SOUTH_ESSEX, "s": slug},
    )
    trends = {
        r["area_code"]: r
        for r in rows(cur, "SELECT area_code, judgement, reason, method FROM trends "
                      "WHERE indicator = $s AND latest AND area_code IN (SELECT unnest($c))", {"s": slug, "c": codes})
    }  # fmt: skip
    out = []
    for code in codes:
        row = _row(code, names)
        if code == SOUTH_ESSEX:
            points = [(a["period"], a["period_label"], a["value"]) for a in aggs if a["complete"] and a["period"]]
            if not points:
                last = aggs[-1] if aggs else None
                row["computable"] = False
                row["reason"] = last["reason"] if last else "There is no South Essex aggregate of this indicator."
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
        if t:
            row["judgement"] = t["judgement"]
            row["judgement_label"] = JUDGEMENT_LABELS.get(t["judgement"], t["judgement"])
            row["reason"] = t["reason"]
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
    found = rows(
        cur,
        """SELECT area_code, period, period_label, "index", method, reason FROM productivity_index
           WHERE area_code IN (SELECT unnest($c)) ORDER BY period""",
        {"c": codes},
    )
    out = []
    for code in codes:
        row = _row(code, names)
        mine = [r for r in found if r["area_code"] == code]
        points = [(r["period"], r["period_label"], r["index"]) for r in mine if r["index"] is not None]
        if not points:
            last = mine[-1] if mine else None
            row["computable"] = False
            row["reason"] = last["reason"] if last else "No productivity index for this area in this release."
            _with_method(row, last["method"] if last else "index-england-100", methods)
            out.append(row)
            continue
        row["latest"] = _point(*points[-1], fmt=INDEX_FORMAT)
        base, row["baseline_note"] = _baseline(points, year)
        row["baseline"] = _point(base["period"], base["period_label"], base["value"], INDEX_FORMAT) if base else None
        first = row["baseline"] or _point(*points[0], fmt=INDEX_FORMAT)
        assert first is not None
        last_pt = row["latest"]
        verb = "rose" if last_pt["value"] > first["value"] else "fell" if last_pt["value"] < first["value"] else "was"
        change = (
            f"was {last_pt['display']} both in {first['period_label']} and in {last_pt['period_label']}"
            if verb == "was"
            else f"{verb} from {first['display']} in {first['period_label']} to {last_pt['display']} in "
            f"{last_pt['period_label']}"
        )
        row["judgement"] = "not-judged"
        row["judgement_label"] = JUDGEMENT_LABELS["not-judged"]
        row["reason"] = (
            f"The index (England = 100) {change}; no confidence interval is published for GVA per hour worked, "
            "so no trend test is possible."
        )
        _with_method(row, "index-england-100", methods)
        out.append(row)
    return {"slug": PRODUCTIVITY_INDEX, "label": "Productivity gap with England: GVA per hour worked (England = 100)",
            "url": f"/indicators/{GVA}", "unit_label": "index, England = 100", "polarity": pol,
            "wanted": WANTED.get(pol, pol), "note": "", "rows": out}  # fmt: skip


# ----------------------------------------------------------------------------------------------------------------
# /strategy/actions


def actions_page(cur: duckdb.DuckDBPyConnection, plan: ActionPlan) -> dict[str, Any]:
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
        milestones = [
            {"title": m.title, "stage": m.stage, "stage_name": stage_names[m.stage], "month": m.month,
             "due": plan.month_end(m.month).isoformat(), "done": m.done}
            for m in a.milestones
        ]  # fmt: skip
        item = {
            "id": a.id, "programme": a.programme, "programme_name": programmes[a.programme], "title": a.title,
            "description": a.description, "owner": a.owner, "stage": a.stage, "stage_name": stage_names[a.stage],
            "status": a.status, "start_month": a.start_month, "end_month": a.end_month,
            "start": plan.month_start(a.start_month).isoformat(), "end": plan.month_end(a.end_month).isoformat(),
            "milestones": milestones, "indicators": linked, "progress": a.progress,
        }  # fmt: skip
        actions.append(item)
        table.append({
            "id": a.id, "programme": a.programme, "programme_name": item["programme_name"], "title": a.title,
            "owner": a.owner, "stage": a.stage, "status": a.status, "start": item["start"], "end": item["end"],
            "start_month": a.start_month, "end_month": a.end_month,
            "milestones": [f"{m['title']} (month {m['month']}, by {m['due']})" for m in milestones],
            "indicators": [i["slug"] for i in linked],
        })  # fmt: skip
    months = plan.months
    statuses = {a.status for a in plan.actions}
    stages = [
        {"id": s.id, "name": s.name, "first_month": s.first_month, "last_month": s.last_month,
         "start": plan.month_start(s.first_month).isoformat(), "end": plan.month_end(s.last_month).isoformat(),
         "actions": sum(1 for a in plan.actions if a.stage == s.id)}
        for s in plan.stages
    ]  # fmt: skip
    return {
        "title": "Strategy action plan",
        "plan": {
            "title": plan.title,
            "start": plan.start.isoformat(),
            "end": plan.month_end(months).isoformat(),
            "months": months,
        },
        "stages": stages,
        "programmes": [
            {"id": p.id, "name": p.name, "actions": [x for x in actions if x["programme"] == p.id]}
            for p in plan.programmes
        ],
        "month_labels": [plan.month_start(m).strftime("%b %Y") for m in range(1, months + 1)],
        "status_counts": {s: sum(1 for a in plan.actions if a.status == s) for s in sorted(statuses)},
        "warnings": warnings,
        "actions": actions,
        "table": table,
    }
