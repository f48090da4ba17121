"""The billing cover letter (請款函: seed 003 §十二, decisions Q14) and the clients' monthly receipts
(收據 stating the items charged: seed 003 §十四(六)2, co-payment floored per §十二(三), over-quota and
unsubsidised services self-paid per §九(一)5–6)."""
import re
import subprocess
from datetime import date, datetime

from portal import clock
from portal.auth import roles
from portal.billing import documents
from portal.extensions import db
from portal.settings.operations import change_setting
from tests.billing.conftest import admit, record, weekdays
from tests.billing.test_declarations import MARCH, _pdf_text, _prices, _submit, _we22_month


def _flat(text):
    return re.sub(r"\s+", "", text).replace("　", "")


def _pages(tmp_path, data):
    path = tmp_path / "pages.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def test_letter_goes_with_the_receipt_and_summary(client, world, home, login, app_ctx, tmp_path):
    change_setting(world.users[roles.ADMIN], "billing.bath_dinner_row", "b_community")   # WE-22's settings
    change_setting(world.users[roles.ADMIN], "billing.copayment_granularity", "per_unit")
    db.session.commit()
    _we22_month(world, home)
    declaration = _submit(client, login, world, home)
    with clock.freeze(datetime(2025, 4, 3, 11)):
        draft = _flat(_pdf_text(tmp_path, client.get(f"/billing/declarations/{declaration.id}/letter.pdf").data,
                                "l0.pdf"))
        assert "草稿" in draft and "發文日期：中華民國年月日" in draft          # not requested yet: no date
        assert "請款函 PDF" in client.get(f"/billing/declarations/{declaration.id}").get_data(as_text=True)
    with clock.freeze(datetime(2025, 4, 8, 9)):
        client.post(f"/billing/declarations/{declaration.id}/request",
                    data={"version": declaration.version, "receipt_date": "114/4/8"})
        letter = _flat(_pdf_text(tmp_path, client.get(f"/billing/declarations/{declaration.id}/letter.pdf").data,
                                 "l1.pdf"))
    for text in (f"{home.name}函", "受文者：示範縣衛生局", "發文日期：中華民國114年4月8日",
                 "主旨：檢送本單位114年3月家庭托顧服務費用領款收據及長照服務提供者服務費用申報總表",
                 "本次費用月份11403", "申報費用（含部分負擔費用）76,130元", "僅部分負擔費用5,398元",
                 "合計新台幣柒萬零柒佰參拾貳元整（NT$70,732）", "領款收據（附件1）", "申報總表（附件2）一式二份",
                 "服務費用項目清冊", "（機構印信）", "（負責人章）"):
        assert text in letter, text
    assert "草稿" not in letter
    # a unit that does not own the declaration gets 404; the guidance unit of another home too
    login(world.users[roles.GUIDANCE_STAFF])
    assert client.get(f"/billing/declarations/{declaration.id}/letter.pdf").status_code == 404


def test_letter_names_the_earlier_return(client, world, home, login, app_ctx, tmp_path):
    _prices(world)
    a = admit(world, welfare_status="general", cms_level=6)
    for day in weekdays(MARCH, 5):
        record(world, a, day)
    declaration = _submit(client, login, world, home)
    with clock.freeze(datetime(2025, 4, 4, 9)):
        client.post(f"/billing/declarations/{declaration.id}/request",
                    data={"version": declaration.version, "receipt_date": "114/4/4"})
    login(world.users[roles.BUREAU_OFFICER])
    with clock.freeze(datetime(2025, 4, 7, 9)):
        client.post(f"/billing/declarations/{declaration.id}/return",
                    data={"version": declaration.version, "reason": "收據日期有誤"})
    login(world.users[roles.B_HEAD])
    with clock.freeze(datetime(2025, 4, 9, 9)):
        client.post(f"/billing/declarations/{declaration.id}/request",
                    data={"version": declaration.version, "receipt_date": "114/4/9"})
        letter = _flat(_pdf_text(tmp_path, client.get(f"/billing/declarations/{declaration.id}/letter.pdf").data,
                                 "l2.pdf"))
    assert "第1版於114年4月7日退回：收據日期有誤" in letter and "（第2版）" in letter, letter


