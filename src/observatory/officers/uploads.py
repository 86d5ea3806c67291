"""Councils' own data, uploaded by their editors: checked, previewed, embargoed, then released.

1. ``check`` reads the file with the publisher readers' rules (``sources/local.py``) plus two upload rules:
   every area must be the editor's organisation or an area inside it (per the current release's
   relations), and an uploaded indicator may not take the name of a publisher's indicator.
   Any ERROR finding refuses the file: nothing is kept.
2. ``save_draft`` keeps a clean file (mode 0600, a random name, in the officers' folder: never served)
   as a draft, which its editor and signed-in viewers can preview.
3. ``submit`` sets the embargo: a date and time in Europe/London, stored as UTC.
4. ``lifted`` gives the submitted uploads whose embargo has passed; ``observatory build`` reads them as an
   extra source (``local_inputs``), each with its provenance (who, when, sha256) in the release's
   ``inputs``. Until then no release contains the data, so no public page, API, bulk file, search or feed
   can show it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from observatory.model import Finding, ReaderResult, Severity, SourceFile
from observatory.officers import audit
from observatory.officers.models import Upload, User, utcnow
from observatory.sources.local import SUFFIXES, read_local

LONDON = ZoneInfo("Europe/London")
MAX_BYTES = int(os.environ.get("OBSERVATORY_UPLOAD_MAX_BYTES") or 2 * 1024 * 1024)
SOURCE = "officers-uploads"
SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


class UploadError(ValueError):
    """The upload or its embargo cannot be accepted; ``field`` names the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(slots=True)
class Checked:
    """A file read and checked: its rows and every finding (errors first, then by row)."""

    result: ReaderResult
    findings: list[Finding]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]


@dataclass(frozen=True, slots=True)
class LocalInput:
    """A lifted upload as the build reads it."""

    path: Path
    filename: str
    display: str
    dataset: str
    organisation: str
    source_date: dt.date
    file: SourceFile


def can_upload(user: User) -> bool:
    return user.role == "admin" or (user.role == "editor" and user.org_code is not None)


