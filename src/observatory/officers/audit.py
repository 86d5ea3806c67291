"""The audit log: every sign-in (good or bad), change and upload — who, when, what, before and after.

Rows are only ever added. ``export_csv`` writes the log for admins as CSV that a spreadsheet cannot run:
any cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return is prefixed with ``'`` (OWASP).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from observatory.officers.models import AuditEvent, User, utcnow
from observatory.web.formats import formula_safe

COLUMNS = ("id", "at", "actor", "ip", "action", "target", "before", "after")


def record(
    session: Session,
    action: str,
    target: str,
    *,
    actor: User | None = None,
    actor_email: str | None = None,
    ip: str = "",
    before: Any = None,
    after: Any = None,
) -> AuditEvent:
    """Add one event to the log (in the caller's transaction, so it stands or falls with the change)."""
    event = AuditEvent(
        at=utcnow(),
        actor_id=actor.id if actor else None,
        actor=(actor.email if actor else actor_email or "(anonymous)")[:254],
        ip=ip[:64],
        action=action[:48],
        target=target[:200],
        before=before,
        after=after,
    )
    session.add(event)
    session.flush()
    return event


def events(session: Session, limit: int | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def safe_cell(value: Any) -> str:
    """Text for a CSV cell that a spreadsheet shows as text, never evaluates."""
    text = "" if value is None else value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return formula_safe(text)  # the observatory's one rule for CSV cells (web/formats.py)


def export_csv(session: Session) -> str:
    """The whole log, oldest first, as UTF-8 CSV text (columns: ``COLUMNS``; times ISO 8601 UTC)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for e in reversed(events(session)):
        writer.writerow(
            [e.id, e.at.isoformat()] + [safe_cell(v) for v in (e.actor, e.ip, e.action, e.target, e.before, e.after)]
        )
    return buf.getvalue()
