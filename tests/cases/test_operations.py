"""Operations: transitions, audit log, access grants, refusals, idempotency."""
from datetime import date, timedelta

import pytest

from portal.auditlog.models import AuditLogEntry
from portal.auth import roles
from portal.cases import operations as ops
from portal.cases.models import CarePlan, Dispatch, RotationTurn
from portal.clients.models import ClientAccess
from portal.errors import Refused, StaleEdit, TransitionNotAllowed
from portal.extensions import db
from portal.orgs.standing import referral_blockers
from tests.cases.helpers import D, b_head, centre, cm, new_case, officer, offer, reload, second_family_care
from tests.factories import make_client, make_user


def _actions(entity_type, entity_id):
    return [e.action for e in db.session.execute(db.select(AuditLogEntry).filter_by(
        entity_type=entity_type, entity_id=entity_id).order_by(AuditLogEntry.id)).scalars()]


def test_full_flow_logs_every_step_and_grants_access(world):
    case = new_case(world, stage="served")
    assert case.state == "IN_SERVICE" and case.first_service_on == D
    assert _actions("cases", case.id)[:4] == ["case.open", "case.refer", "case.accept", "case.plan_approved"]
    links = {(a.organisation_id, a.relation) for a in db.session.execute(
        db.select(ClientAccess).filter_by(client_id=case.client_id, ended_at=None)).scalars()}
    assert (world.orgs["a"].id, "a_unit") in links and (world.orgs["b"].id, "b_unit") in links
    d = case.dispatches[0]
    assert d.state == "IN_SERVICE" and d.due_on == date(2025, 3, 10)


def test_single_service_case_stays_with_centre(world):
    case = new_case(world, stage="opened", families=("D", "EF"))
    assert case.state == "CENTER_MANAGED" and "無B、C、G碼" in case.centre_reason
    with pytest.raises(Refused):
        ops.refer_case(centre(world), case, world.orgs["a"], today=D)


def test_referral_answer_due_and_decline_returns_case(world):
    case = new_case(world, stage="referred", today=date(2025, 3, 7))
    referral = case.pending_referral
    assert referral.answer_due == date(2025, 3, 10)   # WE-06: Sunday rolled to Monday
    ops.decline_referral(cm(world), referral, "個管師人力不足")
    assert case.state == "ASSESSED" and case.a_unit_id is None
    with pytest.raises(TransitionNotAllowed, match="其他人處理"):
        ops.accept_referral(cm(world), referral, cm(world), today=D)


def test_second_open_case_for_same_client_refused_and_double_submit_idempotent(world):
    client = make_client([], area=world.areas[0])
    first = ops.open_case(centre(world), client, {"consent": True, "consent_on": D, "families": ["B"]},
                          submission_key="k1")
    again = ops.open_case(centre(world), client, {"consent": True, "consent_on": D, "families": ["B"]},
                          submission_key="k1")
    assert again.id == first.id
    with pytest.raises(Refused, match="進行中"):
        ops.open_case(centre(world), client, {"consent": True, "consent_on": D, "families": ["B"]})


def test_a_repeat_that_looked_for_its_key_before_the_first_committed_returns_the_same_case(world, monkeypatch):
    """A double submit whose key look-up ran before the first request committed, and its open-case check after."""
    client = make_client([], area=world.areas[0])
    facts = {"consent": True, "consent_on": D, "families": ["B"]}
    first = ops.open_case(centre(world), client, facts, submission_key="k2")
    monkeypatch.setattr(ops, "by_submission_key", lambda model, key: None)   # looked up before that commit
    assert ops.open_case(centre(world), client, facts, submission_key="k2").id == first.id
    with pytest.raises(Refused, match="進行中"):
        ops.open_case(centre(world), client, facts, submission_key="k3")


