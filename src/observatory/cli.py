"""The `observatory` command: parses options and calls the library; nothing else lives here.

Every failure ends with a one-line reason on stderr and a non-zero exit code (1: the work failed,
2: the command line was wrong).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from observatory import format as nf
from observatory.config import ConfigError, load_config
from observatory.model import Severity
from observatory.store import Store, StoreError, default_store_path

app = typer.Typer(
    help="South Essex Data Observatory: build, inspect and serve releases of official statistics.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Piped output (CI logs, files) is not squeezed to 80 columns: ids and findings stay on one line.
out = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 200)

StoreOpt = Annotated[
    Path | None,
    typer.Option("--store", help="Release store folder [default: $OBSERVATORY_STORE, else ./var]"),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", help="Deployment config [default: $OBSERVATORY_CONFIG, else ./observatory.toml]"),
]


class TableFormat(StrEnum):
    table = "table"
    json = "json"


class DiffFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class ExportFormat(StrEnum):
    csv = "csv"
    parquet = "parquet"


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"observatory: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def reasons() -> Iterator[None]:
    """Turn the library's expected failures into one-line reasons instead of tracebacks."""
    from observatory.pipeline.fetch import FetchError

    try:
        yield
    except (ConfigError, StoreError, FetchError) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "))


def _store(store: Path | None) -> Store:
    return Store(store or default_store_path())


def _write_csv(header: Sequence[str], rows: Iterable[Sequence[object]], out_file: Path | None) -> None:
    """CSV through the observatory's one formula-safe writer (``web.formats.csv_lines``), to a file or stdout."""
    from observatory.web.formats import csv_lines

    if out_file is not None:
        with open(out_file, "wb") as fh:
            fh.writelines(csv_lines(header, rows))
        return
    sys.stdout.flush()
    for chunk in csv_lines(header, rows):
        sys.stdout.buffer.write(chunk)
    sys.stdout.buffer.flush()


@app.command()
def build(
    sources: Annotated[
        Path | None,
        typer.Option(
            "--sources",
            help="Folder with one subfolder per configured source [default: $OBSERVATORY_SOURCES]",
        ),
    ] = None,
    config: ConfigOpt = None,
    store: StoreOpt = None,
    show: Annotated[int, typer.Option("--show", help="How many findings to list")] = 15,
    accept_loss: Annotated[
        list[str] | None,
        typer.Option(
            "--accept-loss",
            help="A source (or file) allowed to lose observations against the current release without a new "
            "edition; recorded in the release. Repeatable.",
        ),
    ] = None,
) -> None:
    """Build a release from the sources, validate it and publish it (nothing is published on error)."""
    from observatory.pipeline.build import BuildFailed, NoSpace, build_release

    sources = sources or (Path(os.environ["OBSERVATORY_SOURCES"]) if os.environ.get("OBSERVATORY_SOURCES") else None)
    if sources is None:
        fail("no sources folder: pass --sources DIR or set OBSERVATORY_SOURCES", 2)
    with reasons():
        cfg = load_config(config)
        target = _store(store)
        previous = target.current_id()
        try:
            extra = _lifted_uploads(target)
            with err.status("building…") as status:
                report = build_release(cfg, sources, target, progress=lambda m: status.update(f"{m}…"), extra=extra,
                                       accept_loss=accept_loss or [])  # fmt: skip
        except NoSpace as exc:
            fail(str(exc))  # one line: where, that nothing was published, where the failed report is
        except BuildFailed as exc:
            _print_findings(exc.report.findings, show, errors_first=True)
            serving = f"release {previous} is still serving" if previous else "no release is published yet"
            fail(f"build failed with {len(exc.report.errors())} error(s); nothing was published; {serving}")
    counts = report.counts
    grid = Table(title=f"Release {report.release_id} published", show_header=False, box=None)
    for label, value in (
        ("files read", counts["files"]),
        ("rows read", counts["rows_read"]),
        ("rows loaded", counts["rows_loaded"]),
        ("rows skipped (each named in a finding)", counts["rows_skipped"]),
        ("observations", counts["observations"]),
        ("indicators", counts["indicators"]),
        ("areas", counts["areas"]),
        (
            "findings",
            f"{counts['findings_error']} errors, {counts['findings_warning']} warnings, {counts['findings_info']} info",
        ),
        ("content hash", report.content_hash[:16]),
        ("seconds", f"{report.seconds:.1f}"),
    ):
        grid.add_row(label, str(value))
    out.print(grid)
    _print_findings(report.findings, show)
    out.print(f"Full report: {target.releases / (str(report.release_id) + '.json')}")


