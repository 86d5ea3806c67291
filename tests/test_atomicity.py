"""Atomicity: a build killed with SIGKILL at any moment leaves the previous release serving."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from observatory.config import Config, load_config
from observatory.pipeline.build import build_release
from observatory.store import Store
from tests.conftest import link_reference_sources, reduced_config_file

DATASETS = ("gigabit-capable-broadband", "employment-rate", "gross-value-added", "business-demography")

KILLER = textwrap.dedent(
    """
    import os, signal, sys, threading
    from pathlib import Path
    from observatory.config import load_config
    from observatory.pipeline import build, publish
    from observatory.store import Store

    config, sources, store, phase, delay = sys.argv[1:6]

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    def progress(message):
        if message.startswith(phase):
            threading.Timer(float(delay), die).start() if float(delay) else die()

    if phase == "pointer":  # the release file is in place, CURRENT not yet switched
        real = publish.write_atomic
        def write_atomic(path, data):
            if path.name == "CURRENT":
                die()
            real(path, data)
        publish.write_atomic = write_atomic
    build.build_release(load_config(Path(config)), Path(sources), Store(Path(store)), progress=progress)
    print("finished without being killed")
    """
)


@pytest.fixture(scope="module")
def config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The deployment's config with ONS ELS, the boundaries and the lookups as its only sources."""
    return reduced_config_file(tmp_path_factory.mktemp("config") / "observatory.toml")


@pytest.fixture(scope="module")
def config(config_file: Path) -> Config:
    return load_config(config_file)


@pytest.fixture(scope="module")
def small_sources(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    root = tmp_path_factory.mktemp("small-sources")
    link_reference_sources(root, shared, reduced=True)
    (root / "ons-els").mkdir()
    for dataset in DATASETS:
        os.symlink(shared / "ons-els" / dataset, root / "ons-els" / dataset)
    return root


def _serving(store: Store) -> tuple[str | None, int]:
    with store.open() as con:
        row = con.execute("SELECT (SELECT id FROM release_info), (SELECT count(*) FROM observations)").fetchone()
    assert row is not None
    return row[0], row[1]


@pytest.mark.parametrize(
    ("phase", "delay"),
    [
        ("hashing inputs", "0"),
        ("reading ons-els", "0.05"),
        ("validating", "0"),
        ("writing release", "0"),
        ("writing release", "0.3"),  # in the middle of writing the DuckDB file
        ("verifying", "0"),
        ("publishing", "0"),
        ("pointer", "0"),
    ],
)
def test_sigkill_leaves_previous_release_serving(
    phase: str, delay: str, small_sources: Path, config: Config, config_file: Path, tmp_path: Path
) -> None:
    store = Store(tmp_path / "store")
    first = build_release(config, small_sources, store)
    before = _serving(store)
    assert before[0] == first.release_id
    proc = subprocess.run(
        [sys.executable, "-c", KILLER, str(config_file), str(small_sources), str(store.root), phase, delay],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
    assert store.current_id() == first.release_id
    assert _serving(store) == before
    again = build_release(config, small_sources, store)
    assert store.current_id() == again.release_id
    assert _serving(store)[0] == again.release_id
    assert list(store.tmp.iterdir()) == []  # debris of the killed build is gone


def test_sigkill_at_random_moments_of_the_cli(
    small_sources: Path, config: Config, config_file: Path, tmp_path: Path
) -> None:
    store = Store(tmp_path / "store")
    first = build_release(config, small_sources, store)
    before = _serving(store)
    cmd = [
        sys.executable,
        "-m",
        "observatory",
        "build",
        "--sources",
        str(small_sources),
        "--store",
        str(store.root),
        "--config",
        str(config_file),
    ]
    for delay in (0.2, 0.8, 1.5, 2.5):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        current = store.current_id()
        if current == first.release_id:
            assert _serving(store) == before
        else:  # the build finished before the kill: the new release is complete and serving
            assert _serving(store)[0] == current
    assert subprocess.run(cmd, capture_output=True, timeout=120).returncode == 0
    assert _serving(store)[0] == store.current_id()
