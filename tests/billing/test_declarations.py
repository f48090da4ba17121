"""Amounts, subsidy changes and the monthly declaration workflow (family-care.md §6, §7, §10; WE-21, WE-22)."""
import io
import os
import re
import subprocess
import zipfile
from collections import defaultdict
from datetime import date, datetime, time
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path

import pytest

from portal import clock
from portal.auth import roles
from portal.billing import operations as ops
from portal.billing import queries
from portal.billing.models import Declaration, DeclarationLine, ServiceDay
from portal.errors import Refused, TransitionNotAllowed
from portal.extensions import db
from portal.settings.operations import change_setting
from tests.billing.conftest import admit, record, weekdays

MARCH = date(2025, 3, 1)
APRIL_3 = datetime(2025, 4, 3, 10)


def _prices(world):
    officer = world.users[roles.BUREAU_OFFICER]
    for code, level, price in (("BC11", 6, 1130), ("BC09", 5, 1045), ("BC13", 7, 1210)):
        ops.add_price(officer, code=code, item="full_day", cms_level=level, label=f"家庭托顧(全日)-第{level}級",
                      price=price, effective_from=date(2025, 1, 1), source="測試價格（WE-22 made-up）")
    db.session.commit()


def _we22_month(world, home):
    """WE-22: A 一般戶 20 days, 8 baths, 20 dinners; B 中低 18 days, 18 dinners; C 低收 22 days, 4 baths."""
    _prices(world)
    filing = ops.opening_hours_on(home.id, MARCH)
    filing.weekdays = "012345"  # C comes 22 days: Saturdays filed, the weekly limit set to warn only
    change_setting(world.users[roles.ADMIN], "billing.refuse_over_week", False)
    a = admit(world, welfare_status="general", cms_level=6)
    b = admit(world, welfare_status="mid_low", cms_level=5)
    c = admit(world, welfare_status="low", cms_level=7)
    days = [d for d in weekdays(MARCH)] + [date(2025, 3, 8)]          # 21 weekdays + a Saturday
    for i, d in enumerate(days[:20]):
        record(world, a, d, bath=i < 8, dinner=True)
    for d in days[:18]:
        record(world, b, d, dinner=True)
    for i, d in enumerate(days[:22]):
        record(world, c, d, bath=i < 4)
    return a, b, c


def _submit(client, login, world, home, month=MARCH, when=APRIL_3):
    login(world.users[roles.B_HEAD])
    with clock.freeze(when):
        response = client.post(f"/billing/homes/{home.id}/declarations/{month:%Y-%m}")
    assert response.status_code == 303, response.get_data(as_text=True)[-2000:]
    return db.session.execute(db.select(Declaration).filter_by(organisation_id=home.id,
                                                               service_month=month)).scalar_one()


def test_we22_declaration_with_the_examples_settings(client, world, home, login, app_ctx):
    admin = world.users[roles.ADMIN]
    change_setting(admin, "billing.copayment_granularity", "per_unit")
    change_setting(admin, "billing.bath_dinner_row", "b_community")
    db.session.commit()
    _we22_month(world, home)
    declaration = _submit(client, login, world, home)
    t = declaration.totals
    assert t["rows"]["b_family_care"] == 68030 and t["rows"]["b_community"] == 8100
    assert (t["declared"], t["copay"], t["claim"], t["non_care_subtotal"], t["total"]) == \
        (76130, 5398, 70732, 0, 70732)
    assert declaration.versions[0].months[0]["total"] == 70732
    assert not declaration.late_declaration


def _independent_totals(home, month, prices, ratios, quota_of=lambda client_id: None):
    """Recompute the month from the raw service-day rows with decisions.md Q11 defaults: per client, code
    and month, sum price × units, apply the ratio, floor; bath/dinner claimed on 縣市政府補助費用."""
    rows = db.session.execute(db.select(ServiceDay).filter_by(organisation_id=home.id, attended=True)).scalars().all()
    rows = [r for r in rows if r.day.year == month.year and r.day.month == month.month]
    sums = defaultdict(int)
    for r in rows:
        status = r.admission.welfare_status
        sums[(r.client_id, "day", status)] += prices[(r.admission.cms_level, r.kind)]
        sums[(r.client_id, "bath", status)] += 200 if r.bath else 0
        sums[(r.client_id, "dinner", status)] += 150 if r.dinner else 0
    family = declared = copay = county = 0
    for (client_id, kind, status), amount in sums.items():
        co = int((Decimal(amount) * Decimal(ratios[status])).to_integral_value(rounding=ROUND_FLOOR))
        if kind == "day":
            family += amount
            declared += amount
            copay += co
        else:
            county += amount - co
    return {"family": family, "declared": declared, "copay": copay, "county": county,
            "total": declared - copay + county}


