"""Audits: templates, rounds, per-tap scoring (idempotent, conflicts), finalise, consequences, units, PDFs."""
import io
import re
import subprocess
from datetime import date, datetime

import pytest

from portal import clock
from portal.audits import operations as ops
from portal.audits.models import (Audit, AuditAnswer, AuditAnswerChange, AuditCorrection, AuditItem, AuditPhoto,
                                  AuditTemplate, AuditTemplateVersion)
from portal.auth import roles
from portal.contracts import rules as contract_rules
from portal.contracts.models import Contract
from portal.dashboard.registry import collect_action_items
from portal.errors import Refused, TransitionNotAllowed
from portal.extensions import db
from portal.orgs.standing import referral_blockers, unit_summaries
from tests.audits.factories import ensure_templates, finished_audit, make_audit, score
from tests.contracts.factories import make_contract
from tests.factories import FOREIGN_MARKER, make_user

HX = {"HX-Request": "true"}


@pytest.fixture
def team(world):
    """The world's auditor as lead, a second auditor, an audit of the home A unit today."""
    lead = world.users[roles.AUDITOR]
    second = make_user(roles.AUDITOR, world.orgs["bureau"], username="t_auditor_2", full_name="第二委員")
    audit = make_audit(world.orgs["a"], lead, others=[second], on=date(2025, 3, 10))
    db.session.commit()
    return {"lead": lead, "second": second, "audit": audit, "items": audit.template_version.items}


def _answer(client, audit, item, outcome, *, rev=0, key=None, note="", force=False, headers=HX):
    data = {f"outcome-{item.id}": outcome, f"rev-{item.id}": rev, f"note-{item.id}": note}
    if key:
        data["client_key"] = key
    if force:
        data["force_item"] = item.id
    return client.post(f"/audits/{audit.id}/items/{item.id}/answer", data=data, headers=headers)


# --- templates ------------------------------------------------------------------------------

def test_default_a_unit_sheet_has_13_placeholder_items(world, app_ctx):
    ensure_templates()
    template = db.session.execute(db.select(AuditTemplate).filter_by(code="a_unit")).scalar_one()
    version = template.versions[0]
    assert version.status == "published" and len(version.items) == 13 and version.pass_mark == 8
    assert all(i.placeholder for i in version.items) and [i.number for i in version.items] == list(range(1, 14))
    family = db.session.execute(db.select(AuditTemplate).filter_by(code="family_care")).scalar_one()
    assert family.target_subtype == "family_care" and any(i.allow_na for i in family.versions[0].items)


def test_template_versions_publish_rules_and_freeze(client, world, login, app_ctx):
    ensure_templates()
    db.session.commit()
    template = db.session.execute(db.select(AuditTemplate).filter_by(code="a_unit")).scalar_one()
    published = template.versions[0]
    login(world.users[roles.BUREAU_OFFICER])
    # a published version cannot be edited
    item = published.items[0]
    response = client.post(f"/audits/template-items/{item.id}/edit", data={"title": "改", "section_id": 0,
                                                                          "scoring": "pass_fail"})
    assert "不能修改" in client.get(response.headers["Location"]).get_data(as_text=True)
    # a new draft copies the 13 items
    response = client.post(f"/audits/templates/{template.id}/draft")
    draft = db.session.execute(db.select(AuditTemplateVersion).filter_by(template_id=template.id, version_no=2)).scalar_one()
    assert response.headers["Location"].endswith(f"/audits/template-versions/{draft.id}") and len(draft.items) == 13
    # replace the placeholder text of item 1; delete item 13 → cannot publish with 12 items
    first = draft.items[0]
    client.post(f"/audits/template-items/{first.id}/edit", data={
        "section_id": first.section_id, "title": "個管人員資格（縣府公告版）", "scoring": "pass_fail", "criterion": "依公告"})
    client.post(f"/audits/template-items/{draft.items[-1].id}/delete")
    db.session.expire_all()
    page = client.get(f"/audits/template-versions/{draft.id}").get_data(as_text=True)
    assert "此查核表須有 13 題，目前為 12 題" in page
    client.post(f"/audits/template-versions/{draft.id}/items/new", data={
        "section_id": draft.sections[-1].id, "title": "新增題目", "scoring": "pass_fail"})
    client.post(f"/audits/template-versions/{draft.id}", data={
        "label": "114年6月版", "effective_from": "114/6/1", "pass_rule": "items", "pass_mark": 8,
        "required_items": 13, "version": draft.version})
    db.session.expire_all()
    draft = db.session.get(AuditTemplateVersion, draft.id)
    client.post(f"/audits/template-versions/{draft.id}/publish", data={"version": draft.version})
    db.session.expire_all()
    draft = db.session.get(AuditTemplateVersion, draft.id)
    assert draft.status == "published" and draft.items[0].title == "個管人員資格（縣府公告版）"
    assert db.session.get(AuditTemplateVersion, published.id).status == "retired"
    # an audit keeps the version in effect on its date
    early = make_audit(world.orgs["a"], world.users[roles.AUDITOR], on=date(2025, 5, 30))
    late = make_audit(world.orgs["a"], world.users[roles.AUDITOR], on=date(2025, 6, 2))
    assert early.template_version_id == published.id and late.template_version_id == draft.id


