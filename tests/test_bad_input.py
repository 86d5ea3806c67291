"""Bad input: every broken file gives a finding naming file, row and column; a build with any error
publishes nothing and the previous release keeps serving.

The corpus is in tests/corpus/ (see its README.md); the cases that cannot be committed as text (wrong
encoding, an enormous line) are generated here at run time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from observatory.config import Config, load_config
from observatory.model import Finding, Severity
from observatory.pipeline.validate import check_period_types, drop_duplicates
from observatory.sources.numbers import NotANumber, parse_decimal, parse_whole
from observatory.sources.ons_els import read_ons_els
from observatory.store import Store
from tests.conftest import link_reference_sources, reduced_config_file, require, unless_ci

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).resolve().parent / "corpus"
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
BASE_DATASET = "gigabit-capable-broadband"  # a small, clean real dataset for the good release

needs_data = unless_ci(
    not (SHARED_DATA / "ons-els" / BASE_DATASET).is_dir(),
    reason=f"shared data not present at {SHARED_DATA} (build-level bad-input tests need the real sources)",
)

ERROR, WARNING = Severity.ERROR, Severity.WARNING
ANY = object()  # an Expect field that is not checked


# --- generated cases (not committed: binary or huge) ----------------------------------------------------


def _good_lines() -> list[bytes]:
    return (CORPUS / "good.csv").read_bytes().splitlines(keepends=True)


def wrong_encoding() -> bytes:
    """Line 3 saved as Latin-1: 'Southend-on-Sea £' with £ as the single byte 0xA3."""
    header, basildon, _brentwood, southend = _good_lines()
    return header + basildon + southend.replace(b"Southend-on-Sea", b"Southend-on-Sea \xa3")


def utf16() -> bytes:
    """The whole file saved as UTF-16 (with its BOM), as some spreadsheet exports do."""
    return (CORPUS / "good.csv").read_text(encoding="utf-8").encode("utf-16")


def _long_notes(size: int) -> bytes:
    header, basildon, brentwood, southend = _good_lines()
    return header + basildon + brentwood.rstrip(b"\n") + b"A" * size + b"\n" + southend


def enormous_line() -> bytes:
    """Line 3 has a 2 MB 'notes' field (beyond the csv module's own 128 KiB field limit)."""
    return _long_notes(2 * 1024 * 1024)


def long_line() -> bytes:
    """Line 3 has a 100 KB 'notes' field: longer than the reader's 64 KiB limit, within the csv module's."""
    return _long_notes(100 * 1024)


# --- the cases --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    rule: str | tuple[str, ...]  # one rule, or any of several (where a fix may change the rule)
    severity: Severity
    row: int | object | None  # ANY: not checked
    column: str | object | None
    file: str = "csv"  # "csv" or "json": which file of the dataset the finding names

    def matches(self, finding: Finding, dataset: str) -> bool:
        rules = (self.rule,) if isinstance(self.rule, str) else self.rule
        return (
            finding.rule in rules
            and finding.severity is self.severity
            and finding.file == f"ons-els/{dataset}/{dataset}.{self.file}"
            and (self.row is ANY or finding.row == self.row)
            and (self.column is ANY or finding.column == self.column)
        )


@dataclass(frozen=True)
class Case:
    name: str  # also the dataset folder and file stem, so findings name the case
    expect: tuple[Expect, ...]
    csv: str | Callable[[], bytes] | None = None  # corpus file (default <name>.csv) or generator
    json: str = "good.json"
    loaded: int | None = None  # observations that survive the reader (None: not checked)
    validate: bool = False  # the finding comes from validate.drop_duplicates, not the reader

    def csv_bytes(self) -> bytes:
        if callable(self.csv):
            return self.csv()
        return (CORPUS / (self.csv or f"{self.name}.csv")).read_bytes()

    def install(self, ons_els: Path) -> Path:
        """Write the dataset as ``ons_els/<name>/<name>.csv|json``, the publisher's layout."""
        folder = ons_els / self.name
        folder.mkdir(parents=True)
        (folder / f"{self.name}.csv").write_bytes(self.csv_bytes())
        shutil.copyfile(CORPUS / self.json, folder / f"{self.name}.json")
        return folder


CASES = [
    Case("truncated", (Expect("row.field-count", ERROR, 4, "measure"),), loaded=2),
    Case("truncated-quoted", (Expect("csv.malformed", ERROR, 3, None),), loaded=1),
    Case("wrong-encoding", (Expect("file.encoding", ERROR, 3, None),), csv=wrong_encoding, loaded=0),
    Case("utf16", (Expect("file.encoding", ERROR, 1, None),), csv=utf16, loaded=0),
    Case("missing-column", (Expect("header.missing-column", ERROR, 1, "observation"),), loaded=0),
    Case(
        "non-numeric",
        tuple(Expect("value.not-a-number", ERROR, row, "observation") for row in (2, 3, 4, 5)),
        loaded=1,
    ),
    Case(
        "non-numeric-ci",
        (Expect("value.not-a-number", ERROR, 2, "uci_95"), Expect("value.not-a-number", ERROR, 3, "lci_95")),
        loaded=1,
    ),
    Case(
        "impossible-periods",
        tuple(Expect("period.invalid", ERROR, row, "period") for row in (2, 3, 4, 5, 6)),
        loaded=1,
    ),
    Case(
        "malformed-area-code",
        tuple(Expect("area.invalid-code", WARNING, row, "areacd") for row in (2, 3, 4, 5)),
        loaded=1,
    ),
    Case(
        "conflicting-duplicates",
        (Expect("observation.conflicting-duplicate", ERROR, 4, "observation"),),
        validate=True,
    ),
    Case("exact-duplicate", (Expect("observation.duplicate", WARNING, 4, "observation"),), validate=True),
    Case("empty", (Expect("file.empty", ERROR, None, None),), loaded=0),
    Case(
        "enormous-line",
        # Today the csv module's own limit trips first (csv.malformed, no column); the reader's
        # row.field-too-long check would name the column. See test_enormous_line_names_its_column.
        (Expect(("csv.malformed", "row.field-too-long"), ERROR, 3, ANY),),
        csv=enormous_line,
    ),
    Case("long-line", (Expect("row.field-too-long", ERROR, 3, "notes"),), csv=long_line, loaded=2),
    Case(
        "invalid-json-trailing-comma",
        (Expect("metadata.invalid-json", ERROR, 6, "char 3", file="json"),),
        csv="good.csv",
        json="invalid-json-trailing-comma.json",
    ),
    Case(
        "invalid-json-truncated",
        (Expect("metadata.invalid-json", ERROR, 5, "char 15", file="json"),),
        csv="good.csv",
        json="invalid-json-truncated.json",
    ),
    Case("inverted-ci", (Expect("ci.inverted", ERROR, 3, "lci_95"),), loaded=1),
    Case("ci-excludes-value", (Expect("ci.excludes-value", WARNING, 3, "observation"),), loaded=2),
    Case("too-many-fields", (Expect("row.field-count", ERROR, 3, "(extra field 13)"),), loaded=1),
    Case("missing-indicator", (Expect("row.missing-indicator", ERROR, 3, "indicator"),), loaded=1),
    Case("missing-value", (Expect("value.missing-without-status", WARNING, 3, "observation"),), loaded=3),
    Case(
        "number-grammar",
        (
            Expect("value.not-a-number", ERROR, 2, "observation"),  # 1_234
            Expect("value.not-a-number", ERROR, 3, "observation"),  # full-width １２３
            Expect("value.not-a-number", ERROR, 4, "observation"),  # " 12 "
            Expect("value.not-a-number", ERROR, 5, "observation"),  # "1,234"
            Expect("value.not-a-number", ERROR, 6, "uci_95"),  # Arabic-Indic digits
            Expect("value.not-a-number", ERROR, 8, "observation"),  # 1e999 overflows
        ),
        loaded=3,  # Thurrock (exponents, +, leading point), East of England ([c], empty), Essex (-0.5)
    ),
]
BY_NAME = {c.name: c for c in CASES}


def _findings(case: Case, ons_els: Path) -> tuple[list[Finding], int]:
    result = read_ons_els(ons_els, "ons-els")
    findings = list(result.findings)
    observations = result.observations
    if case.validate:
        observations, dup = drop_duplicates(observations)
        findings += dup
    return findings, len(observations)


def _show(findings: list[Finding]) -> str:
    return "\n".join(str(f) for f in findings) or "(no findings)"


# --- reader level -----------------------------------------------------------------------------------------


def test_corpus_readme_lists_every_file() -> None:
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    for path in CORPUS.iterdir():
        if path.name != "README.md":
            assert f"`{path.name}`" in readme, f"{path.name} is not described in tests/corpus/README.md"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_broken_file_gives_a_finding_naming_file_row_and_column(case: Case, tmp_path: Path) -> None:
    ons_els = tmp_path / "ons-els"
    case.install(ons_els)
    findings, loaded = _findings(case, ons_els)
    for expect in case.expect:
        found = any(expect.matches(f, case.name) for f in findings)
        assert found, f"expected {expect}; got:\n{_show(findings)}"
    # no error the case does not expect (a clean row must not be reported as broken)
    for f in findings:
        if f.severity is ERROR:
            assert any(e.matches(f, case.name) for e in case.expect), f"unexpected error: {f}"
        # every finding stays a readable one-liner, even for a 2 MB field
        assert len(str(f)) < 400 and "\n" not in str(f), str(f)[:200]
        assert f.value is None or len(f.value) <= 80
    if case.loaded is not None:
        assert loaded == case.loaded, _show(findings)


def test_finding_where_reads_file_row_column(tmp_path: Path) -> None:
    case = BY_NAME["non-numeric"]
    case.install(tmp_path / "ons-els")
    findings, _ = _findings(case, tmp_path / "ons-els")
    first = next(f for f in findings if f.severity is ERROR)
    assert first.where() == "ons-els/non-numeric/non-numeric.csv, row 2, column 'observation'"
    assert str(first).startswith("error: ons-els/non-numeric/non-numeric.csv, row 2, column 'observation': ")
    assert "[value.not-a-number]" in str(first) and first.value == "12.3x"


@pytest.mark.parametrize(
    "text", ["12.3x", "NaN", "nan", "inf", "-inf", "Infinity", "1e999", "1,234", "£5", "1_234", "１２３", " 12 ", "12 "]
)
def test_non_numbers_are_rejected(text: str, tmp_path: Path) -> None:
    header, basildon, *_ = _good_lines()
    case = Case("one-value", (), csv=lambda: header + basildon.replace(b",91.3,", f",{text},".encode()))
    # "1,234" unquoted is a field-count error; every other text reaches the number check
    case.install(tmp_path / "ons-els")
    findings, loaded = _findings(case, tmp_path / "ons-els")
    assert loaded == 0
    errors = [f for f in findings if f.severity is ERROR]
    assert len(errors) == 1 and errors[0].row == 2, _show(findings)
    if text != "1,234":
        error = errors[0]
        assert (error.rule, error.column, error.value) == ("value.not-a-number", "observation", text)


def test_number_grammar_values_as_written(tmp_path: Path) -> None:
    """The rows the grammar accepts carry the values written in tests/corpus/number-grammar.csv."""
    BY_NAME["number-grammar"].install(tmp_path / "ons-els")
    result = read_ons_els(tmp_path / "ons-els", "ons-els")
    got = {o.area_code: (o.value, o.lci_95, o.uci_95, o.status) for o in result.observations}
    # 9.12E+01 = 91.2, +90.5 = 90.5, .92e2 = 92.0; East of England: suppressed; Essex: -0.5
    assert got == {
        "E06000034": (91.2, 90.5, 92.0, None),
        "E12000006": (None, None, None, "[c]"),
        "E10000012": (-0.5, None, None, None),
    }
    messages = {f.row: f.message for f in result.findings if f.rule == "value.not-a-number"}
    assert "'_' digit separators" in messages[2]
    assert "non-ASCII digits" in messages[3] and "non-ASCII digits" in messages[6]
    assert "spaces around" in messages[4]
    assert "thousands separators" in messages[5]
    assert "infinity" in messages[8]


@pytest.mark.parametrize(
    ("text", "grouped", "expected"),
    [
        ("12", False, 12.0),
        ("-0.5", False, -0.5),
        (".5", False, 0.5),
        ("3.60E-05", False, 3.6e-05),  # as ONS ELS writes environment-regulating values
        ("3,345", True, 3345.0),  # as the ONS regional GVA tables write pounds million
        ("1,234.5", True, 1234.5),
    ],
)
def test_number_grammar_accepts_what_publishers_write(text: str, grouped: bool, expected: float) -> None:
    assert parse_decimal(text, grouped=grouped) == expected


@pytest.mark.parametrize(
    ("text", "grouped"),
    [
        ("1_234", False), ("１２３", False), ("٣", False), (" 12", False), ("12 ", False), ("1,234", False),
        ("NaN", False), ("-inf", False), ("1e999", False), ("0x1A", False), ("1.2.3", False), ("", False),
        ("12,34", True), ("1,2345", True), ("1_234", True), ("１,２３４", True),
    ],
)  # fmt: skip
def test_number_grammar_refuses_what_float_would_take(text: str, grouped: bool) -> None:
    with pytest.raises(NotANumber):
        parse_decimal(text, grouped=grouped)


def test_whole_numbers_use_the_same_grammar() -> None:
    assert parse_whole("19,102", grouped=True) == 19102 and parse_whole("7") == 7
    for text in ("１２", "²", "1.5", "19,10", " 7"):
        with pytest.raises(NotANumber):
            parse_whole(text, grouped=True)


def test_mixed_period_types_in_one_series_are_flagged(tmp_path: Path) -> None:
    """tests/corpus/mixed-periods-3y.csv: Basildon's series has a 3-year period (line 4) among calendar years."""
    Case("mixed-periods-3y", ()).install(tmp_path / "ons-els")
    result = read_ons_els(tmp_path / "ons-els", "ons-els")
    assert len(result.observations) == 7, _show(result.findings)
    findings = check_period_types(result.observations)
    assert [(f.rule, f.severity, f.file, f.row, f.column, f.value) for f in findings] == [
        (
            "period.mixed-types",
            WARNING,
            "ons-els/mixed-periods-3y/mixed-periods-3y.csv",
            4,
            "period",
            "2021-01-01/P3Y",
        )
    ]
    assert "mix period types" in findings[0].message
    # one type per series: no finding
    clean = [o for o in result.observations if o.period.duration == "P1Y"]
    assert check_period_types(clean) == []


def test_duplicates_are_found_by_validate_with_both_rows(tmp_path: Path) -> None:
    """drop_duplicates keeps the first of a key; a repeat with another value is an error naming both rows."""
    results = {}
    for name in ("conflicting-duplicates", "exact-duplicate"):
        BY_NAME[name].install(tmp_path / name / "ons-els")
        result = read_ons_els(tmp_path / name / "ons-els", "ons-els")
        assert not [f for f in result.findings if f.severity is not Severity.INFO], _show(result.findings)
        # the reader sees three valid rows; the clash of keys is for validation to find
        assert len(result.observations) == 3
        results[name] = drop_duplicates(result.observations)
    kept, findings = results["conflicting-duplicates"]
    assert len(kept) == 2 and [o.value for o in kept if o.area_code == "E07000066"] == [91.3]
    (conflict,) = findings
    assert (conflict.rule, conflict.severity, conflict.row, conflict.column) == (
        "observation.conflicting-duplicate",
        ERROR,
        4,
        "observation",
    )
    assert "conflicting-duplicates.csv row 2" in conflict.message  # points at the first occurrence too
    assert "91.3" in conflict.message and "19.3" in conflict.message
    kept, findings = results["exact-duplicate"]
    assert len(kept) == 2
    assert [(f.rule, f.severity, f.row) for f in findings] == [("observation.duplicate", WARNING, 4)]


def test_header_only_file_is_reported(tmp_path: Path) -> None:
    case = Case("header-only", ())
    case.install(tmp_path / "ons-els")
    findings, loaded = _findings(case, tmp_path / "ons-els")
    assert loaded == 0
    assert any(
        f.file == "ons-els/header-only/header-only.csv" and f.severity is ERROR and f.rule == "file.no-rows"
        for f in findings
    ), _show(findings)


def test_enormous_line_names_its_column_and_reading_goes_on(tmp_path: Path) -> None:
    case = BY_NAME["enormous-line"]
    case.install(tmp_path / "ons-els")
    findings, loaded = _findings(case, tmp_path / "ons-els")
    assert any(Expect("row.field-too-long", ERROR, 3, "notes").matches(f, case.name) for f in findings)
    assert loaded == 2  # the rows before and after the enormous one are still read


# --- build level ------------------------------------------------------------------------------------------

BUILD_CASES = ["truncated", "wrong-encoding", "conflicting-duplicates", "invalid-json-trailing-comma"]


@dataclass
class Env:
    sources: Path
    store: Store
    config: Config
    config_path: Path


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """A sources folder holding the real boundaries and lookups and one small real dataset, a store with one
    good release in it, and a copy of the deployment config reading those sources only."""
    require((SHARED_DATA / "ons-els" / BASE_DATASET).is_dir(), f"shared data not present at {SHARED_DATA}")
    from observatory.pipeline.build import build_release

    root = tmp_path_factory.mktemp("bad-input-build")
    sources = root / "sources"
    (sources / "ons-els").mkdir(parents=True)
    link_reference_sources(sources, SHARED_DATA, reduced=True)
    (sources / "ons-els" / BASE_DATASET).symlink_to(SHARED_DATA / "ons-els" / BASE_DATASET)
    config_path = reduced_config_file(root / "observatory.toml")  # ONS ELS, boundaries and lookups only
    config = load_config(config_path)
    store = Store(root / "store")
    report = build_release(config, sources, store)
    assert report.published and store.current_id() == report.release_id, _show(report.errors())
    yield Env(sources, store, config, config_path)


def _count(store: Store) -> int:
    with store.open() as con:
        row = con.execute("select count(*) from observations").fetchone()
    assert row is not None
    return int(row[0])


@needs_data
@pytest.mark.parametrize("name", BUILD_CASES)
def test_failed_build_publishes_nothing_and_the_previous_release_keeps_serving(env: Env, name: str) -> None:
    from observatory.pipeline.build import BuildFailed, build_release

    case = BY_NAME[name]
    store = env.store
    before_id = store.current_id()
    assert before_id is not None
    before_hash = store.info(before_id).content_hash
    before_count = _count(store)
    before_releases = sorted(p.name for p in store.releases.iterdir())
    before_failed = set(store.failed.iterdir())

    folder = case.install(env.sources / "ons-els")
    try:
        with pytest.raises(BuildFailed) as caught:
            build_release(env.config, env.sources, store)
    finally:
        shutil.rmtree(folder)

    report = caught.value.report
    errors = report.errors()
    first = errors[0]
    assert any(e.matches(first, name) for e in case.expect), f"first error is not the case's: {first}"
    message = str(caught.value)
    assert "nothing was published" in message and str(first) in message
    assert f"[{first.rule}]" in message and first.file in message
    assert not report.published and report.release_id is None

    # nothing new under releases/, CURRENT unchanged, the current release still opens with the same rows
    assert sorted(p.name for p in store.releases.iterdir()) == before_releases
    assert store.current_id() == before_id
    assert _count(store) == before_count
    assert not list(store.tmp.glob("*.duckdb")), "a failed build left a release file in tmp/"

    # the failed build's report is kept for people to read
    new_failed = set(store.failed.iterdir()) - before_failed
    assert len(new_failed) == 1, f"expected one new report in {store.failed}, got {new_failed}"
    saved = new_failed.pop().read_text(encoding="utf-8")
    assert '"published": false' in saved and first.rule in saved and first.file in saved

    # with the broken dataset gone, the same sources build again, to the same content
    again = build_release(env.config, env.sources, store)
    assert again.published and store.current_id() == again.release_id
    assert again.content_hash == before_hash
    assert _count(store) == before_count


def _run_cli(env: Env, case: Case) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("observatory")
    assert exe.exists(), f"no observatory script beside {sys.executable} (the package is not installed)"
    run_env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "OBSERVATORY_STORE")}
    folder = case.install(env.sources / "ons-els")
    try:
        return subprocess.run(
            [str(exe), "build", "--sources", str(env.sources), "--store", str(env.store.root),
             "--config", str(env.config_path)],
            capture_output=True, text=True, timeout=120, env=run_env, check=False,
        )  # fmt: skip
    finally:
        shutil.rmtree(folder)


