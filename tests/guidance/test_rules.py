"""Guidance rules: worked examples WE-29..WE-33 and the spec sections they cite."""
from datetime import date

import pytest

from portal.guidance.rules import (
    check_development_grant, check_home_grant, contract_cancelled, development_month_allowed,
    grant_eligible_months, guidance_exit, guidance_grant_cap, guidance_refund, guidance_unit_eligibility,
    min_self_funding, next_stage, officer_qualification, self_funding_problem, stage_date_problem, stage_on,
    stage_dates_problems, target_met, year_end_result,
)


# --- WE-29 proration -------------------------------------------------------------------

@pytest.mark.parametrize("licensed_on, evaluated, expected", [
    (date(2025, 4, 10), None, 112_500),     # permit 114年4月: Apr–Dec = 9 months
    (date(2024, 2, 1), None, 150_000),      # permit 113年2月: all 12 months of 114
    (date(2023, 6, 30), None, 62_500),      # permit 112年6月: two years reached 114年6月 → Jan–May
    (date(2023, 10, 5), date(2025, 8, 20), 87_500),   # first evaluation 114年8月 → Jan–Jul
    (date(2022, 5, 1), None, 0),            # two years reached in 113年5月
])
def test_we29_proration(licensed_on, evaluated, expected):
    assert guidance_grant_cap(licensed_on, 2025, first_evaluated_on=evaluated) == expected


@pytest.mark.parametrize("month", range(1, 13))
def test_licence_in_each_month_of_the_year(month):
    """Licensed in month m of 2025: months m..12 of 2025, then 12 of 2026, then m−1 of 2027."""
    licensed = date(2025, month, 15)
    first_year_months = 13 - month
    assert guidance_grant_cap(licensed, 2025) == 150_000 * first_year_months // 12
    assert guidance_grant_cap(licensed, 2025) % 12_500 == 0
    assert guidance_grant_cap(licensed, 2026) == 150_000
    assert guidance_grant_cap(licensed, 2027) == 150_000 * (month - 1) // 12
    assert guidance_grant_cap(licensed, 2024) == 0
    assert guidance_grant_cap(licensed, 2028) == 0
    total_months = sum(len(grant_eligible_months(licensed, y)) for y in range(2024, 2029))
    assert total_months == 24


def _months_by_hand(licensed, year, evaluated=None):
    """The spec's reading spelled out month by month (family-care.md §14): walk the 24 months from the licence
    month, stop at the evaluation month, keep those in `year`."""
    found, y, m = [], licensed.year, licensed.month
    for _ in range(24):
        if evaluated is not None and (y, m) >= (evaluated.year, evaluated.month):
            break
        if y == year:
            found.append(m)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return found


