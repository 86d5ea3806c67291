"""Statistics done right: judgements, comparisons, trends, group aggregates, neighbours, productivity.

Every result names its method (a stable id documented in the ``methods`` table) and carries a one-sentence
reason, so pages and the API can explain each judgement and never claim more than the test shows.
The functions ``compare.compare`` and ``aggregate.aggregate`` are reached through their modules (their
names would shadow the modules here).
"""

from __future__ import annotations

from observatory.stats.aggregate import Aggregate, MemberValue
from observatory.stats.compare import Comparison, RankInfo, ci_outcome, judge, quintile_of, rank_among
from observatory.stats.derive import DERIVED_TABLES, GVA_TABLES, all_methods, derive
from observatory.stats.judgements import Judgement, JudgementError, judgement_for, load_judgements
from observatory.stats.neighbours import METHOD as NEIGHBOURS_METHOD
from observatory.stats.neighbours import NeighbourSpec, nearest_neighbours
from observatory.stats.trend import Point, Trend, assess_trend, changes_at, weighted_slope

__all__ = [
    "DERIVED_TABLES",
    "GVA_TABLES",
    "NEIGHBOURS_METHOD",
    "Aggregate",
    "Comparison",
    "Judgement",
    "JudgementError",
    "MemberValue",
    "NeighbourSpec",
    "Point",
    "RankInfo",
    "Trend",
    "all_methods",
    "assess_trend",
    "changes_at",
    "ci_outcome",
    "derive",
    "judge",
    "judgement_for",
    "load_judgements",
    "nearest_neighbours",
    "quintile_of",
    "rank_among",
    "weighted_slope",
]
