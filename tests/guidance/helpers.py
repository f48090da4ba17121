"""Builders for guidance test data."""
from datetime import date

from portal.extensions import db
from portal.guidance.models import GrantApplication, GuidanceOfficer, GuidancePlan, GuidanceVisit, GuidedHome

PLAN = {f"sec_{f}": f"{label}內容" for f, label in GuidancePlan.SECTIONS}


def make_home(guidance_org, *, stage="found", organisation=None, name="測試家庭托顧服務", carer="測試家托員", **dates):
    defaults = {"found_on": date(2025, 1, 5)}
    order = ("found", "env_checked", "licence_applied", "licensed", "contracted")
    fill = {"env_checked": ("env_checked_on", date(2025, 2, 1)), "licence_applied": ("licence_applied_on", date(2025, 3, 1)),
            "licensed": ("licensed_on", date(2025, 4, 10)), "contracted": ("contracted_on", date(2025, 5, 20))}
    if stage in order:
        for s in order[1:order.index(stage) + 1]:
            defaults[fill[s][0]] = fill[s][1]
    defaults.update(dates)
    home = GuidedHome(guidance_org_id=guidance_org.id, organisation_id=organisation.id if organisation else None,
                      home_name=name, carer_name=carer, stage=stage, **defaults)
    db.session.add(home)
    db.session.flush()
    return home


def make_officer(org, name="測試輔導員", **fields):
    values = {"education": "college", "related_field": True, "sw_exam_eligible": False, "experience_months": 0,
              "qualification_path": 1}
    values.update(fields)
    officer = GuidanceOfficer(organisation_id=org.id, name=name, **values)
    db.session.add(officer)
    db.session.flush()
    return officer


def make_visit(home, on=date(2025, 6, 1), content="訪視內容", **fields):
    visit = GuidanceVisit(home_id=home.id, visited_on=on, mode="onsite", topics=["accounts"], content=content, **fields)
    db.session.add(visit)
    db.session.flush()
    return visit


def make_grant(org, *, kind="development", home=None, year=2025, month=6, items=None, status="submitted", **fields):
    items = items or {"printing": 3_000}
    grant = GrantApplication(organisation_id=org.id, kind=kind, home_id=home.id if home else None, year=year, month=month,
                             items=items, requested=sum(items.values()), status=status, **fields)
    db.session.add(grant)
    db.session.flush()
    return grant