def test_paused_a_unit_gets_no_referrals(world):
    head = world.users[roles.A_UNIT_HEAD]
    with pytest.raises(Refused, match="三個工作日前"):
        ops.submit_pause_request(head, "pause", {"reason": "x", "measures": "y", "requested_on": date(2025, 3, 10)},
                                 today=date(2025, 3, 6))
    req = ops.submit_pause_request(head, "pause", {"reason": "兩位個管師離職", "measures": "由督導暫代",
                                                   "requested_on": date(2025, 3, 10)}, today=date(2025, 3, 5))
    ops.decide_pause_request(officer(world), req, True, "", today=date(2025, 3, 6))
    assert req.effective_on == date(2025, 3, 10)
    assert referral_blockers(world.orgs["a"], date(2025, 3, 9)) == []
    assert "暫停派案" in referral_blockers(world.orgs["a"], date(2025, 3, 10))[0]
    case = new_case(world, stage="opened", today=date(2025, 3, 11))
    with pytest.raises(Refused, match="暫停派案"):
        ops.refer_case(centre(world), case, world.orgs["a"], today=date(2025, 3, 11))
    resume = ops.submit_pause_request(head, "resume", {"reason": "新進個管師到職"}, today=date(2025, 3, 20))
    ops.decide_pause_request(officer(world), resume, True, "", today=date(2025, 3, 21))
    assert referral_blockers(world.orgs["a"], date(2025, 3, 21)) == []
    ops.refer_case(centre(world), case, world.orgs["a"], today=date(2025, 3, 21))


def test_pause_decision_twice_second_refused(world):
    head = world.users[roles.A_UNIT_HEAD]
    req = ops.submit_pause_request(head, "pause", {"reason": "人力", "measures": "代理", "requested_on": date(2025, 3, 10)},
                                   today=date(2025, 3, 3))
    ops.decide_pause_request(officer(world), req, False, "請先協調人力", today=date(2025, 3, 4))
    with pytest.raises(TransitionNotAllowed, match="未核准"):
        ops.decide_pause_request(world.users[roles.BUREAU_CHIEF], req, True, "", today=date(2025, 3, 4))
    assert reload(req).state == "REJECTED"


def test_plan_versions_diff_and_supersede(world):
    case = new_case(world, stage="approved")
    first = case.current_plan
    same = ops.start_plan(cm(world), case)
    assert same.number == 2 and same.based_on_id == first.id and [i.code for i in same.items] == ["BC01"]
    with pytest.raises(Refused, match="相同"):
        ops.submit_plan(cm(world), same)
    ops.save_plan(cm(world), same, {"problems": first.problems, "goals": first.goals},
                  [{"code": "BC01", "quantity": 22}, {"code": "BD01", "quantity": 4}])
    diff = ops.plan_diff(same)
    assert [l.code for l in diff.added] == ["BD01"] and diff.changed[0][1].quantity == 22
    ops.submit_plan(cm(world), same)
    ops.approve_plan(centre(world), same, today=D)
    assert reload(first).state == "SUPERSEDED" and case.current_plan.id == same.id


def test_stale_plan_edit_refused(world):
    case = new_case(world, stage="accepted")
    plan = ops.start_plan(cm(world), case)
    seen = plan.version
    ops.save_plan(cm(world), plan, {"problems": "a", "goals": "b"}, [{"code": "BC01", "quantity": 1}], seen_version=seen)
    with pytest.raises(StaleEdit):
        ops.save_plan(cm(world), plan, {"problems": "c", "goals": "d"}, [], seen_version=seen)


def test_plan_approved_twice_second_refused(world):
    case = new_case(world, stage="submitted")
    plan = case.latest_plan
    ops.approve_plan(centre(world), plan, today=D)
    with pytest.raises(TransitionNotAllowed):
        ops.approve_plan(world.users[roles.CARE_SUPERVISOR], plan, today=D)


def test_b_unit_change_notice_starts_three_day_clock(world):
    case = new_case(world, stage="served")
    d = case.dispatches[0]
    plan = ops.report_plan_change(b_head(world), d, "個案需增加沐浴服務", today=date(2025, 3, 6))
    assert plan.state == "CHANGE_REQUESTED" and plan.change_due == date(2025, 3, 10)
    assert case.current_plan.id == plan.id   # services in force continue (Q04)
    draft = ops.start_plan(cm(world), case)
    assert "服務單位異動通報" in draft.change_note


def test_dispatch_requires_reason_when_not_the_proposal_and_records_rotation(world):
    other = second_family_care(world, base_area=world.areas[1])
    case = new_case(world, stage="approved")
    from portal.cases import dispatch as dispatching
    from portal.settings.operations import office_calendar
    rec = dispatching.recommend(case, "family_care", today=D, cal=office_calendar(), rotation_cursor={})
    assert rec.proposal.org.id == world.orgs["b"].id   # local (c6) beats the other
    with pytest.raises(Refused, match="理由"):
        ops.dispatch_b_unit(cm(world), case, "family_care", other, seen_proposal_id=world.orgs["b"].id,
                            override_reason="", today=D)
    d = ops.dispatch_b_unit(cm(world), case, "family_care", other, seen_proposal_id=world.orgs["b"].id,
                            override_reason="個案家屬就近接送", today=D)
    assert d.position == 2 and d.override_reason and not d.by_rotation and d.flags[5] is False


