"""The school year in Kazakhstan: its holidays and the teaching weeks between them.

Source of the dates: each year the Minister of Enlightenment of the Republic of Kazakhstan
sets the start, the length and the holidays of the coming school year by order ("Об
определении начала, продолжительности и каникулярных периодов … учебного года в
организациях среднего образования"; the 2025–2026 one is the order of 5 August 2025).
``PUBLISHED_HOLIDAYS`` copies the holidays of the orders published so far (grades 1–11; the
extra February week of first-graders is left out). A school year not listed yet gets
``standard_holidays``: the pattern of the recent orders. Schools and regions do adjust the
dates (a quarantine, a weather closure, a school's own calendar): the plan built on these weeks
is a guide, and the teacher reorders it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cache


class Season(StrEnum):
    AUTUMN = "autumn"
    WINTER = "winter"
    SPRING = "spring"


@dataclass(frozen=True)
class Holiday:
    season: Season
    first: date
    last: date  # inclusive

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last


def _holidays(*spans: tuple[Season, date, date]) -> tuple[Holiday, ...]:
    return tuple(Holiday(season, first, last) for season, first, last in spans)


# Keyed by the calendar year in which the school year starts.
PUBLISHED_HOLIDAYS: Mapping[int, tuple[Holiday, ...]] = {
    2023: _holidays(
        (Season.AUTUMN, date(2023, 10, 30), date(2023, 11, 5)),
        (Season.WINTER, date(2023, 12, 29), date(2024, 1, 7)),
        (Season.SPRING, date(2024, 3, 21), date(2024, 3, 31)),
    ),
    2024: _holidays(
        (Season.AUTUMN, date(2024, 10, 28), date(2024, 11, 3)),
        (Season.WINTER, date(2024, 12, 30), date(2025, 1, 8)),
        (Season.SPRING, date(2025, 3, 21), date(2025, 3, 31)),
    ),
    2025: _holidays(
        (Season.AUTUMN, date(2025, 10, 27), date(2025, 11, 2)),
        (Season.WINTER, date(2025, 12, 29), date(2026, 1, 7)),
        (Season.SPRING, date(2026, 3, 19), date(2026, 3, 29)),
    ),
}
# The plan covers 1 September to the end of May (the orders end the year on 25 May; the last
# days of May stay in the plan for classes that still meet).
FIRST_DAY = (9, 1)
LAST_DAY = (5, 31)
# A week is a teaching week when at least this many of its weekdays are school days: a week
# cut short by a holiday keeps its class hour only if most of the week is taught.
MIN_SCHOOL_DAYS = 3


@dataclass(frozen=True)
class TeachingWeek:
    number: int  # 1 for the first teaching week of the school year
    starts_on: date  # its Monday
    after: Holiday | None = None  # the holiday that ends just before this week, if any


def school_year_of(today: date) -> int:
    """The calendar year in which the school year that ``today`` belongs to started.

    August belongs to the coming school year: teachers plan it before 1 September.
    """
    return today.year if today.month >= 8 else today.year - 1


def school_year_start(today: date) -> date:
    """Monday of the week of 1 September that opened the school year of ``today``."""
    first = date(school_year_of(today), *FIRST_DAY)
    return first - timedelta(days=first.weekday())


def _last_monday(year: int, month: int) -> date:
    following = date(year + month // 12, month % 12 + 1, 1)
    last = following - timedelta(days=1)
    return last - timedelta(days=last.weekday())


def standard_holidays(year: int) -> tuple[Holiday, ...]:
    """The usual holidays of the school year starting in ``year``, as recent orders set them.

    Autumn: the seven days from the last Monday of October. Winter: 29 December to
    7 January. Spring: 19 to 29 March, around Nauryz.
    """
    autumn = _last_monday(year, 10)
    return _holidays(
        (Season.AUTUMN, autumn, autumn + timedelta(days=6)),
        (Season.WINTER, date(year, 12, 29), date(year + 1, 1, 7)),
        (Season.SPRING, date(year + 1, 3, 19), date(year + 1, 3, 29)),
    )


def holidays(year: int) -> tuple[Holiday, ...]:
    """The holidays of the school year starting in ``year``: published, or the usual ones."""
    return PUBLISHED_HOLIDAYS.get(year) or standard_holidays(year)


def _school_days(monday: date, first: date, last: date, breaks: tuple[Holiday, ...]) -> int:
    days = (monday + timedelta(days=n) for n in range(5))
    return sum(1 for day in days if first <= day <= last and not any(day in h for h in breaks))


@cache
def teaching_weeks(year: int) -> tuple[TeachingWeek, ...]:
    """The teaching weeks of the school year starting in ``year``, numbered from 1.

    Weeks run Monday to Friday from the week of 1 September to the end of May; a week with
    fewer than ``MIN_SCHOOL_DAYS`` school days (a holiday, the first or last days of the
    year) is not a teaching week.
    """
    first, last = date(year, *FIRST_DAY), date(year + 1, *LAST_DAY)
    breaks = holidays(year)
    waiting = sorted(breaks, key=lambda h: h.first)
    weeks: list[TeachingWeek] = []
    monday = first - timedelta(days=first.weekday())
    while monday <= last:
        if _school_days(monday, first, last, breaks) >= MIN_SCHOOL_DAYS:
            # A holiday is shown before the first teaching week that starts after it began.
            after = waiting.pop(0) if waiting and waiting[0].first < monday else None
            weeks.append(TeachingWeek(len(weeks) + 1, monday, after))
        monday += timedelta(weeks=1)
    return tuple(weeks)
