"""Personal-data screens in a browser: who looked at a client's file, the access-request export form,
and the forced change of an administrator-set password (desktop and tablet)."""
import pytest

from portal.auth import roles
from portal.extensions import db
from tests.browser.conftest import browser_login, screenshot
from tests.factories import make_user

pytestmark = pytest.mark.browser


def test_views_are_listed_and_the_export_form_downloads_a_pdf(live_server, page, world):
    own = world.clients["own"]
    browser_login(page, live_server, world.users[roles.B_STAFF].username)
    page.goto(f"{live_server}/clients/{own.id}")
    page.goto(f"{live_server}/login")
    page.context.clear_cookies()
    browser_login(page, live_server, world.users[roles.BUREAU_OFFICER].username)
    page.goto(f"{live_server}/clients/{own.id}")
    assert world.users[roles.B_STAFF].full_name in page.locator("text=最近查閱紀錄 >> xpath=..").inner_text()
    screenshot(page, "trust-client-views")
    page.click("text=個資查詢匯出")
    page.fill("#requester_name", "王小明")
    page.select_option("#requester_relation", "legal")
    screenshot(page, "trust-data-request")
    page.click("button:has-text('匯出 PDF')")  # identity not checked yet: refused next to the box
    assert "請先核對申請人身分" in page.content()
    page.check("#identity_checked")
    with page.expect_download() as download:
        page.click("button:has-text('匯出 PDF')")
    assert download.value.suggested_filename.endswith(".pdf")


def test_initial_password_must_be_replaced(live_server, page, world):
    user = make_user(roles.A_CASE_MANAGER, world.orgs["a"], username="t_newcomer")
    user.must_change_password = True
    db.session.commit()
    browser_login_to_password(page, live_server, "t_newcomer")
    screenshot(page, "trust-password-required")
    page.fill("#current_password", "pw-test-123")
    page.fill("#new_password", "My-own-pass-9")
    page.fill("#confirm", "My-own-pass-9")
    page.click("button:has-text('更新密碼')")
    page.wait_for_url(live_server + "/")
    assert "密碼已更新" in page.content()


def browser_login_to_password(page, base_url, username):
    page.goto(base_url + "/login")
    page.fill("#username", username)
    page.fill("#password", "pw-test-123")
    page.click("button[type=submit]")
    page.wait_for_url(base_url + "/account/password")
