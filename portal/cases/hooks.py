"""What case management contributes to other screens: the paused-unit referral blocker,
unit facts for comparison lists, and each person's dashboard items."""
from datetime import date, timedelta

from flask import url_for
from sqlalchemy import literal_column, null, union_all
from sqlalchemy.orm import aliased, joinedload

from portal.auth import roles
from portal.cases import operations as ops
from portal.cases import rules
from portal.cases.models import (Case, CaseNotice, CarePlan, ChangeRequest, Closure, Dispatch, PAUSE_KINDS,
                                 PauseRequest, Referral, SERVICE_TYPES, Suspension)
from portal.cases.settings import SUSPENSION_FOLLOWUP_DAYS, setting
from portal.clients.models import Client
from portal.dashboard.registry import ActionItem, Summary, action_source, queue_summary
from portal.extensions import db
from portal.links import record_url
from portal.orgs.standing import referral_blocker, unit_summary
from portal.settings.operations import office_calendar

AREA = "個案管理"
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
    # An A unit's dashboard links ~1,500 cases.
    return record_url("cases.show", "case_id")(case_id)


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


A_OPEN_STATES = ("A_ACCEPTED", "PLAN_APPROVED", "IN_SERVICE", "SUSPENDED")


def _a_unit_cases(user):
    """The A unit's open cases a dashboard lists: the head sees all, a case manager the unassigned and theirs."""
    own = (Case.a_unit_id == user.organisation_id) & Case.state.in_(A_OPEN_STATES)
    if user.role != roles.A_UNIT_HEAD:
        own &= Case.case_manager_id.is_(None) | (Case.case_manager_id == user.id)
    return own


def _a_unit_case_rows(user):
    """One row of plain columns per open case (no object graph: an A unit has ~1,500 at county scale):
    the dates the rules read, the last visit of each kind, the recorded suspension's start, whether it has a plan."""
    recorded_start = (db.select(Suspension.starts_on).where(Suspension.case_id == Case.id,
                                                            Suspension.state == "RECORDED")
                      .order_by(Suspension.id).limit(1).scalar_subquery())
    has_plan = db.select(CarePlan.id).where(CarePlan.case_id == Case.id).exists()
    return db.session.execute(
        db.select(Case.id, Case.state, Case.plan_approved_on, Case.first_service_on, Case.accepted_on,
                  Client.name.label("name"), ops.last_visit_on("phone").label("last_phone"),
                  ops.last_visit_on("home").label("last_home"), recorded_start.label("recorded_start"),
                  has_plan.label("has_plan"))
        .join(Client, Client.id == Case.client_id).where(_a_unit_cases(user))).all()


