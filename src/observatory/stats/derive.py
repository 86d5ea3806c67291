"""Derived tables of a release: judgements, ranks, comparisons, trends, group aggregates, neighbours, productivity.

Called by the build on the release file being written, before its content hash, so every release carries
its own statistics computed from exactly its data and the reviewed metadata. Set-based work (ranks,
indices) is done in DuckDB SQL; per-series work runs in Python only over the areas the pages show (areas of
interest, comparators and groups), a few thousand series at most.
"""

from __future__ import annotations

import dataclasses
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from observatory import format as nf
from observatory.config import Config
from observatory.model import Finding, Severity
from observatory.periods import PERIOD_KIND_SQL, main_period_kind, period_kind
from observatory.release import schema
from observatory.sources.gva_itl3 import industry_letters, read_gva_itl3
from observatory.stats import aggregate as agg
from observatory.stats import business, classes
from observatory.stats import compare as cmp
from observatory.stats import neighbours as nb
from observatory.stats import productivity as prod
from observatory.stats import trend as tr
from observatory.stats.judgements import (
    PUBLISHED,
    Judgement,
    JudgementError,
    check_against_release,
    judgement_for,
    load_judgements,
)
from observatory.stats.sentences import IndicatorFormat, aggregate_sentence, possessive

ENGLAND = "E92000001"
ENGLAND_ITL1 = "TLB"  # the publisher's ITL1 "England", used where E92000001 has no value (GVA per hour)
GVA_SOURCE = "ons-gva-itl3-by-industry"
GVA_FORMAT = "ons-gva-itl3"

DERIVED_TABLES = tuple(t.name for t in schema.DERIVED_TABLES)
GVA_TABLES = tuple(t.name for t in schema.GVA_TABLES)
METHOD_RANK = "rank-ltla-england"
PEER_SET = "English lower-tier local authorities (E06, E07, E08, E09; a replaced code counts as its successor)"
# English lower-tier authorities as a peer set: current ones, and ended ones that have a successor (the same
# authority under a new GSS code, e.g. Barnsley E08000016 → E08000038 in 2025), so no authority drops out of a
# ranking because the publisher still uses its old code. Where both codes have a value, the current one is used.
_PEERS = """peers AS (
  SELECT a.code, coalesce(s.successor, a.code) AS authority, s.successor IS NULL AS is_current
  FROM areas a LEFT JOIN area_successors s ON s.code = a.code
  WHERE list_contains(a.types, 'ltla') AND regexp_matches(a.code, '^E0[6-9]')
    AND (a.valid_to IS NULL OR s.successor IS NOT NULL)),
vals AS (
  SELECT o.indicator, o.area_code, o.period, o.value FROM observations o JOIN peers p ON p.code = o.area_code
  WHERE o.value IS NOT NULL
  QUALIFY row_number() OVER (PARTITION BY o.indicator, o.period, p.authority ORDER BY p.is_current DESC) = 1)"""
