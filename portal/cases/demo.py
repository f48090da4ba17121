"""Demo data for case management (`flask seed-demo`), consistent with the base data:
every demo client is with the A unit of its area, and the first 24 have a B unit.

What each demo user finds on the dashboard:
- caremgr (照專): referrals not yet answered, a declined referral to re-refer, plans to
  approve, a closure and a suspension to decide;
- a1cm (東區A單位): two fresh referrals to accept, a first service overdue, a B unit late
  with its first service, visits due, a B unit's change notice and suspension report;
- officer: a change-of-provider request and a pause-dispatch request to decide;
- b1head: a new dispatch to answer; b4head/b3head: a pending change of provider.
"""
from datetime import datetime, timedelta

from portal import clock
from portal.auditlog.operations import log_change
from portal.cases import operations as ops
from portal.cases import rules
from portal.cases.models import CaseManagerProfile, Dispatch, ProviderService
from portal.clients.operations import grant_access
from portal.demo import demo_seeder
from portal.extensions import db
from portal.settings.operations import office_calendar

B_TYPES = {"b1": "family_care", "b2": "family_care", "b3": "home_care", "b4": "home_care"}
ITEMS = {
    "family_care": [("BC01", 20, "每週5日")],
    "home_care": [("BA01", 8, "每週2次"), ("BA07", 4, "每週1次"), ("BA15", 4, "每週1次")],
}
PROBLEMS = ["白天獨居，行動需人攙扶", "失智症狀，夜間遊走", "中風後右側無力，沐浴困難", "主要照顧者工作，白天無人照顧",
            "糖尿病控制不佳，飲食需協助", "膝關節退化，上下樓梯困難"]
GOALS = ["維持日常生活功能，減少跌倒", "穩定作息，減輕家屬照顧負荷", "每週至少兩次安全沐浴", "白天有人照顧，維持社會參與"]


def _at(day):
    return clock.freeze(datetime(day.year, day.month, day.day, 10, 0, tzinfo=clock.TAIPEI))


def _back(day, office_days):
    from portal.calendar import add_office_days
    return add_office_days(day, -office_days, cal=office_calendar())


