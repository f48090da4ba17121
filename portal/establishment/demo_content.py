"""Demo establishment plans: a returned plan being revised (user applicant, org p1) and a plan under
review (user applicant2), plus the bureau's population table marked as demo figures (Q23)."""
import io
from datetime import date, timedelta

from portal.auth import roles
from portal.auth.models import User
from portal.establishment import operations as ops
from portal.establishment.outline import BY_KEY, PROJECTION_ROWS
from portal.extensions import db
from portal.orgs.models import Organisation

# 示範數字: made-up figures per township, never real statistics.
DEMO_POPULATION = {
    "D01": (9_850, 14_320, 402, 331, 516, 428, 41),
    "D02": (4_210, 6_150, 188, 152, 233, 197, 12),
    "D03": (5_630, 8_020, 241, 203, 301, 255, 18),
    "D04": (3_120, 4_480, 139, 117, 172, 143, 9),
    "D05": (2_870, 4_010, 121, 104, 150, 131, 6),
    "D06": (3_440, 4_920, 148, 126, 189, 160, 8),
}

_PARA = ("本機構以「在地老化、尊嚴照顧」為核心理念，結合在地人力與社區資源，提供失能者身體照顧、日常生活照顧及家事服務，"
         "並與長期照顧管理中心、A 單位及醫療院所建立轉介合作，確保服務連續且品質一致。")


def _long(topic: str, n: int = 4) -> str:
    lines = [f"一、目的：為使{topic}有所依循，特訂定本辦法。",
             f"二、適用範圍：本機構全體工作人員，包括負責人、業務負責人、居服督導、照服員及行政人員。",
             f"三、作業內容：{topic}由業務負責人督導，居服督導每月檢視執行情形，並於行政會議提出報告與改善措施；相關紀錄以表單保存，保存年限依個人資料保護法及長期照顧服務法相關規定辦理。"]
    for i in range(4, 4 + n):
        lines.append(f"{'四五六七八九十'[i - 4]}、執行重點（{i - 3}）：{_PARA}針對{topic}之執行，居服督導應於服務前說明、服務中觀察、服務後追蹤，"
                     "發現異常即依通報流程處理，並於個案紀錄中詳實記載處理經過與結果。")
    lines.append("附則：本辦法經機構會議通過後實施，修正時亦同。")
    return "\n".join(lines)


