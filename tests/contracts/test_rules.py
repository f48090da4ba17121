"""Contract rules: statuses and transitions (§13.2), dispatch stops (WE-15), violation points (WE-33)."""
from datetime import date

import pytest

from portal.contracts import rules


@pytest.mark.parametrize("start, last", [
    (date(2025, 6, 17), date(2025, 9, 16)),      # WE-15: 114-06-17 → last stopped day 114-09-16
    (date(2025, 11, 30), date(2026, 2, 27)),     # no 30 Feb: stop ends the day before 2026-02-28
    (date(2024, 12, 1), date(2025, 2, 28)),
])
def test_dispatch_stop_period(start, last):
    assert rules.dispatch_stop_period(start) == (start, last)


def test_we15_dispatch_status_returns_the_day_after():
    _, last = rules.dispatch_stop_period(date(2025, 6, 17))
    assert rules.effective_status(rules.DISPATCH_PAUSED, last, date(2025, 9, 16)) == rules.DISPATCH_PAUSED
    assert rules.effective_status(rules.DISPATCH_PAUSED, last, date(2025, 9, 17)) == rules.ACTIVE
    # an open-ended pause stays until a resume is decided
    assert rules.effective_status(rules.DISPATCH_PAUSED, None, date(2030, 1, 1)) == rules.DISPATCH_PAUSED


def test_we15_notice_overdue_the_day_after_deadline():
    assert rules.notice_overdue_on(date(2025, 6, 16)) == date(2025, 6, 17)


@pytest.mark.parametrize("day, months, expected", [
    (date(2025, 5, 16), 1, date(2025, 6, 16)),   # WE-14: re-check due on/after 114-06-16
    (date(2025, 1, 31), 1, date(2025, 2, 28)),   # month without that day → its last day
    (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2025, 12, 15), 2, date(2026, 2, 15)),
])
def test_add_months(day, months, expected):
    assert rules.add_months(day, months) == expected


def test_we33_three_points_in_one_year_cancel():
    points = [date(2025, 2, 10), date(2025, 6, 5), date(2025, 11, 20)]
    outcome = rules.points_outcome(points, 2025)
    assert outcome == {"year": 2025, "count": 3, "cancel": True, "ineligible_year": 2026, "remaining": 0}


def test_we33_points_across_years_do_not_add_up():
    points = [date(2024, 12, 20), date(2025, 3, 1), date(2025, 9, 9)]
    outcome = rules.points_outcome(points, 2025)
    assert outcome["count"] == 2 and not outcome["cancel"] and outcome["ineligible_year"] is None
    assert rules.points_in_year(points, 2024) == 1


@pytest.mark.parametrize("count, cancelled", [(0, False), (1, False), (2, False), (3, True), (4, True)])
def test_contract_cancelled(count, cancelled):
    assert rules.contract_cancelled(count) is cancelled


def test_transitions():
    assert rules.action_allowed(rules.ACTIVE, "suspend") == (True, "")
    assert rules.action_allowed(rules.SUSPENDED, "reinstate") == (True, "")
    assert rules.action_allowed(rules.DISPATCH_PAUSED, "resume_dispatch") == (True, "")
    ok, why = rules.action_allowed(rules.ACTIVE, "reinstate")
    assert not ok and "有效" in why
    for final in rules.FINAL_STATUSES:
        assert rules.allowed_actions(final) == []
        ok, why = rules.action_allowed(final, "suspend")
        assert not ok and "已「" in why
    assert rules.action_allowed(rules.ACTIVE, "bogus")[0] is False
    assert set(rules.allowed_actions(rules.ACTIVE)) == {"pause_dispatch", "suspend", "terminate", "cancel", "not_renew"}


def test_referral_block_reasons():
    period = {"starts_on": date(2025, 1, 1), "ends_on": date(2025, 12, 31)}
    assert rules.referral_block_reasons(status=rules.ACTIVE, paused_until=None, today=date(2025, 5, 1), **period) == []
    reasons = rules.referral_block_reasons(status=rules.SUSPENDED, paused_until=None, today=date(2025, 5, 20),
                                           status_since=date(2025, 5, 16), **period)
    assert reasons == ["暫停特約（自114年5月16日起）"]
    reasons = rules.referral_block_reasons(status=rules.DISPATCH_PAUSED, paused_until=date(2025, 9, 16),
                                           today=date(2025, 7, 1), status_since=date(2025, 6, 17), **period)
    assert reasons == ["暫停派案（114年6月17日起至114年9月16日止）"]
    assert rules.referral_block_reasons(status=rules.DISPATCH_PAUSED, paused_until=date(2025, 9, 16),
                                        today=date(2025, 9, 17), **period) == []
    assert rules.referral_block_reasons(status=rules.ACTIVE, paused_until=None, today=date(2026, 1, 2),
                                        **period) == ["特約期間已於114年12月31日屆滿"]
    assert "尚未生效" in rules.referral_block_reasons(status=rules.ACTIVE, paused_until=None,
                                                    today=date(2024, 12, 31), **period)[0]
