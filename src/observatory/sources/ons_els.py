"""Reader for ONS Explore Local Statistics: one folder per dataset, tidy CSV(s) plus JSON metadata.

The publisher's files vary (see ../shared/data/ons-els/PROVENANCE.md and ons-els-vintages/): columns in
another order, a doubled header, older headers with other names, bare-year periods, a wide layout with
numerators and denominators, metadata without data, BOMs, float noise. Every layout is mapped onto one
tidy form here; anything that cannot be read becomes a Finding naming file, row and column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from observatory.config import slugify
from observatory.model import PROVENANCE_SUFFIX, Finding, Indicator, Observation, ReaderResult, Severity
from observatory.periods import PeriodError, parse_period
from observatory.sources.numbers import NotANumber, parse_decimal

MAX_FIELD = 64 * 1024  # a longer field is a broken file, not data
# Let csv hand over long fields so the reader, not csv's own 128 KiB limit, names the row and column.
csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))
AREA_CODE = re.compile(r"^[A-Z0-9]{3,12}$")

# Header aliases: normalised publisher header -> canonical column.
_ALIASES = {
    "areacd": "areacd",
    "areanm": "areanm",
    "geography": "geography",
    "indicator": "indicator",
    "period": "period",
    "observation": "observation",
    "measure": "measure",
    "unit": "unit",
    "lci95": "lci_95",
    "lowerconfidenceinterval95": "lci_95",
    "uci95": "uci_95",
    "upperconfidenceinterval95": "uci_95",
    "status": "status",
    "observationstatus": "status",
    "notes": "notes",
    "polarity": "polarity",
    "numerator": "numerator",
    "denominator": "denominator",
}
_IGNORED = {"variablename", "mission", "category"}
REQUIRED = ("areacd", "period", "observation")
_NUMBER_COLUMNS = ("observation", "lci_95", "uci_95", "numerator", "denominator")
# Wide layout (employment-rate 2024): <stem>, <stem>_measure, _numerator, _denominator, CIs, status.
_WIDE_SUFFIXES = {
    "": "observation",
    "_measure": "measure",
    "_numerator": "numerator",
    "_denominator": "denominator",
    "_lower_confidence_interval_95": "lci_95",
    "_upper_confidence_interval_95": "uci_95",
    "_observation_status": "status",
}
_PREFIXES = {"GBPSign": "£", "GBP": "£", "EURSign": "€", "USDSign": "$"}


# ONS ELS writes "Estimate and confidence interval unreliable since the group sample size is small (3-9)"
# in `notes` with an empty `status` (APS-derived files): that is the low-reliability status 'u'.
LOW_RELIABILITY = "u"
_UNRELIABLE_NOTE = re.compile(r"\bunreliable\b", re.IGNORECASE)


def _status_from_note(notes: str | None) -> str | None:
    """The status a publisher's note implies when `status` is empty: 'u' for an "unreliable" note, else None."""
    return LOW_RELIABILITY if notes and _UNRELIABLE_NOTE.search(notes) else None


