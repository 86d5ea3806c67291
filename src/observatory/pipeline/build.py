"""Build a release: read the configured sources, validate, write one DuckDB file, verify, publish.

A build is a pure function of the source files and the config: the same inputs give the same content
hash. It writes beside the current release and switches only when the new file is complete and
verified, so a crash at any moment leaves the current release serving (see store.py).
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import duckdb

from observatory import __version__
from observatory.config import Config
from observatory.model import (
    PROVENANCE_SUFFIX,
    Area,
    AreaRelation,
    Finding,
    Indicator,
    Observation,
    ReaderResult,
    Severity,
    SourceFile,
)
from observatory.pipeline import publish, validate
from observatory.pipeline.areas import combine_areas
from observatory.pipeline.detail import write_detail
from observatory.pipeline.fetch import file_url, files_under, load_manifest
from observatory.pipeline.losses import check_losses
from observatory.pipeline.places import PlaceSources, read_place_sources, write_places
from observatory.release import schema
from observatory.sources.boundaries import read_boundaries
from observatory.sources.lookups import read_lookups
from observatory.sources.ons_els import read_ons_els
from observatory.stats.business import write_business
from observatory.stats.derive import derive
from observatory.stats.judgements import default_metadata_dir, load_judgements
from observatory.store import Store, StoreError

Progress = Callable[[str], None]
LAD22_LOOKUP = (
    "Ward_to_Local_Authority_District_to_County_to_Region_to_Country_(December_2022)_Lookup_in_United_Kingdom.csv"
)
DATA_SUFFIXES = (".csv", ".json", ".xlsx", ".parquet", ".gz", ".geojson")


@dataclass(frozen=True, slots=True)
class ExtraInput:
    """A file from outside the sources folder (an officer's lifted upload): hashed input and its reader."""

    file: SourceFile
    read: Callable[[], ReaderResult]


class BuildFailed(RuntimeError):
    """Errors were found; nothing was published. ``report`` lists every finding."""

    def __init__(self, message: str, report: BuildReport) -> None:
        super().__init__(message)
        self.report = report


@dataclass
class BuildReport:
    release_id: str | None = None
    published: bool = False
    created: str = ""
    sources_dir: str = ""
    config_hash: str = ""
    content_hash: str = ""
    files: list[SourceFile] = field(default_factory=list)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_skipped: int = 0
    observations: int = 0
    indicators: int = 0
    areas: int = 0
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0
    accepted_loss: list[str] = field(default_factory=list)  # --accept-loss: recorded with the release

    @property
    def counts(self) -> dict[str, int]:
        return {
            "files": len(self.files),
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_skipped": self.rows_skipped,
            "observations": self.observations,
            "indicators": self.indicators,
            "areas": self.areas,
            **{f"findings_{k}": v for k, v in validate.summarise(self.findings).items()},
        }

    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    def to_dict(self) -> dict[str, Any]:
        return {
            "release_id": self.release_id,
            "published": self.published,
            "created": self.created,
            "sources_dir": self.sources_dir,
            "config_hash": self.config_hash,
            "content_hash": self.content_hash,
            "counts": self.counts,
            "seconds": round(self.seconds, 3),
            "files": [asdict(f) for f in self.files],
            "findings": [{**asdict(f), "severity": f.severity.value} for f in self.findings],
            "accepted_loss": self.accepted_loss,
        }


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _inputs(config: Config, sources_dir: Path) -> tuple[list[SourceFile], list[Finding]]:
    """Every file the build reads, hashed, with the publisher URL it came from (from the fetch manifest).

    ONS ELS is read folder by folder, so each of its data files is an input; for the other sources only
    the publisher's files listed in the manifest are read (derived copies and unused layers are not).
    """
    manifest = load_manifest()
    files: list[SourceFile] = []
    findings: list[Finding] = []
    for source in config.sources:
        listed = {str(e["path"]): str(e.get("remote", e["path"])) for e in manifest.get(source.name, [])}
        folder = sources_dir / source.name
        if not folder.is_dir():
            findings.append(
                Finding(
                    "source.missing",
                    Severity.ERROR,
                    source.name,
                    f"configured source {source.name!r} has no folder {folder} (run `observatory fetch`?)",
                )
            )
            continue
        for path in files_under(folder):
            if path.suffix in DATA_SUFFIXES and not path.name.endswith(PROVENANCE_SUFFIX):
                rel = path.relative_to(folder).as_posix()
                if rel not in listed and source.format != "ons-els":
                    continue
                remote = PurePosixPath(listed.get(rel, rel))
                files.append(
                    SourceFile(
                        source=source.name,
                        path=f"{source.name}/{rel}",
                        size=path.stat().st_size,
                        sha256=sha256_file(path),
                        url=file_url(source, PurePosixPath(rel), remote),
                    )
                )
    return files, findings


def merge_small_areas(small: ReaderResult, known: set[str]) -> ReaderResult:
    """Small areas come from several sources (data, boundaries): one Area per code, first name wins."""
    merged = ReaderResult(
        indicators=small.indicators,
        observations=small.observations,
        relations=small.relations,
        geometries=small.geometries,
        findings=small.findings,
        rows_read=small.rows_read,
        rows_skipped=small.rows_skipped,
    )
    seen = set(known)
    for area in small.areas:
        if area.code not in seen:
            seen.add(area.code)
            merged.areas.append(area)
    return merged


def _metadata_inputs() -> list[SourceFile]:
    """The reviewed judgement metadata shapes derived statistics, so it is an input like the data."""
    folder = default_metadata_dir()
    return [
        SourceFile("metadata", f"metadata/{p.name}", p.stat().st_size, sha256_file(p))
        for p in sorted(folder.glob("*"))
        if p.suffix in (".toml", ".json")
    ]


def scope_small_areas(small: ReaderResult, relations: list[AreaRelation], scope: list[str]) -> ReaderResult:
    """Keep small areas (and their observations) only inside the configured scope.

    Authority-level figures derived from all of England's small areas were computed by the readers before
    this filter, so they stay exact; only the neighbourhood rows outside the scope are left out.
    """
    if not scope:
        return small
    inside = set(scope) | {r.code for r in relations if r.parent in scope}
    all_small = {a.code for a in small.areas if a.type == "lsoa"}
    kept = {r.code for r in small.relations if r.relation == "ltla" and r.code in all_small and r.parent in inside}
    dropped = all_small - kept
    observations = [o for o in small.observations if o.area_code not in dropped]
    small.findings.append(
        Finding(
            "small-areas.out-of-scope",
            Severity.INFO,
            "observatory.toml",
            f"{len(dropped):,} small areas outside small_area_scope ({', '.join(scope)}) and their "
            f"{len(small.observations) - len(observations):,} observations are not kept in the release",
            column="small_area_scope",
        )
    )
    return ReaderResult(
        indicators=small.indicators,
        observations=observations,
        areas=[a for a in small.areas if a.code not in dropped],
        relations=[r for r in small.relations if r.code not in dropped],
        geometries={c: g for c, g in small.geometries.items() if c not in dropped},
        findings=small.findings,
        rows_read=small.rows_read,
        rows_skipped=small.rows_skipped,
    )


def read_sources(config: Config, sources_dir: Path, progress: Progress) -> ReaderResult:
    """Dispatch each configured source to the reader of its format; areas are combined at the end."""
    data = ReaderResult()
    boundaries = ReaderResult()
    lookups = ReaderResult()
    small_areas = ReaderResult()  # LSOAs and their data: areas, relations and geometry beside the rest
    for source in config.sources:
        folder = sources_dir / source.name
        if not folder.is_dir():
            continue  # already an error finding from _inputs
        progress(f"reading {source.name}")
        if source.format == "ons-els":
            data.extend(read_ons_els(folder, source.name))
        elif source.format == "ons-boundaries":
            topo = folder / "uk-topo.json"
            if topo.is_file():
                boundaries.extend(read_boundaries(topo, f"{source.name}/uk-topo.json"))
            else:
                boundaries.findings.append(
                    Finding("source.missing-file", Severity.ERROR, f"{source.name}/uk-topo.json", "file not found")
                )
        elif source.format == "ons-geography-lookups":
            lookups.extend(read_lookups(folder, source.name))
        elif source.format == "imd2019-lsoa":
            from observatory.sources.imd import read_imd_lsoa

            small_areas.extend(read_imd_lsoa(folder, source.name))
        elif source.format == "iod-lad-summaries":
            from observatory.sources.imd import read_iod_lad_summaries

            data.extend(read_iod_lad_summaries(folder, source.name))
        elif source.format == "small-area-boundaries":
            from observatory.sources.small_areas import read_small_area_boundaries

            small_areas.extend(read_small_area_boundaries(folder, source.name))
        # "ons-gva-itl3" (GVA by industry) is read by the statistics (stats/derive.py), not as observations;
        # the place formats (pipeline/places.py FORMATS) by read_place_sources; the name-joined formats below
        # need the combined areas first.
    areas = combine_areas(boundaries, lookups)
    data.areas = areas.areas
    data.relations = areas.relations
    data.geometries = areas.geometries
    data.findings.extend(areas.findings)
    data.extend(read_workforce_sources(config, sources_dir, data.areas, progress))
    small = merge_small_areas(small_areas, {a.code for a in data.areas})
    data.extend(scope_small_areas(small, data.relations, config.small_area_scope))
    return data


def read_workforce_sources(config: Config, sources_dir: Path, areas: list[Area], progress: Progress) -> ReaderResult:
    """The Nomis, DfE and Census origin–destination sources, which join names or codes to the combined areas.

    Order matters: the LAD 2022 names (ons-geography-lookups-2021) before the Nomis downloads, the
    population (Nomis API) before apprenticeships per 1,000.
    """
    from observatory.sources import census_od, dfe_apprenticeships, nomis_api, nomis_xlsx
    from observatory.sources.names import NameResolver

    out = ReaderResult()
    by_format = {s.format: s for s in config.sources if (sources_dir / s.name).is_dir()}
    lad22: NameResolver | None = None
    if (lookup := by_format.get("ons-geography-lookups-2021")) is not None:
        path = sources_dir / lookup.name / LAD22_LOOKUP
        try:
            lad22 = NameResolver.from_lad22_lookup(path)
        except (OSError, ValueError) as exc:
            out.findings.append(Finding("source.unreadable", Severity.ERROR, f"{lookup.name}/{LAD22_LOOKUP}", str(exc)))
    keep = set(config.areas_of_interest) | set(config.comparators)
    for fmt in ("nomis-uk-business-counts", "nomis-aps"):
        if (source := by_format.get(fmt)) is None:
            continue
        if lad22 is None:
            out.findings.append(
                Finding("source.needs", Severity.ERROR, source.name,
                        "joining Nomis area names needs the ons-geography-lookups-2021 source (LAD 2022 names)")
            )  # fmt: skip
            continue
        progress(f"reading {source.name}")
        if fmt == "nomis-uk-business-counts":
            out.extend(nomis_xlsx.read_uk_business_counts(sources_dir / source.name, lad22, source.name))
        else:
            out.extend(nomis_xlsx.read_aps(sources_dir / source.name, lad22, source.name, keep))
    population = nomis_api.Population()
    if (source := by_format.get("nomis-api-population")) is not None:
        progress(f"reading {source.name}")
        result, population = nomis_api.read_nomis_population(sources_dir / source.name, source.name)
        out.extend(result)
    if (source := by_format.get("dfe-apprenticeships")) is not None:
        progress(f"reading {source.name}")
        current = NameResolver.from_areas(areas)
        if lad22 is not None:
            current = current.with_older_names(
                lad22, {a.code for a in areas if a.source == "boundaries" and a.valid_to is None}
            )
        out.extend(
            dfe_apprenticeships.read_dfe_apprenticeships(
                sources_dir / source.name, current, source.name, population.aged_16_64, set(config.areas_of_interest)
            )
        )
    if (source := by_format.get("census-od-travel-to-work")) is not None:
        progress(f"reading {source.name}")
        group = config.groups[0] if config.groups else None
        out.extend(
            census_od.read_travel_to_work(
                sources_dir / source.name,
                source.name,
                {a.code for a in areas},
                group.members if group else [],
                {a.code: a.name for a in areas},
                group.slug if group else "group",
            )
        )
        out.extend(
            census_od.read_migration(
                sources_dir / source.name, source.name, {a.code for a in areas}, group.members if group else []
            )
        )
    return out


@contextmanager
def _build_lock(store: Store) -> Iterator[None]:
    store.ensure()
    with open(store.root / "build.lock", "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise StoreError(f"another build is running in {store.root}") from exc
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _clean_debris(store: Store) -> None:
    """Files left in tmp/ by an interrupted build are never part of a release; remove them."""
    for path in store.tmp.iterdir():
        if path.is_file():
            path.unlink()
    publish.remove_orphans(store)


def build_release(
    config: Config,
    sources_dir: Path,
    store: Store,
    *,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
    extra: Sequence[ExtraInput] = (),
    accept_loss: Sequence[str] = (),
) -> BuildReport:
    """Build and publish a release; raise BuildFailed (publishing nothing) when any error is found.

    ``extra`` are inputs from outside the sources folder (officers' uploads whose embargo has lifted),
    read after the configured sources and recorded in ``inputs`` with their provenance. ``accept_loss``
    names sources or files whose loss of observations against the current release (without a new edition)
    the operator accepts; see ``pipeline.losses``.
    """
    started = time.perf_counter()
    say = progress or (lambda _msg: None)
    created = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    report = BuildReport(created=created.isoformat(), sources_dir=str(sources_dir), config_hash=config.hash)
    with _build_lock(store):
        _clean_debris(store)
        say("hashing inputs")
        report.files, findings = _inputs(config, sources_dir)
        report.files += _metadata_inputs()
        report.findings.extend(findings)
        result = read_sources(config, sources_dir, say)
        say("reading places")
        places = read_place_sources(config, sources_dir)
        result.extend(places.reader_result())
        for item in extra:
            say(f"reading {item.file.path}")
            report.files.append(item.file)
            result.extend(item.read())
        report.findings.extend(result.findings)
        report.rows_read, report.rows_skipped = result.rows_read, result.rows_skipped

        say("validating")
        observations, dup_findings = validate.drop_duplicates(result.observations)
        report.findings.extend(dup_findings)
        report.rows_skipped += len(result.observations) - len(observations)
        indicators, ind_findings = validate.check_indicators(result.indicators)
        report.findings.extend(ind_findings)
        judgements = load_judgements()
        indicators, unit_findings = validate.correct_units(indicators, judgements)
        report.findings.extend(unit_findings)
        observations, label_findings = validate.label_periods(observations, judgements)
        report.findings.extend(label_findings)
        report.findings.extend(validate.check_period_types(observations))
        areas, area_findings = validate.reconcile_areas(result.areas, observations)
        report.findings.extend(area_findings)
        groups, memberships, group_findings = validate.group_areas(config, areas)
        report.findings.extend(group_findings)
        report.findings.extend(validate.check_themes(config, indicators))
        areas += groups
        relations = result.relations + memberships + validate.same_as_relations(areas)
        report.rows_loaded = report.rows_read - report.rows_skipped
        report.observations, report.indicators, report.areas = len(observations), len(indicators), len(areas)
        say("comparing with the current release")
        report.findings.extend(check_losses(store, observations, indicators, accept_loss))
        report.accepted_loss = list(accept_loss)

        if report.errors():
            report.seconds = time.perf_counter() - started
            _save_failed(store, report)
            first = report.errors()[0]
            raise BuildFailed(f"{len(report.errors())} error(s); nothing was published. First: {first}", report)

        say("writing release")
        tmp_path = store.tmp / f"build-{os.getpid()}-{int(time.time() * 1000)}.duckdb"
        try:
            release_id = _write(
                tmp_path,
                store,
                config,
                created,
                report,
                indicators,
                areas,
                relations,
                result.geometries,
                observations,
                result.tables,
                places,
            )
            report.release_id = release_id
            say("verifying")
            _verify(tmp_path, report)
            report.seconds = time.perf_counter() - started
            say("publishing")
            publish.publish(store, tmp_path, release_id, report.to_dict(), keep=config.deployment.keep_releases)
        except BuildFailed as failed:
            full = next((f for f in report.errors() if "No space left on device" in f.message), None)
            if full is not None:  # a step that turns exceptions into findings met the full disk
                report.findings.remove(full)
                raise _out_of_space(store, tmp_path, report, started, OSError(full.message)) from None
            _remove_partial(store, tmp_path, report.release_id)
            report.seconds = time.perf_counter() - started
            _save_failed(store, report)
            raise failed
        except (OSError, duckdb.Error) as exc:
            if not _no_space(exc):
                _remove_partial(store, tmp_path, report.release_id)
                raise
            raise _out_of_space(store, tmp_path, report, started, exc) from None
        report.published = True
    return report


class NoSpace(BuildFailed):
    """The store's filesystem is full: nothing was published, partial files were removed."""


def _no_space(exc: BaseException) -> bool:
    return (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or "No space left on device" in str(exc)


def _remove_partial(store: Store, tmp_path: Path, release_id: str | None) -> None:
    """Remove what an unfinished write or publish left: the temporary file (and WAL), an unpublished report."""
    for leftover in (tmp_path, tmp_path.with_name(tmp_path.name + ".wal")):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(tmp_path.with_name(tmp_path.name + ".tmp"), ignore_errors=True)  # DuckDB's spill folder
    if release_id is not None and store.current_id() != release_id:
        for suffix in (".json", ".duckdb"):
            (store.releases / f"{release_id}{suffix}").unlink(missing_ok=True)
    publish.remove_orphans(store)


def _out_of_space(store: Store, tmp_path: Path, report: BuildReport, started: float, exc: BaseException) -> NoSpace:
    """Clean up after a full disk and say so in one line: where, what happened, where the report went."""
    _remove_partial(store, tmp_path, report.release_id)
    report.seconds = time.perf_counter() - started
    report.release_id = None
    report.findings.append(
        Finding("store.no-space", Severity.ERROR, str(store.root), f"no space left on the store's filesystem: {exc}")
    )
    try:
        saved = f"the failed report is in {_save_failed(store, report)}"
    except OSError as again:
        saved = f"the failed report could not be saved either ({again.strerror or again})"
    free = shutil.disk_usage(store.root).free if store.root.exists() else 0
    message = (
        f"no space left on STORE {store.root} ({free / 1e6:,.1f} MB free) while writing the release, nothing was "
        f"published; {saved}"
    )
    return NoSpace(message, report)


def _save_failed(store: Store, report: BuildReport) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    path = store.failed / f"{stamp}-{os.getpid()}.json"
    try:
        path.write_text(json.dumps(report.to_dict(), indent=1, default=str), encoding="utf-8")
    except OSError:
        path.unlink(missing_ok=True)  # never leave half a report
        raise
    return path


def _write(
    path: Path,
    store: Store,
    config: Config,
    created: dt.datetime,
    report: BuildReport,
    indicators: list[Indicator],
    areas: list[Area],
    relations: list[AreaRelation],
    geometries: dict[str, str],
    observations: list[Observation],
    tables: dict[str, list[tuple[Any, ...]]],
    places: PlaceSources | None = None,
) -> str:
    themes: dict[str, list[str]] = {}
    for theme in config.themes:
        for slug in theme.indicators:
            themes.setdefault(slug, []).append(theme.slug)
    con = duckdb.connect(str(path))
    try:
        schema.create(con, (*schema.BASE_TABLES, schema.LATEST_OBSERVATIONS))
        schema.insert_columns(
            con,
            schema.INDICATORS,
            {
                "slug": [i.slug for i in indicators],
                "label": [i.label for i in indicators],
                "dataset": [i.dataset for i in indicators],
                "subtitle": [i.shown_subtitle for i in indicators],
                "description": [i.description for i in indicators],
                "caveats": [i.caveats for i in indicators],
                "measure": [i.measure for i in indicators],
                "unit": [i.unit for i in indicators],
                "prefix": [i.prefix for i in indicators],
                "suffix": [i.suffix for i in indicators],
                "decimals": [i.decimals for i in indicators],
                "source_org": [i.source_org for i in indicators],
                "source_url": [i.source_url for i in indicators],
                "source_date": [i.source_date for i in indicators],
                "experimental": [i.experimental for i in indicators],
                "standardised": [i.standardised for i in indicators],
                "licence": [i.licence for i in indicators],
                "themes": [themes.get(i.slug, []) for i in indicators],
                # filled in from the observations below
                "observations": [None] * len(indicators),
                "areas": [None] * len(indicators),
                "first_period": [None] * len(indicators),
                "last_period": [None] * len(indicators),
            },
        )
        schema.insert_columns(
            con,
            schema.AREAS,
            {
                "code": [a.code for a in areas],
                "name": [a.name for a in areas],
                "type": [a.type for a in areas],
                "types": [list(a.types or (a.type,)) for a in areas],
                "valid_from": [a.valid_from for a in areas],
                "valid_to": [a.valid_to for a in areas],
                "source": [a.source for a in areas],
                "welsh_name": [a.welsh_name for a in areas],
            },
        )
        schema.insert_columns(
            con,
            schema.AREA_RELATIONS,
            {
                "code": [r.code for r in relations],
                "parent": [r.parent for r in relations],
                "relation": [r.relation for r in relations],
            },
            distinct=True,
        )
        schema.insert_columns(
            con, schema.AREA_GEOMETRY, {"code": list(geometries), "geojson": list(geometries.values())}
        )
        schema.insert_columns(
            con,
            schema.OBSERVATIONS,
            {
                "indicator": [o.indicator for o in observations],
                "area_code": [o.area_code for o in observations],
                "period": [o.period.iso for o in observations],
                "period_start": [o.period.start for o in observations],
                "period_duration": [o.period.duration for o in observations],
                "period_label": [o.period.label for o in observations],
                "value": [o.value for o in observations],
                "lci_95": [o.lci_95 for o in observations],
                "uci_95": [o.uci_95 for o in observations],
                "numerator": [o.numerator for o in observations],
                "denominator": [o.denominator for o in observations],
                "status": [o.status for o in observations],
                "notes": [o.notes for o in observations],
                "source_file": [o.source_file for o in observations],
                "source_row": [o.source_row for o in observations],
            },
        )
        con.execute(
            """
            UPDATE indicators SET
              observations = s.n, areas = s.a, first_period = s.first, last_period = s.last
            FROM (SELECT indicator, count(*) n, count(DISTINCT area_code) a,
                         min(period_start) first, max(period_start) last
                  FROM observations GROUP BY indicator) s
            WHERE indicators.slug = s.indicator
            """
        )
        schema.fill_latest_observations(con)  # each series' latest period: the API's hot path
        write_detail(con, tables)
        write_business(con, config)
        derived = derive(con, config, Path(report.sources_dir) if report.sources_dir else None)
        derived += write_places(con, places or PlaceSources(), config)
        report.findings.extend(derived)
        errors = [f for f in derived if f.severity is Severity.ERROR]
        if errors:  # e.g. an invalid metadata/indicators.toml: nothing is published
            raise BuildFailed(f"derived statistics failed; nothing was published. First: {errors[0]}", report)
        schema.insert(
            con, schema.INPUTS, [(f.source, f.path, f.size, f.sha256, f.url, f.provenance) for f in report.files]
        )
        schema.insert(
            con,
            schema.FINDINGS,
            [(f.rule, f.severity.value, f.file, f.row, f.column, f.value, f.message) for f in report.findings],
        )
        row = con.execute(schema.content_hash_sql()).fetchone()
        assert row is not None
        report.content_hash = row[0]
        release_id = base_id = f"{created.strftime('%Y%m%dT%H%M%SZ')}-{report.content_hash[:8]}"
        n = 1
        while store.release_path(release_id).exists():  # the same content built twice in one second
            n += 1
            release_id = f"{base_id}-{n}"
        schema.insert(
            con,
            schema.RELEASE_INFO,
            [
                schema.ReleaseInfoRow(
                    id=release_id,
                    created=created.replace(tzinfo=None),
                    content_hash=report.content_hash,
                    config_hash=config.hash,
                    counts=json.dumps(report.counts),
                    observatory_version=__version__,
                    sources_dir=str(report.sources_dir),
                    schema_version=schema.SCHEMA_VERSION,
                )
            ],
        )
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return release_id


def _verify(path: Path, report: BuildReport) -> None:
    """Reopen the finished file read-only and check it says what the build meant it to say."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        try:
            schema.check(con)
        except schema.SchemaError as exc:
            raise StoreError(f"verification failed: {exc}") from exc
        counts = con.execute(
            "SELECT (SELECT count(*) FROM observations), (SELECT count(*) FROM indicators),"
            " (SELECT count(*) FROM areas)"
        ).fetchone()
        if counts != (report.observations, report.indicators, report.areas):
            raise StoreError(f"verification failed: counts {counts} differ from the build's")
        orphans = con.execute(
            "SELECT count(*) FROM observations o WHERE NOT EXISTS (SELECT 1 FROM areas a WHERE a.code = o.area_code)"
            " OR NOT EXISTS (SELECT 1 FROM indicators i WHERE i.slug = o.indicator)"
        ).fetchone()
        if orphans != (0,):
            raise StoreError(f"verification failed: {orphans[0] if orphans else '?'} observations lack area/indicator")
        dupes = con.execute(
            "SELECT count(*) - count(DISTINCT (indicator, area_code, period_start, period_duration)) FROM observations"
        ).fetchone()
        if dupes != (0,):
            raise StoreError("verification failed: duplicate observations")
        digest = con.execute(schema.content_hash_sql()).fetchone()
        if digest is None or digest[0] != report.content_hash:
            raise StoreError("verification failed: content hash differs on re-reading")
    finally:
        con.close()
