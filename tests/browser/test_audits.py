"""Audits in the browser: tablet scoring by tapping with the network dropped mid-way, then finalise and PDF;
the bureau's overview and a unit's history at desktop and tablet sizes."""
import re
import subprocess
from datetime import date

import pytest

from portal import clock
from portal.audits.models import Audit, AuditAnswer, AuditAnswerChange
from portal.auth import roles
from portal.extensions import db
from tests.audits.factories import finished_audit, make_audit
from tests.browser.conftest import wait_until, SCREENSHOTS, browser_login, screenshot
from tests.contracts.factories import make_contract

pytestmark = pytest.mark.browser
TABLET = {"width": 768, "height": 1024}


def _view(page, name, number=None):
    """A viewport screenshot (the scoring header is sticky, a full-page shot would misplace it)."""
    if number is not None:
        page.locator(f"fieldset.score-item[data-number='{number}']").scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{page.viewport_name}.png"))


def _tap(page, number, outcome):
    row = page.locator(f"fieldset.score-item[data-number='{number}']")
    row.locator(f"label.choice.{outcome}").tap()
    return row


def test_tablet_scoring_survives_a_dropped_connection(live_server, browser, world, tmp_path):
    lead = world.users[roles.AUDITOR]
    audit = make_audit(world.orgs["a"], lead, on=clock.today())
    db.session.commit()
    context = browser.new_context(viewport=TABLET, locale="zh-TW", timezone_id="Asia/Taipei", has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.viewport_name = "tablet768"
    browser_login(page, live_server, lead.username)
    page.goto(f"{live_server}/audits/{audit.id}/score")
    assert "已合格 0／13，尚差 8 題" in page.locator("#tally").inner_text()

    for n in range(1, 6):                                   # online: each tap saves at once
        row = _tap(page, n, "pass")
        row.locator(".saved-tick").wait_for()
    assert "已合格 5／13，尚差 3 題" in page.locator("#tally").inner_text()

    context.set_offline(True)                               # the signal drops
    for n, outcome in ((6, "pass"), (7, "pass"), (8, "fail"), (9, "fail"), (10, "fail")):
        _tap(page, n, outcome)
    page.locator("#net-status").get_by_text("離線中，答案已暫存").wait_for()
    row8 = page.locator("fieldset.score-item[data-number='8']")
    row8.locator("textarea").fill("抽查 2 案家訪逾期")
    row8.locator("textarea").blur()
    store_key = f"audit-answers:{audit.id}:{lead.id}"
    queued = page.evaluate(f"JSON.parse(localStorage.getItem('{store_key}')).length")
    assert queued == 5                                      # item 8's note replaced its waiting answer in place
    assert "含暫存 5 題" in page.locator("#tally").inner_text()
    assert "已合格 7／13，尚差 1 題" in page.locator("#tally").inner_text()
    _view(page, "audit-scoring-offline", 8)

    context.set_offline(False)                              # back in range: the queue is re-sent in order
    wait_until(page, f"JSON.parse(localStorage.getItem('{store_key}') || '[]').length === 0")
    page.locator("#net-status").get_by_text("已恢復連線").wait_for()
    for n in (11, 12, 13):
        _tap(page, n, "pass").locator(".saved-tick").wait_for()
    wait_until(page, "document.querySelector('#tally').innerText.includes('已合格 10／13')")
    _view(page, "audit-scoring-done", 12)

    db.session.expire_all()
    answers = {a.item.number: a for a in db.session.execute(db.select(AuditAnswer).filter_by(audit_id=audit.id)).scalars()}
    assert [answers[n].outcome for n in range(1, 14)] == ["pass"] * 7 + ["fail"] * 3 + ["pass"] * 3
    assert answers[8].note == "抽查 2 案家訪逾期"
    assert all(a.revision == 1 for a in answers.values())   # one change each: item 8's note rode with its answer
    changes = db.session.execute(db.select(db.func.count()).select_from(AuditAnswerChange).join(AuditAnswer).where(
        AuditAnswer.audit_id == audit.id)).scalar()
    assert changes == sum(a.revision for a in answers.values())   # nothing applied twice

    page.get_by_text("檢查並送出查核結果").click()
    page.locator("#confirm").check()
    page.get_by_role("button", name="簽核送出").click()
    page.wait_for_url(f"**/audits/{audit.id}")
    assert "查核結果已送出：合格" in page.locator(".flashes").inner_text()
    screenshot(page, "audit-finalised")
    db.session.expire_all()
    stored = db.session.get(Audit, audit.id)
    assert stored.status == "finalised" and stored.passed is True and stored.passed_count == 10

    response = page.request.get(f"{live_server}/audits/{audit.id}.pdf")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "sheet.pdf"
    pdf.write_bytes(response.body())
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "查核評分表" in text and "☑合格" in text and "10 ／13" in text
    SCREENSHOTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(SCREENSHOTS / "audit-score-sheet-pdf")],
                   check=True)
    context.close()


