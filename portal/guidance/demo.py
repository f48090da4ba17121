"""Demo data of the guidance area: officers, homes at every stage, a plan, visits, grants, two years."""
from datetime import date, timedelta

from portal.auth import roles
from portal.demo import demo_seeder
from portal.extensions import db
from portal.guidance import operations as ops
from portal.guidance.models import GuidedHome
from portal.orgs.models import Organisation

PLAN_TEXT = {
    "problem_analysis": "家托員照顧經驗豐富，惟對照顧服務管理資訊平臺操作不熟悉，每月費用申報常需協助；替代照顧者尚未完成 CPR 複訓。",
    "goals": "一、半年內家托員可獨立完成每月服務紀錄上傳與費用申報。\n二、建立穩定的替代照顧機制（至少一名合格替代照顧者）。",
    "strategies": "以示範操作與陪同操作並行，逐月減少協助程度；連結鄰近托顧家庭互為替代照顧。",
    "process": "每月實地訪視一次；每季檢視輔導目標達成情形並修正計畫。",
    "measures": "1. 每月 3 日前協助檢核當月服務紀錄。\n2. 安排替代照顧者參加本季 CPR 課程。\n3. 提供收費標準範本並協助辦理備查。",
    "community_resources": "鄉公所社會課、社區發展協會、鄰近巷弄長照站（共餐與延緩失能課程）、衛生所。",
    "expected_benefits": "家托員可獨立營運，服務量維持每日 3–4 位長輩，費用申報零退件。",
}