def test_rotation_between_tied_units(world):
    twin = second_family_care(world, "雙胞家托")
    first = new_case(world, stage="approved")
    second = new_case(world, stage="approved")
    from portal.cases import dispatch as dispatching
    from portal.settings.operations import office_calendar
    rec = dispatching.recommend(first, "family_care", today=D, cal=office_calendar(), rotation_cursor={})
    assert rec.proposal.ranked.by_rotation and rec.proposal.org.id == world.orgs["b"].id  # registered first
    ops.dispatch_b_unit(cm(world), first, "family_care", rec.proposal.org, seen_proposal_id=rec.proposal.org.id,
                        override_reason=None, today=D)
    # the second CM saw the same (now stale) list: refused, nothing saved
    with pytest.raises(Refused, match="建議名單已更新"):
        ops.dispatch_b_unit(cm(world), second, "family_care", world.orgs["b"], seen_proposal_id=world.orgs["b"].id,
                            override_reason=None, today=D)
    d = ops.dispatch_b_unit(cm(world), second, "family_care", twin, seen_proposal_id=twin.id, override_reason=None,
                            today=D)
    assert d.by_rotation and len(db.session.execute(db.select(RotationTurn)).scalars().all()) == 2


def test_full_unit_drops_out(world):
    offer(world.orgs["b"], "family_care", capacity=1)
    new_case(world, stage="dispatched")
    case = new_case(world, stage="approved")
    from portal.cases import dispatch as dispatching
    from portal.settings.operations import office_calendar
    rec = dispatching.recommend(case, "family_care", today=D, cal=office_calendar(), rotation_cursor={})
    assert not rec.ranked and rec.excluded[0].exclusions == ["服務量能已滿"]


def test_overdue_dispatch_redispatched(world):
    twin = second_family_care(world, "改派家托")
    case = new_case(world, stage="dispatched", today=date(2025, 3, 6))
    d = case.dispatches[0]
    today = date(2025, 3, 14)
    assert d.is_overdue(today) and ops.may_redispatch(d, today)
    with pytest.raises(TransitionNotAllowed):
        ops.dispatch_b_unit(cm(world), case, "family_care", twin, seen_proposal_id=twin.id, override_reason=None,
                            today=today)
    new = ops.dispatch_b_unit(cm(world), case, "family_care", twin, seen_proposal_id=twin.id, override_reason=None,
                              today=today, replaces=d)
    assert d.state == "REASSIGNED" and new.replaces_id == d.id and new.due_on == date(2025, 3, 21)
    assert db.session.execute(db.select(ClientAccess).filter_by(client_id=case.client_id,
                                                                organisation_id=d.organisation_id,
                                                                ended_at=None)).first() is None


def _filled_change(world, case, new_org):
    req = ops.start_change_request(cm(world), case.dispatches[0], today=D)
    ops.save_change_request(cm(world), req, {
        "requested_on": D, "reasons": "家屬反映接送時間不合", "contact_on": D, "contact_person": "陳美華 負責人",
        "contact_content": "說明個案需求", "coordination_result": "無法調整時段，仍需更換", "new_org_id": new_org.id,
        "planned_start_on": D + timedelta(days=7), "matching_note": "在地資源優先", "confirmer_name": "王小明",
        "confirmer_relation": "兒子", "confirmed_on": D}, today=D)
    return req


def test_change_of_provider_approved_moves_provider_and_notifies(world):
    twin = second_family_care(world, "新家托")
    case = new_case(world, stage="served")
    old = case.dispatches[0]
    req = _filled_change(world, case, twin)
    assert req.state == "MATCHED"
    ops.submit_change_request(cm(world), req)
    ops.decide_change_request(officer(world), req, "approve", "", today=D + timedelta(days=1))
    assert req.state == "APPROVED" and old.state == "ENDED"
    new = db.session.get(Dispatch, req.new_dispatch_id)
    assert new.organisation_id == twin.id and new.state == "REFERRED"
    plans = db.session.execute(db.select(CarePlan).filter_by(case_id=case.id).order_by(CarePlan.number)).scalars().all()
    assert [p.state for p in plans] == ["SUPERSEDED", "APPROVED"] and "更換服務單位" in plans[-1].change_note
    access = {(a.organisation_id, a.ended_at is None) for a in db.session.execute(
        db.select(ClientAccess).filter_by(client_id=case.client_id, relation="b_unit")).scalars()}
    assert (old.organisation_id, False) in access and (twin.id, True) in access
    from portal.cases.models import CaseNotice
    notified = {n.organisation_id for n in db.session.execute(db.select(CaseNotice)).scalars()}
    assert {old.organisation_id, twin.id} <= notified
    with pytest.raises(TransitionNotAllowed, match="其他人處理"):
        ops.decide_change_request(world.users[roles.BUREAU_CHIEF], req, "return", "再議", today=D)
    ops.complete_change_request(cm(world), req, D + timedelta(days=2), True, today=D + timedelta(days=3))
    assert req.state == "COMPLETED"


