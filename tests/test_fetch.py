"""`observatory fetch` against a real loopback HTTP server (never the publishers' hosts)."""

from __future__ import annotations

import functools
import gzip
import hashlib
import itertools
import json
import os
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from observatory.config import Config, load_config
from observatory.pipeline.fetch import (
    REPORT_NAME,
    SIDECAR_SUFFIX,
    FetchError,
    Manifest,
    build_manifest,
    dump_manifest,
    fetch_sources,
    file_url,
    load_manifest,
    size_limit,
)
from tests.conftest import require, unless_ci
from tests.test_imd import DEPRIVATION_SOURCES, config_with_deprivation_sources

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
MANIFEST_FILE = ROOT / "src" / "observatory" / "pipeline" / "manifest.json"
FAST: dict[str, Any] = {"retries": 3, "backoff": 0.001, "timeout": 5.0}

needs_data = unless_ci(not SHARED_DATA.is_dir(), reason=f"{SHARED_DATA} not present")


@pytest.fixture(scope="module")
def config() -> Config:
    """observatory.toml with the deprivation and small-area sources, as the packaged manifest was built.

    (Those sources are added only while observatory.toml does not declare them yet; see tests/test_imd.py.)
    """
    return config_with_deprivation_sources(ROOT / "observatory.toml")


def only(config: Config, *names: str, **updates: str) -> Config:
    """The config with just the named sources (each updated with ``updates``)."""
    sources = [s.model_copy(update=updates) for s in config.sources if s.name in names]
    return config.model_copy(update={"sources": sources})


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def mirror_with(root: Path, files: dict[str, bytes], source: str = "ons-els") -> Manifest:
    """Lay out ``files`` under ``root/<source>/`` and return the manifest describing them."""
    entries: list[dict[str, object]] = []
    for path, data in files.items():
        target = root / source / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        entries.append({"path": path, "remote": path, "size": len(data), "sha256": sha(data)})
    return {source: entries}


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class Counter:
    def __init__(self) -> None:
        self.requests = 0
        self.paths: list[str] = []
        self.lock = threading.Lock()


def counting(fail_first: int = 0, status: int = 503) -> tuple[type[Quiet], Counter]:
    """A handler that answers the first ``fail_first`` requests with ``status``, and counts requests."""
    counter = Counter()

    class Handler(Quiet):
        def do_GET(self) -> None:
            with counter.lock:
                counter.requests += 1
                counter.paths.append(self.path)
                n = counter.requests
            if n <= fail_first:
                self.send_error(status)
                return
            super().do_GET()

    return Handler, counter


@contextmanager
def serve(directory: Path, handler: type[Quiet] = Quiet) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def closed_port() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port: int = s.getsockname()[1]
    s.close()
    return port


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


# --- manifest ------------------------------------------------------------------------------------------


