"""Reader for DfE's apprenticeships provider-dashboard data (parquet): starts, achievements, enrolments by
academic year × provider × learner home authority × delivery authority (see the source's PROVENANCE.md).

Authorities are names on current (2023+) boundaries for every year, joined to GSS codes through the
release's boundaries at ``GEOGRAPHY_YEAR``; ``Outside of England and unknown`` has no code: its rows count
towards where learners train (delivery) but not towards any authority's residents, and England's figures
are the sum of the English home authorities (said in the notes). A name that does not join is a WARNING
finding naming it; its rows are not loaded.

Disclosure: the file is unrounded, while DfE publishes these figures rounded to the nearest 10 (0–4 shown
as 0). Every figure the observatory republishes from it — authority totals and home × delivery pairs —
is summed exactly and then rounded half up to the nearest 10 (``round10``); rates use the rounded count.

Years: ``2022/23`` … ``2024/25`` are full academic years (1 August–31 July, final). ``2025/26 (Aug to Apr)``
is provisional and covers nine months: it goes to separate ``…-part-year`` indicators with the status
``provisional``, so no trend or change ever sets it against a full year.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from observatory.model import Finding, Indicator, Observation, Period, ReaderResult, Severity
from observatory.periods import parse_period
from observatory.sources.names import NameResolver

FILE = "lad_map_data_0.parquet"
COLUMNS = ("year", "provider_name", "learner_home_lad", "delivery_lad", "starts", "enrolments", "achievements")
MEASURES = ("starts", "achievements", "enrolments")
GEOGRAPHY_YEAR = 2025  # the data are on current authorities for every year (PROVENANCE.md)
UNKNOWN = "Outside of England and unknown"
ENGLAND = "E92000001"
_FULL = re.compile(r"^(\d{4})/(\d{2})$")
_PART = re.compile(r"^(\d{4})/(\d{2}) \(Aug to ([A-Z][a-z]{2})\)$")
_MONTHS = ("Aug", "Sep", "Oct", "Nov", "Dec", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul")
SOURCE_URL = "https://explore-education-statistics.service.gov.uk/find-statistics/apprenticeships"
PER_1000 = "apprenticeship-starts-per-1000"


def round10(value: float) -> float:
    """DfE's disclosure rounding: to the nearest 10, halves up (so 0–4 → 0, 5 → 10)."""
    return float(int(value + 5) // 10 * 10)


def academic_period(text: str) -> tuple[Period, bool] | None:
    """``2022/23`` → (Aug 2022/P1Y, full); ``2025/26 (Aug to Apr)`` → (Aug 2025/P9M, part year); else None."""
    if m := _FULL.match(text):
        if int(m[2]) != (int(m[1]) + 1) % 100:
            return None
        return parse_period(f"{m[1]}-08-01/P1Y"), True
    if (m := _PART.match(text)) and int(m[2]) == (int(m[1]) + 1) % 100 and m[3] in _MONTHS:
        return parse_period(f"{m[1]}-08-01/P{_MONTHS.index(m[3]) + 1}M"), False
    return None


def _indicators() -> list[Indicator]:
    base: dict[str, Any] = {
        "dataset": "dfe-apprenticeships",
        "source_org": "Department for Education (Individualised Learner Record)",
        "source_url": SOURCE_URL,
        "source_date": dt.date(2026, 7, 16),
        "measure": "Count",
        "unit": "apprenticeships",
        "decimals": 0,
    }
    rounding = "Rounded to the nearest 10 after summing, as DfE publishes these figures."
    provisional = (
        " Provisional and for part of the academic year only (August to April): not comparable with full years."
    )
    out = [
        Indicator("apprenticeship-starts", "Apprenticeship starts (residents)",
                  description="Apprenticeship starts in the academic year (August to July) by learners whose home "
                  "is in the area, wherever they train.", caveats=rounding, **base),
        Indicator("apprenticeship-achievements", "Apprenticeship achievements (residents)",
                  description="Apprenticeship achievements in the academic year by learners whose home is in the "
                  "area.", caveats=rounding, **base),
        Indicator("apprenticeship-starts-delivered", "Apprenticeship starts delivered in the area",
                  description="Apprenticeship starts in the academic year at a delivery location in the area, "
                  "wherever the learners live.", caveats=rounding, **base),
        Indicator("apprenticeship-starts-part-year", "Apprenticeship starts (residents), part year, provisional",
                  description="Apprenticeship starts by residents of the area from August to the latest month "
                  "of the current academic year.", caveats=rounding + provisional, **base),
        Indicator("apprenticeship-achievements-part-year",
                  "Apprenticeship achievements (residents), part year, provisional",
                  description="Apprenticeship achievements by residents of the area from August to the latest "
                  "month of the current academic year.", caveats=rounding + provisional, **base),
        Indicator(PER_1000, "Apprenticeship starts per 1,000 residents aged 16–64",
                  description="Apprenticeship starts by residents in the academic year per 1,000 residents aged "
                  "16–64 (ONS mid-2021 population estimate, used for every year).",
                  caveats=rounding + " The population is the mid-2021 estimate for all years, so later years' "
                  "rates do not reflect population change.",
                  **{**base, "measure": "Rate", "unit": "per 1,000 residents aged 16–64", "decimals": 1}),
    ]  # fmt: skip
    return out


def _first_rows(column: pa.ChunkedArray, values: Iterable[str]) -> dict[str, int]:
    """1-based record number of each value's first occurrence in the parquet (rows in findings)."""
    return {v: int(pc.index(column, v).as_py()) + 1 for v in values}


def read_dfe_apprenticeships(
    folder: Path, resolver: NameResolver, display_prefix: str, population: dict[str, float], keep: set[str]
) -> ReaderResult:
    """The parquet → resident and delivery totals (all English authorities and England), starts per 1,000
    (where ``population`` has the authority), the ``apprenticeship_flows`` detail table for home × delivery
    pairs touching ``keep`` (the areas of interest), and ``apprenticeship_training``: (period, period_label,
    provisional, home_code, category, starts) — where the residents of each of ``keep`` train: ``own``
    authority, another of ``keep`` (``group``), ``elsewhere`` in England, ``unknown`` (summed exactly,
    then rounded).

    ``apprenticeship_flows`` rows: (period, period_label, provisional, home_code, home_name, delivery_code,
    delivery_name, starts, achievements, enrolments) — codes None for ``Outside of England and unknown``.
    """
    result = ReaderResult()
    display = f"{display_prefix}/{FILE}"
    path = folder / FILE
    if not path.is_file():
        result.findings.append(Finding("source.missing-file", Severity.ERROR, display, "file not found"))
        return result
    table = pq.read_table(path)
    missing = [c for c in COLUMNS if c not in table.column_names]
    if missing:
        result.findings.append(
            Finding("header.missing-column", Severity.ERROR, display, f"columns missing: {', '.join(missing)}")
        )
        return result
    result.rows_read = table.num_rows
    for measure in MEASURES:
        nulls = table[measure].null_count
        negative = pc.sum(pc.less(table[measure], 0)).as_py() or 0
        if nulls or negative:
            result.findings.append(
                Finding("value.not-a-count", Severity.ERROR, display, f"{nulls} empty and {negative} negative values",
                        column=measure)
            )  # fmt: skip
            return result
    # Names → codes, each distinct name once.
    names = set(pc.unique(table["learner_home_lad"]).to_pylist()) | set(pc.unique(table["delivery_lad"]).to_pylist())
    codes: dict[str, str | None] = {}
    bad: list[str] = []
    for name in sorted(n for n in names if n is not None):
        if name == UNKNOWN:
            codes[name] = None
            continue
        res = resolver.resolve(name, GEOGRAPHY_YEAR)
        if res.code is None:
            bad.append(name)
        codes[name] = res.code
    years = pc.unique(table["year"]).to_pylist()
    periods: dict[str, tuple[Period, bool]] = {}
    for year in years:
        parsed = academic_period(str(year))
        if parsed is None:
            row = _first_rows(table["year"], [year])[year]
            result.findings.append(
                Finding("period.invalid", Severity.ERROR, display, "expected an academic year 'YYYY/YY' or "
                        "'YYYY/YY (Aug to Mon)'", row=row, column="year", value=str(year)[:40])
            )  # fmt: skip
        else:
            periods[str(year)] = parsed
    if len(periods) != len(years):
        return result
    grouped = table.group_by(["year", "learner_home_lad", "delivery_lad"]).aggregate(
        [("starts", "sum"), ("achievements", "sum"), ("enrolments", "sum"), ("starts", "count")]
    )
    bad_set = set(bad)
    skipped_rows = 0
    home: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    delivered: dict[tuple[str, str], float] = defaultdict(float)
    flows: dict[tuple[str, str | None, str | None, str, str], list[float]] = {}
    training: dict[tuple[str, str, str], float] = defaultdict(float)  # (year, home, own|group|elsewhere|unknown)
    for year, h, d, starts, achievements, enrolments, n in zip(*(c.to_pylist() for c in grouped.columns), strict=True):
        if h in bad_set or d in bad_set:
            skipped_rows += n
            continue
        hc, dc = codes[h], codes[d]
        if hc is not None:
            home[(year, hc)][0] += starts
            home[(year, hc)][1] += achievements
            if hc.startswith("E"):
                home[(year, ENGLAND)][0] += starts
                home[(year, ENGLAND)][1] += achievements
        if dc is not None:
            delivered[(year, dc)] += starts
            if dc.startswith("E"):
                delivered[(year, ENGLAND)] += starts
        if hc in keep or dc in keep:
            flows[(year, hc, dc, h, d)] = [starts, achievements, enrolments]
        if hc in keep:
            where = "own" if dc == hc else "group" if dc in keep else "unknown" if dc is None else "elsewhere"
            training[(year, hc, where)] += starts
    for name in bad:
        column = "learner_home_lad"
        row = int(pc.index(table[column], name).as_py())
        if row < 0:
            column = "delivery_lad"
            row = int(pc.index(table[column], name).as_py())
        result.findings.append(
            Finding("name.unmatched", Severity.WARNING, display,
                    f"{resolver.resolve(name, GEOGRAPHY_YEAR).problem}; rows naming it are not loaded",
                    row=row + 1, column=column, value=name)
        )  # fmt: skip
    result.rows_skipped = skipped_rows
    unknown_rows = pc.sum(
        pc.or_(pc.equal(table["learner_home_lad"], UNKNOWN), pc.equal(table["delivery_lad"], UNKNOWN))
    ).as_py()
    result.findings.append(
        Finding("name.no-code", Severity.INFO, display,
                f"{unknown_rows} rows name {UNKNOWN!r}, which has no GSS code: they count where learners train but "
                "towards no authority's residents; England's figures are the sum of the English home authorities",
                column="learner_home_lad / delivery_lad", value=UNKNOWN)
    )  # fmt: skip
    area_names = {c: n for n, c in codes.items() if c is not None} | {ENGLAND: "England"}
    notes_england = "Sum of the English authorities (learners outside England or with an unknown home excluded)."
    for (year, code), (starts, achievements) in sorted(home.items()):
        period, full = periods[year]
        status = None if full else "provisional"
        suffix = "" if full else "-part-year"
        note = notes_england if code == ENGLAND else None
        s, a = round10(starts), round10(achievements)
        for slug, value in ((f"apprenticeship-starts{suffix}", s), (f"apprenticeship-achievements{suffix}", a)):
            result.observations.append(
                Observation(slug, code, area_names[code], period, value, status=status, notes=note,
                            source_file=display)
            )  # fmt: skip
        if full and code in population:
            result.observations.append(
                Observation(PER_1000, code, area_names[code], period, 1000 * s / population[code], numerator=s,
                            denominator=population[code], notes="Population aged 16–64: ONS mid-2021 estimate.",
                            source_file=display)
            )  # fmt: skip
    for (year, code), starts in sorted(delivered.items()):
        period, full = periods[year]
        if full:
            result.observations.append(
                Observation("apprenticeship-starts-delivered", code, area_names[code], period, round10(starts),
                            source_file=display)
            )  # fmt: skip
    detail = []
    for (year, hc, dc, h, d), (starts, achievements, enrolments) in sorted(
        flows.items(), key=lambda kv: (kv[0][0], kv[0][3], kv[0][4])
    ):
        period, full = periods[year]
        detail.append(
            (period.iso, period.label, not full, hc, h, dc, d, round10(starts), round10(achievements),
             round10(enrolments))
        )  # fmt: skip
    result.tables["apprenticeship_flows"] = detail
    result.tables["apprenticeship_training"] = [
        (periods[year][0].iso, periods[year][0].label, not periods[year][1], home_code, where, round10(starts))
        for (year, home_code, where), starts in sorted(training.items())
    ]
    result.indicators.extend(_indicators())
    return result
