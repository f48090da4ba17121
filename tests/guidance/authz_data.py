"""Guidance records for the access matrix (tests/test_access_matrix.py).

`guidance` (@foreign_data): another guidance unit's records; none of them may reach a non-bureau user.
`guidance_home` (@matrix_data): the same kinds of records of the HOME guidance unit, which guides the
home family-care B unit (world.orgs["b"]) through a contracted guided home and the read-only
「guides」 link licensing creates (seed 003 §十五(四)): so the matrix checks the B unit's read-only view
of its own guidance record and the guidance unit's read-only view of the home's billing and records.

Keys are qualified with `guidance.` (billing and contracts use `home_id` / `unit_id` for other tables).
"""
from datetime import date

from portal import clock
from portal.extensions import db
from portal.guidance.models import CapacityAssessment, GuidancePlan, GuidanceUnitProfile, GuidanceYear
from portal.orgs.models import OrganisationLink
from tests.authz import foreign_data, matrix_data
from tests.factories import FOREIGN_MARKER
from tests.guidance.helpers import make_grant, make_home, make_officer, make_visit


def _register(registry, **ids):
    registry.update({f"guidance.{key}": value for key, value in ids.items()})


@foreign_data
def guidance(world):
    other = world.orgs["guidance_other"]
    year = clock.today().year
    db.session.add(GuidanceUnitProfile(organisation_id=other.id, eligibility_basis="foundation",
                                       legal_form=FOREIGN_MARKER + "協會", notes=FOREIGN_MARKER))
    officer = make_officer(other, name=FOREIGN_MARKER + "輔導員")
    home = make_home(other, stage="contracted", organisation=world.orgs["b_other"], name=FOREIGN_MARKER + "托顧",
                     carer=FOREIGN_MARKER, found_on=date(2022, 1, 1), env_checked_on=date(2022, 2, 1),
                     licence_applied_on=date(2022, 3, 1), licensed_on=date(2022, 4, 1),
                     contracted_on=date(2022, 5, 1))
    visit = make_visit(home, content=FOREIGN_MARKER + "訪視")
    plan = GuidancePlan(home_id=home.id, year=year, **{
        f: FOREIGN_MARKER + label for f, label in GuidancePlan.SECTIONS})
    assessment = CapacityAssessment(home_id=home.id, assessed_on=date(2025, 6, 1), items=[], conclusion="independent",
                                    summary=FOREIGN_MARKER)
    db.session.add_all([plan, assessment, GuidanceYear(organisation_id=other.id, year=year,
                                                       business_fee=100_000, note=FOREIGN_MARKER)])
    grant = make_grant(other, description=FOREIGN_MARKER + "申請", year=year)
    db.session.flush()
    _register(world.foreign, unit_id=other.id, officer_id=officer.id, home_id=home.id, visit_id=visit.id,
              assessment_id=assessment.id, grant_id=grant.id, year=year)


@matrix_data
def guidance_home(world):
    unit, b_unit = world.orgs["guidance"], world.orgs["b"]
    year = clock.today().year
    db.session.add(GuidanceUnitProfile(organisation_id=unit.id, eligibility_basis="foundation",
                                       legal_form="社團法人測試輔導協會"))
    officer = make_officer(unit, name="本單位輔導員", user_id=world.users["guidance_staff"].id)
    home = make_home(unit, stage="contracted", organisation=b_unit, name=b_unit.name, carer="本單位家托員",
                     found_on=date(2024, 1, 8), env_checked_on=date(2024, 2, 1), licence_applied_on=date(2024, 3, 1),
                     licensed_on=date(2024, 4, 1), licence_no="府衛長字第1130000001號",
                     contracted_on=date(2024, 5, 2))
    already = db.session.execute(db.select(OrganisationLink.id).filter_by(
        from_org_id=unit.id, to_org_id=b_unit.id, relation="guides", ended_on=None)).first()
    if already is None:
        db.session.add(OrganisationLink(from_org_id=unit.id, to_org_id=b_unit.id, relation="guides", read_only=True,
                                        started_on=date(2024, 4, 1)))
    visit = make_visit(home, on=date(2025, 6, 1), content="本單位訪視內容", officer_id=officer.id)
    plan = GuidancePlan(home_id=home.id, year=year, **{f: f"本單位{label}" for f, label in GuidancePlan.SECTIONS})
    assessment = CapacityAssessment(home_id=home.id, assessed_on=date(2024, 4, 20), items=[],
                                    conclusion="needs_guidance", summary="本單位評估", officer_id=officer.id)
    db.session.add_all([plan, assessment, GuidanceYear(organisation_id=unit.id, year=year, business_fee=100_000)])
    grant = make_grant(unit, description="本單位開發培植申請", year=year)
    db.session.flush()
    _register(world.own, unit_id=unit.id, officer_id=officer.id, home_id=home.id, visit_id=visit.id,
              assessment_id=assessment.id, grant_id=grant.id, year=year)