# A successor: an English lower-tier area with the same name and type that starts the year after the other ends.
SUCCESSORS_SQL = """INSERT INTO area_successors
SELECT o.code, any_value(n.code ORDER BY n.code),
       'GSS code ' || o.code || ' ended in ' || o.valid_to || '; ' || any_value(n.code ORDER BY n.code)
       || ' (same name) starts in ' || (o.valid_to + 1)
FROM areas o JOIN areas n ON n.name = o.name AND n.valid_from = o.valid_to + 1 AND n.code <> o.code
  AND substr(n.code, 1, 3) = substr(o.code, 1, 3) AND list_contains(n.types, 'ltla')
WHERE o.valid_to IS NOT NULL AND list_contains(o.types, 'ltla') AND regexp_matches(o.code, '^E0[6-9]')
GROUP BY o.code, o.valid_to HAVING count(*) = 1
ORDER BY o.code"""
RANKS_SQL = f"""INSERT INTO ranks
WITH {_PEERS}
SELECT indicator, area_code, period, value, rank() OVER w AS rank,
       count(*) OVER (PARTITION BY indicator, period) AS peers,
       (floor(5 * (rank() OVER w - 1) / count(*) OVER (PARTITION BY indicator, period)) + 1)::INTEGER,
       '{METHOD_RANK}'
FROM vals
WINDOW w AS (PARTITION BY indicator, period ORDER BY value DESC)
ORDER BY indicator, period, rank, area_code"""  # noqa: S608 (constants only)
RANGES_SQL = f"""INSERT INTO ranges
WITH {_PEERS}
SELECT indicator, period, min(value), quantile_cont(value, 0.25), quantile_cont(value, 0.75), max(value), count(*),
       '{PEER_SET}'
FROM vals GROUP BY indicator, period HAVING count(*) >= 5
ORDER BY indicator, period"""  # noqa: S608 (constants only)
COMPARISON_FIELDS = (
    "benchmark_code benchmark_role method outcome judgement reason sentence value lci_95 uci_95 benchmark_value rank"
    " peers quintile"
)
TREND_FIELDS = (
    "period label method outcome judgement n_points first_period first_label first_value last_value slope slope_se z"
    " reason sentence"
)
CHANGE_FIELDS = "periods_back from_period from_label from_value to_label to_value absolute percent annual_rate"
LQ_FIELDS = "year area_value area_total area_share uk_value uk_total uk_share lq"
SS_FIELDS = "base_year end_year base_value end_value actual_change national_growth industry_mix local"
METHOD_CHANGE = "change-over-periods"


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Sequence[Any]]) -> None:
    """Insert rows (tuples in the table's declared column order) in the table's declared order."""
    schema.insert(con, schema.TABLES[table], rows)


def _pick(obj: object, fields: str) -> tuple[Any, ...]:
    """The named attributes of ``obj`` in order, for building table rows from result records."""
    return tuple(getattr(obj, f) for f in fields.split())


@dataclass(frozen=True, slots=True)
class _Obs:
    indicator: str
    area_code: str
    period: str
    label: str
    start: Any
    duration: str | None
    value: float | None
    lci: float | None
    uci: float | None
    numerator: float | None
    denominator: float | None


