"""The plan editor in a browser: autosave updates the checklist and the live rules, at desktop and tablet sizes."""
import pytest

from portal.auth import roles
from portal.establishment import operations as ops
from portal.extensions import db
from tests.browser.conftest import browser_login, screenshot

pytestmark = pytest.mark.browser


def test_editor_autosaves_and_checks_names(live_server, page, world):
    plan = ops.create_plan(world.users[roles.APPLICANT], world.orgs["applicant"])
    db.session.commit()
    browser_login(page, live_server, world.users[roles.APPLICANT].username)
    page.goto(f"{live_server}/establishment/plans/{plan.id}/sections/basic")
    page.select_option("#f_applicant_type", "natural")
    page.fill("#f_county", "金門縣")
    page.fill("#f_distinctive", "安心")
    page.fill("#f_address", "金門縣金城鎮民生路1號")
    page.wait_for_selector("#save-status:has-text('已自動儲存')")
    # Several autosaves may be in flight (select change, then typing): wait for the last one's result.
    page.wait_for_selector("#computed:has-text('金門縣私立安心居家長照機構')")
    screenshot(page, "establishment-basic")
    page.goto(f"{live_server}/establishment/plans/{plan.id}/sections/budget")
    screenshot(page, "establishment-budget")
    page.goto(f"{live_server}/establishment/plans/{plan.id}")
    screenshot(page, "establishment-plan")
