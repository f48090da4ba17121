"""Case management in a real browser (desktop and tablet): the case page, the ranked
dispatch list, the change-of-provider form with its htmx candidate panel, the bureau's
decision, the visit form posted by htmx, and keyboard use."""
import pytest

from portal.auth import roles
from portal.extensions import db
from tests.browser.conftest import browser_login, screenshot
from tests.cases.helpers import new_case, second_family_care

pytestmark = pytest.mark.browser


def test_dispatch_and_change_of_provider(live_server, page, world):
    twin = second_family_care(world, "鄰里家托")
    planned = new_case(world, stage="approved")
    served = new_case(world, stage="served")
    db.session.commit()
    browser_login(page, live_server, world.users[roles.A_CASE_MANAGER].username)
    assert "首次服務期限" in page.content() or "個案管理" in page.content()

    page.goto(f"{live_server}/cases/{planned.id}")
    assert page.locator("h1").inner_text().startswith(planned.client.name)
    screenshot(page, "cases-show")
    page.locator("#services a.button", has_text="派案").click()
    page.wait_for_url(f"**/cases/{planned.id}/dispatch/family_care")
    assert page.locator("tr.proposal").count() == 1
    assert "輪派" in page.locator("#ranking").inner_text()
    screenshot(page, "cases-recommend")
    page.once("dialog", lambda d: d.accept())
    page.locator("section.card button[type=submit]", has_text="派案").click()
    page.wait_for_url(f"**/cases/{planned.id}")
    assert "已派案給" in page.content()

    # change of provider on the served case: the htmx panel explains the chosen unit's place
    page.goto(f"{live_server}/cases/{served.id}")
    page.click("button:has-text('更換服務單位')")
    page.wait_for_url("**/changes/*/edit")
    page.select_option("#new_org_id", str(twin.id))
    page.wait_for_function("document.querySelector('#candidate').innerText.includes('鄰里家托')")
    assert "順位" in page.locator("#candidate").inner_text()
    page.fill("#requested_on", "114/3/3")
    page.fill("#reasons", "家屬希望改由鄰近家托服務")
    page.fill("#contact_on", "114/3/4")
    page.fill("#contact_person", "陳負責人")
    page.fill("#contact_content", "說明家屬需求")
    page.fill("#coordination_result", "協調後仍需更換")
    page.fill("#planned_start_on", "114/3/17")
    page.fill("#confirmer_name", "王小明")
    page.fill("#confirmer_relation", "兒子")
    page.fill("#confirmed_on", "114/3/4")
    screenshot(page, "cases-change-form")
    page.once("dialog", lambda d: d.accept())
    page.click("button[value=submit]")
    page.wait_for_url("**/changes/*")
    assert "已送衛生局" in page.content()
    change_url = page.url

    page.click("button:has-text('登出')")
    browser_login(page, live_server, world.users[roles.BUREAU_OFFICER].username)
    page.goto(change_url)
    page.check("input[value=approve]")
    page.fill("#comment", "同意")
    page.once("dialog", lambda d: d.accept())
    page.click("button:has-text('送出審核結果')")
    page.wait_for_url(change_url)
    assert "衛生局已同意" in page.content()
    screenshot(page, "cases-change-approved")


def test_visit_form_by_htmx_and_keyboard(live_server, page, world):
    case = new_case(world, stage="served")
    db.session.commit()
    browser_login(page, live_server, world.users[roles.A_CASE_MANAGER].username)
    page.goto(f"{live_server}/cases/{case.id}")
    page.click("summary:has-text('登錄訪視紀錄')")
    page.check("input[name=kind][value=phone]")
    page.fill("#visited_on", "114/3/3")
    page.focus("#summary")
    page.keyboard.type("電訪：服務穩定")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('#visits').innerText.includes('電訪：服務穩定')")
    assert page.url.endswith(f"/cases/{case.id}")      # swapped in place, no navigation
    screenshot(page, "cases-visits")


def test_b_unit_dispatch_page(live_server, page, world):
    case = new_case(world, stage="dispatched")
    db.session.commit()
    browser_login(page, live_server, world.users[roles.B_HEAD].username)
    assert "新派案待回覆" in page.content()
    page.click("text=新派案待回覆")
    page.wait_for_url("**/dispatches/*")
    assert case.client.name in page.content() and case.client.national_id not in page.content()
    screenshot(page, "cases-b-dispatch")
    page.click("button:has-text('接案')")
    page.wait_for_url("**/dispatches/*")
    assert "已接案" in page.content()
