"""Who may do what: the expected answer of every route, for every role, in one table (issue 11 §1).

tests/test_access_matrix.py requests every row below as every role, with the ids of a record of the
user's own organisation and of another organisation's record, and anonymously; it fails when an
answer differs from this table, when another unit's data (FOREIGN_MARKER) appears in an answer to a
non-bureau user, and when a registered route has no row here (so a new route must be declared).

How to read a row
-----------------
    METHOD endpoint   <one cell per role>   <anonymous>

A cell is one answer, or `own/foreign` when the route names a record (an id in its URL):
the first answer is for the home organisations' record (world.own), the second for another
organisation's record (world.foreign). One answer means the same for both.

    200    the page or file is shown
    302    redirected somewhere other than the login page (e.g. /login when already logged in)
    ok     POST reached the action: it was carried out, or refused with a message (200/204/302/303/400/409/422)
    403    refused: the role may not do this
    404    not found: the record does not exist or belongs to another organisation
    login  redirected to the login page (htmx requests get 401)

Role columns: adm 系統管理員, off 衛生局承辦人, chf 衛生局科長, cm 照管專員, cs 照管督導, aud 查核委員,
acm A單位個案管理師, ahd A單位主管, bst B單位服務人員, bhd B單位負責人, gui 輔導人員, app 設立申請人, anon 未登入.

"Own" records belong to the home organisations of tests/factories.build_world: the own client is
served by the home A and B units (not by the guidance unit); the own establishment plan is the home
applicant's (B heads may also author plans, but of their own organisation: 404 here); a job belongs to
the person who started it. Ids come from world.own / world.foreign, filled by each area's
tests/<area>/authz_data.py (see tests/authz.py).

Adding rows
-----------
When the matrix reports missing rows it prints them with the answers the routes give today: check every
cell is what the spec intends (a wrong answer pasted here becomes the rule), then paste them into the
area's tests/<area>/access_rows.py (the foundation's rows are below). Keep the columns aligned with `format_row` if you like; the parser only splits on spaces.
"""
import importlib
from dataclasses import dataclass

from portal.auth import roles

ROLE_COLUMNS = {
    "adm": roles.ADMIN, "off": roles.BUREAU_OFFICER, "chf": roles.BUREAU_CHIEF, "cm": roles.CARE_MANAGER,
    "cs": roles.CARE_SUPERVISOR, "aud": roles.AUDITOR, "acm": roles.A_CASE_MANAGER, "ahd": roles.A_UNIT_HEAD,
    "bst": roles.B_STAFF, "bhd": roles.B_HEAD, "gui": roles.GUIDANCE_STAFF, "app": roles.APPLICANT,
}
COLUMNS = tuple(ROLE_COLUMNS) + ("anon",)
TOKENS = {"200", "302", "ok", "400", "403", "404", "login"}

