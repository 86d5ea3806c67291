"""Readers for Nomis web-query xlsx downloads: UK Business Counts (enterprises) and APS T01 (economic activity).

Both files are a single sheet of **stacked blocks** (see their PROVENANCE.md): a title, a copyright line,
``key | value`` rows (``date``, ``industry``, ``confidence`` …), a header row starting ``Area``, data rows
until the first blank row, then footnotes. Blocks are found by their ``Area`` row, never by a fixed stride.
Area labels are names only, prefixed by Nomis' geography type (``ladu:Basildon``, ``country:England``,
``lep:…``, ``User Defined Geography:…``): districts are joined to GSS codes by name (``names.py``) on the
2021–22 authorities the files use for every year; England is E92000001; LEP and DfE user-defined areas
are not geography the observatory serves, so each such label is named in an INFO finding with its rows.

The sheets are read with python-calamine (openpyxl's read-only mode sees one row: the sheet declares
``<dimension ref="A1"/>``). Rows are 1-based sheet rows in every finding.

UK Business Counts → observations ``enterprises`` (total), ``enterprises-<band>`` (micro, small, medium,
large: counts) and ``enterprises-<band>-share`` (% of the area's enterprises), one per industry group
``enterprises-industry-NN`` (counts), and the detail table ``business_counts`` (area × year × industry ×
size band). APS T01 → ``aps-employment-rate``, ``aps-unemployment-rate``, ``aps-inactivity-rate`` (rates
computed from the published counts, see ``_RATES``) and the detail table ``aps_counts`` (the counts with
their published ± and status).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

from observatory.model import Finding, Indicator, Observation, Period, ReaderResult, Severity
from observatory.periods import parse_period
from observatory.sources.names import NameResolver

UBC_FILES = {
    "size": "UBC_enterprises_by_sizeband__nomis_2023_04_24_151111.xlsx",
    "industry": "UBC_enterprises_by_industry_and_sizeband__nomis_2023_04_24_152639.xlsx",
}
APS_FILE = "APS_T01_economic_activity_16-64__nomis_2023_04_24_143523.xlsx"
GEOGRAPHY_YEAR = 2022  # the files use the April 2021–March 2023 authorities for every year (PROVENANCE.md)
ENGLAND = "E92000001"
NOMIS_URL = "https://www.nomisweb.co.uk/"
UBC_HEADER = ["Area", "Total", "Micro (0 to 9)", "Small (10 to 49)", "Medium-sized (50 to 249)", "Large (250+)"]
SIZE_BANDS = ("total", "micro", "small", "medium", "large")
BAND_LABELS = {
    "micro": "micro (0 to 9 employees)",
    "small": "small (10 to 49 employees)",
    "medium": "medium-sized (50 to 249 employees)",
    "large": "large (250 or more employees)",
}
_INDUSTRY = re.compile(r"^(\d{1,2}) : (.+)$")
_APS_DATE = re.compile(r"^Jan (\d{4})-Dec (\d{4})$")
# APS variables by their T01 cell number (header row 1 of each block).
APS_VARIABLES = {
    "T01:22": "all",
    "T01:25": "active",
    "T01:28": "employment",
    "T01:31": "employees",
    "T01:34": "self-employed",
    "T01:37": "unemployed",
    "T01:40": "inactive",
}
# Nomis symbols written into value cells (the Flags columns are always empty): status, never a number.
APS_SYMBOLS = {
    "!": "suppressed",  # sample size zero or disclosive (0–2)
    "*": "unreliable",  # sample size 3–9: estimate shown, interval not
    "-": "missing",
    "~": "below-500",  # estimate less than 500
}
APS_SYMBOL_TEXT = {
    "suppressed": "not available: the sample is zero or disclosive (0–2)",
    "unreliable": "unreliable: the sample is small (3–9)",
    "missing": "missing in the publisher's file",
    "below-500": "the estimate is less than 500",
}
# slug: (label, numerator variable, denominator variable)
_RATES = {
    "aps-employment-rate": ("Employment rate, aged 16–64 (APS)", "employment", "all"),
    "aps-unemployment-rate": ("Unemployment rate, aged 16–64 (APS)", "unemployed", "active"),
    "aps-inactivity-rate": ("Economic inactivity rate, aged 16–64 (APS)", "inactive", "all"),
}
RATE_INTERVAL_METHOD = (
    "Interval: the published 95% half-width of the numerator count divided by the denominator count, "
    "treating the denominator as fixed. Under simple random sampling of a known population this is the "
    "rate's interval; the APS estimates the local 16–64 population too, so this interval is usually wider "
    "than ONS's own interval for the rate (conservative: fewer differences are called significant)."
)


def read_sheet(path: Path) -> list[list[Any]]:
    """Every row of the workbook's first sheet, blanks included (cells: float, str, or '')."""
    book = CalamineWorkbook.from_path(str(path))
    return list(book.get_sheet_by_index(0).to_python(skip_empty_area=False))


