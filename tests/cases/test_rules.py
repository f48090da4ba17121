"""Case-management rules: worked examples WE-03…WE-12 and the rest of case-management.md."""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from portal.calendar import OfficeCalendar
from portal.cases import rules
from portal.cases.rules import BUnitCandidate, DispatchClient

D = date
# worked-examples.md: only these weekdays are off in the ranges used (plus weekends).
WE_CAL = OfficeCalendar(days_off=frozenset({D(2025, 2, 28), D(2025, 4, 3), D(2025, 4, 4)}))


# WE-03 -----------------------------------------------------------------------
def test_we03_first_service_within_7_office_days():
    due = rules.first_service_due(D(2025, 2, 26), cal=WE_CAL)
    assert due == D(2025, 3, 10)
    assert D(2025, 3, 10) <= due and not D(2025, 3, 11) <= due


# WE-04 -----------------------------------------------------------------------
def test_we04_redispatch_within_5_office_days_and_overdue_next_day():
    due = rules.redispatch_due(D(2025, 3, 6), cal=WE_CAL)
    assert due == D(2025, 3, 13)
    assert not rules.dispatch_overdue("REFERRED", due, D(2025, 3, 13))
    assert rules.dispatch_overdue("REFERRED", due, D(2025, 3, 14))
    assert rules.dispatch_overdue("ACCEPTED", due, D(2025, 3, 14))
    assert not rules.dispatch_overdue("IN_SERVICE", due, D(2025, 3, 14))


# WE-05 -----------------------------------------------------------------------
def test_we05_pause_three_office_days_ahead():
    assert rules.pause_latest_submission(D(2025, 3, 10), cal=WE_CAL) == D(2025, 3, 5)
    assert rules.pause_earliest_effective(D(2025, 3, 6), cal=WE_CAL) == D(2025, 3, 11)
    assert rules.pause_notice_problem(D(2025, 3, 5), D(2025, 3, 10), cal=WE_CAL) is None
    problem = rules.pause_notice_problem(D(2025, 3, 6), D(2025, 3, 10), cal=WE_CAL)
    assert problem and "114年3月11日" in problem
    assert rules.pause_notice_problem(D(2025, 3, 6), D(2025, 3, 11), cal=WE_CAL) is None


def test_pause_letter_filed_on_a_rest_day_is_offered_a_day_the_notice_rule_accepts():
    # Filed on Saturday 114-03-08: Monday 03-10 is the first office day after it, so the three notice days
    # are 03-10, 03-11, 03-12 and the letter may ask for 03-13 at the earliest (not 03-12, which needed
    # the letter by Friday 03-07).
    for filed in (D(2025, 3, 8), D(2025, 3, 9)):
        earliest = rules.pause_earliest_effective(filed, cal=WE_CAL)
        assert earliest == D(2025, 3, 13)
        assert rules.pause_notice_problem(filed, earliest, cal=WE_CAL) is None
        assert rules.pause_notice_problem(filed, D(2025, 3, 12), cal=WE_CAL)
    # Every day of a month: the offered day is accepted and the office day before it is refused.
    for offset in range(31):
        filed = D(2025, 3, 1) + timedelta(days=offset)
        earliest = rules.pause_earliest_effective(filed, cal=WE_CAL)
        assert rules.pause_notice_problem(filed, earliest, cal=WE_CAL) is None
        assert rules.pause_notice_problem(filed, rules.add_office_days(earliest, -1, cal=WE_CAL), cal=WE_CAL)


# WE-06 -----------------------------------------------------------------------
def test_we06_calendar_day_deadlines_roll_to_office_day():
    assert rules.plan_change_due(D(2025, 3, 6), cal=WE_CAL) == D(2025, 3, 10)
    assert rules.referral_answer_due(D(2025, 3, 7), cal=WE_CAL) == D(2025, 3, 10)
    assert rules.referral_answer_due(D(2025, 3, 4), cal=WE_CAL) == D(2025, 3, 6)


# WE-08 -----------------------------------------------------------------------
def _we08_units(flags_u1=(False, True, True, False, False, True), flags_u2=(False, True, True, False, True, False),
                flags_u3=(False, True, False, True, True, True)):
    return [BUnitCandidate(1, "U1", registered=1, flags=flags_u1),
            BUnitCandidate(2, "U2", registered=2, flags=flags_u2),
            BUnitCandidate(3, "U3", registered=3, flags=flags_u3)]


def test_we08_lexicographic_ranking_explicit_flags():
    ranked = rules.rank_b_units(DispatchClient(1), _we08_units(), rotation_cursor={})
    assert [r.candidate.name for r in ranked] == ["U2", "U1", "U3"]
    assert not ranked[0].by_rotation