@needs_data
def test_packaged_manifest_is_current(config: Config) -> None:
    manifest = build_manifest(SHARED_DATA, config)
    assert dump_manifest(manifest) == MANIFEST_FILE.read_text("utf-8")
    assert load_manifest() == manifest
    assert set(manifest) == {s.name for s in config.sources}
    assert {len(v) for v in manifest.values()} and all(manifest.values())
    for name, entries in manifest.items():
        paths = [str(e["path"]) for e in entries]
        assert paths == sorted(paths)
        assert not any(p.endswith(".md") for p in paths)
        if name == "ons-els":
            assert all(e["remote"] == e["path"] for e in entries)
    boundaries = {e["path"]: e["remote"] for e in manifest["ons-boundaries"]}
    assert boundaries == {"uk-topo.json": "output/topo.json"}
    lookups = {e["path"]: e["remote"] for e in manifest["ons-geography-lookups"]}
    assert lookups["IMD_Dec2019_Lookup_England_LSOA11_LAD19_IMD19.csv"] == "csv/004.csv"
    assert len(lookups) == 9 and all(str(r).startswith("csv/") for r in lookups.values())
    # IoD2019 LSOA files: the publisher's copy is gzip-compressed; DERIVED_* (not upstream) is not listed
    imd = {e["path"]: e for e in manifest["imd2019-lsoa"]}
    assert sorted(imd) == [
        "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv",
        "File_2_-_IoD2019_Domains_of_Deprivation.csv",
        "File_6_-_IoD2019_Population_Denominators.csv",
    ]
    for path, e in imd.items():
        assert e["compression"] == "gzip"
        assert e["remote"] == f"02-EnergyModel/Energy_Intensity_Analysis/data/imd/{path}.gz"
        assert e["size"] == (SHARED_DATA / "imd2019-lsoa" / path).stat().st_size  # the decompressed file
    summaries = {e["path"]: e["remote"] for e in manifest["iod-lad-summaries"]}
    assert summaries == {
        "IoD2019_lad_summaries_long.csv": "IndicesOfDeprivation/IoD2019/local_authority_district/IoD2019.csv",
        "IoD2025_lad_summaries_long.csv": (
            "IndicesOfDeprivation/IoD2025/local_authority_district/indices_of_deprivation_2025_lad.csv"
        ),
    }
    # only the LSOA GeoJSON the reader uses: not topo_*, msoa11/ or wards2013/
    small = {e["path"]: e["remote"] for e in manifest["essex-small-area-boundaries"]}
    assert len(small) == 14
    for path, remote in small.items():
        assert re.fullmatch(r"lsoa11/E0[67]\d{6}\.json", str(path))
        assert remote == f"json/statistical/eng/lsoa_by_lad/{str(path).removeprefix('lsoa11/')}"
    assert not any("compression" in e for name, v in manifest.items() if name != "imd2019-lsoa" for e in v)


def test_deprivation_sources_are_configured_for_the_manifest(config: Config) -> None:
    """The test config has the three sources (from observatory.toml once the entries are added there)."""
    assert set(DEPRIVATION_SOURCES) <= {s.name for s in config.sources}
    assert set(DEPRIVATION_SOURCES) <= set(load_manifest())


def test_load_manifest_covers_configured_sources(config: Config) -> None:
    manifest = load_manifest()
    for source in config.sources:
        assert manifest[source.name], source.name


def test_file_url_quotes_segments_and_uses_remote(config: Config) -> None:
    source = only(config, "ons-boundaries").sources[0]
    path, remote = PurePosixPath("a b/c#d.csv"), PurePosixPath("output/topo.json")
    assert file_url(source, path, remote) == source.download_base + "output/topo.json"
    mirrored = file_url(source, path, remote, "http://127.0.0.1:9/mirror/")
    assert mirrored == "http://127.0.0.1:9/mirror/ons-boundaries/a%20b/c%23d.csv"
    assert issubclass(FetchError, RuntimeError)


# --- fetching ------------------------------------------------------------------------------------------


@needs_data
def test_fetch_everything_from_a_mirror(config: Config, tmp_path: Path) -> None:
    manifest = load_manifest()
    dest = tmp_path / "raw"
    calls: list[tuple[str, int, int]] = []
    with serve(SHARED_DATA) as base:
        report = fetch_sources(config, dest, base_url=base + "/", progress=lambda *a: calls.append(a), **FAST)
    expected_files = sum(len(v) for v in manifest.values())
    expected_bytes = sum(int(str(e["size"])) for v in manifest.values() for e in v)
    assert report.files == expected_files
    assert report.bytes == expected_bytes
    assert report.changed == []
    assert report.duration > 0
    assert report.sources == {name: len(v) for name, v in manifest.items()}

    by_name = {s.name: s for s in config.sources}
    for name, entries in manifest.items():
        for e in entries:
            got = dest / name / str(e["path"])
            data = got.read_bytes()
            assert data == (SHARED_DATA / name / str(e["path"])).read_bytes()
            assert sha(data) == e["sha256"] and len(data) == e["size"]
            side = json.loads(got.with_name(got.name + SIDECAR_SUFFIX).read_text("utf-8"))
            assert side["url"].startswith(f"{base}/{name}/")
            assert side["sha256"] == side["expected_sha256"] == e["sha256"]
            assert side["size"] == e["size"]
            assert side["matches_manifest"] is True
            assert side["licence"] == by_name[name].licence
            assert side["attribution"] == by_name[name].attribution
            assert side["fetched_at"].endswith("+00:00")

    # the fetched tree is a faithful copy: its manifest is the packaged one, and no temp files remain
    assert build_manifest(dest, config) == manifest
    assert not [p for p in dest.rglob("*.part")]
    summary = json.loads((dest / REPORT_NAME).read_text("utf-8"))
    assert summary["files"] == expected_files and summary["changed_upstream"] == []
    assert summary["sources"]["ons-els"]["files"] == len(manifest["ons-els"])

    assert calls and calls[-1][1] == calls[-1][2] == expected_bytes
    assert all(a[1] <= b[1] for a, b in itertools.pairwise(calls))