def test_demo_like_month_recomputed_independently_from_raw_records(client, world, home, login, app_ctx):
    """The declaration's totals equal a recomputation straight from the raw records (issue 5 quality bar)."""
    _prices(world)
    a = admit(world, welfare_status="general", cms_level=6)
    b = admit(world, welfare_status="mid_low", cms_level=5)
    c = admit(world, welfare_status="low", cms_level=7)
    d = admit(world, welfare_status="general", cms_level=6)
    for i, day in enumerate(weekdays(MARCH)):
        record(world, a, day, bath=i % 3 == 0, dinner=i % 2 == 0)
        if i % 4 != 3:
            record(world, b, day, kind="half_day" if i % 5 == 0 else "full_day", end=time(12) if i % 5 == 0 else time(17),
                   dinner=True)
        if i < 15:
            record(world, c, day, bath=True)
        if i % 2 == 0:
            record(world, d, day, dinner=i % 4 == 0)
    declaration = _submit(client, login, world, home)
    # half days use the shipped default prices (external) for BC10 (level 5 half day) — taken from the rate book
    from portal.billing.pricing import RateBook
    half5 = RateBook.load().price("half_day", 5, MARCH).price
    prices = {(6, "full_day"): 1130, (5, "full_day"): 1045, (7, "full_day"): 1210, (5, "half_day"): half5}
    expected = _independent_totals(home, MARCH, prices, {"general": "0.16", "mid_low": "0.05", "low": "0"})
    t = declaration.totals
    assert t["rows"]["b_family_care"] == expected["family"]
    assert t["declared"] == expected["declared"] and t["copay"] == expected["copay"]
    assert t["rows"]["county_subsidy"] == expected["county"] and t["total"] == expected["total"]
    # the stored item list adds up to the summary
    lines = db.session.execute(db.select(DeclarationLine).filter_by(declaration_id=declaration.id)).scalars().all()
    assert sum(l.amount for l in lines if l.row == "b_family_care") == t["declared"]
    assert sum(l.copay for l in lines if l.row == "b_family_care") == t["copay"]
    # and the result-report figures (queries.year_service_days) add up to the same claim
    figures = [f for f in queries.year_service_days(home.id, 2025) if f.day.month == 3]
    assert sum(f.declared_amount - f.copayment for f in figures) == t["total"]
    assert {f.day_fraction for f in figures} == {Decimal(1), Decimal("0.5")}
    assert {f.welfare_status for f in figures} == {"general", "mid_low", "low"}


def test_quota_and_carer_family_not_declared(client, world, home, login, app_ctx):
    _prices(world)
    quota = admit(world, welfare_status="general", cms_level=6, monthly_quota=20000)
    mother = admit(world, welfare_status="general", cms_level=6, carer_relation="parent")
    change_setting(world.users[roles.ADMIN], "billing.copayment_granularity", "per_unit")
    for day in weekdays(MARCH, 20):
        record(world, quota, day)
    for day in weekdays(MARCH, 3):
        record(world, mother, day)
    declaration = _submit(client, login, world, home)
    t = declaration.totals
    assert t["declared"] == 20000 and t["copay"] == 3186 and t["claim"] == 16814   # WE-19
    lines = db.session.execute(db.select(DeclarationLine).filter_by(declaration_id=declaration.id)).scalars().all()
    assert {l.client_id for l in lines} == {quota.client_id}
    assert sum(l.self_pay for l in lines) == 340


