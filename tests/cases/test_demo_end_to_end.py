"""Referral → plan → dispatch → change of provider → approval → PDF, through the screens, as the demo
users of `flask seed-demo` (caremgr, a1cm, the B unit's head, officer), on the demo data as shipped."""
import re
import subprocess

from portal import clock
from portal.auth import roles
from portal.auth.models import User
from portal.cases.models import Case, CaseNotice, ChangeRequest, Dispatch
from portal.extensions import db
from tests.factories import make_client, valid_national_id

PASSWORD = "demo1234"


def _demo():
    from portal.demo_data import seed_all
    seed_all(PASSWORD)
    db.session.commit()
    return {u.username: u for u in db.session.execute(db.select(User)).scalars()}


def _roc(day):
    return f"{day.year - 1911}/{day.month}/{day.day}"


def _id_after(pattern, text):
    match = re.search(pattern, text)
    assert match, pattern
    return int(match.group(1))


def _b_head_of(org_id):
    return db.session.execute(db.select(User).where(User.organisation_id == org_id, User.role == roles.B_HEAD,
                                                    User.active).order_by(User.id)).scalars().first()


def test_referral_to_approved_change_of_provider_as_the_demo_users(client, login, app_ctx, tmp_path):
    users = _demo()
    caremgr, a1cm, officer = users["caremgr"], users["a1cm"], users["officer"]
    a_unit = a1cm.organisation
    areas = {a.id for a in a_unit.service_areas}
    # A newly registered client of the A unit's area (every demo client already has a case).
    # 南山鄉 (D04): a1's area where both demo home-care units serve, so there is a provider to change to
    area = next(a for a in a_unit.service_areas if a.code == "D04")
    person = make_client([], name="示範新個案", area=area, national_id=valid_national_id(987654))
    db.session.commit()
    today = clock.today()

    # 照專: assessment decision, consent, referral to a1cm's A unit
    login(caremgr, PASSWORD)
    page = client.get(f"/cases/new?client_id={person.id}").get_data(as_text=True)
    assert a_unit.name in page
    response = client.post(f"/cases/new?client_id={person.id}", data={
        "consent": "yes", "consent_on": _roc(today), "families": ["B"], "applied_by_org_id": 0,
        "a_unit_id": a_unit.id, "skip_reason": "示範：由東區A單位收案", "capacity_confirmed": "y",
        "submission_key": "demo-e2e-1"})
    assert response.status_code == 303, response.get_data(as_text=True)[:1500]
    case_id = _id_after(r"/cases/(\d+)", response.headers["Location"])

    # a1cm: the referral is on the dashboard with its answer deadline; accepts; drafts and submits the plan
    login(a1cm, PASSWORD)
    assert f"新轉介待收案：{person.name}" in client.get("/").get_data(as_text=True)
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    referral_id = _id_after(r"/referrals/(\d+)/accept", page)
    assert client.post(f"/referrals/{referral_id}/accept", data={"case_manager_id": a1cm.id}).status_code == 303
    plan_id = _id_after(r"/plans/(\d+)/edit", client.post(f"/cases/{case_id}/plans").headers["Location"])
    response = client.post(f"/plans/{plan_id}/edit", data={
        "version": 1, "problems": "獨居，沐浴需協助", "goals": "維持個人衛生與居家安全",
        "items-0-code": "BA01", "items-0-quantity": "8", "items-0-frequency": "每週2次", "action": "submit"})
    assert response.status_code == 303, response.get_data(as_text=True)[:1500]

    # 照專 approves the plan from the dashboard
    login(caremgr, PASSWORD)
    assert f"/plans/{plan_id}" in client.get("/").get_data(as_text=True)
    assert client.post(f"/plans/{plan_id}/approve").status_code == 303

    # a1cm dispatches home care to the unit the recommendation list proposes
    login(a1cm, PASSWORD)
    page = client.get(f"/cases/{case_id}/dispatch/home_care").get_data(as_text=True)
    assert "排序理由" in page and "可再收" in page
    proposal = _id_after(r'name="seen_proposal_id" value="(\d+)"', page)
    assert client.post(f"/cases/{case_id}/dispatch/home_care", data={
        "org_id": proposal, "seen_proposal_id": proposal}).status_code == 303
    d = db.session.execute(db.select(Dispatch).filter_by(case_id=case_id)).scalar_one()

    # the proposed B unit's head accepts and records the first service
    old_head = _b_head_of(proposal)
    login(old_head, PASSWORD)
    assert f"/dispatches/{d.id}" in client.get("/").get_data(as_text=True)
    assert client.post(f"/dispatches/{d.id}/accept").status_code == 303
    assert client.post(f"/dispatches/{d.id}/first-service", data={"first_service_on": _roc(today)}).status_code == 303

    # the family asks for another provider: a1cm fills 附件一 and sends it to the bureau
    login(a1cm, PASSWORD)
    change_id = _id_after(r"/changes/(\d+)/edit", client.post(f"/dispatches/{d.id}/change").headers["Location"])
    form = client.get(f"/changes/{change_id}/edit").get_data(as_text=True)
    new_org = _id_after(r'<option value="(\d+)">第 \d+ 順位', form)
    assert new_org != proposal
    response = client.post(f"/changes/{change_id}/edit", data={
        "version": 1, "requested_on": _roc(today), "reasons": "家屬希望改由可固定上午服務的單位",
        "contact_on": _roc(today), "contact_person": "原單位督導", "contact_content": "說明家屬對服務時段的需求",
        "coordination_result": "原單位無法固定時段，家屬仍希望更換", "new_org_id": new_org,
        "planned_start_on": _roc(today), "matching_note": "", "confirmer_name": "示範家屬",
        "confirmer_relation": "女兒", "confirmed_on": _roc(today), "action": "submit"})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]

    # officer: the request waits on the dashboard; the recorded ranking is on the page; approves
    login(officer, PASSWORD)
    # the county's queue is one dashboard item (issue 10) linking to the queue page, which lists the request
    assert re.search(r'href="/changes\?state=SUBMITTED">更換服務單位申請待審 \d+ 件', client.get("/").get_data(as_text=True))
    assert person.name in client.get("/changes?state=SUBMITTED").get_data(as_text=True)
    assert "媒合時的派案建議名單" in client.get(f"/changes/{change_id}").get_data(as_text=True)
    assert client.post(f"/changes/{change_id}/decide", data={"decision": "approve", "comment": "同意更換",
                                                             "round": 1}).status_code == 303
    # a second officer's decision on the same request changes nothing and says why
    login(users["chief"], PASSWORD)
    page = client.post(f"/changes/{change_id}/decide", data={"decision": "return", "comment": "退回",
                                                              "round": 1}).get_data(as_text=True)
    assert "已由其他人處理" in page
    response = client.get(f"/changes/{change_id}.pdf")
    assert response.mimetype == "application/pdf"
    pdf = tmp_path / "change.pdf"
    pdf.write_bytes(response.data)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    new_name = db.session.get(type(a_unit), new_org).name
    for expected in ("更換服務單位申請表", person.name, new_name, "家屬希望改由可固定上午服務的單位", "☑同意更換"):
        assert expected in text, expected

    db.session.expire_all()
    assert db.session.get(ChangeRequest, change_id).state == "APPROVED"
    case = db.session.get(Case, case_id)
    assert [x.organisation_id for x in case.dispatches if x.is_active] == [new_org]
    assert [p.state for p in case.plans] == ["SUPERSEDED", "APPROVED"]
    # both B units were told in the portal
    told = set(db.session.execute(db.select(CaseNotice.organisation_id).where(CaseNotice.case_id == case_id))
               .scalars())
    assert {proposal, new_org} <= told
    login(_b_head_of(new_org), PASSWORD)
    assert "新派案待回覆" in client.get("/").get_data(as_text=True)