def test_change_request_return_then_resubmit_keeps_rounds(world):
    twin = second_family_care(world, "另一家托")
    case = new_case(world, stage="served")
    req = _filled_change(world, case, twin)
    ops.submit_change_request(cm(world), req)
    with pytest.raises(Refused, match="意見"):
        ops.decide_change_request(officer(world), req, "return", "", today=D)
    ops.decide_change_request(officer(world), req, "return", "請補協調紀錄", today=D)
    assert req.state == "RETURNED"
    ops.save_change_request(cm(world), req, {"coordination_result": "已再次協調，仍需更換"}, today=D)
    ops.submit_change_request(cm(world), req)
    assert [r.number for r in req.rounds] == [1, 2] and req.rounds[0].decision == "RETURNED"


def test_incomplete_change_request_cannot_be_sent(world):
    twin = second_family_care(world, "未填家托")
    case = new_case(world, stage="served")
    req = ops.start_change_request(cm(world), case.dispatches[0], today=D)
    ops.save_change_request(cm(world), req, {"new_org_id": twin.id}, today=D)
    with pytest.raises(Refused, match="尚未填寫完整"):
        ops.submit_change_request(cm(world), req)


def test_suspension_chain_and_resume(world):
    case = new_case(world, stage="served")
    with pytest.raises(Refused, match="7 日"):
        ops.report_suspension(b_head(world), case, {"reason": "S1", "starts_on": D, "away_from": date(2025, 3, 1),
                                                    "away_to": date(2025, 3, 6)}, today=D)
    susp = ops.report_suspension(b_head(world), case, {"reason": "S1", "starts_on": D, "away_from": date(2025, 3, 1),
                                                       "away_to": date(2025, 3, 7)}, today=D)
    assert susp.state == "REPORTED" and case.state == "IN_SERVICE"
    ops.forward_report(cm(world), susp)
    ops.record_suspension(centre(world), susp, True)
    assert case.state == "SUSPENDED"
    ops.end_suspension(cm(world), susp, D + timedelta(days=10), "已出院", today=D + timedelta(days=10))
    assert case.state == "IN_SERVICE" and susp.state == "ENDED"


def test_closure_non_use_needs_three_months_and_consent(world):
    case = new_case(world, stage="approved", today=date(2025, 1, 22))
    closure = ops.report_closure(cm(world), case, {"reason": "X6", "event_on": date(2025, 3, 1)}, today=date(2025, 3, 1))
    assert case.state == "CLOSURE_PENDING" and closure.state == "FORWARDED"
    with pytest.raises(Refused, match="114年4月22日"):
        ops.decide_closure(centre(world), closure, True, today=date(2025, 4, 21), centre_consent=True)
    with pytest.raises(Refused, match="同意"):
        ops.decide_closure(centre(world), closure, True, today=date(2025, 4, 22))
    ops.decide_closure(centre(world), closure, True, today=date(2025, 4, 22), centre_consent=True)
    assert case.state == "CLOSED" and case.closed_on == date(2025, 4, 22)


def test_death_closure_ends_dispatches_and_blocks_later_records(world):
    case = new_case(world, stage="served")
    closure = ops.report_closure(b_head(world), case, {"reason": "X1", "event_on": date(2025, 5, 3)},
                                 today=date(2025, 5, 4))
    ops.forward_report(cm(world), closure)
    ops.decide_closure(centre(world), closure, True, today=date(2025, 5, 5))
    assert case.dispatches[0].state == "ENDED" and case.died_on == date(2025, 5, 3)
    with pytest.raises(Refused, match="死亡"):
        ops.record_visit(cm(world), case, "phone", date(2025, 5, 5), "電訪", today=date(2025, 5, 6))