def derive(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    sources_dir: Path | None,
    *,
    judgements: dict[str, Judgement] | None = None,
    neighbour_spec: nb.NeighbourSpec | None = None,
    shift_share_years: Sequence[tuple[int, int]] = prod.DEFAULT_SHIFT_SHARE_YEARS,
) -> list[Finding]:
    """Create the derived tables on ``con`` (a release being written); return findings for problems."""
    findings: list[Finding] = []
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    if judgements is None:
        try:
            judgements = load_judgements()
        except JudgementError as exc:
            findings.append(Finding("judgement.invalid", Severity.ERROR, "metadata/indicators.toml", str(exc)))
            judgements = {}
    schema.create(con, schema.DERIVED_TABLES)
    slugs = [r[0] for r in con.execute("SELECT slug FROM indicators ORDER BY slug").fetchall()]
    findings.extend(check_against_release(judgements, slugs))
    js = {s: judgement_for(judgements, s) for s in slugs}
    fmts = {
        r[0]: IndicatorFormat(r[0], r[1], r[2], r[3], r[4], r[5])
        for r in con.execute("SELECT slug, label, prefix, suffix, decimals, unit FROM indicators").fetchall()
    }
    names: dict[str, str] = dict(con.execute("SELECT code, name FROM areas").fetchall())
    _write_judgements(con, js)
    _write_methods(con)
    lap("judgements")

    con.execute(SUCCESSORS_SQL)
    con.execute(RANKS_SQL)
    con.execute(RANGES_SQL)
    classes.write_map_classes(con)
    lap("ranks")

    groups = {g.slug: list(g.members) for g in config.groups}
    scope = list(dict.fromkeys([*config.areas_of_interest, *config.comparators, *groups]))
    relations = con.execute(
        "SELECT code, relation, parent FROM area_relations WHERE relation IN ('rgn', 'itl1') ORDER BY code, relation"
    ).fetchall()
    parents: dict[str, dict[str, str]] = defaultdict(dict)
    for code, relation, parent in relations:
        parents[code][relation] = parent
    wanted = set(scope) | {m for ms in groups.values() for m in ms} | {ENGLAND, ENGLAND_ITL1}
    for code in list(wanted):
        wanted.update(parents.get(code, {}).values())
    obs = _load_observations(con, sorted(wanted))
    lap("load")

    aggregates = _aggregates(groups, js, obs, names)
    _write_aggregates(con, aggregates, js, fmts, names, obs)
    lap("aggregates")

    series = _scope_series(scope, obs, aggregates)
    ranks = _scope_ranks(con, scope)
    _write_comparisons(con, scope, groups, parents, series, obs, js, fmts, names, ranks)
    lap("comparisons")
    # England's ITL1 code (TLB) stands in for E92000001 where only it has data (GVA): its changes are wanted too
    _write_trends(con, {**_scope_series([ENGLAND_ITL1], obs, []), **series}, js, fmts, names)
    lap("trends")

    try:
        spec = neighbour_spec or nb.load_spec()
    except (OSError, ValueError) as exc:
        findings.append(Finding("neighbours.spec", Severity.WARNING, "metadata/neighbours.toml", str(exc)))
        spec = None
    if spec is not None:
        missing = [s for s in spec.indicators if s not in js]
        for s in missing:
            findings.append(
                Finding(
                    "neighbours.unknown-indicator",
                    Severity.WARNING,
                    "metadata/neighbours.toml",
                    f"neighbour indicator {s!r} is not in this release; no neighbours are computed",
                    value=s,
                )
            )
        if not missing:
            _write_neighbours(con, nb.neighbours_from_release(con, spec))
            con.execute(
                """INSERT INTO neighbour_medians
                SELECT n.area_code, o.indicator, o.period, median(o.value), count(*)
                FROM neighbours n JOIN observations o ON o.area_code = n.neighbour_code
                WHERE o.value IS NOT NULL AND n.area_code IN (SELECT unnest(?::VARCHAR[]))
                GROUP BY ALL ORDER BY 1, 2, 3""",
                [list(config.areas_of_interest)],
            )
    lap("neighbours")

    _write_productivity(con, groups, names)
    lap("productivity")

    schema.create(con, schema.GVA_TABLES)  # always created, so readers need not ask whether the source was there
    gva_dir = sources_dir / GVA_SOURCE if sources_dir is not None else None
    if gva_dir is not None and gva_dir.is_dir():
        if config.source(GVA_SOURCE) is None:
            findings.append(
                Finding("source.undeclared", Severity.WARNING, GVA_SOURCE,
                        f"{GVA_SOURCE} is read for the GVA-by-industry tables but is not a [[sources]] entry of the "
                        "config, so its files are not hashed into the release's inputs")
            )  # fmt: skip
        findings.extend(_write_gva(con, gva_dir, config, shift_share_years))
    lap("gva")
    findings.append(
        Finding(
            "derive.timing",
            Severity.INFO,
            "stats/derive",
            "derived tables in " + ", ".join(f"{k} {v:.2f}s" for k, v in timings.items()),
        )
    )
    return findings


