"""Result-report rules: WE-02 (due date, lateness), WE-24 (results table), user analysis, progress."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from portal.calendar import OfficeCalendar
from portal.reports import rules
from portal.reports.rules import ClientFacts, result_report_due, result_table, user_analysis

TPE = ZoneInfo("Asia/Taipei")


@dataclass(frozen=True)
class Day:
    """Mirrors billing's ServiceDayFigure: exactly its attributes."""

    client_id: int
    day: date
    day_fraction: Decimal
    welfare_status: str
    declared_amount: int
    copayment: int


def _days(client_id, status, count, subsidy_per_day, start=date(2025, 1, 1), fraction=Decimal(1), price=None):
    price = price or subsidy_per_day
    return [Day(client_id, start + timedelta(days=i), fraction, status, price, price - subsidy_per_day)
            for i in range(count)]


# --- WE-02 ------------------------------------------------------------------------

def test_we02_due_on_thursday_office_day():
    assert result_report_due(2025) == date(2026, 1, 15)


def test_we02_closure_on_due_day_rolls_to_next_office_day_same_cutoff():
    closed = OfficeCalendar(days_off=frozenset({date(2026, 1, 15)}))
    assert result_report_due(2025, cal=closed) == date(2026, 1, 16)
    deadline = rules.result_report_deadline(2025, time(17, 30), TPE, cal=closed)
    assert deadline == datetime(2026, 1, 16, 17, 30, tzinfo=TPE)


def test_we02_saturday_rolls_to_monday():
    assert result_report_due(2027) == date(2028, 1, 17)


def test_we02_receipt_date_counts():
    due = result_report_due(2025)
    assert not rules.received_late(date(2026, 1, 15), due)   # posted 01-13, received 01-15: on time
    assert rules.received_late(date(2026, 1, 16), due)


def test_submission_after_cutoff_on_due_day_is_late():
    deadline = rules.result_report_deadline(2025, rules.parse_cutoff("17:30"), TPE)
    assert not rules.is_late(datetime(2026, 1, 15, 17, 29, tzinfo=TPE), deadline)
    assert rules.is_late(datetime(2026, 1, 15, 17, 31, tzinfo=TPE), deadline)
    end_of_day = rules.result_report_deadline(2025, rules.parse_cutoff(""), TPE)
    assert not rules.is_late(datetime(2026, 1, 15, 23, 0, tzinfo=TPE), end_of_day)


def test_days_left():
    assert rules.days_left(date(2026, 1, 10), date(2026, 1, 15)) == 5
    assert rules.days_left(date(2026, 1, 20), date(2026, 1, 15)) == -5


# --- WE-24 ------------------------------------------------------------------------

def we24_days():
    return (_days(1, "general", 200, 950, price=1130) + _days(4, "general", 30, 950, price=1130)
            + _days(2, "mid_low", 150, 993, price=1045) + _days(3, "low", 220, 1210))


def test_we24_table():
    table = result_table(we24_days())
    assert table.persons == {"general": 2, "mid_low": 1, "low": 1, "total": 4}
    assert table.person_days == {"general": 230, "mid_low": 150, "low": 220, "total": 600}
    assert table.subsidy == {"general": 218_500, "mid_low": 148_950, "low": 266_200, "total": 633_650}
    assert table.changed_status == []


def _we24_variant():
    e = _days(5, "general", 100, 950, start=date(2025, 1, 2)) + _days(5, "low", 90, 1210, start=date(2025, 7, 1))
    return we24_days() + e


def test_we24_variant_q16_counts_each_client_once_in_last_status():
    table = result_table(_we24_variant())   # decisions.md Q16 (default)
    assert table.persons == {"general": 2, "mid_low": 1, "low": 2, "total": 5}
    assert table.person_days["total"] == 790
    assert table.changed_status == [5]


def test_we24_variant_each_status_rule_counts_distinct_total_not_six():
    table = result_table(_we24_variant(), person_rule="each_status")   # family-care.md §11.2 reading
    assert table.persons == {"general": 3, "mid_low": 1, "low": 2, "total": 5}
    assert table.person_days["total"] == 790


def test_half_days_count_half_by_default_and_one_when_set():
    days = _days(1, "general", 4, 950) + _days(1, "general", 3, 475, start=date(2025, 2, 1), fraction=Decimal("0.5"))
    assert result_table(days).person_days["general"] == Decimal("5.5")
    assert result_table(days, half_day_weight="1").person_days["general"] == 7
    assert result_table(days).subsidy["general"] == 4 * 950 + 3 * 475


def test_empty_year():
    table = result_table([])
    assert table.persons["total"] == 0 and table.subsidy["total"] == 0 and table.client_ids == []


def test_unknown_status_or_rule_refused():
    with pytest.raises(ValueError):
        result_table([Day(1, date(2025, 1, 1), Decimal(1), "rich", 1, 0)])
    with pytest.raises(ValueError):
        result_table([], person_rule="whatever")


# --- Section 五 -----------------------------------------------------------------

