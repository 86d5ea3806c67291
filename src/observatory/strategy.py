"""The South Essex productivity strategy's action plan: reviewed data in ``metadata/action_plan.toml``.

The file is validated against ``metadata/action_plan.schema.json`` (JSON Schema 2020-12) and then by the
rules a schema cannot say (unique ids, months inside their stage, end after start). A bad file raises
``ActionPlanError`` whose message names the field path, e.g.
``actions[3].stage: 'build' is not one of ['initiation', 'delivery', 'securing-long-term-delivery']``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import jsonschema

from observatory.stats.judgements import default_metadata_dir

PLAN_FILE = "action_plan.toml"
PLAN_SCHEMA_FILE = "action_plan.schema.json"
PRODUCTIVITY_INDEX = "productivity-index"  # outcome slug for the derived productivity_index table


class ActionPlanError(ValueError):
    """The action plan cannot be used; the message names the file and the field path of each problem."""


@dataclass(frozen=True, slots=True)
class Stage:
    id: str
    name: str
    first_month: int
    last_month: int


@dataclass(frozen=True, slots=True)
class Programme:
    id: str
    name: str
    theme: str
    outcomes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Milestone:
    title: str
    stage: str
    month: int
    done: str | None = None


@dataclass(frozen=True, slots=True)
class Action:
    id: str
    programme: str
    title: str
    description: str
    owner: str
    stage: str
    status: str
    start_month: int
    end_month: int
    indicators: tuple[str, ...]
    milestones: tuple[Milestone, ...]
    progress: str | None = None


@dataclass(frozen=True, slots=True)
class ActionPlan:
    title: str
    agreed: dt.date
    agreed_at: str
    agreed_duration: str
    start: dt.date
    start_basis: str  # "agreed" | "restart"
    baseline_year: int
    stages: tuple[Stage, ...]
    programmes: tuple[Programme, ...]
    actions: tuple[Action, ...]
    digest: str  # of the file's bytes: what a cached page built from the plan depends on

    @property
    def months(self) -> int:
        return max(s.last_month for s in self.stages)

    def stage(self, stage_id: str) -> Stage:
        return next(s for s in self.stages if s.id == stage_id)

    def month_start(self, month: int) -> dt.date:
        """The first day of the plan's month ``month`` (1 = the plan's first month)."""
        index = self.start.year * 12 + self.start.month - 1 + month - 1
        return dt.date(index // 12, index % 12 + 1, 1)

    def month_end(self, month: int) -> dt.date:
        first = self.month_start(month)
        return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _iso(value: Any) -> Any:
    """TOML dates as ISO strings, so the schema (which speaks JSON) can check them."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso(v) for v in value]
    return value


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def field_path(parts: list[str | int]) -> str:
    """``['actions', 3, 'stage']`` → ``actions[3].stage``."""
    text = ""
    for p in parts:
        text += f"[{p}]" if isinstance(p, int) else (f".{p}" if text else p)
    return text or "(top level)"


def _describe(error: jsonschema.ValidationError) -> str:
    path: list[str | int] = list(error.absolute_path)
    message = error.message
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [p for p in cast(list[str], error.validator_value) if p not in error.instance]
        path.append(missing[0] if missing else "?")
        message = "is required"
    elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(cast(dict[str, Any], error.schema.get("properties", {})))
        extra = sorted(set(error.instance) - allowed)
        path.append(extra[0] if extra else "?")
        message = "is not a known field"
    return f"{field_path(path)}: {message}"


def schema(metadata_dir: Path | None = None) -> dict[str, Any]:
    path = (metadata_dir or default_metadata_dir()) / PLAN_SCHEMA_FILE
    return cast(dict[str, Any], json.loads(path.read_text(encoding="utf-8")))


def validate_plan(data: dict[str, Any], plan_schema: dict[str, Any]) -> list[str]:
    """Every problem of a plan document (already read from TOML) as one line naming the field path."""
    doc = _iso(data)
    validator = jsonschema.Draft202012Validator(plan_schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        return [_describe(e) for e in errors]
    problems: list[str] = []
    stages = {s["id"]: s for s in doc["stages"]}
    for i, s in enumerate(doc["stages"]):
        if s["first_month"] > s["last_month"]:
            problems.append(f"stages[{i}].last_month: is before first_month")
    if len(stages) != len(doc["stages"]):
        problems.append("stages: each stage must be listed once")
    ids = [p["id"] for p in doc["programmes"]]
    for i, p in enumerate(doc["programmes"]):
        if ids.index(p["id"]) != i:
            problems.append(f"programmes[{i}].id: {p['id']!r} is listed twice")
    seen: set[str] = set()
    for i, a in enumerate(doc["actions"]):
        where = f"actions[{i}]"
        if a["id"] in seen:
            problems.append(f"{where}.id: {a['id']!r} is used by another action")
        seen.add(a["id"])
        if a["programme"] not in ids:
            problems.append(f"{where}.programme: {a['programme']!r} is not one of the plan's programmes {ids}")
        if a["end_month"] < a["start_month"]:
            problems.append(f"{where}.end_month: {a['end_month']} is before start_month {a['start_month']}")
        stage = stages.get(a["stage"])
        if stage and not stage["first_month"] <= a["start_month"] <= stage["last_month"]:
            problems.append(
                f"{where}.start_month: month {a['start_month']} is not in the {a['stage']} stage "
                f"(months {stage['first_month']}–{stage['last_month']})"
            )
        for j, m in enumerate(a["milestones"]):
            ms = stages.get(m["stage"])
            if ms and not ms["first_month"] <= m["month"] <= ms["last_month"]:
                problems.append(
                    f"{where}.milestones[{j}].month: month {m['month']} is not in the {m['stage']} stage "
                    f"(months {ms['first_month']}–{ms['last_month']})"
                )
            if not a["start_month"] <= m["month"] <= a["end_month"]:
                problems.append(
                    f"{where}.milestones[{j}].month: month {m['month']} is outside the action "
                    f"(months {a['start_month']}–{a['end_month']})"
                )
    return problems


def load_action_plan(path: Path | None = None, metadata_dir: Path | None = None) -> ActionPlan:
    """Read and validate the plan; ``ActionPlanError`` names the file and every bad field."""
    path = path or (metadata_dir or default_metadata_dir()) / PLAN_FILE
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ActionPlanError(f"{path.name}: not valid TOML: {exc}") from exc
    problems = validate_plan(data, schema(metadata_dir))
    if problems:
        raise ActionPlanError(f"{path.name}: " + "; ".join(problems))
    return ActionPlan(
        title=data["title"],
        agreed=_date(data["agreed"]),
        agreed_at=data["agreed_at"],
        agreed_duration=data["agreed_duration"],
        start=_date(data["start"]),
        start_basis=data["start_basis"],
        baseline_year=int(data["baseline_year"]),
        stages=tuple(Stage(**s) for s in data["stages"]),
        programmes=tuple(
            Programme(id=p["id"], name=p["name"], theme=p["theme"], outcomes=tuple(p["outcomes"]))
            for p in data["programmes"]
        ),
        actions=tuple(
            Action(
                **{k: v for k, v in a.items() if k not in ("indicators", "milestones")},
                indicators=tuple(a["indicators"]),
                milestones=tuple(Milestone(**_iso(m)) for m in a["milestones"]),
            )
            for a in data["actions"]
        ),
        digest=hashlib.sha256(raw).hexdigest()[:16],
    )
