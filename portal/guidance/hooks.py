"""What the guidance area adds to other screens: dashboard items and short facts about units."""
from datetime import date, datetime, time, timedelta

from flask import url_for
from sqlalchemy import func
from sqlalchemy.orm import joinedload, selectinload

from portal import calendar, clock
from portal.clock import TAIPEI
from portal.auth import roles
from portal.dashboard.registry import ActionItem, Summary, action_source, queue_summary
from portal.extensions import db
from portal.guidance import queries
from portal.guidance.models import (CapacityAssessment, GrantApplication, GuidanceOfficer, GuidancePlan, GuidanceYear,
                                    GuidedHome)
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
    # each home's visits in one query, not one per home
    homes = queries.homes_of(user.organisation_id, include_dropped=False, options=(selectinload(GuidedHome.visits),))
    plan_days = timedelta(days=get_setting(PLAN_DUE_DAYS.key))
    # whether each home has an assessment and its plan of the year, in one query
    assessed = db.select(CapacityAssessment.id).where(CapacityAssessment.home_id == GuidedHome.id).exists()
    facts = {home_id: (has_assessment, plan) for home_id, has_assessment, plan in db.session.execute(
        db.select(GuidedHome.id, assessed, GuidancePlan).outerjoin(
            GuidancePlan, (GuidancePlan.home_id == GuidedHome.id) & (GuidancePlan.year == today.year))
        .where(GuidedHome.id.in_([h.id for h in homes] or [0])))}
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
        has_assessment, plan = facts[home.id]
        if not has_assessment:
            items.append(ActionItem(f"獨立營運量能評估待辦理：{home.home_name}",
                                    url_for("guidance.assessment_new", home_id=home.id), due=start_due, area=AREA))
        if plan is None:
            due = max(start_due, date(today.year, 1, 1) + plan_days)
            items.append(ActionItem(f"{today.year - 1911}年度個別化輔導計畫待訂定：{home.home_name}",
                                    url_for("guidance.plan", home_id=home.id, year=today.year, edit=1), due=due,
                                    area=AREA))
        elif plan.next_review_on and plan.next_review_on <= today + timedelta(days=14):
            items.append(ActionItem(f"輔導計畫待檢討：{home.home_name}",
                                    url_for("guidance.plan", home_id=home.id, year=today.year, edit=1),
                                    due=plan.next_review_on, area=AREA))
    if today.month < get_setting(TARGET_WARNING_MONTH.key):
        return items
    target = get_setting(TARGET.key)
    # queries.new_homes_count and the year of queries.exit_row, in one query
    done, exit_year = db.session.execute(db.select(
        db.select(func.count(GuidedHome.id)).where(
            GuidedHome.guidance_org_id == user.organisation_id, GuidedHome.stage == "contracted",
            GuidedHome.contracted_on >= date(today.year, 1, 1), GuidedHome.contracted_on <= date(today.year, 12, 31))
        .scalar_subquery(),
        db.select(func.min(GuidanceYear.year)).where(
            GuidanceYear.organisation_id == user.organisation_id, GuidanceYear.exit_flag.is_(True),
            GuidanceYear.settled_at.is_not(None)).scalar_subquery())).one()
    if done < target and not (exit_year is not None and exit_year < today.year):
        items.append(ActionItem(f"年度目標：{today.year - 1911}年已完成特約之新增托顧家庭 {done}／{target} 處",
                                url_for("guidance.unit", unit_id=user.organisation_id), due=date(today.year, 12, 31),
                                area=AREA, detail="未完成任何一處者，年底結算須繳回業務費 20%"))
    return items


def grant_overdue_cutoff(today, days, cal):
    """The first day (Taipei) whose submissions are not yet overdue: a grant submitted on day d is due
    `days` office days later (add_office_days, GRANT_DECISION_DAYS), a deadline that never moves back
    when d does, so "overdue" is "submitted before this day" (one SQL filter)."""
    day = today
    while calendar.add_office_days(day - timedelta(days=1), days, cal=cal) >= today:
        day -= timedelta(days=1)
    return day