def test_workflow_submit_request_approve_pay(client, world, home, login, app_ctx):
    _prices(world)
    a = admit(world, welfare_status="general", cms_level=6)
    for day in weekdays(MARCH, 10):
        record(world, a, day)
    login(world.users[roles.B_STAFF])
    with clock.freeze(APRIL_3):
        assert client.post(f"/billing/homes/{home.id}/declarations/2025-03").status_code == 403
    declaration = _submit(client, login, world, home)
    with clock.freeze(APRIL_3):
        again = client.post(f"/billing/homes/{home.id}/declarations/2025-03")   # double submit
    assert again.status_code == 303
    assert db.session.execute(db.select(Declaration).filter_by(organisation_id=home.id)).scalars().all() == [declaration]
    assert len(declaration.versions) == 1
    # records of a declared month are frozen even before the lock
    with pytest.raises(Refused, match="已申報"):
        record(world, a, date(2025, 3, 31), now=datetime(2025, 4, 3, 11, tzinfo=clock.TAIPEI))
    with clock.freeze(datetime(2025, 4, 8, 9)):
        assert client.post(f"/billing/declarations/{declaration.id}/request",
                           data={"version": declaration.version, "receipt_date": "114/4/8"}).status_code == 303
    db.session.refresh(declaration)
    assert declaration.status == "requested" and declaration.receipt_date == date(2025, 4, 8)
    assert not declaration.late_request
    total = declaration.totals["total"]
    officer, admin = world.users[roles.BUREAU_OFFICER], world.users[roles.ADMIN]
    seen = declaration.version
    login(officer)
    with clock.freeze(datetime(2025, 4, 15, 9)):
        page = client.get(f"/billing/declarations/{declaration.id}").get_data(as_text=True)
        assert f'value="{total}"' in page                                          # 撥付總額 pre-filled with 合計
        refused = client.post(f"/billing/declarations/{declaration.id}/approve",
                              data={"version": seen, "amount": total - 100, "note": ""}, follow_redirects=True)
        assert "請說明原因" in refused.get_data(as_text=True)
        assert client.post(f"/billing/declarations/{declaration.id}/approve",
                           data={"version": seen, "amount": total}).status_code == 303
        login(admin)
        second = client.post(f"/billing/declarations/{declaration.id}/return",
                             data={"version": seen, "reason": "金額有誤"}, follow_redirects=True)
    assert "已由" in second.get_data(as_text=True) and "您的決定未儲存" in second.get_data(as_text=True)
    db.session.refresh(declaration)
    assert declaration.status == "approved" and declaration.approved_amount == total
    login(officer)
    with clock.freeze(datetime(2025, 4, 20, 9)):
        assert client.post(f"/billing/declarations/{declaration.id}/pay",
                           data={"version": declaration.version, "paid_on": "114/4/20"}).status_code == 303
    db.session.refresh(declaration)
    assert declaration.status == "paid" and declaration.paid_on == date(2025, 4, 20)


def test_return_and_resubmit_keeps_history(client, world, home, login, app_ctx):
    _prices(world)
    a = admit(world, welfare_status="general", cms_level=6)
    for day in weekdays(MARCH, 10):
        record(world, a, day)
    declaration = _submit(client, login, world, home)
    officer = world.users[roles.BUREAU_OFFICER]
    with clock.freeze(datetime(2025, 4, 4, 9)):
        ops.return_declaration(officer, declaration, reason="3月20日應為半日，請更正後重送")
    db.session.commit()
    # the unit fixes a record before the lock and sends again: a second version
    record(world, a, weekdays(MARCH, 10)[-1], kind="half_day", end=time(12),
           now=datetime(2025, 4, 5, 9, tzinfo=clock.TAIPEI))
    login(world.users[roles.B_HEAD])
    with clock.freeze(datetime(2025, 4, 5, 10)):
        page = client.get(f"/billing/declarations/{declaration.id}").get_data(as_text=True)
        assert "3月20日應為半日" in page
        assert client.post(f"/billing/declarations/{declaration.id}/request",
                           data={"version": declaration.version, "receipt_date": "114/4/5"}).status_code == 303
    db.session.refresh(declaration)
    assert declaration.status == "requested" and declaration.version_no == 2
    first, second = declaration.versions
    assert first.outcome == "returned" and second.outcome is None
    assert second.totals["declared"] == first.totals["declared"] - 1130 + 510   # full day → BC12 half day (external)
    history = client.get(f"/billing/declarations/{declaration.id}?v=1").get_data(as_text=True)
    assert "第 1 版（歷史版本）" in history


def test_request_needs_receipt_data_and_head(world, home, app_ctx):
    _prices(world)
    a = admit(world, welfare_status="general", cms_level=6)
    record(world, a, date(2025, 3, 3))
    from portal.billing.models import BillingProfile
    db.session.delete(db.session.execute(db.select(BillingProfile)).scalar_one())
    with clock.freeze(APRIL_3):
        declaration = ops.submit_declaration(world.users[roles.B_HEAD], home.id, MARCH)
        with pytest.raises(Refused, match="統一編號"):
            ops.request_payment(world.users[roles.B_HEAD], declaration, receipt_date=date(2025, 4, 3))
        with pytest.raises(TransitionNotAllowed):
            ops.submit_declaration(world.users[roles.B_STAFF], home.id, MARCH)
        with pytest.raises(TransitionNotAllowed):
            ops.approve_declaration(world.users[roles.BUREAU_OFFICER], declaration, amount=1)


