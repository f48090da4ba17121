"""The sheets a new deployment starts with (decisions Q06).

A-unit sheet: the seed fixes 13 items and the pass mark (fewer than 8 passing = 不合格) but not the
items themselves (附件二 is missing), so the 13 items below are placeholders, marked as such on every
screen and PDF, for the bureau to replace with the county's published sheet.
Family-care sheet: items restate seed 003's own rules for family-care units (family-care.md §8.2,
§12); the pass mark is an [interpretation] the bureau may change.
"""
from datetime import date

from portal.audits.models import AuditTemplate
from portal.audits.operations import add_section, create_template, publish, save_item
from portal.extensions import db

# (section, [(title, criterion, evidence)])
A_UNIT_ITEMS = [
    ("一、行政管理", [
        ("個案管理人員資格與異動報備", "個案管理人員均具資格並完成培訓；新增、註銷於異動 3 個工作日前函報衛生局。", "人員名冊、資格證明、報備公文"),
        ("個案管理人力與案量", "個管師案量以 1:150 為基礎，超過時已啟動協調機制。", "個管師案量統計表"),
        ("CMS 系統個人帳號使用", "每位個管師以本人帳號登入，無借用他人帳號情形。", "系統帳號清冊、登入紀錄"),
        ("跨專業團隊合作與溝通機制", "定期召開團隊會議並有紀錄。", "會議紀錄"),
    ]),
    ("二、個案管理", [
        ("照顧計畫擬定與核定", "照顧計畫依個案需求擬定並經照管中心核定。", "照顧計畫、核定紀錄"),
        ("首次服務時效", "照顧計畫核定後 7 個工作日內完成首次服務。", "派案及服務紀錄"),
        ("定期電訪", "依規定頻率完成電話訪視並確實記錄。", "電訪紀錄"),
        ("定期家訪", "每 6 個月至少家訪一次並確實記錄。", "家訪紀錄"),
        ("照顧計畫異動", "接獲服務單位異動通知後 3 日內調整照顧計畫。", "異動通知與計畫修正紀錄"),
        ("暫停與結案通報", "個案暫停服務或結案時依規定通報並追蹤。", "通報紀錄"),
    ]),
    ("三、服務品質", [
        ("B單位派案與追蹤", "依派案原則派案並追蹤服務提供情形。", "派案紀錄"),
        ("服務紀錄確實性", "服務紀錄與實際服務相符，無登打不實。", "服務紀錄抽查"),
        ("申訴與陳情處理", "建立申訴處理流程並於期限內回覆。", "申訴處理紀錄"),
    ]),
]

FAMILY_CARE_ITEMS = [
    ("一、服務契約與收托", [
        ("與個案簽訂書面服務契約", "每位個案均有書面服務契約。", "服務契約書", False),
        ("首次服務身分核對", "首次服務時核對個案身分並留存紀錄。", "身分核對紀錄", False),
        ("收托人數與時數", "每日收托（含失能家屬）不超過 4 人，每日服務不超過 12 小時。", "服務紀錄、收托時間備查公文", False),
        ("收托前健康檢查", "新收個案已於收托前完成健康檢查。", "健康檢查報告", True),
    ]),
    ("二、人員", [
        ("家托員及替代照顧者資格", "家托員、替代照顧者具資格並已報備。", "資格證明、報備公文", False),
        ("年度健康檢查", "家托員及替代照顧者每年完成健康檢查。", "健康檢查報告", False),
        ("CPR／BLS 證照效期", "家托員及替代照顧者之 CPR／CPCR／BLS 證照均在效期內。", "證照影本", False),
    ]),
    ("三、紀錄與安全", [
        ("每日服務紀錄", "每日服務紀錄當日完成，內容與申報相符。", "服務紀錄", False),
        ("居家環境與消防安全", "環境整潔、通道暢通，滅火器及偵煙器功能正常。", "現場查看", False),
        ("緊急應變與疏散演練", "訂有緊急應變計畫，每年至少一次疏散演練。", "演練紀錄", False),
        ("收費標準備查與收據", "收費標準已報備，向個案收費均開立收據。", "收費標準備查公文、收據存根", False),
    ]),
    ("四、服務品質", [
        ("申訴處理", "提供申訴管道並有處理紀錄。", "申訴紀錄", True),
        ("年度滿意度調查", "每年至少辦理一次滿意度調查。", "滿意度調查結果", False),
        ("暫停服務滿30日追蹤函報", "個案暫停服務滿 30 日時已追蹤並函報衛生局。", "追蹤函報公文", True),
    ]),
]


def create_default_templates(actor, *, effective_from: date) -> list[AuditTemplate]:
    """Create and publish the A-unit and family-care sheets if they do not exist yet."""
    created = []
    existing = set(db.session.execute(db.select(AuditTemplate.code)).scalars())
    if "a_unit" not in existing:
        template = create_template(actor, code="a_unit", title="社區整合型服務中心(A單位)查核評分表",
                                   target_kind="a_unit", auditor_title="評鑑委員", pass_mark=8, required_items=13,
                                   label=f"{effective_from.year - 1911}年{effective_from.month}月版（示範題目）")
        version = template.versions[0]
        version.notes = "本版 13 題為示範題目，請依本縣公告之查核評分表（附件二）修改後發布新版本。"
        for section_title, items in A_UNIT_ITEMS:
            section = add_section(actor, version, section_title)
            for title, criterion, evidence in items:
                save_item(actor, version, None, {"section_id": section.id, "title": title, "criterion": criterion,
                                                 "evidence_hint": evidence, "scoring": "pass_fail",
                                                 "allow_na": False, "placeholder": True})
        version.effective_from = effective_from
        publish(actor, version, seen_version=version.version)
        created.append(template)
    if "family_care" not in existing:
        template = create_template(actor, code="family_care", title="家庭托顧服務品質查核表",
                                   target_kind="b_unit", target_subtype="family_care", auditor_title="查核委員",
                                   pass_mark=11, label=f"{effective_from.year - 1911}年{effective_from.month}月版")
        version = template.versions[0]
        version.notes = "題目依家庭托顧服務實施計畫第十、十四點訂定；合格題數 11 題為預設值，衛生局可調整。"
        for section_title, items in FAMILY_CARE_ITEMS:
            section = add_section(actor, version, section_title)
            for title, criterion, evidence, allow_na in items:
                save_item(actor, version, None, {"section_id": section.id, "title": title, "criterion": criterion,
                                                 "evidence_hint": evidence, "scoring": "pass_fail",
                                                 "allow_na": allow_na, "placeholder": False})
        version.effective_from = effective_from
        publish(actor, version, seen_version=version.version)
        created.append(template)
    return created
