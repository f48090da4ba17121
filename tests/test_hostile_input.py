"""Hostile input to every form (issue 11 §3).

For every route that accepts POST, as every role: fetch the page (GET) to learn
its form fields, then post hypothesis-chosen hostile values (over-long text,
control characters, HTML/script, SQL fragments, wrong types, huge and negative
numbers, impossible dates). Never a 500; when the answer is not a redirect
(i.e. the input was refused), nothing was saved: no new audit-log row.
New routes and forms join automatically.
"""
import re

import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

from portal.auditlog.models import AuditLogEntry
from portal.auth import roles
from portal.extensions import db
from tests.test_access_matrix import _build

HOSTILE = [
    "", " ", "\t\r\n", "x" * 5000, "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>",
    "'; DROP TABLE clients; --", "1 OR 1=1", "-1", "0", "99999999999999999999", "1e309", "NaN", "-0.5",
    "0/13/32", "114/2/30", "2025-02-30", "00/00/00", "../../etc/passwd", "\u202e\u200b", "\x1b[31m", "１２３",
    "🙂" * 50, "A123456789", "null", "[]", "{}", "%00", "\\", "\u0000".replace("\u0000", ""),
]
SKIP = {"auth.logout", "auth.login"}
FIELD_RE = re.compile(r'<(input|select|textarea)\b[^>]*\bname="([^"]+)"[^>]*>', re.I)


def _post_routes(app):
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and rule.endpoint not in SKIP:
            yield rule


def _field_names(html):
    names = []
    for tag, name in FIELD_RE.findall(html):
        if name not in ("csrf_token",) and name not in names:
            names.append(name)
    return names


@pytest.mark.parametrize("role", [roles.BUREAU_OFFICER, roles.ADMIN, roles.CARE_MANAGER, roles.A_CASE_MANAGER,
                                  roles.B_HEAD, roles.GUIDANCE_STAFF, roles.AUDITOR, roles.APPLICANT])
@settings(max_examples=6, deadline=None, phases=[Phase.explicit, Phase.generate], suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(values=st.lists(st.sampled_from(HOSTILE) | st.text(max_size=40), min_size=64, max_size=64))
def test_hostile_values_to_every_form(app, client, world, login, role, values):
    # Values are drawn up front and dealt to the fields, so what hypothesis draws
    # does not depend on the pages (which change as data is added).
    login(world.users[role])
    own_ids = {k: v for k, v in world.foreign.items()}
    problems = []
    for route_no, rule in enumerate(_post_routes(app)):
        url, _ = _build(app, rule, own_ids)
        page = client.get(url) if "GET" in rule.methods else None
        fields = _field_names(page.get_data(as_text=True)) if page is not None and page.status_code == 200 else []
        if not fields:
            fields = ["value", "comment", "reason", "name"]
        form = {name: values[(route_no * 7 + i) % len(values)] for i, name in enumerate(fields)}
        with app.app_context():
            before = db.session.execute(db.select(db.func.count(AuditLogEntry.id))).scalar_one()
        response = client.post(url, data=form)
        if response.status_code >= 500:
            problems.append(f"{response.status_code} on POST {url} with {form!r:.300}")
            continue
        # A 200 that is a file (the access-request PDF) is a success, not a refusal.
        if response.status_code in (200, 400, 401, 403, 404, 405, 409, 422) and response.mimetype == "text/html":
            with app.app_context():
                after = db.session.execute(db.select(db.func.count(AuditLogEntry.id))).scalar_one()
            if after != before and rule.endpoint != "auth.password":
                problems.append(f"POST {url} answered {response.status_code} but changed data")
    assert not problems, "\n".join(problems)


def test_nul_bytes_refused(client, world, login):
    login(world.users[roles.BUREAU_OFFICER])
    response = client.post("/admin/calendar", data={"day": "114/7/7", "kind": "off", "name": "a\x00b"})
    assert response.status_code == 400


def test_user_text_is_escaped_in_pages_and_pdfs(client, world, login, app_ctx):
    import subprocess
    import tempfile
    client_row = world.clients["own"]
    client_row.notes = "<script>alert('x')</script><b>粗體</b>"
    client_row.address = "<img src=file:///etc/passwd>"
    db.session.commit()
    login(world.users[roles.BUREAU_OFFICER])
    page = client.get(f"/clients/{client_row.id}").get_data(as_text=True)
    assert "<script>alert('x')</script>" not in page and "&lt;script&gt;" in page
    pdf = client.get(f"/clients/{client_row.id}.pdf").data
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        text = subprocess.run(["pdftotext", f.name, "-"], capture_output=True, text=True).stdout
    assert "<img src=file:///etc/passwd>" in text  # printed as text, never fetched
