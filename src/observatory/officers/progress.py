"""Action-plan progress recorded by editors: status, a dated note, milestones met, evidence links.

Each update is a new row (nothing is overwritten): an action's current state is its latest update and
its history is every update. An editor of a programme may update that programme's actions; an admin
any action. ``ProgressError.problems`` maps each bad form field to what is wrong with it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from observatory.officers import audit
from observatory.officers.models import STATUS_LABELS, STATUSES, ActionUpdate, User, utcnow
from observatory.strategy import Action, ActionPlan

MAX_NOTE = 4000
MAX_LINKS = 10
MAX_URL = 500


class ProgressError(ValueError):
    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class UpdateView:
    """One update as the public tracker shows it (no officer's name or email)."""

    action_id: str
    status: str
    status_label: str
    note: str
    note_date: str
    milestones_done: list[str]
    evidence: list[str]
    recorded: str  # UTC date-time the update was saved


def can_edit(user: User, action: Action) -> bool:
    return user.role == "admin" or (user.role == "editor" and user.programme == action.programme)


def editable_actions(user: User, plan: ActionPlan) -> list[Action]:
    return [a for a in plan.actions if can_edit(user, a)]


def evidence_links(text: str) -> tuple[list[str], str | None]:
    """One link a line; only absolute http(s) URLs with a host. Returns (links, problem)."""
    links = [line.strip() for line in text.splitlines() if line.strip()]
    if len(links) > MAX_LINKS:
        return links, f"at most {MAX_LINKS} links"
    for link in links:
        parts = urlsplit(link)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(link) > MAX_URL or " " in link:
            return links, f"{link[:80]!r} is not an http:// or https:// address"
        if "@" in parts.netloc:  # user:pass@host, or a council name before "@" hiding the real host
            return links, f"{link[:80]!r} names a user or password before the host; give the address without it"
    return links, None


def record_update(
    session: Session,
    user: User,
    action: Action,
    *,
    status: str,
    note: str,
    note_date: str,
    milestones_done: list[str],
    evidence: str,
    today: dt.date,
    ip: str = "",
) -> ActionUpdate:
    """Validate and save an update (with its audit event). Raises ``ProgressError`` naming each bad field."""
    if not can_edit(user, action):
        raise PermissionError(f"{user.email} may not update action {action.id}")
    problems: dict[str, str] = {}
    if status not in STATUSES:
        problems["status"] = f"choose one of: {', '.join(STATUS_LABELS.values())}"
    note = note.strip().replace("\r\n", "\n")
    if not note:
        problems["note"] = "write what has happened since the last update"
    elif len(note) > MAX_NOTE:
        problems["note"] = f"at most {MAX_NOTE:,} characters (this one has {len(note):,})"
    date: dt.date | None = None
    try:
        date = dt.date.fromisoformat(note_date.strip())
    except ValueError:
        problems["note_date"] = "give the date as YYYY-MM-DD"
    if date is not None and date > today:
        problems["note_date"] = f"the date cannot be after today ({today.isoformat()})"
    titles = [m.title for m in action.milestones]
    unknown = [m for m in milestones_done if m not in titles]
    if unknown:
        problems["milestones"] = f"{unknown[0][:80]!r} is not a milestone of this action"
    links, link_problem = evidence_links(evidence)
    if link_problem:
        problems["evidence"] = link_problem
    if problems:
        raise ProgressError(problems)
    assert date is not None
    before = latest(session, action.id)
    update = ActionUpdate(action_id=action.id, status=status, note=note, note_date=date,
                          milestones_done=[t for t in titles if t in milestones_done], evidence=links,
                          user_id=user.id, created_at=utcnow())  # fmt: skip
    session.add(update)
    session.flush()
    audit.record(session, "action.update", action.id, actor=user, ip=ip,
                 before=_snapshot(before) if before else None, after=_snapshot(update))  # fmt: skip
    return update


def _snapshot(u: ActionUpdate) -> dict[str, Any]:
    return {"status": u.status, "note": u.note, "note_date": u.note_date.isoformat(),
            "milestones_done": u.milestones_done, "evidence": u.evidence}  # fmt: skip


def latest(session: Session, action_id: str) -> ActionUpdate | None:
    query = select(ActionUpdate).where(ActionUpdate.action_id == action_id).order_by(ActionUpdate.id.desc()).limit(1)
    return session.scalar(query)


def view(u: ActionUpdate) -> UpdateView:
    return UpdateView(action_id=u.action_id, status=u.status, status_label=STATUS_LABELS[u.status], note=u.note,
                      note_date=u.note_date.isoformat(), milestones_done=list(u.milestones_done),
                      evidence=list(u.evidence), recorded=u.created_at.isoformat())  # fmt: skip


def histories(session: Session) -> dict[str, list[UpdateView]]:
    """Every action's updates, newest first."""
    found: dict[str, list[UpdateView]] = {}
    for u in session.scalars(select(ActionUpdate).order_by(ActionUpdate.id.desc())):
        found.setdefault(u.action_id, []).append(view(u))
    return found


def version(session: Session) -> int:
    """The newest update's id (0 when none): what a cached tracker page depends on."""
    return int(session.scalar(select(func.coalesce(func.max(ActionUpdate.id), 0))) or 0)
