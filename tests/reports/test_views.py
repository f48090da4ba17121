"""Result reports through HTTP: start, figures, section saves, overrides, submit, review, scope, 免交."""
import io
import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from portal import clock
from portal.auditlog.models import AuditLogEntry
from portal.auth import roles
from portal.extensions import db
from portal.orgs.models import OrganisationLink
from portal.reports.models import ReportComment, ResultReport
from tests.factories import make_client
from tests.reports.helpers import COMPLETE, Day, days_for

ON_TIME = datetime(2026, 1, 10, 10, 0, tzinfo=clock.TAIPEI)


@pytest.fixture
def home(world, billing):
    """The home B unit (family care) with two clients served in 2025."""
    org = world.orgs["b"]
    a = make_client([org], name="王阿水", sex="M", birth_date=date(1940, 3, 1), welfare_status="general", cms_level=4)
    b = make_client([org], name="李秀蘭", sex="F", birth_date=date(1950, 8, 1), welfare_status="low", cms_level=6,
                    dementia_diagnosed=True, dementia_diagnosed_on=date(2023, 1, 1))
    billing.set(org, 2025, days_for(a, "general", 20) + days_for(b, "low", 10, price=1210, copay=0))
    db.session.commit()
    return org


def _start(client, login, world, year=2025):
    login(world.users[roles.B_HEAD])
    response = client.post("/reports/start", data={"year": year})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return db.session.execute(db.select(ResultReport).filter_by(organisation_id=world.orgs["b"].id,
                                                                service_year=year)).scalar_one()


def _complete(client, report):
    for key, data in COMPLETE.items():
        if data:
            assert client.post(f"/reports/{report.id}/sections/{key}", data=data).status_code == 303


def test_start_fills_figures_from_service_records(client, world, login, home):
    report = _start(client, login, world)
    assert report.state == "draft"
    table = report.figures["table"]
    assert table["persons"] == {"general": "1", "mid_low": "0", "low": "1", "total": "2"}
    assert table["person_days"]["total"] == "30"
    assert table["subsidy"] == {"general": str(20 * 950), "mid_low": "0", "low": str(10 * 1210),
                                "total": str(20 * 950 + 10 * 1210)}
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert "王阿水" in page and "19,000" in page and "114年度家庭托顧服務成果報告" in page
    assert "115年1月15日" in page   # due date in ROC form
    basics = report.section("basics").data
    assert basics["project_name"].startswith("114年度") and basics["unit_name"] == world.orgs["b"].name
    # Starting twice (double click) gives the same report.
    assert client.post("/reports/start", data={"year": 2025}).status_code == 303
    assert db.session.execute(db.select(db.func.count(ResultReport.id))).scalar_one() == 2  # + foreign one


