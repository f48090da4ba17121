"""The family-care demo data: every screen has something to show, and a month of demo records
produces a declaration whose totals are recomputed here independently from the raw records."""
from collections import defaultdict
from datetime import date, datetime
from decimal import ROUND_FLOOR, Decimal

from portal import clock
from portal.billing import rules
from portal.billing.models import (CareAdmission, CorrectionRequest, Declaration, ServiceDay, StaffChange,
                                   SubsidyChange)
from portal.billing.compliance import compliance_items
from portal.extensions import db
from portal.orgs.models import Organisation

# The shipped default prices ([external], to be confirmed) written out again, so the test does not
# read them through the code it checks: full and half day by CMS level, bath 200, dinner 150.
FULL = {2: 625, 3: 760, 4: 830, 5: 945, 6: 1020, 7: 1090, 8: 1160}
HALF = {2: 315, 3: 380, 4: 415, 5: 475, 6: 510, 7: 545, 8: 580}
RATIO = {"general": Decimal("0.16"), "mid_low": Decimal("0.05"), "low": Decimal("0")}
FAMILY_RELATIONS = {"parent", "child", "spouse", "grandparent", "grandchild", "parent_in_law", "step_parent",
                    "step_child", "child_spouse", "grandparent_in_law", "grandchild_spouse", "spouse_sibling",
                    "sibling_spouse"}


def _floor(amount, ratio):
    return int((Decimal(amount) * ratio).to_integral_value(rounding=ROUND_FLOOR))


def recompute(org_id, month):
    """Decisions.md Q11 defaults: family-care days against the monthly quota in date order; co-payment
    floored per client × code × ratio × month; bath and dinner outside the quota, claimed on
    縣市政府補助費用; the carer's relatives are not declared; welfare status as of each day."""
    days = db.session.execute(
        db.select(ServiceDay).where(ServiceDay.organisation_id == org_id, ServiceDay.attended.is_(True),
                                    ServiceDay.day >= month, ServiceDay.day <= rules.month_end(month))
        .order_by(ServiceDay.day, ServiceDay.client_id)).scalars().all()
    used = defaultdict(int)
    sums = defaultdict(int)
    for d in days:
        admission = d.admission
        if admission.carer_relation in FAMILY_RELATIONS:
            continue
        status = admission.welfare_status
        for change in sorted(admission.changes, key=lambda c: c.fact_date):
            if change.field == "welfare_status" and change.fact_date <= d.day and change.cancelled_at is None:
                status = change.value
        price = (FULL if d.kind == "full_day" else HALF)[admission.cms_level]
        if admission.monthly_quota is not None:
            price = max(0, min(price, admission.monthly_quota - used[d.client_id]))
            used[d.client_id] += price
        sums[("care", d.client_id, d.kind, status)] += price
        if d.bath:
            sums[("extra", d.client_id, "bath", status)] += 200
        if d.dinner:
            sums[("extra", d.client_id, "dinner", status)] += 150
    declared = copay = county = 0
    for (kind, _, _, status), amount in sums.items():
        co = _floor(amount, RATIO[status])
        if kind == "care":
            declared, copay = declared + amount, copay + co
        else:
            county += amount - co
    return {"declared": declared, "copay": copay, "county_subsidy": county, "total": declared - copay + county}


def test_demo_family_care(app_ctx):
    from portal.demo_data import seed_all
    today = date(2025, 6, 18)
    with clock.freeze(datetime(2025, 6, 18, 9)):
        ctx = seed_all("demo-test-pw")
        db.session.commit()
    b1, b2 = ctx.orgs["b1"], ctx.orgs["b2"]
    assert {o.subtype for o in (b1, b2)} == {"family_care"}
    for home in (b1, b2):
        admissions = db.session.execute(db.select(CareAdmission).filter_by(organisation_id=home.id)).scalars().all()
        assert len(admissions) == 5
        # previous month complete and locked; current month in progress up to yesterday
        may = date(2025, 5, 1)
        assert rules.records_locked(may, today)
        may_days = {d.day for d in db.session.execute(db.select(ServiceDay).filter_by(organisation_id=home.id))
                    .scalars() if d.day.month == 5}
        assert may_days == {d for d in rules.month_days(may) if d.weekday() < 5}
        june = [d for d in db.session.execute(db.select(ServiceDay.day).filter_by(organisation_id=home.id)).scalars()
                if d.month == 6]
        assert june and max(june) < today
        # never more than 4 persons a day
        per_day = defaultdict(int)
        for d in db.session.execute(db.select(ServiceDay).filter_by(organisation_id=home.id, attended=True)).scalars():
            per_day[d.day] += 1
        assert max(per_day.values()) <= 4
    # April declared and paid for both homes; May requested by b1 for the officer
    declarations = {(d.organisation_id, d.service_month): d for d in db.session.execute(db.select(Declaration)).scalars()}
    assert declarations[(b1.id, date(2025, 4, 1))].status == "paid"
    assert declarations[(b2.id, date(2025, 4, 1))].status == "paid"
    assert declarations[(b1.id, date(2025, 5, 1))].status == "requested"
    assert (b2.id, date(2025, 5, 1)) not in declarations
    # the independent recomputation of every demo declaration
    for (org_id, month), declaration in declarations.items():
        expected = recompute(org_id, month)
        t = declaration.totals
        assert (t["declared"], t["copay"], t["rows"]["county_subsidy"], t["total"]) == (
            expected["declared"], expected["copay"], expected["county_subsidy"], expected["total"]), (org_id, month)
    # b1's May has the mid-month welfare change; b2 has the carer's mother, self-paid
    assert db.session.execute(db.select(SubsidyChange).filter_by(organisation_id=b1.id)).scalar_one()
    assert db.session.execute(db.select(CareAdmission).filter_by(organisation_id=b2.id,
                                                                 carer_relation="parent")).scalar_one()
    assert db.session.execute(db.select(CorrectionRequest).filter_by(status="submitted")).scalar_one()
    assert db.session.execute(db.select(StaffChange).filter_by(status="submitted")).scalar_one()
    items = compliance_items([b1.id, b2.id], today)
    assert any(i.state == "soon" for i in items) and any(i.state == "overdue" for i in items)
    assert db.session.get(Organisation, b1.id).head_name == "陳美華"