TABLE = """
# route                                 adm      off      chf      cm       cs       aud      acm      ahd      bst      bhd      gui      app      anon

## sign-in and accounts (portal/auth)
GET  auth.login                         302      302      302      302      302      302      302      302      302      302      302      302      200
POST auth.login                         ok       ok       ok       ok       ok       ok       ok       ok       ok       ok       ok       ok       ok
POST auth.logout                        login    login    login    login    login    login    login    login    login    login    login    login    login
GET  auth.password                      200      200      200      200      200      200      200      200      200      200      200      200      login
POST auth.password                      ok       ok       ok       ok       ok       ok       ok       ok       ok       ok       ok       ok       login
GET  auth.users                         200      403      403      403      403      403      403      403      403      403      403      403      login
GET  auth.user_new                      200      403      403      403      403      403      403      403      403      403      403      403      login
POST auth.user_new                      ok       403      403      403      403      403      403      403      403      403      403      403      login
GET  auth.user_edit                     200      403      403      403      403      403      403      403      403      403      403      403      login
POST auth.user_edit                     ok       403      403      403      403      403      403      403      403      403      403      403      login
POST auth.user_unlock                   ok       403      403      403      403      403      403      403      403      403      403      403      login

## home page and health check (portal/dashboard)
GET  dashboard.home                     200      200      200      200      200      200      200      200      200      200      200      200      login
GET  dashboard.healthz                  200      200      200      200      200      200      200      200      200      200      200      200      200

## clients (portal/clients): bureau roles see every client, units the clients they serve
GET  clients.index                      200      200      200      200      200      403      200      200      200      200      200      403      login
GET  clients.new                        200      200      403      200      200      403      200      200      200      200      403      403      login
POST clients.new                        ok       ok       403      ok       ok       403      ok       ok       ok       ok       403      403      login
GET  clients.show                       200      200      200      200      200      403      200/404  200/404  200/404  200/404  404      403      login
GET  clients.edit                       200      200      403      200      200      403      200/404  200/404  200/404  200/404  403      403      login
POST clients.edit                       ok       ok       403      ok       ok       403      ok/404   ok/404   ok/404   ok/404   403      403      login
GET  clients.pdf                        200      200      200      200      200      403      200/404  200/404  200/404  200/404  404      403      login
POST clients.export                     ok       ok       ok       ok       ok       403      ok       ok       ok       ok       403      403      login
GET  clients.data_request               200      200      200      200      200      403      403      403      403      403      403      403      login
POST clients.data_request               ok       ok       ok       ok       ok       403      403      403      403      403      403      403      login

## organisations and service areas (portal/orgs): the directory is open to every user, staff lists are not
GET  orgs.index                         200      200      200      200      200      200      200      200      200      200      200      200      login
GET  orgs.show                          200      200      200      200      200      200      200      200      200      200      200      200      login
GET  orgs.new                           200      200      403      403      403      403      403      403      403      403      403      403      login
POST orgs.new                           ok       ok       403      403      403      403      403      403      403      403      403      403      login
GET  orgs.edit                          200      200      403      403      403      403      403      403      403      403      403      403      login
POST orgs.edit                          ok       ok       403      403      403      403      403      403      403      403      403      403      login
GET  orgs.areas                         200      403      403      403      403      403      403      403      403      403      403      403      login
POST orgs.areas                         ok       403      403      403      403      403      403      403      403      403      403      403      login
GET  orgs.area_edit                     200      403      403      403      403      403      403      403      403      403      403      403      login
POST orgs.area_edit                     ok       403      403      403      403      403      403      403      403      403      403      403      login

## settings, office calendar, audit log (portal/settings, portal/auditlog)
GET  settings.index                     200      403      403      403      403      403      403      403      403      403      403      403      login
GET  settings.edit                      200      403      403      403      403      403      403      403      403      403      403      403      login
POST settings.edit                      ok       403      403      403      403      403      403      403      403      403      403      403      login
GET  settings.county                    200      403      403      403      403      403      403      403      403      403      403      403      login
POST settings.county                    ok       403      403      403      403      403      403      403      403      403      403      403      login
GET  settings.calendar                  200      200      200      403      403      403      403      403      403      403      403      403      login
POST settings.calendar                  ok       ok       ok       403      403      403      403      403      403      403      403      403      login
POST settings.calendar_delete           ok       ok       403      403      403      403      403      403      403      403      403      403      login
GET  auditlog.index                     200      200      200      403      403      403      403      403      403      403      403      403      login

## background jobs, 我的匯出 (portal/jobs): a person sees the jobs they started; the administrator all
GET  jobs.index                         200      200      200      200      200      200      200      200      200      200      200      200      login
GET  jobs.show                          200      200/404  200/404  200/404  200/404  200/404  200/404  200/404  200/404  200/404  200/404  200/404  login
GET  jobs.download                      200      200/404  200/404  200/404  200/404  200/404  200/404  200/404  200/404  200/404  200/404  200/404  login
POST jobs.retry_job                     ok       ok/404   ok/404   ok/404   ok/404   ok/404   ok/404   ok/404   ok/404   ok/404   ok/404   ok/404   login
POST jobs.selftest                      ok       403      403      403      403      403      403      403      403      403      403      403      login
GET  jobs.bench_seed                    200      403      403      403      403      403      403      403      403      403      403      403      login
POST jobs.start                         ok       ok       ok       ok       ok       403      403      403      ok       ok       ok       403      login

## establishment plans (portal/establishment): applicants write, the bureau reviews
GET  establishment.register             302      302      302      302      302      302      302      302      302      302      302      302      200
POST establishment.register             302      302      302      302      302      302      302      302      302      302      302      302      ok
GET  establishment.index                200      200      200      403      403      403      403      403      403      200      200      200      login
POST establishment.new                  403      403      403      403      403      403      403      403      403      ok       403      ok       login
GET  establishment.show                 200      200      200      403      403      403      403      403      403      404      404      200/404  login
GET  establishment.section              200      200      200      403      403      403      403      403      403      404      404      200/404  login
POST establishment.section              403      403      403      403      403      403      403      403      403      404      404      ok/404   login
POST establishment.upload               403      403      403      403      403      403      403      403      403      404      403      ok/404   login
POST establishment.remove_upload        403      403      403      403      403      403      403      403      403      404      403      ok/404   login
GET  establishment.attachment           200      200      200      403      403      403      403      403      403      404      404      200/404  login
POST establishment.submit               403      403      403      403      403      403      403      403      403      404      403      ok/404   login
GET  establishment.pdf                  200      200      200      403      403      403      403      403      403      404      404      200/404  login
GET  establishment.versions             200      200      200      403      403      403      403      403      403      404      404      200/404  login
POST establishment.receive              403      ok       ok       403      403      403      403      403      403      403      403      403      login
POST establishment.comment              403      ok       ok       403      403      403      403      403      403      403      403      403      login
POST establishment.delete_comment       403      ok       ok       403      403      403      403      403      403      403      403      403      login
POST establishment.decide               403      ok       ok       403      403      403      403      403      403      403      403      403      login
POST establishment.site_visit           403      ok       ok       403      403      403      403      403      403      403      403      403      login
GET  establishment.population           200      200      200      403      403      403      403      403      403      200      200      200      login
GET  establishment.population_edit      200      200      200      403      403      403      403      403      403      403      403      403      login
POST establishment.population_edit      ok       ok       ok       403      403      403      403      403      403      403      403      403      login
"""