def test_independent_count_of_a_year_of_records(client, world, login, billing):
    """A year of records with half days and status changes; each figure checked against a plain count."""
    org = world.orgs["b"]
    rng = random.Random(7)
    clients = [make_client([org], name=f"年度個案{i}", sex="MF"[i % 2], birth_date=date(1935 + i * 4, 1, 1))
               for i in range(6)]
    days = []
    for c in clients:
        status = rng.choice(["general", "mid_low", "low"])
        day = date(2025, 1, 1)
        while day.year == 2025:
            if day.weekday() < 5 and rng.random() < 0.6:
                if rng.random() < 0.02:
                    status = rng.choice(["general", "mid_low", "low"])
                half = rng.random() < 0.15
                price = 565 if half else 1130
                copay = {"general": price * 16 // 100, "mid_low": price * 5 // 100, "low": 0}[status]
                days.append(Day(c.id, day, Decimal("0.5") if half else Decimal(1), status, price, copay))
            day += timedelta(days=1)
    billing.set(org, 2025, days)
    db.session.commit()
    report = _start(client, login, world)
    table = report.figures["table"]
    # Independent count (decisions Q16).
    last = {}
    for d in sorted(days, key=lambda d: d.day):
        last[d.client_id] = d.welfare_status
    pd, sub = defaultdict(Decimal), defaultdict(int)
    for d in days:
        pd[d.welfare_status] += Decimal("0.5") if d.day_fraction == Decimal("0.5") else Decimal(1)
        sub[d.welfare_status] += d.declared_amount - d.copayment
    for status in ("general", "mid_low", "low"):
        assert Decimal(table["persons"][status]) == sum(1 for s in last.values() if s == status)
        assert Decimal(table["person_days"][status]) == pd[status]
        assert int(table["subsidy"][status]) == sub[status]
    assert int(table["persons"]["total"]) == len(clients)
    assert Decimal(table["person_days"]["total"]) == sum(pd.values())
    assert int(table["subsidy"]["total"]) == sum(sub.values())
    rows = report.figures["clients"]
    assert sorted(r["name"] for r in rows) == sorted(c.name for c in clients)
    assert report.figures["breakdowns"]["sex"] == {"M": 3, "F": 3}


def test_section_autosave_htmx_and_plain_post(client, world, login, home):
    report = _start(client, login, world)
    data = {"conclusion-conclusion": "今年服務穩定。", "conclusion-version": ""}
    response = client.post(f"/reports/{report.id}/sections/conclusion", data=data, headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "已儲存" in body and "<html" not in body
    assert 'id="conclusion-version"' in body and 'hx-swap-oob="true"' in body and 'id="progress"' in body
    db.session.expire_all()
    section = report.section("conclusion")
    assert section.data["conclusion"] == "今年服務穩定。"
    # Same content again (input + change events): no new version, no new log row.
    version, logs = section.version, db.session.execute(db.select(db.func.count(AuditLogEntry.id))).scalar_one()
    client.post(f"/reports/{report.id}/sections/conclusion",
                data={"conclusion-conclusion": "今年服務穩定。", "conclusion-version": version},
                headers={"HX-Request": "true"})
    db.session.expire_all()
    assert report.section("conclusion").version == version
    assert db.session.execute(db.select(db.func.count(AuditLogEntry.id))).scalar_one() == logs
    # Plain form post (no JavaScript): 303 back to the section.
    response = client.post(f"/reports/{report.id}/sections/other", data={"other-remarks": "無"})
    assert response.status_code == 303 and response.headers["Location"].endswith("#sec-other")


def test_stale_section_edit_refused_input_kept(client, world, login, home):
    report = _start(client, login, world)
    client.post(f"/reports/{report.id}/sections/other", data={"other-remarks": "第一版"})
    db.session.expire_all()
    old = report.section("other").version
    client.post(f"/reports/{report.id}/sections/other", data={"other-remarks": "另一人改", "other-version": old})
    page = client.post(f"/reports/{report.id}/sections/other",
                       data={"other-remarks": "我的修改", "other-version": old}).get_data(as_text=True)
    assert "已被其他人更新" in page and "我的修改" in page
    db.session.expire_all()
    assert report.section("other").data["remarks"] == "另一人改"
    response = client.post(f"/reports/{report.id}/sections/other", headers={"HX-Request": "true"},
                           data={"other-remarks": "我的修改", "other-version": old})
    assert "已被其他人更新" in response.get_data(as_text=True)


def test_two_people_creating_the_same_section(client, world, login, home):
    report = _start(client, login, world)
    client.post(f"/reports/{report.id}/sections/other", data={"other-remarks": "甲先存", "other-version": ""})
    page = client.post(f"/reports/{report.id}/sections/other", data={"other-remarks": "乙後存", "other-version": ""},
                       follow_redirects=True).get_data(as_text=True)
    assert "已被其他人更新" in page and "乙後存" in page
    db.session.expire_all()
    assert report.section("other").data["remarks"] == "甲先存"
    # A retry of exactly what was saved is fine whatever version it carries.
    assert client.post(f"/reports/{report.id}/sections/other",
                       data={"other-remarks": "甲先存", "other-version": ""}).status_code == 303


def test_bad_input_shows_error_next_to_field(client, world, login, home):
    report = _start(client, login, world)
    page = client.post(f"/reports/{report.id}/sections/basics", data={
        "basics-unit_name": "x", "basics-project_name": "y", "basics-period_start": "114/12/31",
        "basics-period_end": "114/1/1"}).get_data(as_text=True)
    assert "迄日不能早於起日" in page and 'value="114/1/1"' in page
    page = client.post(f"/reports/{report.id}/sections/satisfaction", headers={"HX-Request": "true"}, data={
        "satisfaction-issued": "3", "satisfaction-returned": "5"}).get_data(as_text=True)
    assert "回收份數不能多於發出份數" in page


def test_overrides_need_reason_and_keep_computed(client, world, login, home):
    report = _start(client, login, world)
    url = f"/reports/{report.id}/overrides"
    client.post(url, data={"ov-key": "table.subsidy.general", "ov-value": "18000", "ov-reason": ""})
    db.session.expire_all()
    assert report.overrides == []
    client.post(url, data={"ov-key": "table.subsidy.general", "ov-value": "18000", "ov-reason": "一日重複申報"})
    db.session.expire_all()
    assert [(o.key, o.value, o.computed_value, o.reason) for o in report.overrides] == [
        ("table.subsidy.general", "18000", "19000", "一日重複申報")]
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert "18,000" in page and "（系統 19,000）" in page and "一日重複申報" in page
    assert "各身分別加總" in page   # 合計 no longer adds up: the page warns
    client.post(url, data={"ov-key": "table.person_days.low", "ov-value": "9.3", "ov-reason": "x"})
    db.session.expire_all()
    assert len(report.overrides) == 1   # not a half-day multiple
    # Recompute keeps the override.
    client.post(f"/reports/{report.id}/recompute")
    db.session.expire_all()
    assert len(report.overrides) == 1
    client.post(f"/reports/{report.id}/overrides/clear", data={"key": "table.subsidy.general"})
    db.session.expire_all()
    assert report.overrides == []


def test_submit_needs_every_section_then_locks(client, world, login, home):
    report = _start(client, login, world)
    with clock.freeze(ON_TIME):
        page = client.post(f"/reports/{report.id}/submit", follow_redirects=True).get_data(as_text=True)
    assert "尚有段落未完成" in page and "活動照片" in page
    _complete(client, report)
    from tests.reports.test_photos import jpeg_bytes
    photo = {"ph-photo": (io.BytesIO(jpeg_bytes()), "a.jpg"), "ph-month": "1"}
    assert client.post(f"/reports/{report.id}/photos", data=photo,
                       content_type="multipart/form-data").status_code == 303
    login(world.users[roles.B_STAFF])
    assert client.post(f"/reports/{report.id}/submit").status_code == 403   # the head submits
    login(world.users[roles.B_HEAD])
    with clock.freeze(ON_TIME):
        assert client.post(f"/reports/{report.id}/submit").status_code == 303
        client.post(f"/reports/{report.id}/submit")   # double click: no second submission
    db.session.expire_all()
    assert report.state == "submitted" and not report.late and len(report.submissions) == 1
    assert report.received_at == ON_TIME
    # Locked: saving a section is refused, nothing changes.
    page = client.post(f"/reports/{report.id}/sections/other", data={"other-remarks": "改"},
                       follow_redirects=True).get_data(as_text=True)
    assert "不能修改" in page
    db.session.expire_all()
    assert report.section("other").data["remarks"] == "無"


def _submitted(client, login, world, when=ON_TIME):
    report = _start(client, login, world)
    _complete(client, report)
    from tests.reports.test_photos import jpeg_bytes
    client.post(f"/reports/{report.id}/photos", data={"ph-photo": (io.BytesIO(jpeg_bytes()), "a.jpg"), "ph-month": "3"},
                content_type="multipart/form-data")
    with clock.freeze(when):
        assert client.post(f"/reports/{report.id}/submit").status_code == 303
    db.session.expire_all()
    assert report.state == "submitted"
    return report


def test_late_submission_is_marked_not_refused(client, world, login, home):
    late = datetime(2026, 1, 15, 18, 0, tzinfo=clock.TAIPEI)   # after the 17:30 cut-off
    report = _submitted(client, login, world, when=late)
    assert report.late and report.submissions[0].late
    assert "逾期收文" in client.get(f"/reports/{report.id}").get_data(as_text=True)


def test_return_with_comments_resubmit_and_accept(client, world, login, home):
    report = _submitted(client, login, world)
    login(world.users[roles.BUREAU_OFFICER])
    assert client.post(f"/reports/{report.id}/return", data={}).status_code == 303
    db.session.expire_all()
    assert report.state == "submitted"   # no comment: refused
    client.post(f"/reports/{report.id}/return", data={"rt-comment-satisfaction": "請補充質化分析", "rt-note": "請補正"})
    db.session.expire_all()
    assert report.state == "returned"
    assert {(c.section_key, c.kind) for c in report.comments} == {("satisfaction", "return"), ("overall", "return")}
    # A second officer deciding at the same time sees a clear message and nothing changes.
    login(world.users[roles.BUREAU_CHIEF])
    page = client.post(f"/reports/{report.id}/accept", follow_redirects=True).get_data(as_text=True)
    assert "可能已由其他人處理" in page
    db.session.expire_all()
    assert report.state == "returned"
    # The unit sees the comment beside the section, corrects and resubmits (late after the deadline: not refused).
    login(world.users[roles.B_HEAD])
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert "請補充質化分析" in page and "退回補正" in page
    dash = client.get("/").get_data(as_text=True)
    assert "114年度成果報告退回補正，請修正後再送出" in dash and "已逾期" not in dash
    client.post(f"/reports/{report.id}/sections/satisfaction", data={
        **COMPLETE["satisfaction"], "satisfaction-qualitative": "家屬肯定，建議增加活動。",
        "satisfaction-version": report.section("satisfaction").version})
    with clock.freeze(datetime(2026, 2, 1, 9, 0, tzinfo=clock.TAIPEI)):
        client.post(f"/reports/{report.id}/submit")
    db.session.expire_all()
    assert report.state == "submitted" and len(report.submissions) == 2
    assert not report.late   # receipt is the first submission
    assert report.submissions[0].outcome == "returned"
    login(world.users[roles.BUREAU_OFFICER])
    client.post(f"/reports/{report.id}/accept", data={"rt-note": "同意核定"})
    db.session.expire_all()
    assert report.state == "accepted" and report.submissions[1].outcome == "accepted"
    page = client.get(f"/reports/{report.id}/submissions/1").get_data(as_text=True)
    assert "家屬肯定。" in page and "請補充質化分析" in page
    actions = [a for (a,) in db.session.execute(db.select(AuditLogEntry.action).where(
        AuditLogEntry.entity_type == "result_reports").order_by(AuditLogEntry.id))]
    assert actions.count("result_report.submit") == 2 and "result_report.return" in actions
    assert actions[-1] == "result_report.accept"


def test_bureau_list_statuses_and_guidance_scope(client, world, login, home, billing):
    report = _submitted(client, login, world)
    login(world.users[roles.BUREAU_OFFICER])
    page = client.get("/reports?year=2025").get_data(as_text=True)
    assert world.orgs["b"].name in page and "已送出" in page
    dash = client.get("/").get_data(as_text=True)
    assert "114年度成果報告待審" in dash
    # Guidance: not guiding the home → 404; guiding → read-only view, comment allowed, no edit/submit.
    guide = world.users[roles.GUIDANCE_STAFF]
    login(guide)
    assert client.get(f"/reports/{report.id}").status_code == 404
    db.session.add(OrganisationLink(from_org_id=guide.organisation_id, to_org_id=world.orgs["b"].id,
                                    relation="guides", read_only=True))
    db.session.commit()
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert "王阿水" in page and "送出成果報告" not in page
    assert client.post(f"/reports/{report.id}/sections/other", data={"other-remarks": "代填"}).status_code == 403
    assert client.post(f"/reports/{report.id}/submit").status_code == 403
    client.post(f"/reports/{report.id}/comments", data={"cm-section_key": "courses", "cm-body": "建議增加照片說明"})
    assert db.session.execute(db.select(ReportComment).filter_by(kind="note")).scalar_one().body == "建議增加照片說明"
    assert world.orgs["b"].name in client.get("/reports?year=2025").get_data(as_text=True)


def test_not_required_only_without_service_records(client, world, login, billing):
    org = world.orgs["b"]
    c = make_client([org])
    billing.set(org, 2025, days_for(c, "general", 1))
    db.session.commit()
    login(world.users[roles.B_HEAD])
    page = client.post("/reports/not-required", data={"year": 2025}, follow_redirects=True).get_data(as_text=True)
    assert "須繳交成果報告" in page
    assert client.post("/reports/not-required", data={"year": 2024}).status_code == 303
    report = db.session.execute(db.select(ResultReport).filter_by(service_year=2024,
                                                                  organisation_id=org.id)).scalar_one()
    assert report.state == "not_required" and report.not_required_reason == "本年度無服務個案"
    login(world.users[roles.BUREAU_OFFICER])
    assert "免交" in client.get("/reports?year=2024").get_data(as_text=True)
    login(world.users[roles.B_HEAD])
    client.post(f"/reports/{report.id}/reopen")
    db.session.expire_all()
    assert report.state == "draft"


def test_unit_dashboard_shows_due_date_and_days_left(client, world, login, home):
    login(world.users[roles.B_HEAD])
    with clock.freeze(datetime(2026, 1, 5, 9, 0, tzinfo=clock.TAIPEI)):
        page = client.get("/").get_data(as_text=True)
    assert "114年度成果報告待填寫送出" in page and "115年1月15日" in page and "剩 10 天" in page
    with clock.freeze(datetime(2026, 2, 1, 9, 0, tzinfo=clock.TAIPEI)):
        page = client.get("/").get_data(as_text=True)
    assert "已逾期 17 天" in page and 'class="overdue"' in page


def test_other_units_cannot_reach_a_report(client, world, login, home):
    report = _start(client, login, world)
    for role in (roles.B_HEAD, roles.A_CASE_MANAGER):
        login(world.other_users[role])
        assert client.get(f"/reports/{report.id}").status_code in (403, 404)
        response = client.post(f"/reports/{report.id}/sections/other", data={"other-remarks": "x"})
        assert response.status_code in (403, 404)
    login(world.users[roles.A_CASE_MANAGER])
    assert client.get("/reports").status_code == 403


def test_unit_summary_fact(client, world, login, home):
    from portal.orgs.standing import unit_summaries
    with clock.freeze(datetime(2026, 3, 1, 9, 0, tzinfo=clock.TAIPEI)):
        assert "114年度成果報告：未填" in unit_summaries([home.id])[home.id]
        _submitted(client, login, world)
        assert "114年度成果報告：已送出" in unit_summaries([home.id])[home.id]
        assert unit_summaries([world.orgs["b_other"].id])[world.orgs["b_other"].id] == [] or all(
            "成果報告" not in f for f in unit_summaries([world.orgs["b_other"].id])[world.orgs["b_other"].id])


def test_bureau_corrects_the_paper_receipt_date(client, world, login, home):
    """R-RPT-01: the bureau's 收文日期 counts; the officer records the paper letter's date with a reason,
    the late flag follows it, the audit log keeps before and after; units cannot do it."""
    report = _submitted(client, login, world)   # portal submission 115/1/10: on time
    assert not report.late
    url = f"/reports/{report.id}/receipt"
    assert client.post(url, data={"rc-received_on": "115/1/20", "rc-note": "紙本"}).status_code == 403  # b_head
    login(world.users[roles.BUREAU_OFFICER])
    page = client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert "更正收文日期" in page and 'name="rc-received_on"' in page
    today = date(2026, 1, 25)
    with clock.freeze(datetime(2026, 1, 25, 9, 0, tzinfo=clock.TAIPEI)):
        # Bad input: the message is next to the field, nothing saved.
        response = client.post(url, data={"rc-received_on": "115/2/1", "rc-note": "紙本公文",
                                          "rc-version": report.version})
        assert response.status_code == 422 and "收文日期不能晚於今天" in response.get_data(as_text=True)
        response = client.post(url, data={"rc-received_on": "115/1/16", "rc-note": "", "rc-version": report.version})
        assert response.status_code == 422 and "請說明更正原因" in response.get_data(as_text=True)
        long_note = "紙本" * 101   # 202 characters: refused whole, and kept in the field, never cut
        response = client.post(url, data={"rc-received_on": "115/1/16", "rc-note": long_note,
                                          "rc-version": report.version})
        body = response.get_data(as_text=True)
        assert response.status_code == 422 and "更正原因最多 200 字" in body and long_note in body
        db.session.expire_all()
        assert report.received_on is None and not report.late
        version = report.version
        response = client.post(url, data={"rc-received_on": "115/1/16", "rc-note": "紙本公文收文號 1150001234",
                                          "rc-version": version})
        assert response.status_code == 303
        db.session.expire_all()
        assert report.received_on == date(2026, 1, 16) and report.late and report.receipt_date == date(2026, 1, 16)
        page = client.get(f"/reports/{report.id}").get_data(as_text=True)
        assert "115年1月16日" in page and "逾期收文" in page and "1150001234" in page
        # A stale form (another officer corrected meanwhile) changes nothing.
        stale = client.post(url, data={"rc-received_on": "115/1/14", "rc-note": "舊畫面", "rc-version": version})
        body = stale.get_data(as_text=True)
        assert stale.status_code == 409 and "已被其他人更新" in body and "舊畫面" in body   # typed text kept
        db.session.expire_all()
        assert report.received_on == date(2026, 1, 16)
        # Corrected back to a date before the due date: on time again.
        client.post(url, data={"rc-received_on": "115/1/14", "rc-note": "誤植，更正", "rc-version": report.version})
        db.session.expire_all()
        assert report.received_on == date(2026, 1, 14) and not report.late and today > report.received_on
    rows = db.session.execute(db.select(AuditLogEntry).where(AuditLogEntry.action == "result_report.receipt_date")
                              .order_by(AuditLogEntry.id)).scalars().all()
    assert len(rows) == 2
    assert rows[0].before["late"] is False and rows[0].after["late"] is True
    assert rows[0].after["received_on"] == "2026-01-16" and rows[0].actor_id == world.users[roles.BUREAU_OFFICER].id
    page = client.get("/reports?year=2025").get_data(as_text=True)
    assert "<td>115年1月14日（紙本收文）</td>" in page   # the list shows the corrected date and where it came from
