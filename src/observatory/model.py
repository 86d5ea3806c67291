"""The typed records every stage passes along: readers make them, the build stores them.

Kept free of I/O so that readers, validation, statistics and the web layer can share one vocabulary.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

PROVENANCE_SUFFIX = ".provenance.json"  # `observatory fetch` writes one beside each file; never data


class Severity(StrEnum):
    ERROR = "error"  # stops the build; nothing is published
    WARNING = "warning"  # the row (or file) is skipped or kept with a caveat; counted in the report
    INFO = "info"  # worth knowing, nothing lost


@dataclass(frozen=True, slots=True)
class Finding:
    """One validation result, addressable by people and machines (frictionless-style)."""

    rule: str
    severity: Severity
    file: str
    message: str
    row: int | None = None  # 1-based physical line in the file (the header is line 1)
    column: str | None = None
    value: str | None = None

    def where(self) -> str:
        parts = [self.file]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)

    def __str__(self) -> str:
        return f"{self.severity.value}: {self.where()}: [{self.rule}] {self.message}"


@dataclass(frozen=True, slots=True)
class Period:
    """A reference period: start date plus ISO 8601 duration (None for a point in time)."""

    start: dt.date
    duration: str | None  # "P1Y", "P3Y", "P1M", … or None for an instant (a plain date)
    label: str

    @property
    def iso(self) -> str:
        return f"{self.start.isoformat()}/{self.duration}" if self.duration else self.start.isoformat()


@dataclass(frozen=True, slots=True)
class Indicator:
    slug: str
    label: str
    dataset: str
    subtitle: str | None = None
    description: str | None = None
    caveats: str | None = None
    measure: str | None = None  # e.g. "Percentage", "Pounds"
    unit: str | None = None  # e.g. "%", "£", "£ million"
    prefix: str | None = None
    suffix: str | None = None
    decimals: int | None = None
    source_org: str | None = None
    source_url: str | None = None
    source_date: dt.date | None = None
    experimental: bool = False
    standardised: bool | None = None
    licence: str = "OGL-UK-3.0"

    @property
    def shown_subtitle(self) -> str | None:
        """The one-line definition under the indicator's name: the publisher's subtitle where it gives one
        (ONS ELS metadata, IoD), else — for figures the observatory derives from a publisher's counts (UK
        Business Counts, APS, Census, DfE) — the first sentence of the observatory's own description."""
        if self.subtitle:
            return self.subtitle
        if not self.description:
            return None
        first = self.description.strip().split(". ", 1)[0]
        return first.removesuffix(".")


@dataclass(frozen=True, slots=True)
class Observation:
    indicator: str  # slug
    area_code: str
    area_name: str
    period: Period
    value: float | None
    lci_95: float | None = None
    uci_95: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    status: str | None = None
    notes: str | None = None
    geography: str | None = None  # the publisher's label of the area type
    source_file: str = ""
    source_row: int = 0


@dataclass(frozen=True, slots=True)
class Area:
    code: str
    name: str
    type: str  # ltla, utla, cty, mcty, rgn, ctry, uk, cauth, itl1-3, pfa, soa, group, other
    types: tuple[str, ...] = ()  # every layer it belongs to (a unitary is ltla and utla)
    valid_from: int | None = None  # first year it exists (None: before the sources begin)
    valid_to: int | None = None  # last year it exists (None: current)
    source: str = "boundaries"  # where the record comes from: boundaries, lookups, data, config
    welsh_name: str | None = None


@dataclass(frozen=True, slots=True)
class AreaRelation:
    code: str
    parent: str
    relation: str  # the parent's type (utla, cty, rgn, ctry, uk, itl3, …) or "member" of a group


@dataclass(slots=True)
class SourceFile:
    """A file read by the build, with what makes it traceable."""

    source: str
    path: str  # relative to the sources folder
    size: int
    sha256: str
    url: str | None = None
    provenance: str | None = None  # JSON: who uploaded a local file, when, its embargo (officers' uploads)


@dataclass(slots=True)
class ReaderResult:
    """What a reader gives back: rows it could read and findings for the rest."""

    indicators: list[Indicator] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    areas: list[Area] = field(default_factory=list)
    relations: list[AreaRelation] = field(default_factory=list)
    geometries: dict[str, str] = field(default_factory=dict)  # code -> GeoJSON geometry (WGS84)
    findings: list[Finding] = field(default_factory=list)
    rows_read: int = 0
    rows_skipped: int = 0
    # Detail tables beside the observations (release table name → rows in that table's column order),
    # e.g. enterprises by industry × size band, commuting flows; their DDL is in pipeline/detail.py.
    tables: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)

    def extend(self, other: ReaderResult) -> None:
        self.indicators.extend(other.indicators)
        self.observations.extend(other.observations)
        self.areas.extend(other.areas)
        self.relations.extend(other.relations)
        self.geometries.update(other.geometries)
        self.findings.extend(other.findings)
        self.rows_read += other.rows_read
        self.rows_skipped += other.rows_skipped
        for name, rows in other.tables.items():
            self.tables.setdefault(name, []).extend(rows)