def test_rejected_closure_restores_state(world):
    case = new_case(world, stage="served")
    closure = ops.report_closure(cm(world), case, {"reason": "X3", "event_on": D}, today=D)
    with pytest.raises(Refused):
        ops.decide_closure(centre(world), closure, False, today=D)
    ops.decide_closure(centre(world), closure, False, today=D, comment="個案仍居家")
    assert case.state == "IN_SERVICE" and closure.state == "REJECTED"


def test_visit_dues_and_idempotent_record(world):
    case = new_case(world, stage="accepted", today=date(2025, 1, 22))
    assert ops.visit_dues(case) == {"phone": date(2025, 2, 22), "home": date(2025, 7, 22)}
    v1 = ops.record_visit(cm(world), case, "home", date(2025, 7, 15), "家訪", today=date(2025, 7, 16),
                          submission_key="v-1")
    v2 = ops.record_visit(cm(world), case, "home", date(2025, 7, 15), "家訪", today=date(2025, 7, 16),
                          submission_key="v-1")
    assert v1.id == v2.id
    assert reload(case) and ops.visit_dues(reload(case))["home"] == date(2026, 1, 15)


def test_capacity_counts_active_managers(world):
    a = world.orgs["a"]
    extra = make_user(roles.A_CASE_MANAGER, a)
    ops.save_case_manager(officer(world), cm(world), {"declared_caseload": 150, "approved_on": D, "training_hours": 7,
                                                      "joint_visits": 12, "review_passed_on": D})
    ops.save_case_manager(officer(world), extra, {"declared_caseload": 120, "approved_on": D, "training_hours": 7,
                                                  "joint_visits": 11})
    assert ops.unit_capacity(a.id) == 150   # the second CM is not ACTIVE yet (WE-11)
    with pytest.raises(Refused, match="12 次"):
        ops.save_case_manager(officer(world), extra, {"review_passed_on": D})
    ops.save_case_manager(officer(world), extra, {"joint_visits": 12, "review_passed_on": D})
    assert ops.unit_capacity(a.id) == 270
    assert [u.id for u in ops.assignable_managers(a.id)] == sorted([cm(world).id, extra.id],
                                                                   key=lambda i: db.session.get(type(extra), i).full_name)


def test_evaluation_feeds_ranking(world):
    ops.save_evaluation(cm(world), world.orgs["b"], "2025H1", 2, "首次服務常延遲")
    from portal.cases.dispatch import latest_ratings
    assert latest_ratings([world.orgs["b"].id])[world.orgs["b"].id][0] == 2
    case = new_case(world, stage="approved")
    from portal.cases import dispatch as dispatching
    from portal.settings.operations import office_calendar
    rec = dispatching.recommend(case, "family_care", today=D, cal=office_calendar(), rotation_cursor={})
    assert rec.proposal.ranked.flags[1] is False and "評核" in rec.proposal.ranked.reasons[1]


def test_reapplication_after_refusal_needs_confirmation(world):
    case = new_case(world, stage="accepted")
    closure = ops.report_closure(cm(world), case, {"reason": "X5", "event_on": D}, today=D)
    ops.decide_closure(centre(world), closure, True, today=D)
    assert case.reapply_when_compliant
    with pytest.raises(Refused, match="配合"):
        ops.open_case(centre(world), case.client, {"consent": True, "consent_on": D, "families": ["B"]})
    again = ops.open_case(centre(world), case.client, {"consent": True, "consent_on": D, "families": ["B"],
                                                       "compliance_confirmed": True})
    assert again.id != case.id and again.state == "ASSESSED"


def test_closure_keeps_b_unit_access_for_past_records(world):
    case = new_case(world, stage="served")
    closure = ops.report_closure(cm(world), case, {"reason": "X2", "event_on": D}, today=D)
    ops.decide_closure(centre(world), closure, True, today=D)
    link = db.session.execute(db.select(ClientAccess).filter_by(client_id=case.client_id,
                                                                organisation_id=world.orgs["b"].id)).scalar_one()
    assert link.ended_at is None and case.dispatches[0].state == "ENDED"


def test_change_refused_when_new_unit_blocked(world):
    from portal.orgs import standing
    twin = second_family_care(world, "停約家托")
    case = new_case(world, stage="served")
    req = _filled_change(world, case, twin)
    ops.submit_change_request(cm(world), req)

    def suspended(org, day):
        return ["暫停特約"] if org.id == twin.id else []
    standing._blockers.append(suspended)
    try:
        with pytest.raises(Refused, match="暫停特約"):
            ops.decide_change_request(officer(world), req, "approve", "", today=D)
        assert req.state == "SUBMITTED"
    finally:
        standing._blockers.remove(suspended)
