"""Log in and see the dashboard at desktop and tablet sizes; the client search works with and without JS."""
import pytest

from portal.auth import roles
from tests.browser.conftest import browser_login, screenshot

pytestmark = pytest.mark.browser


def test_login_and_dashboard(live_server, page, world):
    page.goto(live_server + "/")
    assert "/login" in page.url
    screenshot(page, "login")
    browser_login(page, live_server, world.users[roles.BUREAU_OFFICER].username)
    assert page.locator("h1").inner_text().endswith("您好")
    assert page.locator("#todo-h").is_visible()
    screenshot(page, "dashboard-officer")


def test_client_search_uses_htmx(live_server, page, world):
    browser_login(page, live_server, world.users[roles.B_HEAD].username)
    page.goto(live_server + "/clients")
    own = world.clients["own"]
    page.fill("#q", own.national_id[-3:])
    page.wait_for_url(f"**q={own.national_id[-3:]}**")
    assert own.name in page.locator("#results").inner_text()
    assert "ＺＺ" not in page.content()
    screenshot(page, "clients")


def test_keyboard_only_login(live_server, page, world):
    page.goto(live_server + "/login")
    # Autofocus lands after load; typing before it would lose keystrokes on a busy machine.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'username'")
    page.keyboard.type(world.users[roles.A_CASE_MANAGER].username)  # username has autofocus
    page.keyboard.press("Tab")
    page.keyboard.type("pw-test-123")
    page.keyboard.press("Enter")
    page.wait_for_url(live_server + "/")