def test_retries_5xx_then_succeeds(config: Config, tmp_path: Path) -> None:
    manifest = mirror_with(tmp_path / "mirror", {"a/a.csv": b"areacd,observation\nE07000066,1\n"})
    handler, counter = counting(fail_first=2, status=503)
    with serve(tmp_path / "mirror", handler) as base:
        report = fetch_sources(only(config, "ons-els"), tmp_path / "raw", base_url=base, manifest=manifest, **FAST)
    assert counter.requests == 3
    assert report.files == 1 and report.changed == []
    assert (tmp_path / "raw/ons-els/a/a.csv").read_bytes() == b"areacd,observation\nE07000066,1\n"


def test_gives_up_after_retries(config: Config, tmp_path: Path) -> None:
    manifest = mirror_with(tmp_path / "mirror", {"a/a.csv": b"x\n"})
    handler, counter = counting(fail_first=100, status=429)
    with serve(tmp_path / "mirror", handler) as base, pytest.raises(FetchError) as err:
        fetch_sources(
            only(config, "ons-els"),
            tmp_path / "raw",
            base_url=base,
            manifest=manifest,
            **{**FAST, "retries": 2},
        )
    assert counter.requests == 3
    assert f"{base}/ons-els/a/a.csv" in str(err.value) and "429" in str(err.value)
    assert not (tmp_path / "raw/ons-els/a/a.csv").exists()


@pytest.mark.parametrize("status", [404, 403])
def test_client_errors_are_not_retried_and_name_the_url(config: Config, tmp_path: Path, status: int) -> None:
    manifest = mirror_with(tmp_path / "mirror", {"a/a.csv": b"x\n"})
    handler, counter = counting(fail_first=100, status=status)
    with serve(tmp_path / "mirror", handler) as base, pytest.raises(FetchError) as err:
        fetch_sources(only(config, "ons-els"), tmp_path / "raw", base_url=base, manifest=manifest, **FAST)
    assert counter.requests == 1
    message = str(err.value)
    assert f"{base}/ons-els/a/a.csv" in message and str(status) in message
    assert "\n" not in message


def test_missing_file_on_server_is_404(config: Config, tmp_path: Path) -> None:
    manifest = mirror_with(tmp_path / "mirror", {"a/a.csv": b"x\n"})
    (tmp_path / "mirror/ons-els/a/a.csv").unlink()
    with serve(tmp_path / "mirror") as base, pytest.raises(FetchError, match="404") as err:
        fetch_sources(only(config, "ons-els"), tmp_path / "raw", base_url=base, manifest=manifest, **FAST)
    assert f"{base}/ons-els/a/a.csv" in str(err.value)


def test_unreachable_host_says_offline(config: Config, tmp_path: Path) -> None:
    manifest = {"ons-els": [{"path": "a/a.csv", "remote": "a/a.csv", "size": 2, "sha256": sha(b"x\n")}]}
    port = closed_port()
    with pytest.raises(FetchError) as err:
        fetch_sources(
            only(config, "ons-els"),
            tmp_path / "raw",
            base_url=f"http://127.0.0.1:{port}",
            manifest=manifest,
            **{**FAST, "retries": 1},
        )
    message = str(err.value)
    assert message.startswith(f"cannot reach 127.0.0.1:{port}")
    assert "offline" in message and "--base-url" in message and "\n" not in message