@pytest.mark.parametrize("month", range(1, 13))
@pytest.mark.parametrize("day", [1, 28])
def test_licence_in_each_month_against_the_month_by_month_reading(month, day):
    """Every licence month × every year it touches × an evaluation in every later month (or none)."""
    licensed = date(2025, month, day)
    evaluations = [None] + [date(2025 + (month - 1 + k) // 12, (month - 1 + k) % 12 + 1, 15) for k in range(0, 26)]
    for evaluated in evaluations:
        total = 0
        for year in range(2024, 2029):
            months = _months_by_hand(licensed, year, evaluated)
            assert grant_eligible_months(licensed, year, first_evaluated_on=evaluated) == months
            cap = guidance_grant_cap(licensed, year, first_evaluated_on=evaluated)
            assert cap == 150_000 * len(months) // 12 == 12_500 * len(months)
            total += cap
        # Over the whole window never more than two full years' worth.
        assert total <= 300_000
        assert (total == 300_000) == (evaluated is None or evaluated >= date(2027, month, 1))


def test_licence_on_the_last_day_of_a_month_counts_that_month():
    assert grant_eligible_months(date(2025, 1, 31), 2025) == list(range(1, 13))
    assert grant_eligible_months(date(2024, 2, 29), 2026) == [1]
    assert guidance_grant_cap(date(2025, 12, 31), 2025) == 12_500


def test_eligible_months_listed():
    assert grant_eligible_months(date(2023, 6, 1), 2025) == [1, 2, 3, 4, 5]
    assert grant_eligible_months(date(2025, 11, 1), 2025) == [11, 12]
    assert grant_eligible_months(None, 2025) == []


def test_first_evaluation_cut():
    licensed = date(2024, 3, 1)
    # Evaluation completed in the licence month: nothing at all.
    assert guidance_grant_cap(licensed, 2024, first_evaluated_on=date(2024, 3, 31)) == 0
    # Evaluation in January 2025: nothing in 2025, 2024 untouched (Mar–Dec = 10).
    assert guidance_grant_cap(licensed, 2025, first_evaluated_on=date(2025, 1, 2)) == 0
    assert guidance_grant_cap(licensed, 2024, first_evaluated_on=date(2025, 1, 2)) == 125_000
    # An evaluation after the 2-year window changes nothing.
    assert guidance_grant_cap(licensed, 2026, first_evaluated_on=date(2026, 6, 1)) == 25_000


def test_cap_with_bureau_settings():
    assert guidance_grant_cap(date(2025, 7, 1), 2025, annual_cap=120_000) == 60_000
    assert guidance_grant_cap(date(2024, 1, 1), 2025, window_months=18) == 75_000


# --- WE-30 monthly caps ----------------------------------------------------------------

def test_we30_development_month():
    assert development_month_allowed({"travel": 5_200, "printing": 3_000, "materials": 2_500}) == 9_500
    assert development_month_allowed({"travel": 3_000, "printing": 4_000, "materials": 3_500,
                                      "stationery": 1_000}) == 10_000


def test_we30_twelve_months_reach_the_year_cap_exactly():
    already = 0
    for _ in range(12):
        check = check_development_grant({"printing": 10_000}, already_in_year=already)
        assert check.ok and check.allowed == 10_000
        already += check.allowed
    assert already == 120_000
    refused = check_development_grant({"printing": 1}, already_in_year=already)
    assert "本年度可申請餘額 0 元" in refused.problems["total"]


def test_development_claim_over_the_month_cap_is_refused():
    check = check_development_grant({"travel": 3_000, "printing": 4_000, "materials": 3_500, "stationery": 1_000},
                                    already_in_year=0)
    assert "每月最高 10,000 元" in check.problems["total"]
    assert check.allowed == 10_000
    second = check_development_grant({"printing": 2_000}, already_in_year=9_000, already_in_month=9_000)
    assert "本月可申請餘額 1,000 元" in second.problems["total"]


def test_development_travel_over_4000_is_refused():
    check = check_development_grant({"travel": 5_200, "printing": 3_000, "materials": 1_000}, already_in_year=0)
    assert check.problems["travel"] == "訪視交通費每月最高 4,000 元"
    assert check.allowed == 8_000


def test_we30_home_travel_4600_allows_4000():
    check = check_home_grant({"travel": 4_600}, cap=150_000, already=0, month_eligible=True)
    assert check.allowed == 4_000
    assert "4,000" in check.problems["travel"]


def test_home_claim_within_and_over_the_yearly_cap():
    ok = check_home_grant({"guidance_fee": 20_000, "travel": 4_000}, cap=112_500, already=80_000,
                          month_eligible=True)
    assert ok.ok and ok.allowed == 24_000 and ok.remaining_before == 32_500
    over = check_home_grant({"guidance_fee": 30_000, "travel": 4_000}, cap=112_500, already=80_000,
                            month_eligible=True)
    assert "超過此托顧家庭本年度可申請餘額 32,500 元" in over.problems["total"]
    assert over.allowed == 32_500


def test_home_claim_outside_the_grant_window_is_refused():
    check = check_home_grant({"guidance_fee": 1_000}, cap=0, already=0, month_eligible=False)
    assert "獎助期間" in check.problems["month"] and check.allowed == 0


# --- WE-32 self-funding ----------------------------------------------------------------

def test_we32_self_funding():
    assert min_self_funding(80_000) == 24_000
    assert "至少 24,000 元" in self_funding_problem(80_000, 20_000)
    assert self_funding_problem(80_000, 24_000) is None
    assert min_self_funding(10_001) == 3_001    # rounded up: 30 % is a floor
    assert self_funding_problem(0, 0) is None
    assert self_funding_problem(1_000, 2_000) == "自籌款不可超過設備費總額"


def test_home_claim_equipment_needs_self_funding():
    low = check_home_grant({"equipment": 60_000}, cap=150_000, already=0, month_eligible=True,
                           equipment_self_funded=20_000)
    assert "至少 24,000 元" in low.problems["equipment_self_funded"]
    ok = check_home_grant({"equipment": 56_000}, cap=150_000, already=0, month_eligible=True,
                          equipment_self_funded=24_000)
    assert ok.ok


# --- WE-31 targets, refund and exit ----------------------------------------------------

def test_we31_refund():
    assert guidance_refund(2, 500_000) == 0
    assert guidance_refund(0, 500_000) == 100_000
    assert guidance_refund(0, 500_001) == 100_000
    assert guidance_refund(1, 500_000) == 0
    assert guidance_refund(1, 500_000, trigger="below_target") == 100_000
    assert guidance_refund(2, 500_000, trigger="below_target") == 0
    assert guidance_refund(0, 0) == 0
    with pytest.raises(ValueError):
        guidance_refund(0, 1, trigger="sometimes")


def test_we31_target():
    assert target_met(2) and target_met(3) and not target_met(1) and not target_met(0)


def test_we31_exit():
    assert guidance_exit(0, 0)                      # 0 in 114 and 0 in 115 → exit after 115
    assert not guidance_exit(0, 1)                  # 0, 1, 0: not two consecutive zero years
    assert not guidance_exit(1, 0)
    assert not guidance_exit(0, None)               # first commissioned year


@pytest.mark.parametrize("homes, fee, zero, below", [
    (0, 600_000, 120_000, 120_000), (1, 600_000, 0, 120_000), (2, 600_000, 0, 0), (5, 600_000, 0, 0),
    (0, 333_333, 66_666, 66_666),   # 66,666.6 rounded down
    (0, 1, 0, 0), (0, 4, 0, 0), (0, 5, 1, 1),
])
def test_refund_under_both_triggers(homes, fee, zero, below):
    assert guidance_refund(homes, fee) == zero
    assert guidance_refund(homes, fee, trigger="below_target") == below


def test_refund_with_the_bureaus_settings():
    assert guidance_refund(0, 500_000, ratio="0.25") == 125_000
    assert guidance_refund(2, 500_000, trigger="below_target", target=3) == 100_000
    assert guidance_refund(3, 500_000, trigger="below_target", target=3) == 0


@pytest.mark.parametrize("previous, this, leaving", [
    (None, 0, False), (0, 0, True), (1, 0, False), (0, 1, False), (2, 0, False), (0, 2, False), (None, 3, False),
])
def test_exit_rule_table(previous, this, leaving):
    assert guidance_exit(this, previous) is leaving
    result = year_end_result(2026, this, previous, 500_000)
    assert result.exit is leaving
    assert any("予以退場" in r for r in result.reasons) is leaving


def test_exit_over_a_run_of_years():
    """Only two consecutive zero years: 0, 1, 0, 0 → exit after the fourth year, not before."""
    history = [0, 1, 0, 0]
    flags = [guidance_exit(h, history[i - 1] if i else None) for i, h in enumerate(history)]
    assert flags == [False, False, False, True]


def test_year_end_result_reasons():
    result = year_end_result(2026, 0, 0, 500_000)
    assert result.refund == 100_000 and result.exit and not result.target_met
    assert any("繳回" in r and "100,000" in r for r in result.reasons)
    assert any("退場" in r and "114、115" in r for r in result.reasons)
    one = year_end_result(2025, 1, 0, 500_000)
    assert one.refund == 0 and not one.exit and not one.target_met
    assert "未達成" in one.reasons[0]


# --- WE-33 violation points ------------------------------------------------------------

def test_we33_three_points_cancel():
    points_2025 = [date(2025, 2, 10), date(2025, 6, 5), date(2025, 11, 20)]
    assert contract_cancelled(sum(1 for d in points_2025 if d.year == 2025))
    mixed = [date(2024, 12, 20), date(2025, 3, 1), date(2025, 9, 9)]
    assert not contract_cancelled(sum(1 for d in mixed if d.year == 2025))
    assert contract_cancelled(4) and not contract_cancelled(0)


# --- guidance-unit eligibility and officers --------------------------------------------

def test_unit_eligibility():
    assert guidance_unit_eligibility("ltc_medical", "合格").eligible
    refused = guidance_unit_eligibility("ltc_medical", "不合格")
    assert not refused.eligible and "合格" in refused.reasons[0]
    assert guidance_unit_eligibility("welfare_institution", "甲等").eligible
    assert guidance_unit_eligibility("welfare_institution", "優等").eligible
    assert not guidance_unit_eligibility("welfare_institution", "乙等").eligible
    assert not guidance_unit_eligibility("welfare_institution", None).eligible
    assert guidance_unit_eligibility("foundation", None).eligible
    assert guidance_unit_eligibility("sw_office", None, family_care_since=2016).priority
    assert guidance_unit_eligibility("welfare_group", None, family_care_since=2017).priority
    assert not guidance_unit_eligibility("welfare_group", None, family_care_since=2018).priority
    assert not guidance_unit_eligibility("", None).eligible


@pytest.mark.parametrize("education, related, sw, months, path", [
    ("college", True, False, 0, 1),
    ("college", False, True, 12, 2),
    ("college", False, True, 11, None),
    ("college", False, False, 60, None),
    ("senior_high", True, False, 36, 3),
    ("senior_high", True, False, 35, None),
    ("senior_high", False, False, 120, None),
    ("other", True, True, 120, None),
])
def test_officer_paths(education, related, sw, months, path):
    assert officer_qualification(education, related, sw, months).path == path


def test_officer_reasons_say_what_is_missing():
    q = officer_qualification("college", False, False, 6)
    assert "未具社會工作師考試應考資格" in q.reasons[0] and "未滿一年" in q.reasons[0]
    assert "未滿三年" in officer_qualification("senior_high", True, False, 24).reasons[0]


# --- pipeline --------------------------------------------------------------------------

def test_stage_order():
    assert next_stage("found") == "env_checked"
    assert next_stage("licensed") == "contracted"
    assert next_stage("contracted") is None and next_stage("dropped") is None


def test_stage_dates():
    today = date(2025, 6, 1)
    dates = {"found": date(2025, 3, 1), "env_checked": date(2025, 4, 1)}
    assert stage_date_problem("licence_applied", date(2025, 3, 31), dates, today).startswith("日期不可早於「住家環境")
    assert stage_date_problem("licence_applied", date(2025, 4, 1), dates, today) is None
    assert stage_date_problem("licence_applied", date(2025, 6, 2), dates, today) == "日期不可晚於今天"
    problems = stage_dates_problems({"found": date(2025, 3, 1), "env_checked": date(2025, 2, 1)}, "licence_applied",
                                    today)
    assert set(problems) == {"env_checked", "licence_applied"}


def test_stage_on_a_day():
    dates = {"found": date(2024, 3, 1), "env_checked": date(2024, 9, 1), "licence_applied": date(2025, 2, 1),
             "licensed": None, "contracted": None}
    assert stage_on(dates, None, date(2024, 2, 1)) is None
    assert stage_on(dates, None, date(2024, 12, 31)) == "env_checked"
    assert stage_on(dates, None, date(2025, 12, 31)) == "licence_applied"
    assert stage_on(dates, date(2025, 6, 1), date(2025, 12, 31)) == "dropped"
    assert stage_on(dates, date(2025, 6, 1), date(2024, 12, 31)) == "env_checked"


# --- grant usage against the caps (seed 003 §十六) -----------------------------------------

def test_grant_usage_sums_approved_and_pending_per_cap():
    from types import SimpleNamespace as G

    from portal.guidance.rules import grant_usage
    grants = [
        G(counts_against_cap=True, kind="home", home_id=1, status="approved", approved_amount=30_000, requested=40_000),
        G(counts_against_cap=True, kind="home", home_id=1, status="submitted", approved_amount=None, requested=20_000),
        G(counts_against_cap=True, kind="home", home_id=2, status="approved", approved_amount=None, requested=5_000),
        G(counts_against_cap=False, kind="home", home_id=2, status="rejected", approved_amount=None, requested=9_000),
        G(counts_against_cap=True, kind="development", home_id=None, status="submitted", approved_amount=None,
          requested=12_000),
    ]
    assert grant_usage(grants) == {
        1: {"approved": 30_000, "pending": 20_000},
        2: {"approved": 0, "pending": 0},
        "development": {"approved": 0, "pending": 12_000},
    }
    assert grant_usage([]) == {}