def test_receipts_one_page_per_client_adding_up_to_the_declaration(client, world, home, login, app_ctx, tmp_path):
    """Each client's receipt: the co-payments and what is self-paid; all receipts' subsidies add up to
    the declaration's 合計, their co-payments to what the declaration deducts (care and extras)."""
    _prices(world)
    a = admit(world, welfare_status="general", cms_level=6)                       # 16 %
    b = admit(world, welfare_status="mid_low", cms_level=5, monthly_quota=5000)   # over the quota: self-paid
    mother = admit(world, welfare_status="general", cms_level=6, carer_relation="parent")   # not subsidised
    for i, day in enumerate(weekdays(MARCH, 10)):
        record(world, a, day, bath=i < 3, dinner=True)
        record(world, b, day, dinner=i < 2)
        if i < 2:
            record(world, mother, day)
    declaration = _submit(client, login, world, home)
    receipts = {r.client.id: r for r in documents.client_receipts(home, MARCH, today=date(2025, 4, 3))}
    assert set(receipts) == {a.client_id, b.client_id, mother.client_id}
    ra, rb, rm = receipts[a.client_id], receipts[b.client_id], receipts[mother.client_id]
    # A: 10 × 1,130 at 16 % floored per month → 1,808; baths 3 × 200 → 96; dinners 10 × 150 → 240
    assert (ra.amount, ra.copay, ra.self_pay) == (11300 + 600 + 1500, 1808 + 96 + 240, 0)
    # B: 10 × 1,045 against a 5,000 quota: 5,000 declared (co-payment 5 % = 250), 5,450 self-paid
    day_lines = [l for l in rb.lines if l.item == "full_day"]
    assert sum(l.self_pay for l in day_lines) == 5450 and sum(l.copay for l in day_lines) == 250
    assert any("額度" in l.note for l in day_lines)
    # the carer's mother: everything self-paid, with the reason
    assert rm.subsidy == 0 and rm.self_pay == rm.amount == 2 * 1130 and "家托員親屬" in rm.lines[0].note
    t = declaration.totals
    assert sum(r.subsidy for r in receipts.values()) == t["total"]
    assert sum(r.copay for r in receipts.values()) == t["copay"] + sum(
        l.copay for r in receipts.values() for l in r.lines if l.item in ("bath", "dinner"))
    login(world.users[roles.B_HEAD])
    with clock.freeze(datetime(2025, 4, 3, 11)):
        response = client.get(f"/billing/homes/{home.id}/receipts/2025-03.pdf")
        one = client.get(f"/billing/admissions/{a.id}/receipts/2025-03.pdf")
        page = client.get(f"/billing/admissions/{a.id}").get_data(as_text=True)
    assert response.status_code == 200 and _pages(tmp_path, response.data) == 3
    text = _flat(_pdf_text(tmp_path, response.data, "rc.pdf"))
    for piece in ("家庭托顧服務收據", a.client.name, "114年3月", "部分負擔比率16%", "實收新台幣貳仟壹佰肆拾肆元整",
                  "超過核定長照服務額度部分自付", "家托員親屬", "（單位印章）", "12345678"):
        assert piece in text, piece
    assert "草稿" not in text
    one_text = _flat(_pdf_text(tmp_path, one.data, "r1.pdf"))
    assert a.client.name in one_text and b.client.name not in one_text
    assert f"/billing/admissions/{a.id}/receipts/2025-03.pdf" in page


def test_receipts_of_a_month_in_progress_are_drafts(client, world, home, login, app_ctx, tmp_path):
    _prices(world)
    a = admit(world, welfare_status="low", cms_level=6)
    record(world, a, date(2025, 3, 3))
    login(world.users[roles.B_HEAD])
    with clock.freeze(datetime(2025, 3, 20, 9)):
        text = _flat(_pdf_text(tmp_path, client.get(f"/billing/homes/{home.id}/receipts/2025-03.pdf").data, "d.pdf"))
        empty = _flat(_pdf_text(tmp_path, client.get(f"/billing/homes/{home.id}/receipts/2025-02.pdf").data, "e.pdf"))
    assert "草稿" in text and "實收新台幣零元整" in text          # 長照低收入戶: 0 % co-payment
    assert "沒有出席紀錄" in empty


