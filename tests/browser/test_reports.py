"""Result report in a browser: autosave two sections, reload, both saved; the no-JS save button works too."""
import pytest

from portal.auth import roles
from portal.extensions import db
from portal.reports.models import ResultReport
from tests.browser.conftest import browser_login, screenshot
from tests.factories import make_client
from tests.reports.helpers import billing, days_for  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


@pytest.fixture
def draft(world, billing):
    org = world.orgs["b"]
    a = make_client([org], name="王阿水", welfare_status="general")
    b = make_client([org], name="李秀蘭", welfare_status="low", sex="F")
    billing.set(org, 2025, days_for(a, "general", 40) + days_for(b, "low", 25, price=1210, copay=0))
    db.session.commit()
    return org


def test_autosave_two_sections_then_reload(live_server, page, world, draft):
    browser_login(page, live_server, world.users[roles.B_HEAD].username)
    page.goto(live_server + "/reports?year=2025")
    page.click("text=開始填寫114年度成果報告")
    page.wait_for_selector("#sec-results")
    assert "王阿水" in page.inner_text("#sec-users")
    page.fill("#conclusion-conclusion", "長者出席穩定，家屬滿意。")
    page.wait_for_selector("#status-conclusion .saved-note", timeout=10000)   # autosave after typing stops
    page.fill("#other-remarks", "無")
    page.locator("#other-remarks").blur()
    page.wait_for_selector("#status-other .saved-note", timeout=10000)
    progress = page.inner_text("#progress")
    assert "九、其他說明及建議" in progress
    screenshot(page, "reports-editor")
    page.reload()
    assert page.input_value("#conclusion-conclusion") == "長者出席穩定，家屬滿意。"
    assert page.input_value("#other-remarks") == "無"
    # A second edit of the same section after the first save (new version came back out of band).
    page.fill("#other-remarks", "建議增加交通接送資源。")
    page.wait_for_selector("#status-other .saved-note", timeout=10000)
    page.reload()
    assert page.input_value("#other-remarks") == "建議增加交通接送資源。"
    report = db.session.execute(db.select(ResultReport).filter_by(organisation_id=draft.id)).scalar_one()
    db.session.refresh(report)
    assert report.section("conclusion").data["conclusion"] == "長者出席穩定，家屬滿意。"


def test_save_button_without_javascript(live_server, browser, world, draft):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1366, "height": 768}, locale="zh-TW")
    page = context.new_page()
    page.viewport_name = "nojs"
    browser_login(page, live_server, world.users[roles.B_HEAD].username)
    page.goto(live_server + "/reports?year=2025")
    page.click("text=開始填寫114年度成果報告")
    page.fill("#signer-title", "負責人")
    page.locator("#sec-signer button[type=submit]").click()
    page.wait_for_url("**#sec-signer")
    assert "已儲存「填表人」" in page.content()
    assert page.input_value("#signer-title") == "負責人"
    context.close()


def test_bureau_list_and_review_screens(live_server, page, world, draft, client):
    browser_login(page, live_server, world.users[roles.BUREAU_OFFICER].username)
    page.goto(live_server + "/reports?year=2025")
    assert world.orgs["b"].name in page.inner_text("#rows")
    screenshot(page, "reports-bureau-list")