class _Seeder:
    def __init__(self, ctx):
        self.ctx = ctx
        self.today = ctx.today
        self.u = ctx.users
        self.o = ctx.orgs
        self.a_of = {}
        a1_areas = {a.id for a in self.o["a1"].service_areas}
        for i, client in enumerate(ctx.clients):
            self.a_of[i] = "a1" if client.service_area_id in a1_areas else "a2"

    def cm_for(self, i):
        return self.u["a1cm"] if self.a_of[i] == "a1" else self.u["a2cm"]

    def accepted(self, i, referred_on, families=("B",)):
        client, centre = self.ctx.clients[i], self.u["caremgr"]
        with _at(referred_on):
            case = ops.open_case(centre, client, {"consent": True, "consent_on": referred_on - timedelta(days=2),
                                                  "families": list(families),
                                                  "assessment_note": "照專到宅評估，個案及家屬同意接受個案管理。"})
            ops.refer_case(centre, case, self.o[self.a_of[i]], today=referred_on, capacity_confirmed=True)
        if case.state != "REFERRED_TO_A":
            return case
        accepted_on = referred_on + timedelta(days=1)
        with _at(accepted_on):
            ops.accept_referral(self.cm_for(i), case.pending_referral, self.cm_for(i), today=accepted_on)
        return case

    def planned(self, case, i, service_type, drafted_on, *, approve=True):
        cm = self.cm_for(i)
        with _at(drafted_on):
            plan = ops.start_plan(cm, case)
            ops.save_plan(cm, plan, {"problems": PROBLEMS[i % len(PROBLEMS)], "goals": GOALS[i % len(GOALS)]},
                          [{"code": c, "quantity": q, "frequency": f} for c, q, f in ITEMS[service_type]])
            ops.submit_plan(cm, plan)
        if approve:
            approved_on = drafted_on + timedelta(days=2)
            with _at(approved_on):
                ops.approve_plan(self.u["caremgr"], plan, today=approved_on)
        return plan

    def historic_dispatch(self, case, i, b_key, referred_on, *, served=True):
        """The B unit the client already has (base data): a dispatch made before the portal's list."""
        service_type = B_TYPES[b_key]
        org = self.o[b_key]
        cm = self.cm_for(i)
        with _at(referred_on):
            d = Dispatch(case=case, plan_id=case.current_plan.id, service_type=service_type, organisation_id=org.id,
                         referred_on=referred_on, referred_by_id=cm.id,
                         due_on=rules.redispatch_due(referred_on, cal=office_calendar()),
                         override_reason="既有服務單位（舊案維持原服務提供單位）")
            db.session.add(d)
            grant_access(cm, case.client, org.id, "b_unit")
            db.session.flush()
            log_change(cm, d, "dispatch.create", after={"organisation_id": org.id, "service_type": service_type})
        if served:
            head = self.u[f"{b_key}head"]
            first = min(referred_on + timedelta(days=3), self.today)
            with _at(first):
                ops.accept_dispatch(head, d)
                ops.record_first_service(head, d, first, today=first)
        return d

    def visits(self, case, i, *, last_phone_days=18, home=True):
        cm = self.cm_for(i)
        start = case.accepted_on
        day = start + timedelta(days=30)
        last = self.today - timedelta(days=last_phone_days)
        while day <= last:
            with _at(day):
                ops.record_visit(cm, case, "phone", day, "電訪：服務狀況穩定，家屬滿意目前安排。", today=day)
            day += timedelta(days=30)
        if last >= start and (not case.visits or case.visits[0].visited_on < last):
            with _at(last):
                ops.record_visit(cm, case, "phone", last, "電訪：確認服務時間與照顧目標執行情形。", today=last)
        if home and (self.today - start).days > 20:
            day = start + timedelta(days=7)
            with _at(day):
                ops.record_visit(cm, case, "home", day, "家訪：評估居家環境與照顧需求，與家屬確認照顧計畫。", today=day)


def _dispatch_proposal(case, service_type, cm, today):
    """Dispatch to whatever the ranking proposes, the way a CM accepting the proposal would."""
    from portal.cases import dispatch as dispatching
    with _at(today):
        rec = dispatching.recommend(case, service_type, today=today, cal=office_calendar(),
                                    rotation_cursor=dispatching.peek_rotation(case.client.service_area_id,
                                                                              service_type))
        if rec.proposal is not None:
            ops.dispatch_b_unit(cm, case, service_type, rec.proposal.org, seen_proposal_id=rec.proposal.org.id,
                                override_reason=None, today=today)