def _months_ago(today, months, day=10):
    m = today.year * 12 + today.month - 1 - months
    return date(m // 12, m % 12 + 1, day)


@demo_seeder(order=50)
def seed_guidance(ctx):
    today = ctx.today
    guide, officer = ctx.users["guide"], ctx.users["officer"]
    g1 = ctx.orgs["g1"]
    y = today.year

    ops.save_unit_profile(guide, g1, None, {
        "eligibility_basis": "foundation", "legal_form": "社團法人示範縣家庭托顧輔導協會",
        "last_evaluation_result": None, "last_evaluation_year": None, "family_care_since": 2016,
        "contact_name": guide.full_name, "contact_phone": "(08)765-4328", "notes": None})
    qiu = ops.save_officer(guide, g1, None, {
        "name": guide.full_name, "user_id": guide.id, "phone": "0912-345-678", "education": "college",
        "school": "示範大學", "department": "社會工作學系", "related_field": True, "sw_exam_eligible": True,
        "experience_months": 72, "started_on": date(2021, 3, 1), "ended_on": None})
    ops.verify_officer(officer, qiu, "已查驗畢業證書影本。")
    ops.save_officer(guide, g1, None, {
        "name": "張雅雯", "user_id": None, "phone": "0933-222-111", "education": "college", "school": "示範科技大學",
        "department": "企業管理系", "related_field": False, "sw_exam_eligible": True, "experience_months": 30,
        "started_on": today - timedelta(days=40), "ended_on": None})
    lin = ops.save_officer(guide, g1, None, {
        "name": "林志偉", "user_id": None, "phone": "0955-666-777", "education": "senior_high",
        "school": "示範高級護理職業學校", "department": "護理科", "related_field": True, "sw_exam_eligible": False,
        "experience_months": 48, "started_on": date(2022, 8, 1), "ended_on": None})
    ops.verify_officer(officer, lin, "已查驗畢業證書及服務證明。")

    # The two demo family-care homes, guided since their licence (the base data links them).
    b1 = GuidedHome(guidance_org_id=g1.id, organisation_id=ctx.orgs["b1"].id, home_name=ctx.orgs["b1"].name,
                    carer_name="陳美華", address=ctx.orgs["b1"].address, service_area_id=ctx.orgs["b1"].base_area_id,
                    stage="contracted", found_on=date(y - 2, 9, 1), env_checked_on=date(y - 2, 11, 10),
                    licence_applied_on=date(y - 1, 2, 1), licensed_on=date(y - 1, 5, 10), licence_no="示衛長字第1130001號",
                    contracted_on=date(y - 1, 6, 20))
    b2 = GuidedHome(guidance_org_id=g1.id, organisation_id=ctx.orgs["b2"].id, home_name=ctx.orgs["b2"].name,
                    carer_name="林秀英", address=ctx.orgs["b2"].address, service_area_id=ctx.orgs["b2"].base_area_id,
                    stage="contracted", found_on=date(y - 3, 3, 1), env_checked_on=date(y - 3, 5, 1),
                    licence_applied_on=date(y - 3, 6, 15), licensed_on=date(y - 2, 9, 1), licence_no="示衛長字第1120042號",
                    contracted_on=date(y - 2, 10, 15))
    db.session.add_all([b1, b2])
    db.session.flush()

    area = ctx.areas
    found = ops.create_home(guide, g1, {"home_name": "王小美家庭托顧服務", "carer_name": "王小美",
                                        "carer_phone": "0921-111-222", "address": "示範縣南山鄉中山路12號",
                                        "service_area_id": area["D04"].id, "notes": "社區關懷據點志工轉介，有照服員結業證書。"},
                            today - timedelta(days=20), today)
    checked = ops.create_home(guide, g1, {"home_name": "李阿滿家庭托顧服務", "carer_name": "李阿滿",
                                          "carer_phone": "0922-333-444", "address": "示範縣北濱鄉海濱路5號",
                                          "service_area_id": area["D05"].id, "notes": None},
                              today - timedelta(days=120), today)
    ops.advance_home(guide, checked, "env_checked", today - timedelta(days=60), today)
    applied = ops.create_home(guide, g1, {"home_name": "黃金鳳家庭托顧服務", "carer_name": "黃金鳳",
                                          "carer_phone": "0923-555-666", "address": "示範縣西湖鎮湖畔街8號",
                                          "service_area_id": area["D03"].id, "notes": None},
                              today - timedelta(days=200), today)
    ops.advance_home(guide, applied, "env_checked", today - timedelta(days=150), today)
    ops.advance_home(guide, applied, "licence_applied", today - timedelta(days=30), today)
    new = ops.create_home(guide, g1, {"home_name": "趙秋香家庭托顧服務", "carer_name": "趙秋香",
                                      "carer_phone": "0925-777-888", "address": "示範縣示範市信義路20號",
                                      "service_area_id": area["D01"].id, "notes": None},
                          today - timedelta(days=260), today)
    for stage, days in (("env_checked", 220), ("licence_applied", 160)):
        ops.advance_home(guide, new, stage, today - timedelta(days=days), today)
    ops.advance_home(guide, new, "licensed", today - timedelta(days=75), today, licence_no="示衛長字第1140015號")
    # The bureau records the new home's contract (portal/contracts); its first day is the 完成特約 date.
    from portal.contracts.operations import create_contract
    create_contract(officer, new.organisation, number=f"示範長照特字第{y - 1911}101號",
                    starts_on=today - timedelta(days=45), ends_on=date(y, 12, 31))
    ops.advance_home(guide, new, "contracted", today - timedelta(days=45), today)
    dropped = ops.create_home(guide, g1, {"home_name": "周麗華家庭托顧服務", "carer_name": "周麗華",
                                          "carer_phone": None, "address": "示範縣東港鄉漁港路3號",
                                          "service_area_id": area["D02"].id, "notes": None},
                              today - timedelta(days=300), today)
    ops.drop_home(guide, dropped, today - timedelta(days=200), "家托員因家人生病須全職照顧，暫不考慮設立。", today)

    # Capacity assessments and a guidance plan; visits.
    items = [{"key": k, "label": label, "rating": r, "note": note} for k, label, r, note in (
        ("care_skills", "照顧能力與證照（家托員、替代照顧者）", 3, "照服員證照、CPR 效期內"),
        ("environment", "住家照顧環境與設施安全", 3, ""),
        ("substitute", "替代照顧機制", 1, "尚無合格替代照顧者"),
        ("accounts", "帳務管理（收費、費用申報、核銷）", 2, "申報需陪同"),
        ("records", "服務紀錄與行政作業", 2, ""),
        ("systems", "資訊系統操作（照顧服務管理資訊平臺）", 1, "不熟悉平臺操作"),
        ("clients", "個案來源與轉介、社區資源連結", 2, ""),
        ("finance", "營運收支與財務穩定", 2, ""))]
    ops.add_assessment(guide, b1, {"assessed_on": date(y - 1, 6, 1), "officer_id": qiu.id,
                                   "conclusion": "needs_guidance", "summary": "照顧能力佳，行政與系統作業需持續輔導。"},
                       items, today)
    ops.add_assessment(guide, b2, {"assessed_on": date(y - 2, 9, 20), "officer_id": lin.id,
                                   "conclusion": "independent", "summary": "已可獨立營運，維持每月訪視。"},
                       [dict(i, rating=3, note="") for i in items], today)
    ops.save_plan(guide, b1, None, y, {**PLAN_TEXT, "next_review_on": today + timedelta(days=10)}, today)
    for home, visits in ((b1, [(45, "onsite", ["systems", "accounts"]), (15, "onsite", ["substitute"])]),
                         (b2, [(40, "phone", ["accounts"])]),
                         (new, [(50, "onsite", ["contracts"]), (20, "onsite", ["accounts", "systems"])]),
                         (checked, [(60, "onsite", ["setup"])])):
        for days, mode, topics in visits:
            ops.add_visit(guide, home, {
                "visited_on": today - timedelta(days=days), "officer_id": qiu.id, "mode": mode, "topics": topics,
                "content": "檢視本月服務紀錄與申報資料，示範平臺上傳流程。" if "systems" in topics
                else "討論替代照顧者人選與排班方式。" if "substitute" in topics
                else "說明設立標準並檢核住家動線、浴廁扶手與消防設備。" if "setup" in topics
                else "協助確認特約契約內容與個案服務契約範本。" if "contracts" in topics
                else "電話確認本月收費與部分負擔收據開立情形。",
                "follow_up": "下次訪視確認改善情形。",
                "next_visit_on": today + timedelta(days=5) if (home is b1 and days == 15) else None}, today)

    # Years: last year settled (1 new home: target missed, no refund), this year open.
    ops.set_business_fee(officer, g1, y - 1, 600_000)
    ops.settle_year(officer, g1, y - 1, today)
    ops.set_business_fee(officer, g1, y, 600_000)

    # Grant applications: one approved, two waiting for the bureau.
    month = today.month
    if month > 1:
        approved = ops.submit_grant(guide, g1, {
            "kind": "home", "home": b1, "year": y, "month": month - 1,
            "items": {"guidance_fee": 6_000, "insurance": 1_200, "pension": 600, "travel": 3_200, "business": 1_500},
            "equipment_self_funded": 0, "description": "陳家托顧上月輔導費用"})
        ops.decide_grant(officer, approved, "approve", comment="經費項目符合，核定。")
    ops.submit_grant(guide, g1, {
        "kind": "home", "home": b1, "year": y, "month": month,
        "items": {"guidance_fee": 6_000, "insurance": 1_200, "pension": 600, "travel": 4_000, "equipment": 14_000},
        "equipment_self_funded": 6_000, "description": "本月輔導費用；添購防滑扶手（設備費 20,000 元，自籌 6,000 元）"})
    ops.submit_grant(guide, g1, {
        "kind": "development", "home": None, "year": y, "month": month,
        "items": {"travel": 3_600, "printing": 2_500, "materials": 1_800, "postage": 300},
        "equipment_self_funded": 0, "description": "潛在家托員說明會與訪視"})

    # A second guidance unit, behind on its targets two years running.
    g2 = Organisation(kind=roles.GUIDANCE, name="示範縣西區家庭托顧發展中心", short_name="西區家托中心",
                      code="DEMO-G2", phone="(08)765-9999", address="示範縣西湖鎮民族路30號",
                      base_area=area["D03"], service_areas=[area["D03"], area["D05"], area["D06"]])
    db.session.add(g2)
    db.session.flush()
    ops.save_unit_profile(officer, g2, None, {
        "eligibility_basis": "welfare_institution", "legal_form": "財團法人示範縣私立安康老人長期照顧中心",
        "last_evaluation_result": "甲等", "last_evaluation_year": y - 2, "family_care_since": 2020,
        "contact_name": "賴宗翰", "contact_phone": "(08)765-9998", "notes": None})
    ops.save_officer(officer, g2, None, {
        "name": "賴宗翰", "user_id": None, "phone": None, "education": "college", "school": "示範醫護管理專科學校",
        "department": "護理科", "related_field": True, "sw_exam_eligible": False, "experience_months": 40,
        "started_on": date(y - 2, 1, 1), "ended_on": None})
    ops.create_home(officer, g2, {"home_name": "許玉蘭家庭托顧服務", "carer_name": "許玉蘭", "carer_phone": None,
                                  "address": "示範縣中興鄉和平路2號", "service_area_id": area["D06"].id, "notes": None},
                    today - timedelta(days=90), today)
    ops.set_business_fee(officer, g2, y - 1, 400_000)
    ops.settle_year(officer, g2, y - 1, today)
    ops.set_business_fee(officer, g2, y, 400_000)