def test_two_auditors_see_a_conflict_not_an_overwrite(live_server, browser, world):
    lead = world.users[roles.AUDITOR]
    from tests.factories import make_user
    second = make_user(roles.AUDITOR, world.orgs["bureau"], username="t_auditor_b", full_name="第二委員")
    audit = make_audit(world.orgs["a"], lead, others=[second], on=clock.today())
    db.session.commit()
    contexts = []
    pages = []
    for user in (lead, second):
        context = browser.new_context(viewport=TABLET, locale="zh-TW", has_touch=True)
        page = context.new_page()
        page.set_default_timeout(15000)
        page.viewport_name = "tablet768"
        browser_login(page, live_server, user.username)
        page.goto(f"{live_server}/audits/{audit.id}/score")
        contexts.append(context)
        pages.append(page)
    _tap(pages[1], 3, "fail").locator(".saved-tick").wait_for()
    row = _tap(pages[0], 3, "pass")                          # the lead's screen is stale
    row = pages[0].locator("fieldset.score-item[data-number='3']")
    row.locator(".conflict").wait_for()
    assert "第二委員" in row.locator(".conflict").inner_text()
    _view(pages[0], "audit-scoring-conflict", 3)
    db.session.expire_all()
    answer = db.session.execute(db.select(AuditAnswer).join(AuditAnswer.item).where(
        AuditAnswer.audit_id == audit.id)).scalars().all()
    assert next(a for a in answer if a.item.number == 3).outcome == "fail"
    row.get_by_role("button", name="改用我的答案").tap()
    pages[0].locator("fieldset.score-item[data-number='3'] .saved-tick").wait_for()
    db.session.expire_all()
    answer = db.session.execute(db.select(AuditAnswer).join(AuditAnswer.item).where(
        AuditAnswer.audit_id == audit.id)).scalars().all()
    assert next(a for a in answer if a.item.number == 3).outcome == "pass"
    for context in contexts:
        context.close()


def test_bureau_overview_and_unit_history(live_server, page, world):
    lead = world.users[roles.AUDITOR]
    make_contract(world.orgs["a"], year=clock.today().year)
    for on in (date(2025, 1, 15), date(2025, 3, 14)):
        finished_audit(world.orgs["a"], lead, on=on, passed=False)
    finished_audit(world.orgs["b"], lead, on=date(2025, 2, 10), passed=True)
    db.session.commit()
    browser_login(page, live_server, world.users[roles.BUREAU_OFFICER].username)
    page.goto(live_server + "/audits/overview")
    first = page.locator("table.list tbody tr").first
    assert "甲區A單位" in first.inner_text() and "連續2次不合格" in first.inner_text()
    assert page.locator("svg.trend").count() >= 2
    screenshot(page, "audit-overview")
    page.goto(f"{live_server}/audits/units/{world.orgs['a'].id}")
    screenshot(page, "audit-unit-history")
    page.goto(live_server + "/")
    assert "下次不合格即暫停特約" in page.locator("#items").inner_text()
    page.context.clear_cookies()
    browser_login(page, live_server, world.users[roles.A_UNIT_HEAD].username)
    page.goto(f"{live_server}/contracts/units/{world.orgs['a'].id}")
    assert "可接受新案" in page.inner_text("main")
    screenshot(page, "contract-unit")


