"""The bureau's contracts list a page at a time (issue 10): filters kept, no query per unit."""
from portal.auth import roles
from portal.extensions import db
from tests.factories import make_org


def _get(client, url, **kwargs):
    db.session.commit()   # every request starts from the same (expired) test session
    return client.get(url, **kwargs)


def _unit_ids(page):
    return [int(p.split('"', 1)[0]) for p in page.split('href="/contracts/units/')[1:] if p.split('"', 1)[0].isdigit()]


def test_contracts_list_second_page_keeps_the_filter(client, world, login, app_ctx):
    from tests.contracts.factories import make_contract
    login(world.users[roles.BUREAU_OFFICER])
    _get(client, "/contracts?kind=b_unit")
    few = int(_get(client, "/contracts?kind=b_unit").headers["X-Query-Count"])
    for i in range(60):
        unit = make_org(roles.B_UNIT, f"特約測試{i:03d}", subtype="home_care")
        if i % 2:
            make_contract(unit)
    response = _get(client, "/contracts?kind=b_unit")
    assert int(response.headers["X-Query-Count"]) == few
    page1 = response.get_data(as_text=True)
    link = page1.split("下一頁")[0].rsplit("<a", 1)[1]
    assert "kind=b_unit" in link and "page=2" in link and "第 1 / 2 頁" in page1
    page2 = _get(client, "/contracts?kind=b_unit&page=2", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in page2
    first, second = _unit_ids(page1), _unit_ids(page2)
    from portal.orgs.models import Organisation
    every = db.session.execute(db.select(Organisation.id).where(Organisation.kind == roles.B_UNIT)
                               .order_by(Organisation.name)).scalars().all()
    assert len(first) == 50 and first + second == every
