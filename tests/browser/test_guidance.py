"""Guidance in a real browser: the grant form's live cap check (htmx), the pipeline, the bureau's overview and decision."""
from datetime import date

import pytest

from portal.auth import roles
from portal.extensions import db
from portal.guidance.models import GrantApplication, GuidedHome
from tests.browser.conftest import wait_until, browser_login, screenshot
from tests.guidance.helpers import make_grant, make_home, make_officer, make_visit

pytestmark = pytest.mark.browser


def _licensed_home(world):
    """A home licensed this year (prorated cap) with a visit, guided by the test guidance unit."""
    today = date.today()
    home = make_home(world.orgs["guidance"], stage="contracted", organisation=world.orgs["b"], name="瀏覽器測試家庭托顧服務",
                     found_on=date(today.year, 1, 2), env_checked_on=date(today.year, 1, 3),
                     licence_applied_on=date(today.year, 1, 4), licensed_on=date(today.year, 1, 5),
                     contracted_on=date(today.year, 1, 6))
    make_officer(world.orgs["guidance"], name="邱靜怡", user_id=world.users[roles.GUIDANCE_STAFF].id)
    make_visit(home, on=date(today.year, 1, 6))
    db.session.commit()
    return home


def test_grant_form_checks_the_cap_while_typing(live_server, page, world):
    home = _licensed_home(world)
    browser_login(page, live_server, world.users[roles.GUIDANCE_STAFF].username)
    page.goto(f"{live_server}/guidance/grants/new?kind=home&home_id={home.id}")
    panel = page.locator("#cap-check")
    assert "本年度獎助上限 150,000 元" in panel.inner_text()
    page.fill("#item_guidance_fee", "8000")
    page.fill("#item_travel", "4600")
    page.locator("#item_travel").dispatch_event("change")
    wait_until(page, "document.querySelector('#cap-check').innerText.includes('輔導交通費每月最高 4,000 元')"
                           " && document.querySelector('#cap-check').innerText.includes('12,600')")
    assert "<html" not in panel.inner_html()
    screenshot(page, "guidance-grant-over-cap")
    page.fill("#item_travel", "4000")
    page.locator("#item_travel").dispatch_event("change")
    wait_until(page, "document.querySelector('#cap-check').innerText.includes('符合上限規定')")
    page.click("button[name=submit]")
    page.wait_for_url("**/guidance/grants/*")
    assert "已送出獎助申請，申請金額 12,000 元" in page.content()
    screenshot(page, "guidance-grant-submitted")


def test_guide_moves_a_home_along_the_pipeline_with_the_keyboard(live_server, page, world):
    home = make_home(world.orgs["guidance"], name="鍵盤測試家庭托顧服務", found_on=date(2025, 1, 2))
    db.session.commit()
    browser_login(page, live_server, world.users[roles.GUIDANCE_STAFF].username)
    page.goto(f"{live_server}/guidance/homes/{home.id}")
    page.focus("#on")
    page.fill("#on", "114/2/3")
    page.keyboard.press("Enter")
    page.wait_for_selector(".flash.success")
    assert "已進入「住家環境檢核完成」階段" in page.content()
    screenshot(page, "guidance-home")
    db.session.expire_all()
    assert db.session.get(GuidedHome, home.id).stage == "env_checked"
    page.goto(f"{live_server}/guidance/units/{world.orgs['guidance'].id}")
    screenshot(page, "guidance-unit")


def test_bureau_overview_and_decision(live_server, page, world):
    home = _licensed_home(world)
    grant = make_grant(world.orgs["guidance"], kind="home", home=home, year=date.today().year, month=date.today().month,
                       items={"guidance_fee": 6_000, "travel": 3_000})
    db.session.commit()
    browser_login(page, live_server, world.users[roles.BUREAU_OFFICER].username)
    assert "獎助申請待審" in page.content()
    page.goto(f"{live_server}/guidance/")
    assert "測試輔導協會" in page.content() and "另一輔導協會" in page.content()
    screenshot(page, "guidance-overview")
    page.goto(f"{live_server}/guidance/grants/{grant.id}")
    page.check("input[name=decision][value=approve]")
    page.fill("#comment", "符合規定")
    page.click("text=送出審核結果")
    page.wait_for_selector(".flash.success")
    screenshot(page, "guidance-grant-decided")
    db.session.expire_all()
    assert db.session.get(GrantApplication, grant.id).status == "approved"