def test_month_not_over_and_late_flag(world, home, app_ctx):
    a = admit(world)
    record(world, a, date(2025, 3, 3))
    with clock.freeze(datetime(2025, 3, 31, 20)), pytest.raises(Refused, match="尚未結束"):
        ops.submit_declaration(world.users[roles.B_HEAD], home.id, MARCH)
    with clock.freeze(datetime(2025, 4, 8, 9)):   # due 114-04-07 (5th rolled past the weekend)
        declaration = ops.submit_declaration(world.users[roles.B_HEAD], home.id, MARCH)
    assert declaration.late_declaration


def test_we21_foreign_caregiver_overpayment_recovered_on_next_declaration(client, world, home, login, app_ctx):
    _prices(world)
    change_setting(world.users[roles.ADMIN], "billing.copayment_granularity", "per_unit")
    a = admit(world, welfare_status="general", cms_level=6)
    march_days = [d for d in weekdays(MARCH) if d >= date(2025, 3, 10)]
    assert len(march_days) == 16
    for day in march_days:
        record(world, a, day)
    declaration = _submit(client, login, world, home)
    assert declaration.totals["claim"] == 16 * 950
    with clock.freeze(datetime(2025, 4, 20, 9)):
        change = ops.record_subsidy_change(world.users[roles.B_HEAD], a, field="foreign_caregiver", value=True,
                                           fact_date=date(2025, 3, 10), notified_on=date(2025, 4, 20),
                                           evidence="家屬告知已聘僱外籍看護工")
    db.session.commit()
    assert change.overpaid == 15200 and change.underpaid == 0
    for day in weekdays(date(2025, 4, 1), 3):
        record(world, a, day)
    april = _submit(client, login, world, home, month=date(2025, 4, 1), when=datetime(2025, 5, 2, 9))
    t = april.totals
    assert t["total"] == -15200 and t["declared"] == -18080
    months = {m["month"]: m for m in april.versions[0].months}
    assert months["2025-03-01"]["total"] == -15200 and "2025-04-01" not in months   # April days not subsidised
    lines = db.session.execute(db.select(DeclarationLine).filter_by(declaration_id=april.id)).scalars().all()
    assert all(l.adjustment for l in lines)


def test_welfare_change_mid_month_splits_lines(world, home, app_ctx):
    _prices(world)
    change_setting(world.users[roles.ADMIN], "billing.copayment_granularity", "per_unit")
    a = admit(world, welfare_status="low", cms_level=6)
    with clock.freeze(datetime(2025, 3, 1, 9)):
        ops.record_subsidy_change(world.users[roles.B_HEAD], a, field="welfare_status", value="general",
                                  fact_date=date(2025, 3, 17), notified_on=date(2025, 3, 1), evidence="公所核定函")
    db.session.commit()
    for day in weekdays(MARCH, 15):
        record(world, a, day)
    with clock.freeze(APRIL_3):
        declaration = ops.submit_declaration(world.users[roles.B_HEAD], home.id, MARCH)
    lines = {l.welfare_status: l for l in db.session.execute(
        db.select(DeclarationLine).filter_by(declaration_id=declaration.id)).scalars()}
    assert lines["low"].units == 10 and lines["low"].copay == 0
    assert lines["general"].units == 5 and lines["general"].copay == 5 * 180


# --- documents --------------------------------------------------------------------------------------

def _pdf_text(tmp_path, data, name):
    path = tmp_path / name
    path.write_bytes(data)
    if os.environ.get("BILLING_PDF_DIR"):  # keep copies to look at (pdftoppm -png -r 60)
        (Path(os.environ["BILLING_PDF_DIR"]) / name).write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = [line for line in fonts.splitlines()[2:] if line.strip()]
    assert rows and all(" yes " in row for row in rows), fonts
    return text


