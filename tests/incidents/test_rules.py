"""Incident rules: worked examples WE-34, WE-35 (spec worked-examples.md §E) and the schedule."""
from datetime import date, datetime, timedelta

import pytest

from portal.calendar import OfficeCalendar
from portal.incidents import rules
from portal.incidents.rules import (Deadline, FollowupFact, IncidentFacts, action_problems, closing_due,
                                    clock_start, dv_report_due, followup_due, incident_deadlines,
                                    incident_schedule, mediation_notice_due, needs_form, next_deadline,
                                    next_status, suicide_report_due)

TPE = rules.TAIPEI


def at(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=TPE)


# The worked examples' calendar: 2025, with these weekdays off (worked-examples.md header).
WE_CAL = OfficeCalendar(days_off=frozenset({date(2025, 2, 28), date(2025, 4, 3), date(2025, 4, 4)}))


# --- WE-34 initial-report deadlines ------------------------------------------------------

@pytest.mark.parametrize("severity, occurred, notify_by, form_by", [
    ("moderate", at(2025, 3, 7, 15, 30), at(2025, 3, 7, 19, 30), at(2025, 3, 8, 15, 30)),  # Fri; Sat not rolled
    ("severe", at(2025, 3, 7, 23, 20), at(2025, 3, 8, 0, 20), at(2025, 3, 8, 23, 20)),
    ("death", at(2025, 3, 10, 9, 5), at(2025, 3, 10, 10, 5), at(2025, 3, 11, 9, 5)),
    ("mild", at(2025, 3, 7, 15, 30), None, at(2025, 3, 8, 15, 30)),
    ("none", at(2025, 3, 7, 15, 30), None, at(2025, 3, 8, 15, 30)),
    ("extreme", at(2025, 3, 7, 15, 30), at(2025, 3, 7, 16, 30), at(2025, 3, 8, 15, 30)),
])
def test_we34_initial_deadlines(severity, occurred, notify_by, form_by):
    assert incident_deadlines(severity, occurred) == {"notify_by": notify_by, "form_by": form_by}


def test_every_severity_has_a_24h_form_deadline():
    t = at(2025, 3, 7, 15, 30)
    for severity in rules.SEVERITIES:
        assert incident_deadlines(severity, t)["form_by"] == t + timedelta(hours=24)


def test_unknown_severity_is_refused():
    with pytest.raises(ValueError):
        incident_deadlines("serious", at(2025, 3, 7))


def test_we34_suicide_and_dv_reports_within_24h_of_knowing_even_on_sunday():
    learned = at(2025, 3, 9, 10, 0)  # Sunday: hour deadlines never roll
    assert suicide_report_due(learned) == at(2025, 3, 10, 10, 0)
    assert dv_report_due(learned) == at(2025, 3, 10, 10, 0)


def test_we34_late_notification_flagged_15_minutes():
    facts = IncidentFacts(severity="moderate", clock_start=at(2025, 3, 7, 15, 30),
                          categories=("care_accident",), notifications=(at(2025, 3, 7, 19, 45),))
    notify = [d for d in incident_schedule(facts, cal=WE_CAL) if d.key == "notify"][0]
    assert notify.due == at(2025, 3, 7, 19, 30)
    assert notify.state(at(2025, 3, 8)) == "late"
    assert notify.lateness() == timedelta(minutes=15)
    assert rules.duration_text(notify.lateness()) == "15 分"


# --- WE-35 follow-up, closing, mediation --------------------------------------------------

def test_we35_followup_due_five_office_days_across_the_weekend():
    assert followup_due(date(2025, 3, 10), cal=WE_CAL) == date(2025, 3, 17)


def test_we35_closing_due_ten_office_days_after_last_followup():
    assert closing_due(date(2025, 3, 17), cal=WE_CAL) == date(2025, 3, 31)


def test_we35_mediation_notice_day_20_is_sunday_rolled_to_monday():
    assert mediation_notice_due(date(2025, 3, 10), cal=WE_CAL) == date(2025, 3, 31)


def test_followup_from_a_friday_skips_the_weekend():
    assert followup_due(date(2025, 3, 7), cal=WE_CAL) == date(2025, 3, 14)


