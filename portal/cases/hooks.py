"""What case management contributes to other screens: the paused-unit referral blocker,
unit facts for comparison lists, and each person's dashboard items."""
from datetime import timedelta

from flask import url_for
from sqlalchemy import func
from sqlalchemy.orm import joinedload, selectinload

from portal.auth import roles
from portal.cases import operations as ops
from portal.cases import rules
from portal.cases.models import (Case, CaseNotice, CarePlan, ChangeRequest, Closure, Dispatch, PauseRequest,
                                 Referral, SERVICE_TYPES, Suspension, Visit)
from portal.cases.settings import SUSPENSION_FOLLOWUP_DAYS, setting
from portal.dashboard.registry import ActionItem, action_source
from portal.extensions import db
from portal.orgs.standing import referral_blocker, unit_summary
from portal.settings.operations import office_calendar

AREA = "個案管理"
# Everything a dashboard row looks at, loaded in a few queries rather than one per case. Visits are not
# loaded: a dashboard needs only each case's last visit of each kind (one GROUP BY, see _last_visits).
CASE_LOADS = (selectinload(Case.dispatches), selectinload(Case.plans), joinedload(Case.client))
# Many-to-one chains a dashboard title reads, joined into the list's query (no query per row).
CASE_CLIENT = joinedload(Case.client)


def _via_case(attr):
    return joinedload(attr).joinedload(Case.client)


CENTRE_ROLES = (roles.CARE_MANAGER, roles.CARE_SUPERVISOR)
DECIDERS = (roles.BUREAU_OFFICER, roles.BUREAU_CHIEF)
SOON_DAYS = 7


@referral_blocker
def paused_a_unit(organisation, day):
    """An A unit whose pause-dispatch request the bureau approved receives no referrals (R-CAP-01)."""
    if organisation.kind != roles.A_UNIT:
        return []
    since = ops.paused_since(organisation.id, day)
    return [f"暫停派案中（自 {rules._roc(since)} 起，衛生局核准）"] if since else []


@unit_summary
def case_facts(org_ids):
    """A-unit evaluations of B units and A-unit load, for lists that compare units."""
    from portal.cases.dispatch import latest_ratings
    from portal.orgs.standing import organisations
    result = {}
    orgs = organisations(org_ids)
    b_ids = [o.id for o in orgs if o.kind == roles.B_UNIT]
    for org_id, (avg, count, period) in latest_ratings(b_ids).items():
        from portal.cases.models import period_label
        result.setdefault(org_id, []).append(f"A單位評核：平均 {avg} 分（{count} 個A單位，最近 {period_label(period)}）")
    for org in orgs:
        if org.kind == roles.A_UNIT:
            status = ops.capacity_of(org.id)
            result.setdefault(org.id, []).append(f"個案管理案量：{status.message}")
    return result


def _case_url(case_id):
    return url_for("cases.show", case_id=case_id)


def _unread_notices(user, now):
    return db.select(CaseNotice.id).where(CaseNotice.organisation_id == user.organisation_id,
                                          CaseNotice.read_at.is_(None))


@action_source(probe=_unread_notices)
def notices(user, now):
    rows = db.session.execute(db.select(CaseNotice).where(CaseNotice.organisation_id == user.organisation_id,
                                                          CaseNotice.read_at.is_(None))
                              .order_by(CaseNotice.created_at.desc()).limit(30)).scalars().all()
    return [ActionItem(n.message, url_for("cases.notice", notice_id=n.id), area="通知",
                       detail="點選後標示為已讀") for n in rows]


def _centre_work(user, now):
    if user.role not in CENTRE_ROLES:
        return False
    return [db.select(Referral.id).where(Referral.state == "PENDING"),
            db.select(Case.id).where(Case.state == "ASSESSED", Case.first_referred_on.is_not(None)),
            db.select(CarePlan.id).where(CarePlan.state == "SUBMITTED"),
            db.select(Suspension.id).where(Suspension.state == "FORWARDED"),
            db.select(Closure.id).where(Closure.state == "FORWARDED")]


