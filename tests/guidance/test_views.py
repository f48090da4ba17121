"""Guidance units: qualification, officers, the home pipeline with licensing and oversight, plans, visits,
yearly settlement, grant applications and their decisions — with scope, stale edits and double submits."""
import re
import subprocess
from datetime import date, datetime, timezone

import pytest

from portal import clock
from portal.auditlog.models import AuditLogEntry
from portal.auth import roles
from portal.extensions import db
from portal.guidance.models import (
    CapacityAssessment, GrantApplication, GuidanceOfficer, GuidancePlan, GuidanceUnitProfile, GuidanceVisit,
    GuidanceYear, GuidedHome,
)
from portal.orgs.models import Organisation, OrganisationLink, overseen_org_ids
from tests.factories import FOREIGN_MARKER, make_org
from tests.guidance.helpers import PLAN, make_grant, make_home, make_officer, make_visit

NOW = datetime(2025, 11, 20, 10, 0)


@pytest.fixture
def frozen():
    with clock.freeze(NOW):
        yield


def _guide(world):
    return world.users[roles.GUIDANCE_STAFF]


def _actions(action):
    return db.session.execute(db.select(AuditLogEntry).filter_by(action=action)).scalars().all()


# --- the pipeline ----------------------------------------------------------------------

def test_home_goes_through_the_pipeline_and_licensing_creates_the_home_with_oversight(
        client, world, login, app_ctx, frozen):
    guide = _guide(world)
    login(guide)
    response = client.post("/guidance/homes/new", data={
        "home_name": "王小美家庭托顧服務", "carer_name": "王小美", "service_area_id": world.areas[0].id,
        "found_on": "114/3/1", "address": "甲鄉一路1號"})
    assert response.status_code == 303
    home = db.session.execute(db.select(GuidedHome).filter_by(home_name="王小美家庭托顧服務")).scalar_one()
    assert home.stage == "found" and home.guidance_org_id == world.orgs["guidance"].id

    def advance(to, on, **extra):
        db.session.refresh(home)
        return client.post(f"/guidance/homes/{home.id}/advance",
                           data={"to_stage": to, "on": on, "version": home.version, **extra})

    assert advance("env_checked", "114/4/1").status_code == 303
    assert advance("licence_applied", "114/5/1").status_code == 303
    page = client.get(f"/guidance/homes/{home.id}").get_data(as_text=True)
    assert "設立許可文號" in page and "已申請設立許可" in page
    advance("licensed", "114/6/15")   # no licence number
    db.session.refresh(home)
    assert home.stage == "licence_applied" and home.organisation_id is None
    assert advance("licensed", "114/6/15", licence_no="示衛長字第1140099號").status_code == 303
    db.session.refresh(home)
    org = home.organisation
    assert home.stage == "licensed" and org.kind == roles.B_UNIT and org.subtype == "family_care"
    assert org.name == "王小美家庭托顧服務" and org.head_name == "王小美"
    link = db.session.execute(db.select(OrganisationLink).filter_by(to_org_id=org.id)).scalar_one()
    assert (link.from_org_id, link.relation, link.read_only, link.started_on) == (
        world.orgs["guidance"].id, "guides", True, date(2025, 6, 15))
    assert org.id in db.session.execute(overseen_org_ids(guide)).scalars().all()
    assert advance("contracted", "114/7/1").status_code == 303
    db.session.refresh(home)
    assert home.stage == "contracted" and home.contracted_on == date(2025, 7, 1)
    assert len(_actions("guidance.home_licensed")) == 1 and len(_actions("organisation.create")) == 1
    assert len(_actions("guidance.oversight_started")) == 1
    # The home's organisation page names its guidance unit.
    assert "測試輔導協會（唯讀檢視）" in client.get(f"/orgs/{org.id}").get_data(as_text=True)


def test_double_submitted_stage_change_is_refused_with_a_message(client, world, login, app_ctx, frozen):
    home = make_home(world.orgs["guidance"])
    db.session.commit()
    login(_guide(world))
    data = {"to_stage": "env_checked", "on": "114/2/1", "version": home.version}
    assert client.post(f"/guidance/homes/{home.id}/advance", data=data).status_code == 303
    page = client.post(f"/guidance/homes/{home.id}/advance", data=data, follow_redirects=True).get_data(as_text=True)
    assert "目前為「住家環境檢核完成」" in page
    assert len(_actions("guidance.home_env_checked")) == 1


def test_stage_date_cannot_precede_the_previous_stage_or_be_in_the_future(client, world, login, app_ctx, frozen):
    home = make_home(world.orgs["guidance"], stage="env_checked")
    db.session.commit()
    login(_guide(world))
    page = client.post(f"/guidance/homes/{home.id}/advance", follow_redirects=True,
                       data={"to_stage": "licence_applied", "on": "114/1/20", "version": home.version}
                       ).get_data(as_text=True)
    assert "日期不可早於「住家環境檢核完成」的日期" in page
    page = client.post(f"/guidance/homes/{home.id}/advance", follow_redirects=True,
                       data={"to_stage": "licence_applied", "on": "114/12/1", "version": home.version}
                       ).get_data(as_text=True)
    assert "日期不可晚於今天" in page
    db.session.refresh(home)
    assert home.stage == "env_checked"


