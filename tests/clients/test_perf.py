"""Client list and search (issue 10): the same matches on SQLite and PostgreSQL (where the search uses indexes of
the names' characters and the reversed IDs), and a query budget that does not grow with the clients. No timings."""
import re

from portal.auth import roles
from portal.clients.models import Client, ClientAccess
from portal.extensions import db
from tests.factories import make_client, valid_national_id

NAMES = ["林小美", "林大同", "王小明", "小林", "陳美林", "張三", "Lin Mei", "50%折", "林_一"]


def _shown(page):
    """Ids of the listed clients, in the list's order."""
    return [int(i) for i in re.findall(r'<a href="/clients/(\d+)">', page)]


def _like(pattern):
    """LIKE's reading of a pattern (% any run, _ any one character), as a regex; no escapes (SQLite has none)."""
    return re.compile("".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern),
                      re.DOTALL)


def _expected(clients, text):
    """Ids of what the search box promises (client_search_condition's docstring: name part, full ID, ID's last
    digits, as LIKE reads them), computed without the condition; in the list's order (name, id) as the database
    sorts names."""
    text = text.strip()
    up = text.upper()
    part, ending = _like("%" + text + "%"), _like("%" + up)
    ids = [c.id for c in clients if part.fullmatch(c.name) or c.national_id == up or ending.fullmatch(c.national_id)]
    return db.session.execute(db.select(Client.id).where(Client.id.in_(ids)).order_by(Client.name, Client.id)
                              ).scalars().all()


def test_search_finds_name_parts_and_id_endings_in_list_order(client, world, login, app_ctx):
    unit = world.orgs["a"]
    ours = [make_client([unit], name=name, national_id=valid_national_id(7000 + i)) for i, name in enumerate(NAMES)]
    ours.append(world.clients["own"])
    make_client([world.orgs["a_other"]], name="林外單位")   # another unit's: never listed for ours
    db.session.commit()
    login(world.users[roles.A_CASE_MANAGER])
    for text in ("林", "小", "林小", "小林", "美林", "Lin", "50%", "%", "_", "林_", "林%美", "X", " 林 ",
                 ours[2].national_id[-4:], ours[3].national_id.lower(), ours[4].national_id):
        page = client.get("/clients", query_string={"q": text}, headers={"HX-Request": "true"}).get_data(as_text=True)
        expected = _expected(ours, text)
        assert _shown(page) == expected and f"共 {len(expected)} 位個案" in page, text
    assert len(_expected(ours, "林")) == 5 and len(_expected(ours, "%")) == len(ours)   # the cases mean something


def test_unit_total_counts_each_visible_client_once(client, world, login, app_ctx):
    """A client linked to the unit twice (e.g. registered by it and managed by it) is one client."""
    unit = world.orgs["a"]
    twice = make_client([unit], name="兩個連結")
    db.session.add(ClientAccess(client_id=twice.id, organisation_id=unit.id, relation="registered"))
    ended = make_client([unit], name="已結束連結")
    db.session.execute(db.update(ClientAccess).where(ClientAccess.client_id == ended.id)
                       .values(ended_at=db.func.current_timestamp()))
    for i in range(55):   # more than a page, so that the total is counted rather than read off the page
        make_client([unit], name=f"測試個案{i:02d}")
    db.session.commit()
    login(world.users[roles.A_CASE_MANAGER])
    visible = db.session.execute(db.select(db.func.count(db.distinct(ClientAccess.client_id))).where(
        ClientAccess.organisation_id == unit.id, ClientAccess.ended_at.is_(None))).scalar_one()
    page = client.get("/clients").get_data(as_text=True)
    assert f"共 {visible} 位個案" in page and visible == 57   # the world's own client, "兩個連結" and the 55
    assert "已結束連結" not in page


def _queries(client, url, hx=False):
    headers = {"HX-Request": "true"} if hx else {}
    client.get(url, headers=headers)   # warm-up: settings and the office calendar are read once per process
    response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return int(response.headers["X-Query-Count"])


def test_client_list_and_search_queries_do_not_grow_with_clients(client, world, login, app_ctx):
    urls = (("/clients", False), ("/clients?q=林", True), ("/clients?q=林&page=2", True),
            (f"/clients?area={world.areas[0].id}", False))

    def add(n, start):
        for i in range(start, start + n):
            make_client([world.orgs["a"], world.orgs["b"]], name=f"林測試{i:03d}", area=world.areas[0])
        db.session.commit()

    for user in (world.users[roles.A_CASE_MANAGER], world.users[roles.BUREAU_OFFICER], world.users[roles.B_HEAD]):
        login(user)
        add(60, 0 if user.role == roles.A_CASE_MANAGER else 1000 + 200 * len(user.role))   # more than a page
        some = {url: _queries(client, url, hx) for url, hx in urls}
        add(40, 500 + 200 * len(user.role))
        more = {url: _queries(client, url, hx) for url, hx in urls}
        assert some == more, (user.role, some, more)
        assert max(more.values()) <= 12, (user.role, more)


def test_the_list_total_agrees_with_the_scope_for_every_role(app_ctx, world):
    """visible_client_count counts from the links alone; it must count what Client.visible_to lets each role see."""
    from portal.auth.access import scoped
    from portal.clients.models import Client, visible_client_count
    extra = make_client([world.orgs["a"]], name="又一個案")
    db.session.add(ClientAccess(client_id=extra.id, organisation_id=world.orgs["a"].id, relation="registered"))
    db.session.commit()
    users = list(world.users.values()) + list(world.other_users.values())
    for user in users:
        scoped_count = db.session.execute(scoped(Client, user).with_only_columns(db.func.count(Client.id))
                                          .order_by(None)).scalar_one()
        assert visible_client_count(user) == scoped_count, user.role