@action_source(probe=_centre_work)
def centre_items(user, now):
    """照專: referrals unanswered, declined referrals, plans to approve, suspensions and closures to decide."""
    if user.role not in CENTRE_ROLES:
        return []
    items = []
    for r in db.session.execute(db.select(Referral).where(Referral.state == "PENDING")
                                .options(_via_case(Referral.case), joinedload(Referral.a_unit))
                                .order_by(Referral.answer_due)).scalars():
        items.append(ActionItem(f"A單位未回覆轉介：{r.case.client.name}（{r.a_unit.display_name}）",
                                _case_url(r.case_id), due=r.answer_due, area=AREA,
                                detail=f"{r.referred_on.month}/{r.referred_on.day} 轉介，A單位尚未收案"))
    for c in db.session.execute(db.select(Case).where(Case.state == "ASSESSED", Case.first_referred_on.is_not(None))
                                .options(CASE_CLIENT)).scalars():
        items.append(ActionItem(f"A單位無法收案，請重新轉介：{c.client.name}", _case_url(c.id), area=AREA))
    for p in db.session.execute(db.select(CarePlan).where(CarePlan.state == "SUBMITTED")
                                .options(_via_case(CarePlan.case)).order_by(CarePlan.submitted_at)).scalars():
        items.append(ActionItem(f"照顧計畫待核定：{p.case.client.name}（第 {p.number} 版）",
                                url_for("cases.plan", plan_id=p.id), area=AREA))
    for s in db.session.execute(db.select(Suspension).where(Suspension.state == "FORWARDED")
                                .options(_via_case(Suspension.case))).scalars():
        items.append(ActionItem(f"暫停服務待核備：{s.case.client.name}", _case_url(s.case_id), area=AREA))
    for c in db.session.execute(db.select(Closure).where(Closure.state == "FORWARDED")
                                .options(_via_case(Closure.case))).scalars():
        items.append(ActionItem(f"結案通報待處理：{c.case.client.name}", _case_url(c.case_id), area=AREA))
    return items


@action_source
def a_unit_items(user, now):
    """A unit: referrals to accept, first services overdue, visits due, plan changes, re-dispatches, B reports."""
    if user.role not in roles.A_ROLES:
        return []
    today = now.date()
    org = user.organisation_id
    items = []
    for r in db.session.execute(db.select(Referral).where(Referral.a_unit_id == org, Referral.state == "PENDING")
                                .options(_via_case(Referral.case)).order_by(Referral.answer_due)).scalars():
        items.append(ActionItem(f"新轉介待收案：{r.case.client.name}", _case_url(r.case_id), due=r.answer_due,
                                area=AREA, detail="無法收案須於期限內回覆原因"))
    cases = db.session.execute(db.select(Case).where(Case.a_unit_id == org, Case.state.in_(
        ("A_ACCEPTED", "PLAN_APPROVED", "IN_SERVICE", "SUSPENDED"))).options(*CASE_LOADS)).scalars().all()
    mine = user.role == roles.A_UNIT_HEAD
    last_visits = _last_visits([c.id for c in cases])
    suspended = [c.id for c in cases if c.state == "SUSPENDED"]
    recorded = {}
    if suspended:  # the recorded suspension of every suspended case, in one query
        for s in db.session.execute(db.select(Suspension).where(Suspension.case_id.in_(suspended),
                                                                Suspension.state == "RECORDED")
                                    .order_by(Suspension.id)).scalars():
            recorded.setdefault(s.case_id, s)
    for case in cases:
        if not mine and case.case_manager_id not in (None, user.id):
            continue
        items.extend(_case_items(case, today, recorded, last_visits.get(case.id, {})))
    for p in db.session.execute(db.select(CarePlan).join(Case).where(Case.a_unit_id == org,
                                                                     CarePlan.state == "RETURNED")
                                .options(_via_case(CarePlan.case))).scalars():
        items.append(ActionItem(f"照顧計畫遭退回，請修正：{p.case.client.name}", url_for("cases.plan", plan_id=p.id),
                                area=AREA, detail=p.return_comment or ""))
    for s in db.session.execute(db.select(Suspension).join(Case, Case.id == Suspension.case_id).where(
            Case.a_unit_id == org, Suspension.state == "REPORTED").options(_via_case(Suspension.case))).scalars():
        items.append(ActionItem(f"B單位通報暫停服務，請轉報照管中心：{s.case.client.name}", _case_url(s.case_id), area=AREA))
    for c in db.session.execute(db.select(Closure).join(Case, Case.id == Closure.case_id).where(
            Case.a_unit_id == org, Closure.state == "REPORTED").options(_via_case(Closure.case))).scalars():
        items.append(ActionItem(f"B單位通報結案，請轉報照管中心：{c.case.client.name}", _case_url(c.case_id), area=AREA))
    for r in db.session.execute(db.select(ChangeRequest).join(Case, Case.id == ChangeRequest.case_id).where(
            Case.a_unit_id == org, ChangeRequest.state.in_(("RETURNED", "APPROVED")))
            .options(_via_case(ChangeRequest.case))).scalars():
        title = "更換服務單位申請遭退回，請補正" if r.state == "RETURNED" else "更換服務單位已同意，請至系統計畫異動並上傳表單"
        items.append(ActionItem(f"{title}：{r.case.client.name}", url_for("cases.change", change_id=r.id), area=AREA))
    return items


