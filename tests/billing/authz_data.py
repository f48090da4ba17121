"""Another family-care home's private billing data, for the access matrix (tests/test_access_matrix.py)."""
from datetime import date, time

from portal.auth import roles
from portal.billing.models import (
    CareAdmission, Carer, CorrectionRequest, CprCertificate, Declaration, DeclarationVersion, HealthCheck,
    OpeningHoursFiling, ServiceDay, StaffChange, SubsidyChange,
)
from portal.billing.rules import declaration_totals
from portal.clients.models import ClientAccess
from portal.extensions import db
from tests.authz import foreign_data
from tests.factories import FOREIGN_MARKER, make_org


@foreign_data
def family_care_home(world):
    home = make_org(roles.B_UNIT, "乙家庭托顧（他單位）", subtype="family_care", areas=[world.areas[1]],
                    base_area=world.areas[1])
    world.orgs["home_other"] = home
    client = world.clients["foreign"]
    db.session.add(ClientAccess(client_id=client.id, organisation_id=home.id, relation="b_unit"))
    admission = CareAdmission(organisation_id=home.id, client_id=client.id, admitted_on=date(2025, 1, 2),
                              carer_relation="none", welfare_status="general", cms_level=4,
                              identity_checked_on=date(2025, 1, 2), health_check_on=date(2024, 12, 20),
                              health_check_items=["general", "chest_xray", "blood"],
                              eligibility_summary=FOREIGN_MARKER + "資格", eligible_at_admission=True)
    db.session.add(admission)
    db.session.flush()
    db.session.add(ServiceDay(organisation_id=home.id, admission_id=admission.id, client_id=client.id,
                              day=date(2025, 1, 6), start_time=time(8), end_time=time(17),
                              content=FOREIGN_MARKER + "服務內容"))
    change = SubsidyChange(organisation_id=home.id, admission=admission, field="welfare_status", value="low",
                           fact_date=date(2025, 1, 10), evidence=FOREIGN_MARKER + "佐證")
    correction = CorrectionRequest(organisation_id=home.id, admission_id=admission.id, client_id=client.id,
                                   day=date(2025, 1, 6), proposed={"attended": False}, reason=FOREIGN_MARKER + "更正")
    declaration = Declaration(organisation_id=home.id, service_month=date(2025, 1, 1), status="returned",
                              version_no=1, return_reason=FOREIGN_MARKER + "退回",
                              totals=declaration_totals([]).as_dict())
    carer = Carer(organisation_id=home.id, name=FOREIGN_MARKER + "家托員", role="carer")
    filing = OpeningHoursFiling(organisation_id=home.id, weekdays="01234", opens=time(8), closes=time(18),
                                effective_from=date(2025, 1, 1))
    db.session.add_all([change, correction, declaration, carer, filing])
    db.session.flush()
    db.session.add(DeclarationVersion(declaration_id=declaration.id, number=1, totals=declaration.totals, months=[]))
    db.session.add(HealthCheck(carer_id=carer.id, checked_on=date(2025, 1, 5), finding_note=FOREIGN_MARKER))
    db.session.add(CprCertificate(carer_id=carer.id, kind="CPR", expires_on=date(2026, 1, 1)))
    staff = StaffChange(organisation_id=home.id, kind="add", person_in_name=FOREIGN_MARKER + "新人",
                        effective_on=date(2025, 3, 1), reason=FOREIGN_MARKER, submitted_on=date(2025, 1, 20))
    db.session.add(staff)
    db.session.flush()
    world.foreign.update(home_id=home.id, admission_id=admission.id, change_id=change.id,
                         correction_id=correction.id, declaration_id=declaration.id, carer_id=carer.id,
                         filing_id=filing.id, staff_change_id=staff.id)