def _scope_series(
    scope: Sequence[str], obs: dict[tuple[str, str, str], _Obs], aggregates: Sequence[agg.Aggregate]
) -> dict[tuple[str, str], list[_Obs]]:
    """Each scope area's series in time order: its observations, or for a group its complete aggregates."""
    wanted = set(scope)
    series: dict[tuple[str, str], list[_Obs]] = defaultdict(list)
    for o in obs.values():
        if o.area_code in wanted and o.value is not None:
            series[(o.indicator, o.area_code)].append(o)
    when = {(o.indicator, o.period): (o.label, o.start, o.duration) for o in obs.values()}
    for a in aggregates:
        if a.complete and a.value is not None and a.period is not None:
            label, start, duration = when[(a.indicator, a.period)]
            group_obs = _Obs(a.indicator, a.group, a.period, label, start, duration, a.value, None, None, a.numerator,
                             a.denominator)  # fmt: skip
            series[(a.indicator, a.group)].append(group_obs)
    for points in series.values():
        points.sort(key=lambda o: (o.start, o.duration or ""))
    return series


def _load_observations(con: duckdb.DuckDBPyConnection, codes: Sequence[str]) -> dict[tuple[str, str, str], _Obs]:
    rows = con.execute(
        """SELECT indicator, area_code, period, period_label, period_start, period_duration, value, lci_95, uci_95,
                  numerator, denominator
           FROM observations WHERE area_code IN (SELECT unnest(?::VARCHAR[]))
           ORDER BY indicator, area_code, period_start, period_duration""",
        [list(codes)],
    ).fetchall()
    return {(r[0], r[1], r[2]): _Obs(*r) for r in rows}


def _write_judgements(con: duckdb.DuckDBPyConnection, js: dict[str, Judgement]) -> None:
    rows = [
        (
            j.slug,
            j.polarity,
            j.aggregation,
            j.comparison,
            j.numerator,
            j.denominator,
            j.multiplier if j.aggregation == "ratio" else None,
            j.weight,
            j.note,
            j.reviewed,
        )
        for j in js.values()
    ]
    _insert(con, "indicator_judgements", rows)


def all_methods() -> dict[str, tuple[str, str]]:
    """Every method id a derived table can name, with its title and description (for /methodology)."""
    methods: dict[str, tuple[str, str]] = {}
    for part in (cmp.METHODS, tr.METHODS, agg.METHODS, prod.METHODS, business.METHODS):
        methods.update(part)
    methods[METHOD_RANK] = (
        "Rank among English lower-tier authorities",
        "Every English lower-tier authority (codes E06, E07, E08, E09) with a value for the period, ranked by value "
        "with 1 = highest and ties sharing the better rank. An authority whose GSS code changed (e.g. Barnsley "
        "E08000016 → E08000038 and Sheffield E08000019 → E08000039 in 2025) is followed through its successor "
        "code, so it is ranked whichever code the publisher uses for the period (the current code where both have "
        "a value); the same peers give the range (minimum, quartiles, maximum) on area pages. The peer count is "
        "stated beside every rank; quintile = floor(5 × (rank − 1) / authorities) "
        "+ 1, so rank 1 is always in the highest fifth.",
    )
    methods[nb.METHOD_ID] = ("Statistical neighbours", nb.METHOD)
    methods[classes.METHOD] = ("Map classes", classes.DESCRIPTION)
    return methods


def _write_methods(con: duckdb.DuckDBPyConnection) -> None:
    rows = [(k, t, d) for k, (t, d) in all_methods().items()]
    _insert(con, "methods", rows)


