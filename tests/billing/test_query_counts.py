"""Query budget of the family-care billing pages (issue 10): a month's declaration runs the same number
of SQL statements whatever the length of the home's declared history, and the pages a home's head uses
every day run no query per row. Counts only; no timings (bench/declaration_history.py prints those)."""
from contextlib import contextmanager
from datetime import date, datetime, time

from sqlalchemy import event

from portal import clock
from portal.auth import roles
from portal.billing import documents
from portal.billing import operations as ops
from portal.billing import rules
from portal.billing.models import CareAdmission, Declaration, ServiceDay
from portal.extensions import db
from tests.billing.conftest import admit, record, weekdays
from tests.factories import make_org

BUDGET = 12
# Saving one row of the day sheet writes the record, its revision and an audit-log row after checking the
# home's limits (persons that day, days that week, opening hours, lock, declaration), then answers the row:
# a fixed number, the same for 2 or 4 clients (it was 28, re-reading and re-pricing the whole sheet for one row).
# 23 since the commit also raises the written tables' versions (portal/table_versions.py: one statement);
# 24 since requests count from their first hook, loading the logged-in user included (portal/perf.py).
ROW_SAVE_BUDGET = 24
JANUARY = date(2025, 1, 1)


def _admissions(world, count, start=0):
    return [admit(world, welfare_status=("general", "mid_low", "low")[i % 3], cms_level=5 + i % 3)
            for i in range(start, start + count)]


def _record_month(world, admissions, month, days=2):
    for i, admission in enumerate(admissions):
        for day in weekdays(month, days, start_day=6):
            record(world, admission, day, bath=i == 0, dinner=i == 1)


def _declare(world, home, month):
    with clock.freeze(datetime.combine(rules.next_month(month).replace(day=3), time(10))):
        declaration = ops.submit_declaration(world.users[roles.B_HEAD], home.id, month)
    db.session.commit()
    return declaration


def _declare_months(world, home, admissions, month, count, *, recorded=False):
    """Declare `count` months from `month` (its days already recorded if `recorded`); return the next month,
    recorded and not declared (the month being recorded: the draft)."""
    for i in range(count):
        if not (recorded and i == 0):
            _record_month(world, admissions, month)
        _declare(world, home, month)
        month = rules.next_month(month)
    _record_month(world, admissions, month)
    return month


@contextmanager
def _statements():
    seen = []

    def count(*args):
        seen.append(args[2])
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _count(client, url, method="get", **kwargs):
    """Steady-state SQL statements of one request (after a warm-up: settings and the office calendar
    are read once a process)."""
    db.session.commit()
    db.session.expire_all()
    if method == "get":
        client.get(url, **kwargs)
    response = getattr(client, method)(url, **kwargs)
    assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[-500:])
    return int(response.headers["X-Query-Count"])


def _declaration_pages(client, world, login, home, draft_month):
    """Query counts of the declaration pages with the history as it stands."""
    last = db.session.execute(db.select(Declaration).filter_by(
        organisation_id=home.id, service_month=rules.previous_month(draft_month))).scalar_one()
    counts = {}
    with clock.freeze(datetime.combine(draft_month.replace(day=20), time(10))):
        login(world.users[roles.B_HEAD])
        draft = f"/billing/homes/{home.id}/declarations/{draft_month:%Y-%m}"
        counts["draft page"] = _count(client, draft)
        counts["draft page (htmx)"] = _count(client, draft, headers={"HX-Request": "true"})
        counts["draft xlsx"] = _count(client, draft + "/declaration.xlsx")   # the PDFs' data, without WeasyPrint
        counts["declaration list"] = _count(client, f"/billing/homes/{home.id}/declarations")
        counts["home's view of the last declaration"] = _count(client, f"/billing/declarations/{last.id}")
        login(world.users[roles.BUREAU_OFFICER])
        counts["bureau review of the last declaration"] = _count(client, f"/billing/declarations/{last.id}")
        counts["bureau review, xlsx"] = _count(client, f"/billing/declarations/{last.id}/declaration.xlsx")
        counts["bureau view of the draft"] = _count(client, draft)
        db.session.expire_all()
        with _statements() as seen:   # what the draft PDFs (summary, item list) gather
            doc = documents.declaration_doc(home, draft_month)
        counts["draft document data"] = len(seen)
    assert doc.lines and doc.groups
    return counts


def test_declaration_pages_run_the_same_queries_whatever_the_history(client, world, home, login, app_ctx):
    admissions = _admissions(world, 2)
    # a subsidy change effective from a past date: declared months carry adjustments, the page lists it
    draft = _declare_months(world, home, admissions, JANUARY, 1)
    with clock.freeze(datetime.combine(draft.replace(day=20), time(9))):
        ops.record_subsidy_change(world.users[roles.B_HEAD], admissions[0], field="welfare_status", value="low",
                                  fact_date=date(2025, 1, 6), notified_on=draft.replace(day=20), evidence="公所核定函")
    db.session.commit()
    one = _declaration_pages(client, world, login, home, draft)
    assert all(n <= BUDGET for n in one.values()), one

    draft = _declare_months(world, home, admissions, draft, 13, recorded=True)
    assert len(db.session.execute(db.select(Declaration).filter_by(organisation_id=home.id)).scalars().all()) == 14
    fourteen = _declaration_pages(client, world, login, home, draft)
    assert fourteen == one, (one, fourteen)