def _lifted_uploads(target: Store) -> list[Any]:
    """Officers' uploads whose embargo has passed now: extra inputs of this build (none without a database)."""
    from functools import partial

    from observatory.officers.service import Officers
    from observatory.officers.uploads import local_inputs, read_input
    from observatory.pipeline.build import ExtraInput

    officers = Officers.open(target.root)
    if officers is None:
        err.print("observatory: officers' database unavailable; no uploads are read in this build", highlight=False)
        return []
    now = dt.datetime.now(dt.UTC)
    with officers.db.session() as s:
        found = local_inputs(s, officers.uploads_dir, now)
    if found:
        err.print(f"{len(found)} officers' upload(s) past their embargo are read as extra inputs", highlight=False)
    return [ExtraInput(item.file, partial(read_input, item)) for item in found]


def _print_findings(findings: list[Any], show: int, errors_first: bool = False) -> None:
    if not findings:
        return
    by_rule = Counter((f.severity.value, f.rule) for f in findings)
    summary = Table(title="Findings by rule")
    for col in ("severity", "rule", "count"):
        summary.add_column(col)
    for (severity, rule), n in sorted(by_rule.items()):
        summary.add_row(severity, rule, str(n))
    out.print(summary)
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    listed = sorted(findings, key=lambda f: order[f.severity]) if errors_first else findings
    for finding in listed[:show]:
        console = err if finding.severity is Severity.ERROR else out
        console.print(str(finding), markup=False, highlight=False, soft_wrap=True)
    if len(findings) > show:
        out.print(f"… and {len(findings) - show} more (see the build report)")


@app.command()
def releases(
    store: StoreOpt = None,
    fmt: Annotated[TableFormat, typer.Option("--format", help="Output format")] = TableFormat.table,
) -> None:
    """List the releases in the store: id, created, rows, which is current."""
    with reasons():
        infos = _store(store).list()
    if fmt is TableFormat.json:
        rows = [
            {
                "id": i.id,
                "created": i.created,
                "observations": i.counts.get("observations"),
                "current": i.current,
                "content_hash": i.content_hash,
                "counts": i.counts,
            }
            for i in infos
        ]
        out.print_json(json.dumps(rows))
        return
    if not infos:
        out.print("No releases yet: run `observatory build`.")
        return
    table = Table(title="Releases")
    for col in ("id", "created (UTC)", "observations", "indicators", "areas", "findings", "current"):
        table.add_column(col)
    for i in infos:
        c = i.counts
        table.add_row(
            i.id,
            i.created,
            f"{c.get('observations', 0):,}",
            str(c.get("indicators")),
            str(c.get("areas")),
            f"{c.get('findings_warning', 0)} warnings",
            "← current" if i.current else "",
        )
    out.print(table)


@app.command()
def diff(
    old: Annotated[str, typer.Argument(help="Older release id (or 'previous')")],
    new: Annotated[str, typer.Argument(help="Newer release id (or 'current')")],
    indicator: Annotated[str | None, typer.Option("--indicator", help="Only this indicator (slug)")] = None,
    fmt: Annotated[DiffFormat, typer.Option("--format", help="Output format")] = DiffFormat.table,
    store: StoreOpt = None,
) -> None:
    """Observations added, removed and revised between two releases, with old and new values."""
    from observatory.release.read import DIFF_COLUMNS, diff_rows, summarise_diff

    with reasons():
        old_id, new_id, rows = diff_rows(_store(store), old, new, indicator)
    summary = summarise_diff(rows)
    if fmt is DiffFormat.csv:
        _write_csv(DIFF_COLUMNS, rows, None)
        return
    if fmt is DiffFormat.json:
        payload = {
            "old": old_id,
            "new": new_id,
            "summary": {"added": summary.added, "removed": summary.removed, "revised": summary.revised},
            "changes": [dict(zip(DIFF_COLUMNS, r, strict=True)) for r in rows],
        }
        sys.stdout.write(json.dumps(payload, default=nf.exact, indent=1) + "\n")
        return
    table = Table(
        title=f"{old_id} → {new_id}: {summary.added} added, {summary.removed} removed, {summary.revised} revised"
    )
    for col in ("change", "indicator", "area", "period", "old", "new"):
        table.add_column(col)
    for r in rows[:200]:
        table.add_row(str(r[0]), str(r[1]), f"{r[3]} ({r[2]})", str(r[4]), nf.exact(r[5]), nf.exact(r[6]))
    out.print(table)
    if len(rows) > 200:
        out.print(f"… {len(rows) - 200} more rows: use --format csv for all of them")


