"""Concurrency harness (issue 11 §4): the portal on a real threaded HTTP server, several logged-in
browsers firing requests at the same moment. Run on PostgreSQL (row locks are what is being tested);
mark tests with `needs_postgres`.

    from tests.concurrency import assert_one_winner, count_rows, needs_postgres, race   # race_server: a fixture

    @needs_postgres
    def test_one_approval_wins(race_server, world):
        request = make_change_request(...); db.session.commit()
        officers = race_server.browsers(officer_users(world, 20))          # 20 logged-in browsers
        url = f"/cases/changes/{request.id}/approve"
        pages = race([lambda b=b: b.post(url, {"version": 1}, follow=True) for b in officers])  # all at once
        assert_one_winner(pages, success="已核准", refusal="已由")        # flash texts after the redirect
        assert count_rows(AuditLogEntry, action="cases.change_approved") == 1

Build URLs and form data before calling `race`: the callables run in other threads, which must not
touch objects of the test's database session (a lazy load there has no application context).

A `Browser` keeps its own cookies, follows no redirect unless asked (`follow=True` on post/get
follows one and returns the page the person would see, with its flash message).
"""
import http.cookiejar
import os
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

import pytest
from werkzeug.serving import make_server

from tests.factories import PASSWORD

USE_POSTGRES = os.environ.get("PORTAL_TEST_DATABASE") == "postgres"



def needs_postgres(test):
    """Run only on PostgreSQL: SQLite serialises writers, so a race there proves nothing."""
    skip = pytest.mark.skipif(not USE_POSTGRES, reason="row locks and parallel writers: PostgreSQL only "
                                                       "(PORTAL_TEST_DATABASE=postgres)")
    return pytest.mark.postgres_only(skip(test))


FLASH_RE = re.compile(r'<div class="flash (\w+)"[^>]*>(.*?)</div>', re.S)


@dataclass
class Reply:
    status: int
    headers: dict
    text: str
    url: str

    @property
    def location(self) -> str | None:
        return self.headers.get("Location")

    def flashes(self, kind: str | None = None) -> list[str]:
        """The flash messages on the page (kind: success / error / warning / info)."""
        return [re.sub(r"<[^>]+>", "", text).strip() for k, text in FLASH_RE.findall(self.text)
                if kind is None or k == kind]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Browser:
    """One person's browser against the live server."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect)

    def request(self, method: str, path: str, data=None, headers=None, follow=False) -> Reply:
        url = path if path.startswith("http") else self.base_url + path
        body = urllib.parse.urlencode(data or {}, doseq=True).encode() if method == "POST" else None
        req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
        try:
            with self._opener.open(req, timeout=120) as response:
                reply = Reply(response.status, dict(response.headers), response.read().decode("utf-8", "replace"), url)
        except urllib.error.HTTPError as error:
            reply = Reply(error.code, dict(error.headers), error.read().decode("utf-8", "replace"), url)
        if follow and reply.status in (301, 302, 303) and reply.location:
            # The page a redirect leads to is asked for with the cookies this very reply set (its flash
            # messages live in the session cookie): with requests racing in one jar, another reply may have
            # replaced them in the meantime, and the page would show that reply's messages.
            return self.get(urllib.parse.urljoin(url, reply.location), headers=self._cookies_after(reply))
        return reply

    def _cookies_after(self, reply):
        own = {}
        for header, value in reply.headers.items():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                own[name.strip()] = rest.split(";", 1)[0]
        if not own:
            return None
        jar = {c.name: c.value for c in self.cookies}
        jar.update(own)
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())}

    def get(self, path, headers=None, follow=False) -> Reply:
        return self.request("GET", path, headers=headers, follow=follow)

    def post(self, path, data=None, headers=None, follow=False) -> Reply:
        return self.request("POST", path, data=data, headers=headers, follow=follow)

    def login(self, username: str, password: str = PASSWORD) -> "Browser":
        reply = self.post("/login", {"username": username, "password": password})
        assert reply.status == 303, f"login of {username} failed: {reply.status}"
        return self

    def form_values(self, path: str) -> dict:
        """The named inputs of the page's forms (hidden version fields, submission keys…)."""
        html = self.get(path).text
        values = {}
        for tag in re.findall(r"<input\b[^>]*>", html):
            name = re.search(r'name="([^"]+)"', tag)
            value = re.search(r'value="([^"]*)"', tag)
            if name:
                values.setdefault(name.group(1), value.group(1) if value else "")
        return values


class LiveServer:
    def __init__(self, base_url: str):
        self.base_url = base_url

    def browser(self, user=None, password: str = PASSWORD) -> Browser:
        b = Browser(self.base_url)
        return b.login(user.username, password) if user is not None else b

    def browsers(self, users) -> list[Browser]:
        return [self.browser(u) for u in users]


@pytest.fixture
def race_server(app):
    """The app on a free loopback port, one thread per request (each with its own database session)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    thread.join(timeout=10)


def race(calls, timeout: float = 180) -> list:
    """Run every callable in its own thread, released at the same moment; return results in order.

    An exception in any call is raised here (after all threads finished)."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def run(i, call):
        try:
            barrier.wait(timeout=timeout)
            results[i] = call()
        except BaseException as exc:  # noqa: BLE001 — reported to the test below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    if any(t.is_alive() for t in threads):
        raise AssertionError("a request of the race did not finish")
    if errors:
        raise errors[0]
    return results


def assert_no_server_errors(replies):
    bad = [f"{r.status} {r.url}" for r in replies if r.status >= 500]
    assert not bad, "server errors during the race:\n" + "\n".join(bad)


def assert_one_winner(pages, *, success: str, refusal: str):
    """`pages` are the pages people saw (replies fetched with follow=True): exactly one shows `success`
    among its success messages, every other one shows `refusal` among its error messages."""
    assert_no_server_errors(pages)
    winners = [p for p in pages if any(success in f for f in p.flashes("success"))]
    losers = [p for p in pages if any(refusal in f for f in p.flashes("error"))]
    assert len(winners) == 1, f"{len(winners)} requests succeeded: " + "; ".join(
        str(p.flashes()) for p in pages)[:2000]
    assert len(losers) == len(pages) - 1, "some requests neither won nor got the refusal: " + "; ".join(
        str(p.flashes()) for p in pages if p not in winners and p not in losers)[:2000]


def count_rows(model, **filters) -> int:
    """Rows of `model` matching `filters`, read fresh (what the server committed)."""
    from portal.extensions import db
    db.session.rollback()
    return db.session.execute(db.select(db.func.count()).select_from(model).filter_by(**filters)).scalar_one()


def fresh(model, ident):
    """The row as the server left it."""
    from portal.extensions import db
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(model, ident)