def _aggregates(
    groups: dict[str, list[str]], js: dict[str, Judgement], obs: dict[tuple[str, str, str], _Obs], names: dict[str, str]
) -> list[agg.Aggregate]:
    member_codes = {m for ms in groups.values() for m in ms}
    by_slug: dict[str, dict[str, dict[str, _Obs]]] = defaultdict(lambda: defaultdict(dict))  # slug → period → member
    for o in obs.values():
        if o.area_code in member_codes:
            by_slug[o.indicator][o.period][o.area_code] = o
    out: list[agg.Aggregate] = []
    for group, members in groups.items():
        for slug, j in js.items():
            at_period = by_slug.get(slug, {})
            periods = sorted(p for p, ms in at_period.items() if any(m in ms for m in members))
            if not periods:
                empty = agg.aggregate(j, group, None, members, {}, names)
                if j.aggregation != "not-aggregable":
                    why = f"None of the {len(members)} members has data for this indicator in this release."
                    empty = dataclasses.replace(empty, reason=why)
                out.append(empty)
                continue
            for period in periods:
                at = at_period[period]
                values: dict[str, agg.MemberValue] = {}
                for m in members:
                    mo = at.get(m)
                    if mo is None:
                        continue
                    num, den = mo.numerator, mo.denominator
                    if j.aggregation == "ratio" and j.numerator != PUBLISHED and j.numerator and j.denominator:
                        n_obs = obs.get((j.numerator, m, period))
                        d_obs = obs.get((j.denominator, m, period))
                        num = n_obs.value if n_obs else None
                        den = d_obs.value if d_obs else None
                    weight = None
                    if j.aggregation == "weighted-mean" and j.weight:
                        w_obs = obs.get((j.weight, m, period))
                        weight = w_obs.value if w_obs else None
                    values[m] = agg.MemberValue(mo.value, num, den, weight)
                out.append(agg.aggregate(j, group, period, members, values, names))
    return out


def _write_aggregates(
    con: duckdb.DuckDBPyConnection,
    aggregates: list[agg.Aggregate],
    js: dict[str, Judgement],
    fmts: dict[str, IndicatorFormat],
    names: dict[str, str],
    obs: dict[tuple[str, str, str], _Obs],
) -> None:
    labels = {(o.indicator, o.period): o.label for o in obs.values()}
    notes = {slug: j.note for slug, j in js.items()}
    rows = []
    for a in aggregates:
        label = labels.get((a.indicator, a.period)) if a.period else None
        sentence = aggregate_sentence(
            names.get(a.group, a.group), fmts[a.indicator], label, a.value, a.rule, a.members_total, a.complete,
            a.reason, notes.get(a.indicator),
        )  # fmt: skip
        rows.append(
            (*_pick(a, "group indicator period"), label,
             *_pick(a, "value partial_value rule method members_with_data members_total complete"), list(a.missing),
             *_pick(a, "numerator denominator reason"), sentence)
        )  # fmt: skip
    _insert(con, "aggregates", rows)


def _scope_ranks(con: duckdb.DuckDBPyConnection, scope: Sequence[str]) -> dict[tuple[str, str, str], cmp.RankInfo]:
    rows = con.execute(
        "SELECT indicator, area_code, period, rank, peers, quintile FROM ranks"
        " WHERE area_code IN (SELECT unnest(?::VARCHAR[]))",
        [list(scope)],
    ).fetchall()
    return {(r[0], r[1], r[2]): cmp.RankInfo(r[3], r[4], r[5]) for r in rows}


def _benchmarks(
    area: str, groups: dict[str, list[str]], parents: dict[str, dict[str, str]]
) -> list[tuple[str, tuple[str, ...]]]:
    """(role, candidate codes in order of preference) for an area."""
    out: list[tuple[str, tuple[str, ...]]] = []
    members = groups.get(area)
    if area != ENGLAND and (area.startswith("E") or members is not None):
        out.append(("england", (ENGLAND, ENGLAND_ITL1)))
    if members is not None:
        regions = {parents.get(m, {}).get("rgn") for m in members}
        itl1s = {parents.get(m, {}).get("itl1") for m in members}
        rgn = next(iter(regions)) if len(regions) == 1 else None
        itl1 = next(iter(itl1s)) if len(itl1s) == 1 else None
    else:
        rgn, itl1 = parents.get(area, {}).get("rgn"), parents.get(area, {}).get("itl1")
    candidates = tuple(c for c in (rgn, itl1) if c and c != area)
    if candidates:
        out.append(("region", candidates))
    for group, ms in groups.items():
        if area in ms:
            out.append(("group", (group,)))
    return out