def safe_filename(name: str) -> str:
    """The last path part, with anything but letters, digits, dot, dash and underscore replaced."""
    base = re.split(r"[\\/]", name)[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", base).lstrip(".")[:80]
    return cleaned or "upload"


def dataset_of(org_code: str) -> str:
    return f"local-{org_code.lower()}"


def display_of(upload_id: int | str, filename: str) -> str:
    return f"{SOURCE}/{upload_id}/{safe_filename(filename)}"


def check(
    data: bytes,
    filename: str,
    *,
    org_code: str,
    org_name: str,
    allowed_areas: Collection[str],
    taken_slugs: Collection[str],
    display: str,
    today: dt.date,
) -> Checked:
    """Read an upload and list its findings (row and column for each). Never raises for bad content."""
    if len(data) > MAX_BYTES:
        finding = Finding("file.too-large", Severity.ERROR, display,
                          f"the file is {len(data):,} bytes; the limit is {MAX_BYTES:,}")  # fmt: skip
        return Checked(ReaderResult(findings=[finding]), [finding])
    if not filename.lower().endswith(SUFFIXES):
        finding = Finding("file.type", Severity.ERROR, display,
                          "only .csv (ELS tidy layout) and .xlsx files can be uploaded")  # fmt: skip
        return Checked(ReaderResult(findings=[finding]), [finding])
    result = read_local(data, filename, display, dataset_of(org_code), org_name, today)
    findings = list(result.findings)
    allowed = set(allowed_areas)
    for obs in result.observations:
        if obs.area_code not in allowed:
            findings.append(Finding(
                "upload.outside-organisation", Severity.ERROR, display,
                f"{obs.area_code} is not {org_name} ({org_code}) or an area inside it", obs.source_row, "areacd",
                obs.area_code,
            ))  # fmt: skip
    taken = set(taken_slugs)
    for ind in result.indicators:
        if ind.slug in taken:
            first = next((o.source_row for o in result.observations if o.indicator == ind.slug), None)
            findings.append(Finding(
                "upload.indicator-clash", Severity.ERROR, display,
                f"{ind.label!r} is the name of a published indicator; name local data differently "
                f"(e.g. '{ind.label} ({org_name} local data)')", first, "indicator", ind.label,
            ))  # fmt: skip
    if not result.observations and not any(f.severity is Severity.ERROR for f in findings):
        findings.append(Finding("file.no-rows", Severity.ERROR, display, "no rows could be read from the file"))
    findings.sort(key=lambda f: (SEVERITY_ORDER[f.severity], f.row or 0, f.column or ""))
    return Checked(result, findings)


def _store_file(folder: Path, data: bytes, suffix: str) -> str:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = f"{secrets.token_hex(16)}{suffix}"
    fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return name


def save_draft(
    session: Session, user: User, folder: Path, data: bytes, filename: str, title: str, org_code: str,
    org_name: str, checked: Checked, ip: str = "",
) -> Upload:  # fmt: skip
    """Keep a file without errors as a draft awaiting its embargo (audit event ``upload.draft``)."""
    if not can_upload(user) or (user.role == "editor" and user.org_code != org_code):
        raise PermissionError(f"{user.email} may not upload data for {org_code}")
    if checked.errors:
        raise UploadError("file", "a file with errors is not kept")
    title = title.strip()
    if not title or len(title) > 200:
        raise UploadError("title", "give the data a title (at most 200 characters)")
    suffix = ".xlsx" if filename.lower().endswith(".xlsx") else ".csv"
    now = utcnow()
    upload = Upload(user_id=user.id, org_code=org_code, org_name=org_name, title=title,
                    filename=safe_filename(filename), stored_name=_store_file(folder, data, suffix),
                    sha256=hashlib.sha256(data).hexdigest(), size=len(data), rows=checked.result.rows_read,
                    indicators=sorted({i.label for i in checked.result.indicators}), embargo_until=now,
                    status="draft", created_at=now)  # fmt: skip
    session.add(upload)
    session.flush()
    audit.record(session, "upload.draft", f"upload {upload.id}", actor=user, ip=ip,
                 after={"title": title, "file": upload.filename, "sha256": upload.sha256, "size": upload.size,
                        "org": org_code, "rows": upload.rows})  # fmt: skip
    return upload


def parse_embargo(text: str, now: dt.datetime) -> dt.datetime:
    """``YYYY-MM-DDTHH:MM`` in Europe/London → an aware UTC datetime; refuses times the clocks skip,
    ambiguous times when the clocks go back, and times already past."""
    try:
        naive = dt.datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise UploadError("embargo", "give the date and time as YYYY-MM-DDTHH:MM (UK time)") from exc
    if naive.tzinfo is not None:
        raise UploadError("embargo", "give the time as UK local time, without a time zone")
    early, late = naive.replace(tzinfo=LONDON, fold=0), naive.replace(tzinfo=LONDON, fold=1)
    if early.astimezone(dt.UTC).astimezone(LONDON).replace(tzinfo=None) != naive:
        raise UploadError("embargo", f"{naive:%H:%M on %-d %B %Y} does not exist in UK time (clocks go forward)")
    if early.utcoffset() != late.utcoffset():
        raise UploadError("embargo", f"{naive:%H:%M on %-d %B %Y} happens twice (clocks go back); choose another")
    when = early.astimezone(dt.UTC)
    if when < now:
        raise UploadError("embargo", "the embargo time has already passed; choose a time from now on")
    return when


def london(when: dt.datetime) -> str:
    """``09:30 on 3 December 2026 (UK time, GMT)``."""
    local = when.astimezone(LONDON)
    return f"{local:%H:%M} on {local:%-d %B %Y} (UK time, {local.tzname()})"


def submit(session: Session, user: User, upload: Upload, embargo: str, ip: str = "") -> Upload:
    """Set the embargo of a draft and submit it for the first release built after it lifts."""
    if not can_upload(user) or (user.role == "editor" and user.org_code != upload.org_code):
        raise PermissionError(f"{user.email} may not submit data for {upload.org_code}")
    if upload.status != "draft":
        raise UploadError("embargo", f"this upload is already {upload.status}")
    now = utcnow()
    when = parse_embargo(embargo, now)
    upload.embargo_until, upload.status, upload.submitted_at = when, "submitted", now
    audit.record(session, "upload.submit", f"upload {upload.id}", actor=user, ip=ip, before={"status": "draft"},
                 after={"status": "submitted", "embargo_until": when.isoformat()})  # fmt: skip
    return upload


def visible_to(user: User, upload: Upload) -> bool:
    """Signed-in viewers, admins and editors see every upload (embargoed data included)."""
    return not user.disabled


def all_uploads(session: Session) -> list[Upload]:
    return list(session.scalars(select(Upload).order_by(Upload.id.desc())))


def lifted(session: Session, now: dt.datetime) -> list[Upload]:
    """Submitted uploads whose embargo has passed at ``now``, oldest first."""
    query = select(Upload).where(Upload.status == "submitted", Upload.embargo_until <= now).order_by(Upload.id)
    return list(session.scalars(query))


def local_inputs(session: Session, folder: Path, now: dt.datetime) -> list[LocalInput]:
    """What ``build_release`` reads for the uploads lifted at ``now``, with provenance for ``inputs``."""
    found = []
    emails = {u.id: u.email for u in session.scalars(select(User))}
    for up in lifted(session, now):
        path = folder / up.stored_name
        display = display_of(up.id, up.filename)
        provenance = {"upload": str(up.id), "organisation": up.org_code, "title": up.title,
                      "uploaded_by": emails.get(up.user_id, "?"), "uploaded_at": up.created_at.isoformat(),
                      "embargo_until": up.embargo_until.isoformat()}  # fmt: skip
        file = SourceFile(source=SOURCE, path=display, size=up.size, sha256=up.sha256, url=None,
                          provenance=json.dumps(provenance, sort_keys=True))  # fmt: skip
        found.append(LocalInput(path=path, filename=up.filename, display=display, dataset=dataset_of(up.org_code),
                                organisation=up.org_name, source_date=up.created_at.date(), file=file))  # fmt: skip
    return found


def read_input(item: LocalInput) -> ReaderResult:
    """Read a lifted upload for the build; a file changed since it was checked is an error, not data."""
    data = item.path.read_bytes() if item.path.is_file() else b""
    if hashlib.sha256(data).hexdigest() != item.file.sha256:
        message = "the stored upload is missing or differs from the file that was checked (sha256 mismatch)"
        return ReaderResult(findings=[Finding("upload.changed", Severity.ERROR, item.display, message)])
    return read_local(data, item.filename, item.display, item.dataset, item.organisation, item.source_date)
