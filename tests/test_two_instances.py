"""Two app instances on one PostgreSQL + Redis (issue 12 §4): nothing needed between requests lives in
process memory. A user logged in on one instance is served by the other; login throttling counts across
both; a job queued on one is finished by the worker and downloaded from the other."""
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from portal.auth import roles
from tests.conftest import USE_POSTGRES
from tests.jobs.test_jobs import _redis_available

pytestmark = pytest.mark.skipif(not (USE_POSTGRES and _redis_available()),
                                reason="needs PostgreSQL and Redis (make test runs it on PostgreSQL)")
BIN = Path(sys.executable).parent


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """A tiny cookie-keeping HTTP client (one person at one computer)."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  _NoRedirect())

    def get(self, url):
        return self._open(urllib.request.Request(url))

    def post(self, url, data):
        body = urllib.parse.urlencode(data).encode()
        return self._open(urllib.request.Request(url, data=body, method="POST"))

    def _open(self, request):
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def csrf(self, url):
        status, _, body = self.get(url)
        return re.search(rb'name="csrf_token"[^>]*?value="([^"]+)"', body).group(1).decode()

    def login(self, base, username, password="pw-test-123"):
        token = self.csrf(base + "/login")
        return self.post(base + "/login", {"csrf_token": token, "username": username, "password": password})

    def share_cookies_with(self, other):
        for cookie in self.jar:
            other.jar.set_cookie(cookie)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def two_instances(database_url, tmp_path, world):
    queue = f"two-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": "redis://127.0.0.1:6379/0",
           "PORTAL_JOB_QUEUE": queue, "PORTAL_JOB_STORAGE_DIR": str(tmp_path / "jobs"),
           "PORTAL_UPLOAD_DIR": str(tmp_path / "uploads"), "SECRET_KEY": "shared-secret-for-both-instances",
           "FLASK_APP": "wsgi:app"}
    ports = [_free_port(), _free_port()]
    servers = [subprocess.Popen([str(BIN / "gunicorn"), "--workers", "1", "--bind", f"127.0.0.1:{p}", "wsgi:app"],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for p in ports]
    try:
        for port in ports:
            deadline = time.time() + 60
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                    break
                except Exception:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.3)
        yield [f"http://127.0.0.1:{p}" for p in ports], env
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)


def test_session_throttle_and_jobs_across_instances(two_instances, world):
    (a, b), env = two_instances
    officer = world.users[roles.BUREAU_OFFICER]

    # Logged in on A, served by B.
    person = Browser()
    status, headers, _ = person.login(a, officer.username)
    assert status in (302, 303)
    status, _, body = person.get(b + "/")
    assert status == 200 and officer.full_name in body.decode()

    # The administrator's to-do list, kept in the shared Redis (portal/dashboard/cache.py).
    admin = Browser()
    admin.login(a, world.users[roles.ADMIN].username)
    victim = world.users[roles.B_STAFF]
    for base in (a, b, a):
        status, _, body = admin.get(base + "/")
        assert status == 200 and f"帳號 {victim.username}" not in body.decode()

    # Failed logins alternate between the instances and still add up to the lock.
    attacker = Browser()
    for i in range(5):
        attacker.login(a if i % 2 == 0 else b, victim.username, "wrong")
    status, _, body = Browser().login(b, victim.username)
    assert status == 401 and "鎖定" in body.decode()
    # Written through B, seen at once on A's kept list: the lock changed a table the list was computed from.
    status, _, body = admin.get(a + "/")
    assert status == 200 and f"帳號 {victim.username}" in body.decode()

    # A job queued on A, finished by the worker, downloaded from B.
    token = person.csrf(a + "/clients")
    status, headers, _ = person.post(a + "/clients/export", {"csrf_token": token, "q": ""})
    assert status == 303
    job_path = urllib.parse.urlparse(headers["Location"]).path
    subprocess.run([str(BIN / "flask"), "jobs-worker", "--burst"], env=env, check=True, timeout=120,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    status, _, body = person.get(b + job_path)
    assert status == 200 and "下載" in body.decode()
    status, _, data = person.get(b + job_path + "/download")
    assert status == 200 and "本單位個案" in data.decode("utf-8-sig")