def _write_comparisons(
    con: duckdb.DuckDBPyConnection,
    scope: Sequence[str],
    groups: dict[str, list[str]],
    parents: dict[str, dict[str, str]],
    series: dict[tuple[str, str], list[_Obs]],
    obs: dict[tuple[str, str, str], _Obs],
    js: dict[str, Judgement],
    fmts: dict[str, IndicatorFormat],
    names: dict[str, str],
    ranks: dict[tuple[str, str, str], cmp.RankInfo],
) -> None:
    group_values = {(o.indicator, o.area_code, o.period): o for key, s in series.items() if key[1] in groups for o in s}
    rows = []
    for area in scope:
        benchmarks = _benchmarks(area, groups, parents)
        if not benchmarks:
            continue
        for slug in js:
            for o in series.get((slug, area), ()):
                assert o.value is not None
                for role, candidates in benchmarks:
                    bench = None
                    for code in candidates:
                        b = (
                            group_values.get((slug, code, o.period))
                            if code in groups
                            else obs.get((slug, code, o.period))
                        )
                        if b is not None and b.value is not None:
                            bench = b
                            break
                    if bench is None or bench.value is None:
                        continue
                    c = cmp.compare(
                        js[slug], fmts[slug], area_code=area, area_name=names.get(area, area),
                        benchmark_code=bench.area_code, benchmark_name=names.get(bench.area_code, bench.area_code),
                        benchmark_role=role, period=o.period, period_label=o.label, value=o.value, lci=o.lci,
                        uci=o.uci, benchmark_value=bench.value, rank=ranks.get((slug, area, o.period)),
                    )  # fmt: skip
                    rows.append(
                        (*_pick(c, "indicator area_code period"), o.label,
                         *_pick(c, COMPARISON_FIELDS), js[slug].polarity)
                    )  # fmt: skip
    _insert(con, "comparisons", rows)


def _main_kinds(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Each indicator's main period type (the type most of its values have), see validate.main_period_kind."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for slug, kind, n in con.execute(
        f"SELECT indicator, {PERIOD_KIND_SQL.format(p='')}, count(*) FROM observations GROUP BY ALL"  # noqa: S608
    ).fetchall():
        counts[slug][kind] = n
    return {slug: main_period_kind(c) for slug, c in counts.items()}


def _write_trends(
    con: duckdb.DuckDBPyConnection,
    series: dict[tuple[str, str], list[_Obs]],
    js: dict[str, Judgement],
    fmts: dict[str, IndicatorFormat],
    names: dict[str, str],
) -> None:
    """Trends and changes within each period type of a series (a 3-year value is never compared with an
    annual one); ``latest`` marks the last point of the indicator's main type."""
    main = _main_kinds(con)
    trend_rows = []
    change_rows = []
    for (slug, area), obs_list in sorted(series.items()):
        by_kind: dict[str, list[tr.Point]] = defaultdict(list)
        for o in obs_list:
            if o.value is not None:
                by_kind[period_kind(o.duration, o.start)].append(
                    tr.Point(o.period, o.label, o.start, o.duration, o.value, o.lci, o.uci)
                )
        if not by_kind:
            continue
        fmt = fmts[slug]
        name = names.get(area, area)
        latest_kind = main.get(slug) if main.get(slug) in by_kind else max(by_kind, key=lambda k: len(by_kind[k]))
        for kind, points in sorted(by_kind.items()):
            series_ = tr.Series(points)
            apart = js[slug].not_comparable_over_time  # e.g. IoD2019 and IoD2025 ranks: no change, no trend
            for end in range(len(points)):
                if apart:
                    t = tr.not_comparable_trend(points[end], fmt, name, apart)
                else:
                    t = tr.assess_trend(series_, end, js[slug].polarity, fmt, name, cash=js[slug].prices == "current")
                latest = kind == latest_kind and end == len(points) - 1
                trend_rows.append((slug, area, *_pick(t, TREND_FIELDS), latest))
                for c in tr.changes_at(series_, end, fmt) if not apart else ():
                    change_rows.append(
                        (slug, area, c.to_period, *_pick(c, CHANGE_FIELDS), METHOD_CHANGE, c.reason)
                    )  # fmt: skip
    _insert(con, "trends", trend_rows)
    _insert(con, "changes", change_rows)