def test_licensing_refuses_a_name_used_by_another_unit(client, world, login, app_ctx, frozen):
    home = make_home(world.orgs["guidance"], stage="licence_applied", name=world.orgs["b_other"].name)
    db.session.commit()
    login(_guide(world))
    page = client.post(f"/guidance/homes/{home.id}/advance", follow_redirects=True, data={
        "to_stage": "licensed", "on": "114/5/1", "licence_no": "X1", "version": home.version}).get_data(as_text=True)
    assert "已有同名單位" in page
    db.session.refresh(home)
    assert home.stage == "licence_applied" and home.organisation_id is None


def test_dropping_a_home_ends_the_oversight(client, world, login, app_ctx, frozen):
    guidance, b = world.orgs["guidance"], world.orgs["b"]
    home = make_home(guidance, stage="contracted", organisation=b)
    db.session.add(OrganisationLink(from_org_id=guidance.id, to_org_id=b.id, relation="guides", read_only=True))
    db.session.commit()
    login(_guide(world))
    page = client.post(f"/guidance/homes/{home.id}/drop", data={"on": "114/11/1", "reason": "", "version": home.version}
                       ).get_data(as_text=True)
    assert "請填寫原因" in page
    assert client.post(f"/guidance/homes/{home.id}/drop", data={
        "on": "114/11/1", "reason": "家托員退休", "version": home.version}).status_code == 303
    assert b.id not in db.session.execute(overseen_org_ids(_guide(world))).scalars().all()
    db.session.refresh(home)
    assert home.stage == "dropped" and home.drop_reason == "家托員退休"


def test_edit_home_dates_with_stale_version(client, world, login, app_ctx, frozen):
    home = make_home(world.orgs["guidance"], stage="licensed")
    db.session.commit()
    login(_guide(world))
    form = {"home_name": home.home_name, "carer_name": home.carer_name, "service_area_id": world.areas[0].id,
            "found_on": "114/1/5", "env_checked_on": "114/2/1", "licence_applied_on": "114/3/1",
            "licensed_on": "114/4/10", "first_evaluated_on": "114/9/30", "version": home.version}
    assert client.post(f"/guidance/homes/{home.id}/edit", data=form).status_code == 303
    page = client.post(f"/guidance/homes/{home.id}/edit", data={**form, "carer_name": "第二人"}).get_data(as_text=True)
    assert "已被其他人更新" in page
    db.session.refresh(home)
    assert home.first_evaluated_on == date(2025, 9, 30) and home.carer_name == "測試家托員"
    bad = {**form, "licence_applied_on": "114/1/1", "version": home.version}
    assert "日期不可早於" in client.post(f"/guidance/homes/{home.id}/edit", data=bad).get_data(as_text=True)


# --- unit profile and officers (seed 003 §六, §十五(一)) -------------------------------

def test_unit_profile_checks_the_evaluation_requirement(client, world, login, app_ctx):
    unit = world.orgs["guidance"]
    login(_guide(world))
    page = client.post(f"/guidance/units/{unit.id}/profile", data={
        "eligibility_basis": "welfare_institution", "last_evaluation_result": "乙等"}).get_data(as_text=True)
    assert "須最近一次評鑑甲等以上" in page
    assert client.post(f"/guidance/units/{unit.id}/profile", data={
        "eligibility_basis": "welfare_institution", "last_evaluation_result": "甲等", "last_evaluation_year": "112",
        "family_care_since": "105"}).status_code == 303
    profile = db.session.execute(db.select(GuidanceUnitProfile).filter_by(organisation_id=unit.id)).scalar_one()
    assert profile.last_evaluation_year == 2023 and profile.family_care_since == 2016
    page = client.get(f"/guidance/units/{unit.id}").get_data(as_text=True)
    assert "優先" in page and "甲等" in page
    login(world.other_users[roles.GUIDANCE_STAFF])
    assert client.get(f"/guidance/units/{unit.id}/profile").status_code == 404


OFFICER = {"name": "張雅雯", "education": "college", "department": "企業管理系", "experience_months": "6",
           "user_id": "0"}


def test_officer_must_meet_one_of_the_three_paths(client, world, login, app_ctx):
    unit = world.orgs["guidance"]
    login(_guide(world))
    page = client.post(f"/guidance/units/{unit.id}/officers/new", data=OFFICER).get_data(as_text=True)
    assert "不符專責輔導人員資格" in page and "未具社會工作師考試應考資格" in page and 'value="張雅雯"' in page
    assert db.session.execute(db.select(GuidanceOfficer).filter_by(organisation_id=unit.id)).first() is None
    response = client.post(f"/guidance/units/{unit.id}/officers/new",
                           data={**OFFICER, "sw_exam_eligible": "y", "experience_months": "12"})
    assert response.status_code == 303
    officer = db.session.execute(db.select(GuidanceOfficer).filter_by(organisation_id=unit.id)).scalar_one()
    assert officer.qualification_path == 2 and officer.verified_at is None
    senior = {**OFFICER, "name": "林志偉", "education": "senior_high", "related_field": "y", "experience_months": "35"}
    assert "未滿三年" in client.post(f"/guidance/units/{unit.id}/officers/new", data=senior).get_data(as_text=True)