@queue_summary
def grant_queue(user, now):
    """Bureau officers: grant applications to decide, by the year the grants page lists them under."""
    if user.role != roles.BUREAU_OFFICER:
        return False
    from portal.settings.operations import office_calendar
    today = now.date()
    days = get_setting(GRANT_DECISION_DAYS.key)
    cal = office_calendar()
    cutoff = datetime.combine(grant_overdue_cutoff(today, days, cal), time(), TAIPEI)

    def due_of(first_submitted):
        return calendar.add_office_days(first_submitted.astimezone(TAIPEI).date(), days, cal=cal)
    pending = db.select(GrantApplication.id).where(GrantApplication.status == "submitted")
    queues = []
    for year, where in ((today.year + 1, GrantApplication.year > today.year),   # the form offers ±1 year
                        (today.year, GrantApplication.year == today.year),
                        (today.year - 1, GrantApplication.year < today.year)):
        queues.append(Summary("獎助申請待審", url_for("guidance.grants", status="submitted", year=year),
                              pending.where(where), due=GrantApplication.submitted_at,
                              late=GrantApplication.submitted_at < cutoff, due_of=due_of, area=AREA,
                              detail=f"{year - 1911}年度" + ("（含更早年度）" if year < today.year else "")))
    return queues


def _unverified_officers():
    return db.select(GuidanceOfficer).where(GuidanceOfficer.verified_at.is_(None), GuidanceOfficer.ended_on.is_(None))


@action_source(probe=lambda user, now: _unverified_officers().with_only_columns(GuidanceOfficer.id)
               if user.role == roles.BUREAU_OFFICER else False)
def unverified_guidance_officers(user, now):
    """The bureau checks each new guidance officer's qualification (no query when there is none to check)."""
    if user.role != roles.BUREAU_OFFICER:
        return []
    unverified = db.session.execute(_unverified_officers().options(joinedload(GuidanceOfficer.organisation))
                                    .order_by(GuidanceOfficer.created_at)).scalars().all()
    return [ActionItem(f"專責輔導人員資格待核對：{o.organisation.display_name} {o.name}",
                       url_for("guidance.officer", officer_id=o.id), area=AREA) for o in unverified]


def _bureau_items(user, today):
    items = []
    # Every active guidance unit with this and last year's new homes, last year's commission and an earlier
    # exit, in ONE query (correlated subqueries per unit; a handful of units).
    def contracted_in(year):
        return (db.select(func.count(GuidedHome.id)).where(
            GuidedHome.guidance_org_id == Organisation.id, GuidedHome.stage == "contracted",
            GuidedHome.contracted_on >= date(year, 1, 1), GuidedHome.contracted_on <= date(year, 12, 31))
            .scalar_subquery())
    last_year = (db.select(GuidanceYear.settled_at.is_not(None)).where(
        GuidanceYear.organisation_id == Organisation.id, GuidanceYear.year == today.year - 1)
        .limit(1).scalar_subquery())   # None: not commissioned last year; else whether it was settled
    # A unit settled with 「予以退場」 in an earlier year has no target any more (seed 003 §十五(十一)).
    exited = db.select(GuidanceYear.id).where(
        GuidanceYear.organisation_id == Organisation.id, GuidanceYear.exit_flag.is_(True),
        GuidanceYear.settled_at.is_not(None), GuidanceYear.year < today.year).exists()
    units = db.session.execute(db.select(Organisation, contracted_in(today.year), contracted_in(today.year - 1),
                                         last_year, exited)
                               .where(Organisation.kind == roles.GUIDANCE, Organisation.active)
                               .order_by(Organisation.name)).all()
    warn = today.month >= get_setting(TARGET_WARNING_MONTH.key)
    for unit, this_count, last_count, last_settled, has_exited in units:
        url = url_for("guidance.year", unit_id=unit.id, year=today.year)
        if warn and not this_count and not has_exited:
            exit_risk = last_settled is not None and not last_count
            detail = ("去年亦未新增，連續兩年未輔導設立將予以退場" if exit_risk
                      else "全年未完成任何一處者須繳回業務費 20%")
            items.append(ActionItem(f"輔導單位年度目標落後：{unit.display_name}（{today.year - 1911}年尚未新增特約托顧家庭）",
                                    url, due=date(today.year, 12, 31), area=AREA, detail=detail))
        if last_settled is not None and not last_settled:
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