def _text(cell: Any) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip() if cell is not None else ""


def _blank(row: Sequence[Any]) -> bool:
    return all(_text(c) == "" for c in row)


@dataclass(frozen=True, slots=True)
class Block:
    """One stacked block: its ``key | value`` rows, header row index and data row indexes (0-based)."""

    meta: dict[str, Any]
    header: int
    rows: range


def blocks(rows: Sequence[Sequence[Any]], header_rows: int = 1) -> Iterator[Block]:
    """Find the blocks by their ``Area`` row; data runs from after the header(s) to the first blank row."""
    for i, row in enumerate(rows):
        if not row or _text(row[0]) != "Area":
            continue
        meta: dict[str, Any] = {}
        j = i - 1
        while j >= 0 and i - j <= 8:  # the key | value rows between the title and the header
            key = _text(rows[j][0]) if rows[j] else ""
            value = _text(rows[j][1]) if len(rows[j]) > 1 else ""
            if key and value:
                meta.setdefault(key.lower(), rows[j][1])
            elif key:
                break  # the copyright line (or a previous block's footnote): the block starts here
            j -= 1
        end = i + header_rows
        while end < len(rows) and not _blank(rows[end]):
            end += 1
        yield Block(meta, i, range(i + header_rows, end))


@dataclass
class _Areas:
    """Turns Nomis area labels into codes, remembering what it could not join (one finding per label)."""

    resolver: NameResolver
    file: str
    findings: list[Finding]
    skipped: dict[str, list[int]]
    respelled: dict[str, str]

    @classmethod
    def new(cls, resolver: NameResolver, file: str, findings: list[Finding]) -> _Areas:
        return cls(resolver, file, findings, defaultdict(list), {})

    def code(self, label: str, row: int) -> str | None:
        kind, _, name = label.partition(":")
        if kind == "country" and name == "England":
            return ENGLAND
        if kind == "ladu":
            res = self.resolver.resolve(name, GEOGRAPHY_YEAR)
            if res.code is not None:
                if res.respelled:
                    self.respelled[name] = res.respelled
                return res.code
            if label not in self.skipped:
                self.findings.append(
                    Finding("name.unmatched", Severity.WARNING, self.file, f"{res.problem}; its rows are not loaded",
                            row=row, column="A: Area", value=label)
                )  # fmt: skip
        self.skipped[label].append(row)
        return None

    def close(self) -> None:
        for label, rows in self.skipped.items():
            kind = label.partition(":")[0]
            if kind in ("lep", "User Defined Geography"):
                self.findings.append(
                    Finding(
                        "name.not-served",
                        Severity.INFO,
                        self.file,
                        f"{len(rows)} row(s) for {label!r} are not loaded: LEP and DfE user-defined areas have no "
                        f"GSS code and are not areas the observatory serves (rows {_rows(rows)})",
                        row=rows[0],
                        column="A: Area",
                        value=label,
                    )
                )
        for name, ons in sorted(self.respelled.items()):
            self.findings.append(
                Finding("name.respelled", Severity.INFO, self.file,
                        f"Nomis spells {name!r}; joined as ONS's {ons!r}", column="A: Area", value=name)
            )  # fmt: skip


def _rows(rows: list[int]) -> str:
    return ", ".join(map(str, rows[:10])) + (f" and {len(rows) - 10} more" if len(rows) > 10 else "")


def _count(cell: Any, file: str, row: int, column: str, findings: list[Finding]) -> float | None:
    """A whole, non-negative count; anything else is an ERROR finding (these files have no symbols)."""
    if isinstance(cell, float) and cell.is_integer() and cell >= 0:
        return cell
    findings.append(
        Finding("value.not-a-count", Severity.ERROR, file, "expected a whole number of enterprises",
                row=row, column=column, value=_text(cell)[:40])
    )  # fmt: skip
    return None


def _ubc_period(year: int) -> Period:
    return parse_period(f"{year}-03-01/P1M")  # the IDBR snapshot is taken in March of the year


