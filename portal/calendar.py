"""Office days and ROC (民國) dates — pure functions, no Flask, no database.

Spec: README §4.1 (ROC calendar), §4.3 (working days), decisions.md Q02,
rules-api.md `portal/calendar.py`.

The built-in calendar is Taiwan's national holidays from the `holidays`
package plus the make-up workdays (補行上班) and office closures shipped in
`portal/data/office_calendar.json`. A bureau administrator adds overrides
(typhoon closures, extra 補班) in the portal; the app loads them into an
`OfficeCalendar` and passes it as `cal=`. Overrides always win.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources

import holidays

ROC_OFFSET = 1911


@lru_cache(maxsize=1)
def _shipped_data() -> dict:
    raw = resources.files("portal").joinpath("data/office_calendar.json").read_text("utf-8")
    data = json.loads(raw)
    return {
        "make_up_workdays": {date.fromisoformat(d["date"]): d["name"] for d in data["make_up_workdays"]},
        "closures": {date.fromisoformat(d["date"]): d["name"] for d in data["closures"]},
    }


@lru_cache(maxsize=64)
def _national_holidays(year: int):
    return holidays.country_holidays("TW", years=year, language="zh_TW")


def _library_make_up_days(year: int) -> set[date]:
    # The library's set carries 2014-12-27 whatever year is asked for (toolchain.md).
    return {d for d in _national_holidays(year).weekend_workdays if d.year == year}


@dataclass(frozen=True)
class OfficeCalendar:
    """The built-in Taiwan calendar with the bureau's overrides on top.

    `office_days`: days that are office days whatever the built-in says (補行上班).
    `days_off`: days that are not (typhoon 停止辦公, extra closures).
    `names`: a label for each override day, shown in the calendar admin page.
    """

    office_days: frozenset = field(default_factory=frozenset)
    days_off: frozenset = field(default_factory=frozenset)
    names: dict = field(default_factory=dict, compare=False, hash=False)

    def builtin_is_office_day(self, day: date) -> bool:
        shipped = _shipped_data()
        if day in shipped["closures"]:
            return False
        if day in shipped["make_up_workdays"] or day in _library_make_up_days(day.year):
            return True
        if day in _national_holidays(day.year):
            return False
        return day.weekday() < 5

    def is_office_day(self, day: date) -> bool:
        if day in self.days_off:
            return False
        if day in self.office_days:
            return True
        return self.builtin_is_office_day(day)

    def day_name(self, day: date) -> str | None:
        """Return why a day is special (holiday, 補行上班, closure), or None."""
        if day in self.names:
            return self.names[day]
        shipped = _shipped_data()
        if day in shipped["closures"]:
            return shipped["closures"][day]
        if day in shipped["make_up_workdays"]:
            return shipped["make_up_workdays"][day]
        if day in _library_make_up_days(day.year):
            return "補行上班"
        return _national_holidays(day.year).get(day)


DEFAULT_CALENDAR = OfficeCalendar()


def is_office_day(day: date, *, cal: OfficeCalendar | None = None) -> bool:
    """Return True when government offices are open on `day`."""
    return (cal or DEFAULT_CALENDAR).is_office_day(day)


def add_office_days(start: date, days: int, *, cal: OfficeCalendar | None = None) -> date:
    """Return the `days`-th office day after `start` (`start` itself never counts).

    A negative `days` counts backwards: the latest day that is `-days` office
    days before `start` (advance-notice rules, README §4.3).
    """
    cal = cal or DEFAULT_CALENDAR
    step = 1 if days >= 0 else -1
    remaining = abs(days)
    day = start
    while remaining:
        day += timedelta(days=step)
        if cal.is_office_day(day):
            remaining -= 1
    return day


def roll_to_office_day(day: date, *, cal: OfficeCalendar | None = None) -> date:
    """Return `day` if it is an office day, else the first office day after it."""
    cal = cal or DEFAULT_CALENDAR
    while not cal.is_office_day(day):
        day += timedelta(days=1)
    return day


def calendar_days_due(start: date, days: int, *, cal: OfficeCalendar | None = None) -> date:
    """Return the due date of "within N (calendar) days" of `start`, rolled past rest days (Q02)."""
    return roll_to_office_day(start + timedelta(days=days), cal=cal)


# --- ROC dates (README §4.1) -------------------------------------------------

def roc_year(day: date) -> int:
    return day.year - ROC_OFFSET


def roc_date(day: date) -> str:
    """Return `day` as 「114年1月15日」."""
    return f"{roc_year(day)}年{day.month}月{day.day}日"


def roc_year_month(day: date) -> str:
    """Return 「111年04月」 (申報年月, zero-padded month)."""
    return f"{roc_year(day)}年{day.month:02d}月"


def roc_compact_month(day: date) -> str:
    """Return 「11103」 (本次費用月份)."""
    return f"{roc_year(day)}{day.month:02d}"


def roc_slash_month(day: date) -> str:
    """Return 「108/10」."""
    return f"{roc_year(day)}/{day.month:02d}"


def roc_numeric(day: date) -> str:
    """Return 「114/01/15」, the compact form used in tables and form fields."""
    return f"{roc_year(day)}/{day.month:02d}/{day.day:02d}"


_ROC_PATTERNS = [
    re.compile(r"^(?:中華)?(?:民國)?\s*(\d{1,3})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$"),
    re.compile(r"^(\d{1,3})([/.\-])(\d{1,2})\2(\d{1,2})$"),
]
_ISO_PATTERN = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")

FORMAT_ERROR = "日期格式不正確，請輸入如 114/1/15、114-01-15 或 2025-01-15"


def parse_roc_date(text: str) -> date:
    """Parse 114/1/15, 114-01-15, 114.1.15, 114年1月15日 or ISO 2025-01-15.

    Raise ValueError with a zh-TW message on anything else, including
    impossible dates such as 114/2/30.
    """
    if text is None:
        raise ValueError(FORMAT_ERROR)
    s = str(text).strip().replace("／", "/").replace("－", "-").translate(
        str.maketrans("０１２３４５６７８９", "0123456789"))
    year = month = dd = None
    if m := _ISO_PATTERN.match(s):
        year, month, dd = int(m[1]), int(m[2]), int(m[3])
    elif m := _ROC_PATTERNS[0].match(s):
        year, month, dd = int(m[1]) + ROC_OFFSET, int(m[2]), int(m[3])
    elif m := _ROC_PATTERNS[1].match(s):
        year, month, dd = int(m[1]) + ROC_OFFSET, int(m[3]), int(m[4])
    else:
        raise ValueError(FORMAT_ERROR)
    if year <= ROC_OFFSET:
        raise ValueError("民國年必須大於 0")
    try:
        return date(year, month, dd)
    except ValueError:
        raise ValueError(f"日期不存在：{s}") from None


_MONTH_PATTERNS = [
    re.compile(r"^(\d{2,3})(\d{2})$"),                               # 11103
    re.compile(r"^(?:民國)?(\d{1,3})\s*年\s*(\d{1,2})\s*月$"),          # 111年04月
    re.compile(r"^(\d{1,3})[/.\-](\d{1,2})$"),                        # 108/10, 113.12
]


def parse_roc_month(text: str) -> date:
    """Parse a ROC year-month (「11103」, 「111年04月」, 「108/10」, 「113.12」); return its first day."""
    s = (text or "").strip()
    for pattern in _MONTH_PATTERNS:
        if m := pattern.match(s):
            year, month = int(m[1]) + ROC_OFFSET, int(m[2])
            if 1 <= month <= 12 and year > ROC_OFFSET:
                return date(year, month, 1)
            break
    raise ValueError("年月格式不正確，請輸入如 114/03 或 114年3月")