def _last_visits(case_ids) -> dict:
    """{case_id: {kind: last visited_on}} for many cases in one query."""
    result = {}
    if case_ids:
        for case_id, kind, last in db.session.execute(
                db.select(Visit.case_id, Visit.kind, func.max(Visit.visited_on))
                .where(Visit.case_id.in_(case_ids)).group_by(Visit.case_id, Visit.kind)):
            result.setdefault(case_id, {})[kind] = last
    return result


def _case_items(case, today, recorded=None, last_visits=None):
    items = []
    url = _case_url(case.id)
    name = case.client.name
    cal = office_calendar()
    if case.state == "PLAN_APPROVED" and case.plan_approved_on and case.first_service_on is None:
        due = rules.first_service_due(case.plan_approved_on, cal=cal)
        if due - timedelta(days=SOON_DAYS) <= today:
            items.append(ActionItem(f"首次服務期限：{name}", url, due=due, area=AREA,
                                    detail="照顧計畫核定後 7 個工作日內提供第一次服務"))
    for d in case.dispatches:
        if d.is_overdue(today) or d.state == "DECLINED" and not any(
                x.replaces_id == d.id for x in case.dispatches):
            why = "B單位無法接案" if d.state == "DECLINED" else "B單位逾期未提供首次服務"
            items.append(ActionItem(f"{why}，請改派：{name}（{d.service_type_label}）", url,
                                    due=d.due_on if d.state != "DECLINED" else None, area=AREA))
    plan = case.current_plan
    if plan is not None and plan.state == "CHANGE_REQUESTED" and not any(
            p.state in ("DRAFT", "RETURNED", "SUBMITTED") and p.number > plan.number for p in case.plans):
        items.append(ActionItem(f"服務異動通報，請修正照顧計畫：{name}", url, due=plan.change_due, area=AREA,
                                detail=plan.change_notice or ""))
    if case.state == "A_ACCEPTED" and not case.plans:
        items.append(ActionItem(f"請擬定照顧計畫：{name}", url, area=AREA))
    dues = ops.visit_dues(case) if last_visits is None else ops.visit_dues_after(case, last_visits)
    for kind, label in (("home", "家訪"), ("phone", "電訪")):
        due = dues[kind]
        if due and due - timedelta(days=SOON_DAYS) <= today:
            items.append(ActionItem(f"{label}到期：{name}", url, due=due, area=AREA))
    if case.state == "SUSPENDED":
        if recorded is not None:
            susp = recorded.get(case.id)
        else:
            susp = db.session.execute(db.select(Suspension).where(Suspension.case_id == case.id,
                                                                  Suspension.state == "RECORDED")).scalars().first()
        if susp is not None:
            if last_visits is None:
                last = max([v.visited_on for v in case.visits if v.visited_on >= susp.starts_on] or [susp.starts_on])
            else:   # the same date: the last visit when it is on or after the start, else the start
                last = max([d for d in last_visits.values() if d and d >= susp.starts_on] or [susp.starts_on])
            due = rules.suspension_followup_due(last, setting(SUSPENSION_FOLLOWUP_DAYS))
            if due - timedelta(days=SOON_DAYS) <= today:
                items.append(ActionItem(f"暫停服務追蹤：{name}", url, due=due, area=AREA,
                                        detail="暫停期間仍須持續追蹤（登錄電訪或家訪）"))
    return items


