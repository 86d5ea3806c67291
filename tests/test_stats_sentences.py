"""Plain-English sentences: the indicator's own formatting, and never more than the test showed."""

from __future__ import annotations

from observatory import format as nf
from observatory.stats.sentences import (
    IndicatorFormat,
    aggregate_sentence,
    ci_sentence,
    indicator_phrase,
    no_test_sentence,
    ordinal,
    possessive,
    trend_sentence,
    when,
)

PCT = IndicatorFormat("employment-rate", "Employment rate (Great Britain)", None, "%", 1, "%")
PAY = IndicatorFormat("gross-median-weekly-pay", "Gross median weekly pay", "£", None, 0, "£")
EXPORTS = IndicatorFormat("value-of-uk-exports", "Value of UK exports", "£", None, 0, "£ million")
COUNT = IndicatorFormat("active-businesses", "Active businesses", None, None, 0, "Number of enterprises")


def test_values_use_the_indicators_decimals_prefix_and_suffix() -> None:
    assert nf.value(78.1, PCT.style) == "78.1%"
    assert nf.value(724.3, PAY.style) == "£724"
    assert nf.value(937.0, EXPORTS.style) == "£937 million"
    assert nf.value(36280.0, COUNT.style) == "36,280"
    assert nf.value(-1.155884, IndicatorFormat("g", "G", None, None, 1, "£ million").style) == "-£1.2 million"
    assert nf.value(None, PCT.style) == "no data"
    assert nf.interval(74.1, 82.1, PCT.style) == "74.1–82.1%"
    assert nf.interval(626.03, 771.17, PAY.style) == "£626–£771"


def test_labels_read_naturally_inside_a_sentence() -> None:
    assert indicator_phrase("Employment rate (Great Britain)") == "employment rate"
    assert indicator_phrase("GCSEs in English and Maths") == "GCSEs in English and Maths"
    assert indicator_phrase("4G coverage") == "4G coverage"
    assert indicator_phrase("Northern Ireland super output areas GVA") == "Northern Ireland super output areas GVA"
    assert possessive("Thurrock") == "Thurrock's"
    assert possessive("St Albans") == "St Albans'"
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th",
    ]  # fmt: skip
    assert when("2023") == "in 2023"
    assert when("16 Apr 2008") == "on 16 Apr 2008"


def test_ci_sentences_say_only_what_the_interval_shows() -> None:
    similar = ci_sentence("Thurrock", "England", PCT, "2023", 78.1, 74.1, 82.1, 76.0, "similar", "similar")
    assert similar == (
        "Thurrock's employment rate (78.1%, 2023) is similar to England's (76.0%): England's value lies inside "
        "Thurrock's 95% confidence interval (74.1–82.1%)."
    )
    lower = ci_sentence("Thurrock", "England", PCT, "2023", 58.1, 53.2, 63.0, 67.4, "lower", "worse", "higher-better")
    assert "is significantly lower than England's (67.4%), which is worse (higher is better)" in lower
    plain = ci_sentence("X", "England", PCT, "2023", 58.1, 53.2, 63.0, 67.4, "lower", "lower", "no-judgement")
    assert "significantly lower than England's (67.4%):" in plain and "worse" not in plain


def test_without_a_test_no_judgement_words_appear() -> None:
    text = no_test_sentence("Brentwood", "England", PAY, "2023", 54.9, 42.4, "higher-better", "no intervals exist")
    assert "is above England's" in text and "no significance test is available" in text
    for word in ("better", "worse", "significant"):
        assert f" {word} " not in text.replace("higher is better", "")


def test_trend_and_aggregate_sentences() -> None:
    tested = trend_sentence("Thurrock", PAY, "increasing", "improving", 5, "2021", "2025", 586.0, 724.0, True)
    assert tested == (
        "Thurrock's gross median weekly pay rose from £586 in 2021 to £724 in 2025: a statistically significant "
        "increasing trend over 5 periods (weighted linear trend test, 95% level), so it is improving."
    )
    flat = trend_sentence(
        "A", PCT, "no significant change", "no significant change", 5, "2019", "2023", 7.8, 7.84, True
    )
    assert flat.startswith("A's employment rate was 7.8% both in 2019 and in 2023, but")
    untested = trend_sentence("A", PCT, "rose", "not-judged", 3, "2021", "2023", 1.0, 2.0, False, "no intervals")
    assert untested == "A's employment rate rose from 1.0% in 2021 to 2.0% in 2023; no intervals."
    shown = aggregate_sentence("South Essex", COUNT, "2024", 36280.0, "sum", 6, True, "Sum of all 6 members' values.")
    assert shown == "South Essex's active businesses in 2024 is 36,280: the sum of its 6 members' values."
    refused = aggregate_sentence("South Essex", PAY, "2024", None, "not-aggregable", 6, False, "x", "A median.")
    assert refused == "South Essex's gross median weekly pay cannot be computed from its members' figures. A median."
    partial = aggregate_sentence(
        "South Essex", COUNT, "2024", None, "sum", 6, False, "Only 5 of 6 members have a value."
    )
    assert partial == "South Essex's active businesses in 2024 is not shown. Only 5 of 6 members have a value."