def _write_neighbours(con: duckdb.DuckDBPyConnection, result: nb.NeighbourResult) -> None:
    rows = [(n.area_code, n.neighbour_code, n.rank, n.distance, nb.METHOD_ID) for n in result.neighbours]
    _insert(con, "neighbours", rows)
    _insert(con, "neighbour_exclusions", result.excluded)
    _insert(con, "neighbour_indicators", result.used)


def _write_productivity(con: duckdb.DuckDBPyConnection, groups: dict[str, list[str]], names: dict[str, str]) -> None:
    gva = prod.GVA_PER_HOUR
    con.execute(
        f"""INSERT INTO productivity_index
        WITH eng AS (
          SELECT period, arg_min(area_code, CASE area_code WHEN '{ENGLAND}' THEN 0 ELSE 1 END) AS code,
                 arg_min(value, CASE area_code WHEN '{ENGLAND}' THEN 0 ELSE 1 END) AS value
          FROM observations WHERE indicator = '{gva}' AND area_code IN ('{ENGLAND}', '{ENGLAND_ITL1}')
            AND value IS NOT NULL AND value > 0
          GROUP BY period)
        SELECT o.area_code, o.period, o.period_label, o.value, e.code, e.value,
               CASE WHEN o.value IS NOT NULL AND e.value IS NOT NULL THEN 100 * o.value / e.value END,
               '{prod.METHOD_INDEX}',
               CASE WHEN e.value IS NULL THEN 'No value for England in this period, so no index.'
                    WHEN o.value IS NULL THEN 'No published value for this area and period.'
                    ELSE 'GVA per hour worked ' || round(o.value, 2) || ' / England ' || round(e.value, 2) || ' × 100.'
               END
        FROM observations o LEFT JOIN eng e ON e.period = o.period
        WHERE o.indicator = '{gva}'
        ORDER BY o.area_code, o.period"""  # noqa: S608
    )
    for group, members in groups.items():
        rows = con.execute(
            """SELECT period, any_value(period_label), list(area_code ORDER BY area_code),
                      list("index" ORDER BY area_code)
               FROM productivity_index WHERE area_code IN (SELECT unnest(?::VARCHAR[])) AND "index" IS NOT NULL
               GROUP BY period ORDER BY period""",
            [members],
        ).fetchall()
        out = []
        for period, label, codes, indices in rows:
            shown = "; ".join(f"{names.get(c, c)} {nf.number(i, 1)}" for c, i in zip(codes, indices, strict=True))
            reason = (
                f"Not computable: GVA per hour is total GVA / total hours, and the release has neither total for the "
                f"{len(members)} members, so {possessive(names.get(group, group))} index cannot be computed (an "
                f"average of members' indices would be wrong). Members' indices (England = 100): {shown}."
            )
            out.append((group, period, label, None, None, None, None, prod.METHOD_GROUP_INDEX, reason))
        _insert(con, "productivity_index", out)


def focus_itl3(con: duckdb.DuckDBPyConnection, config: Config) -> list[str]:
    """The ITL3 areas containing the areas of interest (for South Essex: TLH31, TLH32, TLH36, TLH37)."""
    rows = con.execute(
        "SELECT DISTINCT parent FROM area_relations WHERE relation = 'itl3'"
        " AND code IN (SELECT unnest(?::VARCHAR[])) ORDER BY parent",
        [list(config.areas_of_interest)],
    ).fetchall()
    return [r[0] for r in rows]