def test_only_bureau_edits_templates(client, world, login):
    login(world.users[roles.AUDITOR])
    assert client.get("/audits/templates").status_code == 403
    login(world.users[roles.BUREAU_CHIEF])
    assert client.get("/audits/templates").status_code == 200
    assert client.get("/audits/templates/new").status_code == 403


# --- rounds ---------------------------------------------------------------------------------

def test_plan_round_and_schedule_units(client, world, login, app_ctx):
    ensure_templates()
    db.session.commit()
    login(world.users[roles.BUREAU_OFFICER])
    response = client.post("/audits/rounds/new", data={"title": "114年第2次查核", "starts_on": "114/3/1",
                                                      "ends_on": "114/3/31"})
    round_id = int(response.headers["Location"].rsplit("/", 1)[1])
    lead = world.users[roles.AUDITOR]
    form = {"organisation_id": world.orgs["b"].id, "scheduled_on": "114/3/12", "lead_id": lead.id,
            "audit_type": "regular"}
    assert client.post(f"/audits/rounds/{round_id}", data=form).status_code == 303
    audit = db.session.execute(db.select(Audit).filter_by(round_id=round_id)).scalar_one()
    assert audit.template_version.template.code == "family_care" and audit.lead.id == lead.id
    assert len(audit.answers) == len(audit.template_version.items)
    page = client.post(f"/audits/rounds/{round_id}", data={**form, "organisation_id": world.orgs["a"].id,
                                                           "scheduled_on": "114/4/2"}).get_data(as_text=True)
    assert "查核日期須在梯次期間內" in page
    # the auditor sees the assignment; the unit sees the date but no scores
    login(lead)
    assert "甲家庭托顧" in client.get("/audits").get_data(as_text=True)
    login(world.users[roles.B_HEAD])
    page = client.get(f"/audits/{audit.id}").get_data(as_text=True)
    assert "查核結果將於委員送出後公布" in page
    assert client.get(f"/audits/{audit.id}/score").status_code == 403


# --- scoring ---------------------------------------------------------------------------------

def test_tap_saves_with_tick_and_live_tally(client, login, team):
    login(team["lead"])
    audit, items = team["audit"], team["items"]
    page = client.get(f"/audits/{audit.id}/score").get_data(as_text=True)
    assert "已合格 0／13，尚差 8 題" in page and 'hx-post="/audits/' in page and "audits-scoring.js" in page
    response = _answer(client, audit, items[0], "pass", key="k-1")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["X-Answer-Status"] == "saved"
    assert "✓ 已儲存" in body and 'id="tally"' in body and 'hx-swap-oob="true"' in body
    assert "已合格 1／13，尚差 7 題" in body and "<html" not in body