def _ubc_indicators(industries: dict[str, str]) -> list[Indicator]:
    base = {
        "dataset": "uk-business-counts",
        "source_org": "Office for National Statistics (UK Business Counts, IDBR), via Nomis",
        "source_url": NOMIS_URL,
        "source_date": dt.date(2023, 4, 24),
        "decimals": 0,
    }
    caveat = (
        "Counts of enterprises from the Inter-Departmental Business Register snapshot taken in March of each year, "
        "rounded by ONS to the nearest 5 (bands are rounded separately, so they need not sum to the total). "
        "Ownership (local, UK or foreign) is not in these figures."
    )
    out = [
        Indicator("enterprises", "Enterprises (UK Business Counts)", measure="Count", unit="enterprises",
                  description="Number of enterprises with their registered base in the area.", caveats=caveat,
                  **base)  # type: ignore[arg-type]
    ]  # fmt: skip
    for band, label in BAND_LABELS.items():
        out.append(
            Indicator(f"enterprises-{band}", f"Enterprises: {label}", measure="Count", unit="enterprises",
                      description=f"Number of {label} enterprises.", caveats=caveat, **base)  # type: ignore[arg-type]
        )  # fmt: skip
        out.append(
            Indicator(
                f"enterprises-{band}-share",
                f"Share of enterprises that are {label.split(' (')[0]}",
                measure="Percentage",
                unit="%",
                suffix="%",
                description=f"{label.capitalize()} enterprises as a percentage of all enterprises in the area "
                "(both rounded counts).",
                caveats=caveat,
                **{**base, "decimals": 1},  # type: ignore[arg-type]
            )
        )
    for code, label in sorted(industries.items()):
        out.append(
            Indicator(f"enterprises-industry-{code}", f"Enterprises in {label}", measure="Count", unit="enterprises",
                      description=f"Number of enterprises whose main activity is in {label} "
                      "(Nomis broad industry group).", caveats=caveat, **base)  # type: ignore[arg-type]
        )  # fmt: skip
    return out


def read_uk_business_counts(folder: Path, resolver: NameResolver, display_prefix: str) -> ReaderResult:
    """Both UK Business Counts files → enterprise observations and the ``business_counts`` detail table.

    ``business_counts`` rows: (area_code, year, industry_code, industry, size_band, count, source_file,
    source_row); industry_code ``00`` is all industries (the size-band file), ``01``–``18`` the Nomis broad
    industry groups. Errors: a missing file, a block without ``date``, an unknown header or a non-count cell.
    """
    result = ReaderResult()
    detail: list[tuple[Any, ...]] = []
    industries: dict[str, str] = {}
    for kind, name in UBC_FILES.items():
        display = f"{display_prefix}/{name}"
        path = folder / name
        if not path.is_file():
            result.findings.append(Finding("source.missing-file", Severity.ERROR, display, "file not found"))
            continue
        rows = read_sheet(path)
        areas = _Areas.new(resolver, display, result.findings)
        for block in blocks(rows):
            header = [_text(c) for c in rows[block.header][:6]]
            if header != UBC_HEADER:
                result.findings.append(
                    Finding("block.header", Severity.ERROR, display, f"unexpected header {header!r}",
                            row=block.header + 1)
                )  # fmt: skip
                continue
            year_cell = block.meta.get("date")
            if not (isinstance(year_cell, float) and year_cell.is_integer() and 2000 <= year_cell <= 2100):
                result.findings.append(
                    Finding("block.date", Severity.ERROR, display, "the block has no year in its 'date' row",
                            row=block.header + 1, value=_text(year_cell))
                )  # fmt: skip
                continue
            year = int(year_cell)
            industry_text = _text(block.meta.get("industry", ""))
            if kind == "size":
                if industry_text != "Total":
                    result.findings.append(
                        Finding("block.industry", Severity.ERROR, display, "expected industry 'Total'",
                                row=block.header - 2, value=industry_text)
                    )  # fmt: skip
                    continue
                ind_code, ind_label = "00", "All industries"
            else:
                m = _INDUSTRY.match(industry_text)
                if not m:
                    result.findings.append(
                        Finding("block.industry", Severity.ERROR, display, "industry label is not 'N : name'",
                                row=block.header - 2, value=industry_text)
                    )  # fmt: skip
                    continue
                ind_code, ind_label = f"{int(m[1]):02d}", m[2]
                industries[ind_code] = ind_label
            period = _ubc_period(year)
            for i in block.rows:
                row = rows[i]
                line = i + 1
                result.rows_read += 1
                code = areas.code(_text(row[0]), line)
                if code is None:
                    result.rows_skipped += 1
                    continue
                counts = [_count(row[c], display, line, f"{chr(65 + c)}: {UBC_HEADER[c]}", result.findings)
                          for c in range(1, 6)]  # fmt: skip
                if any(c is None for c in counts):
                    result.rows_skipped += 1
                    continue
                values = dict(zip(SIZE_BANDS, counts, strict=True))
                for band, value in values.items():
                    detail.append((code, year, ind_code, ind_label, band, value, display, line))
                name = _text(row[0]).partition(":")[2]
                total = values["total"]
                if kind == "industry":
                    result.observations.append(
                        Observation(f"enterprises-industry-{ind_code}", code, name, period, total,
                                    source_file=display, source_row=line)
                    )  # fmt: skip
                    continue
                result.observations.append(
                    Observation("enterprises", code, name, period, total, source_file=display, source_row=line)
                )
                for band in BAND_LABELS:
                    value = values[band]
                    result.observations.append(
                        Observation(f"enterprises-{band}", code, name, period, value, source_file=display,
                                    source_row=line)
                    )  # fmt: skip
                    assert value is not None and total is not None
                    result.observations.append(
                        Observation(f"enterprises-{band}-share", code, name, period,
                                    100 * value / total if total else None, numerator=value, denominator=total,
                                    status=None if total else "no-enterprises", source_file=display,
                                    source_row=line)
                    )  # fmt: skip
        areas.close()
    result.indicators.extend(_ubc_indicators(industries))
    result.tables["business_counts"] = detail
    return result


