"""Weight and query budget of foundation pages (issue 10 §2, §4). No timings: counts and bytes only."""
import gzip
import re

from portal.auth import roles


def test_static_files_fingerprinted_and_cached_for_a_year(client, world, login):
    page = client.get("/login").get_data(as_text=True)
    assert "/static/css/portal.css?v=" in page and "/static/js/htmx-2.0.11.min.js?v=" in page
    href = page.split('href="')[1].split('"')[0]
    response = client.get(href)
    assert response.status_code == 200 and "max-age=31536000" in response.headers["Cache-Control"]
    assert "immutable" in response.headers["Cache-Control"]


def test_responses_are_compressed(client, world, login):
    login(world.users[roles.BUREAU_OFFICER])
    response = client.get("/clients", headers={"Accept-Encoding": "gzip"})
    assert response.headers.get("Content-Encoding") == "gzip"
    assert "本單位個案" in gzip.decompress(response.data).decode("utf-8")


def test_first_load_weight_under_60_kb(client, world, login):
    """HTML + CSS + JS of a page, gzip, must stay under 60 KB (fonts are the system's)."""
    login(world.users[roles.BUREAU_OFFICER])
    html = client.get("/clients", headers={"Accept-Encoding": "gzip"})
    total = len(html.data)
    text = gzip.decompress(html.data).decode("utf-8")
    import re
    for asset in re.findall(r'(?:href|src)="(/static/[^"]+)"', text):
        total += len(client.get(asset, headers={"Accept-Encoding": "gzip"}).data)
    assert total <= 60 * 1024, total


def test_query_budget_of_foundation_pages(client, world, login):
    login(world.users[roles.BUREAU_OFFICER])
    for url in ("/clients", f"/clients/{world.clients['own'].id}", "/orgs", "/admin/audit-log", "/jobs/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert int(response.headers["X-Query-Count"]) <= 12, (url, response.headers["X-Query-Count"])


def _dashboard_counts(client, world, login):
    from tests.authz import run_matrix_builders
    run_matrix_builders(world)   # records of the home organisations: every unit role has items to act on
    counts = {}
    for role in roles.ROLE_LABELS:
        login(world.users[role])
        client.get("/")   # warm-up: the office calendar and settings are read once per process, not per page
        response = client.get("/")
        assert response.status_code == 200, role
        counts[role] = int(response.headers["X-Query-Count"])
    return counts


def test_query_budget_of_dashboards(client, world, login):
    """Every role's dashboard within 12 queries, the bureau's too (its queues are summaries, issue 10)."""
    counts = _dashboard_counts(client, world, login)
    over = {role: n for role, n in counts.items() if n > 12}
    assert not over, over


def test_dashboard_items_do_not_add_queries(client, world, login, app_ctx):
    """The same dashboards with more cases to list run the same number of queries (no query per item)."""
    from portal.extensions import db
    from tests.cases.helpers import new_case
    who = (roles.A_CASE_MANAGER, roles.A_UNIT_HEAD, roles.B_STAFF, roles.CARE_MANAGER, roles.BUREAU_OFFICER,
           roles.BUREAU_CHIEF, roles.ADMIN)

    def counts():
        db.session.commit()
        result = {}
        for role in who:
            login(world.users[role])
            client.get("/")   # warm-up: compare steady-state pages
            response = client.get("/")
            page = response.get_data(as_text=True)
            result[role] = (int(response.headers["X-Query-Count"]), page.count("<li"),
                            re.search(r"B單位逾期未提供首次服務 (\d+) 件", page))
        return result

    new_case(world, stage="dispatched")
    one = counts()
    for _ in range(3):
        new_case(world, stage="dispatched")
    more = counts()
    assert {r: q for r, (q, _, _) in more.items()} == {r: q for r, (q, _, _) in one.items()}, (one, more)
    assert more[roles.B_STAFF][1] > one[roles.B_STAFF][1]   # the B unit lists the new dispatches
    assert more[roles.A_UNIT_HEAD][1] > one[roles.A_UNIT_HEAD][1]   # … and the A unit the late first services
    for role in (roles.BUREAU_OFFICER, roles.BUREAU_CHIEF, roles.CARE_MANAGER):   # the county's queue counts them
        assert int(more[role][2].group(1)) == int(one[role][2].group(1)) + 3, role