def test_resending_the_same_answer_changes_nothing(client, login, team, app_ctx):
    login(team["lead"])
    audit, item = team["audit"], team["items"][0]
    assert _answer(client, audit, item, "fail", key="same", note="缺失").headers["X-Answer-Status"] == "saved"
    again = _answer(client, audit, item, "fail", key="same", note="缺失")
    assert again.headers["X-Answer-Status"] == "duplicate" and "✓ 已儲存" in again.get_data(as_text=True)
    answer = db.session.execute(db.select(AuditAnswer).filter_by(audit_id=audit.id, item_id=item.id)).scalar_one()
    assert answer.revision == 1 and answer.outcome == "fail"
    assert db.session.execute(db.select(db.func.count()).select_from(AuditAnswerChange)
                              .filter_by(answer_id=answer.id)).scalar() == 1


def test_replayed_queue_in_order_last_answer_wins(client, login, team, app_ctx):
    """The offline queue: answers sent late, in order, all based on the revision the screen showed."""
    login(team["lead"])
    audit, item = team["audit"], team["items"][2]
    for n, outcome in enumerate(("pass", "fail", "pass")):
        assert _answer(client, audit, item, outcome, rev=0, key=f"q{n}").headers["X-Answer-Status"] == "saved"
    answer = db.session.execute(db.select(AuditAnswer).filter_by(audit_id=audit.id, item_id=item.id)).scalar_one()
    assert answer.outcome == "pass" and answer.revision == 3


def test_second_auditor_never_overwrites_silently(client, login, team, app_ctx):
    audit, item = team["audit"], team["items"][4]
    login(team["second"])
    assert _answer(client, audit, item, "fail", rev=0, note="第二委員認為不合格").headers["X-Answer-Status"] == "saved"
    login(team["lead"])   # the lead's screen still shows revision 0
    response = _answer(client, audit, item, "pass", rev=0)
    body = response.get_data(as_text=True)
    assert response.headers["X-Answer-Status"] == "conflict"
    assert "第二委員" in body and "尚未儲存" in body and "改用我的答案" in body and "保留對方的答案" in body
    answer = db.session.execute(db.select(AuditAnswer).filter_by(audit_id=audit.id, item_id=item.id)
                                .execution_options(populate_existing=True)).scalar_one()
    assert answer.outcome == "fail" and answer.answered_by_name == "第二委員"
    # the refreshed scoring page shows the other auditor's saved answer
    page = client.get(f"/audits/{audit.id}/score").get_data(as_text=True)
    assert f'id="o-{item.id}-fail" name="outcome-{item.id}" value="fail" checked' in page
    # the lead decides explicitly to use their answer
    assert _answer(client, audit, item, "pass", rev=0, force=True).headers["X-Answer-Status"] == "saved"
    db.session.expire_all()
    answer = db.session.get(AuditAnswer, answer.id)
    assert answer.outcome == "pass" and answer.revision == 2


def test_bad_answers_refused(client, login, team):
    login(team["lead"])
    audit, item = team["audit"], team["items"][0]
    response = _answer(client, audit, item, "na")   # the A-unit sheet has no 不適用 (Q06)
    assert response.status_code == 422 and "請選擇「合格」或「不合格」" in response.get_data(as_text=True)


def test_unassigned_auditor_cannot_score(client, world, login, team):
    stranger = make_user(roles.AUDITOR, world.orgs["bureau"], username="t_stranger")
    db.session.commit()
    login(stranger)
    assert client.get(f"/audits/{team['audit'].id}/score").status_code == 404
    assert _answer(client, team["audit"], team["items"][0], "pass").status_code == 404