def test_bureau_verifies_an_officer_once_and_a_change_needs_a_new_check(client, world, login, app_ctx):
    unit = world.orgs["guidance"]
    officer = make_officer(unit, name="邱靜怡", department="社會工作學系")
    db.session.commit()
    login(world.users[roles.BUREAU_OFFICER])
    version = officer.version
    assert client.post(f"/guidance/officers/{officer.id}/verify", data={"note": "已查驗", "version": version}
                       ).status_code == 303
    login(world.users[roles.BUREAU_CHIEF])
    page = client.post(f"/guidance/officers/{officer.id}/verify", data={"version": version},
                       follow_redirects=True).get_data(as_text=True)
    assert "無需重複核對" in page
    assert len(_actions("guidance.officer_verified")) == 1
    login(_guide(world))
    db.session.refresh(officer)
    assert client.post(f"/guidance/officers/{officer.id}/edit", data={
        "name": "邱靜怡", "education": "college", "related_field": "y", "department": "護理系", "experience_months": "0",
        "user_id": "0", "version": officer.version}).status_code == 303
    db.session.refresh(officer)
    assert officer.verified_at is None
    assert client.post(f"/guidance/officers/{officer.id}/verify", data={"version": officer.version}).status_code == 403


def test_officer_account_must_belong_to_the_unit(client, world, login, app_ctx):
    unit = world.orgs["guidance"]
    login(_guide(world))
    page = client.post(f"/guidance/units/{unit.id}/officers/new", data={
        **OFFICER, "related_field": "y", "user_id": str(world.other_users[roles.GUIDANCE_STAFF].id)}).get_data(as_text=True)
    assert "請從清單中選擇" in page
    assert db.session.execute(db.select(GuidanceOfficer).filter_by(organisation_id=unit.id)).first() is None


# --- assessments, plans, visits --------------------------------------------------------

def test_capacity_assessment_saved_once(client, world, login, app_ctx, frozen):
    home = make_home(world.orgs["guidance"], stage="licensed")
    db.session.commit()
    login(_guide(world))
    form = client.get(f"/guidance/homes/{home.id}/assessments/new").get_data(as_text=True)
    key = re.search(r'name="submission_key" type="hidden" value="([0-9a-f]+)"', form)[1]
    data = {"submission_key": key, "assessed_on": "114/11/1", "officer_id": "0", "conclusion": "needs_guidance",
            "summary": "需持續輔導"}
    page = client.post(f"/guidance/homes/{home.id}/assessments/new", data=data).get_data(as_text=True)
    assert "請評定此項目" in page
    ratings = {f"rating_{k}": "2" for k in re.findall(r'name="rating_(\w+)"', form)}
    assert len(ratings) == 8
    assert client.post(f"/guidance/homes/{home.id}/assessments/new", data={**data, **ratings}).status_code == 303
    assert client.post(f"/guidance/homes/{home.id}/assessments/new", data={**data, **ratings}).status_code == 303
    rows = db.session.execute(db.select(CapacityAssessment).filter_by(home_id=home.id)).scalars().all()
    assert len(rows) == 1 and rows[0].items[0]["rating"] == 2 and rows[0].items[0]["label"]


def test_plan_is_structured_and_stale_edits_are_refused(client, world, login, app_ctx, frozen):
    home = make_home(world.orgs["guidance"], stage="licensed")
    db.session.commit()
    login(_guide(world))
    url = f"/guidance/homes/{home.id}/plan?year=2025&edit=1"
    page = client.post(url, data={**PLAN, "sec_goals": ""}).get_data(as_text=True)
    assert "請填寫輔導目標" in page
    assert client.post(url, data={**PLAN, "next_review_on": "115/2/1"}).status_code == 303
    plan = db.session.execute(db.select(GuidancePlan).filter_by(home_id=home.id)).scalar_one()
    assert plan.process == "輔導流程內容" and plan.next_review_on == date(2026, 2, 1)
    assert plan.last_reviewed_on == date(2025, 11, 20)
    version = plan.version
    assert client.post(url, data={**PLAN, "sec_goals": "第一人", "version": version}).status_code == 303
    page = client.post(url, data={**PLAN, "sec_goals": "第二人", "version": version}).get_data(as_text=True)
    assert "已被其他人更新" in page and "第二人" in page
    db.session.refresh(plan)
    assert plan.goals == "第一人"
    shown = client.get(f"/guidance/homes/{home.id}/plan?year=2025").get_data(as_text=True)
    assert "社區服務資源連結與運用" in shown and "第一人" in shown
    # The home itself reads its plan but cannot edit it.
    home.organisation_id = world.orgs["b"].id
    db.session.commit()
    login(world.users[roles.B_HEAD])
    shown = client.get(f"/guidance/homes/{home.id}/plan?year=2025&edit=1").get_data(as_text=True)
    assert "第一人" in shown and "檢討修訂" not in shown
    assert client.post(url, data=PLAN).status_code == 403


def test_visit_double_submit_keeps_one_row(client, world, login, app_ctx, frozen):
    home = make_home(world.orgs["guidance"])
    db.session.commit()
    login(_guide(world))
    data = {"submission_key": "k" * 32, "visited_on": "114/11/18", "officer_id": "0", "mode": "onsite",
            "topics": ["setup", "substitute"], "content": "檢核住家環境", "next_visit_on": "114/12/18"}
    assert client.post(f"/guidance/homes/{home.id}/visits/new", data=data).status_code == 303
    assert client.post(f"/guidance/homes/{home.id}/visits/new", data=data).status_code == 303
    visits = db.session.execute(db.select(GuidanceVisit).filter_by(home_id=home.id)).scalars().all()
    assert len(visits) == 1 and visits[0].topics == ["setup", "substitute"]
    page = client.post(f"/guidance/homes/{home.id}/visits/new", data={
        **data, "submission_key": "x" * 32, "visited_on": "114/12/1"}).get_data(as_text=True)
    assert "訪視日期不可晚於今天" in page