def test_photo_taken_offline_is_kept_and_uploaded_on_reconnect(live_server, browser, world, tmp_path):
    """A photo chosen while the signal is down waits on the tablet (IndexedDB), made smaller there, and is
    uploaded once when the connection returns."""
    from PIL import Image

    from portal.audits.models import AuditPhoto
    lead = world.users[roles.AUDITOR]
    audit = make_audit(world.orgs["a"], lead, on=clock.today())
    db.session.commit()
    big = tmp_path / "evidence.png"
    Image.new("RGB", (3200, 2400), (30, 120, 200)).save(big)
    context = browser.new_context(viewport=TABLET, locale="zh-TW", timezone_id="Asia/Taipei", has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.viewport_name = "tablet768"
    browser_login(page, live_server, lead.username)
    page.goto(f"{live_server}/audits/{audit.id}/score")
    wait_until(page, "document.documentElement.classList.contains('photo-queue')")
    item = audit.template_version.items[1]
    row = page.locator(f"#photos-{item.id}")
    context.set_offline(True)
    row.locator("input[type=file]").set_input_files(str(big))
    row.get_by_role("button", name="上傳照片").tap()
    row.locator(".photo-pending").get_by_text("已暫存").wait_for()
    assert "待連線後上傳" in row.locator(".photo-pending").inner_text()

    def stored():
        db.session.expire_all()
        return db.session.execute(db.select(AuditPhoto).join(AuditAnswer).where(
            AuditAnswer.audit_id == audit.id)).scalars().all()
    assert stored() == []
    row.scroll_into_view_if_needed()
    _view(page, "audit-photo-offline")
    context.set_offline(False)
    page.locator(f"#photos-{item.id} .thumbs img").wait_for()
    photos = stored()
    assert len(photos) == 1 and max(photos[0].width, photos[0].height) == 1600
    assert page.locator(f"#photos-{item.id} .photo-pending").count() == 0
    context.close()


def test_lost_reply_is_resent_and_applied_once(live_server, browser, world):
    """The tap reaches the server and is saved, but its reply is lost on the way back: the tablet says it is
    offline, re-sends the same answer (same client key) and the server stores it once."""
    lead = world.users[roles.AUDITOR]
    audit = make_audit(world.orgs["a"], lead, on=clock.today())
    db.session.commit()
    context = browser.new_context(viewport=TABLET, locale="zh-TW", timezone_id="Asia/Taipei", has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.viewport_name = "tablet768"
    browser_login(page, live_server, lead.username)
    page.goto(f"{live_server}/audits/{audit.id}/score")
    sent = []

    def lose_first_reply(route):
        sent.append(route.request.post_data_buffer)
        if len(sent) == 1:
            route.fetch()            # the server receives and saves the answer…
            route.abort("failed")    # …and the reply never reaches the tablet
        else:
            route.continue_()
    page.route("**/answer", lose_first_reply)
    _tap(page, 4, "fail")
    page.locator("#net-status").get_by_text("離線中").wait_for()
    page.locator("fieldset.score-item[data-number='4'] .saved-tick").wait_for(timeout=20000)
    store_key = f"audit-answers:{audit.id}:{lead.id}"
    wait_until(page, f"JSON.parse(localStorage.getItem('{store_key}') || '[]').length === 0")
    keys = [re.search(rb'name="client_key"\r\n\r\n([^\r]+)', body).group(1) for body in sent]
    assert len(keys) == 2 and keys[0] == keys[1]            # the same answer, with the same client key
    db.session.expire_all()
    answer = db.session.execute(db.select(AuditAnswer).join(AuditAnswer.item).where(
        AuditAnswer.audit_id == audit.id, AuditAnswer.item.has(number=4))).scalar_one()
    assert answer.outcome == "fail" and answer.revision == 1
    changes = db.session.execute(db.select(AuditAnswerChange).filter_by(answer_id=answer.id)).scalars().all()
    assert len(changes) == 1
    context.close()


def test_finalise_waits_for_answers_still_on_the_tablet(live_server, browser, world):
    """Answers that have not reached the server yet are not left out of the result: the score page's
    「檢查並送出」 waits for them, and the finalise page holds its button while the tablet still keeps some."""
    lead = world.users[roles.AUDITOR]
    audit = make_audit(world.orgs["a"], lead, on=clock.today())
    db.session.commit()
    context = browser.new_context(viewport=TABLET, locale="zh-TW", timezone_id="Asia/Taipei", has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.viewport_name = "tablet768"
    browser_login(page, live_server, lead.username)
    page.goto(f"{live_server}/audits/{audit.id}/score")
    page.route("**/answer", lambda route: route.abort("failed"))     # the answers do not get through
    _tap(page, 2, "fail")
    page.locator("#net-status").get_by_text("離線中").wait_for()
    page.get_by_text("檢查並送出查核結果").click()
    page.locator("#net-status").get_by_text("補送完成後自動前往送出頁面").wait_for()
    assert page.url.endswith("/score")
    page.goto(f"{live_server}/audits/{audit.id}/finalise")
    guard = page.locator("#finalise-guard")
    guard.get_by_text("1 題答案暫存未送出").wait_for()
    assert page.get_by_role("button", name="簽核送出").is_disabled()
    screenshot(page, "audit-finalise-guard")
    page.goto(f"{live_server}/audits/{audit.id}/score")             # still failing: the answer stays queued
    page.get_by_text("檢查並送出查核結果").click()
    page.locator("#net-status").get_by_text("補送完成後自動前往送出頁面").wait_for()
    page.unroute("**/answer")                                         # the signal is back: sent, then on to finalise
    page.wait_for_url(f"**/audits/{audit.id}/finalise", timeout=30000)
    assert page.locator("#finalise-guard").is_hidden()
    db.session.expire_all()
    answer = db.session.execute(db.select(AuditAnswer).where(AuditAnswer.audit_id == audit.id,
                                                             AuditAnswer.item.has(number=2))).scalar_one()
    assert answer.outcome == "fail" and answer.revision == 1
    context.close()