def test_plain_form_without_javascript(client, login, team, app_ctx):
    login(team["lead"])
    audit, items = team["audit"], team["items"]
    data = {f"outcome-{i.id}": "pass" for i in items[:3]}
    data.update({f"rev-{i.id}": 0 for i in items})
    data[f"note-{items[1].id}"] = "備註"
    response = client.post(f"/audits/{audit.id}/score", data={**data, "save_item": items[1].id})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"#item-{items[1].id}")
    saved = {a.item_id: a for a in db.session.execute(db.select(AuditAnswer).filter_by(audit_id=audit.id)
                                                      .execution_options(populate_existing=True)).scalars()}
    assert saved[items[1].id].outcome == "pass" and saved[items[0].id].outcome is None
    response = client.post(f"/audits/{audit.id}/score", data={**data, "save_all": "1"})
    assert "已儲存 2 題" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_finalise_rules_we13(client, login, team, app_ctx):
    audit, items = team["audit"], team["items"]
    login(team["second"])
    assert client.get(f"/audits/{audit.id}/finalise").status_code == 200
    assert "只有主評委員" in client.get(f"/audits/{audit.id}/finalise").get_data(as_text=True)
    login(team["lead"])
    for item in items[:12]:
        _answer(client, audit, item, "pass" if item.number <= 7 else "fail")
    page = client.post(f"/audits/{audit.id}/finalise", data={"confirm": "y", "version": audit.version}).get_data(as_text=True)
    assert "尚有 1 題未評分" in page
    _answer(client, audit, items[12], "fail")
    db.session.expire_all()
    audit = db.session.get(Audit, audit.id)
    response = client.post(f"/audits/{audit.id}/finalise", data={"confirm": "y", "version": audit.version,
                                                                 "unit_representative": "楊主任"})
    assert response.status_code == 303
    db.session.expire_all()
    audit = db.session.get(Audit, audit.id)
    assert audit.status == "finalised" and audit.passed is False and audit.passed_count == 7
    # read-only afterwards, for every auditor
    late = _answer(client, audit, items[0], "fail")
    assert late.status_code == 409 and "已由" in late.get_data(as_text=True)
    again = client.post(f"/audits/{audit.id}/finalise", data={"confirm": "y", "version": audit.version})
    assert again.status_code == 303 and client.get(f"/audits/{audit.id}/score").status_code == 303


def test_finalise_by_two_leads_at_once(world, team, app_ctx):
    audit = team["audit"]
    score(audit, team["lead"])
    ops.finalise(team["lead"], audit)
    with pytest.raises(TransitionNotAllowed, match="已由"):
        ops.finalise(team["lead"], audit)


# --- consequences (R-AUD-05, WE-14) ---------------------------------------------------------

def _three_fails(world):
    lead = world.users[roles.AUDITOR]
    make_contract(world.orgs["a"], year=2025)
    for on in (date(2025, 1, 15), date(2025, 3, 14), date(2025, 5, 16)):
        finished_audit(world.orgs["a"], lead, on=on, passed=False)
    db.session.commit()


def _items(user, when):
    return [i.title for i in collect_action_items(user, when)]