def plan_content(area_ids: list, county: str, *, name_distinctive="好鄰居", head="郭志強") -> dict:
    """A complete plan's content (tests use it too)."""
    areas = [str(a) for a in area_ids]
    quality = {k: {"adopted_on": "2025-09-01", "body": _long(BY_KEY[k].title)}
               for k in BY_KEY if BY_KEY[k].dated}
    budget = []
    prices = {"行政人員薪資": ("人", 2, 32_000, 12, 32_000, 12, 33_000), "月薪制照服員薪資": ("人月", 0, 0, 48, 36_000, 60, 36_500),
              "時薪制照服員薪資": ("小時", 0, 0, 4_800, 220, 6_000, 225), "其他人事費": ("式", 1, 20_000, 1, 60_000, 1, 60_000),
              "租金": ("月", 3, 18_000, 12, 18_000, 12, 18_000), "器材": ("式", 1, 150_000, 1, 30_000, 1, 30_000),
              "輔具": ("組", 5, 2_500, 5, 2_500, 5, 2_500), "水費、電費": ("月", 3, 2_000, 12, 2_500, 12, 2_500),
              "文具、印刷費…等": ("月", 3, 1_500, 12, 1_500, 12, 1_500)}
    for i, preset in enumerate(BY_KEY["budget"].tables[0].preset):
        unit, pq, pp, q1, p1, q2, p2 = prices[preset["item"]]
        budget.append(dict(preset, fixed=i, unit=unit, prep_qty=pq, prep_price=pp, year1_qty=q1, year1_price=p1,
                           year2_qty=q2, year2_price=p2))
    projection_values = {"clients": (45, 70, 90), "home_service_income": (3_100_000, 4_900_000, 6_300_000),
                         "self_pay_income": (150_000, 240_000, 300_000), "other_income": (0, 50_000, 50_000),
                         "salaries": (2_650_000, 4_150_000, 5_300_000), "rent": (216_000, 216_000, 216_000),
                         "insurance": (260_000, 410_000, 520_000), "other_expenses": (120_000, 150_000, 180_000)}
    projection = [{"key": k, "label": label, "fixed": i, **dict(zip(("year1", "year2", "year3"), projection_values[k]))}
                  for i, (k, label) in enumerate(PROJECTION_ROWS)]
    roster = [
        {"role": "機構負責人", "name": head, "national_id": "A123456789", "birth_date": "1972-04-18", "sex": "M",
         "licence_no": "", "pay_type": "monthly", "pay": 45_000, "remark": "專任"},
        {"role": "業務負責人", "name": "林佩君", "national_id": "B223456781", "birth_date": "1980-09-02", "sex": "F",
         "licence_no": "社工師證書 第 012345 號", "pay_type": "monthly", "pay": 42_000, "remark": "具居服督導資格"},
        {"role": "居服督導", "name": "陳建志", "national_id": "D123456785", "birth_date": "1988-01-20", "sex": "M",
         "licence_no": "照服員單一級 第 10987 號", "pay_type": "monthly", "pay": 38_000, "remark": "專任"},
        *({"role": "照服員", "name": name, "national_id": nid, "birth_date": born, "sex": "F",
           "licence_no": f"照服員結業證明 第 2{i:04d} 號", "pay_type": "hourly", "pay": 220, "remark": ""}
          for i, (name, nid, born) in enumerate([("王美玲", "E223456786", "1975-03-11"), ("張淑華", "F223456782", "1969-12-05"),
                                                 ("黃秀琴", "H223456783", "1978-07-23"), ("吳麗娟", "J223456784", "1983-05-30")])),
    ]
    return {
        "cover": {"contact_person": head, "contact_phone": "(08)765-4329", "fax": "(08)765-4330", "plan_date": None},
        "basic": {"applicant_type": "natural", "legal_form": "", "parent": "", "attached": False, "county": county,
                  "distinctive": name_distinctive, "has_same_type": False, "name": "",
                  "address": f"{county}北濱鄉中正路18號1樓", "head_name": head, "head_capacity": "applicant",
                  "household_address": f"{county}北濱鄉民生路3號", "mailing_address": f"{county}北濱鄉中正路18號1樓"},
        "motive_reason": {"body": "北濱鄉及鄰近鄉鎮高齡人口比例逐年上升，居家服務特約單位集中於示範市，偏遠村落常需等候派案。\n" + _PARA +
                          "\n申請人長年投入社區關懷據點，熟悉在地長輩需求，爰申請設立居家式長照機構。"},
        "motive_goals": {"body": "一、第一年服務 45 位長照需要者，第三年達 90 位。\n二、新案自照會起 7 個工作天內提供首次服務。\n三、服務滿意度達 90% 以上，照服員年流動率低於 20%。\n四、每年辦理照服員在職訓練 20 小時以上。"},
        "org_chart": {"lead_qualified": True, "body": "本機構置負責人 1 人，下設業務負責人 1 人綜理業務；業務負責人具居服督導資格，與專任居服督導共同督導照服員，另置行政人員 1 人。"},
        "duties": {"duties": [
            {"title": "機構負責人", "fixed": 0, "count": 1, "tasks": "綜理機構業務、對外代表機構、核定年度計畫與預算。"},
            {"title": "業務負責人", "fixed": 1, "count": 1, "tasks": "督導服務品質、人員管理、與長照中心及 A 單位聯繫；具居服督導資格，兼任督導。"},
            {"title": "居服督導", "fixed": 2, "count": 1, "tasks": "個案評估、擬定服務計畫、電訪家訪、照服員督導與排班。"},
            {"title": "照服員", "fixed": 3, "count": 6, "tasks": "依服務計畫提供身體照顧、日常生活照顧及家事服務，填寫服務紀錄。"},
            {"title": "行政人員", "fixed": 4, "count": 1, "tasks": "申報核銷、文書、人事與總務。"}]},
        "staffing": {"conditions": "照服員應具照顧服務員訓練結業證明書或單一級技術士證；居服督導應具社工、護理或照服員相關資格並有實務經驗。\n"
                     "福利：依勞動基準法投保勞健保、提撥勞退，另提供交通補助、年度健康檢查及績效獎金。",
                     "documents": "工作人員之身分證明文件、個人資料使用同意書及證照影本均附於「八、附件(三)」。",
                     "roster": roster},
        "resources": {"contracted_units": 4, "body": "本縣目前居家服務特約單位 4 家，集中於示範市及南山鄉；北濱鄉、中興鄉尚無在地居服單位。\n" + _PARA},
        "demand": {"source": "示範縣衛生局人口資料（示範數字）", "population": [
            {"area_id": a, **dict(zip(("age_65_plus", "age_50_64", "disabled_male_50_64", "disabled_female_50_64",
                                        "disabled_male_under_50", "disabled_female_under_50", "indigenous_55_64"),
                                       (2_870, 4_010, 121, 104, 150, 131, 6)))} for a in areas],
                   "body": "依推估結果，服務區域內長照需求人數逾千人，現有服務量能不足，本機構設立可補足供給缺口。"},
        "category": {},
        "business": {"other": ""},
        "areas": {"area_ids": areas, "body": ""},
        "items": {"codes": ["BA01", "BA02", "BA07", "BA11", "BA13", "BA14", "BA15", "BA20"], "body": ""},
        "flow": {"stages": ["開案", "收案", "提供服務", "轉介", "服務異常", "暫停服務", "結案"],
                 "body": "接獲照會後 2 日內聯繫案家，5 個工作天內完成家訪評估並擬定服務計畫，媒合照服員提供服務；服務異常即通報居服督導處理。"},
        **quality,
        "fee_items": {"fees": [{"item": "居家照顧服務（BA 碼）", "unit": "依組合", "price": 0, "kind": "subsidised"},
                               {"item": "自費居家服務", "unit": "小時", "price": 400, "kind": "self_pay"}]},
        "fee_standard": {"body": "長照給付項目依衛生福利部給付及支付基準收取部分負擔；自費服務每小時新臺幣 400 元，夜間及例假日加收 20%。"},
        "fee_process": {"body": "每月 5 日前寄送前月費用明細，案家以轉帳或臨櫃繳費，機構開立收據。"},
        "contract": {"body": "依衛生福利部公告之定型化契約範本及應記載不得記載事項擬定，經本縣主管機關同意後使用。"},
        "capital": {"capital": 2_000_000, "body": "資本額新臺幣 200 萬元，由申請人自有資金支應，足以支應籌備期及營運初期之資金需求。"},
        "budget": {"budget": budget, "body": "人事費占經費需求約八成；設備費以辦公設備及照服員防護輔具為主。"},
        "funding": {"funding": [{"source": "申請人自有資金", "kind": "self", "amount": 2_000_000, "use": "籌備期及第一年"},
                                {"source": "服務收入", "kind": "self", "amount": 6_000_000, "use": "第一、二年營運"},
                                {"source": "社區發展協會贊助", "kind": "sponsor", "amount": 300_000, "use": "輔具及訓練"}],
                    "body": "經費以自籌為主，不足部分以服務收入支應。"},
        "projection": {"start_on": "2026-03-01", "projection": projection, "body": ""},
        "att_registration": {}, "att_floor_plan": {}, "att_staff_documents": {},
        "att_lease": {"lease_start": "2025-10-01", "lease_end": "2028-09-30"}, "att_g2": {}, "att_other": {},
    }