@demo_seeder(order=30)
def seed_cases(ctx):
    s = _Seeder(ctx)
    today, u, o = s.today, s.u, s.o
    # Case managers: both active; the west unit declared a small caseload, so it is near its limit.
    for key, caseload in (("a1cm", 150), ("a2cm", 15)):
        db.session.add(CaseManagerProfile(user_id=u[key].id, organisation_id=u[key].organisation_id,
                                          declared_caseload=caseload, approved_on=today - timedelta(days=400),
                                          training_hours=7, training_notice_on=today - timedelta(days=380),
                                          joint_visits=12, review_passed_on=today - timedelta(days=330),
                                          cms_account_on=today - timedelta(days=370)))
    for key, service_type, capacity in (("b1", "family_care", 8), ("b1", "respite", 2), ("b2", "family_care", 8),
                                        ("b3", "home_care", 40), ("b3", "professional", 10), ("b3", "respite", 10),
                                        ("b4", "home_care", 30), ("b4", "respite", 6)):
        db.session.add(ProviderService(organisation_id=o[key].id, service_type=service_type, capacity=capacity,
                                       accepting=True))
    db.session.flush()

    served = {}
    # The 24 clients the base data gives a B unit: in service for a while.
    for i in range(24):
        b_key = ["b1", "b2", "b3", "b4"][i % 4]
        referred_on = today - timedelta(days=60 + 9 * i)
        case = s.accepted(i, referred_on)
        s.planned(case, i, B_TYPES[b_key], case.accepted_on + timedelta(days=2))
        s.historic_dispatch(case, i, b_key, case.plan_approved_on + timedelta(days=1))
        s.visits(case, i, last_phone_days=40 if i in (6, 13) else 12 + i % 10, home=i != 19)
        served[i] = case

    # A change of provider waiting for the bureau (client 3: 康福居家 → 安心居家).
    case = served[3]
    d = next(x for x in case.dispatches if x.is_active)
    cm = s.cm_for(3)
    asked = today - timedelta(days=6)
    with _at(asked):
        req = ops.start_change_request(cm, d, today=asked)
        ops.save_change_request(cm, req, {
            "requested_on": asked, "reasons": "家屬反映服務時段常變動，希望改由可固定上午服務的單位提供。",
            "contact_on": asked + timedelta(days=1), "contact_person": "洪俊傑（負責人）",
            "contact_content": "告知家屬對服務時段的需求，請原單位評估能否固定時段。",
            "coordination_result": "原單位人力排班無法固定上午時段，家屬仍希望更換。", "new_org_id": o["b3"].id,
            "planned_start_on": today + timedelta(days=7),
            "matching_note": "依派案優先順序：個案服務選擇意願優先、服務提供即時、可近性優先。",
            "confirmer_name": ctx.clients[3].contacts[0].name if ctx.clients[3].contacts else "家屬",
            "confirmer_relation": "子女", "confirmed_on": asked + timedelta(days=2)}, today=asked)
    with _at(asked + timedelta(days=3)):
        ops.submit_change_request(cm, req)

    # A B unit's change notice (服務異動) on client 0's plan: the CM has 3 days.
    notice_day = today - timedelta(days=1)
    with _at(notice_day):
        ops.report_plan_change(u["b1head"], next(x for x in served[0].dispatches if x.is_active),
                               "個案近來下肢無力，家屬希望增加社區式協助沐浴（BD01）。", today=notice_day)

    # Client 7 hospitalised: the B unit reported it; the A unit must forward it to the centre.
    with _at(today - timedelta(days=2)):
        ops.report_suspension(u["b4head"], served[7], {
            "reason": "S1", "starts_on": today - timedelta(days=9), "away_from": today - timedelta(days=10),
            "away_to": today - timedelta(days=1), "details": "肺炎住院治療，預計下週出院。"}, today=today - timedelta(days=2))
    # Client 12 suspended earlier (recorded); tracking reminders continue.
    with _at(today - timedelta(days=40)):
        susp = ops.report_suspension(u["b1head"], served[12], {
            "reason": "S4", "starts_on": today - timedelta(days=40),
            "details": "依服務契約，個案赴子女家暫住期間暫停服務。"}, today=today - timedelta(days=40))
        ops.forward_report(s.cm_for(12), susp)
        ops.record_suspension(u["caremgr"], susp, True)
    # Client 18 died: the B unit reported it, the A unit forwarded it, the centre decides.
    with _at(today - timedelta(days=1)):
        closure = ops.report_closure(u["b3head"], served[18], {"reason": "X1", "event_on": today - timedelta(days=3),
                                                              "details": "家屬來電告知個案於醫院病逝。"},
                                     today=today - timedelta(days=1))
        ops.forward_report(s.cm_for(18), closure)

    # Clients 24–35 (no B unit yet): every earlier step of the flow.
    # 26 (D03, west): accepted, plan to draft.  25 (D02): plan submitted, waiting for the centre.
    s.accepted(26, today - timedelta(days=4))
    case = s.accepted(25, today - timedelta(days=8))
    s.planned(case, 25, "home_care", today - timedelta(days=5), approve=False)
    # 27 (D04): plan approved 12 office days ago, never dispatched → first service overdue.
    approved_on = _back(today, 12)
    case = s.accepted(27, approved_on - timedelta(days=6))
    s.planned(case, 27, "home_care", approved_on - timedelta(days=2))
    # 33 (D04): dispatched to 安心居家 8 office days ago, no first service → re-dispatch.
    referred = _back(today, 8)
    case = s.accepted(33, referred - timedelta(days=8))
    s.planned(case, 33, "home_care", referred - timedelta(days=4))
    s.historic_dispatch(case, 33, "b3", referred, served=False)
    # 28 (D05, west): plan approved yesterday; the CM referred 林家托顧 today (the client's choice).
    case = s.accepted(28, today - timedelta(days=10))
    s.planned(case, 28, "family_care", today - timedelta(days=3))
    ops.set_preference(u["a2cm"], case, "family_care", o["b2"].id)
    _dispatch_proposal(case, "family_care", u["a2cm"], today)
    # 24 (D01): plan approved two days ago; the CM referred 陳家托顧 (the ranking's proposal) today.
    case = s.accepted(24, today - timedelta(days=9))
    s.planned(case, 24, "family_care", today - timedelta(days=4))
    _dispatch_proposal(case, "family_care", u["a1cm"], today)
    # 30 (D01) and 31 (D02): fresh referrals for a1cm to accept.
    for i, days in ((30, 0), (31, 1)):
        day = today - timedelta(days=days)
        with _at(day):
            case = ops.open_case(u["caremgr"], ctx.clients[i], {"consent": True, "consent_on": day, "families": ["B", "G"],
                                                                "assessment_note": "失能程度增加，家屬申請居家服務及喘息服務。"})
            ops.refer_case(u["caremgr"], case, o["a1"], today=day, capacity_confirmed=True)
    # 32 (D03): the west unit could not take it → back to the centre to re-refer.
    day = today - timedelta(days=3)
    with _at(day):
        case = ops.open_case(u["caremgr"], ctx.clients[32], {"consent": True, "consent_on": day, "families": ["B"]})
        ops.refer_case(u["caremgr"], case, o["a2"], today=day, capacity_confirmed=True)
    with _at(day + timedelta(days=1)):
        ops.decline_referral(u["a2head"], case.pending_referral, "本單位案量已近上限，個管師人力不足，請改轉介或協調。")
    # 35 (D06): transport only → the centre manages it itself (§3.2).
    with _at(today - timedelta(days=5)):
        ops.open_case(u["caremgr"], ctx.clients[35], {"consent": True, "consent_on": today - timedelta(days=5),
                                                      "families": ["D"], "assessment_note": "僅申請就醫交通接送。"})

    # The west unit asks to pause new referrals (its caseload is near the limit).
    with _at(today - timedelta(days=1)):
        ops.submit_pause_request(u["a2head"], "pause", {
            "reason_kind": "capacity", "reason": "本單位個管師一名將於下月離職，現有案量已達申報量能九成。",
            "measures": "既有個案由另一名個管師及督導分區代理，每週召開個案討論，確保服務不中斷。",
            "requested_on": ops.rules.pause_earliest_effective(today - timedelta(days=1), 3, cal=office_calendar())},
            today=today - timedelta(days=1))

    # A units' evaluations of B units (last half-year).
    half = f"{today.year}H1" if today.month > 6 else f"{today.year - 1}H2"
    for a_key, b_key, rating, comment in (
            ("a1", "b1", 5, "服務穩定，與家屬溝通良好，首次服務均於期限內提供。"),
            ("a1", "b3", 4, "人力充足，偶有時段調整需提前告知。"),
            ("a1", "b4", 3, "服務品質尚可，排班彈性不足。"),
            ("a2", "b2", 4, "家托環境溫馨，個案適應良好。"),
            ("a2", "b4", 2, "兩次首次服務逾期，需改善派案回覆速度。")):
        cm = u["a1cm"] if a_key == "a1" else u["a2cm"]
        ops.save_evaluation(cm, o[b_key], half, rating, comment)
    db.session.flush()