def test_third_fail_prompts_suspension_and_schedules_recheck(client, world, login, app_ctx):
    _three_fails(world)
    officer = world.users[roles.BUREAU_OFFICER]
    when = datetime(2025, 5, 16, 17, 0, tzinfo=clock.TAIPEI)
    assert any("連續 3 次查核不合格：請辦理暫停特約" in t for t in _items(officer, when))
    login(officer)
    with clock.freeze(when):
        page = client.get(f"/audits/units/{world.orgs['a'].id}/consequence").get_data(as_text=True)
        assert "連續3次查核為不合格之單位，暫停特約" in page and "確定暫停特約" in page
        form = {"effective_on": "114/5/16", "reason": "連續3次不合格", "lead_id": world.users[roles.AUDITOR].id,
                "submission_key": "sus-1"}
        assert client.post(f"/audits/units/{world.orgs['a'].id}/consequence", data=form).status_code == 303
        assert client.post(f"/audits/units/{world.orgs['a'].id}/consequence", data=form).status_code == 303  # twice
    contract = db.session.execute(db.select(Contract).filter_by(organisation_id=world.orgs["a"].id)).scalar_one()
    assert contract.status == contract_rules.SUSPENDED and contract.actions[-1].basis_code == "audit"
    rechecks = db.session.execute(db.select(Audit).filter_by(audit_type="recheck")).scalars().all()
    assert len(rechecks) == 1 and rechecks[0].scheduled_on == date(2025, 6, 16)   # WE-14
    assert referral_blockers(world.orgs["a"], date(2025, 5, 20)) == ["暫停特約（自114年5月16日起）"]
    assert not any("請辦理暫停特約" in t for t in _items(officer, when))
    # a failed re-check prompts termination (WE-14)
    recheck = rechecks[0]
    score(recheck, world.users[roles.AUDITOR], fails=(1, 2, 3, 4, 5, 6, 7))
    ops.finalise(world.users[roles.AUDITOR], recheck)
    db.session.commit()
    assert any("複查仍不合格：請辦理停止特約關係" in t for t in _items(officer, when))
    with clock.freeze(datetime(2025, 6, 17, 9, 0)):
        client.post(f"/audits/units/{world.orgs['a'].id}/consequence", data={
            "effective_on": "114/6/17", "reason": "複查不合格", "submission_key": "term-1"})
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).status == contract_rules.TERMINATED


def test_passed_recheck_prompts_reinstatement(world, app_ctx):
    _three_fails(world)
    officer = world.users[roles.BUREAU_OFFICER]
    _, _, recheck = ops.act_on_standing(officer, world.orgs["a"], today=date(2025, 5, 16),
                                        effective_on=date(2025, 5, 16), reason="暫停")
    score(recheck, world.users[roles.AUDITOR])
    ops.finalise(world.users[roles.AUDITOR], recheck)
    when = datetime(2025, 6, 16, 17, 0, tzinfo=clock.TAIPEI)
    assert any("複查合格：請辦理恢復特約" in t for t in _items(officer, when))
    what, action, _ = ops.act_on_standing(officer, world.orgs["a"], today=date(2025, 6, 16),
                                          effective_on=date(2025, 6, 16), reason="複查合格")
    assert what == "reinstate" and action.contract.status == contract_rules.ACTIVE
    with pytest.raises(TransitionNotAllowed):
        ops.act_on_standing(officer, world.orgs["a"], today=date(2025, 6, 16), effective_on=date(2025, 6, 16),
                            reason="again")


def test_two_fails_listed_at_risk_first(client, world, login, app_ctx):
    lead = world.users[roles.AUDITOR]
    finished_audit(world.orgs["b"], lead, on=date(2025, 1, 10), passed=True)
    for on in (date(2025, 1, 15), date(2025, 3, 14)):
        finished_audit(world.orgs["a"], lead, on=on, passed=False)
    db.session.commit()
    login(world.users[roles.BUREAU_OFFICER])
    page = client.get("/audits/overview").get_data(as_text=True)
    assert page.index("甲區A單位") < page.index("甲家庭托顧") and "連續2次不合格" in page and "<svg" in page
    assert "1 個單位已連續 2 次查核不合格" in page
    facts = unit_summaries([world.orgs["a"].id])[world.orgs["a"].id]
    assert "最近查核：不合格（114年3月14日）" in facts and "查核：連續 2 次不合格" in facts
    when = datetime(2025, 3, 20, 9, 0, tzinfo=clock.TAIPEI)
    assert any("下次不合格即暫停特約" in t for t in _items(world.users[roles.BUREAU_OFFICER], when))


# --- the unit's side: results, corrections; the bureau's amendments --------------------------