def test_draft_lines_unchanged_by_reading_the_history_at_once(world, home, app_ctx):
    """The one-pass draft equals each month priced and compared on its own (the way it was computed)."""
    from portal.billing import pricing
    admissions = _admissions(world, 2)
    draft = _declare_months(world, home, admissions, JANUARY, 3)
    with clock.freeze(datetime.combine(draft.replace(day=20), time(9))):
        ops.record_subsidy_change(world.users[roles.B_HEAD], admissions[1], field="cms_level", value=7,
                                  fact_date=date(2025, 2, 10), notified_on=draft.replace(day=20), evidence="複評結果")
    db.session.commit()
    lines = pricing.declaration_lines(home.id, draft)
    expected = []
    for month in (date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)):
        expected += pricing.difference(pricing.month_lines(home.id, month, pricing.month_options(home.id, month)),
                                       pricing.declared_lines(home.id, month), adjustment=True)
    expected += pricing.difference(pricing.month_lines(home.id, draft), pricing.declared_lines(home.id, draft),
                                   adjustment=False)
    assert lines == expected
    assert any(l.adjustment and l.amount for l in lines) and any(not l.adjustment for l in lines)


def _day_pages(client, world, login, home, day):
    counts = {}
    sheet = f"/billing/homes/{home.id}/days/{day.isoformat()}"
    with clock.freeze(datetime.combine(day, time(19))):
        login(world.users[roles.B_HEAD])
        counts["day sheet"] = _count(client, sheet)
        counts["day sheet counter (htmx)"] = _count(client, sheet + "?part=counter", headers={"HX-Request": "true"})
        admission = db.session.execute(db.select(CareAdmission).filter_by(organisation_id=home.id)
                                       .order_by(CareAdmission.id)).scalars().first()
        saved = db.session.execute(db.select(ServiceDay).filter_by(admission_id=admission.id, day=day)).scalar_one()
        prefix = f"r{admission.id}"
        data = {f"{prefix}-attended": "y", f"{prefix}-kind": "full_day", f"{prefix}-start_time": "08:00",
                f"{prefix}-end_time": "17:00", f"{prefix}-bath": "" if saved.bath else "y",
                f"{prefix}-version": saved.version}
        url = f"{sheet}/clients/{admission.id}"
        counts["row save (htmx)"] = _count(client, url, method="post", data=data, headers={"HX-Request": "true"})
        counts["home month"] = _count(client, f"/billing/homes/{home.id}?month={day:%Y-%m}")
        login(world.users[roles.BUREAU_OFFICER])
        counts["day sheet, read-only"] = _count(client, sheet)   # each row tells who changed it last
    db.session.expire_all()
    with _statements() as seen:   # the clients' receipts of the month (PDF data)
        receipts = documents.client_receipts(home, day, today=day)
    counts["receipts data"] = len(seen)
    return counts, len(receipts)


def test_day_sheet_and_row_fragment_run_no_query_per_client(client, world, home, login, app_ctx):
    day = date(2025, 3, 6)

    def clients_on_the_day(admissions):
        for i, admission in enumerate(admissions):
            record(world, admission, day)
            record(world, admission, day, dinner=True)   # a second revision: the read-only row names its author
    first = _admissions(world, 2)
    clients_on_the_day(first)
    two, receipts = _day_pages(client, world, login, home, day)
    assert receipts == 2
    clients_on_the_day(_admissions(world, 2, start=2))
    four, receipts = _day_pages(client, world, login, home, day)
    assert receipts == 4
    assert four == two, (two, four)
    assert all(n <= BUDGET for k, n in two.items() if k != "row save (htmx)"), two
    assert two["row save (htmx)"] <= ROW_SAVE_BUDGET, two


def test_lists_run_no_query_per_row(client, world, home, login, app_ctx):
    """The corrections list and the bureau's review queue name each row's home and client."""
    day = date(2025, 3, 6)
    admissions = _admissions(world, 4)
    for admission in admissions:
        record(world, admission, day)
    others = [make_org(roles.B_UNIT, subtype="family_care") for _ in range(3)]
    db.session.commit()

    def add_rows(admissions, orgs):
        with clock.freeze(datetime(2025, 4, 10, 9)):   # March is locked: changes go through a correction
            for admission in admissions:
                ops.request_correction(world.users[roles.B_HEAD], admission, day,
                                       {"attended": True, "kind": "half_day", "start_time": time(8),
                                        "end_time": time(12), "bath": False, "dinner": False},
                                       reason="誤植為全日")
        for org in orgs:
            db.session.add(Declaration(organisation_id=org.id, service_month=date(2025, 3, 1), status="submitted",
                                       totals={"total": 0}))
        db.session.commit()

    def counts():
        login(world.users[roles.B_HEAD])
        result = {"corrections": _count(client, "/billing/corrections")}
        login(world.users[roles.BUREAU_OFFICER])
        result["bureau corrections"] = _count(client, "/billing/corrections")
        result["review queue"] = _count(client, "/billing/review")
        return result

    add_rows(admissions[:1], others[:1])
    one = counts()
    add_rows(admissions[1:], others[1:])
    more = counts()
    assert more == one and all(n <= BUDGET for n in one.values()), (one, more)


def test_unit_summary_shows_each_homes_latest_filed_month(world, app_ctx):
    """The line next to a home (dispatch list, unit pages): its latest filed declaration, never a draft, read
    in one query whatever the number of months."""
    from datetime import date

    from portal.billing.dashboard import declaration_summary
    from portal.billing.models import Declaration
    from portal.extensions import db
    home, other = world.orgs["b"], world.orgs["b_other"]
    for org, month, status in [(home, date(2025, 1, 1), "paid"), (home, date(2025, 3, 1), "submitted"),
                               (home, date(2025, 4, 1), "draft"), (other, date(2024, 12, 1), "approved")]:
        db.session.add(Declaration(organisation_id=org.id, service_month=month, status=status))
    db.session.flush()
    assert declaration_summary([home.id, other.id]) == {
        home.id: ["家托申報：114年3月 已申報"], other.id: ["家托申報：113年12月 審核通過"]}
    assert declaration_summary([]) == {}
