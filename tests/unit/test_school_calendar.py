"""The school calendar: teaching weeks from September to May, the holidays skipped."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.services import school_calendar as cal
from app.services.school_calendar import Season


def test_the_published_2025_2026_holidays_are_skipped() -> None:
    weeks = cal.teaching_weeks(2025)
    mondays = {week.starts_on for week in weeks}
    assert weeks[0].starts_on == date(2025, 9, 1)
    assert date(2025, 10, 27) not in mondays, "autumn holidays, 27 October to 2 November"
    assert date(2025, 12, 29) not in mondays, "winter holidays from 29 December"
    assert date(2026, 1, 5) not in mondays, "only two school days after 7 January"
    assert date(2026, 3, 16) in mondays, "three school days before the spring holidays"
    assert date(2026, 3, 23) not in mondays, "spring holidays, 19 to 29 March"
    assert weeks[-1].starts_on == date(2026, 5, 25)
    assert len(weeks) == 35


def test_each_holiday_is_shown_before_the_first_week_after_it() -> None:
    weeks = cal.teaching_weeks(2025)
    after = {week.starts_on: week.after.season for week in weeks if week.after}
    assert after == {
        date(2025, 11, 3): Season.AUTUMN,
        date(2026, 1, 12): Season.WINTER,
        date(2026, 3, 30): Season.SPRING,
    }


@pytest.mark.parametrize("year", range(2023, 2051))
def test_every_school_year_has_at_least_34_teaching_weeks(year: int) -> None:
    weeks = cal.teaching_weeks(year)
    assert len(weeks) >= 34
    assert [week.number for week in weeks] == list(range(1, len(weeks) + 1))
    assert all(week.starts_on.weekday() == 0 for week in weeks)
    assert weeks[0].starts_on <= date(year, 9, 1) + timedelta(days=6)
    assert weeks[-1].starts_on <= date(year + 1, 5, 31)
    for week in weeks:
        for holiday in cal.holidays(year):
            taught = [week.starts_on + timedelta(days=n) for n in range(5)]
            assert sum(day not in holiday for day in taught) >= cal.MIN_SCHOOL_DAYS


def test_a_year_without_a_published_order_gets_the_usual_holidays() -> None:
    assert 2026 not in cal.PUBLISHED_HOLIDAYS
    autumn, winter, spring = cal.holidays(2026)
    assert (autumn.first, autumn.last) == (date(2026, 10, 26), date(2026, 11, 1))
    assert (winter.first, winter.last) == (date(2026, 12, 29), date(2027, 1, 7))
    assert (spring.first, spring.last) == (date(2027, 3, 19), date(2027, 3, 29))
    assert cal.holidays(2025) == cal.PUBLISHED_HOLIDAYS[2025]


def test_the_school_year_of_a_day() -> None:
    assert cal.school_year_of(date(2027, 3, 1)) == 2026
    assert cal.school_year_of(date(2026, 8, 20)) == 2026, "August plans the coming year"
    assert cal.school_year_start(date(2027, 3, 1)) == date(2026, 8, 31)
