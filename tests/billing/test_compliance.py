"""Carer compliance, opening hours, rate tables and the dashboard (family-care.md §12; issue 5 §6)."""
from datetime import date, datetime, time

import pytest

from portal import clock
from portal.auth import roles
from portal.billing import operations as ops
from portal.billing.compliance import compliance_items
from portal.billing.models import Carer, OpeningHoursFiling, StaffChange
from portal.billing.pricing import RateBook
from portal.dashboard.registry import collect_action_items
from portal.errors import Refused, TransitionNotAllowed
from portal.extensions import db
from portal.orgs.models import OrganisationLink
from tests.factories import FOREIGN_MARKER


def _carer(world, home, **over):
    data = {"name": "陳美華", "role": "carer", "phone": None, "registration_no": "LTC-001",
            "started_on": date(2023, 1, 1), "ended_on": None}
    data.update(over)
    carer = ops.save_carer(world.users[roles.B_HEAD], home.id, None, data)
    db.session.commit()
    return carer


def test_expiring_items_seen_by_home_and_guidance(client, world, home, login, app_ctx):
    carer = _carer(world, home)
    head = world.users[roles.B_HEAD]
    ops.record_health_check(head, carer, checked_on=date(2024, 3, 1), items={"skin": "normal"}, finding_route=None,
                            finding_note="", clearance_on=None)
    ops.record_certificate(head, carer, kind="BLS", number="B-1", issued_on=date(2023, 5, 1),
                           expires_on=date(2025, 5, 15))
    db.session.commit()
    items = compliance_items([home.id], date(2025, 4, 1))
    states = {(i.what, i.state) for i in items}
    assert ("年度健康檢查", "overdue") in states and ("CPR/CPCR/BLS 證照", "soon") in states
    guide = world.users[roles.GUIDANCE_STAFF]
    db.session.add(OrganisationLink(from_org_id=guide.organisation_id, to_org_id=home.id, relation="guides"))
    db.session.commit()
    titles = [i.title for i in collect_action_items(guide, datetime(2025, 4, 1, 9, tzinfo=clock.TAIPEI))]
    assert any("陳美華 CPR/CPCR/BLS 證照（即將到期）" in t for t in titles)
    assert not any(FOREIGN_MARKER in t for t in titles)
    login(guide)
    with clock.freeze(datetime(2025, 4, 1, 9)):
        page = client.get("/billing/compliance").get_data(as_text=True)
        assert "陳美華" in page and FOREIGN_MARKER not in page
        assert client.post(f"/billing/carers/{carer.id}", data={"record": "certificate"}).status_code == 403
    login(world.users[roles.B_HEAD])
    with clock.freeze(datetime(2025, 4, 1, 9)):
        home_titles = client.get("/").get_data(as_text=True)
    assert "年度健康檢查（已逾期）" in home_titles


def test_health_finding_blocks_until_clearance(world, home, app_ctx):
    carer = _carer(world, home)
    ops.record_health_check(world.users[roles.B_HEAD], carer, checked_on=date(2025, 3, 15), items={},
                            finding_route="contact", finding_note="胸部X光疑似肺結核", clearance_on=None)
    db.session.commit()
    items = compliance_items([home.id], date(2025, 4, 1))
    assert any(i.state == "blocked" and "不具傳染性之證明" in i.detail for i in items)


def test_staff_change_30_days_and_decision(client, world, home, login, app_ctx):
    carer = _carer(world, home, name="替代照顧者甲", role="substitute")
    head = world.users[roles.B_HEAD]
    with pytest.raises(Refused, match="114年4月2日"):
        ops.submit_staff_change(head, home.id, kind="replace", person_out=carer, person_in_name="新替代者",
                                person_in_role="substitute", effective_on=date(2025, 5, 2), reason="離職",
                                today=date(2025, 4, 3))
    change = ops.submit_staff_change(head, home.id, kind="replace", person_out=carer, person_in_name="新替代者",
                                     person_in_role="substitute", effective_on=date(2025, 5, 2), reason="離職",
                                     today=date(2025, 4, 2))
    db.session.commit()
    login(world.users[roles.BUREAU_OFFICER])
    seen = change.version
    assert client.post(f"/billing/staff-changes/{change.id}",
                       data={"action": "approve", "version": seen}).status_code == 303
    login(world.users[roles.ADMIN])
    page = client.post(f"/billing/staff-changes/{change.id}", data={"action": "reject", "version": seen, "note": "x"},
                       follow_redirects=True).get_data(as_text=True)
    assert "您的決定未儲存" in page
    db.session.expire_all()
    assert db.session.get(StaffChange, change.id).status == "approved"


def test_staff_change_form_refuses_late(client, world, home, login, app_ctx):
    login(world.users[roles.B_HEAD])
    with clock.freeze(datetime(2025, 4, 3, 9)):
        page = client.post(f"/billing/homes/{home.id}/staff-changes/new",
                           data={"kind": "add", "person_out_id": "0", "person_in_name": "新人", "person_in_role": "carer",
                                 "effective_on": "114/5/2", "reason": "增聘"}).get_data(as_text=True)
    assert "事實發生前三十日" in page and db.session.execute(db.select(StaffChange).filter_by(
        organisation_id=home.id)).first() is None


