"""What the guidance area adds to other screens: dashboard items and short facts about units."""
from datetime import date, timedelta

from flask import url_for
from sqlalchemy import case, func
from sqlalchemy.orm import joinedload, selectinload

from portal import calendar, clock
from portal.clock import TAIPEI
from portal.auth import roles
from portal.dashboard.registry import ActionItem, action_source
from portal.extensions import db
from portal.guidance import queries
from portal.guidance.models import GrantApplication, GuidanceOfficer, GuidancePlan, GuidanceYear, GuidedHome
from portal.guidance.settings import (GRANT_DECISION_DAYS, PLAN_DUE_DAYS, TARGET, TARGET_WARNING_MONTH,
                                      VISIT_INTERVAL)
from portal.orgs.models import Organisation, OrganisationLink
from portal.orgs.standing import unit_summary
from portal.settings.registry import get_setting

AREA = "家托輔導"


def visit_due(home: GuidedHome, today: date) -> date | None:
    """Return when the next guidance visit to an active home is due (next date set, else the interval)."""
    if not home.active:
        return None
    interval = timedelta(days=get_setting(VISIT_INTERVAL.key))
    last = home.visits[0] if home.visits else None
    if last is None:
        return home.found_on + interval
    return last.next_visit_on or last.visited_on + interval


def _guide_items(user, today):
    items = []
    # each home's visits and assessments in two queries, not two per home
    homes = queries.homes_of(user.organisation_id, include_dropped=False,
                             options=(selectinload(GuidedHome.visits), selectinload(GuidedHome.assessments)))
    plan_days = timedelta(days=get_setting(PLAN_DUE_DAYS.key))
    plans = {(p.home_id, p.year): p for p in db.session.execute(db.select(GuidancePlan).where(
        GuidancePlan.home_id.in_([h.id for h in homes] or [0]), GuidancePlan.year == today.year)).scalars()}
    for home in homes:
        url = url_for("guidance.home", home_id=home.id)
        due = visit_due(home, today)
        if due is not None and due <= today + timedelta(days=7):
            last = home.visits[0].visited_on if home.visits else None
            items.append(ActionItem(f"輔導訪視：{home.home_name}", url, due=due, area=AREA,
                                    detail=f"上次訪視 {calendar.roc_date(last)}" if last else "尚無訪視紀錄"))
        if home.licensed_on is None:
            continue
        # R-GU-03: every licensed home gets a capacity assessment and an individual plan.
        start_due = home.licensed_on + plan_days
        if not home.assessments:
            items.append(ActionItem(f"獨立營運量能評估待辦理：{home.home_name}",
                                    url_for("guidance.assessment_new", home_id=home.id), due=start_due, area=AREA))
        plan = plans.get((home.id, today.year))
        if plan is None:
            due = max(start_due, date(today.year, 1, 1) + plan_days)
            items.append(ActionItem(f"{today.year - 1911}年度個別化輔導計畫待訂定：{home.home_name}",
                                    url_for("guidance.plan", home_id=home.id, year=today.year, edit=1), due=due,
                                    area=AREA))
        elif plan.next_review_on and plan.next_review_on <= today + timedelta(days=14):
            items.append(ActionItem(f"輔導計畫待檢討：{home.home_name}",
                                    url_for("guidance.plan", home_id=home.id, year=today.year, edit=1),
                                    due=plan.next_review_on, area=AREA))
    target = get_setting(TARGET.key)
    done = queries.new_homes_count(user.organisation_id, today.year)
    exited = queries.exit_row(user.organisation_id)
    if today.month >= get_setting(TARGET_WARNING_MONTH.key) and done < target and not (
            exited and exited.year < today.year):
        items.append(ActionItem(f"年度目標：{today.year - 1911}年已完成特約之新增托顧家庭 {done}／{target} 處",
                                url_for("guidance.unit", unit_id=user.organisation_id), due=date(today.year, 12, 31),
                                area=AREA, detail="未完成任何一處者，年底結算須繳回業務費 20%"))
    return items


def _new_homes_by_unit_and_year(year):
    """queries.new_homes_by_unit for `year` and `year - 1` in one query."""
    this = (GuidedHome.contracted_on >= date(year, 1, 1)) & (GuidedHome.contracted_on <= date(year, 12, 31))
    last = (GuidedHome.contracted_on >= date(year - 1, 1, 1)) & (GuidedHome.contracted_on <= date(year - 1, 12, 31))
    rows = db.session.execute(db.select(
        GuidedHome.guidance_org_id, func.sum(case((this, 1), else_=0)), func.sum(case((last, 1), else_=0))).where(
        GuidedHome.stage == "contracted", GuidedHome.contracted_on >= date(year - 1, 1, 1),
        GuidedHome.contracted_on <= date(year, 12, 31)).group_by(GuidedHome.guidance_org_id)).all()
    return ({org: n for org, n, _ in rows if n}, {org: n for org, _, n in rows if n})