def test_download_base_uses_publisher_names(config: Config, tmp_path: Path) -> None:
    data = b'{"type":"Topology","objects":{}}'
    (tmp_path / "publisher/output").mkdir(parents=True)
    (tmp_path / "publisher/output/topo.json").write_bytes(data)
    manifest = {
        "ons-boundaries": [
            {"path": "uk-topo.json", "remote": "output/topo.json", "size": len(data), "sha256": sha(data)}
        ]
    }
    handler, counter = counting()
    with serve(tmp_path, handler) as base:
        cfg = only(config, "ons-boundaries", download_base=f"{base}/publisher/")
        report = fetch_sources(cfg, tmp_path / "raw", manifest=manifest, **FAST)
    assert counter.paths == ["/publisher/output/topo.json"]
    assert report.files == 1 and report.changed == []
    assert (tmp_path / "raw/ons-boundaries/uk-topo.json").read_bytes() == data
    side = json.loads((tmp_path / "raw/ons-boundaries/uk-topo.json.provenance.json").read_text("utf-8"))
    assert side["url"] == f"{base}/publisher/output/topo.json"


def gzip_publisher(root: Path, files: dict[str, bytes]) -> Manifest:
    """The publisher serves ``<name>.gz`` under ``root/publisher/imd/``; the manifest describes the plain files."""
    (root / "publisher/imd").mkdir(parents=True)
    entries: list[dict[str, object]] = []
    for name, data in files.items():
        (root / "publisher/imd" / f"{name}.gz").write_bytes(gzip.compress(data))
        entries.append(
            {"path": name, "remote": f"imd/{name}.gz", "compression": "gzip", "size": len(data), "sha256": sha(data)}
        )
    return {"imd2019-lsoa": entries}


def test_gzip_from_the_publisher_is_decompressed_while_streaming(config: Config, tmp_path: Path) -> None:
    plain = "\ufeffLSOA code (2011),Rank\r\n".encode() + b"E01015814,19102\r\n" * 20000
    manifest = gzip_publisher(tmp_path, {"File_2.csv": plain})
    served = (tmp_path / "publisher/imd/File_2.csv.gz").read_bytes()
    handler, counter = counting()
    calls: list[tuple[str, int, int]] = []
    with serve(tmp_path, handler) as base:
        cfg = only(config, "imd2019-lsoa", download_base=f"{base}/publisher/")
        report = fetch_sources(cfg, tmp_path / "raw", manifest=manifest, progress=lambda *a: calls.append(a), **FAST)
    assert counter.paths == ["/publisher/imd/File_2.csv.gz"]
    got = tmp_path / "raw/imd2019-lsoa/File_2.csv"
    assert got.read_bytes() == plain
    assert report.changed == [] and report.bytes == len(plain)
    assert calls[-1][1:] == (len(plain), len(plain))  # progress counts the local (decompressed) bytes
    side = json.loads(got.with_name(got.name + SIDECAR_SUFFIX).read_text("utf-8"))
    assert side["url"] == f"{base}/publisher/imd/File_2.csv.gz"
    assert side["sha256"] == side["expected_sha256"] == sha(plain) and side["matches_manifest"] is True
    assert side["compression"] == "gzip"
    assert (side["served_sha256"], side["served_size"]) == (sha(served), len(served))
    assert files_under(tmp_path / "raw/imd2019-lsoa") == ["File_2.csv", "File_2.csv.provenance.json"]


