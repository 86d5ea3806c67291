"""Reader for raw Nomis API CSV responses (``…/dataset/<id>.data.csv``): first use, mid-2021 population (NM_2002_1).

The response is long format with Nomis' full column set (see ``nomis-samples/PROVENANCE.md``): every
dimension as ``X``, ``X_NAME``, ``X_CODE``, ``X_TYPE``, ``X_TYPECODE``, ``X_SORTORDER``; the value in
``OBS_VALUE`` with ``OBS_STATUS`` (``A`` = normal value) and ``OBS_CONF`` (``F``/``false`` = free for
publication). Geographies carry GSS codes (``GEOGRAPHY_CODE``), so no name join is needed. Unitary
authorities appear twice (as district and as county level) with identical values: exact repeats are
dropped with one INFO finding; a repeat with a different value is an ERROR.

From NM_2002_1 the observatory takes the population aged 16–64 (``Aged 16 to 24`` + ``Aged 25 to 49`` +
``Aged 50 to 64``, codes 250, 207, 208 — the file's age categories overlap, so only these three are
added) as the observation ``population-aged-16-64``, the denominator of apprenticeship starts per 1,000.
England is not in the response: its value is the sum of the English authorities, said in its notes.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from observatory.model import Finding, Indicator, Observation, ReaderResult, Severity
from observatory.periods import parse_period

POPULATION_FILE = "nomis_NM_2002_1_mid2021_lad.csv"
REQUIRED = ("DATE", "GEOGRAPHY_CODE", "GEOGRAPHY_NAME", "GEOGRAPHY_TYPECODE", "C_AGE", "OBS_VALUE", "OBS_STATUS",
            "OBS_CONF")  # fmt: skip
AGES_16_64 = {"250": "Aged 16 to 24", "207": "Aged 25 to 49", "208": "Aged 50 to 64"}
DISTRICT_TYPECODE = "432"  # local authorities: district / unitary (as of April 2021)
ENGLAND = "E92000001"
ENGLISH_LAD = re.compile(r"^E0[6789]\d{6}$")
_INTEGER = re.compile(r"^(0|[1-9]\d*)$")
POPULATION_SLUG = "population-aged-16-64"


@dataclass
class Population:
    """Mid-2021 population aged 16–64 by GSS code (England included, as the sum of its authorities)."""

    aged_16_64: dict[str, float] = field(default_factory=dict)
    period_iso: str = ""


def read_nomis_population(folder: Path, display_prefix: str) -> tuple[ReaderResult, Population]:
    """NM_2002_1 → ``population-aged-16-64`` observations and the same figures for other readers.

    Errors (file, row, column): a missing file or column, a value that is not a whole number, a status
    other than ``A``, a conflicting repeat. Rows for other ages are read and named in one INFO finding.
    """
    result = ReaderResult()
    population = Population()
    display = f"{display_prefix}/{POPULATION_FILE}"
    path = folder / POPULATION_FILE
    if not path.is_file():
        result.findings.append(Finding("source.missing-file", Severity.ERROR, display, "file not found"))
        return result, population
    seen: dict[tuple[str, str], tuple[float, int]] = {}
    names: dict[str, str] = {}
    districts: set[str] = set()
    other_ages: dict[str, int] = defaultdict(int)
    repeats = 0
    dates: set[str] = set()
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or ())]
        if missing:
            result.findings.append(
                Finding("header.missing-column", Severity.ERROR, display, f"columns missing: {', '.join(missing)}",
                        row=1)
            )  # fmt: skip
            return result, population
        for line, row in enumerate(reader, start=2):
            result.rows_read += 1
            code, age = row["GEOGRAPHY_CODE"].strip(), row["C_AGE"].strip()
            value_text = row["OBS_VALUE"].strip()
            if row["OBS_STATUS"].strip() != "A":
                result.findings.append(
                    Finding("value.status", Severity.ERROR, display, "only normal values (status A) are expected",
                            row=line, column="OBS_STATUS", value=row["OBS_STATUS"][:20])
                )  # fmt: skip
                result.rows_skipped += 1
                continue
            if not _INTEGER.match(value_text):
                result.findings.append(
                    Finding("value.not-a-count", Severity.ERROR, display, "expected a whole number of people",
                            row=line, column="OBS_VALUE", value=value_text[:40])
                )  # fmt: skip
                result.rows_skipped += 1
                continue
            value = float(value_text)
            dates.add(row["DATE"].strip())
            if (code, age) in seen:
                if seen[(code, age)][0] != value:
                    result.findings.append(
                        Finding("value.conflict", Severity.ERROR, display,
                                f"{code} age {age} was {seen[(code, age)][0]:.0f} on row {seen[(code, age)][1]}",
                                row=line, column="OBS_VALUE", value=value_text)
                    )  # fmt: skip
                repeats += 1
                result.rows_skipped += 1
                continue
            seen[(code, age)] = (value, line)
            names[code] = row["GEOGRAPHY_NAME"].strip()
            if row["GEOGRAPHY_TYPECODE"].strip() == DISTRICT_TYPECODE:
                districts.add(code)
            if age not in AGES_16_64:
                other_ages[f"{age} {row.get('C_AGE_NAME', '').strip()}"] += 1
    if repeats:
        result.findings.append(
            Finding("row.repeat", Severity.INFO, display, f"{repeats} rows repeat a geography and age already read "
                    "(unitary authorities are listed at both district and county level) and are not loaded again",
                    column="GEOGRAPHY_CODE")
        )  # fmt: skip
    if other_ages:
        result.findings.append(
            Finding("row.not-used", Severity.INFO, display,
                    f"{sum(other_ages.values())} rows for ages other than 16–64's three bands are read but not used: "
                    + ", ".join(f"{k} ({v})" for k, v in sorted(other_ages.items())), column="C_AGE")
        )  # fmt: skip
    if len(dates) != 1:
        result.findings.append(
            Finding("file.dates", Severity.ERROR, display, f"expected one DATE, found {sorted(dates)}", column="DATE")
        )
        return result, population
    year = int(next(iter(dates)))
    period = parse_period(f"{year}-06-30")
    population.period_iso = period.iso
    codes = {code for code, _age in seen}
    for code in sorted(codes):
        parts = [seen.get((code, age)) for age in AGES_16_64]
        if any(p is None for p in parts):
            continue
        total = sum(p[0] for p in parts if p is not None)
        population.aged_16_64[code] = total
        first = min(p[1] for p in parts if p is not None)
        result.observations.append(
            Observation(POPULATION_SLUG, code, names[code], period, total, source_file=display, source_row=first)
        )
    english = sorted(c for c in districts if ENGLISH_LAD.match(c) and c in population.aged_16_64)
    england = sum(population.aged_16_64[c] for c in english)
    population.aged_16_64[ENGLAND] = england
    result.observations.append(
        Observation(POPULATION_SLUG, ENGLAND, "England", period, england, source_file=display,
                    notes=f"Sum of the {len(english)} English local authorities in the response (no England row).")
    )  # fmt: skip
    result.indicators.append(
        Indicator(
            POPULATION_SLUG,
            "Population aged 16–64 (mid-year estimate)",
            "mid-year-population-estimates",
            description="Usually resident population aged 16 to 64 at 30 June: the sum of the estimates for ages "
            "16–24, 25–49 and 50–64.",
            caveats="ONS mid-2021 estimates as served by Nomis (dataset NM_2002_1) when the response was saved in "
            "2023; later revisions are not included.",
            measure="Count",
            unit="people",
            decimals=0,
            source_org="Office for National Statistics (mid-year population estimates), via Nomis",
            source_url="https://www.nomisweb.co.uk/datasets/pestsyoala",
            source_date=dt.date(2023, 7, 18),
        )
    )
    return result, population