def test_unit_sees_result_and_files_corrections(client, world, login, app_ctx):
    audit = finished_audit(world.orgs["a"], world.users[roles.AUDITOR], on=date(2025, 3, 10), passed=False)
    db.session.commit()
    login(world.users[roles.A_UNIT_HEAD])
    page = client.get(f"/audits/{audit.id}").get_data(as_text=True)
    assert "不合格" in page and "待提報" in page and "下次查核前修正" in page
    page = client.get(f"/audits/units/{world.orgs['a'].id}").get_data(as_text=True)
    assert "歷次查核結果" in page and "<svg" in page
    assert client.get(f"/audits/units/{world.orgs['a_other'].id}").status_code == 404
    failed = next(i for i in audit.template_version.items if i.number == 1)
    client.post(f"/audits/{audit.id}/corrections/{failed.id}", data={"description": "已補正報備公文"})
    correction = db.session.execute(db.select(AuditCorrection).filter_by(audit_id=audit.id)).scalar_one()
    assert correction.status == "filed"
    passed_item = next(i for i in audit.template_version.items if i.number == 13)
    response = client.post(f"/audits/{audit.id}/corrections/{passed_item.id}", data={"description": "x"})
    assert "只有不合格的題目" in client.get(response.headers["Location"]).get_data(as_text=True)
    login(world.users[roles.BUREAU_OFFICER])
    client.post(f"/audits/corrections/{correction.id}/review", data={"decision": "accepted"})
    db.session.expire_all()
    assert db.session.get(AuditCorrection, correction.id).status == "accepted"
    login(world.users[roles.A_UNIT_HEAD])
    page = client.get(f"/audits/{audit.id}").get_data(as_text=True)
    assert "已確認改善" in page


def test_bureau_amendment_is_logged_and_recomputes(client, world, login, app_ctx):
    audit = finished_audit(world.orgs["a"], world.users[roles.AUDITOR], on=date(2025, 3, 10), passed=False)
    db.session.commit()
    item = next(i for i in audit.template_version.items if i.number == 1)
    login(world.users[roles.AUDITOR])
    assert client.post(f"/audits/{audit.id}/amend", data={"item_id": item.id, "outcome": "pass",
                                                         "reason": "x"}).status_code == 403
    login(world.users[roles.BUREAU_OFFICER])
    response = client.post(f"/audits/{audit.id}/amend", data={"item_id": item.id, "outcome": "pass",
                                                              "reason": "佐證資料補件後確認符合"})
    assert "查核結果改為「合格」" in client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    audit = db.session.get(Audit, audit.id)
    assert audit.passed is True and audit.passed_count == 8
    from portal.auditlog.models import AuditLogEntry
    assert db.session.execute(db.select(AuditLogEntry).filter_by(action="audit.amend")).scalar_one().note.startswith("第1題")


# --- photos ------------------------------------------------------------------------------------

def test_photo_is_resized_and_scoped(client, world, login, team, app_ctx):
    from PIL import Image
    buffer = io.BytesIO()
    Image.new("RGB", (3200, 2400), (200, 100, 50)).save(buffer, "PNG")
    audit, item = team["audit"], team["items"][0]
    login(team["second"])
    response = client.post(f"/audits/{audit.id}/items/{item.id}/photos",
                           data={"photo": (io.BytesIO(buffer.getvalue()), "IMG_0001.png"), "client_key": "ph1"},
                           content_type="multipart/form-data", headers=HX)
    assert response.status_code == 200 and "第 1 題照片 1" in response.get_data(as_text=True)
    photo = db.session.execute(db.select(AuditPhoto).filter_by(client_key="ph1")).scalar_one()
    assert (photo.width, photo.height) == (1600, 1200)
    image = client.get(f"/audits/photos/{photo.id}")
    assert image.status_code == 200 and image.mimetype == "image/jpeg" and image.data[:2] == b"\xff\xd8"
    # the same upload sent twice is stored once
    client.post(f"/audits/{audit.id}/items/{item.id}/photos",
                data={"photo": (io.BytesIO(buffer.getvalue()), "IMG_0001.png"), "client_key": "ph1"},
                content_type="multipart/form-data", headers=HX)
    assert db.session.execute(db.select(db.func.count()).select_from(AuditPhoto).filter_by(
        answer_id=photo.answer_id)).scalar() == 1
    bad = client.post(f"/audits/{audit.id}/items/{item.id}/photos",
                      data={"photo": (io.BytesIO(b"not an image"), "x.jpg")}, content_type="multipart/form-data",
                      headers=HX)
    assert bad.status_code == 422 and "無法讀取此檔案" in bad.get_data(as_text=True)
    login(world.users[roles.A_UNIT_HEAD])   # the unit sees photos only once the audit is finalised
    assert client.get(f"/audits/photos/{photo.id}").status_code == 404