def test_documents_match_the_seed_layouts(client, world, home, login, app_ctx, tmp_path):
    admin = world.users[roles.ADMIN]
    change_setting(admin, "billing.copayment_granularity", "per_unit")
    change_setting(admin, "billing.bath_dinner_row", "b_community")
    db.session.commit()
    _we22_month(world, home)
    declaration = _submit(client, login, world, home)
    with clock.freeze(datetime(2025, 4, 8, 9)):
        client.post(f"/billing/declarations/{declaration.id}/request",
                    data={"version": declaration.version, "receipt_date": "114/4/8"})
        summary = _pdf_text(tmp_path, client.get(f"/billing/declarations/{declaration.id}/summary.pdf").data, "s.pdf")
        receipt = _pdf_text(tmp_path, client.get(f"/billing/declarations/{declaration.id}/receipt.pdf").data, "r.pdf")
        items = _pdf_text(tmp_path, client.get(f"/billing/declarations/{declaration.id}/items.pdf").data, "i.pdf")
        xlsx = client.get(f"/billing/declarations/{declaration.id}/declaration.xlsx")
    flat = re.sub(r"\s+", "", summary)
    for label in ("特約長照服務提供者服務費用申報總表", "申報年月", "114年04月", "本次費用月份：11403", "家庭托顧服務", "68,030",
                  "社區式照顧", "8,100", "申報費用(含部分負擔費用)(1)", "76,130", "僅部分負擔費用(2)", "5,398",
                  "申請(補助)費用(1)-(2)", "70,732", "營養餐飲服務(膳費)", "縣市政府補助費用", "其他服務", "撥付總額",
                  "一、使用本表得免另行辦函，請填送一式二份。", "各月份服務費用申報清單", "服務月份：114年03月",
                  "合計(114/03)(1)-(2)+(3)", "小計(3)", "服務提供者地址：", "簽證號："):
        assert label in flat, label
    flat_receipt = re.sub(r"\s+", "", receipt)
    for text in ("領款收據", "附件1", "茲收到「長期照顧十年計畫2.0-照顧服務(家庭托顧服務)」", "柒萬零柒佰參拾貳",
                 "NT$70,732", "實屬無訛", "12345678", "示範銀行甲鄉分行", "(機構方章)", "(負責人章)",
                 "存--簿--封--面--影--本--黏--貼--處", "114年4月8日"):
        assert text in flat_receipt.replace("　", ""), text
    flat_items = re.sub(r"\s+", "", items)
    assert "服務費用項目清冊" in flat_items and "76,130" in flat_items and "5,398" in flat_items
    book = zipfile.ZipFile(io.BytesIO(xlsx.data))
    assert xlsx.mimetype.endswith("spreadsheetml.sheet")
    assert {"xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml", "xl/worksheets/sheet3.xml"} <= set(book.namelist())
    sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<v>70732</v>" in sheet and "家庭托顧服務" in sheet


def test_draft_documents_watermarked_and_client_file(client, world, home, login, app_ctx, tmp_path):
    _prices(world)
    a = admit(world, welfare_status="general", cms_level=6)
    saved = record(world, a, date(2025, 3, 3))
    record(world, a, date(2025, 3, 3), end=time(16))
    login(world.users[roles.B_HEAD])
    with clock.freeze(datetime(2025, 3, 20, 9)):
        text = _pdf_text(tmp_path, client.get(f"/billing/homes/{home.id}/declarations/2025-03/summary.pdf").data,
                         "d.pdf")
        assert "草稿" in text
        page = client.get(f"/billing/homes/{home.id}/declarations/2025-03").get_data(as_text=True)
        assert "月底後才能申報" in page
        file_text = _pdf_text(tmp_path, client.get(f"/billing/admissions/{a.id}/file.pdf").data, "f.pdf")
    flat = re.sub(r"\s+", "", file_text)
    assert "家庭托顧個案管理紀錄本" in flat and a.client.name in flat and "第2次" in flat and saved.id


def test_cancel_reason_over_200_characters_is_refused_and_nothing_changes(world, home, app_ctx):
    """Found by the hostile-input test on PostgreSQL (varchar(200)): a clear message, not a 500."""
    from portal.errors import Refused
    a = admit(world, welfare_status="low", cms_level=6)
    with clock.freeze(datetime(2025, 3, 1, 9)):
        change = ops.record_subsidy_change(world.users[roles.B_HEAD], a, field="welfare_status", value="general",
                                           fact_date=date(2025, 3, 17), notified_on=date(2025, 3, 1),
                                           evidence="公所核定函")
    db.session.commit()
    with pytest.raises(Refused, match="200"):
        ops.cancel_subsidy_change(world.users[roles.B_HEAD], change, reason="x" * 201)
    db.session.rollback()
    assert db.session.get(type(change), change.id).cancelled_at is None