def test_followup_skips_holidays_and_typhoon_days():
    # 2025-04-03/04 are holidays: Tue 04-01 → 04-02, 04-07, 04-08, 04-09, 04-10.
    assert followup_due(date(2025, 4, 1), cal=WE_CAL) == date(2025, 4, 10)
    typhoon = OfficeCalendar(days_off=WE_CAL.days_off | {date(2025, 3, 12)})
    assert followup_due(date(2025, 3, 10), cal=typhoon) == date(2025, 3, 18)


def test_followup_counts_a_make_up_saturday():
    make_up = OfficeCalendar(office_days=frozenset({date(2025, 3, 15)}))
    assert followup_due(date(2025, 3, 10), cal=make_up) == date(2025, 3, 15)


def test_closing_across_peace_memorial_day():
    # 2025-02-20 (Thu) + 10 office days: 21, 24, 25, 26, 27, (28 off), 3/3, 4, 5, 6, 7.
    assert closing_due(date(2025, 2, 20), cal=WE_CAL) == date(2025, 3, 7)


def test_mediation_due_on_an_office_day_is_not_moved():
    assert mediation_notice_due(date(2025, 3, 3), cal=WE_CAL) == date(2025, 3, 24)


# --- Clock start, form requirement, actions -----------------------------------------------

def test_clock_starts_at_knowledge_outside_service():
    occurred, learned = at(2025, 3, 8, 22, 0), at(2025, 3, 9, 9, 0)
    assert clock_start("service", occurred, learned) == occurred
    assert clock_start("non_service", occurred, learned) == learned
    assert clock_start("non_service", occurred, None) == occurred
    assert clock_start("non_service", occurred, occurred - timedelta(hours=1)) == occurred


@pytest.mark.parametrize("period, categories, expected", [
    ("service", ["care_accident"], True),
    ("non_service", ["care_accident"], False),          # platform record only
    ("non_service", ["public_accident", "media"], True),  # group (二) always needs the form
    ("non_service", ["suicide_self_harm"], True),
    ("service", ["dv_sexual_assault"], True),
])
def test_needs_form(period, categories, expected):
    assert needs_form(period, categories) is expected


def test_category_groups():
    assert rules.category_group("improper_benefit") == 1
    assert rules.category_group("media") == 2
    with pytest.raises(ValueError):
        rules.category_group("nonsense")


def test_action_problems():
    assert action_problems([], [], ["care_accident"])[0] == ["請至少勾選一項立即處理方式"]
    errors, _ = action_problems(["none_needed"], ["medical"], ["care_accident"])
    assert errors and "擇一" in errors[0]
    errors, warnings = action_problems([], ["medical"], ["suicide_self_harm", "dv_sexual_assault"])
    assert not errors and len(warnings) == 2
    assert action_problems([], ["suicide_reported", "dv_reported"], ["suicide_self_harm", "dv_service"]) == ([], [])


# --- Schedule ------------------------------------------------------------------------------

def _keys(schedule):
    return [d.key for d in schedule]


def test_schedule_mild_unit_caused_has_improvement_plan_and_no_notification():
    facts = IncidentFacts(severity="mild", clock_start=at(2025, 3, 7, 15, 30), categories=("care_accident",),
                          unit_caused=True)
    schedule = incident_schedule(facts, cal=WE_CAL)
    assert "notify" not in _keys(schedule)
    assert {"form", "improvement", "platform"} <= set(_keys(schedule))
    assert all(d.due == at(2025, 3, 8, 15, 30) for d in schedule)


def test_schedule_platform_only_and_withdrawn_have_no_deadlines():
    t = at(2025, 3, 8, 20, 0)
    assert incident_schedule(IncidentFacts("moderate", t, ("care_accident",), period="non_service")) == []
    assert incident_schedule(IncidentFacts("moderate", t, ("care_accident",), withdrawn=True)) == []