# --- scope ---------------------------------------------------------------------------------

def test_other_guidance_unit_and_other_homes_see_nothing(client, world, login, app_ctx):
    home = make_home(world.orgs["guidance"], organisation=world.orgs["b"], name="本會輔導家庭")
    visit = make_visit(home)
    db.session.commit()
    login(world.other_users[roles.GUIDANCE_STAFF])
    for url in (f"/guidance/homes/{home.id}", f"/guidance/visits/{visit.id}", f"/guidance/homes/{home.id}/edit",
                f"/guidance/units/{world.orgs['guidance'].id}"):
        assert client.get(url).status_code == 404, url
    login(world.other_users[roles.B_HEAD])
    assert client.get(f"/guidance/homes/{home.id}").status_code == 404
    login(world.users[roles.B_HEAD])
    page = client.get(f"/guidance/homes/{home.id}").get_data(as_text=True)
    assert "本會輔導家庭" in page and "新增訪視紀錄" not in page and "輔導獎助上限" not in page
    assert client.get(f"/guidance/homes/{home.id}/edit").status_code == 403
    assert client.get("/guidance/").headers["Location"].endswith(f"/guidance/homes/{home.id}")


def test_bureau_overview_lists_every_unit_with_its_progress(client, world, login, app_ctx, frozen):
    make_home(world.orgs["guidance"], stage="contracted", contracted_on=date(2025, 3, 1))
    make_home(world.orgs["guidance"], stage="contracted", contracted_on=date(2025, 8, 1), name="第二家")
    db.session.add(GuidanceYear(organisation_id=world.orgs["guidance_other"].id, year=2024, business_fee=1))
    db.session.add(GuidanceYear(organisation_id=world.orgs["guidance_other"].id, year=2025, business_fee=400_000))
    db.session.commit()
    login(world.users[roles.BUREAU_CHIEF])
    page = client.get("/guidance/?year=2025").get_data(as_text=True)
    assert "測試輔導協會" in page and "另一輔導協會" in page and "已達目標" in page
    assert "可能繳回 80,000" in page and "退場風險" in page
    fragment = client.get("/guidance/?year=2025", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "另一輔導協會" in fragment
    assert client.get("/guidance/?year=1").status_code == 404


# --- yearly targets --------------------------------------------------------------------------

def test_year_end_settlement_refund_and_exit(client, world, login, app_ctx):
    unit = world.orgs["guidance"]
    login(world.users[roles.BUREAU_OFFICER])
    with clock.freeze(datetime(2025, 6, 1, 9)):
        assert client.post(f"/guidance/units/{unit.id}/years/2025", data={"business_fee": "500,001"}).status_code == 303
        page = client.post(f"/guidance/units/{unit.id}/years/2025/settle", data={}, follow_redirects=True
                           ).get_data(as_text=True)
        assert "尚未結束" in page
    with clock.freeze(datetime(2026, 1, 5, 9)):
        client.post(f"/guidance/units/{unit.id}/years/2025/settle", data={})
        row = db.session.execute(db.select(GuidanceYear).filter_by(organisation_id=unit.id, year=2025)).scalar_one()
        assert (row.homes, row.refund, row.exit_flag, row.homes_previous) == (0, 100_000, False, None)
        page = client.post(f"/guidance/units/{unit.id}/years/2025/settle", data={}, follow_redirects=True
                           ).get_data(as_text=True)
        assert "已由" in page and "結算完成" in page
        assert client.post(f"/guidance/units/{unit.id}/years/2025", data={"business_fee": "1"},
                           follow_redirects=True).status_code == 200
        db.session.refresh(row)
        assert row.business_fee == 500_001
    with clock.freeze(datetime(2027, 1, 5, 9)):
        client.post(f"/guidance/units/{unit.id}/years/2026", data={"business_fee": "500000"})
        client.post(f"/guidance/units/{unit.id}/years/2026/settle", data={})
        row = db.session.execute(db.select(GuidanceYear).filter_by(organisation_id=unit.id, year=2026)).scalar_one()
        assert row.exit_flag and row.refund == 100_000
        assert any("退場" in r for r in row.reasons)
    assert len(_actions("guidance.year_settled")) == 2
    login(_guide(world))
    assert client.post(f"/guidance/units/{unit.id}/years/2026", data={"business_fee": "1"}).status_code == 403


def test_a_unit_that_exited_gets_nothing_of_later_years(client, world, login, app_ctx):
    """Settled with 「予以退場」 for 2026 (no new home in 2025 nor 2026): from 2027 on the unit may not add homes,
    apply for grants, nor have a business fee entered; the unit page and the overview say so."""
    unit = world.orgs["guidance"]
    db.session.add_all([GuidanceYear(organisation_id=unit.id, year=2025, business_fee=500_000),
                        GuidanceYear(organisation_id=unit.id, year=2026, business_fee=500_000)])
    db.session.commit()
    login(world.users[roles.BUREAU_OFFICER])
    with clock.freeze(datetime(2026, 1, 5, 9)):
        client.post(f"/guidance/units/{unit.id}/years/2025/settle", data={})
    with clock.freeze(datetime(2027, 1, 5, 9)):
        client.post(f"/guidance/units/{unit.id}/years/2026/settle", data={})
        row = db.session.execute(db.select(GuidanceYear).filter_by(organisation_id=unit.id, year=2026)).scalar_one()
        assert row.exit_flag
        page = client.post(f"/guidance/units/{unit.id}/years/2027", data={"business_fee": "300000"},
                           follow_redirects=True).get_data(as_text=True)
        assert "予以退場" in page
        assert db.session.execute(db.select(GuidanceYear).filter_by(organisation_id=unit.id, year=2027)
                                  ).scalar_one_or_none() is None
        assert "本單位已於115年度結算" in client.get(f"/guidance/units/{unit.id}").get_data(as_text=True)
        assert "已於115年度退場" in client.get("/guidance/?year=2027").get_data(as_text=True)
        login(_guide(world))
        page = client.post("/guidance/homes/new", data={
            "home_name": "退場後家庭托顧服務", "carer_name": "某甲", "service_area_id": world.areas[0].id,
            "found_on": "116/1/4"}).get_data(as_text=True)
        assert "不能再新增輔導家庭" in page
        assert db.session.execute(db.select(GuidedHome).filter_by(home_name="退場後家庭托顧服務")).first() is None
        page, key = _grant_form(client, "/guidance/grants/new?kind=development")
        page = client.post("/guidance/grants/new", data={
            "kind": "development", "year": "2027", "month": "1", "item_printing": "1000",
            "submission_key": key}).get_data(as_text=True)
        assert "不能申請116年度獎助" in page
        # The exit year itself is still open to what belongs to it (e.g. a late application for 2026).
        client.post("/guidance/grants/new", data={"kind": "development", "year": "2026", "month": "12",
                                                  "item_printing": "1000", "submission_key": key + "0"})
        assert [g.year for g in db.session.execute(db.select(GrantApplication).filter_by(organisation_id=unit.id)
                                                   ).scalars()] == [2026]


def test_one_home_misses_the_target_without_refund(client, world, login, app_ctx):
    unit = world.orgs["guidance"]
    make_home(unit, stage="contracted", contracted_on=date(2025, 9, 1))
    db.session.add(GuidanceYear(organisation_id=unit.id, year=2025, business_fee=500_000))
    db.session.commit()
    login(world.users[roles.BUREAU_OFFICER])
    with clock.freeze(datetime(2026, 1, 5, 9)):
        client.post(f"/guidance/units/{unit.id}/years/2025/settle", data={})
    row = db.session.execute(db.select(GuidanceYear).filter_by(organisation_id=unit.id, year=2025)).scalar_one()
    assert row.homes == 1 and row.refund == 0 and not row.exit_flag and "未達成" in row.reasons[0]


# --- grants -------------------------------------------------------------------------------

def _grant_form(client, url):
    page = client.get(url).get_data(as_text=True)
    return page, re.search(r'name="submission_key" type="hidden" value="([0-9a-f]+)"', page)[1]


def test_grant_screen_shows_the_cap_and_refuses_amounts_over_it(client, world, login, app_ctx, frozen):
    # Licensed April 2025: 9 eligible months in 2025 → 112,500.
    home = make_home(world.orgs["guidance"], stage="contracted")
    make_grant(world.orgs["guidance"], kind="home", home=home, month=5, items={"guidance_fee": 100_000},
               status="approved", approved_amount=100_000)
    db.session.commit()
    login(_guide(world))
    page, key = _grant_form(client, f"/guidance/grants/new?kind=home&home_id={home.id}")
    assert "本年度獎助上限 112,500 元" in page and "尚可申請 12,500 元" in page and "4–12 月" in page
    base = {"submission_key": key, "kind": "home", "home_id": home.id, "year": 2025, "month": 11}
    page = client.post("/guidance/grants/new", data={**base, "item_guidance_fee": "10000", "item_travel": "4,600"}
                       ).get_data(as_text=True)
    assert "輔導交通費每月最高 4,000 元" in page and "超過此托顧家庭本年度可申請餘額 12,500 元" in page
    page = client.post("/guidance/grants/new", data={**base, "item_equipment": "7000", "equipment_self_funded": "2000"}
                       ).get_data(as_text=True)
    assert "至少 2,700 元" in page
    page = client.post("/guidance/grants/new", data={**base, "month": 3, "item_guidance_fee": "1000"}
                       ).get_data(as_text=True)
    assert "此月份不在獎助期間" in page
    assert db.session.execute(db.select(GrantApplication).filter_by(status="submitted", home_id=home.id)).first() is None
    response = client.post("/guidance/grants/new", data={**base, "item_guidance_fee": "8000", "item_travel": "4000"})
    assert response.status_code == 303
    assert client.post("/guidance/grants/new", data={**base, "item_guidance_fee": "8000", "item_travel": "4000"}
                       ).status_code == 303   # resent: same key, no second row
    grant = db.session.execute(db.select(GrantApplication).filter_by(status="submitted", home_id=home.id)).scalar_one()
    assert grant.requested == 12_000 and grant.items == {"guidance_fee": 8_000, "travel": 4_000}


def test_grant_preview_fragment(client, world, login, app_ctx, frozen):
    login(_guide(world))
    response = client.post("/guidance/grants/new", headers={"HX-Request": "true"}, data={
        "preview": "1", "kind": "development", "year": 2025, "month": 11, "item_travel": "3000", "item_printing": "4000",
        "item_materials": "3500", "item_stationery": "1000"})
    body = response.get_data(as_text=True)
    assert "<html" not in body and "11,500" in body and "超過本月可申請餘額 10,000 元" in body
    assert db.session.execute(db.select(GrantApplication).filter_by(organisation_id=world.orgs["guidance"].id)).first() is None


def test_development_year_cap(client, world, login, app_ctx, frozen):
    unit = world.orgs["guidance"]
    for month in range(1, 12):
        make_grant(unit, month=month, items={"printing": 10_000}, status="approved", approved_amount=10_000)
    db.session.commit()
    login(_guide(world))
    _, key = _grant_form(client, "/guidance/grants/new?kind=development")
    data = {"submission_key": key, "kind": "development", "year": 2025, "month": 12, "item_printing": "10000"}
    assert client.post("/guidance/grants/new", data=data).status_code == 303
    _, key = _grant_form(client, "/guidance/grants/new?kind=development")
    page = client.post("/guidance/grants/new", data={**data, "submission_key": key, "item_printing": "1"}
                       ).get_data(as_text=True)
    assert "本月可申請餘額 0 元" in page


def test_bureau_decides_once(client, world, login, app_ctx, frozen):
    grant = make_grant(world.orgs["guidance"], year=2025, month=11, items={"travel": 3_000, "printing": 2_000})
    db.session.commit()
    login(world.users[roles.BUREAU_OFFICER])
    page = client.get(f"/guidance/grants/{grant.id}").get_data(as_text=True)
    assert "最多可核定 <strong>5,000</strong> 元" in page
    version = grant.version
    page = client.post(f"/guidance/grants/{grant.id}/decide", data={"decision": "reject", "version": version}
                       ).get_data(as_text=True)
    assert "不予核定時請填寫理由" in page
    page = client.post(f"/guidance/grants/{grant.id}/decide", data={
        "decision": "approve", "approved_amount": "4000", "version": version}).get_data(as_text=True)
    assert "核定金額低於申請金額時請填寫說明" in page
    assert client.post(f"/guidance/grants/{grant.id}/decide", data={
        "decision": "approve", "approved_amount": "4000", "comment": "印刷費核減", "version": version}).status_code == 303
    login(world.users[roles.BUREAU_CHIEF])
    page = client.post(f"/guidance/grants/{grant.id}/decide", data={"decision": "reject", "comment": "不符",
                                                                     "version": version},
                       follow_redirects=True).get_data(as_text=True)
    assert "已由" in page and "決定為「已核定」，未再變更" in page
    db.session.refresh(grant)
    assert grant.status == "approved" and grant.approved_amount == 4_000
    assert len(_actions("guidance.grant_approved")) == 1 and not _actions("guidance.grant_rejected")
    login(_guide(world))
    assert client.post(f"/guidance/grants/{grant.id}/decide", data={"decision": "approve"}).status_code == 403


def test_approval_above_the_cap_is_refused(client, world, login, app_ctx, frozen):
    unit = world.orgs["guidance"]
    grant = make_grant(unit, year=2025, month=11, items={"printing": 6_000})
    make_grant(unit, year=2025, month=11, items={"printing": 6_000}, status="approved", approved_amount=6_000)
    db.session.commit()
    login(world.users[roles.BUREAU_OFFICER])
    page = client.post(f"/guidance/grants/{grant.id}/decide", data={"decision": "approve", "version": grant.version}
                       ).get_data(as_text=True)
    assert "最多可核定 4,000 元" in page
    db.session.refresh(grant)
    assert grant.status == "submitted"


def test_withdraw(client, world, login, app_ctx, frozen):
    grant = make_grant(world.orgs["guidance"], year=2025)
    db.session.commit()
    login(_guide(world))
    assert client.post(f"/guidance/grants/{grant.id}/withdraw", data={}).status_code == 303
    db.session.refresh(grant)
    assert grant.status == "withdrawn"
    page = client.post(f"/guidance/grants/{grant.id}/withdraw", data={}, follow_redirects=True).get_data(as_text=True)
    assert "無法撤回" in page
    login(world.other_users[roles.GUIDANCE_STAFF])
    assert client.get(f"/guidance/grants/{grant.id}").status_code == 404
    assert FOREIGN_MARKER not in client.get("/guidance/grants?year=2025").get_data(as_text=True)


# --- dashboard ----------------------------------------------------------------------------

def test_dashboard_items(client, world, login, app_ctx, frozen):
    unit = world.orgs["guidance"]
    home = make_home(unit, stage="contracted", contracted_on=date(2024, 5, 1), name="逾期訪視家庭")
    make_visit(home, on=date(2025, 9, 1))
    make_officer(unit, name="待核對員")
    make_grant(unit, year=2025, month=11)
    db.session.add(GuidanceYear(organisation_id=unit.id, year=2024, business_fee=1))
    db.session.commit()
    login(_guide(world))
    page = client.get("/").get_data(as_text=True)
    assert "輔導訪視：逾期訪視家庭" in page and "獨立營運量能評估待辦理" in page
    assert "114年度個別化輔導計畫待訂定" in page and "已完成特約之新增托顧家庭 0／2 處" in page
    login(world.users[roles.BUREAU_OFFICER])
    page = client.get("/").get_data(as_text=True)
    assert "獎助申請待審" in page and "專責輔導人員資格待核對：" in page and "待核對員" in page
    assert "輔導單位年度目標落後：單位" in page and "113年度輔導單位年底結算待辦理" in page
    # Once settled with 「予以退場」 the unit has no target to fall behind.
    db.session.add(GuidanceYear(organisation_id=unit.id, year=2023, business_fee=1, exit_flag=True,
                                settled_at=datetime(2024, 1, 5, tzinfo=timezone.utc)))
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert f"輔導單位年度目標落後：{unit.display_name}" not in page
    login(_guide(world))
    assert "已完成特約之新增托顧家庭 0／2 處" not in client.get("/").get_data(as_text=True)


# --- PDFs -----------------------------------------------------------------------------------

def _pdf_text(data, tmp_path, name):
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    text = re.sub(r"\s+", "", text)   # table cells wrap
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return text, fonts


def test_yearly_summary_pdf(client, world, login, app_ctx, frozen, tmp_path):
    unit = world.orgs["guidance"]
    db.session.add(GuidanceUnitProfile(organisation_id=unit.id, eligibility_basis="foundation", legal_form="社團法人測試協會"))
    make_officer(unit, name="邱靜怡", department="社會工作學系")
    home = make_home(unit, stage="contracted", contracted_on=date(2025, 6, 1), name="測試甲家庭托顧服務")
    make_visit(home, on=date(2025, 7, 1))
    make_grant(unit, year=2025, month=7, status="approved", approved_amount=3_000)
    db.session.commit()
    login(_guide(world))
    response = client.get(f"/guidance/units/{unit.id}/summary/2025.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text, fonts = _pdf_text(response.data, tmp_path, "summary")
    for needle in ("家庭托顧輔導單位114年度辦理情形摘要", "社團法人測試協會", "邱靜怡", "第1款", "測試甲家庭托顧服務",
                   "1處（目標2處）：未達成", "3,000", "未結算"):
        assert needle in text, needle
    assert "AR PL UKai" in fonts or "UKai" in fonts
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:] if line.strip())   # embedded
    login(world.other_users[roles.GUIDANCE_STAFF])
    assert client.get(f"/guidance/units/{unit.id}/summary/2025.pdf").status_code == 404


