"""The authorisation matrix (issue 11 §1): every route (GET and POST) × every role × the home
organisations' record / another organisation's record / anonymous, checked against the table of
expected answers in tests/access_table.py.

For every request it also asserts: never a 5xx; a user outside the county-wide bureau roles never
gets another unit's data (FOREIGN_MARKER) in a page, file or PDF; a refused POST changes nothing
(no audit-log row); a route naming two records refuses a mix of a visible record and another
unit's (e.g. the own plan with another plan's attachment). Routes without a row still get those
checks, and test_every_route_is_declared fails, printing the missing rows.
"""
import subprocess
import tempfile
from urllib.parse import urlsplit

import pytest
from flask import url_for

from portal.auditlog.models import AuditLogEntry
from portal.auth import roles
from portal.extensions import db
from tests.access_table import COLUMNS, EXPECTED, POST_DATA, ROLE_COLUMNS, format_row
from tests.authz import lookup, run_matrix_builders
from tests.factories import FOREIGN_MARKER

SKIP_ENDPOINTS = {"static"}
METHODS = ("GET", "POST")
# POST answers that mean "the action was reached" (done, or refused by the action with a message).
REACHED = {"200", "204", "302", "400", "409", "422"}
COLUMN_OF = {role: column for column, role in ROLE_COLUMNS.items()}


@pytest.fixture
def matrix_world(world):
    run_matrix_builders(world)
    db.session.commit()
    return world


def routes(app):
    """(method, rule) for every registered route; POSTs after GETs and logging out last."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS:
            continue
        for method in METHODS:
            if method in rule.methods:
                found.append((method, rule))
    return sorted(found, key=lambda mr: (mr[0] == "POST", mr[1].endpoint == "auth.logout", mr[1].endpoint))


def build_url(rule, registry, user):
    """The rule's URL with its parameters taken from `registry` (KeyError names a missing parameter)."""
    values = {arg: value_for(rule, registry, arg, user) for arg in rule.arguments}
    return url_for(rule.endpoint, **values)


def value_for(rule, registry, arg, user):
    """The registered value for `arg`; an `any(...)` parameter without one takes its first choice."""
    try:
        return lookup(registry, rule.endpoint, arg, user)
    except KeyError:
        converter = rule._converters[arg]
        if converter.__class__.__name__ == "AnyConverter":
            return sorted(converter.items)[0]
        raise


def urls_for(rule, world, user):
    """{"own": url, "foreign": url?, "mixed": [urls]} — foreign only when the route names a scoped record."""
    own = {arg: value_for(rule, world.own, arg, user) for arg in rule.arguments}
    foreign = {arg: value_for(rule, world.foreign, arg, user) for arg in rule.arguments}
    scoped_args = [arg for arg in rule.arguments if own[arg] != foreign[arg]]
    urls = {"own": url_for(rule.endpoint, **own)}
    if scoped_args:
        urls["foreign"] = url_for(rule.endpoint, **foreign)
    if len(scoped_args) >= 2:
        urls["mixed"] = [url_for(rule.endpoint, **{**own, arg: foreign[arg]}) for arg in scoped_args]
    return urls


def answer(response) -> str:
    """The response as a table token: a status code, '302' for a redirect, 'login' for one to the login page."""
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        return "login" if urlsplit(response.headers.get("Location", "")).path == "/login" else "302"
    return str(status)


def matches(expected: str, method: str, response) -> bool:
    got = answer(response)
    if expected == "ok":
        return method == "POST" and got in REACHED
    return got == expected


def body_text(response) -> str:
    if response.status_code != 200:
        return ""
    if response.mimetype == "application/pdf":
        with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
            f.write(response.data)
            f.flush()
            return subprocess.run(["pdftotext", f.name, "-"], capture_output=True, text=True).stdout
    if response.mimetype.startswith("text/") or response.mimetype in ("application/json", "image/svg+xml"):
        return response.get_data(as_text=True)
    return response.data.decode("utf-8", "ignore")


def audit_rows():
    return db.session.execute(db.select(db.func.count(AuditLogEntry.id))).scalar_one()


def send(client, method, url, endpoint, headers=None):
    data = dict(POST_DATA.get(endpoint, {})) if method == "POST" else None
    return client.open(url, method=method, data=data, headers=headers)


def check(client, method, url, endpoint, expected, *, leak_check, problems, label, headers=None):
    """Request `url`; record in `problems` what differs from `expected` (None: undeclared, generic checks)."""
    before = audit_rows() if method == "POST" else None
    response = send(client, method, url, endpoint, headers)
    got = answer(response)
    if response.status_code >= 500:
        problems.append(f"{label}: {method} {url} answered {response.status_code}")
        return response
    if expected is not None and not matches(expected, method, response):
        problems.append(f"{label}: {method} {url} answered {got}, table says {expected}")
    if leak_check and FOREIGN_MARKER in body_text(response):
        problems.append(f"{label}: {method} {url} shows another unit's data")
    if method == "POST" and got in ("403", "404", "login") and audit_rows() != before:
        problems.append(f"{label}: {method} {url} was refused ({got}) but changed data")
    return response