def test_we08_client_choice_first():
    units = _we08_units(flags_u3=(True, True, False, True, True, True))
    assert rules.rank_b_units(DispatchClient(1), units, rotation_cursor={})[0].candidate.name == "U3"


def test_we08_rotation_oldest_first_then_never_then_registration():
    same = (False, True, True, False, False, True)
    units = _we08_units(flags_u1=same, flags_u2=same)
    t = lambda d: datetime(2025, d.month, d.day, 9, tzinfo=timezone.utc)  # noqa: E731
    ranked = rules.rank_b_units(DispatchClient(1), units, rotation_cursor={1: t(D(2025, 3, 1)), 2: t(D(2025, 2, 20))})
    assert ranked[0].candidate.name == "U2" and ranked[0].by_rotation
    assert any("輪派" in r for r in ranked[0].reasons)
    ranked = rules.rank_b_units(DispatchClient(1), units, rotation_cursor={1: t(D(2025, 3, 1))})
    assert ranked[0].candidate.name == "U2"
    ranked = rules.rank_b_units(DispatchClient(1), units, rotation_cursor={})
    assert ranked[0].candidate.name == "U1" and ranked[0].by_rotation


def test_we08_same_result_from_facts():
    """WE-08 flags derived from the facts Q08 names (no explicit flags)."""
    area, other = 10, 20
    client = DispatchClient(area, required_codes=frozenset({"BA01"}), applied_by_org_id=2,
                            current_org_ids=frozenset({3}))
    units = [
        BUnitCandidate(1, "U1", registered=1, base_area_id=area, avg_days_to_first_service=Decimal(3)),
        BUnitCandidate(2, "U2", registered=2, base_area_id=other, avg_days_to_first_service=Decimal(4)),
        BUnitCandidate(3, "U3", registered=3, base_area_id=area, avg_days_to_first_service=Decimal("6.5")),
    ]
    ranked = rules.rank_b_units(client, units, rotation_cursor={})
    assert [r.candidate.name for r in ranked] == ["U2", "U1", "U3"]
    assert ranked[0].flags == (False, True, True, False, True, False)
    assert ranked[2].flags == (False, True, False, True, False, True)
    assert any("逾 5 個工作日" in r for r in ranked[2].reasons)
    chosen = DispatchClient(area, required_codes=frozenset({"BA01"}), chosen_org_ids=frozenset({3}))
    assert rules.rank_b_units(chosen, units, rotation_cursor={})[0].candidate.name == "U3"


def test_goals_criterion_needs_every_code_and_a_fair_rating():
    client = DispatchClient(1, required_codes=frozenset({"BA01", "BA07"}))
    flags, reasons = rules.dispatch_flags(client, BUnitCandidate(1, "A", offered_codes=frozenset({"BA01"})))
    assert flags[1] is False and "BA07" in reasons[1]
    flags, reasons = rules.dispatch_flags(client, BUnitCandidate(1, "A", rating=Decimal(2)))
    assert flags[1] is False and "評核" in reasons[1]
    flags, _ = rules.dispatch_flags(client, BUnitCandidate(1, "A", rating=Decimal(4)))
    assert flags[1] is True


def test_exclusion_reasons():
    assert rules.exclusion_reasons(rules.ExclusionFacts(True, True, 2)) == []
    reasons = rules.exclusion_reasons(rules.ExclusionFacts(False, True, 0, blockers=("暫停特約",)))
    assert reasons == ["服務區域未涵蓋個案所在鄉鎮市", "服務量能已滿", "暫停特約"]


# WE-09 -----------------------------------------------------------------------
@pytest.mark.parametrize("last, expected", [
    (D(2025, 1, 22), D(2025, 7, 22)),
    (D(2025, 7, 15), D(2026, 1, 15)),
    (D(2025, 8, 31), D(2026, 2, 28)),
    (D(2023, 8, 31), D(2024, 2, 29)),
])
def test_we09_home_visit_every_six_months(last, expected):
    assert rules.next_home_visit_due(last) == expected


def test_we09_phone_visit_monthly_and_three_month_supervisor_example():
    assert rules.next_phone_visit_due(D(2025, 1, 31)) == D(2025, 2, 28)
    assert rules.next_home_visit_due(D(2025, 1, 10), months=3) == D(2025, 4, 10)
    assert rules.next_home_visit_due(D(2025, 3, 28), months=3) == D(2025, 6, 28)


# WE-10 -----------------------------------------------------------------------
def test_we10_caseload_capacity():
    capacity = rules.unit_capacity([150, 150, 120])
    assert capacity == 420
    assert rules.capacity_status(419, capacity).level == "near"
    assert rules.capacity_status(419, capacity).level != "full"
    assert rules.capacity_status(420, capacity).level == "full"
    assert rules.unit_capacity([150] * 3) == 450
    assert rules.capacity_status(300, 450).level == "ok"
    assert rules.capacity_status(405, 450).level == "near"   # Q26–Q27: 90 %
    assert rules.capacity_status(0, 0).level == "none"


