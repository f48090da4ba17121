"""Demo audits: the default sheets, two past rounds with results (西區A單位 failed both: at risk),
and a round under way with today's audit assigned to the demo `auditor`, so scoring can be tried."""
from datetime import datetime, timedelta

from portal import clock
from portal.audits import operations as ops
from portal.audits.defaults import create_default_templates
from portal.auth import roles
from portal.auth.models import User
from portal.demo import demo_seeder
from portal.extensions import db

# Items (by 項次) marked 不合格 in each past audit; everything else 合格 (family care: item 14 不適用).
PAST_FAILS = {
    ("a1", 0): [2, 9], ("a2", 0): [1, 3, 6, 7, 8, 11, 12], ("b1", 0): [10], ("b2", 0): [6, 11],
    ("a1", 1): [9], ("a2", 1): [3, 6, 7, 8, 12, 13], ("b1", 1): [], ("b2", 1): [11],
}
FAIL_NOTES = {
    1: "兩名個管師異動未於 3 個工作日前報備。", 3: "查有共用帳號登入紀錄。", 6: "抽查 10 案中 3 案首次服務逾 7 個工作日。",
    7: "電訪紀錄缺漏。", 8: "2 案家訪逾 6 個月。", 9: "異動後計畫修正逾 3 日。", 11: "派案紀錄未記載派案理由。",
    12: "服務紀錄與申報不符 1 案。", 13: "申訴案件未於期限內回覆。", 2: "個管師平均案量 162 案，未啟動協調機制。",
    10: "疏散演練紀錄缺少參與人員簽名。", 14: "",
}


def _second_auditor(ctx):
    user = db.session.execute(db.select(User).filter_by(username="auditor2")).scalar_one_or_none()
    if user is None:
        first = ctx.users["auditor"]
        user = User(username="auditor2", full_name="王美玲", job_title="查核委員", role=roles.AUDITOR,
                    organisation=first.organisation, email="auditor2@demo.invalid", password_hash=first.password_hash)
        db.session.add(user)
        db.session.flush()
        ctx.users["auditor2"] = user
    return user


def _score(audit, lead, other, fails):
    for item in audit.template_version.items:
        scorer = lead if item.number % 2 else other
        if item.allow_na and item.number == 14:
            ops.answer_item(scorer, audit, item, outcome="na")
        elif item.number in fails:
            ops.answer_item(scorer, audit, item, outcome="fail", note=FAIL_NOTES.get(item.number) or "未符合查核標準。")
        else:
            ops.answer_item(scorer, audit, item, outcome="pass")


@demo_seeder(order=45)
def seed_audits(ctx):
    officer = ctx.users["officer"]
    lead, other = ctx.users["auditor"], _second_auditor(ctx)
    today = ctx.today
    create_default_templates(officer, effective_from=today.replace(year=today.year - 1, month=1, day=1))
    roc = today.year - 1911
    for n, offset in enumerate((130, 70)):
        start = today - timedelta(days=offset)
        round_ = ops.create_round(officer, title=f"{roc}年第{n + 1}次查核（示範）", starts_on=start,
                                  ends_on=start + timedelta(days=20), notes="示範資料")
        for day, key in enumerate(("a1", "a2", "b1", "b2")):
            on = start + timedelta(days=2 + day * 3)
            with clock.freeze(datetime(on.year, on.month, on.day, 10, 0)):
                audit = ops.schedule_audit(officer, ctx.orgs[key], scheduled_on=on, lead=lead, others=[other],
                                           round_=round_)
                _score(audit, lead, other, PAST_FAILS[(key, n)])
                ops.finalise(lead, audit, summary_note="示範資料：查核結果如評分表。",
                             unit_representative=ctx.orgs[key].head_name or "單位主管")
    # 西區A單位 files a correction for one failed item of its latest audit; the bureau has it to review.
    latest_a2 = round_.audits[1]
    failed_item = next(a.item for a in latest_a2.answers if a.result == "fail")
    ops.file_correction(ctx.users["a2head"], latest_a2, failed_item,
                        "已召開個管師會議重申首次服務時效，並建立每週逾期清單追蹤。（示範資料）")
    current = ops.create_round(officer, title=f"{roc}年第3次查核（示範）", starts_on=today - timedelta(days=1),
                               ends_on=today + timedelta(days=21), notes="示範資料：今日的東區A單位查核可由 auditor 帳號評分。")
    ops.schedule_audit(officer, ctx.orgs["a1"], scheduled_on=today, lead=lead, others=[other], round_=current)
    ops.schedule_audit(officer, ctx.orgs["a2"], scheduled_on=today + timedelta(days=7), lead=lead, others=[other],
                       round_=current)
    ops.schedule_audit(officer, ctx.orgs["b1"], scheduled_on=today + timedelta(days=10), lead=other, others=[lead],
                       round_=current)
