"""Case-management screens: forms keep input, scope, htmx fragments, decisions made twice, uploads."""
import io
from datetime import date, timedelta

from portal import clock
from portal.auth import roles
from portal.cases import operations as ops
from portal.cases.models import Case, ChangeRequest, Dispatch, PauseRequest
from portal.extensions import db
from tests.cases.helpers import D, cm, new_case, officer, second_family_care
from tests.factories import FOREIGN_MARKER, make_client



def _freeze(day):
    from datetime import datetime
    return clock.freeze(datetime(day.year, day.month, day.day, 10, 0))


def test_centre_opens_and_refers_case(client, world, login, app_ctx):
    person = make_client([], name="新轉介個案", area=world.areas[0])
    db.session.commit()
    login(world.users[roles.CARE_MANAGER])
    page = client.get(f"/cases/new?client_id={person.id}").get_data(as_text=True)
    assert "甲區A單位" in page and "乙區A單位" not in page    # only units serving the client's area
    response = client.post(f"/cases/new?client_id={person.id}", data={
        "client_id": person.id, "consent": "yes", "consent_on": "114/3/3", "families": ["B", "G"],
        "applied_by_org_id": 0, "a_unit_id": world.orgs["a"].id, "submission_key": "abc"})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    case = db.session.execute(db.select(Case).filter_by(client_id=person.id)).scalar_one()
    assert case.state == "REFERRED_TO_A" and case.referrals[0].consent_on == date(2025, 3, 3)


def test_refer_form_errors_keep_input(client, world, login, app_ctx):
    person = make_client([], area=world.areas[0])
    db.session.commit()
    login(world.users[roles.CARE_MANAGER])
    page = client.post(f"/cases/new?client_id={person.id}", data={
        "consent": "yes", "consent_on": "", "families": ["B"], "applied_by_org_id": 0,
        "assessment_note": "獨居長者需協助沐浴"}).get_data(as_text=True)
    assert "請填寫個案同意日期" in page and "獨居長者需協助沐浴" in page
    assert db.session.execute(db.select(Case).filter_by(client_id=person.id)).first() is None


def test_a_unit_accepts_on_case_page_and_other_unit_cannot_see(client, world, login, app_ctx):
    case = new_case(world, stage="referred")
    db.session.commit()
    login(world.users[roles.A_CASE_MANAGER])
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "收案" in page and "無法收案" in page
    assert "新轉介待收案" in client.get("/").get_data(as_text=True)
    referral_id = case.referrals[0].id
    login(world.other_users[roles.A_CASE_MANAGER])
    assert client.get(f"/cases/{case.id}").status_code == 404
    assert client.post(f"/referrals/{referral_id}/accept", data={"case_manager_id": cm(world).id}).status_code == 404
    login(world.users[roles.A_CASE_MANAGER])
    response = client.post(f"/referrals/{referral_id}/accept", data={"case_manager_id": cm(world).id})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "A_ACCEPTED"


def test_decline_needs_reason_and_keeps_text(client, world, login, app_ctx):
    case = new_case(world, stage="referred")
    db.session.commit()
    login(world.users[roles.A_UNIT_HEAD])
    page = client.post(f"/referrals/{case.referrals[0].id}/decline", data={"reason": ""}).get_data(as_text=True)
    assert "請填寫原因" in page
    response = client.post(f"/referrals/{case.referrals[0].id}/decline", data={"reason": "本月個管師離職兩位"})
    assert response.status_code == 303
    login(world.users[roles.CARE_MANAGER])
    assert "A單位無法收案，請重新轉介" in client.get("/").get_data(as_text=True)


