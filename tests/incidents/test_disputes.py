"""Dispute mediation (爭議調處): the 20-day notice, scheduling, results, a link from the incident."""
import re
from datetime import date, timedelta

from portal import clock
from portal.auth import roles
from portal.extensions import db
from portal.incidents.models import DisputeMediation
from tests.incidents.helpers import make_incident


def _roc(day):
    return f"{day.year - 1911}/{day.month}/{day.day}"


def test_register_a_dispute_from_an_incident_and_schedule_it(client, world, login, app_ctx):
    incident = make_incident(world.users[roles.B_HEAD], world.clients["own"], submit=True)
    db.session.commit()
    login(world.users[roles.BUREAU_OFFICER])
    form = client.get(f"/disputes/new?incident_id={incident.id}").get_data(as_text=True)
    assert incident.ref_no in form
    received = date(2025, 3, 10)
    response = client.post(f"/disputes/new?incident_id={incident.id}", data={
        "submission_key": "d-1", "incident_id": incident.id, "applicant_name": "王小明", "applicant_relation": "兒子",
        "subject": "跌倒責任歸屬", "claim": "請求機構說明並負擔醫療費用。", "received_on": _roc(received)})
    assert response.status_code == 303
    dispute = db.session.execute(db.select(DisputeMediation).filter_by(incident_id=incident.id)).scalar_one()
    assert dispute.notice_due_on == date(2025, 3, 31)  # WE-35: day 20 is a Sunday → Monday
    assert dispute.respondent_org_id == world.orgs["b"].id
    # The unit sees the linked dispute's schedule on the incident page, not the mediation file.
    login(world.users[roles.B_HEAD])
    assert "跌倒責任歸屬" in client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert client.get(f"/disputes/{dispute.id}").status_code == 403
    login(world.users[roles.BUREAU_OFFICER])
    response = client.post(f"/disputes/{dispute.id}/schedule", data={
        "hearing_date": _roc(date(2025, 4, 8)), "hearing_time": "14:00", "hearing_place": "衛生局第一會議室",
        "notified_on": _roc(date(2025, 3, 20)), "version": dispute.version})
    assert response.status_code == 303
    db.session.expire_all()
    dispute = db.session.get(DisputeMediation, dispute.id)
    assert dispute.status == "scheduled" and dispute.parties_notified_on <= dispute.notice_due_on
    page = client.get(f"/disputes/{dispute.id}").get_data(as_text=True)
    assert "準時" in page and "衛生局第一會議室" in page
    assert client.post(f"/disputes/{dispute.id}/conclude", data={
        "outcome": "settle", "concluded_on": _roc(date(2025, 4, 8)), "note": "雙方同意和解。",
        "version": dispute.version}).status_code == 303
    page = client.post(f"/disputes/{dispute.id}/conclude", data={
        "outcome": "fail", "concluded_on": _roc(date(2025, 4, 8)), "note": "再次登錄",
        "version": dispute.version + 1}).get_data(as_text=True)
    assert "不會重複登錄" in page
    db.session.expire_all()
    assert db.session.get(DisputeMediation, dispute.id).status == "settled"


def test_only_withdrawal_before_scheduling_and_the_board_shows_due_notices(client, world, login, app_ctx):
    login(world.users[roles.CARE_MANAGER])
    today = clock.today()
    client.post("/disputes/new", data={"submission_key": "d-2", "applicant_name": "李太太", "subject": "服務時數爭議",
                                       "claim": "主張服務時數不足。", "received_on": _roc(today - timedelta(days=25))})
    dispute = db.session.execute(db.select(DisputeMediation).filter_by(subject="服務時數爭議")).scalar_one()
    page = client.post(f"/disputes/{dispute.id}/conclude", data={
        "outcome": "settle", "concluded_on": _roc(today), "note": "x"}).get_data(as_text=True)
    assert "只能登錄「申請人撤回」" in page
    board = client.get("/incidents/board").get_data(as_text=True)
    assert "服務時數爭議" in board and "已逾期" in board
    login(world.users[roles.BUREAU_OFFICER])   # the bureau's queue is one dashboard item linking to the board
    home = client.get("/").get_data(as_text=True)
    assert re.search(r'<a href="/incidents/board">爭議調處待通知雙方調處期日及地點 \d+ 件（逾期 1 件）', home)
    assert "服務時數爭議" in client.get("/incidents/board").get_data(as_text=True)


def test_dispute_form_errors_and_roles(client, world, login):
    login(world.users[roles.BUREAU_OFFICER])
    future = clock.today() + timedelta(days=3)
    page = client.post("/disputes/new", data={"applicant_name": "", "subject": "", "claim": "",
                                              "received_on": _roc(future)}).get_data(as_text=True)
    assert "請填寫申請人" in page and "受理日期不能晚於今天" in page
    for role in (roles.B_HEAD, roles.A_CASE_MANAGER, roles.ADMIN):
        login(world.users[role])
        assert client.get("/disputes").status_code == 403