def test_yearly_summary_pdf_shows_each_homes_cap_and_what_is_left(client, world, login, app_ctx, frozen, tmp_path):
    unit = world.orgs["guidance"]
    home = make_home(unit, stage="contracted", name="測試丙家庭托顧服務")     # licensed 2025-04-10: Apr–Dec
    make_home(unit, stage="contracted", name="測試丁家庭托顧服務", licensed_on=date(2022, 3, 1),
              contracted_on=date(2022, 4, 1))                                     # window over: not listed
    make_grant(unit, kind="home", home=home, year=2025, month=5, items={"guidance_fee": 20_000}, status="approved",
               approved_amount=20_000)
    make_grant(unit, kind="home", home=home, year=2025, month=6, items={"guidance_fee": 5_000})
    make_grant(unit, kind="home", home=home, year=2025, month=7, items={"guidance_fee": 9_000}, status="rejected")
    make_grant(unit, year=2025, month=7, status="approved", approved_amount=3_000)
    db.session.commit()
    login(world.users[roles.BUREAU_OFFICER])
    text, _ = _pdf_text(client.get(f"/guidance/units/{unit.id}/summary/2025.pdf").data, tmp_path, "caps")
    assert "測試丙家庭托顧服務4–12月（9個月）112,50020,0005,00087,500" in text
    assert "輔導開發或培植托顧家庭1–12月120,0003,0000117,000" in text
    assert "測試丁家庭托顧服務4–" not in text and "測試丁家庭托顧服務" in text   # in the homes list only
    assert "製表人：" in text and "日期：中華民國114年11月20日" in text