# WE-11 -----------------------------------------------------------------------
def test_we11_onboarding_gate():
    assert rules.cm_activation_problems(approved=True, training_hours=7, joint_visits=11, review_passed=True) == [
        "照專實習共訪未滿 12 次（已完成 11 次）"]
    assert rules.cm_activation_problems(approved=True, training_hours=7, joint_visits=12, review_passed=True) == []
    assert not rules.cm_training_done(Decimal("6.5"))
    assert rules.cm_training_done(Decimal("7"))
    problems = rules.cm_activation_problems(approved=False, training_hours="6.5", joint_visits=12, review_passed=False)
    assert len(problems) == 3 and "6.5" in problems[1]


# WE-12 -----------------------------------------------------------------------
def test_we12_suspension_threshold_seven_days():
    assert rules.suspension_problem("S1", away_from=D(2025, 3, 1), away_to=D(2025, 3, 7)) is None
    assert "6 日" in rules.suspension_problem("S1", away_from=D(2025, 3, 1), away_to=D(2025, 3, 6))
    assert rules.suspension_problem("S1") == "住院或離家須填寫起訖日期"
    assert rules.suspension_problem("S5") is None
    assert rules.suspension_problem("S9") == "請選擇暫停原因"


def test_we12_non_use_closure_after_three_months_with_consent():
    assert rules.earliest_non_use_closure(D(2025, 1, 22)) == D(2025, 4, 22)
    early = rules.closure_problem("X6", referred_on=D(2025, 1, 22), closing_on=D(2025, 4, 21), centre_consent=True)
    assert early and "114年4月22日" in early
    assert rules.closure_problem("X6", referred_on=D(2025, 1, 22), closing_on=D(2025, 4, 22),
                                 centre_consent=False) == "「無服務使用意願」結案須經照管中心同意"
    assert rules.closure_problem("X6", referred_on=D(2025, 1, 22), closing_on=D(2025, 4, 22),
                                 centre_consent=True) is None
    assert rules.closure_problem("X1", referred_on=D(2025, 1, 22), closing_on=D(2025, 2, 1),
                                 centre_consent=False) is None


def test_we12_no_record_after_death():
    assert rules.record_date_problem(D(2025, 5, 5), died_on=D(2025, 5, 3)) == "紀錄日期晚於個案死亡日期，不得登錄"
    assert rules.record_date_problem(D(2025, 5, 3), died_on=D(2025, 5, 3)) is None
    assert rules.record_date_problem(D(2025, 5, 5), closed_on=D(2025, 5, 4))


def test_we27_suspension_followup_30_days():
    assert rules.suspension_followup_due(D(2025, 6, 1)) == D(2025, 7, 1)


# §3.2 decision table ------------------------------------------------------------
def test_centre_managed_decision_table():
    assert "陳情" in rules.centre_managed_reason(special_flags=["petition"], consent=True, families=["B"])
    assert "未同意" in rules.centre_managed_reason(consent=False, families=["B"])
    assert "無B、C、G碼" in rules.centre_managed_reason(consent=True, families=["D", "EF"])   # Q29: two items too
    assert rules.centre_managed_reason(consent=True, families=["D"], a_unit_advisable=True) is None
    assert rules.centre_managed_reason(consent=True, families=["D", "G"]) is None
    assert rules.centre_managed_reason(consent=True, families=[]) == "尚未勾選申請之服務項目"


def test_rank_a_units_fairest_first_blocked_last():
    A = rules.AUnitCandidate
    ranked = rules.rank_a_units([
        A(1, "甲", load=100, capacity=300, last_referred_on=D(2025, 3, 1)),
        A(2, "乙", load=100, capacity=300, last_referred_on=D(2025, 2, 1)),
        A(3, "丙", load=10, capacity=300, blockers=("暫停派案",)),
        A(4, "丁", load=50, capacity=300),
        A(5, "戊", load=100, capacity=300),
    ])
    assert [r.candidate.name for r in ranked] == ["丁", "戊", "乙", "甲", "丙"]
    assert ranked[-1].position is None and ranked[-1].reasons == ("暫停派案",)


