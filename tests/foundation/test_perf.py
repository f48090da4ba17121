"""Weight and query budget of foundation pages (issue 10 §2, §4). No timings: counts and bytes only."""
import gzip

import pytest

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


@pytest.mark.xfail(reason="issue 10: the dashboard asks every area for its action items one by one; "
                          "batching them under 12 queries is open work", strict=False)
def test_query_budget_of_dashboards(client, world, login):
    for role in (roles.BUREAU_OFFICER, roles.A_CASE_MANAGER, roles.B_HEAD):
        login(world.users[role])
        response = client.get("/")
        assert int(response.headers["X-Query-Count"]) <= 12, (role, response.headers["X-Query-Count"])
