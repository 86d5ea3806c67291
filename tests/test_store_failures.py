"""Issue 11, items 5 and 7: a store mounted read-only serves everything; a full disk fails honestly.

Both use real filesystems, mounted as root (as CI runs): a read-only bind mount of the full build's store,
and a small tmpfs that holds the current release with too little room for the next. A machine where
``mount`` is refused fails these tests rather than skipping them.
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from observatory.pipeline.build import BuildReport
from observatory.pipeline.publish import remove_orphans
from observatory.store import Store
from tests.conftest import CONFIG_PATH, copy_current, serving

SOUTHEND = "E06000033"


def _mount(*args: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"mount {' '.join(args)} failed (these tests run as root): {done.stderr}"


def _umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


@pytest.fixture(scope="module")
def read_only_store(full_build: tuple[Store, BuildReport], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    source = full_build[0].root
    target = tmp_path_factory.mktemp("store-ro")
    _mount("--bind", str(source), str(target))
    try:
        _mount("-o", "remount,ro,bind", str(target))
        probe = target / "write-probe"
        with pytest.raises(OSError, match="Read-only file system"):
            probe.write_bytes(b"x")
        yield target
    finally:
        _umount(target)


def test_a_read_only_store_serves_bulk_files_and_pdfs(
    read_only_store: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    log = tmp_path_factory.mktemp("serve-ro") / "serve.log"
    env = {"OBSERVATORY_CACHE_DIR": ""}  # not configured: the server must find a writable place itself
    with serving(read_only_store, log, env=env) as base, httpx.Client(base_url=base, timeout=300) as http:
        csv_gz = http.get("/api/v1/releases/current/observations.csv.gz")
        assert csv_gz.status_code == 200, csv_gz.text[:300]
        header = gzip.decompress(csv_gz.content).split(b"\n", 1)[0]
        assert header.startswith(b"area_code,area_name,indicator,period")
        parquet = http.get("/api/v1/releases/current/observations.parquet")
        assert parquet.status_code == 200, parquet.text[:300]
        assert parquet.content[:4] == b"PAR1" and parquet.content[-4:] == b"PAR1"
        pdf = http.get(f"/areas/{SOUTHEND}/report.pdf")
        assert pdf.status_code == 200, pdf.text[:300]
        assert pdf.content.startswith(b"%PDF")
        again = http.get(f"/areas/{SOUTHEND}/report.pdf", headers={"If-None-Match": pdf.headers["etag"]})
        assert again.status_code == 304
    assert not (read_only_store / "cache" / "write-probe").exists()


def test_a_configured_cache_dir_is_used(full_build: tuple[Store, BuildReport], tmp_path: Path) -> None:
    store = Store(full_build[0].root, cache_dir=tmp_path / "cache")
    assert store.cache_root() == tmp_path / "cache"
    os.environ["OBSERVATORY_CACHE_DIR"] = str(tmp_path / "env-cache")
    try:
        assert store.cache_root() == tmp_path / "env-cache"
    finally:
        del os.environ["OBSERVATORY_CACHE_DIR"]


# ---------------------------------------------------------------------------------------------------------------
# Item 7: a full disk


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    disk = tmp_path / "disk"
    disk.mkdir()
    _mount("-t", "tmpfs", "-o", "size=40m", "tmpfs", str(disk))
    try:
        yield disk
    finally:
        _umount(disk)


def test_a_full_disk_fails_in_one_line_and_the_previous_release_keeps_serving(
    full_build: tuple[Store, BuildReport], shared: Path, small_disk: Path
) -> None:
    store = copy_current(full_build[0], small_disk / "store")  # ~25 MB of 40: the next release cannot fit
    before = store.current_id()
    releases_before = sorted(p.name for p in store.releases.iterdir())
    result = subprocess.run(
        [sys.executable, "-m", "observatory", "build", "--sources", str(shared), "--store", str(store.root),
         "--config", str(CONFIG_PATH)],
        capture_output=True, text=True, check=False, timeout=1800,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("no space left on STORE") or "no space left on STORE" in lines[0], lines[0]
    assert "nothing was published" in lines[0]
    assert "Traceback" not in result.stdout + result.stderr
    assert store.current_id() == before
    assert sorted(p.name for p in store.releases.iterdir()) == releases_before  # no partial release or report
    assert list(store.tmp.iterdir()) == []  # partial files removed
    saved = list(store.failed.glob("*.json"))
    if saved:
        assert "the failed report is in" in lines[0] and str(saved[0]) in lines[0]
    else:
        assert "the failed report could not be saved" in lines[0]


def test_an_interrupted_publish_leaves_nothing_offered_as_previous(
    full_build: tuple[Store, BuildReport], tmp_path: Path
) -> None:
    store = copy_current(full_build[0], tmp_path / "store")
    current = store.current_id()
    assert current is not None
    # a publish killed after writing its report, and one killed after moving its release file into place
    orphan_report = store.releases / "20991231T235959Z-0badc0de.json"
    orphan_report.write_text("{}")
    never_current = "20991231T235958Z-00c0ffee"
    shutil.copy(store.release_path(current), store.release_path(never_current))
    (store.releases / f"{never_current}.json").write_text("{}")
    removed = remove_orphans(store)
    assert sorted(removed) == sorted([orphan_report.name, f"{never_current}.duckdb", f"{never_current}.json"])
    assert store.release_ids() == [current]
    assert store.current_id() == current
    with pytest.raises(Exception, match="no release before the current one"):
        store.resolve("previous")