def test_plan_pdf(client, world, login, app_ctx, frozen, tmp_path):
    home = make_home(world.orgs["guidance"], stage="licensed", name="測試乙家庭托顧服務")
    db.session.add(GuidancePlan(home_id=home.id, year=2025, **{f: f"{label}的說明" for f, label in GuidancePlan.SECTIONS}))
    db.session.commit()
    login(world.users[roles.BUREAU_OFFICER])
    response = client.get(f"/guidance/homes/{home.id}/plan.pdf?year=2025")
    text, _ = _pdf_text(response.data, tmp_path, "plan")
    assert "測試乙家庭托顧服務114年度個別化輔導工作計畫" in text
    assert "社區服務資源連結與運用的說明" in text and "預期效益的說明" in text


def test_guide_reads_the_clients_of_a_guided_home(client, world, login, app_ctx):
    home = make_home(world.orgs["guidance"], stage="contracted", organisation=world.orgs["b"])
    db.session.commit()
    login(_guide(world))
    page = client.get(f"/guidance/homes/{home.id}").get_data(as_text=True)
    own = world.clients["own"]
    assert "服務對象（唯讀）" in page and own.name in page and own.masked_id in page and own.national_id not in page
    assert FOREIGN_MARKER not in page


@pytest.mark.skipif(not __import__("tests.conftest", fromlist=["USE_POSTGRES"]).USE_POSTGRES,
                    reason="row locks are PostgreSQL behaviour")
