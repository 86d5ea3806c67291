"""`observatory fetch`: download the configured sources from their publishers (DESIGN.md §2, "Raw first").

The packaged ``manifest.json`` lists, per source, every file the build reads::

    {"ons-els": [{"path": "museums/museums.csv", "remote": "museums/museums.csv",
                  "size": 12345, "sha256": "…"}, …], …}

``path`` is where the file lives under the source folder (``<sources>/<source>/<path>``); ``remote`` is
where it lives under the source's ``download_base`` (the publisher's layout, which differs for renamed
files). :func:`fetch_sources` downloads each file - from ``download_base + remote``, or from a mirror laid
out like the sources directory (``base_url/<source>/<path>``) - streaming it to a temporary file beside the
final path, fsyncing and renaming it into place, so a crash never leaves a half file where the build
looks. Every file gets a ``<file>.provenance.json`` sidecar (url, sha256, size, fetched_at, licence,
attribution, the manifest's expected sha256) and the run writes ``fetch-report.json``.

A file whose sha256 differs from the manifest is not an error - publishers revise files - it is recorded
in the sidecar and reported as "changed upstream"; validation decides later whether it can be used.

An entry may say ``"compression": "gzip"``: the publisher serves ``remote`` gzip-compressed (the IoD2019
LSOA files) and the fetch decompresses it while streaming, so the local copy is the plain file and the
manifest's ``size``/``sha256`` are those of the decompressed bytes. A mirror (``--base-url``) holds the
plain files, as the sources directory does, so nothing is decompressed when fetching from one.

Regenerate the manifest from a local copy of the sources with::

    python -m observatory.pipeline.fetch /path/to/sources [--config observatory.toml]
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.resources
import json
import os
import re
import tempfile
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

import httpx

from observatory.config import Config, Source
from observatory.model import PROVENANCE_SUFFIX

DEFAULT_TIMEOUT = 30.0  # seconds, per connect / read / write (not per whole file)
DEFAULT_RETRIES = 3  # further attempts after the first
DEFAULT_BACKOFF = 0.5  # seconds before the first retry; doubles each retry
MAX_RETRY_AFTER = 60.0  # cap on a server's Retry-After
CHUNK_SIZE = 1 << 16
MANIFEST_NAME = "manifest.json"
REPORT_NAME = "fetch-report.json"
SIDECAR_SUFFIX = PROVENANCE_SUFFIX
DATA_SUFFIXES = (".csv", ".json", ".xlsx", ".parquet", ".gz")
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
USER_AGENT = "south-essex-data-observatory-fetch/0.1"

# Files whose name here differs from the publisher's (the rest keep remote == path).
# ons-geography-lookups: see shared/data/ons-geography-lookups/PROVENANCE.md ("file here | repo path").
REMOTE_NAMES: dict[str, dict[str, str]] = {
    "ons-boundaries": {
        "uk-topo.json": "output/topo.json",
    },
    "ons-geography-lookups": {
        "IMD_Dec2019_Lookup_England_LSOA11_LAD19_IMD19.csv": "csv/004.csv",
        "LSOA11_to_Ward19_to_LAD19_Lookup_EW.csv": "csv/135.csv",
        "Ward19_to_LAD19_to_County19_to_Region19_to_Country19_Lookup_UK.csv": "csv/165.csv",
        "LAD18_to_NUTS3_NUTS2_NUTS1_Jan2018_Lookup_UK.csv": "csv/176.csv",
        "LAD20_to_County20_Apr2020_Lookup_England.csv": "csv/030.csv",
        "LTLA19_to_UTLA19_Apr2019_Lookup_EW.csv": "csv/177.csv",
        "LAD_Apr2020_Names_and_Codes_UK.csv": "csv/276.csv",
        "Regions_Dec2019_Names_and_Codes_England.csv": "csv/252.csv",
        "Counties_Apr2020_Names_and_Codes_England.csv": "csv/240.csv",
    },
    # ons-gva-itl3-by-industry: DanOlner/ukcompare data/sectors/ (names with spaces; renamed, unchanged).
    "ons-gva-itl3-by-industry": {
        "Table_3c_ITL3_UK_current_price_estimates_pounds_million.csv": (
            "Table 3c ITL3 UK current price estimates pounds million.csv"
        ),
        "Table_3b_ITL3_UK_chained_volume_measures_2019_money_pounds_million.csv": (
            "Table 3b ITL3 UK chained volume measures in 2019 money value pounds million.csv"
        ),
    },
    # iod-lad-summaries: see shared/data/iod-lad-summaries/PROVENANCE.md (renamed, contents unchanged).
    "iod-lad-summaries": {
        "IoD2019_lad_summaries_long.csv": "IndicesOfDeprivation/IoD2019/local_authority_district/IoD2019.csv",
        "IoD2025_lad_summaries_long.csv": (
            "IndicesOfDeprivation/IoD2025/local_authority_district/indices_of_deprivation_2025_lad.csv"
        ),
    },
}

# Sources whose folder also holds files the build does not read: only these files are listed, each with its
# path in the publisher's (GitHub snapshot) repository (see each folder's PROVENANCE.md).
REMOTE_ONLY: dict[str, dict[str, str]] = {
    "nomis-uk-business-counts": {
        "UBC_enterprises_by_sizeband__nomis_2023_04_24_151111.xlsx": "Data/2-3_UBCempent/nomis_2023_04_24_151111.xlsx",
        "UBC_enterprises_by_industry_and_sizeband__nomis_2023_04_24_152639.xlsx": (
            "Data/2-4_UBCempentind/nomis_2023_04_24_152639.xlsx"
        ),
    },
    "nomis-aps-employment": {
        "APS_T01_economic_activity_16-64__nomis_2023_04_24_143523.xlsx": (
            "Data/2-2_APSempRate/nomis_2023_04_24_143523.xlsx"
        ),
    },
    "nomis-samples": {"nomis_NM_2002_1_mid2021_lad.csv": "data-raw/population-estimates/lad.csv"},
    "dfe-apprenticeships": {"lad_map_data_0.parquet": "data/lad_map_data_0.parquet"},
    "census2021-origin-destination": {
        "ODWP01EW_LTLA.csv.gz": "input/ODWP01EW_LTLA.csv.gz",
        "ODMG01EW_LTLA.csv.gz": "input/ODMG01EW_LTLA.csv.gz",
    },
    "ons-geography-lookups-2021": {
        name: f"data-raw/geo/{name}"
        for name in (
            "Ward_to_Local_Authority_District_to_County_to_Region_to_Country_(December_2022)_Lookup_in_United_Kingdom.csv",
        )
    },
}

GZIP = "gzip"
COMPRESSIONS = frozenset({GZIP})
MAX_DECOMPRESSED = 1 << 30  # 1 GiB: a larger "decompressed" file is a gzip bomb, not a publisher's CSV


@dataclass(frozen=True)
class RemoteLayout:
    """Which of a source's local files are the publisher's, where each lives upstream, how it is served.

    A source folder may hold files that are not the publisher's (a derived join, copies in another format
    or vintage the build does not read); only paths matching ``include`` are listed in the manifest.
    ``remote`` is a template: ``{path}`` is the local relative path, ``{name}`` its file name.
    """

    include: re.Pattern[str]
    remote: str
    compression: str | None = None


REMOTE_LAYOUTS: dict[str, RemoteLayout] = {
    # anetobradley/energy_flex stores MHCLG's File 1/2/6 CSV exports gzip-compressed. DERIVED_* was joined
    # together when the data was collected (not upstream) and is not listed.
    "imd2019-lsoa": RemoteLayout(
        re.compile(r"File_\d+_-_[A-Za-z0-9_-]+\.csv"),
        "02-EnergyModel/Energy_Intensity_Analysis/data/imd/{path}.gz",
        GZIP,
    ),
    # martinjc/UK-GeoJSON: only the LSOA 2011 GeoJSON is read (not topo_*, msoa11/ or the 2013 wards).
    "essex-small-area-boundaries": RemoteLayout(
        re.compile(r"lsoa11/[EW]0[6-9]\d{6}\.json"),
        "json/statistical/eng/lsoa_by_lad/{name}",
    ),
}

Manifest = dict[str, list[dict[str, object]]]
Progress = Callable[[str, int, int], None]


class FetchError(RuntimeError):
    """A fetch cannot complete; the message is one line and names the URL, host or path at fault."""


@dataclass
class FetchReport:
    files: int = 0  # files fetched
    bytes: int = 0  # bytes written
    changed: list[str] = field(default_factory=list)  # "<source>/<path>" whose sha256 differs from manifest
    duration: float = 0.0  # seconds
    sources: dict[str, int] = field(default_factory=dict)  # files fetched per source
    dest: Path | None = None
    base_url: str | None = None


@dataclass(frozen=True)
class _Entry:
    source: Source
    path: PurePosixPath
    remote: PurePosixPath
    size: int  # of the local (decompressed) file
    sha256: str
    compression: str | None = None  # how the publisher serves ``remote``

    @property
    def label(self) -> str:
        return f"{self.source.name}/{self.path}"


# --- manifest -------------------------------------------------------------------------------------------


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(CHUNK_SIZE), b""):
            h.update(chunk)
    return h.hexdigest()


def _is_data_file(path: Path) -> bool:
    return path.is_file() and path.suffix in DATA_SUFFIXES and not path.name.endswith(SIDECAR_SUFFIX)


def build_manifest(sources_dir: Path, config: Config) -> Manifest:
    """Compute the manifest of every configured source from a local copy laid out as ``<dir>/<source>/``.

    Only data files (.csv, .json) are listed; provenance sidecars written by a fetch are skipped, so
    ``build_manifest`` of a fetched directory equals the manifest it was fetched with. For a source in
    :data:`REMOTE_LAYOUTS`, only the publisher's files are listed (with their compression, if any).
    """
    manifest: Manifest = {}
    for source in config.sources:
        folder = sources_dir / source.name
        if not folder.is_dir():
            raise FileNotFoundError(f"{folder}: no folder for source {source.name!r}")
        renames = REMOTE_NAMES.get(source.name)
        layout = REMOTE_LAYOUTS.get(source.name)
        only = REMOTE_ONLY.get(source.name)
        entries: list[dict[str, object]] = []
        for file in sorted(p for p in folder.rglob("*") if _is_data_file(p)):
            rel = file.relative_to(folder).as_posix()
            entry: dict[str, object] = {"path": rel}
            if only is not None:
                if rel not in only:
                    continue  # in the folder, but not a file the build reads
                entry["remote"] = only[rel]
            elif layout is not None:
                if not layout.include.fullmatch(rel):
                    continue  # not the publisher's file (see RemoteLayout)
                entry["remote"] = layout.remote.format(path=rel, name=file.name)
                if layout.compression is not None:
                    entry["compression"] = layout.compression
            elif renames is not None:
                if rel not in renames:
                    raise ValueError(f"{file}: no publisher path known for this file (add it to REMOTE_NAMES)")
                entry["remote"] = renames[rel]
            else:
                entry["remote"] = rel
            entries.append({**entry, "size": file.stat().st_size, "sha256": _sha256_file(file)})
        if renames is not None or only is not None:
            missing = sorted(set(renames or only or {}) - {str(e["path"]) for e in entries})
            if missing:
                raise FileNotFoundError(f"{folder}: missing {', '.join(missing)}")
        if layout is not None and not entries:
            raise FileNotFoundError(f"{folder}: no file matches {layout.include.pattern}")
        entries.sort(key=lambda e: str(e["path"]))
        manifest[source.name] = entries
    return dict(sorted(manifest.items()))


def dump_manifest(manifest: Manifest) -> str:
    """The manifest as committed: sorted keys, indent=1, trailing newline."""
    return json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def load_manifest() -> Manifest:
    """The packaged manifest (``observatory/pipeline/manifest.json``)."""
    text = importlib.resources.files(__package__ or "observatory.pipeline").joinpath(MANIFEST_NAME).read_text("utf-8")
    data: Manifest = json.loads(text)
    return data


# --- paths and URLs ------------------------------------------------------------------------------------


def _safe_relpath(value: object, what: str) -> PurePosixPath:
    """A relative POSIX path with no '..', no absolute or drive prefix, no backslash; else FetchError."""
    if not isinstance(value, str) or not value.strip():
        raise FetchError(f"{what}: path must be a non-empty string, got {value!r}")
    if "\\" in value or "\x00" in value:
        raise FetchError(f"{what}: refusing path {value!r}: backslashes and NUL are not allowed")
    p = PurePosixPath(value)
    if p.is_absolute() or (p.parts and p.parts[0].endswith(":")):
        raise FetchError(f"{what}: refusing absolute path {value!r}: it would escape the destination")
    if any(part in ("..", ".", "") for part in value.split("/")):
        raise FetchError(f"{what}: refusing path {value!r}: '..' or empty segments would escape the destination")
    return p


def _quote_path(p: PurePosixPath) -> str:
    return "/".join(quote(part, safe="") for part in p.parts)


def file_url(source: Source, path: PurePosixPath, remote: PurePosixPath, base_url: str | None = None) -> str:
    """Where a file is downloaded from: ``download_base + remote``, or ``base_url/<source>/<path>``.

    A mirror is laid out like the sources directory: it holds each file under its local name, plain
    (never compressed), whatever the publisher's name and compression.
    """
    if base_url is not None:
        return f"{base_url.rstrip('/')}/{quote(source.name, safe='')}/{_quote_path(path)}"
    base = source.download_base
    return (base if base.endswith("/") else base + "/") + _quote_path(remote)


def _entries(config: Config, manifest: Manifest) -> list[_Entry]:
    """Validate the manifest against the config before anything is downloaded."""
    out: list[_Entry] = []
    for source in config.sources:
        items = manifest.get(source.name)
        if items is None:
            raise FetchError(f"manifest has no file list for configured source {source.name!r}")
        if not isinstance(items, list):
            raise FetchError(f"manifest: {source.name}: expected a list of files")
        seen: set[str] = set()
        for i, item in enumerate(items):
            where = f"manifest: {source.name}[{i}]"
            if not isinstance(item, dict):
                raise FetchError(f"{where}: expected an object")
            path = _safe_relpath(item.get("path"), where)
            remote = _safe_relpath(item.get("remote", item.get("path")), f"{where}.remote")
            size, sha = item.get("size"), item.get("sha256")
            if not isinstance(size, int) or isinstance(size, bool) or size < 0:
                raise FetchError(f"{where}: size must be a non-negative integer, got {size!r}")
            if not isinstance(sha, str) or len(sha) != 64:
                raise FetchError(f"{where}: sha256 must be 64 hex digits, got {sha!r}")
            compression = item.get("compression")
            if compression is not None and compression not in COMPRESSIONS:
                raise FetchError(f"{where}: compression must be one of {sorted(COMPRESSIONS)}, got {compression!r}")
            if str(path) in seen:
                raise FetchError(f"{where}: {path} is listed twice")
            seen.add(str(path))
            out.append(_Entry(source, path, remote, size, sha.lower(), compression))
    return out


def _target(dest: Path, entry: _Entry) -> Path:
    root = dest.resolve()
    final = (dest / entry.source.name / Path(*entry.path.parts)).resolve()
    if not final.is_relative_to(root) or final == root:
        raise FetchError(f"refusing {entry.label}: it would be written outside {dest}")
    return final


# --- writing -------------------------------------------------------------------------------------------


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform / filesystem allows it
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_atomically(
    final: Path, chunks: Iterable[bytes], on_chunk: Callable[[int], None] | None = None
) -> tuple[str, int]:
    """Write chunks to a temp file beside ``final``, fsync, rename into place; return (sha256, size).

    Nothing ever appears at ``final`` unless it is complete. On any failure the temp file is removed and
    the error re-raised (OSError as FetchError; network errors unchanged, so the caller can retry).
    """
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=".part")
    except OSError as exc:
        raise FetchError(f"cannot write {final}: {exc}") from exc
    tmp = Path(tmp_name)
    h = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(fd, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
                h.update(chunk)
                size += len(chunk)
                if on_chunk is not None:
                    on_chunk(len(chunk))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, final)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise FetchError(f"cannot write {final}: {exc}") from exc
        raise
    _fsync_dir(final.parent)
    return h.hexdigest(), size


def _write_json(final: Path, data: dict[str, Any]) -> None:
    text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    _write_atomically(final, [text.encode("utf-8")])


# --- downloading ---------------------------------------------------------------------------------------


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _host(url: str) -> str:
    try:
        u = httpx.URL(url)
    except Exception:  # pragma: no cover - the URL was already used
        return url
    return f"{u.host}:{u.port}" if u.port else u.host


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        return None


@dataclass
class _Served:
    """What the server sent for a compressed file, before decompression (for the provenance sidecar)."""

    sha256: str = ""
    size: int = 0


def _gunzip(chunks: Iterable[bytes], url: str, served: _Served) -> Iterator[bytes]:
    """Decompress a gzip stream (one or more members) chunk by chunk; FetchError if it is not gzip or is cut.

    Output is produced at most ``CHUNK_SIZE`` at a time, so a hostile stream cannot exhaust memory, and
    at most ``MAX_DECOMPRESSED`` in all. ``served`` receives the sha256 and size of the compressed bytes.
    """
    digest = hashlib.sha256()
    size = out = 0
    decoder = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    head = b""
    for chunk in chunks:
        if len(head) < 2:
            head += chunk[:2]
            if not b"\x1f\x8b".startswith(head[:2]):
                raise FetchError(f"{url}: expected gzip data (the manifest says compression: gzip), got other bytes")
        digest.update(chunk)
        size += len(chunk)
        data = chunk
        while True:
            if decoder.eof and data:  # another gzip member follows (concatenated gzip is valid)
                decoder = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            try:
                plain = decoder.decompress(data, CHUNK_SIZE)
            except zlib.error as exc:
                raise FetchError(f"{url}: corrupt gzip data: {exc}") from exc
            out += len(plain)
            if out > MAX_DECOMPRESSED:
                raise FetchError(f"{url}: decompresses to more than {MAX_DECOMPRESSED:,} bytes; refused")
            if plain:
                yield plain
            data = decoder.unused_data if decoder.eof else decoder.unconsumed_tail
            if not data and len(plain) < CHUNK_SIZE:
                break  # input used up and no output left pending
    if size == 0:
        raise FetchError(f"{url}: empty response (expected gzip data)")
    if not decoder.eof:
        raise FetchError(f"{url}: the gzip data ends before its end marker (truncated download?)")
    served.sha256, served.size = digest.hexdigest(), size


def _download(
    client: httpx.Client,
    url: str,
    final: Path,
    *,
    retries: int,
    backoff: float,
    on_chunk: Callable[[int], None] | None,
    on_retry: Callable[[], None] | None,
    gunzip: _Served | None = None,
) -> tuple[str, int]:
    """Stream ``url`` into ``final``; with ``gunzip``, decompress on the way (sha256/size are of the result)."""
    attempt = 0
    while True:
        try:
            with client.stream("GET", url) as response:
                status = response.status_code
                if status in RETRY_STATUSES:
                    raise _Retryable(f"HTTP {status} {response.reason_phrase}", _retry_after(response))
                if status != 200:
                    raise FetchError(f"{url}: HTTP {status} {response.reason_phrase}".rstrip())
                chunks: Iterator[bytes] = response.iter_bytes(CHUNK_SIZE)
                if gunzip is not None:
                    chunks = _gunzip(chunks, url, gunzip)
                return _write_atomically(final, chunks, on_chunk)
        except httpx.UnsupportedProtocol as exc:
            raise FetchError(f"{url}: unsupported URL: {_one_line(exc)}") from exc
        except (httpx.TransportError, _Retryable) as exc:
            if attempt >= retries:
                if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
                    raise FetchError(
                        f"cannot reach {_host(url)}: {_one_line(exc)} "
                        "(are you offline? use --base-url to fetch from a mirror)"
                    ) from exc
                raise FetchError(f"{url}: {_one_line(exc)} (gave up after {attempt + 1} attempts)") from exc
            delay = backoff * (2**attempt)
            if isinstance(exc, _Retryable) and exc.retry_after is not None:
                delay = max(delay, exc.retry_after)
            attempt += 1
            if on_retry is not None:
                on_retry()
            time.sleep(delay)
        except httpx.InvalidURL as exc:
            raise FetchError(f"{url}: invalid URL: {_one_line(exc)}") from exc
        except httpx.HTTPError as exc:  # decoding errors, too many redirects, …
            raise FetchError(f"{url}: {_one_line(exc)}") from exc


class _Tracker:
    """Whole-run byte counts for the progress callback; a retried file's bytes are counted once."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress, self.total, self.done, self.file_done, self.label = progress, total, 0, 0, ""

    def _emit(self) -> None:
        self.total = max(self.total, self.done + self.file_done)
        if self.progress is not None:
            self.progress(self.label, self.done + self.file_done, self.total)

    def start(self, label: str) -> None:
        self.label, self.file_done = label, 0
        self._emit()

    def advance(self, n: int) -> None:
        self.file_done += n
        self._emit()

    def restart(self) -> None:
        self.file_done = 0
        self._emit()

    def finish(self, size: int) -> None:
        self.done += size
        self.file_done = 0


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def fetch_sources(
    config: Config,
    dest: Path,
    *,
    base_url: str | None = None,
    manifest: Manifest | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    backoff: float = DEFAULT_BACKOFF,
    progress: Progress | None = None,
    client: httpx.Client | None = None,
) -> FetchReport:
    """Download every manifest file of every configured source into ``dest/<source>/<path>``.

    ``base_url`` fetches from a mirror laid out like the sources directory instead of the publishers.
    ``progress(label, bytes_done, bytes_total)`` is called as each file starts and as its bytes arrive;
    the byte counts are for the whole run (``bytes_total`` is the manifest's total, raised if files turn
    out larger). Raises :class:`FetchError` for an unreachable host, an HTTP error (404, 403, or 5xx/429
    still failing after ``retries`` retries), an unsafe path in the manifest or a write failure.
    """
    started = time.monotonic()
    started_at = _now()
    manifest = load_manifest() if manifest is None else manifest
    entries = _entries(config, manifest)
    targets = [_target(dest, e) for e in entries]  # refuse escaping paths before any download
    tracker = _Tracker(progress, total=sum(e.size for e in entries))
    report = FetchReport(dest=dest, base_url=base_url, sources={s.name: 0 for s in config.sources})
    report_sources: dict[str, dict[str, Any]] = {
        s.name: {"files": 0, "bytes": 0, "changed": []} for s in config.sources
    }

    own_client = client is None
    http = client or httpx.Client(
        timeout=httpx.Timeout(timeout), follow_redirects=True, headers={"User-Agent": USER_AGENT}
    )
    try:
        for entry, final in zip(entries, targets, strict=True):
            url = file_url(entry.source, entry.path, entry.remote, base_url)
            # Only the publisher serves compressed files; a mirror holds the plain files (see file_url).
            served = _Served() if entry.compression == GZIP and base_url is None else None
            tracker.start(entry.label)
            sha, size = _download(
                http,
                url,
                final,
                retries=retries,
                backoff=backoff,
                on_chunk=tracker.advance,
                on_retry=tracker.restart,
                gunzip=served,
            )
            tracker.finish(size)
            matches = sha == entry.sha256 and size == entry.size
            _write_json(
                final.with_name(final.name + SIDECAR_SUFFIX),
                {
                    "source": entry.source.name,
                    "path": str(entry.path),
                    "url": url,
                    "sha256": sha,
                    "size": size,
                    "fetched_at": _now(),
                    "publisher": entry.source.publisher,
                    "licence": entry.source.licence,
                    "attribution": entry.source.attribution,
                    "expected_sha256": entry.sha256,
                    "expected_size": entry.size,
                    "matches_manifest": matches,
                    **(
                        {"compression": GZIP, "served_sha256": served.sha256, "served_size": served.size}
                        if served is not None
                        else {}
                    ),
                },
            )
            report.files += 1
            report.bytes += size
            report.sources[entry.source.name] += 1
            summary = report_sources[entry.source.name]
            summary["files"] += 1
            summary["bytes"] += size
            if not matches:
                report.changed.append(entry.label)
                summary["changed"].append(str(entry.path))
    finally:
        if own_client:
            http.close()

    report.duration = time.monotonic() - started
    _write_json(
        dest / REPORT_NAME,
        {
            "started_at": started_at,
            "finished_at": _now(),
            "duration_s": round(report.duration, 3),
            "base_url": base_url,
            "config_hash": config.hash,
            "files": report.files,
            "bytes": report.bytes,
            "changed_upstream": report.changed,
            "sources": report_sources,
        },
    )
    return report


def _main(argv: list[str] | None = None) -> None:
    import argparse

    from observatory.config import load_config

    parser = argparse.ArgumentParser(description="Regenerate the packaged fetch manifest from a local copy.")
    parser.add_argument("sources_dir", type=Path)
    parser.add_argument("--config", type=Path, default=None)
    parser.add_argument("--output", type=Path, default=Path(__file__).with_name(MANIFEST_NAME))
    args = parser.parse_args(argv)
    manifest = build_manifest(args.sources_dir, load_config(args.config))
    args.output.write_text(dump_manifest(manifest), encoding="utf-8")
    for name, files in manifest.items():
        print(f"{name}: {len(files)} files, {sum(int(str(f['size'])) for f in files)} bytes")


if __name__ == "__main__":
    _main()
