"""Reader for ONS regional GVA (balanced) by industry at ITL3 (Tables 3b and 3c of the April 2023 workbook).

Layout (see the source's PROVENANCE.md): ``ITL region code, ITL region name, SIC07 code, SIC07 description``
then one column per year; values in £ million with thousands separators ("3,345"). Table 3c is current
prices (additive: industries sum to the total, areas sum to the UK); Table 3b is chained volume measures in
2019 money, which are not additive. Rows are hierarchical: ``Total``, two sector rows (``A-E``, ``G-T``),
18 broad industries (``AB (1-9)`` … ``T (97-98)``) and finer divisions beneath some of them.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from observatory.model import Finding, Severity
from observatory.sources.numbers import NotANumber, parse_decimal

Prices = Literal["current", "cvm"]
Level = Literal["total", "sector", "industry", "division"]

FILES: dict[Prices, str] = {
    "current": "Table_3c_ITL3_UK_current_price_estimates_pounds_million.csv",
    "cvm": "Table_3b_ITL3_UK_chained_volume_measures_2019_money_pounds_million.csv",
}
HEADER = ["ITL region code", "ITL region name", "SIC07 code", "SIC07 description"]
# The 18 broad industries that partition the total without overlap (A-E and G-T are their sums).
INDUSTRIES = ("AB", "C", "DE", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "R", "S", "T")
_INDUSTRY = re.compile(r"^([A-Z]{1,2}) \(")


@dataclass(frozen=True, slots=True)
class GvaRow:
    """One row of a table: an area and industry, with its £ million value for each year that has one."""

    prices: Prices
    itl3_code: str
    itl3_name: str
    sic_code: str
    sic_description: str
    level: Level
    values: dict[int, float]  # year → £ million
    source_file: str
    source_row: int


Keep = Callable[[Prices, str, Level], bool]  # (prices, ITL3 code, level) → read this row?


@dataclass
class GvaResult:
    rows: list[GvaRow] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    rows_read: int = 0


def industry_level(sic_code: str) -> Level:
    """Where a SIC07 row sits in the table's hierarchy."""
    code = sic_code.strip()
    if code == "Total":
        return "total"
    if code in ("A-E", "G-T"):
        return "sector"
    m = _INDUSTRY.match(code)
    if m and m.group(1) in INDUSTRIES:
        return "industry"
    return "division"


def industry_letters(sic_code: str) -> str:
    m = _INDUSTRY.match(sic_code.strip())
    return m.group(1) if m else sic_code.strip()


def parse_number(text: str) -> float | None:
    """'3,345' → 3345.0; anything else that is not a plain number → None."""
    try:
        return parse_decimal(text.strip(), grouped=True)
    except NotANumber:
        return None


def read_gva_file(path: Path, prices: Prices, display: str, keep: Keep | None = None) -> GvaResult:
    """Read one table; ``keep`` skips rows that are not needed before their numbers are parsed."""
    result = GvaResult()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        result.findings.append(Finding("file.encoding", Severity.ERROR, display, f"not UTF-8 text: {exc}"))
        return result
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if header is None or [h.strip() for h in header[:4]] != HEADER:
        result.findings.append(
            Finding("header.unexpected", Severity.ERROR, display, f"expected the columns {HEADER} first", row=1)
        )
        return result
    years: list[tuple[int, int]] = []
    for i, h in enumerate(header[4:], start=4):
        if not h.strip().isdigit():
            result.findings.append(
                Finding("header.unexpected", Severity.ERROR, display, "a year column is not a year", 1, h, h)
            )
            return result
        years.append((i, int(h)))
    for line, row in enumerate(reader, start=2):
        result.rows_read += 1
        if len(row) != len(header):
            result.findings.append(
                Finding("row.width", Severity.WARNING, display, f"{len(row)} columns, expected {len(header)}", line)
            )
            continue
        code, name, sic, desc = (c.strip() for c in row[:4])
        level = industry_level(sic)
        if keep is not None and not keep(prices, code, level):
            continue
        values: dict[int, float] = {}
        for i, year in years:
            value = parse_number(row[i])
            if value is None:
                result.findings.append(
                    Finding(
                        "value.not-numeric", Severity.WARNING, display, "not a number; skipped", line, header[i], row[i]
                    )
                )
                continue
            values[year] = value
        result.rows.append(GvaRow(prices, code, name, sic, desc, level, values, display, line))
    return result


def read_gva_itl3(
    folder: Path, display_prefix: str = "ons-gva-itl3-by-industry", keep: Keep | None = None
) -> GvaResult:
    """Both tables from ``folder``; a missing table is a warning (the other is still usable)."""
    out = GvaResult()
    for prices, name in FILES.items():
        path = folder / name
        display = f"{display_prefix}/{name}"
        if not path.is_file():
            out.findings.append(Finding("source.missing-file", Severity.WARNING, display, "file not found"))
            continue
        part = read_gva_file(path, prices, display, keep)
        out.rows.extend(part.rows)
        out.findings.extend(part.findings)
        out.rows_read += part.rows_read
    return out