def test_schedule_suicide_and_dv_rows():
    facts = IncidentFacts(severity="none", clock_start=at(2025, 3, 9, 10, 0),
                          categories=("suicide_self_harm", "dv_sexual_assault"), period="non_service",
                          suicide_reported_at=at(2025, 3, 9, 12, 0))
    by_key = {d.key: d for d in incident_schedule(facts, cal=WE_CAL)}
    assert by_key["suicide_report"].due == at(2025, 3, 10, 10, 0)
    assert by_key["suicide_report"].state(at(2025, 3, 9, 13)) == "on_time"
    assert by_key["dv_report"].state(at(2025, 3, 10, 11)) == "overdue"


def test_schedule_followups_and_closing():
    submitted = at(2025, 3, 7, 18, 0)
    facts = IncidentFacts(severity="moderate", clock_start=at(2025, 3, 7, 15, 30), categories=("care_accident",),
                          notifications=(at(2025, 3, 7, 16, 0),), form_submitted_at=submitted,
                          platform_recorded_at=submitted,
                          followups=(FollowupFact(at(2025, 3, 10, 9, 0), at(2025, 3, 17, 16, 0), 1),))
    by_key = {d.key: d for d in incident_schedule(facts, cal=WE_CAL)}
    assert by_key["followup_1"].due == date(2025, 3, 17)
    assert by_key["followup_1"].state(at(2025, 3, 18)) == "on_time"  # end of day counts
    assert by_key["closing"].due == date(2025, 3, 31)
    nxt = next_deadline(incident_schedule(facts, cal=WE_CAL))
    assert nxt.key == "closing"


def test_closing_without_followup_counts_from_the_initial_report():
    facts = IncidentFacts(severity="mild", clock_start=at(2025, 3, 7, 9, 0), categories=("care_accident",),
                          form_submitted_at=at(2025, 3, 7, 17, 0))
    closing = [d for d in incident_schedule(facts, cal=WE_CAL) if d.key == "closing"][0]
    assert closing.due == date(2025, 3, 21) and "無續報" in closing.note


def test_authority_may_shorten_closing_but_not_lengthen():
    base = dict(severity="mild", clock_start=at(2025, 3, 7, 9, 0), categories=("care_accident",),
                form_submitted_at=at(2025, 3, 7, 17, 0))
    shorter = IncidentFacts(**base, closing_due_override=date(2025, 3, 14))
    longer = IncidentFacts(**base, closing_due_override=date(2025, 4, 30))
    assert [d.due for d in incident_schedule(shorter, cal=WE_CAL) if d.key == "closing"] == [date(2025, 3, 14)]
    assert [d.due for d in incident_schedule(longer, cal=WE_CAL) if d.key == "closing"] == [date(2025, 3, 21)]


def test_severity_upgrade_adds_a_notification_from_the_upgrade_time():
    facts = IncidentFacts(severity="mild", clock_start=at(2025, 3, 7, 9, 0), categories=("care_accident",),
                          form_submitted_at=at(2025, 3, 7, 12, 0),
                          upgrades=(("severe", at(2025, 3, 8, 10, 0)),),
                          notifications=(at(2025, 3, 8, 10, 40),))
    upgrade = [d for d in incident_schedule(facts, cal=WE_CAL) if d.key.startswith("notify_upgrade")]
    assert len(upgrade) == 1
    assert upgrade[0].due == at(2025, 3, 8, 11, 0) and upgrade[0].state(at(2025, 3, 9)) == "on_time"


def test_upgrade_within_the_same_band_needs_no_new_notification():
    facts = IncidentFacts(severity="severe", clock_start=at(2025, 3, 7, 9, 0), categories=("care_accident",),
                          upgrades=(("death", at(2025, 3, 9, 10, 0)),), notifications=(at(2025, 3, 7, 9, 30),))
    assert not [d for d in incident_schedule(facts) if d.key.startswith("notify_upgrade")]


def test_notification_before_an_upgrade_does_not_count_for_it():
    facts = IncidentFacts(severity="moderate", clock_start=at(2025, 3, 7, 9, 0), categories=("care_accident",),
                          upgrades=(("severe", at(2025, 3, 8, 10, 0)),), notifications=(at(2025, 3, 7, 10, 0),))
    upgrade = [d for d in incident_schedule(facts) if d.key.startswith("notify_upgrade")][0]
    assert upgrade.done_at is None and upgrade.state(at(2025, 3, 8, 12, 0)) == "overdue"


