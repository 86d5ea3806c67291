"""The CLI contract: documented commands, one-line reasons and exit codes, the formats it promises."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from observatory.pipeline.build import BuildReport
from observatory.store import Store

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
COMMANDS = ("build", "releases", "diff", "export", "fetch", "serve", "report")


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "observatory", *args], capture_output=True, text=True, env=env, timeout=300
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_is_documented(command: str) -> None:
    result = run(command, "--help")
    assert result.returncode == 0
    assert "Usage" in result.stdout
    assert f"observatory {command}" in README


def test_every_store_option_is_documented() -> None:
    for option in ("--sources", "--store", "--config", "--format", "--indicator", "--release", "--out", "--dest",
                   "--base-url", "OBSERVATORY_STORE", "OBSERVATORY_SOURCES", "OBSERVATORY_CONFIG"):  # fmt: skip
        assert option in README, option


def _one_line_reason(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines, "no reason on stderr"
    assert "Traceback" not in result.stderr
    return lines[-1]


def test_failures_give_one_line_reasons(tmp_path: Path) -> None:
    empty = str(tmp_path / "empty-store")
    result = run("releases", "--store", empty)
    assert result.returncode == 0 and "No releases yet" in result.stdout
    result = run("export", "--store", empty)
    assert result.returncode == 1
    assert "no release has been published" in _one_line_reason(result)
    result = run("build", "--sources", str(tmp_path / "nowhere"), "--store", empty)
    assert result.returncode == 1
    assert "nothing was published" in _one_line_reason(result)
    assert "source.missing" in result.stderr
    result = run("build", "--store", empty, env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 2 and "OBSERVATORY_SOURCES" in _one_line_reason(result)
    bad = tmp_path / "bad.toml"
    bad.write_text("[deployment]\nname = 1\n", encoding="utf-8")
    result = run("build", "--sources", str(tmp_path), "--config", str(bad), "--store", empty)
    assert result.returncode == 1 and re.search(r"bad\.toml: deployment\.name", _one_line_reason(result))
    result = run("export", "--format", "parquet", "--store", empty)
    assert result.returncode == 2 and "--out" in _one_line_reason(result)


def test_releases_export_and_errors_on_a_real_release(full_build: tuple[Store, BuildReport], tmp_path: Path) -> None:
    store, report = full_build
    root = str(store.root)
    listed = json.loads(run("releases", "--format", "json", "--store", root).stdout)
    current = [r for r in listed if r["current"]]
    assert len(current) == 1 and current[0]["id"] == report.release_id
    assert current[0]["observations"] == report.observations
    table = run("releases", "--store", root)
    assert report.release_id is not None and report.release_id in table.stdout and "current" in table.stdout

    result = run("export", "--indicator", "gross-value-added-per-hour-workd", "--store", root)
    assert result.returncode == 1
    assert "did you mean gross-value-added-per-hour-worked" in _one_line_reason(result)
    result = run("export", "--release", "20200101T000000Z-deadbeef", "--store", root)
    assert result.returncode == 1 and "no release" in _one_line_reason(result)
    result = run("export", "--release", "../../etc/passwd", "--store", root)
    assert result.returncode == 1 and "no release" in _one_line_reason(result)

    out = tmp_path / "gva.parquet"
    result = run("export", "--indicator", "gross-value-added-per-hour-worked", "--format", "parquet", "--out",
                 str(out), "--store", root)  # fmt: skip
    assert result.returncode == 0, result.stderr
    table_pq = pq.read_table(out)
    assert table_pq.column_names == [
        "area_code", "area_name", "indicator", "period", "period_start", "period_duration", "value", "lci_95",
        "uci_95", "numerator", "denominator", "status", "notes", "release",
    ]  # fmt: skip
    rows = table_pq.to_pylist()
    southend = [r for r in rows if r["area_code"] == "E06000033" and r["period"] == "2022-01-01/P1Y"]
    assert len(southend) == 1 and southend[0]["value"] == 29.84 and southend[0]["release"] == report.release_id

    csv_out = tmp_path / "gva.csv"
    assert run("export", "--indicator", "gross-value-added-per-hour-worked", "--out", str(csv_out),
               "--store", root).returncode == 0  # fmt: skip
    assert len(csv_out.read_text(encoding="utf-8").splitlines()) == len(rows) + 1
