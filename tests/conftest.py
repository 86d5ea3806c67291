"""Shared fixtures: where the real data lives, and one full build reused by the slow tests."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from observatory.config import Config, load_config
from observatory.pipeline.build import BuildReport, build_release
from observatory.store import Store
from observatory.web.app import create_app
from observatory.web.pages import clear_caches

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
CONFIG_PATH = REPO / "observatory.toml"


@pytest.fixture(scope="module")
def store(full_build: tuple[Store, BuildReport]) -> Store:
    return full_build[0]


@pytest.fixture(scope="module")
def client(store: Store, config: Config) -> Iterator[TestClient]:
    """The site and API in-process on the full release, with empty per-release page caches."""
    clear_caches()
    with TestClient(create_app(store, config), raise_server_exceptions=False) as c:
        yield c
    clear_caches()


# In CI (CI=true, set by .ci/run) a missing prerequisite is a failure: CI must check what it claims to.
IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def require(present: bool, what: str) -> None:
    """Go on if ``present``; otherwise fail in CI and skip on a developer's machine, saying ``what`` is missing.

    For prerequisites only (shared data, Chromium): a wrong page or value is always a failure, never a skip.
    """
    if present:
        return
    if IN_CI:
        pytest.fail(f"{what}: CI must run this test, so this is a failure, not a skip")
    pytest.skip(what)


def unless_ci(missing: bool, reason: str) -> pytest.MarkDecorator:
    """``skipif`` for a missing prerequisite that never skips in CI (there the test runs and fails)."""
    return pytest.mark.skipif(missing and not IN_CI, reason=reason)


def need_shared() -> Path:
    require(SHARED.is_dir(), f"the shared data folder {SHARED} is not beside this checkout")
    return SHARED


@pytest.fixture(scope="session")
def shared() -> Path:
    return need_shared()


@pytest.fixture(scope="session")
def config() -> Config:
    return load_config(CONFIG_PATH)


@pytest.fixture(scope="session")
def full_build(
    tmp_path_factory: pytest.TempPathFactory, shared: Path, config: Config
) -> Iterator[tuple[Store, BuildReport]]:
    """One release built from all of ../shared/data, shared by every test that only reads it."""
    store = Store(tmp_path_factory.mktemp("store-full"))
    report = build_release(config, shared, store)
    yield store, report


def reference_sources() -> list[str]:
    """Every configured source except ONS ELS: what a build needs beside the indicator files."""
    return [s.name for s in load_config(CONFIG_PATH).sources if s.name != "ons-els"]


# A build of ONS ELS with only the areas it needs (boundaries and lookups), for the tests about the build
# itself — atomicity, bad input, formula-safe downloads — rather than about the other publishers' data.
# The other sources are most of a full build's time and would be read again by each of those builds.
REDUCED_SOURCES = ("ons-els", "ons-boundaries", "ons-geography-lookups")


def reduced_config_file(target: Path) -> Path:
    """``observatory.toml`` with only the ``REDUCED_SOURCES`` among its ``[[sources]]``, written to ``target``.

    Everything else (areas, groups, themes, deployment) is the deployment's own text, so the CLI can read it.
    """
    chunks = re.split(r"(?m)^(?=\[)", CONFIG_PATH.read_text(encoding="utf-8"))
    kept = [
        c
        for c in chunks
        if not c.startswith("[[sources]]") or re.search(r'(?m)^name = "([^"]+)"', c)[1] in REDUCED_SOURCES  # type: ignore[index]
    ]
    target.write_text("".join(kept), encoding="utf-8")
    names = [s.name for s in load_config(target).sources]
    assert names == list(REDUCED_SOURCES), f"{target}: sources {names}, expected {REDUCED_SOURCES}"
    return target


def reduced_config(tmp: Path) -> Config:
    return load_config(reduced_config_file(tmp / "observatory-reduced.toml"))


def link_reference_sources(target: Path, shared: Path, *, reduced: bool = False) -> None:
    """Symlinks to the shared data of every source but ONS ELS (``reduced``: of ``REDUCED_SOURCES`` only)."""
    target.mkdir(parents=True, exist_ok=True)
    for source in REDUCED_SOURCES[1:] if reduced else reference_sources():
        os.symlink(shared / source, target / source)


def link_sources(target: Path, shared: Path, replace: dict[str, Path] | None = None) -> Path:
    """A sources folder of symlinks to the shared data, with some ons-els files swapped for others.

    ``replace`` maps ``<dataset>/<file>.csv`` (relative to ons-els) to the file that should stand there —
    how an older vintage is built: the old file where the current one would be.
    """
    replace = replace or {}
    link_reference_sources(target, shared)
    els = target / "ons-els"
    els.mkdir()
    swapped = {Path(k).parts[0] for k in replace}
    for dataset in sorted((shared / "ons-els").iterdir()):
        if not dataset.is_dir():
            continue
        if dataset.name not in swapped:
            os.symlink(dataset, els / dataset.name)
            continue
        (els / dataset.name).mkdir()
        for f in dataset.iterdir():
            rel = f"{dataset.name}/{f.name}"
            os.symlink(replace.get(rel, f), els / dataset.name / f.name)
    return target


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def observatory_command() -> list[str]:
    exe = Path(sys.executable).parent / "observatory"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("observatory")
    if found:
        return [found]
    return [sys.executable, "-c", "from observatory.cli import main; main()"]


def _wait_for(proc: subprocess.Popen[bytes], base: str, log: Path, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"observatory serve exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(base + "/", timeout=30).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"observatory serve did not answer within {timeout:.0f} s:\n{log.read_text(errors='replace')}")


@contextlib.contextmanager
def serving(store_root: Path, log: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """``observatory serve`` on a store, on a free loopback port, as a real process; yields its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [*observatory_command(), "serve", "--store", str(store_root), "--port", str(port), "--host", "127.0.0.1",
           "--config", str(CONFIG_PATH)]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    try:
        _wait_for(proc, base, log)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def copy_current(source: Store, target: Path) -> Store:
    """A new store at ``target`` holding a copy of ``source``'s current release (as current)."""
    from observatory.store import write_atomic

    store = Store(target)
    store.ensure()
    current = source.current_id()
    assert current is not None
    shutil.copy(source.release_path(current), store.release_path(current))
    report = source.releases / f"{current}.json"
    if report.exists():
        shutil.copy(report, store.releases / report.name)
    write_atomic(store.pointer, current.encode())
    return store