def _aps_cell(cell: Any, file: str, row: int, column: str, findings: list[Finding]) -> tuple[float | None, str | None]:
    """(value, status): a whole number of people, or a Nomis symbol as a status; anything else is an error."""
    if isinstance(cell, float) and cell.is_integer() and cell >= 0:
        return cell, None
    text = _text(cell)
    if text in APS_SYMBOLS:
        return None, APS_SYMBOLS[text]
    findings.append(
        Finding("value.not-a-count", Severity.ERROR, file, "expected a whole number of people or a Nomis symbol "
                "(!, *, -, ~)", row=row, column=column, value=text[:40])
    )  # fmt: skip
    return None, "invalid"


def _aps_columns(rows: Sequence[Sequence[Any]], block: Block, file: str, findings: list[Finding]) -> dict[str, int]:
    """Variable → column of its ``number`` cell, from the block's two header rows."""
    top, sub = rows[block.header], rows[block.header + 1]
    columns: dict[str, int] = {}
    for c, cell in enumerate(top):
        key = _text(cell).split(" ", 1)[0]
        if key in APS_VARIABLES:
            if [_text(x) for x in sub[c : c + 3]] != ["number", "Flags", "conf"]:
                findings.append(
                    Finding("block.header", Severity.ERROR, file, "expected 'number', 'Flags', 'conf' under "
                            f"{_text(cell)!r}", row=block.header + 2, column=chr(65 + c))
                )  # fmt: skip
                continue
            columns[APS_VARIABLES[key]] = c
    missing = sorted(set(APS_VARIABLES.values()) - set(columns))
    if missing:
        findings.append(
            Finding("block.header", Severity.ERROR, file, f"variables missing from the header: {', '.join(missing)}",
                    row=block.header + 1)
        )  # fmt: skip
    return columns


# An APS rate that ONS also publishes as a model-based estimate, which it recommends for local authorities:
# slug -> (the model-based indicator's slug, its name, the caveat added to the APS indicator's caveats). The short form
# is shown beside the APS figure on area pages (web/data/glance.py).
MODELLED_SLUG = "modelled-unemployment-rate"
SURVEY_NOT_MODELLED: dict[str, tuple[str, str, str]] = {
    "aps-unemployment-rate": (
        MODELLED_SLUG,
        "modelled unemployment rate",
        " This is a direct survey estimate: for a single authority its 95% interval is wide and it can differ "
        "markedly from year to year. For local-authority unemployment ONS recommends its model-based estimate, "
        "which borrows strength from the claimant count: see the modelled unemployment rate "
        f"(/indicators/{MODELLED_SLUG}).",
    ),
}
SURVEY_HINT = "Survey estimate, wide interval; for local areas ONS recommends the"


def _aps_indicators() -> list[Indicator]:
    base = {
        "dataset": "annual-population-survey",
        "source_org": "Office for National Statistics (Annual Population Survey, T01), via Nomis",
        "source_url": NOMIS_URL,
        "source_date": dt.date(2023, 4, 24),
        "measure": "Percentage",
        "unit": "%",
        "suffix": "%",
        "decimals": 1,
    }
    descriptions = {
        "aps-employment-rate": "People aged 16–64 in employment as a percentage of all people aged 16–64.",
        "aps-unemployment-rate": "Unemployed people aged 16–64 as a percentage of the economically active "
        "aged 16–64 (the ILO definition's denominator).",
        "aps-inactivity-rate": "Economically inactive people aged 16–64 as a percentage of all people aged 16–64.",
    }
    caveat = (
        "Computed by the observatory from the published APS counts (January–December of each year; counts rounded "
        "to the nearest 100). " + RATE_INTERVAL_METHOD + " Where the publisher suppressed a count (!, -, ~) the "
        "rate is not given; where the sample was small (*) the rate is shown without an interval."
    )
    return [
        Indicator(
            slug,
            label,
            description=descriptions[slug],
            caveats=caveat + SURVEY_NOT_MODELLED.get(slug, ("", "", ""))[2],
            **base,  # type: ignore[arg-type]
        )
        for slug, (label, _num, _den) in _RATES.items()
    ]


