"""Referral → plan → dispatch → change of provider → approval → PDF, only through the screens,
as the 照專 (caremgr), the A-unit case manager (a1cm), the B units and the bureau officer."""
import re
import subprocess
from datetime import datetime

from portal import clock
from portal.auth import roles
from portal.cases.models import Case, ChangeRequest, Dispatch
from portal.extensions import db
from tests.cases.helpers import second_family_care
from tests.factories import make_client, make_user


def _at(y, m, d):
    return clock.freeze(datetime(y, m, d, 9, 30))


def _id_after(pattern, text):
    match = re.search(pattern, text)
    assert match, pattern
    return int(match.group(1))


def test_referral_to_change_of_provider_pdf(client, world, login, app_ctx, tmp_path):
    person = make_client([], name="王阿公", area=world.areas[0])
    twin = second_family_care(world, "示範第二家托")
    twin_head = make_user(roles.B_HEAD, twin, username="twin_head")
    db.session.commit()
    caremgr, a1cm = world.users[roles.CARE_MANAGER], world.users[roles.A_CASE_MANAGER]

    with _at(2025, 3, 3):   # 照專: assessment, consent, referral to the A unit of the area
        login(caremgr)
        response = client.post(f"/cases/new?client_id={person.id}", data={
            "consent": "yes", "consent_on": "114/3/3", "families": ["B"], "applied_by_org_id": 0,
            "a_unit_id": world.orgs["a"].id, "submission_key": "e2e-1"})
        assert response.status_code == 303
        case_id = _id_after(r"/cases/(\d+)", response.headers["Location"])

    with _at(2025, 3, 4):   # a1cm: sees the referral with its 2-day deadline and accepts it
        login(a1cm)
        home = client.get("/").get_data(as_text=True)
        assert "新轉介待收案：王阿公" in home and "114年3月5日" in home
        page = client.get(f"/cases/{case_id}").get_data(as_text=True)
        referral_id = _id_after(r"/referrals/(\d+)/accept", page)
        assert client.post(f"/referrals/{referral_id}/accept", data={"case_manager_id": a1cm.id}).status_code == 303
        # drafts the care plan and sends it to the centre
        response = client.post(f"/cases/{case_id}/plans")
        plan_id = _id_after(r"/plans/(\d+)/edit", response.headers["Location"])
        response = client.post(f"/plans/{plan_id}/edit", data={
            "version": 1, "problems": "白天獨居，行動需攙扶", "goals": "白天有人照顧，維持社會參與",
            "items-0-code": "BC01", "items-0-quantity": "20", "items-0-frequency": "每週5日", "action": "submit"})
        assert response.status_code == 303

    with _at(2025, 3, 5):   # 照專 approves the plan
        login(caremgr)
        assert f"/plans/{plan_id}" in client.get("/").get_data(as_text=True)
        assert client.post(f"/plans/{plan_id}/approve").status_code == 303

    with _at(2025, 3, 6):   # a1cm dispatches with the recommendation list
        login(a1cm)
        page = client.get(f"/cases/{case_id}").get_data(as_text=True)
        assert "114年3月14日" in page     # first service within 7 office days of 3/5 (WE-03 style)
        page = client.get(f"/cases/{case_id}/dispatch/family_care").get_data(as_text=True)
        proposal = _id_after(r'name="seen_proposal_id" value="(\d+)"', page)
        assert proposal == world.orgs["b"].id     # registered first among tied local units (rotation)
        assert client.post(f"/cases/{case_id}/dispatch/family_care", data={
            "org_id": proposal, "seen_proposal_id": proposal}).status_code == 303

    with _at(2025, 3, 7):   # the B unit accepts and records the first service
        login(world.users[roles.B_HEAD])
        d = db.session.execute(db.select(Dispatch).filter_by(case_id=case_id)).scalar_one()
        assert client.post(f"/dispatches/{d.id}/accept").status_code == 303
        assert client.post(f"/dispatches/{d.id}/first-service", data={"first_service_on": "114/3/7"}).status_code == 303

    with _at(2025, 4, 1):   # the family asks for another provider; a1cm fills 附件一
        login(a1cm)
        response = client.post(f"/dispatches/{d.id}/change")
        change_id = _id_after(r"/changes/(\d+)/edit", response.headers["Location"])
        form = client.get(f"/changes/{change_id}/edit").get_data(as_text=True)
        assert "示範第二家托" in form and "甲家庭托顧" in form
        response = client.post(f"/changes/{change_id}/edit", data={
            "version": 1, "requested_on": "114/3/28", "reasons": "家屬希望改至離家較近的家托",
            "contact_on": "114/3/31", "contact_person": "原家托負責人", "contact_content": "說明家屬需求",
            "coordination_result": "協調後家屬仍希望更換", "new_org_id": twin.id, "planned_start_on": "114/4/8",
            "matching_note": "", "confirmer_name": "王小明", "confirmer_relation": "兒子", "confirmed_on": "114/3/31",
            "action": "submit"})
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]

    with _at(2025, 4, 2):   # the bureau officer approves
        login(world.users[roles.BUREAU_OFFICER])
        assert 'href="/changes?state=SUBMITTED">更換服務單位申請待審 1 件' in client.get("/").get_data(as_text=True)
        assert "王阿公" in client.get("/changes?state=SUBMITTED").get_data(as_text=True)   # the queue page
        assert client.post(f"/changes/{change_id}/decide", data={"decision": "approve", "comment": "同意更換",
                                                                 "round": 1}).status_code == 303
        response = client.get(f"/changes/{change_id}.pdf")
        assert response.mimetype == "application/pdf"
        pdf = tmp_path / "change.pdf"
        pdf.write_bytes(response.data)

    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for expected in ("更換服務單位申請表", "王阿公", "甲家庭托顧", "示範第二家托", "家屬希望改至離家較近的家托",
                     "☑家庭托顧服務", "☑同意更換", "同意更換", "114年4月2日"):
        assert expected in text, expected
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / "page")], check=True)

    db.session.expire_all()
    case = db.session.get(Case, case_id)
    req = db.session.get(ChangeRequest, change_id)
    assert req.state == "APPROVED" and [p.state for p in case.plans] == ["SUPERSEDED", "APPROVED"]
    active = [x for x in case.dispatches if x.is_active]
    assert [x.organisation_id for x in active] == [twin.id]

    with _at(2025, 4, 2):   # both B units were told in the portal; the new one has a dispatch to answer
        login(world.users[roles.B_HEAD])
        assert "已更換服務單位為 示範第二家托" in client.get("/").get_data(as_text=True)
        assert client.get(f"/dispatches/{d.id}").status_code == 200       # its own history stays visible
        login(twin_head)
        home = client.get("/").get_data(as_text=True)
        assert "新派案：個案 王阿公" in home and "新派案待回覆" in home

    with _at(2025, 4, 3):   # a1cm records the plan change in the national system
        login(a1cm)
        assert client.post(f"/changes/{change_id}/complete", data={
            "version": db.session.get(ChangeRequest, change_id).version, "plan_changed_on": "114/4/3",
            "uploaded_to_system": "y"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(ChangeRequest, change_id).state == "COMPLETED"
