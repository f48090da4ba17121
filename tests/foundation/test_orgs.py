"""The organisation list (/orgs): a page at a time, each row's areas loaded with the page (issue 10)."""
import re

from portal.auth import roles
from portal.extensions import db
from tests.factories import make_org


def _get(client, url, **kwargs):
    """Every request starts from the same state: nothing loaded left fresh in the shared test session."""
    db.session.commit()
    return client.get(url, **kwargs)


def _more_units(world, n, start=0, prefix="加測家托"):
    """n family-care units, each with a base area and both service areas (what a row shows)."""
    for i in range(start, start + n):
        make_org(roles.B_UNIT, f"{prefix}{i:03d}", areas=world.areas[::-1] if i % 2 else world.areas[:1],
                 base_area=world.areas[i % 2])
    db.session.commit()


def _names(page):
    return re.findall(r'<a href="/orgs/\d+">([^<]+)</a>', page)


def test_org_list_queries_do_not_grow_with_organisations(client, world, login, app_ctx):
    """More units (and more than a page of them) run the same statements: no query per row."""
    # Searched for our units only: the page never holds the user's own organisation, which the layout would
    # otherwise find loaded already (one statement fewer while the whole small world fits on one page).
    def queries(role, url="/orgs?q=加測家托"):
        login(world.users[role])
        _get(client, url)   # warm-up: settings and the office calendar are read once per process
        response = _get(client, url)
        assert response.status_code == 200
        return int(response.headers["X-Query-Count"])

    who = (roles.BUREAU_OFFICER, roles.ADMIN, roles.A_CASE_MANAGER, roles.B_STAFF, roles.APPLICANT)
    _more_units(world, 1)
    few = {role: queries(role) for role in who}
    _more_units(world, 3, start=1)
    some = {role: queries(role) for role in who}
    _more_units(world, 60, start=4)
    many = {role: queries(role) for role in who}
    assert few == some == many, (few, some, many)
    unfiltered = {role: queries(role, "/orgs") for role in who}
    assert max(many.values()) <= 12 and max(unfiltered.values()) <= 12, (many, unfiltered)
    # The rows still show their areas, in the areas' order.
    page = _get(client, "/orgs?q=加測家托001").get_data(as_text=True)
    a1, a2 = world.areas
    assert f"<td>{a2.name}</td><td>{a1.name}、{a2.name}</td>" in page


def test_org_list_is_paginated_with_the_filters_kept(client, world, login, app_ctx):
    """50 a page in the list's order (kind, name); the page links keep 類別 and the search; page 2 as a fragment."""
    _more_units(world, 63, prefix="分頁測試家托")
    make_org(roles.A_UNIT, "分頁測試A單位")   # another kind: filtered out by kind=b_unit
    login(world.users[roles.BUREAU_OFFICER])
    url = "/orgs?kind=b_unit&q=分頁測試"
    page1 = _get(client, url).get_data(as_text=True)
    expected = [f"分頁測試家托{i:03d}" for i in range(63)]
    assert _names(page1) == expected[:50]
    assert "共 63 個單位" in page1 and "第 1 / 2 頁" in page1 and "上一頁" not in page1
    link = page1.split("下一頁")[0].rsplit("<a", 1)[1]
    assert "kind=b_unit" in link and "q=%E5%88%86%E9%A0%81%E6%B8%AC%E8%A9%A6" in link and "page=2" in link
    assert 'href="/orgs?' in link and 'hx-get="/orgs?' in link and 'hx-target="#results"' in link
    response = _get(client, url + "&page=2", headers={"HX-Request": "true"})
    page2 = response.get_data(as_text=True)
    assert "<html" not in page2 and "HX-Request" in response.headers["Vary"]
    assert _names(page2) == expected[50:] and "上一頁" in page2 and "下一頁" not in page2
    # Without JavaScript the same link answers the whole page.
    assert "<html" in _get(client, url + "&page=2").get_data(as_text=True)
    # Past the end: the last page, not an error.
    assert _names(_get(client, url + "&page=99999999999999999999").get_data(as_text=True)) == expected[50:]
    # The whole list: every kind, in order, one page of 50 (the world's organisations and ours).
    whole = _get(client, "/orgs").get_data(as_text=True)
    assert len(_names(whole)) == 50 and "分頁測試A單位" in whole   # A units come before B units
    # A short list has no pager.
    few = _get(client, "/orgs?kind=a_unit&q=分頁測試").get_data(as_text=True)
    assert _names(few) == ["分頁測試A單位"] and 'class="pager"' not in few and "共 1 個單位" in few
