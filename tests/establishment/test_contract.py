"""參、六 服務契約: the applicant uploads the draft; the bureau agrees (已同意) or asks for changes (需修正);
a changed draft is 待審 again (establishment-plan.md §4 參、六)."""
import io
import subprocess

import pytest

from portal.auditlog.models import AuditLogEntry
from portal.auth import roles
from portal.establishment import models as m
from portal.establishment import operations as ops
from portal.establishment.demo_content import demo_image, fill_plan, plan_content
from portal.extensions import db
from tests.concurrency import assert_no_server_errors, count_rows, fresh, needs_postgres, race
from tests.factories import make_user


@pytest.fixture
def plan(world, app_ctx):
    author = world.users[roles.APPLICANT]
    p = ops.create_plan(author, world.orgs["applicant"])
    fill_plan(author, p, plan_content([world.areas[0].id], "測試縣"))
    db.session.commit()
    return p


def _received(world, plan):
    ops.submit_plan(world.users[roles.APPLICANT], plan, {})
    ops.receive_plan(world.users[roles.BUREAU_OFFICER], plan, "設立-T-1", None)
    db.session.commit()


def _form(plan, **over):
    review = plan.contract_review()
    data = {"attachment_id": plan.contract_draft().id, "seen_review_id": review.id if review else 0,
            "letter_no": "", "note": "", "decision": "approved"}
    data.update(over)
    return data


def test_status_follows_the_draft_and_the_bureau(client, world, login, plan, app_ctx):
    applicant, officer = world.users[roles.APPLICANT], world.users[roles.BUREAU_OFFICER]
    assert plan.contract_status == m.CONTRACT_PENDING
    login(applicant)
    page = client.get(f"/establishment/plans/{plan.id}/sections/contract").get_data(as_text=True)
    assert "服務契約審查" in page and "待審" in page and "同意契約草案" not in page
    _received(world, plan)
    login(officer)
    assert "服務契約草案待審" in client.get("/").get_data(as_text=True)
    page = client.get(f"/establishment/plans/{plan.id}/sections/contract").get_data(as_text=True)
    assert "同意契約草案" in page
    # 需修正 needs the reason
    client.post(f"/establishment/plans/{plan.id}/contract-review", data=_form(plan, decision="revise"))
    assert fresh(m.EstablishmentPlan, plan.id).contract_status == m.CONTRACT_PENDING
    reply = client.post(f"/establishment/plans/{plan.id}/contract-review", follow_redirects=True,
                        data=_form(plan, decision="revise", note="第 8 條終止條款請依應記載事項修正"))
    assert "需修正" in reply.get_data(as_text=True)
    p = fresh(m.EstablishmentPlan, plan.id)
    assert p.contract_status == m.CONTRACT_REVISE
    client.post(f"/establishment/plans/{plan.id}/decide", data={"decision": "return", "note": "請修正契約",
                                                                 "version": p.version})
    # the applicant sees the reason, uploads a corrected draft: 待審 again
    login(applicant)
    page = client.get(f"/establishment/plans/{plan.id}/sections/contract").get_data(as_text=True)
    assert "第 8 條終止條款" in page and "需修正" in page
    client.post(f"/establishment/plans/{plan.id}/uploads/contract_draft", content_type="multipart/form-data",
                data={"file": (io.BytesIO(demo_image("契約修正版")), "契約修正版.png")})
    p = fresh(m.EstablishmentPlan, plan.id)
    assert p.contract_status == m.CONTRACT_PENDING and p.contract_draft().filename == "契約修正版.png"
    client.post(f"/establishment/plans/{plan.id}/submit")
    login(officer)
    p = fresh(m.EstablishmentPlan, plan.id)
    client.post(f"/establishment/plans/{plan.id}/contract-review",
                data=_form(p, letter_no="府衛長字第 1150001234 號"))
    p = fresh(m.EstablishmentPlan, plan.id)
    assert p.contract_status == m.CONTRACT_APPROVED and p.contract_review().letter_no == "府衛長字第 1150001234 號"
    assert [r.decision for r in p.contract_reviews] == ["revise", "approved"]
    assert count_rows(AuditLogEntry, action="establishment.contract_approved") == 1
    overview = client.get(f"/establishment/plans/{plan.id}").get_data(as_text=True)
    assert "已同意" in overview and "服務契約草案待審" not in client.get("/").get_data(as_text=True)