@pytest.mark.parametrize("role", sorted(roles.ROLE_LABELS))
def test_every_route_as_every_role(app, client, matrix_world, login, role):
    world = matrix_world
    user = world.users[role]
    column = COLUMN_OF[role]
    leak_check = not user.sees_all
    login(user)
    problems = []
    for method, rule in routes(app):
        row = EXPECTED.get((method, rule.endpoint))
        label = f"{column} {method} {rule.endpoint}"
        try:
            urls = urls_for(rule, world, user)
        except KeyError as exc:
            if row is not None:
                problems.append(f"{label}: no id for <{exc.args[0]}>: register world.own / world.foreign"
                                f"[{exc.args[0]!r}] in tests/<area>/authz_data.py")
                continue
            # Not declared yet (test_every_route_is_declared says so): the generic checks, with
            # another unit's ids where registered.
            url, names_foreign = _build(app, rule, world.foreign)
            urls = {"foreign" if names_foreign else "own": url}
        for which in ("own", "foreign"):
            if which not in urls:
                continue
            expected = row.expect(column, which) if row else None
            response = check(client, method, urls[which], rule.endpoint, expected, leak_check=leak_check,
                             problems=problems, label=f"{label} ({which} record)")
            if row is None and which == "foreign" and leak_check and response.status_code == 200:
                problems.append(f"{label}: {urls[which]} answered 200 with another unit's record")
        for url in urls.get("mixed", []):
            response = send(client, method, url, rule.endpoint)
            if answer(response) not in ("403", "404"):
                problems.append(f"{label}: {method} {url} (a visible record with another unit's) answered "
                                f"{answer(response)}, expected 403 or 404")
        if method == "POST" and rule.endpoint == "auth.logout":
            login(user)
    assert not problems, f"{len(problems)} answers differ from tests/access_table.py:\n" + "\n".join(problems)


def test_anonymous(app, client, matrix_world):
    world = matrix_world
    someone = world.users[roles.ADMIN]  # ids of person-owned records (jobs) are resolved for someone
    problems = []
    for method, rule in routes(app):
        row = EXPECTED.get((method, rule.endpoint))
        try:
            url = build_url(rule, world.own, someone)
        except KeyError:
            url, _ = _build(app, rule, world.foreign)  # reported by test_every_route_is_declared
        expected = row.cells["anon"][0] if row else None
        response = check(client, method, url, rule.endpoint, expected, leak_check=True, problems=problems,
                         label=f"anon {method} {rule.endpoint}")
        if row is None and response.status_code == 200 and method == "GET":
            problems.append(f"anon GET {url} is open without login (declare it in tests/access_table.py)")
        if expected == "login":
            htmx = send(client, method, url, rule.endpoint, headers={"HX-Request": "true"})
            if htmx.status_code != 401:
                problems.append(f"anon htmx {method} {url} answered {htmx.status_code}, expected 401")
    assert not problems, "\n".join(problems)


def test_every_route_is_declared(app, client, matrix_world, login):
    """A registered route without a row fails here, with the rows to add (today's answers, to be checked);
    so does a route whose ids are not registered for both the home organisations and another unit."""
    world = matrix_world
    registered = {(method, rule.endpoint): rule for method, rule in routes(app)}
    missing = [key for key in registered if key not in EXPECTED]
    stale = [key for key in EXPECTED if key not in registered]
    message = []
    unregistered = {}
    for (method, endpoint), rule in registered.items():
        for registry_name, registry in (("world.own", world.own), ("world.foreign", world.foreign)):
            for arg in rule.arguments:
                try:
                    value_for(rule, registry, arg, world.users[roles.ADMIN])
                except KeyError:
                    unregistered.setdefault(f"{registry_name}[{arg!r}]", set()).add(endpoint)
    if unregistered:
        message.append("Routes without ids to try (register them in tests/<area>/authz_data.py, see tests/authz.py):")
        message += [f"  {name} for {', '.join(sorted(endpoints))}" for name, endpoints in sorted(unregistered.items())]
    if missing:
        observed = observe(app, client, world, login, [(m, registered[(m, e)]) for m, e in missing])
        message.append(f"{len(missing)} routes have no row in tests/access_table.py. These are the answers they "
                       "give today — check every cell is what the spec intends, then paste into "
                       "tests/<area>/access_rows.py:\n")
        message += [format_row(m, e, observed[(m, e)]) for m, e in missing]
    if stale:
        message.append("\nRows for routes that no longer exist (remove them):")
        message += [f"{EXPECTED[key].line}: {key[0]} {key[1]}" for key in stale]
    assert not message, "\n".join(message)


def observe(app, client, world, login, wanted):
    """Today's answers of `wanted` (method, rule) pairs for every column, as table cells."""
    cells = {(m, r.endpoint): {} for m, r in wanted}
    for column in COLUMNS:
        user = world.users[ROLE_COLUMNS[column]] if column != "anon" else None
        if user:
            login(user)
        else:
            client.post("/logout")
        for method, rule in wanted:
            try:
                urls = urls_for(rule, world, user or world.users[roles.ADMIN])
            except KeyError:
                cells[(method, rule.endpoint)][column] = ("?", "?")  # ids not registered: listed above
                continue
            got = []
            for which in ("own", "foreign"):
                url = urls.get(which, urls["own"])
                token = answer(send(client, method, url, rule.endpoint))
                got.append("ok" if method == "POST" and token in REACHED else token)
            cells[(method, rule.endpoint)][column] = (got[0], got[1] if user else got[0])
    return cells


def _build(app, rule, foreign):
    """(url, names_foreign) with ids from `foreign` and harmless values elsewhere (used by test_hostile_input)."""
    values, names_foreign = {}, False
    for arg in rule.arguments:
        converter = rule._converters[arg]
        try:
            values[arg] = lookup(foreign, rule.endpoint, arg)
            names_foreign = True
        except KeyError:
            name = converter.__class__.__name__
            values[arg] = sorted(converter.items)[0] if name == "AnyConverter" else 1 if "Integer" in name else "x"
    with app.test_request_context():
        return url_for(rule.endpoint, **values), names_foreign