def demo_image(text: str, size=(900, 600)) -> bytes:
    """A PNG placeholder marked as demo (the real plan carries scans)."""
    from flask import current_app
    from PIL import Image, ImageDraw, ImageFont
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    font = None
    for path in current_app.config.get("PDF_KAI_FONTS", []):
        try:
            font = ImageFont.truetype(path, 40)
            break
        except OSError:
            continue
    draw.rectangle([10, 10, size[0] - 10, size[1] - 10], outline="black", width=4)
    draw.text((40, size[1] // 2 - 60), text, fill="black", font=font)
    draw.text((40, size[1] // 2 + 10), "（示範資料）", fill="gray", font=font)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def fill_plan(user, plan, content: dict, *, uploads=True, skip=()):
    for key, data in content.items():
        if key in skip:
            continue
        ops.save_section(user, plan, key, data, seen_version=None)
    if not uploads:
        return
    # no 組織架構圖 upload: the plan prints the chart drawn from the staff tables (orgchart.py)
    slots = [("id_front", "身分證影本(正面)"), ("id_back", "身分證影本(反面)"),
             ("flow_chart", "服務流程圖"), ("contract_draft", "服務契約草案"), ("att_registration", "預查證明文件"),
             ("att_floor_plan", "平面圖"), ("att_lease", "房屋租賃契約書"), ("att_g2", "建築物使用執照 G-2")]
    for slot, text in slots:
        if slot in skip:
            continue
        ops.add_attachment(user, plan, slot, f"{text}.png", demo_image(text), images_only=False, many=True)
    for row in content["staffing"]["roster"]:
        ops.add_attachment(user, plan, "att_staff_documents", f"{row['name']}身分證.png",
                           demo_image(f"{row['name']} 身分證影本"), note=row["name"])


def seed(ctx):
    from portal.settings.operations import county_profile
    county = county_profile().county_name
    officer = ctx.users["officer"]
    for code, values in DEMO_POPULATION.items():
        area = ctx.areas[code]
        ops.save_population(officer, area, dict(zip(
            ("age_65_plus", "age_50_64", "disabled_male_50_64", "disabled_female_50_64", "disabled_male_under_50",
             "disabled_female_under_50", "indigenous_55_64"), values)) | {
            "as_of": date(2025, 6, 30), "source": "示範縣戶政及社政統計（示範數字）", "is_demo": True})
    # p1: submitted, returned with comments, now being revised (nearly complete)
    applicant = ctx.users["applicant"]
    plan = ops.create_plan(applicant, ctx.orgs["p1"])
    content = plan_content([ctx.areas["D05"].id, ctx.areas["D06"].id], county)
    fill_plan(applicant, plan, content)
    db.session.flush()
    from portal.establishment.checks import all_problems, plan_facts
    names = {str(a.id): a.name for a in ctx.areas.values()}

    def facts(p):
        return plan_facts(p, names)
    ops.submit_plan(applicant, plan, all_problems(facts(plan)))
    ops.receive_plan(officer, plan, "設立-114-0007", ctx.today - timedelta(days=20))
    ops.add_comment(officer, plan, "duties", "照服員 6 人與名冊所列 4 人不一致，請補正名冊或修正人數。")
    ops.add_comment(officer, plan, "q_p2", "電訪、家訪頻率請依風險指標分級說明，並附家訪紀錄表。")
    ops.add_comment(officer, plan, "att_floor_plan", "平面圖請標示個案資料存放櫃位置及獨立出入口。")
    ops.review_contract(officer, plan, "revise", attachment_id=plan.contract_draft().id, seen_review_id=0,
                        note="第 8 條終止契約條款未依定型化契約應記載事項載明服務使用者得隨時終止契約，請修正。")
    ops.return_plan(officer, plan, "請依各節審查意見修正後再送件。")
    # revisions under way: the roster gets two more carers; the floor plan is still to be replaced
    staffing = dict(plan.section_data("staffing"))
    staffing["roster"] = staffing["roster"] + [
        {"role": "照服員", "name": "李春梅", "national_id": "K223456785", "birth_date": "1981-02-14", "sex": "F",
         "licence_no": "照服員結業證明 第 20005 號", "pay_type": "hourly", "pay": 220, "remark": "新進"}]
    ops.save_section(applicant, plan, "staffing", staffing, seen_version=None)
    # p2: a second applicant, plan received and under review
    org = Organisation(kind=roles.APPLICANT_ORG, name="示範縣安家居家長照機構（籌設中）", short_name="安家籌備處",
                       base_area=ctx.areas["D03"], phone="(08)765-5500")
    db.session.add(org)
    db.session.flush()
    user2 = User(username="applicant2", full_name="許雅雯", job_title="設立申請人", role=roles.APPLICANT,
                 organisation_id=org.id, email="applicant2@demo.invalid")
    from flask import current_app
    user2.set_password(current_app.config["DEMO_PASSWORD"])
    db.session.add(user2)
    db.session.flush()
    ctx.users["applicant2"] = user2
    plan2 = ops.create_plan(user2, org)
    content2 = plan_content([ctx.areas["D03"].id], county, name_distinctive="安家", head="許雅雯")
    content2["cover"]["contact_person"] = "許雅雯"
    fill_plan(user2, plan2, content2)
    db.session.flush()
    ops.submit_plan(user2, plan2, all_problems(facts(plan2)))
    ops.receive_plan(officer, plan2, "設立-114-0011", ctx.today - timedelta(days=3))