def test_double_click_records_once_and_a_colleagues_decision_is_not_overwritten(client, world, login, plan, app_ctx):
    _received(world, plan)
    officer = world.users[roles.BUREAU_OFFICER]
    chief = world.users[roles.BUREAU_CHIEF]
    seen = _form(plan)  # both opened the page while it was 待審
    login(officer)
    client.post(f"/establishment/plans/{plan.id}/contract-review", data=seen)
    client.post(f"/establishment/plans/{plan.id}/contract-review", data=seen)
    assert len(fresh(m.EstablishmentPlan, plan.id).contract_reviews) == 1
    login(chief)
    page = client.post(f"/establishment/plans/{plan.id}/contract-review", follow_redirects=True,
                       data=dict(seen, decision="revise", note="另一位的意見")).get_data(as_text=True)
    assert f"{officer.full_name} 已將服務契約審查為「已同意」" in page
    p = fresh(m.EstablishmentPlan, plan.id)
    assert [r.decision for r in p.contract_reviews] == ["approved"]


def test_only_after_receipt_and_only_the_file_that_was_seen(world, plan, app_ctx):
    officer = world.users[roles.BUREAU_OFFICER]
    with pytest.raises(Exception, match="收案後"):
        ops.review_contract(officer, plan, "approved", attachment_id=plan.contract_draft().id, seen_review_id=0)
    db.session.rollback()
    _received(world, plan)
    with pytest.raises(Exception, match="更換服務契約草案"):
        ops.review_contract(officer, plan, "approved", attachment_id=plan.contract_draft().id + 999, seen_review_id=0)
    db.session.rollback()
    with pytest.raises(Exception, match="衛生局承辦人或科長"):
        ops.review_contract(world.users[roles.APPLICANT], plan, "approved", attachment_id=plan.contract_draft().id,
                            seen_review_id=0)


def test_pdf_states_the_contract_status(client, world, login, plan, app_ctx, tmp_path):
    _received(world, plan)
    officer = world.users[roles.BUREAU_OFFICER]
    login(officer)

    def text():
        path = tmp_path / "plan.pdf"
        path.write_bytes(client.get(f"/establishment/plans/{plan.id}.pdf").data)
        return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout.replace(" ", "").replace("\n", "")
    assert "契約草案待本縣主管機關審查同意" in text()
    ops.review_contract(officer, plan, "approved", attachment_id=plan.contract_draft().id, seen_review_id=0,
                        letter_no="府衛長字第1150001234號")
    db.session.commit()
    assert "業經本縣主管機關於中華民國" in text() and "府衛長字第1150001234號" in text()


@needs_postgres
def test_two_reviewers_decide_the_contract_at_once(race_server, world, app_ctx, plan):
    _received(world, plan)
    reviewers = [make_user(roles.BUREAU_OFFICER, world.orgs["bureau"]), make_user(roles.BUREAU_CHIEF, world.orgs["bureau"])]
    db.session.commit()
    form = _form(plan)
    url = f"/establishment/plans/{plan.id}/contract-review"
    browsers = race_server.browsers(reviewers)
    pages = race([lambda b=browsers[0]: b.post(url, dict(form, decision="approved"), follow=True),
                  lambda b=browsers[1]: b.post(url, dict(form, decision="revise", note="條款待修"), follow=True)])
    assert_no_server_errors(pages)
    p = fresh(m.EstablishmentPlan, plan.id)
    assert len(p.contract_reviews) == 1
    loser = next(pg for pg in pages if not pg.flashes("success"))
    assert "已將服務契約審查為" in " ".join(loser.flashes("error"))


def test_a_draft_to_revise_keeps_the_checklist_open_until_replaced(client, world, login, plan, app_ctx):
    _received(world, plan)
    officer, applicant = world.users[roles.BUREAU_OFFICER], world.users[roles.APPLICANT]
    ops.review_contract(officer, plan, "revise", attachment_id=plan.contract_draft().id, seen_review_id=0,
                        note="第 8 條請修正")
    ops.return_plan(officer, plan, "請修正契約")
    db.session.commit()
    login(applicant)
    client.post(f"/establishment/plans/{plan.id}/submit")
    assert fresh(m.EstablishmentPlan, plan.id).status == m.RETURNED  # refused: the contract is still 需修正
    page = client.get(f"/establishment/plans/{plan.id}").get_data(as_text=True)
    assert "上傳修正後的草案" in page
    client.post(f"/establishment/plans/{plan.id}/uploads/contract_draft", content_type="multipart/form-data",
                data={"file": (io.BytesIO(demo_image("契約修正版")), "契約修正版.png")})
    client.post(f"/establishment/plans/{plan.id}/submit")
    assert fresh(m.EstablishmentPlan, plan.id).status == m.RECEIVED
