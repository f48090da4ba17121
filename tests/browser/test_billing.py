"""Family care in a real browser: the day sheet saved row by row with htmx and the keyboard,
a refusal shown next to the row, the same sheet without JavaScript, and the officer's review."""
from datetime import datetime, time

import pytest

from portal import clock
from portal.auth import roles
from portal.billing import operations as ops
from portal.extensions import db
from tests.billing.conftest import admit, record
from tests.browser.conftest import CHROMIUM, VIEWPORTS, browser_login, screenshot

pytestmark = pytest.mark.browser


def _setup(world):
    """A home open every day, four admitted clients, two already recorded today, one family member."""
    home = world.orgs["b"]
    head, officer = world.users[roles.B_HEAD], world.users[roles.BUREAU_OFFICER]
    filing = ops.file_opening_hours(head, home.id, weekdays="0123456", opens=time(8), closes=time(18),
                                    effective_from=datetime(2024, 1, 1).date())
    ops.decide_opening_hours(officer, filing, accept=True)
    db.session.commit()
    admissions = [admit(world) for _ in range(4)]
    today = clock.today()
    now = clock.now()
    for a in admissions[:2]:
        record(world, a, today, now=now)
    ops.set_family_count(head, home.id, today, 1, now=now)
    db.session.commit()
    return home, admissions, today


def test_day_sheet_keyboard_htmx_and_refusal(live_server, page, world):
    home, admissions, today = _setup(world)
    browser_login(page, live_server, world.users[roles.B_HEAD].username)
    page.goto(f"{live_server}/billing/homes/{home.id}/days/{today.isoformat()}")
    assert "本日收托 3 人" in page.locator("#day-counter").inner_text()
    third, fourth = admissions[2], admissions[3]
    row = page.locator(f"#row-{third.id}")
    row.locator("input[type=checkbox]").first.focus()
    page.keyboard.press("Space")                      # 出席
    row.locator(f"#r{third.id}-content").fill("午餐、團體活動")
    row.locator(f"#r{third.id}-content").press("Enter")  # the row form submits with Enter
    page.wait_for_selector(f"#row-{third.id} .saved-note")
    page.wait_for_function("document.querySelector('#day-counter').innerText.includes('4 人')")
    # the cursor moved on to the next client's 出席 box
    assert page.evaluate("document.activeElement.id") == f"r{fourth.id}-attended"
    page.keyboard.press("Space")
    page.locator(f"#row-{fourth.id} button[type=submit]").click()
    page.wait_for_selector(f"#row-{fourth.id}.bl-error")
    assert "超過每日 4 人上限" in page.locator(f"#row-{fourth.id} .bl-msg").inner_text()
    assert "ＺＺ" not in page.content()
    screenshot(page, "billing-day-sheet")


def test_day_sheet_without_javascript(live_server, browser, world, request):
    home, admissions, today = _setup(world)
    context = browser.new_context(viewport=VIEWPORTS["desktop"], locale="zh-TW", java_script_enabled=False)
    page = context.new_page()
    page.viewport_name = "nojs"
    browser_login(page, live_server, world.users[roles.B_STAFF].username)
    page.goto(f"{live_server}/billing/homes/{home.id}/days/{today.isoformat()}")
    row = page.locator(f"#row-{admissions[2].id}")
    row.locator("input[type=checkbox]").first.check()
    row.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "已儲存" in page.locator(".flashes").inner_text()
    assert "本日收托 4 人" in page.locator("#day-counter").inner_text()
    screenshot(page, "billing-day-sheet")
    context.close()


def test_officer_reviews_a_declaration(live_server, page, world):
    from tests.billing.conftest import weekdays
    home = world.orgs["b"]
    home.head_name = "陳測試"
    head, officer = world.users[roles.B_HEAD], world.users[roles.BUREAU_OFFICER]
    with clock.freeze(datetime(2025, 2, 1, 9)):
        filing = ops.file_opening_hours(head, home.id, weekdays="01234", opens=time(8), closes=time(18),
                                        effective_from=datetime(2025, 1, 1).date())
        ops.decide_opening_hours(officer, filing, accept=True)
        ops.save_billing_profile(head, home.id, {"tax_id": "12345678", "bank_name": "示範銀行", "bank_account": "123"})
    db.session.commit()
    a, b = admit(world), admit(world, welfare_status="mid_low")
    march = datetime(2025, 3, 1).date()
    for i, day in enumerate(weekdays(march, 12)):
        record(world, a, day, bath=i % 2 == 0)
        record(world, b, day, dinner=True)
    with clock.freeze(datetime(2025, 4, 2, 9)):
        declaration = ops.submit_declaration(head, home.id, march)
        ops.request_payment(head, declaration, receipt_date=datetime(2025, 4, 2).date())
    db.session.commit()
    browser_login(page, live_server, officer.username)
    page.goto(f"{live_server}/billing/review")
    page.click(f"a[href='/billing/declarations/{declaration.id}']")
    page.wait_for_selector("#sum-h")
    assert "特約 長照服務提供者服務費用申報總表" in page.locator("#sum-h").inner_text()
    assert page.input_value("#amount") == str(declaration.totals["total"])
    screenshot(page, "billing-declaration-review")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("text=審核通過")
    page.wait_for_selector("text=已審核通過並核定撥付總額")
    assert "審核通過" in page.locator(".badge.ok").first.inner_text()