def test_a_mirror_holds_plain_files_so_nothing_is_decompressed(config: Config, tmp_path: Path) -> None:
    plain = b"LSOA code (2011),Rank\nE01015814,19102\n"
    manifest = gzip_publisher(tmp_path / "unused", {"File_2.csv": plain})
    mirror = tmp_path / "mirror/imd2019-lsoa"
    mirror.mkdir(parents=True)
    (mirror / "File_2.csv").write_bytes(plain)
    handler, counter = counting()
    with serve(tmp_path / "mirror", handler) as base:
        report = fetch_sources(only(config, "imd2019-lsoa"), tmp_path / "raw", base_url=base, manifest=manifest, **FAST)
    assert counter.paths == ["/imd2019-lsoa/File_2.csv"]
    assert report.changed == []
    assert (tmp_path / "raw/imd2019-lsoa/File_2.csv").read_bytes() == plain
    side = json.loads((tmp_path / "raw/imd2019-lsoa/File_2.csv.provenance.json").read_text("utf-8"))
    assert "compression" not in side and side["matches_manifest"] is True


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"LSOA code (2011)\nE01015814\n", "expected gzip data"),
        (gzip.compress(b"E01015814,19102\n" * 5000, mtime=0)[:-12], "truncated"),
        (gzip.compress(b"x", mtime=0) + b"not gzip", "corrupt gzip"),  # mtime=0: the same test id in every xdist worker
        (b"", "empty response"),
    ],
)
def test_bad_gzip_is_an_error_and_leaves_no_file(config: Config, tmp_path: Path, body: bytes, message: str) -> None:
    manifest = gzip_publisher(tmp_path, {"File_2.csv": b"E01015814,19102\n"})
    (tmp_path / "publisher/imd/File_2.csv.gz").write_bytes(body)
    with serve(tmp_path) as base, pytest.raises(FetchError, match=message) as err:
        cfg = only(config, "imd2019-lsoa", download_base=f"{base}/publisher/")
        fetch_sources(cfg, tmp_path / "raw", manifest=manifest, **FAST)
    assert f"{base}/publisher/imd/File_2.csv.gz" in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "raw").exists() or files_under(tmp_path / "raw") == []


def test_unknown_compression_in_the_manifest_is_refused(config: Config, tmp_path: Path) -> None:
    manifest = {
        "imd2019-lsoa": [{"path": "a.csv", "remote": "a.zip", "compression": "zip", "size": 1, "sha256": "0" * 64}]
    }
    with pytest.raises(FetchError, match="compression"):
        fetch_sources(only(config, "imd2019-lsoa"), tmp_path, base_url="http://127.0.0.1:9", manifest=manifest, **FAST)


@needs_data
def test_packaged_imd_entries_fetch_from_a_gzip_publisher(config: Config, tmp_path: Path) -> None:
    """The real IoD2019 files, served gzip-compressed at their publisher paths, arrive as the shared copies."""
    manifest = {"imd2019-lsoa": load_manifest()["imd2019-lsoa"]}
    for e in manifest["imd2019-lsoa"]:
        target = tmp_path / "publisher" / str(e["remote"])
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(gzip.compress((SHARED_DATA / "imd2019-lsoa" / str(e["path"])).read_bytes(), mtime=0))
    with serve(tmp_path) as base:
        cfg = only(config, "imd2019-lsoa", download_base=f"{base}/publisher/")
        report = fetch_sources(cfg, tmp_path / "raw", manifest=manifest, **FAST)
    assert report.files == 3 and report.changed == []
    assert build_manifest(tmp_path / "raw", cfg) == manifest


@pytest.mark.parametrize(
    ("path", "remote"),
    [
        ("../evil.csv", "evil.csv"),
        ("a/../../evil.csv", "evil.csv"),
        ("/tmp/evil.csv", "evil.csv"),
        ("a\\..\\..\\evil.csv", "evil.csv"),
        ("ok.csv", "../../other-repo/evil.csv"),
    ],
)
def test_refuses_paths_that_escape(config: Config, tmp_path: Path, path: str, remote: str) -> None:
    manifest = {"ons-els": [{"path": path, "remote": remote, "size": 2, "sha256": sha(b"x\n")}]}
    handler, counter = counting()
    dest = tmp_path / "sandbox" / "raw"
    with serve(tmp_path, handler) as base, pytest.raises(FetchError, match="refusing"):
        fetch_sources(only(config, "ons-els"), dest, base_url=base, manifest=manifest, **FAST)
    assert counter.requests == 0  # refused before anything is downloaded
    assert not (tmp_path / "sandbox").exists()