def _write_gva(
    con: duckdb.DuckDBPyConnection, folder: Path, config: Config, years: Iterable[tuple[int, int]]
) -> list[Finding]:
    focus = set(focus_itl3(con, config))
    # Every area's 18 broad industries at current prices (for the UK sum); everything else only for the focus.
    result = read_gva_itl3(
        folder,
        keep=lambda prices, code, level: code in focus or (prices == "current" and level in ("industry", "division")),
    )
    imputed: dict[tuple[str, int], float] = {}  # (ITL3, year) → owner-occupiers' imputed rental, current prices
    for r in result.rows:
        if r.prices == "current" and r.sic_code.strip() == prod.IMPUTED_RENTAL:
            for year, value in r.values.items():
                imputed[(r.itl3_code, year)] = value
    uk_imputed: dict[int, float] = defaultdict(float)
    for (_code, year), value in imputed.items():
        uk_imputed[year] += value
    table = prod.industry_table(result.rows, "current")
    uk = prod.uk_sum(table)
    descriptions = {r.sic_code: r.sic_description.strip() for r in result.rows}
    area_totals = {key: sum(v.values()) for key, v in table.items()}
    rows: list[tuple[Any, ...]] = []
    for r in prod.focus_rows(result.rows, focus):
        for year, value in r.values.items():
            total = area_totals.get((r.itl3_code, year)) if r.prices == "current" else None
            share = value / total if r.level == "industry" and total else None
            rows.append(
                (*_pick(r, "prices itl3_code itl3_name sic_code sic_description level"), year, value, share,
                 r.source_file, r.source_row)
            )  # fmt: skip
    for year, industries in uk.items():
        total = sum(industries.values())
        for sic, v in industries.items():
            rows.append(
                ("current", prod.UK_ITL3_SUM, "United Kingdom (sum of ITL3 areas)", sic, descriptions[sic], "industry",
                 year, v, v / total if total else None, "derived: sum of ITL3 areas", None)
            )  # fmt: skip
    _insert(con, "gva_industry", rows)

    lq_rows = []
    for code in sorted(focus):
        for year in sorted(uk):
            area = table.get((code, year))
            if not area:
                continue
            market = prod.market_basis(area, imputed.get((code, year)))
            uk_market = prod.market_basis(uk[year], uk_imputed.get(year))
            for q in prod.location_quotients(market, uk_market, code, year):
                description = descriptions[q.sic_code]
                if industry_letters(q.sic_code) == prod.REAL_ESTATE and (code, year) in imputed:
                    description += " (excluding owner-occupiers' imputed rental)"
                lq_rows.append(
                    (q.itl3_code, q.sic_code, description, *_pick(q, LQ_FIELDS), "current", prod.METHOD_LQ,
                     q.exclusion)
                )  # fmt: skip
    _insert(con, "location_quotients", lq_rows)

    ss_rows = []
    findings = list(result.findings)
    for base_year, end_year in years:
        if base_year not in uk or end_year not in uk:
            findings.append(
                Finding(
                    "shift-share.years",
                    Severity.WARNING,
                    GVA_SOURCE,
                    f"shift-share {base_year}–{end_year}: a year is not in the GVA tables",
                    value=f"{base_year}-{end_year}",
                )
            )
            continue
        for code in sorted(focus):
            base, end = table.get((code, base_year)), table.get((code, end_year))
            if not base or not end:
                continue
            for s in prod.shift_share(code, base, end, uk[base_year], uk[end_year], base_year, end_year):
                growth = 100 * s.industry_growth if s.industry_growth is not None else None
                ss_rows.append(
                    (s.itl3_code, s.sic_code, descriptions.get(s.sic_code, "All industries"), *_pick(s, SS_FIELDS),
                     100 * s.uk_growth, growth, "current", prod.METHOD_SHIFT_SHARE)
                )  # fmt: skip
    _insert(con, "shift_share", ss_rows)
    return findings
