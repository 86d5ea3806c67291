"""Issue 11, item 8: provenance follows symlinks — every file a build reads is recorded in its inputs."""

from __future__ import annotations

import os
from pathlib import Path

from observatory.config import Config
from observatory.pipeline.build import DATA_SUFFIXES, PROVENANCE_SUFFIX, _inputs
from tests.conftest import link_sources


def test_a_sources_folder_of_symlinked_datasets_records_every_input(
    tmp_path: Path, shared: Path, config: Config
) -> None:
    linked = link_sources(tmp_path / "sources", shared)  # every ons-els dataset folder is a symlink
    assert all((linked / "ons-els" / d).is_symlink() for d in os.listdir(linked / "ons-els"))
    # expected, counted independently: every data file in the shared ONS ELS folders
    els_files = sorted(
        f"ons-els/{Path(root).relative_to(shared / 'ons-els').as_posix()}/{n}".replace("/./", "/")
        for root, _dirs, names in os.walk(shared / "ons-els")
        for n in names
        if Path(n).suffix in DATA_SUFFIXES and not n.endswith(PROVENANCE_SUFFIX)
    )
    direct, _ = _inputs(config, shared)
    via_links, findings = _inputs(config, linked)
    assert not findings
    recorded = sorted(f.path for f in via_links if f.path.startswith("ons-els/"))
    assert recorded == els_files
    assert len(els_files) > 100
    assert [(f.path, f.sha256, f.size) for f in via_links] == [(f.path, f.sha256, f.size) for f in direct]
