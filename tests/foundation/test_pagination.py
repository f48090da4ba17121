"""Every paginated list reads ?page= the same way (portal/pagination.py): a page past the end, or a
number no database can take, shows the last page instead of an error; other huge numbers answer 400."""
import pytest

from portal.auth import roles

HUGE = "9" * 30
LISTS = ["/clients", "/cases", "/dispatches", "/changes", "/incidents", "/incidents/board", "/disputes",
         "/audits", "/contracts", "/admin/audit-log", "/orgs"]


@pytest.mark.parametrize("url", LISTS)
def test_a_page_past_the_end_shows_the_last_page(client, world, login, url):
    user = world.users[roles.ADMIN if url.startswith("/admin") else roles.BUREAU_OFFICER]
    login(user)
    first = client.get(url)
    assert first.status_code == 200, url
    for page in ("0", "-3", "abc", "500", HUGE):
        response = client.get(f"{url}?page={page}")
        assert response.status_code == 200, (url, page)


@pytest.mark.parametrize("url", ["/clients?area=", "/cases?area=", "/incidents?org=",
                                 "/admin/audit-log?entity_id=", "/admin/audit-log?org="])
def test_a_filter_id_past_64_bits_is_not_a_crash(client, world, login, url):
    login(world.users[roles.ADMIN if url.startswith("/admin") else roles.BUREAU_OFFICER])
    response = client.get(url + HUGE)
    assert response.status_code in (200, 400), (url, response.status_code)
    if response.status_code == 400:
        assert "數字過大" in response.get_data(as_text=True)