def test_user_analysis_rows_and_breakdowns():
    clients = {
        1: ClientFacts(1, "甲", "M", date(1940, 6, 1), 4, True, "1", "moderate"),
        2: ClientFacts(2, "乙", "F", date(1962, 1, 1), 2, False, None),
        5: ClientFacts(5, "戊", "F", date(1950, 12, 31), None, False, "7", "mild"),
    }
    days = (_days(1, "general", 3, 950) + _days(2, "mid_low", 2, 993)
            + _days(5, "general", 2, 950) + _days(5, "low", 1, 1210, start=date(2025, 12, 31)))
    result = user_analysis(days, clients)
    assert [r["name"] for r in result["rows"]] == ["乙", "戊", "甲"]
    by_id = {r["client_id"]: r for r in result["rows"]}
    assert by_id[5]["welfare"] == "low" and by_id[5]["age"] == 75   # age on the last service day (Q18)
    assert by_id[2]["age"] == 63
    b = result["breakdowns"]
    assert b["welfare"] == {"general": 1, "mid_low": 1, "low": 1}
    assert b["sex"] == {"M": 1, "F": 2}
    assert b["dementia"] == {"yes": 1, "no": 2}
    assert b["cms"]["4"] == 1 and b["cms"]["2"] == 1 and b["cms"]["none"] == 1
    assert b["disability"]["1"] == 1 and b["disability"]["7"] == 1 and b["disability"]["none"] == 1
    assert b["age"] == {"未滿65歲": 1, "65–74歲": 0, "75–84歲": 2, "85歲以上": 0}
    assert result["age_bands"] == ["未滿65歲", "65–74歲", "75–84歲", "85歲以上"]


# --- Overrides -------------------------------------------------------------------

def test_overrides_keep_computed_value_and_need_reason():
    flat = rules.flatten_figures(result_table(we24_days()).as_dict(), {"sex": {"M": 1, "F": 3}})
    assert flat["table.persons.general"] == "2" and flat["breakdown.sex.F"] == 3
    final = rules.apply_overrides(flat, {"table.subsidy.general": ("218000", "一日誤植")})
    cell = final["table.subsidy.general"]
    assert cell == {"value": "218000", "computed": "218500", "overridden": True, "reason": "一日誤植"}
    assert final["table.persons.low"]["overridden"] is False
    assert rules.table_inconsistencies(final) == ["申請服務補助金額：各身分別加總 633150 與合計 633650 不一致"]
    persons = rules.apply_overrides(flat, {"table.persons.general": ("3", "年底轉入")})
    assert rules.table_inconsistencies(persons) == ["人數：各身分別加總 5 與合計 4 不一致"]
    assert rules.table_inconsistencies(persons, persons_add_up=False) == []
    assert rules.override_problem("5", "", decimal_allowed=False) == "調整數值時必須填寫理由"
    assert rules.override_problem("-1", "x", decimal_allowed=False) == "數值不能為負數"
    assert rules.override_problem("2.5", "x", decimal_allowed=False) == "此欄位須為整數"
    assert rules.override_problem("2.5", "x", decimal_allowed=True) is None
    assert rules.override_problem("2.3", "x", decimal_allowed=True) == "人日數以 0.5 日為單位"
    assert rules.override_problem("abc", "x", decimal_allowed=True) == "請輸入數字"
    assert rules.override_problem("1,234", "x", decimal_allowed=False) is None


# --- Progress ---------------------------------------------------------------------

def test_section_missing():
    assert rules.section_missing("basics", {}) == ["單位名稱", "計畫案名稱", "執行期程起日", "執行期程迄日"]
    assert rules.section_missing("basics", {"unit_name": "a", "project_name": "b", "period_start": "2025-01-01",
                                            "period_end": "2025-12-31"}) == []
    assert rules.section_missing("results", {}) == ["依服務紀錄計算數值"]
    assert rules.section_missing("results", {}, figures_computed=True) == []
    assert rules.section_missing("courses", {"months": [{"month": 1, "activities": "懷舊"}]}) == ["活動照片"]
    assert rules.section_missing("courses", {"months": [{"month": 1, "activities": "懷舊"}]}, photo_count=1) == []
    assert rules.section_missing("other", {"remarks": "  "}) == ["其他說明及建議（無則填「無」）"]
    assert rules.section_missing("signer", {"title": "負責人", "filled_on": "2026-01-10"}) == []


def test_satisfaction_summary_and_checks():
    summary = rules.satisfaction_summary({"very_satisfied": 2, "satisfied": 1, "neutral": 0})
    assert summary["answered"] == 3
    assert summary["percent"]["very_satisfied"] == Decimal("66.7")
    assert summary["satisfied_percent"] == Decimal("100.0")
    assert rules.satisfaction_summary({})["satisfied_percent"] is None
    assert rules.satisfaction_problem({"issued": 5, "returned": 6}) == "回收份數不能多於發出份數"
    assert rules.satisfaction_problem({"issued": 5, "returned": 4, "satisfied": 5}) == "各滿意程度份數加總不能多於回收份數"
    assert rules.satisfaction_problem({"issued": 5, "returned": 4, "satisfied": 4}) is None


def test_age_bands():
    assert rules.age_band_labels([75, 65]) == [("未滿65歲", None, 65), ("65–74歲", 65, 75), ("75歲以上", 75, None)]
