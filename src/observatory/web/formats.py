"""Renderers for the statistics world's formats: CSV (+ CSVW metadata), JSON-stat 2.0, XLSX, GeoJSON.

Each takes plain rows (dicts or tuples) from a data function, so every format of a query carries the same
values; none of them queries the store.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from observatory.sources.numbers import is_plain_number

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
GEOJSON_MEDIA_TYPE = "application/geo+json"
CSVW_CONTEXT = "http://www.w3.org/ns/csvw"
DENSE_CELLS = 500_000  # a JSON-stat cube larger than this (mostly empty) is sent with a sparse value object

# (name, CSVW/XSD datatype, description): the columns of `observatory export` and the bulk files.
EXPORT_SCHEMA: tuple[tuple[str, str, str], ...] = (
    ("area_code", "string", "GSS code of the area (or a configured group's slug, e.g. south-essex)"),
    ("area_name", "string", "Name of the area"),
    ("indicator", "string", "Stable slug of the indicator"),
    ("period", "string", "ISO 8601 period: start date / duration (e.g. 2022-01-01/P1Y)"),
    ("period_start", "date", "First day of the period"),
    ("period_duration", "string", "ISO 8601 duration of the period (empty for a point in time)"),
    ("value", "double", "The published value (empty where the publisher gives none; see status)"),
    ("lci_95", "double", "Lower limit of the published 95% confidence interval"),
    ("uci_95", "double", "Upper limit of the published 95% confidence interval"),
    ("numerator", "double", "Numerator, where published"),
    ("denominator", "double", "Denominator, where published"),
    ("status", "string", "Publisher's status marker (e.g. x not available, c confidential, u low reliability)"),
    ("notes", "string", "Publisher's note on this value"),
    ("release", "string", "Id of the observatory release that served this row"),
)


# Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection"): = + - @, and tab,
# carriage return and line feed, which some spreadsheets skip before looking for one; also their full-width
# forms, which some spreadsheet locales treat the same.
FORMULA_STARTS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
UTF8_BOM = "\ufeff"


def formula_safe(text: str) -> str:
    """A text cell that no spreadsheet will run: ``'`` before text that starts like a formula.

    As OWASP recommends for CSV: a cell beginning with ``=``, ``+``, ``-``, ``@``, tab or CR/LF gets a
    single quote in front, which spreadsheets show as text and never evaluate; a plain number written as
    text (``-0.5``, ``+3``) is left alone, since it is a number, not a formula.
    """
    if text and text[0] in FORMULA_STARTS and not is_plain_number(text):
        return "'" + text
    return text


def csv_cell(value: object) -> object:
    """ISO dates, empty for missing, lists joined with ``;``, text made formula-safe; numbers as Python writes
    them (shortest round-tripping form)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return formula_safe(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return formula_safe(";".join(str(v) for v in value))
    return value


def csv_lines(
    header: Sequence[str], records: Iterable[Sequence[object]], batch: int = 5000, *, bom: bool = False
) -> Iterator[bytes]:
    """UTF-8 CSV in chunks of ``batch`` rows, for a StreamingResponse or a file: the one CSV writer of the
    observatory (pages, API, bulk files, ``observatory export`` and ``diff``).

    Always one header row (also when there are no records), ``\\n`` line ends, None as empty, dates as ISO,
    floats in their shortest round-tripping form, lists joined with ``;`` and every text cell made
    formula-safe (:func:`formula_safe`). ``bom`` starts the file with a UTF-8 byte-order mark, so that
    Excel opens "£" and "–" correctly; it is for files meant for spreadsheets, not for programs.
    """
    buf = io.StringIO()
    if bom:
        buf.write(UTF8_BOM)
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([formula_safe(str(h)) for h in header])
    chunk: list[list[object]] = []
    for record in records:
        chunk.append([csv_cell(v) for v in record])
        if len(chunk) == batch:
            writer.writerows(chunk)
            chunk = []
            yield buf.getvalue().encode("utf-8")
            buf.seek(0)
            buf.truncate()
    writer.writerows(chunk)
    yield buf.getvalue().encode("utf-8")


def csv_bytes(header: Sequence[str], records: Iterable[Sequence[object]], *, bom: bool = False) -> bytes:
    """The whole CSV at once (see :func:`csv_lines`)."""
    return b"".join(csv_lines(header, records, bom=bom))


def table_csv(table: Sequence[Mapping[str, object]], columns: Sequence[str] = (), *, bom: bool = False) -> bytes:
    """A page's table (a list of dicts with the same keys) as CSV; ``columns`` name the header when it is empty."""
    header = list(table[0]) if table else list(columns)
    return csv_bytes(header, ([row.get(c) for c in header] for row in table), bom=bom)


def csvw_metadata(
    url: str,
    *,
    title: str,
    description: str,
    licence: str,
    release: str,
    created: str,
    columns: Sequence[tuple[str, str, str]] = EXPORT_SCHEMA,
    publisher: str = "",
) -> dict[str, Any]:
    """CSV on the Web metadata (W3C CSVW) describing a CSV file: its columns, types, licence and release."""
    return {
        "@context": CSVW_CONTEXT,
        "url": url,
        "dc:title": title,
        "dc:description": description,
        "dc:license": {"@id": licence},
        "dc:publisher": publisher,
        "dc:modified": {"@value": created, "@type": "xsd:dateTime"},
        "dc:identifier": release,
        "dialect": {"encoding": "utf-8", "header": True, "delimiter": ","},
        "tableSchema": {
            "columns": [
                {"name": name, "titles": name, "datatype": datatype, "dc:description": text}
                for name, datatype, text in columns
            ],
            "primaryKey": ["indicator", "area_code", "period"] if columns is EXPORT_SCHEMA else [],
        },
    }


def _category(ids: list[str], labels: Mapping[str, str]) -> dict[str, Any]:
    return {"index": ids, "label": {i: labels.get(i, i) for i in ids}}


def jsonstat_dataset(
    records: Sequence[Mapping[str, Any]],
    *,
    indicators: Mapping[str, Mapping[str, Any]],
    label: str,
    release: str,
    updated: str,
    source: str,
    href: str = "",
) -> dict[str, Any]:
    """A JSON-stat 2.0 dataset: dimensions indicator (metric) × area (geo) × period (time).

    Periods are ordered by start date, areas by code, indicators as they come. Values are a dense array
    (row-major, ``null`` for empty cells) unless the cube is large and sparse, then an index→value object,
    as the format allows. Publisher status markers go in ``status`` by cell index.
    """
    ind_ids = list(dict.fromkeys(str(r["indicator"]) for r in records))
    area_ids = sorted({str(r["area_code"]) for r in records})
    periods = sorted({(r["period_start"], str(r["period"])) for r in records})
    period_ids = list(dict.fromkeys(p for _s, p in periods))
    area_names = {str(r["area_code"]): str(r["area_name"]) for r in records}
    period_labels = {str(r["period"]): str(r["period_label"]) for r in records}
    a_index = {a: i for i, a in enumerate(area_ids)}
    p_index = {p: i for i, p in enumerate(period_ids)}
    i_index = {s: i for i, s in enumerate(ind_ids)}
    n_area, n_period = len(area_ids), len(period_ids)
    size = [len(ind_ids), n_area, n_period]
    cells = size[0] * n_area * n_period
    sparse = cells > DENSE_CELLS
    values: dict[str, float | None] | list[float | None] = {} if sparse else [None] * cells
    status: dict[str, str] = {}
    for r in records:
        idx = (i_index[str(r["indicator"])] * n_area + a_index[str(r["area_code"])]) * n_period + p_index[
            str(r["period"])
        ]
        if isinstance(values, dict):
            if r["value"] is not None:
                values[str(idx)] = r["value"]
        else:
            values[idx] = r["value"]
        if r.get("status"):
            status[str(idx)] = str(r["status"])
    unit = {
        s: {
            "label": str(indicators.get(s, {}).get("unit") or ""),
            "decimals": int(indicators.get(s, {}).get("decimals") or 0),
            **(
                {"symbol": str(indicators[s]["prefix"]), "position": "start"}
                if indicators.get(s, {}).get("prefix")
                else {}
            ),
        }
        for s in ind_ids
    }
    dataset: dict[str, Any] = {
        "version": "2.0",
        "class": "dataset",
        "label": label,
        "source": source,
        "updated": updated,
        "id": ["indicator", "area", "period"],
        "size": size,
        "role": {"metric": ["indicator"], "geo": ["area"], "time": ["period"]},
        "dimension": {
            "indicator": {
                "label": "Indicator",
                "category": {
                    **_category(ind_ids, {s: str(indicators.get(s, {}).get("label") or s) for s in ind_ids}),
                    "unit": unit,
                },
            },
            "area": {"label": "Area", "category": _category(area_ids, area_names)},
            "period": {"label": "Period", "category": _category(period_ids, period_labels)},
        },
        "value": values,
        "extension": {"release": release},
        "release": release,
    }
    if status:
        dataset["status"] = status
    if href:
        dataset["href"] = href
    return dataset


def xlsx_bytes(
    header: Sequence[str],
    records: Iterable[Sequence[object]],
    notes: Sequence[tuple[str, str]],
    *,
    sheet: str = "data",
) -> bytes:
    """A workbook with one clean table (one header row, typed cells, dates as dates) and a notes sheet.

    Every text cell is written as text, never as a formula (see :func:`_text_cell`)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    for i, name in enumerate(header, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(12, min(40, len(name) + 4))
    head = []
    for name in header:
        cell = _text_cell(ws, name)
        cell.font = bold
        head.append(cell)
    ws.append(head)
    count = 0
    for record in records:
        out: list[object] = []
        for v in record:
            if isinstance(v, dt.date):
                cell = WriteOnlyCell(ws, value=v)
                cell.number_format = "yyyy-mm-dd"
                out.append(cell)
            elif isinstance(v, str | list | tuple):
                out.append(_text_cell(ws, v if isinstance(v, str) else ";".join(str(x) for x in v)))
            else:
                out.append(v)
        ws.append(out)
        count += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(max(1, len(header)))}{count + 1}"
    info = wb.create_sheet("notes")
    info.column_dimensions["A"].width = 18
    info.column_dimensions["B"].width = 100
    for key, text in notes:
        label = _text_cell(info, key)
        label.font = bold
        info.append([label, _text_cell(info, text)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _text_cell(ws: Any, text: str) -> WriteOnlyCell:
    """A cell typed as text, never a formula: openpyxl would type ``=…`` as a formula, so the type is set to
    string, and text that starts like a formula also gets Excel's quote prefix (shown as text, kept as text
    when edited). The text itself is kept as written."""
    cell = WriteOnlyCell(ws, value=text)
    cell.data_type = "s"
    if text[:1] in FORMULA_STARTS:
        cell.quotePrefix = True
    return cell


def geojson_feature(code: str, geometry: str | Mapping[str, Any], properties: Mapping[str, Any]) -> dict[str, Any]:
    """A GeoJSON Feature (RFC 7946, WGS84 longitude/latitude) with the area code as its id."""
    geom = json.loads(geometry) if isinstance(geometry, str) else dict(geometry)
    return {"type": "Feature", "id": code, "geometry": geom, "properties": dict(properties)}


def dumps(data: Any) -> bytes:
    """Compact UTF-8 JSON (dates as ISO strings)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=_default).encode("utf-8")


def _default(value: object) -> object:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def script_json(data: Any) -> str:
    """JSON safe to embed in an HTML ``<script>`` element (no ``</script>`` or ``<!--`` can appear)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=_default)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