def _bureau_items(user, today):
    from portal.settings.operations import office_calendar
    items = []
    days = get_setting(GRANT_DECISION_DAYS.key)
    cal = office_calendar()
    pending = db.session.execute(db.select(GrantApplication).where(GrantApplication.status == "submitted")
                                 .options(joinedload(GrantApplication.organisation))
                                 .order_by(GrantApplication.submitted_at)).scalars().all()
    for g in pending:
        submitted = g.submitted_at.astimezone(TAIPEI).date()
        items.append(ActionItem(
            f"獎助申請待審：{g.organisation.display_name}　{g.kind_label}　{g.year - 1911}年{g.month}月　{g.requested:,} 元",
            url_for("guidance.grant", grant_id=g.id), due=calendar.add_office_days(submitted, days, cal=cal), area=AREA))
    unverified = db.session.execute(db.select(GuidanceOfficer).where(
        GuidanceOfficer.verified_at.is_(None), GuidanceOfficer.ended_on.is_(None))
        .options(joinedload(GuidanceOfficer.organisation)).order_by(GuidanceOfficer.created_at)).scalars().all()
    for o in unverified:
        items.append(ActionItem(f"專責輔導人員資格待核對：{o.organisation.display_name} {o.name}",
                                url_for("guidance.officer", officer_id=o.id), area=AREA))
    units = queries.guidance_units()
    this_year, last_year = _new_homes_by_unit_and_year(today.year)
    commissioned_last_year = {r.organisation_id: r for r in db.session.execute(
        db.select(GuidanceYear).where(GuidanceYear.year == today.year - 1)).scalars()}
    warn = today.month >= get_setting(TARGET_WARNING_MONTH.key)
    # A unit settled with 「予以退場」 in an earlier year has no target any more (seed 003 §十五(十一)).
    exited = set(db.session.execute(db.select(GuidanceYear.organisation_id).where(
        GuidanceYear.exit_flag.is_(True), GuidanceYear.settled_at.is_not(None), GuidanceYear.year < today.year)
    ).scalars())
    for unit in units:
        if not unit.active:
            continue
        url = url_for("guidance.year", unit_id=unit.id, year=today.year)
        if warn and this_year.get(unit.id, 0) == 0 and unit.id not in exited:
            exit_risk = unit.id in commissioned_last_year and last_year.get(unit.id, 0) == 0
            detail = ("去年亦未新增，連續兩年未輔導設立將予以退場" if exit_risk
                      else "全年未完成任何一處者須繳回業務費 20%")
            items.append(ActionItem(f"輔導單位年度目標落後：{unit.display_name}（{today.year - 1911}年尚未新增特約托顧家庭）",
                                    url, due=date(today.year, 12, 31), area=AREA, detail=detail))
        row = commissioned_last_year.get(unit.id)
        if row is not None and not row.settled:
            items.append(ActionItem(f"{today.year - 1912}年度輔導單位年底結算待辦理：{unit.display_name}",
                                    url_for("guidance.year", unit_id=unit.id, year=today.year - 1),
                                    due=date(today.year, 1, 31), area=AREA))
    return items


@action_source
def guidance_action_items(user, now):
    today = now.date()
    if user.role == roles.GUIDANCE_STAFF:
        return _guide_items(user, today)
    if user.role == roles.BUREAU_OFFICER:
        return _bureau_items(user, today)
    return []


@unit_summary
def guidance_facts(org_ids):
    """「輔導單位：…」 for guided homes; the year's new-home count for guidance units."""
    facts = {}
    if not org_ids:
        return facts
    links = db.session.execute(db.select(OrganisationLink.to_org_id, Organisation.name).join(
        Organisation, Organisation.id == OrganisationLink.from_org_id).where(
        OrganisationLink.to_org_id.in_(org_ids), OrganisationLink.relation == "guides",
        OrganisationLink.ended_on.is_(None))).all()
    for org_id, name in links:
        facts.setdefault(org_id, []).append(f"輔導單位：{name}（唯讀檢視）")
    from portal.orgs.standing import organisations   # the list's units are usually loaded already
    guidance_ids = [o.id for o in organisations(org_ids) if o.kind == roles.GUIDANCE]
    if guidance_ids:
        year = clock.today().year
        counts = dict(db.session.execute(db.select(GuidedHome.guidance_org_id, func.count(GuidedHome.id)).where(
            GuidedHome.guidance_org_id.in_(guidance_ids), GuidedHome.stage == "contracted",
            GuidedHome.contracted_on >= date(year, 1, 1), GuidedHome.contracted_on <= date(year, 12, 31))
            .group_by(GuidedHome.guidance_org_id)).all())
        target = get_setting(TARGET.key)
        for org_id in guidance_ids:
            facts.setdefault(org_id, []).append(
                f"{year - 1911}年新增特約托顧家庭：{counts.get(org_id, 0)}／{target} 處")
    return facts