@app.command()
def export(
    release: Annotated[str | None, typer.Option("--release", help="Release id [default: current]")] = None,
    indicator: Annotated[str | None, typer.Option("--indicator", help="Only this indicator (slug)")] = None,
    fmt: Annotated[ExportFormat, typer.Option("--format", help="csv or parquet")] = ExportFormat.csv,
    out_file: Annotated[Path | None, typer.Option("--out", help="Output file [default: stdout for csv]")] = None,
    store: StoreOpt = None,
) -> None:
    """All observations as one tidy table (area, indicator, period, value, 95% CI, …, release)."""
    from observatory.release.read import EXPORT_COLUMNS, export_rows

    if fmt is ExportFormat.parquet and out_file is None:
        fail("--format parquet needs --out FILE", 2)
    target = _store(store)
    with reasons():
        release_id = target.resolve(release)
        with target.open(release_id) as con:
            rows = export_rows(con, release_id, indicator)
            if fmt is ExportFormat.parquet:
                import pyarrow as pa
                import pyarrow.parquet as pq

                assert out_file is not None
                columns = list(zip(*rows, strict=True)) or [()] * len(EXPORT_COLUMNS)
                table = pa.table({name: list(col) for name, col in zip(EXPORT_COLUMNS, columns, strict=True)})
                pq.write_table(table, out_file)
                return
            _write_csv(EXPORT_COLUMNS, rows, out_file)