def test_decision_takes_a_row_lock(world, app_ctx):
    """A second officer's decision waits for the first one's row lock (PostgreSQL)."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from portal.guidance import operations as ops
    grant = make_grant(world.orgs["guidance"], year=2025)
    db.session.commit()
    other = db.engine.connect()
    tx = other.begin()
    other.execute(text("SELECT id FROM guidance_grant_applications WHERE id = :id FOR UPDATE"), {"id": grant.id})
    try:
        db.session.execute(text("SET LOCAL lock_timeout = '300ms'"))
        with pytest.raises(OperationalError):
            ops.decide_grant(world.users[roles.BUREAU_OFFICER], grant, "approve")
        db.session.rollback()
    finally:
        tx.rollback()
        other.close()
    db.session.refresh(grant)
    assert grant.status == "submitted"


def test_home_grant_needs_a_contracted_home(client, world, login, app_ctx, frozen):
    home = make_home(world.orgs["guidance"], stage="licensed")
    db.session.commit()
    login(_guide(world))
    page, key = _grant_form(client, "/guidance/grants/new?kind=home")
    assert home.home_name not in page
    page = client.post("/guidance/grants/new", data={"submission_key": key, "kind": "home", "home_id": home.id,
                                                     "year": 2025, "month": 11, "item_guidance_fee": "1000"}
                       ).get_data(as_text=True)
    assert "尚未完成特約" in page
    assert not db.session.execute(db.select(GrantApplication).filter_by(home_id=home.id)).first()


def test_visit_refuses_another_units_officer(client, world, login, app_ctx, frozen):
    home = make_home(world.orgs["guidance"])
    foreign_officer = make_officer(world.orgs["guidance_other"], name="他會人員")
    db.session.commit()
    login(_guide(world))
    page = client.post(f"/guidance/homes/{home.id}/visits/new", data={
        "submission_key": "z" * 32, "visited_on": "114/11/18", "officer_id": foreign_officer.id, "mode": "onsite",
        "topics": ["setup"], "content": "內容"}).get_data(as_text=True)
    assert "請從清單中選擇" in page
    assert not db.session.execute(db.select(GuidanceVisit).filter_by(home_id=home.id)).first()
    from portal.errors import Refused
    from portal.guidance import operations as ops
    with pytest.raises(Refused):
        ops.add_visit(_guide(world), home, {"visited_on": date(2025, 11, 1), "officer_id": foreign_officer.id,
                                            "mode": "onsite", "topics": ["setup"], "content": "x"}, date(2025, 11, 20))


def test_contract_on_record_prefills_the_contract_date_and_shows_on_the_year_page(
        client, world, login, app_ctx, frozen):
    from tests.contracts.factories import make_contract
    unit = world.orgs["guidance"]
    home = make_home(unit, stage="licensed", organisation=world.orgs["b"], name="測試戊家庭托顧服務")
    other = make_home(unit, stage="contracted", name="測試己家庭托顧服務", contracted_on=date(2025, 6, 1),
                      organisation=make_org(roles.B_UNIT, "測試己家庭托顧服務", subtype="family_care"))
    db.session.commit()
    login(_guide(world))
    page = client.get(f"/guidance/homes/{home.id}").get_data(as_text=True)
    assert "衛生局特約管理尚無此單位的契約紀錄" in page and 'value="114/11/20"' in page
    assert "服務紀錄與費用申報（唯讀）" in page
    make_contract(world.orgs["b"], starts_on=date(2025, 5, 2), ends_on=date(2025, 12, 31), number="測試特字第7號")
    db.session.commit()
    page = client.get(f"/guidance/homes/{home.id}").get_data(as_text=True)
    assert "衛生局已登錄特約（測試特字第7號" in page and 'value="114/05/02"' in page
    assert "特約紀錄" not in page
    db.session.refresh(home)
    client.post(f"/guidance/homes/{home.id}/advance", data={"to_stage": "contracted", "on": "114/05/02",
                                                            "version": home.version})
    login(world.users[roles.BUREAU_OFFICER])
    page = client.get(f"/guidance/units/{unit.id}/years/2025").get_data(as_text=True)
    assert "測試特字第7號" in page
    assert page.count("衛生局尚未登錄特約") == 1 and other.home_name in page


def test_tampered_version_is_a_stale_edit_not_an_error(client, world, login, app_ctx, frozen):
    unit = world.orgs["guidance"]
    db.session.add(GuidanceYear(organisation_id=unit.id, year=2025, business_fee=100_000))
    home = make_home(unit, stage="found")
    db.session.commit()
    login(world.users[roles.BUREAU_OFFICER])
    response = client.post(f"/guidance/units/{unit.id}/years/2025", data={"business_fee": "200000", "version": "¦x"},
                           follow_redirects=True)
    assert response.status_code == 200 and "已被" in response.get_data(as_text=True)
    assert db.session.execute(db.select(GuidanceYear.business_fee).filter_by(organisation_id=unit.id)).scalar() == 100_000
    response = client.post(f"/guidance/homes/{home.id}/advance", data={"to_stage": "env_checked", "on": "114/2/1",
                                                                       "version": "1e9"})
    assert response.status_code == 303
    db.session.refresh(home)
    assert home.stage == "found"