def test_requested_followup_is_answered_only_by_a_later_followup():
    facts = IncidentFacts(severity="mild", clock_start=at(2025, 3, 3, 9, 0), categories=("care_accident",),
                          form_submitted_at=at(2025, 3, 3, 12, 0),
                          followups=(FollowupFact(at(2025, 3, 4, 9, 0), at(2025, 3, 5, 9, 0), 1),),
                          followup_requested_by=date(2025, 3, 12), followup_requested_at=at(2025, 3, 6, 9, 0))
    requested = [d for d in incident_schedule(facts) if d.key == "followup_requested"][0]
    assert requested.done_at is None


def test_deadline_states():
    d = Deadline("form", "x", at(2025, 3, 8, 15, 30))
    assert d.state(at(2025, 3, 8, 15, 30)) == "pending"
    assert d.state(at(2025, 3, 8, 15, 31)) == "overdue"
    day = Deadline("closing", "x", date(2025, 3, 31), done_at=at(2025, 3, 31, 23, 59))
    assert day.state(at(2025, 4, 2)) == "on_time"
    assert Deadline("closing", "x", date(2025, 3, 31), done_at=at(2025, 4, 1, 0, 1)).state(at(2025, 4, 2)) == "late"


def test_duration_text():
    assert rules.duration_text(timedelta(days=2, hours=3, minutes=5)) == "2 天 3 小時 5 分"
    assert rules.duration_text(timedelta(hours=1)) == "1 小時"


# --- State machine -------------------------------------------------------------------------

def test_transitions():
    assert next_status("recorded", "submit_initial") == "initial_submitted"
    assert next_status("received", "submit_followup") == "follow_up"
    assert next_status("follow_up", "submit_closing") == "closing_submitted"
    assert next_status("closing_submitted", "close") == "closed"
    assert next_status("closed", "submit_followup") is None
    assert next_status("platform_only", "submit_initial") is None
    assert next_status("initial_submitted", "withdraw") is None


def test_dispute_transitions():
    assert rules.dispute_next_status("received", "schedule") == "scheduled"
    assert rules.dispute_next_status("received", "settle") is None
    assert rules.dispute_next_status("settled", "withdraw") is None


def test_charts_scale_to_the_peak():
    chart = rules.bar_chart([("甲", 4), ("乙", 2), ("丙", 0)], width=400, label_width=100, value_width=20)
    assert [b["width"] for b in chart["bars"]] == [280, 140, 0]
    cols = rules.column_chart([("1月", 0), ("2月", 5)], width=200, height=100)["columns"]
    assert cols[0]["height"] == 0 and cols[1]["y"] == 18


def test_deadline_summary_is_next_deadline_and_each_state_at_every_moment():
    """The board's one-pass summary equals `next_deadline` and each deadline's own `state(now)`."""
    from datetime import date as _date, datetime as _datetime, timedelta as _timedelta
    from portal.incidents.rules import Deadline, deadline_summary, next_deadline
    from zoneinfo import ZoneInfo
    tpe = ZoneInfo("Asia/Taipei")
    start = _datetime(2025, 3, 10, 8, 0, tzinfo=tpe)
    schedule = [
        Deadline("a", "24小時通報", start + _timedelta(hours=24)),
        Deadline("b", "日期期限", _date(2025, 3, 11)),
        Deadline("c", "準時完成", _date(2025, 3, 11), done_at=start + _timedelta(hours=2)),
        Deadline("d", "逾時完成", start + _timedelta(hours=1), done_at=start + _timedelta(hours=5)),
        Deadline("e", "剛好到期", start + _timedelta(hours=30), done_at=start + _timedelta(hours=30)),
        Deadline("f", "較晚", _date(2025, 3, 20)),
    ]
    for minutes in range(0, 12 * 24 * 60, 53):
        now = start + _timedelta(minutes=minutes)
        following, overdue, late = deadline_summary(schedule, now)
        assert following == next_deadline(schedule)
        assert overdue == [d for d in schedule if d.state(now) == "overdue"], now
        assert late == [d for d in schedule if d.state(now) == "late"]
    assert deadline_summary([], start) == (None, [], [])