@pytest.fixture(scope="module")
def cli_failure(env: Env) -> tuple[subprocess.CompletedProcess[str], str | None]:
    before = env.store.current_id()
    return _run_cli(env, BY_NAME["non-numeric"]), before


@needs_data
def test_cli_build_failure_exits_1_with_a_one_line_reason(
    env: Env, cli_failure: tuple[subprocess.CompletedProcess[str], str | None]
) -> None:
    proc, before = cli_failure
    assert proc.returncode == 1, proc.stderr[-2000:]
    last = proc.stderr.rstrip("\n").splitlines()[-1]
    assert last.startswith("observatory: build failed with 4 error(s); nothing was published"), last
    assert f"release {before} is still serving" in last
    assert "Traceback" not in proc.stderr
    # the finding names file, row and column (checked with the terminal's line wrapping undone)
    flat = " ".join(proc.stderr.split())
    where = "error: ons-els/non-numeric/non-numeric.csv, row 2, column 'observation': [value.not-a-number]"
    assert where in flat, proc.stderr[-2000:]
    assert env.store.current_id() == before


@needs_data
def test_cli_prints_each_finding_on_one_line(
    cli_failure: tuple[subprocess.CompletedProcess[str], str | None],
) -> None:
    proc, _ = cli_failure
    lines = proc.stderr.splitlines()
    wanted = "error: ons-els/non-numeric/non-numeric.csv, row 2, column 'observation': [value.not-a-number]"
    assert any(line.startswith(wanted) and line.rstrip().endswith("value)") for line in lines), proc.stderr