@action_source
def bureau_items(user, now):
    """Bureau: change-of-provider and pause requests to decide; first services overdue county-wide."""
    if user.role not in DECIDERS + CENTRE_ROLES:
        return []
    today = now.date()
    items = []
    if user.role in DECIDERS:
        for r in db.session.execute(db.select(ChangeRequest).where(ChangeRequest.state == "SUBMITTED")
                                    .options(_via_case(ChangeRequest.case), joinedload(ChangeRequest.new_org),
                                             joinedload(ChangeRequest.dispatch).joinedload(Dispatch.organisation))
                                    .order_by(ChangeRequest.submitted_at)).scalars():
            items.append(ActionItem(f"更換服務單位申請待審：{r.case.client.name}（{r.dispatch.organisation.display_name}"
                                    f" → {r.new_org.display_name if r.new_org else '—'}）",
                                    url_for("cases.change", change_id=r.id), area=AREA))
        for r in db.session.execute(db.select(PauseRequest).where(PauseRequest.state == "SUBMITTED")
                                    .options(joinedload(PauseRequest.organisation))
                                    .order_by(PauseRequest.submitted_at)).scalars():
            items.append(ActionItem(f"{r.kind_label}申請待審：{r.organisation.display_name}",
                                    url_for("cases.pause", pause_id=r.id),
                                    due=r.requested_on if r.kind == "pause" else None, area=AREA))
    cal = office_calendar()
    overdue = []
    for case in db.session.execute(db.select(Case).where(Case.state == "PLAN_APPROVED",
                                                         Case.first_service_on.is_(None))
                                   .options(CASE_CLIENT, joinedload(Case.a_unit))).scalars():
        due = rules.first_service_due(case.plan_approved_on, cal=cal)
        if due < today:
            overdue.append((case, due))
    for case, due in overdue[:20]:
        items.append(ActionItem(f"首次服務逾期：{case.client.name}（{case.a_unit.display_name if case.a_unit else '—'}）",
                                _case_url(case.id), due=due, area=AREA))
    late = db.session.execute(db.select(func.count()).select_from(Dispatch).where(
        Dispatch.state.in_(("REFERRED", "ACCEPTED")), Dispatch.due_on < today)).scalar_one()
    if late:
        items.append(ActionItem(f"B單位逾期未提供首次服務共 {late} 件", url_for("cases.dispatches", overdue=1),
                                area=AREA, detail="5 個工作日內須提供首次服務，否則應改派"))
    return items


def _b_unit_work(user, now):
    if user.role not in roles.B_ROLES:
        return False
    return db.select(Dispatch.id).where(Dispatch.organisation_id == user.organisation_id,
                                        Dispatch.state.in_(("REFERRED", "ACCEPTED")))


@action_source(probe=_b_unit_work)
def b_unit_items(user, now):
    """B unit: new dispatches to answer, first services to record."""
    if user.role not in roles.B_ROLES:
        return []
    today = now.date()
    items = []
    for d in db.session.execute(db.select(Dispatch).where(Dispatch.organisation_id == user.organisation_id,
                                                          Dispatch.state.in_(("REFERRED", "ACCEPTED")))
                                .options(_via_case(Dispatch.case)).order_by(Dispatch.due_on)).scalars():
        title = "新派案待回覆" if d.state == "REFERRED" else "已接案，請登錄首次服務"
        items.append(ActionItem(f"{title}：{d.case.client.name}（{SERVICE_TYPES[d.service_type]}）",
                                url_for("cases.dispatch", dispatch_id=d.id), due=d.due_on, area="派案",
                                detail="派案後 5 個工作日內須提供首次服務"))
    return items