def _a_unit_records(user, today):
    """Every other record an A-unit dashboard lists, in ONE query (UNION ALL of plain columns):
    (kind, id, case_id, name, note, state, due, service_type)."""
    org = user.organisation_id
    none = null()

    def cols(kind, record_id, case_id, note=none, state=none, due=none, service_type=none):
        return (literal_column(f"'{kind}'").label("kind"), record_id.label("id"), case_id.label("case_id"),
                Client.name.label("name"), note.label("note"), state.label("state"), due.label("due"),
                service_type.label("service_type"))

    def via(model):   # the record's case and client
        return (db.select().select_from(model).join(Case, Case.id == model.case_id)
                .join(Client, Client.id == Case.client_id))
    later = aliased(CarePlan)
    replacement = aliased(Dispatch)
    parts = [
        via(Referral).add_columns(*cols("referral", Referral.id, Referral.case_id, due=Referral.answer_due))
        .where(Referral.a_unit_id == org, Referral.state == "PENDING"),
        # a B unit late with its first service (R-AB-02: rules.dispatch_overdue), or declined and not yet replaced
        via(Dispatch).add_columns(*cols("dispatch", Dispatch.id, Dispatch.case_id, state=Dispatch.state,
                                        due=Dispatch.due_on, service_type=Dispatch.service_type))
        .where(_a_unit_cases(user), (Dispatch.state.in_(("REFERRED", "ACCEPTED")) & (Dispatch.due_on < today))
               | ((Dispatch.state == "DECLINED") & ~db.select(replacement.id).where(
                   replacement.case_id == Dispatch.case_id, replacement.replaces_id == Dispatch.id).exists())),
        # the plan in force (Case.current_plan: the last APPROVED or CHANGE_REQUESTED) has a change notice and
        # no newer plan is being written or reviewed
        via(CarePlan).add_columns(*cols("plan_change", CarePlan.id, CarePlan.case_id, note=CarePlan.change_notice,
                                        due=CarePlan.change_due))
        .where(_a_unit_cases(user), CarePlan.state == "CHANGE_REQUESTED", ~db.select(later.id).where(
            later.case_id == CarePlan.case_id, later.number > CarePlan.number,
            later.state.in_(tuple(rules.PLAN_IN_FORCE) + ("DRAFT", "RETURNED", "SUBMITTED"))).exists()),
        via(CarePlan).add_columns(*cols("plan_returned", CarePlan.id, CarePlan.case_id, note=CarePlan.return_comment))
        .where(Case.a_unit_id == org, CarePlan.state == "RETURNED"),
        via(Suspension).add_columns(*cols("suspension", Suspension.id, Suspension.case_id))
        .where(Case.a_unit_id == org, Suspension.state == "REPORTED"),
        via(Closure).add_columns(*cols("closure", Closure.id, Closure.case_id))
        .where(Case.a_unit_id == org, Closure.state == "REPORTED"),
        via(ChangeRequest).add_columns(*cols("change", ChangeRequest.id, ChangeRequest.case_id,
                                             state=ChangeRequest.state))
        .where(Case.a_unit_id == org, ChangeRequest.state.in_(("RETURNED", "APPROVED"))),
    ]
    return db.session.execute(union_all(*parts)).all()


@action_source
def a_unit_items(user, now):
    """A unit: referrals to accept, first services overdue, visits due, plan changes, re-dispatches, B reports.

    Two queries whatever the number of cases (issue 10): the open cases as plain columns, the other records
    as one UNION ALL. The due dates are the pure rules' (rules.first_service_due, ops.visit_dues_after,
    rules.suspension_followup_due), computed here from those columns."""
    if user.role not in roles.A_ROLES:
        return []
    today = now.date()
    items = []
    intervals = ops.visit_intervals()
    for case in _a_unit_case_rows(user):
        items.extend(_case_row_items(case, today, intervals))
    for r in sorted(_a_unit_records(user, today), key=lambda r: (r.kind, r.due or date.max, r.id)):
        url = _case_url(r.case_id)
        if r.kind == "referral":
            items.append(ActionItem(f"新轉介待收案：{r.name}", url, due=r.due, area=AREA,
                                    detail="無法收案須於期限內回覆原因"))
        elif r.kind == "dispatch":
            why = "B單位無法接案" if r.state == "DECLINED" else "B單位逾期未提供首次服務"
            items.append(ActionItem(f"{why}，請改派：{r.name}（{SERVICE_TYPES.get(r.service_type, r.service_type)}）",
                                    url, due=r.due if r.state != "DECLINED" else None, area=AREA))
        elif r.kind == "plan_change":
            items.append(ActionItem(f"服務異動通報，請修正照顧計畫：{r.name}", url, due=r.due, area=AREA,
                                    detail=r.note or ""))
        elif r.kind == "plan_returned":
            items.append(ActionItem(f"照顧計畫遭退回，請修正：{r.name}", url_for("cases.plan", plan_id=r.id),
                                    area=AREA, detail=r.note or ""))
        elif r.kind == "suspension":
            items.append(ActionItem(f"B單位通報暫停服務，請轉報照管中心：{r.name}", url, area=AREA))
        elif r.kind == "closure":
            items.append(ActionItem(f"B單位通報結案，請轉報照管中心：{r.name}", url, area=AREA))
        elif r.kind == "change":
            title = "更換服務單位申請遭退回，請補正" if r.state == "RETURNED" else "更換服務單位已同意，請至系統計畫異動並上傳表單"
            items.append(ActionItem(f"{title}：{r.name}", url_for("cases.change", change_id=r.id), area=AREA))
    return items