# --- PDFs ----------------------------------------------------------------------------------------

def _pdf_text(response, tmp_path, name):
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(response.data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert all(" yes " in row for row in fonts.splitlines()[2:] if row.strip()), fonts
    return text


def test_score_sheet_history_and_round_pdfs(client, world, login, app_ctx, tmp_path):
    lead = world.users[roles.AUDITOR]
    round_ = ops.create_round(None, title="114年第1次查核", starts_on=date(2025, 1, 1), ends_on=date(2025, 1, 31))
    ensure_templates()
    audit = ops.schedule_audit(None, world.orgs["a"], scheduled_on=date(2025, 1, 15), lead=lead, round_=round_)
    score(audit, lead, fails=(1, 2, 3, 4, 5, 6))
    ops.finalise(lead, audit, unit_representative="楊主任")
    db.session.commit()
    login(world.users[roles.BUREAU_OFFICER])
    text = _pdf_text(client.get(f"/audits/{audit.id}.pdf"), tmp_path, "sheet")
    flat = re.sub(r"\s+", "", text)
    assert "社區整合型服務中心(A單位)查核評分表" in flat and "甲區A單位" in flat
    assert "合格題數未達8題為「不合格」" in flat and "☑不合格" in flat and "7／13" in flat
    assert "☑定期查核" in flat and "應於下次查核前修正之項目" in flat and "第1題" in flat
    text = _pdf_text(client.get(f"/audits/units/{world.orgs['a'].id}.pdf"), tmp_path, "history")
    assert "單位查核紀錄" in text and "不合格" in text
    text = _pdf_text(client.get(f"/audits/rounds/{round_.id}.pdf"), tmp_path, "round")
    assert "114年第1次查核總表" in re.sub(r"\s+", "", text)
    login(world.users[roles.A_UNIT_HEAD])
    assert client.get(f"/audits/{audit.id}.pdf").status_code == 200
    assert client.get(f"/audits/rounds/{round_.id}.pdf").status_code == 403


def test_draft_score_sheet_only_for_the_auditors(client, world, login, team):
    login(world.users[roles.A_UNIT_HEAD])
    assert client.get(f"/audits/{team['audit'].id}.pdf").status_code == 404
    login(team["lead"])
    assert client.get(f"/audits/{team['audit'].id}.pdf").status_code == 200


def test_foreign_audit_invisible_to_units_and_other_auditors(client, world, login):
    for role in (roles.A_UNIT_HEAD, roles.AUDITOR, roles.B_HEAD):
        login(world.users[role])
        page = client.get("/audits").get_data(as_text=True)
        assert FOREIGN_MARKER not in page
        assert client.get(f"/audits/{world.foreign['audit_id']}").status_code == 404


def test_reschedule_before_scoring_only(client, world, login, team, app_ctx):
    audit = team["audit"]
    login(world.users[roles.BUREAU_OFFICER])
    page = client.get(f"/audits/{audit.id}").get_data(as_text=True)
    assert "改期或更換委員" in page
    response = client.post(f"/audits/{audit.id}/reschedule", data={
        "scheduled_on": "114/3/20", "lead_id": team["second"].id, "other_ids": [team["lead"].id]})
    assert "已更新查核日期與委員" in client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    audit = db.session.get(Audit, audit.id)
    assert audit.scheduled_on == date(2025, 3, 20) and audit.lead.id == team["second"].id
    ops.answer_item(team["second"], audit, audit.template_version.items[0], outcome="pass")
    db.session.commit()
    response = client.post(f"/audits/{audit.id}/reschedule", data={
        "scheduled_on": "114/3/25", "lead_id": team["second"].id})
    assert "不能改期" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_guidance_unit_reads_its_guided_homes_only(client, world, login, app_ctx):
    from portal.orgs.models import OrganisationLink
    db.session.add(OrganisationLink(from_org_id=world.orgs["guidance"].id, to_org_id=world.orgs["b"].id,
                                    relation="guides", read_only=True))
    make_contract(world.orgs["b"], year=2025)
    home = finished_audit(world.orgs["b"], world.users[roles.AUDITOR], on=date(2025, 3, 10), passed=False)
    other = finished_audit(world.orgs["a"], world.users[roles.AUDITOR], on=date(2025, 3, 11), passed=True)
    running = make_audit(world.orgs["b"], world.users[roles.AUDITOR], on=date(2025, 5, 1))
    db.session.commit()
    login(world.users[roles.GUIDANCE_STAFF])
    assert client.get(f"/audits/{home.id}").status_code == 200
    assert client.get(f"/audits/{home.id}.pdf").status_code == 200
    assert client.get(f"/audits/{other.id}").status_code == 404
    assert client.get(f"/audits/{running.id}").status_code == 404       # only finished results
    assert client.get(f"/audits/units/{world.orgs['b'].id}").status_code == 200
    assert client.get(f"/audits/units/{world.orgs['a'].id}").status_code == 404
    page = client.get(f"/audits/{home.id}").get_data(as_text=True)
    assert ">提報改善</button>" not in page and "辦理更正" not in page   # read-only
    assert "甲家庭托顧" in client.get("/contracts").get_data(as_text=True)
    assert client.get(f"/contracts/units/{world.orgs['b'].id}").status_code == 200
    assert client.get(f"/contracts/units/{world.orgs['a'].id}").status_code == 404
    assert client.post(f"/audits/{home.id}/corrections/{home.template_version.items[0].id}",
                       data={"description": "x"}).status_code == 403


def test_scoring_page_reads_the_sheet_in_a_fixed_number_of_queries(client, login, team):
    """Issue 10 §2: answers and their photos do not add queries to the tablet's scoring page."""
    login(team["lead"])
    audit, items = team["audit"], team["items"]
    url = f"/audits/{audit.id}/score"
    client.get(url)   # warm-up: settings and the office calendar are read once per process
    before = int(client.get(url).headers["X-Query-Count"])
    for n, item in enumerate(items[:6]):
        _answer(client, audit, item, "pass" if n % 2 else "fail", key=f"qc-{n}", note=f"第{n}題")
    client.get(url)   # measured warm, like tests/foundation/test_perf.py
    after = int(client.get(url).headers["X-Query-Count"])
    assert after == before and after <= 12, (before, after)


def test_scoring_tap_fragment_reads_the_sheet_in_a_fixed_number_of_queries(client, login, team):
    """Issue 10 §2: the tablet's one-item fragment loads the sheet with the audit; answers add no query."""
    login(team["lead"])
    audit, items = team["audit"], team["items"]
    url = f"/audits/{audit.id}/items/{items[0].id}"
    headers = {"HX-Request": "true"}
    client.get(url, headers=headers)
    before = int(client.get(url, headers=headers).headers["X-Query-Count"])
    for n, item in enumerate(items[:6]):
        _answer(client, audit, item, "pass" if n % 2 else "fail", key=f"tap-{n}", note=f"第{n}題")
    client.get(url, headers=headers)
    after = int(client.get(url, headers=headers).headers["X-Query-Count"])
    assert after == before and after <= 10, (before, after)
