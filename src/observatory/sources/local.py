"""Councils' own data uploaded by officers: CSV in the ONS ELS tidy layout, or the same columns in XLSX.

Read by exactly the rules of a publisher's ELS file (``ons_els.read_els_csv``): the same findings, rows
and columns. An XLSX workbook's first sheet is turned into CSV text first (cell values only: formulas are
never evaluated, ``data_only`` reads the value the workbook saved), so findings name the sheet's row.
Uploads are read from bytes and never executed; a workbook whose contents would unpack to more than
``MAX_UNPACKED`` bytes is refused before it is opened.

``read_local(data, filename, display, dataset, organisation, source_date)`` → ``ReaderResult`` whose
indicators carry the organisation as ``source_org`` and the upload date as ``source_date``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import replace

from observatory.model import Finding, ReaderResult, Severity
from observatory.sources.ons_els import read_els_csv

MAX_UNPACKED = 50 * 1024 * 1024
SUFFIXES = (".csv", ".xlsx")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def xlsx_as_csv(data: bytes, display: str) -> tuple[bytes | None, list[Finding]]:
    """The first sheet of a workbook as UTF-8 CSV bytes, or findings saying why it cannot be read."""
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            unpacked = sum(i.file_size for i in zf.infolist())
    except zipfile.BadZipFile:
        return None, [Finding("file.not-xlsx", Severity.ERROR, display, "not an XLSX workbook (not a zip file)")]
    if unpacked > MAX_UNPACKED:
        message = f"the workbook unpacks to {unpacked:,} bytes (more than {MAX_UNPACKED:,}); not read"
        return None, [Finding("file.too-large", Severity.ERROR, display, message)]
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        return None, [Finding("file.not-xlsx", Severity.ERROR, display, f"cannot read the workbook: {exc}"[:300])]
    try:
        sheet = book.worksheets[0]
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        for row in sheet.iter_rows(values_only=True):
            writer.writerow([_cell(v) for v in row])
    finally:
        book.close()
    return buf.getvalue().encode("utf-8"), []


def read_local(
    data: bytes, filename: str, display: str, dataset: str, organisation: str, source_date: dt.date
) -> ReaderResult:
    name = filename.lower()
    if name.endswith(".xlsx"):
        text, findings = xlsx_as_csv(data, display)
        if text is None:
            return ReaderResult(findings=findings)
        result = read_els_csv(text, display, dataset)
    elif name.endswith(".csv"):
        result = read_els_csv(data, display, dataset)
    else:
        message = f"{filename[:80]!r}: only .csv (ELS tidy layout) and .xlsx files can be uploaded"
        return ReaderResult(findings=[Finding("file.type", Severity.ERROR, display, message)])
    result.indicators = [replace(i, source_org=organisation, source_date=source_date) for i in result.indicators]
    return result