def test_staff_change_and_opening_hours_letters(client, world, home, login, app_ctx, tmp_path):
    """The letters behind two filings the seed requires without a form (forms-and-pdfs.md §8)."""
    from portal.billing import operations as ops
    from portal.billing.models import OpeningHoursFiling
    head = world.users[roles.B_HEAD]
    with clock.freeze(datetime(2025, 2, 3, 9)):
        carer = ops.save_carer(head, home.id, None, {"name": "黃阿嬌", "role": "substitute",
                                                     "registration_no": "LTC-9"})
        change = ops.submit_staff_change(head, home.id, kind="replace", person_out=carer, person_in_name="張美玲",
                                         person_in_role="substitute", effective_on=date(2025, 3, 10),
                                         reason="黃阿嬌因家庭因素離職")
    db.session.commit()
    filing = db.session.execute(db.select(OpeningHoursFiling).filter_by(organisation_id=home.id)).scalar_one()
    login(head)
    assert "列印人事異動函" in client.get(f"/billing/staff-changes/{change.id}").get_data(as_text=True)
    assert "報備函 PDF" in client.get(f"/billing/homes/{home.id}/opening-hours").get_data(as_text=True)
    staff = _flat(_pdf_text(tmp_path, client.get(f"/billing/staff-changes/{change.id}/letter.pdf").data, "s.pdf"))
    for text in (f"{home.name}函", "發文日期：中華民國114年2月3日", "主旨：本單位擬自114年3月10日起辦理家庭托顧人員異動（人員更替）",
                 "事實發生前三十日", "黃阿嬌（替代照顧者，長照人員登錄LTC-9）", "張美玲（替代照顧者）",
                 "異動原因：黃阿嬌因家庭因素離職", "CPR／CPCR／BLS", "（機構印信）"):
        assert text in staff, text
    hours = _flat(_pdf_text(tmp_path, client.get(f"/billing/opening-hours/{filing.id}/letter.pdf").data, "h.pdf"))
    for text in ("檢送本單位自113年12月1日起之收托時間，請備查", "週一、二、三、四、五", "08:00～18:00", "10小時",
                 "衛生局已備查"):
        assert text in hours, text
    login(world.users[roles.GUIDANCE_STAFF])      # not guiding this home
    assert client.get(f"/billing/staff-changes/{change.id}/letter.pdf").status_code == 404
    assert client.get(f"/billing/opening-hours/{filing.id}/letter.pdf").status_code == 404


def test_a_client_without_a_priced_level_never_breaks_the_month(client, world, home, login, app_ctx, tmp_path):
    """Admitted 「尚未評估」 (no CMS level: not subsidised, decisions Q18) and served: the month is
    declared without that client, whose receipt shows the days as self-paid at the home's own fees;
    nothing fails (a real gap in the bureau's rate table answers 409 with the missing rate named)."""
    _prices(world)
    paid = admit(world, welfare_status="general", cms_level=6)
    unassessed = admit(world, cms_level=None)
    for day in weekdays(MARCH, 3):
        record(world, paid, day)
        record(world, unassessed, day, bath=True)
    login(world.users[roles.B_HEAD])
    with clock.freeze(datetime(2025, 4, 2, 9)):
        page = client.get(f"/billing/homes/{home.id}/declarations/2025-03")
        receipts = client.get(f"/billing/homes/{home.id}/receipts/2025-03.pdf")
    assert page.status_code == 200 and receipts.status_code == 200
    declaration = _submit(client, login, world, home)
    assert declaration.totals["declared"] == 3 * 1130
    mine = next(r for r in documents.client_receipts(home, MARCH, today=date(2025, 4, 3))
                if r.client.id == unassessed.client_id)
    assert mine.subsidy == 0 and mine.self_pay == 3 * 200                      # baths at 200, self-paid
    assert any("依單位收費標準自費" in l.label and l.units == 3 for l in mine.lines)


def test_a_gap_in_the_rate_table_is_named_not_a_500(client, world, home, login, app_ctx, monkeypatch):
    from portal.billing import pricing
    a = admit(world, welfare_status="general", cms_level=6)
    record(world, a, date(2025, 3, 3))

    def gap(self, item, cms_level, day):
        raise pricing.MissingRate(f"{day:%Y-%m-%d} 無「{item}」（第{cms_level}級）之價格，請於費率表補登。")
    monkeypatch.setattr(pricing.RateBook, "price", gap)
    login(world.users[roles.B_HEAD])
    with clock.freeze(datetime(2025, 4, 2, 9)):
        page = client.get(f"/billing/homes/{home.id}/declarations/2025-03")
        fragment = client.get(f"/billing/homes/{home.id}/receipts/2025-03.pdf", headers={"HX-Request": "true"})
    assert page.status_code == 409 and "2025-03-03 無「full_day」（第6級）之價格" in page.get_data(as_text=True)
    assert fragment.status_code == 409 and "無法計價" in fragment.get_data(as_text=True)
