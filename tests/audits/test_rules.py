"""Audit rules: pass mark (WE-13), standing transitions (WE-14), tally, re-check date."""
from datetime import date

import pytest

from portal.audits import rules
from portal.audits.rules import FAIL, NA, PASS, ItemRule


@pytest.mark.parametrize("passed, expected", [(7, False), (8, True), (13, True), (0, False)])
def test_we13_audit_result(passed, expected):
    assert rules.audit_passed(passed) is expected
    assert rules.audit_passed(passed, pass_mark=8) is expected


def test_pass_mark_is_a_parameter():
    assert rules.audit_passed(10, pass_mark=11) is False
    assert rules.audit_passed(11, pass_mark=11) is True


def test_we13_cannot_finalise_with_an_unscored_item():
    pf = ItemRule()
    t = rules.tally([(pf, PASS, None)] * 12, total=13, pass_mark=8)
    assert t.scored == 12 and t.result is None
    assert rules.finalise_refusal(t) == "尚有 1 題未評分，全部題目評分後才能送出。"
    t = rules.tally([(pf, PASS, None)] * 7 + [(pf, FAIL, None)] * 6, total=13, pass_mark=8)
    assert rules.finalise_refusal(t) is None and t.result is False


@pytest.mark.parametrize("results, standing", [
    ([], rules.GOOD),
    ([True], rules.GOOD),
    ([False], rules.MUST_CORRECT),
    ([False, False], rules.MUST_CORRECT),
    ([False, False, False], rules.SUSPENDED),                  # WE-14 114-05-16
    ([False, False, False, False], rules.TERMINATED),          # WE-14 failed re-check 114-06-16
    ([False, False, False, True], rules.GOOD),                 # WE-14 alternative: passed re-check
    ([False, False, False, True, False], rules.MUST_CORRECT),  # the count restarts after a passed re-check
    ([False, False, False, True, False, False, False], rules.SUSPENDED),
    ([False, False, True, False], rules.MUST_CORRECT),         # WE-14 other sequence
    ([False, False, False, False, True, True], rules.TERMINATED),  # terminated is final
    ([True, False, False, True, False, False], rules.MUST_CORRECT),
])
def test_we14_audit_standing(results, standing):
    assert rules.audit_standing(results) == standing


@pytest.mark.parametrize("results, count", [
    ([False, False, False], 3), ([False, False, True, False], 1), ([], 0), ([True], 0), ([False, True], 0)])
def test_consecutive_fails(results, count):
    assert rules.consecutive_fails(results) == count


def test_at_risk_after_two_fails_in_a_row():
    assert rules.at_risk([True, False, False])
    assert not rules.at_risk([False])
    assert not rules.at_risk([False, False, False])       # already suspended
    assert not rules.at_risk([False, False, True])


def test_we14_recheck_due_one_month_after_suspension():
    assert rules.recheck_due(date(2025, 5, 16)) == date(2025, 6, 16)     # Monday
    assert rules.recheck_due(date(2025, 5, 31)) == date(2025, 6, 30)     # no 31 June → last day
    assert rules.recheck_due(date(2025, 1, 28)) == date(2025, 3, 3)      # 2025-02-28 is a holiday → next office day


def test_tally_summary_and_needed():
    pf = ItemRule()
    t = rules.tally([(pf, PASS, None)] * 7 + [(pf, FAIL, None)], total=13, pass_mark=8)
    assert t.summary() == "已合格 7／13，尚差 1 題"
    assert t.needed == 1 and t.unscored == 5 and t.still_possible
    t = rules.tally([(pf, PASS, None)] * 8, total=13, pass_mark=8)
    assert t.summary() == "已合格 8／13，已達合格題數" and t.passing
    t = rules.tally([(pf, FAIL, None)] * 6, total=13, pass_mark=8)
    assert not t.still_possible  # 7 left, 8 needed


def test_not_applicable_only_where_allowed():
    strict, lenient = ItemRule(), ItemRule(allow_na=True)
    assert rules.item_outcome(strict, NA, None) is None       # the A-unit sheet has no 不適用 (Q06)
    assert rules.item_outcome(lenient, NA, None) == NA
    t = rules.tally([(lenient, NA, None), (strict, NA, None), (strict, PASS, None)], total=3, pass_mark=1)
    assert (t.scored, t.not_applicable, t.passed) == (2, 1, 1)


def test_points_items_and_points_rule():
    item = ItemRule(scoring="points", max_points=10, pass_points=6)
    assert rules.item_outcome(item, None, 6) == PASS
    assert rules.item_outcome(item, None, 5) == FAIL
    assert rules.item_outcome(item, None, None) is None
    t = rules.tally([(item, None, 9), (item, None, 4)], total=2, pass_mark=12, pass_rule="points")
    assert t.points == 13 and t.passing and t.summary() == "已得 13 分（及格 12 分），已達及格分數"
    t = rules.tally([(item, None, 5)], total=2, pass_mark=12, pass_rule="points")
    assert t.summary() == "已得 5 分（及格 12 分），尚差 7 分"


@pytest.mark.parametrize("standing, status, for_audits, expected", [
    (rules.SUSPENDED, "active", False, rules.SUSPEND),
    (rules.SUSPENDED, "dispatch_paused", False, rules.SUSPEND),
    (rules.SUSPENDED, "suspended", True, None),                 # already done
    (rules.TERMINATED, "suspended", True, rules.TERMINATE),
    (rules.TERMINATED, "terminated", True, None),
    (rules.GOOD, "suspended", True, rules.REINSTATE),           # passed re-check (Q06)
    (rules.GOOD, "suspended", False, None),                     # suspended for another reason: not ours
    (rules.MUST_CORRECT, "active", False, None),
    (rules.SUSPENDED, None, False, None),                       # no contract recorded
])
def test_consequence_prompts(standing, status, for_audits, expected):
    assert rules.consequence(standing, status, suspended_for_audits=for_audits) == expected


@pytest.mark.parametrize("last, today, months", [
    (date(2025, 1, 15), date(2025, 3, 14), 1), (date(2025, 1, 15), date(2025, 3, 15), 2),
    (date(2024, 12, 31), date(2025, 3, 1), 2), (date(2025, 3, 1), date(2025, 3, 1), 0)])
def test_months_since(last, today, months):
    assert rules.months_since(last, today) == months


def test_trend_chart_coordinates():
    from portal.audits.charts import trend
    chart = trend([(7, False, "a"), (13, True, "b"), (0, False, "c")], scale_max=13, pass_mark=8, width=100, height=50)
    assert [round(p.x) for p in chart.points] == [8, 50, 92]
    assert chart.points[1].y == 8 and chart.points[2].y == 42       # top = all passed, bottom = none
    assert round(chart.mark_y, 1) == round(42 - 8 / 13 * 34, 1)
    assert chart.polyline.startswith("8.0,")
    assert len(trend([(1, True, str(i)) for i in range(12)], scale_max=13, pass_mark=8).points) == 8
    single = trend([(9, True, "x")], scale_max=13, pass_mark=8, width=100)
    assert single.points[0].x == 8