def read_aps(folder: Path, resolver: NameResolver, display_prefix: str, keep: set[str]) -> ReaderResult:
    """APS T01 (16–64) → the three rates for every authority and England, and ``aps_counts`` for ``keep``.

    ``aps_counts`` rows: (area_code, period, period_label, variable, value, conf, status, source_file,
    source_row) with ``value``/``conf`` in persons (None where a symbol stands) — kept for the areas in
    ``keep`` (areas of interest, comparators) to show the counts beside the rates.
    """
    result = ReaderResult()
    display = f"{display_prefix}/{APS_FILE}"
    path = folder / APS_FILE
    if not path.is_file():
        result.findings.append(Finding("source.missing-file", Severity.ERROR, display, "file not found"))
        return result
    rows = read_sheet(path)
    areas = _Areas.new(resolver, display, result.findings)
    detail: list[tuple[Any, ...]] = []
    for block in blocks(rows, header_rows=2):
        date_text = _text(block.meta.get("date", ""))
        m = _APS_DATE.match(date_text)
        if not m or m[1] != m[2]:
            result.findings.append(
                Finding("block.date", Severity.ERROR, display, "expected a calendar-year period 'Jan YYYY-Dec YYYY'",
                        row=block.header - 2, value=date_text)
            )  # fmt: skip
            continue
        period = parse_period(f"{m[1]}-01-01/P1Y")
        columns = _aps_columns(rows, block, display, result.findings)
        if len(columns) != len(APS_VARIABLES):
            continue
        for i in block.rows:
            row, line = rows[i], i + 1
            result.rows_read += 1
            label = _text(row[0])
            code = areas.code(label, line)
            if code is None:
                result.rows_skipped += 1
                continue
            cells: dict[str, tuple[float | None, str | None, float | None, str | None]] = {}
            for var, c in columns.items():
                value, status = _aps_cell(row[c], display, line, f"{chr(65 + c)}: {var} number", result.findings)
                conf, conf_status = _aps_cell(row[c + 2], display, line, f"{chr(67 + c)}: {var} conf",
                                              result.findings)  # fmt: skip
                cells[var] = (value, status, conf, conf_status)
                if code in keep:
                    detail.append((code, period.iso, period.label, var, value, conf, status or conf_status,
                                   display, line))  # fmt: skip
            name = label.partition(":")[2]
            for slug, (_label, num, den) in _RATES.items():
                result.observations.append(_aps_rate(slug, code, name, period, cells[num], cells[den], display, line))
    areas.close()
    result.indicators.extend(_aps_indicators())
    result.tables["aps_counts"] = detail
    return result


def _aps_rate(
    slug: str,
    code: str,
    name: str,
    period: Period,
    num: tuple[float | None, str | None, float | None, str | None],
    den: tuple[float | None, str | None, float | None, str | None],
    file: str,
    line: int,
) -> Observation:
    """A rate from two published counts; symbols become the status, the interval follows RATE_INTERVAL_METHOD."""
    n_value, n_status, n_conf, n_conf_status = num
    d_value, d_status, _d_conf, _ = den
    if n_value is None or d_value is None or not d_value:
        status = n_status or d_status or "no-denominator"
        return Observation(slug, code, name, period, None, status=status, notes=APS_SYMBOL_TEXT.get(status),
                           source_file=file, source_row=line)  # fmt: skip
    rate = 100 * n_value / d_value
    if n_conf is None:
        status = n_conf_status or "unreliable"
        return Observation(slug, code, name, period, rate, numerator=n_value, denominator=d_value, status=status,
                           notes=APS_SYMBOL_TEXT.get(status, "") + "; no interval", source_file=file,
                           source_row=line)  # fmt: skip
    half = 100 * n_conf / d_value
    return Observation(slug, code, name, period, rate, lci_95=max(rate - half, 0.0), uci_95=min(rate + half, 100.0),
                       numerator=n_value, denominator=d_value, source_file=file, source_row=line)  # fmt: skip