def test_opening_hours_filing_and_decision(client, world, home, login, app_ctx):
    login(world.users[roles.B_HEAD])
    with clock.freeze(datetime(2025, 3, 1, 9)):
        response = client.post(f"/billing/homes/{home.id}/opening-hours",
                               data={"weekdays": ["0", "1", "2", "3", "4", "5"], "opens": "07:30", "closes": "18:30",
                                     "effective_from": "114/3/10"})
        assert response.status_code == 303
        too_long = client.post(f"/billing/homes/{home.id}/opening-hours",
                               data={"weekdays": ["0"], "opens": "06:00", "closes": "19:00",
                                     "effective_from": "114/3/10"}).get_data(as_text=True)
        assert "至多 12 小時" in too_long
    filing = db.session.execute(db.select(OpeningHoursFiling).filter_by(organisation_id=home.id,
                                                                        status="submitted")).scalar_one()
    # not yet filed: the old hours still apply
    assert ops.opening_hours_on(home.id, date(2025, 3, 15)).opens == time(8)
    login(world.users[roles.BUREAU_OFFICER])
    client.post(f"/billing/opening-hours/{filing.id}/decide", data={"action": "accept", "version": filing.version})
    db.session.expire_all()
    assert ops.opening_hours_on(home.id, date(2025, 3, 15)).opens == time(7, 30)
    assert ops.opening_hours_on(home.id, date(2025, 3, 5)).opens == time(8)
    with pytest.raises(TransitionNotAllowed, match="您的決定未儲存"):
        ops.decide_opening_hours(world.users[roles.ADMIN], db.session.get(OpeningHoursFiling, filing.id), accept=False,
                                 note="重複")


def test_rate_table_dated_rows_win_over_defaults(client, world, login, app_ctx):
    book = RateBook.load()
    assert book.price("bath", 5, date(2025, 3, 1)).price == 200
    assert str(book.ratio("general", date(2025, 3, 1))) == "0.16"
    login(world.users[roles.BUREAU_OFFICER])
    assert client.post("/billing/rates", data={"table": "ratio", "r-welfare_status": "mid_low", "r-ratio": "0.06",
                                               "r-effective_from": "114/7/1", "r-source": "測試公告"}).status_code == 303
    bad = client.post("/billing/rates", data={"table": "ratio", "r-welfare_status": "mid_low", "r-ratio": "1.5",
                                              "r-effective_from": "114/8/1", "r-source": "x"}).get_data(as_text=True)
    assert "0 至 1" in bad
    book = RateBook.load()
    assert str(book.ratio("mid_low", date(2025, 6, 30))) == "0.05"
    assert str(book.ratio("mid_low", date(2025, 7, 1))) == "0.06"
    login(world.users[roles.B_HEAD])
    assert client.get("/billing/rates").status_code == 200
    assert client.post("/billing/rates", data={"table": "ratio"}).status_code == 403


def test_carer_views(client, world, home, login, app_ctx):
    login(world.users[roles.B_HEAD])
    response = client.post(f"/billing/homes/{home.id}/carers/new",
                           data={"name": "林替代", "role": "substitute", "started_on": "113/1/1"})
    assert response.status_code == 303
    carer = db.session.execute(db.select(Carer).filter_by(name="林替代")).scalar_one()
    data = {"record": "health", "h-checked_on": "114/3/1", "h-finding_route": ""}
    data.update({f"h-item_{k}": "normal" for k in ("skin", "chest_xray", "blood", "urine", "hepatitis", "stool",
                                                   "scabies", "typhoid")})
    assert client.post(f"/billing/carers/{carer.id}", data=data).status_code == 303
    assert client.post(f"/billing/carers/{carer.id}", data={"record": "certificate", "c-kind": "CPR",
                                                            "c-expires_on": "116/1/1"}).status_code == 303
    page = client.get(f"/billing/homes/{home.id}/compliance").get_data(as_text=True)
    assert "林替代" in page and "115/03/01" in page


def test_retention_report_lists_and_never_deletes(app, world, home, app_ctx):
    from tests.billing.conftest import admit, record
    admission = admit(world)
    record(world, admission, date(2025, 3, 3))
    with clock.freeze(datetime(2025, 3, 31, 9)):
        ops.end_admission(world.users[roles.B_HEAD], admission, ended_on=date(2025, 3, 31), reason="遷居")
    db.session.commit()
    runner = app.test_cli_runner()
    early = runner.invoke(args=["billing", "retention-report", "--on", "2032-03-30"])
    assert "已逾保存期限之收托個案檔案 0 筆" in early.output
    late = runner.invoke(args=["billing", "retention-report", "--on", "2032-03-31"])
    assert "已逾保存期限之收托個案檔案 1 筆" in late.output and "不會刪除" in late.output
    assert db.session.get(type(admission), admission.id) is not None