def test_configured_source_missing_from_manifest(config: Config, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="ons-boundaries"):
        fetch_sources(config, tmp_path, base_url="http://127.0.0.1:9", manifest={"ons-els": []}, **FAST)


def test_changed_upstream_is_reported_not_an_error(config: Config, tmp_path: Path) -> None:
    manifest = mirror_with(tmp_path / "mirror", {"a/a.csv": b"old\n", "b/b.csv": b"same\n"})
    (tmp_path / "mirror/ons-els/a/a.csv").write_bytes(b"revised by the publisher\n")
    with serve(tmp_path / "mirror") as base:
        report = fetch_sources(only(config, "ons-els"), tmp_path / "raw", base_url=base, manifest=manifest, **FAST)
    assert report.files == 2
    assert report.changed == ["ons-els/a/a.csv"]
    side = json.loads((tmp_path / "raw/ons-els/a/a.csv.provenance.json").read_text("utf-8"))
    assert side["matches_manifest"] is False
    assert side["expected_sha256"] == sha(b"old\n")
    assert side["sha256"] == sha(b"revised by the publisher\n")
    assert (tmp_path / "raw/ons-els/a/a.csv").read_bytes() == b"revised by the publisher\n"
    summary = json.loads((tmp_path / "raw" / REPORT_NAME).read_text("utf-8"))
    assert summary["changed_upstream"] == ["ons-els/a/a.csv"]
    assert summary["sources"]["ons-els"]["changed"] == ["a/a.csv"]


def test_interrupted_before_rename_leaves_no_file(
    config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = mirror_with(tmp_path / "mirror", {"a/a.csv": b"areacd\nE07000066\n" * 1000})
    final = tmp_path / "raw/ons-els/a/a.csv"

    def killed(src: object, dst: object) -> None:
        assert Path(str(src)).exists() and Path(str(src)).parent == final.parent  # temp beside the target
        raise OSError("killed between write and rename")

    with serve(tmp_path / "mirror") as base:
        monkeypatch.setattr(os, "replace", killed)
        with pytest.raises(FetchError, match="killed"):
            fetch_sources(only(config, "ons-els"), tmp_path / "raw", base_url=base, manifest=manifest, **FAST)
        monkeypatch.undo()
    assert not final.exists()
    assert files_under(tmp_path / "raw") == []  # the temp file was cleaned up too


def test_connection_dropped_mid_file_is_retried(config: Config, tmp_path: Path) -> None:
    body = b"areacd,observation\n" + b"E07000066,1\n" * 5000
    manifest = mirror_with(tmp_path / "mirror", {"a/a.csv": body})
    counter = Counter()

    class Truncating(Quiet):
        def do_GET(self) -> None:
            with counter.lock:
                counter.requests += 1
                first = counter.requests == 1
            if first:  # promise the whole file, send a tenth of it, hang up
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 10])
                self.wfile.flush()
                self.close_connection = True
                return
            super().do_GET()

    calls: list[tuple[str, int, int]] = []
    with serve(tmp_path / "mirror", Truncating) as base:
        report = fetch_sources(
            only(config, "ons-els"),
            tmp_path / "raw",
            base_url=base,
            manifest=manifest,
            progress=lambda *a: calls.append(a),
            **FAST,
        )
    assert counter.requests == 2
    assert report.changed == [] and report.bytes == len(body)
    assert (tmp_path / "raw/ons-els/a/a.csv").read_bytes() == body
    assert calls[-1][1:] == (len(body), len(body))
    assert files_under(tmp_path / "raw/ons-els") == ["a/a.csv", "a/a.csv.provenance.json"]