# What the matrix posts (besides nothing) where an empty form would not reach the permission checks
# the row is about. Keep these harmless: the point is who may act, not acting.
POST_DATA = {
    "establishment.comment": {"section_key": "basic"},  # an unknown section answers 404 before anything else
}


@dataclass(frozen=True)
class Row:
    method: str
    endpoint: str
    cells: dict  # column -> (own answer, foreign answer)
    line: str  # where the row is written, for messages

    def expect(self, column: str, which: str) -> str:
        own, foreign = self.cells[column]
        return own if which == "own" else foreign


class TableError(ValueError):
    pass


def parse(text: str = TABLE, source: str = "access_table.py", rows: dict | None = None) -> dict:
    """Return {(method, endpoint): Row}; raise TableError naming the line of any malformed row."""
    rows = {} if rows is None else rows
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2 + len(COLUMNS):
            raise TableError(f"{source} line {number}: {len(parts) - 2} cells, expected {len(COLUMNS)} "
                             f"({' '.join(COLUMNS)}): {raw.strip()}")
        method, endpoint, cells = parts[0], parts[1], parts[2:]
        if method not in ("GET", "POST"):
            raise TableError(f"{source} line {number}: method must be GET or POST: {raw.strip()}")
        parsed = {}
        for column, cell in zip(COLUMNS, cells):
            answers = cell.split("/")
            if len(answers) > 2 or any(a not in TOKENS for a in answers):
                raise TableError(f"{source} line {number}: bad cell {cell!r} for {column} "
                                 f"(answers: {' '.join(sorted(TOKENS))}, or own/foreign)")
            parsed[column] = (answers[0], answers[-1])
        if (method, endpoint) in rows:
            raise TableError(f"{source} line {number}: {method} {endpoint} is declared twice")
        rows[(method, endpoint)] = Row(method, endpoint, parsed, f"{source} line {number}")
    return rows


def format_cell(own: str, foreign: str) -> str:
    return own if own == foreign else f"{own}/{foreign}"


def format_row(method: str, endpoint: str, cells: dict) -> str:
    """One aligned table line; `cells` maps column -> (own, foreign)."""
    text = " ".join(f"{format_cell(*cells[c]):<8}" for c in COLUMNS).rstrip()
    return f"{method:<4} {endpoint:<34} {text}"


# Each domain area keeps its rows next to its tests, in tests/<area>/access_rows.py (a TABLE string in
# the format above and, if needed, a POST_DATA dict): areas can add routes without touching each other.
# `python -m tests.access_table` prints the whole table, all areas together, for a reviewer.
AREAS = ("cases", "audits", "contracts", "billing", "reports", "incidents", "guidance", "establishment")


def area_tables():
    """[(source, table text)] in reading order: the foundation rows above, then each area's."""
    found = [("tests/access_table.py", TABLE)]
    for area in AREAS:
        try:
            module = importlib.import_module(f"tests.{area}.access_rows")
        except ModuleNotFoundError as exc:
            if exc.name != f"tests.{area}.access_rows":
                raise
            continue
        found.append((f"tests/{area}/access_rows.py", module.TABLE))
        POST_DATA.update(getattr(module, "POST_DATA", {}))
    return found


def parse_all() -> dict:
    rows = {}
    for source, text in area_tables():
        parse(text, source, rows)
    return rows


EXPECTED = parse_all()

if __name__ == "__main__":
    header = " ".join(f"{c:<8}" for c in COLUMNS).rstrip()
    print(f"{'# route':<39} {header}")
    for source, text in area_tables():
        print(f"\n# --- {source}")
        print(text.strip("\n"))
