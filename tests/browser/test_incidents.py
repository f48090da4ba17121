"""Incidents in a real browser: pick the client, the form adapts to the period, record the advance
notification and submit the 初報; the bureau's board and statistics. Desktop and tablet screenshots."""
from datetime import timedelta

import pytest

from portal import clock
from portal.auth import roles
from portal.extensions import db
from tests.browser.conftest import browser_login, screenshot
from tests.incidents.helpers import make_incident

pytestmark = pytest.mark.browser


def test_record_notify_and_submit_an_incident(live_server, page, world):
    own = world.clients["own"]
    browser_login(page, live_server, world.users[roles.B_HEAD].username)
    page.goto(live_server + "/incidents/new")
    page.fill("#q", own.national_id[-3:])
    page.wait_for_url(f"**q={own.national_id[-3:]}**")
    screenshot(page, "incident-pick-client")
    page.click("text=選擇此個案")
    page.wait_for_url("**client_id=**")
    # The form adapts: an outside-service care accident needs only the platform record.
    page.check("input[name=period][value=non_service]")
    page.check("input[name=categories_service][value=care_accident]")
    assert "免填紙本通報單" in page.locator("[data-mode-note]").inner_text()
    assert page.locator("#learned_date").is_visible()
    page.check("input[name=categories_anytime][value=media]")
    assert "須填寫通報單" in page.locator("[data-mode-note]").inner_text()
    page.uncheck("input[name=categories_anytime][value=media]")
    page.check("input[name=period][value=service]")
    assert not page.locator("#learned_date").is_visible()
    occurred = clock.now() - timedelta(hours=1)
    page.fill("#occurred_date", f"{occurred.year - 1911}/{occurred.month}/{occurred.day}")
    page.fill("#occurred_time", f"{occurred:%H:%M}")
    page.check("input[name=place][value=home]")
    page.check("input[name=severity][value=moderate]")
    page.check("input[name=staff_types][value=home_carer]")
    page.fill("#narrative", "個案於協助如廁時滑倒，右手肘擦傷並疑似骨折，家托員立即通知家屬並送醫檢查。")
    page.check("input[name=interventions][value=medical]")
    assert not page.locator("#suicide_reported_date").is_visible()
    page.check("input[name=interventions][value=suicide_reported]")
    assert page.locator("#suicide_reported_date").is_visible()
    page.uncheck("input[name=interventions][value=suicide_reported]")
    page.fill("#supervisor_name_title", "王主任（負責人）")
    screenshot(page, "incident-form")
    page.click("button:has-text('儲存')")
    page.wait_for_url("**/incidents/*")
    assert "先行通報主管機關" in page.content() and "剩 " in page.locator(".deadlines").inner_text()
    screenshot(page, "incident-draft")
    # Record the phone call to the bureau (htmx form), then submit with the confirmation.
    page.check("input[name=channel][value=phone]")
    page.fill("#contacted", "衛生局長照科 李承辦")
    page.click("button:has-text('登錄先行通報')")
    page.wait_for_selector("text=已登錄先行通報主管機關")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('遞交通報單（初報）')")
    page.wait_for_selector("text=通報單（初報）已遞交")
    assert "通報紀錄" in page.content() and "個案所屬A單位" in page.content()
    screenshot(page, "incident-submitted")


def test_board_and_statistics(live_server, page, world, app_ctx):
    b = world.users[roles.B_HEAD]
    make_incident(b, world.clients["own"], occurred_at=clock.now() - timedelta(hours=5), narrative="逾期的中度事件內容" * 3)
    make_incident(b, world.clients["own"], severity="severe", submit=True, narrative="已遞交的重度事件內容" * 3)
    db.session.commit()
    browser_login(page, live_server, world.users[roles.BUREAU_OFFICER].username)
    page.goto(live_server + "/incidents/board")
    assert page.locator("tr.row-overdue").count() >= 1
    first = page.locator("table.board tbody tr").first.inner_text()
    assert "逾期" in first
    screenshot(page, "incident-board")
    page.goto(live_server + "/incidents/stats")
    assert page.locator("figure.chart svg").count() == 4
    screenshot(page, "incident-stats")