def test_plan_form_save_submit_and_approve(client, world, login, app_ctx):
    case = new_case(world, stage="accepted")
    db.session.commit()
    login(world.users[roles.A_CASE_MANAGER])
    response = client.post(f"/cases/{case.id}/plans")
    assert response.status_code == 303
    plan_id = case.id and db.session.execute(db.select(Case).filter_by(id=case.id)).scalar_one().plans[0].id
    edit = client.get(f"/plans/{plan_id}/edit").get_data(as_text=True)
    assert "BC01 家庭托顧（全日）" in edit
    row = client.get(f"/plans/{plan_id}/row?index=5", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in row and 'name="items-5-code"' in row
    page = client.post(f"/plans/{plan_id}/edit", data={
        "version": 1, "problems": "", "goals": "維持功能", "items-0-code": "BC01", "items-0-quantity": "",
        "action": "submit"}).get_data(as_text=True)
    assert "請填寫 BC01 的數量" in page and "維持功能" in page
    response = client.post(f"/plans/{plan_id}/edit", data={
        "version": 1, "problems": "白天無人照顧", "goals": "維持功能", "items-0-code": "BC01", "items-0-quantity": "20",
        "items-0-frequency": "每週5日", "items-1-code": "GA09", "items-1-quantity": "2", "action": "submit"})
    assert response.status_code == 303
    login(world.users[roles.CARE_MANAGER])
    assert "照顧計畫待核定" in client.get("/").get_data(as_text=True)
    page = client.post(f"/plans/{plan_id}/return", data={"comment": ""}).get_data(as_text=True)
    assert "退回時請填寫修正意見" in page
    assert client.post(f"/plans/{plan_id}/approve").status_code == 303
    page = client.post(f"/plans/{plan_id}/approve", follow_redirects=True).get_data(as_text=True)
    assert "已由其他人處理" in page


def test_recommendation_shows_reasons_capacity_and_unit_facts(client, world, login, app_ctx):
    from portal.orgs import standing
    second_family_care(world, "遠方家托", base_area=world.areas[1])
    case = new_case(world, stage="approved")
    db.session.commit()

    def audit_fact(org_ids):
        return {i: ["最近查核：合格（114年2月10日）"] for i in org_ids}
    standing._summaries.append(audit_fact)
    try:
        login(world.users[roles.A_CASE_MANAGER])
        page = client.get(f"/cases/{case.id}/dispatch/family_care").get_data(as_text=True)
    finally:
        standing._summaries.remove(audit_fact)
    assert "甲家庭托顧" in page and "遠方家托" in page and "可再收" in page
    assert "在地資源優先" in page and "最近查核：合格" in page and "建議" in page
    response = client.post(f"/cases/{case.id}/dispatch/family_care", data={
        "org_id": world.orgs["b"].id, "seen_proposal_id": world.orgs["b"].id})
    assert response.status_code == 303
    d = db.session.execute(db.select(Dispatch).filter_by(case_id=case.id)).scalar_one()
    assert d.organisation_id == world.orgs["b"].id and d.ranking[0]["name"] == "甲家庭托顧"


def test_dispatch_with_stale_list_shows_new_proposal(client, world, login, app_ctx):
    second_family_care(world, "並列家托")
    case = new_case(world, stage="approved")
    other = new_case(world, stage="approved")
    db.session.commit()
    login(world.users[roles.A_CASE_MANAGER])
    client.post(f"/cases/{other.id}/dispatch/family_care", data={"org_id": world.orgs["b"].id,
                                                                "seen_proposal_id": world.orgs["b"].id})
    page = client.post(f"/cases/{case.id}/dispatch/family_care", data={
        "org_id": world.orgs["b"].id, "seen_proposal_id": world.orgs["b"].id,
        "override_reason": ""}).get_data(as_text=True)
    assert "建議名單已更新" in page and "並列家托" in page
    assert db.session.execute(db.select(Dispatch).filter_by(case_id=case.id)).first() is None


def test_b_unit_answers_dispatch(client, world, login, app_ctx):
    case = new_case(world, stage="dispatched")
    d = case.dispatches[0]
    db.session.commit()
    login(world.users[roles.B_STAFF])
    assert "新派案待回覆" in client.get("/").get_data(as_text=True)
    page = client.get(f"/dispatches/{d.id}").get_data(as_text=True)
    assert case.client.name in page and "接案" in page and case.client.national_id not in page
    assert client.get(f"/cases/{case.id}").status_code == 403
    assert client.post(f"/dispatches/{d.id}/accept").status_code == 303
    page = client.post(f"/dispatches/{d.id}/first-service", data={"first_service_on": "200/1/1"}).get_data(as_text=True)
    assert "不可晚於今天" in page
    with _freeze(D + timedelta(days=1)):
        assert client.post(f"/dispatches/{d.id}/first-service", data={"first_service_on": "114/3/3"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "IN_SERVICE"
    login(world.other_users[roles.B_HEAD])
    assert client.get(f"/dispatches/{d.id}").status_code == 404


def _change_form(twin):
    return {"version": 1, "requested_on": "114/3/3", "reasons": "家屬希望改由較近單位服務", "contact_on": "114/3/4",
            "contact_person": "陳美華（負責人）", "contact_content": "說明家屬需求", "coordination_result": "協調後仍需更換",
            "new_org_id": twin.id, "planned_start_on": "114/3/12", "matching_note": "",
            "confirmer_name": "王大明", "confirmer_relation": "兒子", "confirmed_on": "114/3/4"}


def test_change_of_provider_end_to_end_with_pdf_and_scan(client, world, login, app_ctx, tmp_path):
    import subprocess
    twin = second_family_care(world, "新選家托")
    case = new_case(world, stage="served")
    d = case.dispatches[0]
    db.session.commit()
    login(world.users[roles.A_CASE_MANAGER])
    response = client.post(f"/dispatches/{d.id}/change")
    assert response.status_code == 303
    req = db.session.execute(db.select(ChangeRequest).filter_by(dispatch_id=d.id)).scalar_one()
    fragment = client.get(f"/changes/{req.id}/candidate?new_org_id={twin.id}", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and "新選家托" in body and "順位" in body
    data = _change_form(twin)
    data.update(reasons="", action="submit")
    page = client.post(f"/changes/{req.id}/edit", data=data).get_data(as_text=True)
    assert "尚未填寫完整" in page and "王大明" in page
    data = _change_form(twin)
    data.update(action="submit", version=db.session.get(ChangeRequest, req.id).version)
    db.session.expire_all()
    response = client.post(f"/changes/{req.id}/edit", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    db.session.expire_all()
    req = db.session.get(ChangeRequest, req.id)
    assert req.state == "SUBMITTED" and "派案優先順序" in req.matching_note
    # upload: PNG accepted, a GIF renamed .pdf refused, oversize refused
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    page = client.post(f"/changes/{req.id}/scan", data={"scan": (io.BytesIO(b"GIF89a...."), "scan.pdf")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "只接受 PDF、JPEG 或 PNG" in page
    from portal.settings.operations import change_setting
    change_setting(officer(world), "cases.scan_max_bytes", 50)
    db.session.commit()
    page = client.post(f"/changes/{req.id}/scan", data={"scan": (io.BytesIO(png), "scan.png")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "上限" in page
    change_setting(officer(world), "cases.scan_max_bytes", 5_000_000)
    db.session.commit()
    assert client.post(f"/changes/{req.id}/scan", data={"scan": (io.BytesIO(png), "簽名.png")},
                       content_type="multipart/form-data").status_code == 303
    scan = client.get(f"/changes/{req.id}/scan")
    assert scan.status_code == 200 and scan.data == png and scan.mimetype == "image/png"
    # the bureau decides; a second officer deciding later sees a clear message and nothing changes
    login(world.users[roles.BUREAU_OFFICER])
    assert "更換服務單位申請待審" in client.get("/").get_data(as_text=True)
    page = client.post(f"/changes/{req.id}/decide", data={"decision": "return", "comment": "", "round": 1}
                       ).get_data(as_text=True)
    assert "退回時請填寫意見" in page
    assert client.post(f"/changes/{req.id}/decide", data={"decision": "approve", "comment": "同意", "round": 1}
                       ).status_code == 303
    login(world.users[roles.BUREAU_CHIEF])
    page = client.post(f"/changes/{req.id}/decide", data={"decision": "return", "comment": "再議", "round": 1}
                       ).get_data(as_text=True)
    assert "已由其他人處理" in page
    db.session.expire_all()
    req = db.session.get(ChangeRequest, req.id)
    assert req.state == "APPROVED" and req.decision_comment == "同意"
    pdf = tmp_path / "change.pdf"
    pdf.write_bytes(client.get(f"/changes/{req.id}.pdf").data)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "更換服務單位申請表" in text and "新選家托" in text and "☑同意更換" in text and "衛生局收件" in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert all(" yes " in line for line in fonts.splitlines()[2:] if line.strip())
    # both B units were notified
    login(world.users[roles.B_HEAD])
    assert "已更換服務單位" in client.get("/").get_data(as_text=True)


def test_visit_htmx_fragment_and_double_submit(client, world, login, app_ctx):
    case = new_case(world, stage="accepted")
    db.session.commit()
    login(world.users[roles.A_CASE_MANAGER])
    data = {"kind": "home", "visited_on": "114/3/3", "summary": "家訪：居家環境安全", "submission_key": "same-key"}
    with _freeze(D):
        response = client.post(f"/cases/{case.id}/visits?block=visits", data=data, headers={"HX-Request": "true"})
        body = response.get_data(as_text=True)
        assert response.status_code == 200 and "<html" not in body and "家訪：居家環境安全" in body
        client.post(f"/cases/{case.id}/visits", data=data)
    db.session.expire_all()
    assert len(db.session.get(Case, case.id).visits) == 1
    page = client.post(f"/cases/{case.id}/visits", data={**data, "summary": "", "submission_key": "k2"}
                       ).get_data(as_text=True)
    assert "請填寫訪視紀要" in page


def test_pause_request_screens(client, world, login, app_ctx):
    login(world.users[roles.A_UNIT_HEAD])
    with _freeze(date(2025, 3, 6)):
        page = client.get("/dispatch-pauses/new?kind=pause").get_data(as_text=True)
        assert "114年3月11日" in page
        page = client.post("/dispatch-pauses/new?kind=pause", data={
            "kind": "pause", "requested_on": "114/3/10", "reason": "個管師離職", "measures": "督導代理"}).get_data(as_text=True)
        assert "三個工作日前" in page and "督導代理" in page
        assert client.post("/dispatch-pauses/new?kind=pause", data={
            "kind": "pause", "requested_on": "114/3/11", "reason": "個管師離職", "measures": "督導代理"}).status_code == 303
    req = db.session.execute(db.select(PauseRequest).filter_by(organisation_id=world.orgs["a"].id)).scalar_one()
    login(world.users[roles.A_CASE_MANAGER])
    assert client.post(f"/dispatch-pauses/{req.id}/decide", data={"decision": "approve"}).status_code == 403
    login(world.users[roles.BUREAU_OFFICER])
    assert "暫停派案申請待審" in client.get("/").get_data(as_text=True)
    assert "暫停派案申請中" in client.get("/dispatch-pauses").get_data(as_text=True)   # §4.2 PAUSE_REQUESTED
    with _freeze(date(2025, 3, 7)):
        assert client.post(f"/dispatch-pauses/{req.id}/decide", data={"decision": "approve"}).status_code == 303
    login(world.users[roles.CARE_MANAGER])
    assert "暫停派案（衛生局核准）" in client.get("/").get_data(as_text=True)
    with _freeze(date(2025, 3, 11)):
        page = client.get("/dispatch-pauses").get_data(as_text=True)
        assert "暫停派案中" in page


def test_lists_are_scoped(client, world, login, app_ctx):
    new_case(world, stage="dispatched")
    db.session.commit()
    for role in (roles.A_CASE_MANAGER, roles.B_HEAD):
        login(world.users[role])
        for url in ("/dispatches", "/provider-services"):
            page = client.get(url).get_data(as_text=True)
            assert FOREIGN_MARKER not in page, url
    login(world.users[roles.A_CASE_MANAGER])
    for url in ("/cases", "/changes", "/dispatch-pauses", "/evaluations", "/case-managers"):
        page = client.get(url).get_data(as_text=True)
        assert FOREIGN_MARKER not in page, url
    login(world.users[roles.BUREAU_OFFICER])
    assert FOREIGN_MARKER in client.get("/cases").get_data(as_text=True)


def test_suspension_and_closure_screens(client, world, login, app_ctx):
    case = new_case(world, stage="served")
    db.session.commit()
    login(world.users[roles.B_HEAD])
    page = client.post(f"/cases/{case.id}/suspensions/new", data={
        "reason": "S1", "starts_on": "114/3/3", "away_from": "114/3/1", "away_to": "114/3/5",
        "details": "肺炎住院"}).get_data(as_text=True)
    assert "7 日以上" in page and "肺炎住院" in page
    assert client.post(f"/cases/{case.id}/suspensions/new", data={
        "reason": "S1", "starts_on": "114/3/3", "away_from": "114/3/1", "away_to": "114/3/8"}).status_code == 303
    login(world.users[roles.A_CASE_MANAGER])
    assert "B單位通報暫停服務" in client.get("/").get_data(as_text=True)
    susp_id = db.session.execute(db.select(ops.Suspension.id).filter_by(case_id=case.id)).scalar_one()
    assert client.post(f"/suspensions/{susp_id}/forward").status_code == 303
    login(world.users[roles.CARE_MANAGER])
    assert client.post(f"/suspensions/{susp_id}/decide", data={"decision": "record"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "SUSPENDED"


def test_service_codes_and_capacity_pages(client, world, login, app_ctx):
    login(world.users[roles.BUREAU_OFFICER])
    page = client.get("/service-codes").get_data(as_text=True)
    assert "BA01" in page and "基本身體清潔" in page
    login(world.users[roles.B_HEAD])
    response = client.post("/provider-services", data={"org_id": world.orgs["b"].id, "service_type": "family_care",
                                                        "capacity": 3, "accepting": "y"})
    assert response.status_code == 303
    assert client.post("/provider-services", data={"org_id": world.orgs["b_other"].id, "service_type": "family_care",
                                                    "capacity": 3}).status_code == 404
    login(world.users[roles.A_UNIT_HEAD])
    page = client.get("/case-managers").get_data(as_text=True)
    assert world.users[roles.A_CASE_MANAGER].full_name in page


def test_provider_services_scope_for_b_units(client, world, login, app_ctx):
    """A B head declares for its own unit without naming it; another unit's row is not found (404),
    a bureau officer must say which unit."""
    from portal.cases.models import ProviderService
    theirs = ProviderService(organisation_id=world.orgs["b_other"].id, service_type="home_care", capacity=2)
    db.session.add(theirs)
    db.session.commit()
    login(world.users[roles.B_HEAD])
    assert client.post("/provider-services", data={"service_type": "family_care", "capacity": 4,
                                                    "accepting": "y"}).status_code == 303
    mine = db.session.execute(db.select(ProviderService).filter_by(organisation_id=world.orgs["b"].id)).scalar_one()
    assert mine.capacity == 4
    assert client.post(f"/provider-services/{theirs.id}/delete").status_code == 404
    assert db.session.get(ProviderService, theirs.id) is not None
    login(world.users[roles.BUREAU_OFFICER])
    response = client.post("/provider-services", data={"service_type": "family_care", "capacity": 4})
    assert response.status_code == 422 and "請選擇要更新的服務單位" in response.get_data(as_text=True)


def test_change_candidate_fragment_without_htmx_gives_the_form_page(client, world, login, app_ctx):
    case = new_case(world, stage="served")
    req = ops.start_change_request(cm(world), case.dispatches[0], today=D)
    db.session.commit()
    login(world.users[roles.A_CASE_MANAGER])
    response = client.get(f"/changes/{req.id}/candidate")
    assert response.status_code in (302, 303) and response.headers["Location"].endswith(f"/changes/{req.id}/edit")
    assert client.get(f"/changes/{req.id}/candidate", headers={"HX-Request": "true"}).status_code == 200


def test_case_list_shows_the_earlier_of_phone_and_home_visit(client, world, login, app_ctx):
    """A phone visit due next month must not hide behind a home visit due in six months (R-CMD-04, Q09)."""
    case = new_case(world, stage="served")
    ops.record_visit(cm(world), case, "home", D, "家訪：確認照顧計畫", today=D)
    db.session.commit()
    login(world.users[roles.A_CASE_MANAGER])
    with _freeze(D + timedelta(days=45)):
        page = client.get("/cases").get_data(as_text=True)
    row = page.split(case.client.name, 1)[1].split("</tr>", 1)[0]
    assert "電訪" in row and "114年4月3日" in row and "已逾期" in row


def test_recorded_ranking_shown_to_a_unit_and_bureau_not_to_the_provider(client, world, login, app_ctx):
    """派案資訊透明化 (R-AB-01): the list the case manager saw is kept with the dispatch and shown."""
    case = new_case(world, stage="served")
    d = case.dispatches[0]
    assert d.ranking
    db.session.commit()
    for user, shown in ((world.users[roles.A_CASE_MANAGER], True), (officer(world), True),
                        (world.users[roles.B_HEAD], False)):
        login(user)
        page = client.get(f"/dispatches/{d.id}").get_data(as_text=True)
        assert ("派案時的建議名單" in page) is shown, user.role
        if shown:
            assert "選定" in page and d.ranking[0]["reasons"][0] in page
        assert ("回覆與服務" in page) is (user.role == roles.B_HEAD)   # served: only the provider still acts here


def test_bureau_adds_a_service_code_that_plans_can_use(client, world, login, app_ctx):
    """B/C/D/G codes are data (README §6.1): a new code of the payment standard is entered at 服務碼."""
    from portal.cases import codes as service_codes
    from portal.cases.models import ServiceCode
    login(officer(world))
    page = client.post("/service-codes", data={"code": "ba01", "name": "重複", "service_type": "home_care",
                                               "unit_label": "次"}).get_data(as_text=True)
    assert "已在表中" in page and 'value="重複"' in page
    page = client.post("/service-codes", data={"code": "X1", "name": "錯誤碼", "service_type": "home_care",
                                               "unit_label": "次"}).get_data(as_text=True)
    assert "服務碼格式" in page and 'value="錯誤碼"' in page
    response = client.post("/service-codes", data={"code": "ba99", "name": "測試新照顧碼", "service_type": "home_care",
                                                   "unit_label": "次"})
    assert response.status_code == 303
    row = db.session.execute(db.select(ServiceCode).filter_by(code="BA99")).scalar_one()
    assert row.family == "B" and row.active
    assert "BA99" in {c.code for c in service_codes.active_codes()}
    from portal.auditlog.models import AuditLogEntry
    assert db.session.execute(db.select(AuditLogEntry).filter_by(action="service_code.create")).scalars().first()
    login(world.users[roles.A_CASE_MANAGER])
    assert client.post("/service-codes", data={"code": "BA25", "name": "不可", "service_type": "home_care",
                                               "unit_label": "次"}).status_code == 403


def test_case_page_links_the_open_change_request_instead_of_starting_another(client, world, login, app_ctx):
    case = new_case(world, stage="served")
    d = case.dispatches[0]
    db.session.commit()
    login(world.users[roles.A_CASE_MANAGER])
    assert f"/dispatches/{d.id}/change" in client.get(f"/cases/{case.id}").get_data(as_text=True)
    client.post(f"/dispatches/{d.id}/change")
    req = db.session.execute(db.select(ChangeRequest).filter_by(dispatch_id=d.id)).scalar_one()
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f"/dispatches/{d.id}/change" not in page and f'href="/changes/{req.id}"' in page and "更換申請（草稿）" in page