def _case_row_items(case, today, intervals):
    """_case_items' first-service, plan, visit and suspension items from one row of _a_unit_case_rows."""
    items = []
    url = _case_url(case.id)
    name = case.name
    if case.state == "PLAN_APPROVED" and case.plan_approved_on and case.first_service_on is None:
        due = rules.first_service_due(case.plan_approved_on, cal=office_calendar())
        if due - timedelta(days=SOON_DAYS) <= today:
            items.append(ActionItem(f"首次服務期限：{name}", url, due=due, area=AREA,
                                    detail="照顧計畫核定後 7 個工作日內提供第一次服務"))
    if case.state == "A_ACCEPTED" and not case.has_plan:
        items.append(ActionItem(f"請擬定照顧計畫：{name}", url, area=AREA))
    last_visits = {k: v for k, v in (("phone", case.last_phone), ("home", case.last_home)) if v}
    dues = ops.visit_dues_after(case, last_visits, intervals)
    for kind, label in (("home", "家訪"), ("phone", "電訪")):
        due = dues[kind]
        if due and due - timedelta(days=SOON_DAYS) <= today:
            items.append(ActionItem(f"{label}到期：{name}", url, due=due, area=AREA))
    if case.state == "SUSPENDED" and case.recorded_start is not None:
        start = case.recorded_start   # the last visit when it is on or after the start, else the start
        last = max([d for d in last_visits.values() if d >= start] or [start])
        due = rules.suspension_followup_due(last, setting(SUSPENSION_FOLLOWUP_DAYS))
        if due - timedelta(days=SOON_DAYS) <= today:
            items.append(ActionItem(f"暫停服務追蹤：{name}", url, due=due, area=AREA,
                                    detail="暫停期間仍須持續追蹤（登錄電訪或家訪）"))
    return items


def first_service_overdue_cutoff(today, cal):
    """The latest plan-approval date whose first service is overdue on `today`.

    rules.first_service_due (7 office days after approval, seed 000 §三(二)3, WE-03) never moves back when
    the approval does, so "overdue" is "approved on or before this date": the list is one SQL filter.
    """
    day = today - timedelta(days=8)
    while rules.first_service_due(day, cal=cal) >= today:
        day -= timedelta(days=1)
    return day


@queue_summary
def bureau_queues(user, now):
    """Bureau: the change-of-provider and dispatch-pause queues. Bureau and centre: the county's first services
    waiting (A units) and late (B units)."""
    if user.role not in DECIDERS + CENTRE_ROLES:
        return False
    queues = []
    if user.role in DECIDERS:
        queues.append(Summary("更換服務單位申請待審", url_for("cases.changes", state="SUBMITTED"),
                              db.select(ChangeRequest.id).where(ChangeRequest.state == "SUBMITTED"), area=AREA))
        for kind, label in PAUSE_KINDS.items():   # a pause is asked for a date; a resumption is not
            queues.append(Summary(f"{label}申請待審", url_for("cases.pauses"),
                                  db.select(PauseRequest.requested_on).where(PauseRequest.state == "SUBMITTED",
                                                                             PauseRequest.kind == kind),
                                  due=PauseRequest.requested_on if kind == "pause" else None, area=AREA))
    # A units' first services overdue, 7 office days after the plan's approval (rules.first_service_due, WE-03):
    # a county has hundreds, one item; the case list filtered on 「照顧計畫已核定」 lists the cases waiting
    cal = office_calendar()
    late = Case.plan_approved_on <= first_service_overdue_cutoff(now.date(), cal)
    queues.append(Summary("A單位首次服務逾期", url_for("cases.index", state="PLAN_APPROVED"),
                          db.select(Case.id).where(Case.state == "PLAN_APPROVED", Case.first_service_on.is_(None), late),
                          due=Case.plan_approved_on, late=late, say_late=False,
                          due_of=lambda approved: rules.first_service_due(approved, cal=cal), area=AREA,
                          detail="照顧計畫核定後 7 個工作日內須提供第一次服務"))
    queues.append(Summary("B單位逾期未提供首次服務", url_for("cases.dispatches", overdue=1),
                          db.select(Dispatch.id).where(Dispatch.state.in_(("REFERRED", "ACCEPTED")),
                                                       Dispatch.due_on < now.date()),
                          due=Dispatch.due_on, say_late=False, area=AREA, detail="5 個工作日內須提供首次服務，否則應改派"))
    return queues


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