def test_cli_fetch_then_build_from_what_was_fetched(tmp_path: Path) -> None:
    """`observatory fetch --base-url` downloads every configured source; a build from the copy succeeds."""
    import subprocess
    import sys

    dest = tmp_path / "fetched"
    require(SHARED_DATA.is_dir(), "no shared data")
    with serve(SHARED_DATA) as url:
        result = subprocess.run(
            [sys.executable, "-m", "observatory", "fetch", "--dest", str(dest), "--base-url", url],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    configured = load_config(ROOT / "observatory.toml").sources  # what the CLI fetches: the default config
    assert f"Fetched {sum(len(load_manifest()[s.name]) for s in configured)} files" in result.stdout
    built = subprocess.run(
        [sys.executable, "-m", "observatory", "build", "--sources", str(dest), "--store", str(tmp_path / "store")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    # every row of every configured source: 1,576,835 of the statistics sources + 132,083 of the place sources
    # (659 boundaries, 34,753 best-fit rows, 35,038 place names, 61,633 NSPL postcodes)
    assert "1708918" in built.stdout.replace(",", "")
    offline = subprocess.run(
        [sys.executable, "-m", "observatory", "fetch", "--dest", str(tmp_path / "x"), "--base-url",
         f"http://127.0.0.1:{closed_port()}", "--retries", "1"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert offline.returncode == 1
    assert "offline" in offline.stderr.strip().splitlines()[-1]


# --- issue 11, item 6: size cap, cross-origin redirects, the URL the bytes came from, readable files -----------


def test_a_file_far_larger_than_the_manifest_says_is_refused(config: Config, tmp_path: Path) -> None:
    manifest = mirror_with(tmp_path / "mirror", {"a/a.csv": b"x" * 100})
    (tmp_path / "mirror" / "ons-els" / "a" / "a.csv").write_bytes(b"x" * (size_limit(100) + 1))  # a hostile mirror
    dest = tmp_path / "raw"
    with serve(tmp_path / "mirror") as base, pytest.raises(FetchError, match=r"more than 1,048,776 bytes; refused"):
        fetch_sources(only(config, "ons-els"), dest, base_url=base, manifest=manifest, **FAST)
    assert not (dest / "ons-els" / "a" / "a.csv").exists()
    assert not list(dest.rglob("*.part"))


def redirecting(to: str) -> type[Quiet]:
    class Handler(Quiet):
        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", to + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler


def test_redirects_to_another_site_are_refused_unless_allowed(config: Config, tmp_path: Path) -> None:
    data = b"areacd,observation\nE06000033,1\n"
    manifest = mirror_with(tmp_path / "mirror", {"a/a.csv": data})
    cfg = only(config, "ons-els")
    with serve(tmp_path / "mirror") as real:
        other = real.replace("127.0.0.1", "localhost")  # another origin (host), the same bytes
        with serve(tmp_path / "empty", redirecting(other)) as hostile:
            with pytest.raises(FetchError, match="redirected to another site"):
                fetch_sources(cfg, tmp_path / "refused", base_url=hostile, manifest=manifest, **FAST)
            assert not (tmp_path / "refused" / "ons-els" / "a" / "a.csv").exists()
            old = os.umask(0o077)  # a restrictive umask must not make the files private to the fetching user
            try:
                fetch_sources(cfg, tmp_path / "ok", base_url=hostile, manifest=manifest, redirect_hosts=["localhost"],
                              **FAST)  # fmt: skip
            finally:
                os.umask(old)
    got = tmp_path / "ok" / "ons-els" / "a" / "a.csv"
    assert got.read_bytes() == data
    side_path = got.with_name(got.name + SIDECAR_SUFFIX)
    side = json.loads(side_path.read_text("utf-8"))
    assert side["url"] == f"{hostile}/ons-els/a/a.csv"
    assert side["final_url"] == f"{other}/ons-els/a/a.csv"  # where the bytes actually came from
    assert got.stat().st_mode & 0o777 == 0o644
    assert side_path.stat().st_mode & 0o777 == 0o644