@app.command()
def fetch(
    dest: Annotated[Path, typer.Option("--dest", help="Folder to download the sources into")],
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="A mirror laid out like the sources folder")
    ] = None,
    config: ConfigOpt = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds per request")] = 30.0,
    retries: Annotated[int, typer.Option("--retries", help="Attempts per file on transient errors")] = 3,
    allow_redirect_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-redirect-host",
            help="A host that redirects may lead to (repeatable); by default "
            "only redirects within the same site are followed",
        ),
    ] = None,
) -> None:
    """Download the configured sources from their publishers (sha256 and provenance recorded)."""
    from observatory.pipeline.fetch import fetch_sources

    with reasons():
        cfg = load_config(config)
        columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
        with Progress(*columns, console=err, transient=True) as bar:
            task = bar.add_task("fetching", total=None)

            def progress(label: str, done: int, total: int) -> None:
                bar.update(task, description=label[-60:], completed=done, total=total)

            report = fetch_sources(cfg, dest, base_url=base_url, timeout=timeout, retries=retries, progress=progress,
                                   redirect_hosts=allow_redirect_host or [])  # fmt: skip
    out.print(f"Fetched {report.files} files ({report.bytes:,} bytes) into {dest} in {report.duration:.1f} s")
    if report.changed:
        out.print(f"{len(report.changed)} file(s) differ from the manifest (changed upstream):")
        for path in report.changed[:20]:
            out.print(f"  {path}")


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option("--workers", help="Worker processes (releases are read-only files)")] = 1,
    config: ConfigOpt = None,
    store: StoreOpt = None,
) -> None:
    """Serve the site and the API on the current release (a new release is picked up without restart)."""
    import uvicorn

    with reasons():
        cfg_path = config or None
        target = _store(store)
        cfg = load_config(cfg_path)  # fail early with a one-line reason
        target.resolve(None)
    from observatory.officers.service import Officers

    if Officers.open(target.root) is None:  # migrates the officers' database once, before the workers start
        err.print("observatory: officers' database unavailable; serving the public site without sign-in")
    os.environ["OBSERVATORY_STORE"] = str(target.root)
    if not cfg.deployment.base_url and not os.environ.get("OBSERVATORY_BASE_URL"):
        # absolute URLs come from configuration, never from a request's Host header
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 (compared, not bound)
        os.environ["OBSERVATORY_BASE_URL"] = f"http://{shown}:{port}"
    if config is not None:
        os.environ["OBSERVATORY_CONFIG"] = str(config)
    out.print(f"Serving {target.current_id()} on http://{host}:{port}/")
    uvicorn.run("observatory.web.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                log_level="warning")  # fmt: skip


@app.command()
def report(
    area: Annotated[
        str, typer.Argument(help="A South Essex authority's code, south-essex, or invest (the investor evidence pack)")
    ],
    out_file: Annotated[Path, typer.Option("--out", help="The PDF file to write")],
    release: Annotated[str | None, typer.Option("--release", help="Release id [default: current]")] = None,
    config: ConfigOpt = None,
    store: StoreOpt = None,
) -> None:
    """A page of the site as a typeset A4 PDF: an area's page, South Essex's, or the investor evidence pack."""
    import shutil

    from observatory.reports import ReportError, check_target, report_pdf
    from observatory.web.app import create_app

    with reasons():
        try:
            cfg = load_config(config)
            check_target(cfg, area)  # the six authorities, the groups and invest: no 12 s typesetting of any area
            target = _store(store)
            release_id = target.resolve(release)
            app_ = create_app(target, cfg)
            made = report_pdf(app_, target, release_id, area)
            out_file.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(made, out_file)
        except ReportError as exc:
            fail(str(exc))
    out.print(f"Wrote {out_file} ({out_file.stat().st_size:,} bytes) from release {release_id}")


# ----------------------------------------------------------------------------------------------------------------
# The officers' database and accounts

db_app = typer.Typer(help="The officers' database (accounts, action progress, uploads, audit log).",
                     no_args_is_help=True)  # fmt: skip
users_app = typer.Typer(help="Officer accounts: add, list, disable. There is no default account.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")


class Role(StrEnum):
    viewer = "viewer"
    editor = "editor"
    admin = "admin"


def _officers(store: Path | None) -> Any:
    from observatory.officers.db import Database, officers_dir

    target = _store(store)
    officers_dir(target.root)
    return Database.for_store(target.root)


@db_app.command("upgrade")
def db_upgrade(store: StoreOpt = None) -> None:
    """Create or migrate the officers' database ($OBSERVATORY_DATABASE_URL, else STORE/officers/officers.sqlite)."""
    with reasons():
        db = _officers(store)
        try:
            revision = db.upgrade()
        except Exception as exc:
            fail(f"cannot migrate {db.engine.url.render_as_string(hide_password=True)}: {exc}")
    out.print(f"Officers' database at revision {revision}: {db.engine.url.render_as_string(hide_password=True)}")


@users_app.command("add")
def users_add(
    email: Annotated[str, typer.Argument(help="The officer's email address (their sign-in name)")],
    role: Annotated[Role, typer.Option("--role", help="viewer, editor or admin")],
    org: Annotated[str | None, typer.Option("--org", help="Editor of this council (GSS code, e.g. E06000033)")] = None,
    programme: Annotated[str | None, typer.Option("--programme", help="Editor of this programme of the plan")] = None,
    store: StoreOpt = None,
) -> None:
    """Add an account. The password is asked for twice (or read from stdin when piped); none is ever made up."""
    from observatory.officers.accounts import AccountError, add_user

    if sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    with reasons():
        db = _officers(store)
        db.upgrade()
        try:
            with db.session() as s:
                user = add_user(s, email, password, role.value, org_code=org, programme=programme)
                shown = f"{user.email} ({user.role}, {user.scope})"
        except AccountError as exc:
            fail(str(exc), 2)
    out.print(f"Added {shown}", highlight=False)


@users_app.command("list")
def users_list(store: StoreOpt = None) -> None:
    """Every account: email, role, scope, whether disabled, last sign-in."""
    from observatory.officers.accounts import list_users

    with reasons():
        db = _officers(store)
        db.upgrade()
        with db.session() as s:
            found = [
                (u.email, u.role, u.scope, "disabled" if u.disabled else "active",
                 u.last_sign_in_at.isoformat() if u.last_sign_in_at else "never")
                for u in list_users(s)
            ]  # fmt: skip
    grid = Table("email", "role", "scope", "state", "last sign-in (UTC)")
    for row in found:
        grid.add_row(*row)
    out.print(grid)


@users_app.command("disable")
def users_disable(email: Annotated[str, typer.Argument(help="The account to disable")], store: StoreOpt = None) -> None:
    """Disable an account: it can no longer sign in and its sessions end at once."""
    from observatory.officers.accounts import AccountError, disable_user

    with reasons():
        db = _officers(store)
        db.upgrade()
        try:
            with db.session() as s:
                disable_user(s, email)
        except AccountError as exc:
            fail(str(exc), 2)
    out.print(f"Disabled {email.strip().lower()}", highlight=False)


def main() -> None:  # pragma: no cover - console entry
    app()