def test_pause_status_from_approved_decisions():
    events = [("pause", D(2025, 3, 10)), ("resume", D(2025, 4, 1))]
    assert rules.paused_on(events, D(2025, 3, 9)) is None
    assert rules.paused_on(events, D(2025, 3, 10)) == D(2025, 3, 10)
    assert rules.paused_on(events, D(2025, 3, 31)) == D(2025, 3, 10)
    assert rules.paused_on(events, D(2025, 4, 1)) is None
    assert rules.paused_on(events + [("pause", D(2025, 5, 1))], D(2025, 5, 2)) == D(2025, 5, 1)


def test_plan_differences():
    L = rules.PlanLine
    diff = rules.plan_differences([L("BA01", 10), L("BA07", 4)], [L("BA01", 12), L("GA09", 2)],
                                  {"goals": "甲"}, {"goals": "乙"})
    assert [l.code for l in diff.added] == ["GA09"] and [l.code for l in diff.removed] == ["BA07"]
    assert diff.changed == [(L("BA01", 10), L("BA01", 12))] and diff.text_changed == ["goals"]
    assert diff.services_changed
    same = rules.plan_differences([L("BA01", 10)], [L("BA01", 10)])
    assert same.empty and not same.services_changed


def test_transitions():
    assert rules.next_state(rules.CASE_TRANSITIONS, "REFERRED_TO_A", "accept") == "A_ACCEPTED"
    assert rules.next_state(rules.CASE_TRANSITIONS, "CLOSED", "accept") is None
    assert rules.next_state(rules.CHANGE_TRANSITIONS, "APPROVED", "approve") is None
    assert rules.next_state(rules.PLAN_TRANSITIONS, "RETURNED", "submit") == "SUBMITTED"


def test_s2_wording_outside_kinmen():
    assert rules.suspension_reason_labels("kinmen")["S2"].startswith("赴台")
    assert rules.suspension_reason_labels("generic")["S2"] == "離開本縣超過1週以上。"


def test_cm_status_follows_onboarding_facts():
    s = lambda **kw: rules.cm_status(**{"approved": True, "training_hours": 7, "joint_visits": 12,  # noqa: E731
                                        "review_passed": True, **kw})
    assert s() == "ACTIVE"
    assert s(joint_visits=11) == "PRACTISING"
    assert s(joint_visits=0, review_passed=False) == "TRAINED"
    assert s(training_hours="6.5") == "APPROVED"
    assert s(approved=False) == "PROPOSED"
    assert s(removed=True) == "REMOVED"


def test_scan_type_by_content():
    assert rules.sniff_scan(b"%PDF-1.7\n...") == "application/pdf"
    assert rules.sniff_scan(b"\xff\xd8\xff\xe0\x00\x10JFIF") == "image/jpeg"
    assert rules.sniff_scan(b"\x89PNG\r\n\x1a\n\x00\x00") == "image/png"
    assert rules.sniff_scan(b"GIF89a") is None
    assert rules.sniff_scan(b"<html>%PDF-") is None
    assert rules.sniff_scan(b"") is None


# The case list's next deadline (rules.next_case_deadline) --------------------------
def test_next_case_deadline_referral_then_first_service_then_earlier_visit():
    common = dict(accepted_on=D(2025, 1, 15), plan_approved_on=None, first_service_on=None)
    assert rules.next_case_deadline("REFERRED_TO_A", **common, referral_due=D(2025, 1, 17)) == ("回覆期限", D(2025, 1, 17))
    assert rules.next_case_deadline("REFERRED_TO_A", **common) is None            # no pending referral
    # WE-03: the plan approved on 2025-02-26 wants a first service by 2025-03-10.
    approved = dict(common, plan_approved_on=D(2025, 2, 26))
    assert rules.next_case_deadline("PLAN_APPROVED", **approved, cal=WE_CAL) == ("首次服務", D(2025, 3, 10))
    served = dict(approved, first_service_on=D(2025, 3, 3))
    # Counted from the acceptance until a visit of each kind is recorded: phone monthly, home every six months.
    assert rules.next_case_deadline("IN_SERVICE", **served) == ("電訪", D(2025, 2, 15))
    assert rules.next_case_deadline("IN_SERVICE", **served, last_phone_visit_on=D(2025, 7, 1)) == \
        ("家訪", D(2025, 7, 15))                                                   # a home visit not to hide
    assert rules.next_case_deadline("SUSPENDED", **served, last_phone_visit_on=D(2025, 3, 1),
                                    last_home_visit_on=D(2025, 2, 1), phone_months=3) == ("電訪", D(2025, 6, 1))
    # Both due the same day: the list names the home visit (as it always did).
    assert rules.next_case_deadline("IN_SERVICE", **served, last_phone_visit_on=D(2025, 6, 15)) == \
        ("家訪", D(2025, 7, 15))
    assert rules.next_case_deadline("IN_SERVICE", **dict(served, accepted_on=None)) is None
    assert rules.next_case_deadline("CLOSED", **served) is None