def _norm(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


@dataclass
class _Meta:
    """Metadata for one dataset, keyed by the indicator name used in its CSV."""

    shared: dict[str, Any] = field(default_factory=dict)
    blocks: dict[str, dict[str, Any]] = field(default_factory=dict)
    title: str | None = None  # csv-cubed style metadata (small-area files): one indicator per file
    summary: str | None = None


@dataclass(frozen=True)
class _Plan:
    indices: dict[str, tuple[int, ...]]
    names: dict[str, str]
    single: dict[str, int] = field(default_factory=dict)  # canon -> its one position (the usual case)

    def get(self, row: list[str], canon: str) -> str:
        one = self.single.get(canon)
        if one is not None:
            return row[one].strip()
        found = self.indices.get(canon)
        if not found:
            return ""
        return "; ".join(v for v in (row[i].strip() for i in found) if v)

    def raw(self, row: list[str], canon: str) -> str:
        """The cell as written (not stripped): numbers are read by the strict grammar, spaces and all."""
        one = self.single.get(canon)
        if one is not None:
            return row[one]
        found = self.indices.get(canon)
        if not found:
            return ""
        return "; ".join(v for v in (row[i] for i in found) if v)

    def name(self, canon: str) -> str:
        return self.names.get(canon, canon)


@dataclass
class _Column:
    index: int
    indicator: str | None = None  # wide layout: the indicator this column belongs to


def clean_number(value: float) -> float:
    """Remove binary float noise (73.60000000000001 -> 73.6) without touching real digits.

    The identity for a value read from text of at most 12 characters (so at most 12 significant digits):
    ``_number`` skips the call for those.
    """
    rounded = float(f"{value:.12g}")
    return rounded if abs(rounded - value) <= 1e-13 * abs(value) else value


class _FileReader:
    """Reads one CSV of one dataset into observations, collecting findings instead of raising."""

    def __init__(self, path: Path, display: str, dataset: str, meta: _Meta | None, data: bytes | None = None) -> None:
        self.path, self.display, self.dataset, self.meta = path, display, dataset, meta
        self.data = data  # the file's bytes when they are already in memory (an officer's upload)
        self.result = ReaderResult()
        self.units: dict[str, tuple[str | None, str | None]] = {}  # indicator slug -> (measure, unit)
        self._plans: dict[str, _Plan] = {}
        self._slugs: dict[str, str] = {}

    def finding(
        self,
        rule: str,
        severity: Severity,
        message: str,
        row: int | None = None,
        column: str | None = None,
        value: str | None = None,
    ) -> None:
        shown = value if value is None or len(value) <= 80 else value[:77] + "..."
        self.result.findings.append(Finding(rule, severity, self.display, message, row, column, shown))

    def read(self) -> ReaderResult:
        text = self._decode()
        if text is None:
            return self.result
        if not text.strip():
            self.finding("file.empty", Severity.ERROR, "the file is empty: no header, no rows")
            return self.result
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        try:
            header = next(reader)
        except csv.Error as exc:
            self.finding("csv.malformed", Severity.ERROR, f"cannot parse the header: {exc}", row=1)
            return self.result
        layout = self._layout(header)
        if layout is None:
            return self.result
        self._rows(reader, header, layout)
        if self.result.rows_read == 0:
            self.finding(
                "file.no-rows",
                Severity.ERROR,
                "the file has a header but no data rows (a publisher's file is never empty)",
                row=1,
            )
        return self.result

    def _decode(self) -> str | None:
        data = self.data if self.data is not None else self.path.read_bytes()
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            self.finding(
                "file.encoding",
                Severity.ERROR,
                f"not UTF-8 text: byte 0x{data[exc.start]:02x} at offset {exc.start} cannot be decoded "
                "(save the file as UTF-8)",
                row=line,
            )
            return None

    def _layout(self, header: list[str]) -> dict[str, list[_Column]] | None:
        """Map each canonical column to its position(s); wide layouts give one set per indicator."""
        cols: dict[str, list[_Column]] = {}
        norms = [_norm(h) for h in header]
        wide_stems = [h for h in header if f"{h}_numerator" in header and f"{h}_denominator" in header]
        if wide_stems:
            for stem in wide_stems:
                label = stem.replace("_", " ").capitalize()
                for suffix, canon in _WIDE_SUFFIXES.items():
                    if f"{stem}{suffix}" in header:
                        cols.setdefault(canon, []).append(_Column(header.index(f"{stem}{suffix}"), label))
            claimed = {c.index for cs in cols.values() for c in cs}
            for i, n in enumerate(norms):
                if i not in claimed and _ALIASES.get(n) in (
                    "areacd",
                    "areanm",
                    "geography",
                    "period",
                    "unit",
                ):
                    cols.setdefault(_ALIASES[n], []).append(_Column(i))
        else:
            for i, n in enumerate(norms):
                alias = _ALIASES.get(n)
                if alias is None:
                    if n not in _IGNORED and n:
                        self.finding(
                            "header.unknown-column",
                            Severity.INFO,
                            f"column {header[i]!r} is not part of the known layouts and is ignored",
                            row=1,
                            column=header[i],
                        )
                    continue
                if alias in cols:
                    self.finding(
                        "header.duplicate-column",
                        Severity.INFO,
                        f"column {header[i]!r} appears more than once; non-empty values are joined",
                        row=1,
                        column=header[i],
                    )
                cols.setdefault(alias, []).append(_Column(i))
        missing = [c for c in REQUIRED if c not in cols]
        if "indicator" not in cols and not wide_stems and not (self.meta and self.meta.title):
            missing.append("indicator")
        for name in missing:
            self.finding(
                "header.missing-column",
                Severity.ERROR,
                f"required column {name!r} is missing (header: {', '.join(header)[:200]})",
                row=1,
                column=name,
            )
        return None if missing else cols

    def _rows(self, reader: Any, header: list[str], cols: dict[str, list[_Column]]) -> None:
        width = len(header)
        line = 1
        indicator_col = cols.get("indicator")
        fixed_indicator = self.meta.title if self.meta and self.meta.title else None
        per_indicator = cols["observation"]
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                line = reader.line_num
                self.result.rows_read += 1
                self.result.rows_skipped += 1
                self.finding("csv.malformed", Severity.ERROR, f"cannot parse the row: {exc}", row=line)
                break
            line = reader.line_num
            if not row or row == [""]:
                continue  # a blank line is not a data row
            self.result.rows_read += 1
            if len(row) != width:
                self.result.rows_skipped += 1
                self.finding(
                    "row.field-count",
                    Severity.ERROR,
                    f"the row has {len(row)} fields but the header has {width} (truncated or misquoted?)",
                    row=line,
                    column=header[len(row)] if len(row) < width else f"(extra field {width + 1})",
                )
                continue
            if sum(map(len, row)) > MAX_FIELD:
                too_long = max(range(width), key=lambda i: len(row[i]))
                self.result.rows_skipped += 1
                self.finding(
                    "row.field-too-long",
                    Severity.ERROR,
                    f"the row is longer than {MAX_FIELD:,} characters (this field: {len(row[too_long]):,}); "
                    "not a data row",
                    row=line,
                    column=header[too_long],
                )
                continue
            loaded = False
            for obs_col in per_indicator:
                name = obs_col.indicator or fixed_indicator
                if name is None and indicator_col:
                    name = row[indicator_col[0].index].strip()
                ok = self._observation(row, line, header, cols, obs_col, name)
                loaded = loaded or ok
            if not loaded:
                self.result.rows_skipped += 1

    def _plan(self, header: list[str], cols: dict[str, list[_Column]], name: str | None) -> _Plan:
        """Column positions and display names for one indicator, computed once per file and indicator."""
        key = name or ""
        plan = self._plans.get(key)
        if plan is None:
            indices: dict[str, tuple[int, ...]] = {}
            names: dict[str, str] = {}
            for canon, found in cols.items():
                matching = [c for c in found if c.indicator in (None, name)] or found
                indices[canon] = tuple(c.index for c in matching)
                names[canon] = header[matching[0].index]
            single = {canon: found[0] for canon, found in indices.items() if len(found) == 1}
            plan = self._plans[key] = _Plan(indices, names, single)
        return plan

    def _number(self, text: str, line: int, plan: _Plan, canon: str) -> tuple[bool, float | None]:
        """One cell by the shared number grammar (``sources.numbers``); empty is a missing value.

        ``canon`` names the column (by the plan's header name) only in a finding.
        """
        if text == "":
            return True, None
        try:
            value = parse_decimal(text)
        except NotANumber as exc:
            self.finding(
                "value.not-a-number",
                Severity.ERROR,
                f"{exc} (suppressed values belong in 'status', with an empty value)",
                row=line,
                column=plan.name(canon),
                value=text,
            )
            return False, None
        # at most 12 characters: at most 12 significant digits, which a double holds exactly (no float noise)
        return True, value if len(text) <= 12 else clean_number(value)

    def _observation(
        self,
        row: list[str],
        line: int,
        header: list[str],
        cols: dict[str, list[_Column]],
        obs_col: _Column,
        name: str | None,
    ) -> bool:
        if not name:
            self.finding("row.missing-indicator", Severity.ERROR, "the indicator is empty", line, "indicator")
            return False
        plan = self._plan(header, cols, name)
        colname = plan.name
        code = plan.get(row, "areacd")
        if not AREA_CODE.match(code):
            self.finding(
                "area.invalid-code",
                Severity.WARNING,
                f"{code!r} is not an area code (GSS or ITL); the row is skipped",
                line,
                colname("areacd"),
                code,
            )
            return False
        period_text = plan.get(row, "period")
        try:
            period = parse_period(period_text)
        except PeriodError as exc:
            self.finding("period.invalid", Severity.ERROR, str(exc), line, colname("period"), period_text)
            return False
        numbers: dict[str, float | None] = {}
        for canon in _NUMBER_COLUMNS:
            text = row[obs_col.index] if canon == "observation" else plan.raw(row, canon)
            if text == "":
                numbers[canon] = None
                continue
            ok, numbers[canon] = self._number(text, line, plan, canon)
            if not ok:
                return False
        value, lci, uci = numbers["observation"], numbers["lci_95"], numbers["uci_95"]
        notes = plan.get(row, "notes") or None
        status = plan.get(row, "status") or _status_from_note(notes)
        if value is None and status is None:
            self.finding(
                "value.missing-without-status",
                Severity.WARNING,
                "the value is empty and no status explains why; kept as a missing value",
                line,
                colname("observation"),
            )
        if lci is not None and uci is not None:
            if lci > uci:
                self.finding(
                    "ci.inverted",
                    Severity.ERROR,
                    f"lower bound {lci} is above upper bound {uci}",
                    line,
                    colname("lci_95"),
                )
                return False
            if value is not None and not lci <= value <= uci:
                self.finding(
                    "ci.excludes-value",
                    Severity.WARNING,
                    f"the 95% interval {lci}–{uci} does not contain the value {value}; kept as published",
                    line,
                    colname("observation"),
                )
        slug = self._slugs.get(name) or self._slugs.setdefault(name, slugify(name))
        if slug not in self.units:
            self.units[slug] = (
                plan.get(row, "measure") or None,
                plan.get(row, "unit") or None,
            )
            self.result.indicators.append(self._indicator(name, slug))
        self.result.observations.append(
            Observation(
                indicator=slug,
                area_code=code,
                area_name=plan.get(row, "areanm"),
                period=period,
                value=value,
                lci_95=lci,
                uci_95=uci,
                numerator=numbers["numerator"],
                denominator=numbers["denominator"],
                status=status,
                notes=notes,
                geography=plan.get(row, "geography") or None,
                source_file=self.display,
                source_row=line,
            )
        )
        return True

    def _indicator(self, name: str, slug: str) -> Indicator:
        meta = self.meta or _Meta()
        block = meta.blocks.get(name) or next(
            (b for k, b in meta.blocks.items() if slugify(k) == slug or slugify(str(b.get("label", ""))) == slug),
            None,
        )
        if block is None and len(meta.blocks) == 1 and not meta.title:
            block = next(iter(meta.blocks.values()))
        if block is None and self.meta is not None and not meta.title:
            self.finding(
                "metadata.missing-indicator",
                Severity.WARNING,
                f"no metadata block for indicator {name!r}; its label is used as is",
            )
        merged: dict[str, Any] = {**meta.shared, **(block or {})}
        measure, unit = self.units[slug]
        return Indicator(
            slug=slug,
            label=_text(merged.get("label")) or meta.title or name,
            dataset=self.dataset,
            subtitle=_text(merged.get("subtitle")) or meta.summary,
            description=_text(merged.get("longDescription")),
            caveats=_text(merged.get("caveats")),
            measure=measure,
            unit=unit,
            prefix=_PREFIXES.get(str(merged.get("prefix")), _text(merged.get("prefix"))),
            suffix=_text(merged.get("suffix")),
            decimals=_int(merged.get("decimalPlaces")),
            source_org=_text(merged.get("sourceOrg")),
            source_url=_text(merged.get("sourceURL")),
            source_date=_date(merged.get("sourceDate")),
            experimental=_flag(merged.get("experimentalStatistic")) or False,
            standardised=_flag(merged.get("standardised")),
        )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text if text and text.lower() not in ("null", "none") else None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = _text(value)
    return None if text is None else text.upper() in ("T", "TRUE", "Y", "YES", "1")


def _date(value: Any) -> dt.date | None:
    text = _text(value)
    if text is None:
        return None
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d %B %Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def read_metadata(path: Path, display: str, findings: list[Finding]) -> _Meta | None:
    """Parse a dataset's JSON metadata; an invalid file is an error naming line and column."""
    try:
        raw = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        findings.append(Finding("metadata.encoding", Severity.ERROR, display, f"not UTF-8 text: {exc.reason}"))
        return None
    except json.JSONDecodeError as exc:
        findings.append(
            Finding(
                "metadata.invalid-json",
                Severity.ERROR,
                display,
                f"invalid JSON: {exc.msg}",
                row=exc.lineno,
                column=f"char {exc.colno}",
            )
        )
        return None
    if not isinstance(raw, dict):
        findings.append(Finding("metadata.shape", Severity.ERROR, display, "metadata must be a JSON object"))
        return None
    ess = raw.get("ess-beta-metadata")
    if isinstance(ess, dict):
        meta = _Meta()
        nested = {k: v for k, v in ess.items() if isinstance(v, dict)}
        if "shared" in nested or nested:
            meta.shared = nested.pop("shared", {})
            meta.blocks = nested
            flat = {k: v for k, v in ess.items() if not isinstance(v, dict)}
            if flat:
                meta.shared = {**flat, **meta.shared}
        else:  # a single indicator described directly
            meta.blocks = {str(ess.get("label", "")): ess}
        return meta
    if "title" in raw and ("$schema" in raw or "summary" in raw):
        return _Meta(title=_text(raw.get("title")), summary=_text(raw.get("summary")))
    findings.append(
        Finding(
            "metadata.shape",
            Severity.ERROR,
            display,
            "no 'ess-beta-metadata' object and no csv-cubed 'title': not a metadata file this reader knows",
        )
    )
    return None


def _is_context(path: Path) -> bool:
    """JSON-LD context files and fetch's provenance sidecars are not dataset metadata."""
    return path.name.endswith(("-context.json", PROVENANCE_SUFFIX))


def read_els_csv(data: bytes, display: str, dataset: str) -> ReaderResult:
    """One CSV in the ELS tidy layout, given as bytes (an officer's upload): the same rules and findings
    as a publisher's file, without a metadata file (labels come from the ``indicator`` column)."""
    return _FileReader(Path(display), display, dataset, None, data).read()


def read_ons_els(folder: Path, display_prefix: str = "ons-els") -> ReaderResult:
    """Read every dataset folder under ``folder`` (``<dataset>/<file>.csv`` + ``<file>.json``)."""
    result = ReaderResult()
    if not folder.is_dir():
        result.findings.append(
            Finding("source.missing", Severity.ERROR, display_prefix, f"source folder {folder} does not exist")
        )
        return result
    for dataset_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        dataset = dataset_dir.name
        csvs = sorted(dataset_dir.glob("*.csv"))
        metas = {p.stem: p for p in sorted(dataset_dir.glob("*.json")) if not _is_context(p)}
        parsed: dict[str, _Meta | None] = {}
        for stem, path in metas.items():
            parsed[stem] = read_metadata(path, f"{display_prefix}/{dataset}/{path.name}", result.findings)
        for stem, _path in metas.items():
            if not (dataset_dir / f"{stem}.csv").exists() and parsed.get(stem) is not None:
                result.findings.append(
                    Finding(
                        "metadata.without-data",
                        Severity.WARNING,
                        f"{display_prefix}/{dataset}/{stem}.json",
                        "metadata without a data file: the publisher's CSV is not in this copy",
                    )
                )
        for csv_path in csvs:
            meta = parsed.get(csv_path.stem) or parsed.get(dataset)
            display = f"{display_prefix}/{dataset}/{csv_path.name}"
            if meta is None and not any(f.file.endswith(".json") and dataset in f.file for f in result.findings):
                result.findings.append(
                    Finding("metadata.missing", Severity.WARNING, display, "no metadata file beside this CSV")
                )
            result.extend(_FileReader(csv_path, display, dataset, meta).read())
    return result
