"""Another guidance unit's records for the access matrix: none of them may reach a non-bureau user."""
from datetime import date

from portal.extensions import db
from portal.guidance.models import CapacityAssessment, GuidancePlan, GuidanceUnitProfile, GuidanceYear
from tests.authz import foreign_data
from tests.factories import FOREIGN_MARKER
from tests.guidance.helpers import make_grant, make_home, make_officer, make_visit


@foreign_data
def guidance(world):
    other = world.orgs["guidance_other"]
    db.session.add(GuidanceUnitProfile(organisation_id=other.id, eligibility_basis="foundation",
                                       legal_form=FOREIGN_MARKER + "協會", notes=FOREIGN_MARKER))
    officer = make_officer(other, name=FOREIGN_MARKER + "輔導員")
    home = make_home(other, stage="contracted", organisation=world.orgs["b_other"], name=FOREIGN_MARKER + "托顧",
                     carer=FOREIGN_MARKER, found_on=date(2022, 1, 1), env_checked_on=date(2022, 2, 1),
                     licence_applied_on=date(2022, 3, 1), licensed_on=date(2022, 4, 1),
                     contracted_on=date(2022, 5, 1))
    visit = make_visit(home, content=FOREIGN_MARKER + "訪視")
    plan = GuidancePlan(home_id=home.id, year=date.today().year, **{
        f: FOREIGN_MARKER + label for f, label in GuidancePlan.SECTIONS})
    assessment = CapacityAssessment(home_id=home.id, assessed_on=date(2025, 6, 1), items=[], conclusion="independent",
                                    summary=FOREIGN_MARKER)
    db.session.add_all([plan, assessment, GuidanceYear(organisation_id=other.id, year=date.today().year,
                                                       business_fee=100_000, note=FOREIGN_MARKER)])
    grant = make_grant(other, description=FOREIGN_MARKER + "申請", year=date.today().year)
    db.session.flush()
    world.foreign.update(unit_id=other.id, officer_id=officer.id, home_id=home.id, visit_id=visit.id,
                         assessment_id=assessment.id, grant_id=grant.id)
