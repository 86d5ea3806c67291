import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from observatory.periods import PeriodError, parse_period


@pytest.mark.parametrize(
    ("text", "start", "duration", "label"),
    [
        ("2022-01-01/P1Y", dt.date(2022, 1, 1), "P1Y", "2022"),
        ("2023-04-01/P1Y", dt.date(2023, 4, 1), "P1Y", "2023/24"),
        ("2020-08-01/P1Y", dt.date(2020, 8, 1), "P1Y", "2020/21"),
        ("2013-01-01/P3Y", dt.date(2013, 1, 1), "P3Y", "2013–2015"),
        ("2016-01-01/P5Y", dt.date(2016, 1, 1), "P5Y", "2016–2020"),
        ("2025-04-01/P1M", dt.date(2025, 4, 1), "P1M", "Apr 2025"),
        ("2024-10-01/P3M", dt.date(2024, 10, 1), "P3M", "Oct–Dec 2024"),
        ("2024-12-01/P3M", dt.date(2024, 12, 1), "P3M", "Dec 2024–Feb 2025"),
        ("2025-04-30", dt.date(2025, 4, 30), None, "30 Apr 2025"),
        ("2004-01-01T00:00:00/P1Y", dt.date(2004, 1, 1), "P1Y", "2004"),
        ("2022", dt.date(2022, 1, 1), "P1Y", "2022"),
        (" 2022 ", dt.date(2022, 1, 1), "P1Y", "2022"),
    ],
)
def test_publisher_forms(text: str, start: dt.date, duration: str | None, label: str) -> None:
    period = parse_period(text)
    assert (period.start, period.duration, period.label) == (start, duration, label)


def test_bare_year_and_interval_are_the_same_period() -> None:
    assert parse_period("2022").iso == parse_period("2022-01-01/P1Y").iso == "2022-01-01/P1Y"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("2023-02-30/P1Y", "impossible date"),
        ("2023-13-01", "impossible date"),
        ("2023-01-01/P0Y", "zero"),
        ("2023-01-01/P", "zero"),
        ("banana", "not an ISO 8601"),
        ("1066", "outside"),
        ("2023-01-01T13:30:00/P1Y", "midnight"),
        ("2023-01-01/P999Y", "implausibly long"),
        ("22/01/2023", "not an ISO 8601"),
    ],
)
def test_rejects_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(PeriodError, match=reason):
        parse_period(text)


@given(st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31)), st.sampled_from(["P1Y", "P3Y", "P1M", "P3M"]))
def test_round_trip(start: dt.date, duration: str) -> None:
    period = parse_period(f"{start.isoformat()}/{duration}")
    assert period.iso == f"{start.isoformat()}/{duration}"
    assert parse_period(period.iso) == period
