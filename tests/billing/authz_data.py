"""Another family-care home's private billing data, for the access matrix (tests/test_access_matrix.py)."""
from datetime import date, datetime, time

from portal.auth import roles
from portal.billing.models import (
    CareAdmission, Carer, CorrectionRequest, CprCertificate, Declaration, DeclarationVersion, HealthCheck,
    OpeningHoursFiling, ServiceDay, StaffChange, SubsidyChange,
)
from portal.billing.rules import declaration_totals
from portal.clients.models import ClientAccess
from portal.extensions import db
from tests.authz import foreign_data, matrix_data
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
    declaration = Declaration(organisation_id=home.id, service_month=date(2024, 12, 1), status="returned",
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
    # Blueprint-qualified keys: home_id, change_id, correction_id… mean other tables in other areas.
    world.foreign.update({f"billing.{k}": v for k, v in dict(
        home_id=home.id, admission_id=admission.id, change_id=change.id, correction_id=correction.id,
        declaration_id=declaration.id, carer_id=carer.id, filing_id=filing.id, staff_change_id=staff.id).items()})
    world.foreign.update(SHARED)


# Not organisation-scoped: the same value for the home's record and another unit's.
SHARED = {"billing.day": "2025-01-06", "billing.month": "2025-01", "billing.action": "approve"}


@matrix_data
def own_family_care_home(world):
    """The home family-care unit (world.orgs["b"]) with what the foreign home has: a client admitted,
    January 2025 records, a subsidy change, a correction waiting for the bureau, a December
    declaration requested with its receipt, a carer with checks, a staff change and a filing.
    The home guidance unit guides it (read-only access, seed 003 §十五(四))."""
    from portal import clock
    from portal.billing import operations as ops
    from portal.orgs.models import OrganisationLink

    home, guide = world.orgs["b"], world.orgs["guidance"]
    head, officer = world.users[roles.B_HEAD], world.users[roles.BUREAU_OFFICER]
    if not db.session.execute(db.select(OrganisationLink.id).filter_by(
            from_org_id=guide.id, to_org_id=home.id, relation="guides", ended_on=None)).first():
        db.session.add(OrganisationLink(from_org_id=guide.id, to_org_id=home.id, relation="guides", read_only=True))
    home.head_name, home.address = "陳本單位", "測試縣甲鄉中正路1號"
    client = world.clients["own"]
    with clock.freeze(datetime(2024, 11, 20, 9)):
        ops.save_billing_profile(head, home.id, {"tax_id": "12345678", "bank_name": "示範銀行",
                                                 "bank_account": "0123-456-789012", "account_name": home.name})
        filed = ops.file_opening_hours(head, home.id, weekdays="01234", opens=time(8), closes=time(18),
                                       effective_from=date(2024, 12, 1))
        ops.decide_opening_hours(officer, filed, accept=True)
    with clock.freeze(datetime(2024, 12, 2, 9)):
        admission = ops.admit_client(head, home.id, client, {
            "admitted_on": date(2024, 12, 2), "carer_relation": "none", "welfare_status": "general",
            "cms_level": 5, "monthly_quota": None, "institutional_placement": False, "foreign_caregiver": False,
            "special_allowance": None, "service_contract_on": date(2024, 12, 2),
            "identity_checked_on": date(2024, 12, 2), "health_check_on": date(2024, 11, 25),
            "health_check_items": ["general", "chest_xray", "blood"]})
    for day in (date(2024, 12, 3), date(2024, 12, 4), date(2025, 1, 6), date(2025, 1, 7)):
        moment = datetime(day.year, day.month, day.day, 18, tzinfo=clock.TAIPEI)
        with clock.freeze(moment):
            ops.save_day_record(head, admission, day, {
                "attended": True, "kind": "full_day", "start_time": time(8), "end_time": time(17),
                "bath": day.day == 6, "dinner": False, "over_norm_reason": None, "content": "午餐、團體活動"},
                now=moment)
    with clock.freeze(datetime(2025, 1, 3, 10)):
        declaration = ops.submit_declaration(head, home.id, date(2024, 12, 1))
        ops.request_payment(head, declaration, receipt_date=date(2025, 1, 3))
    with clock.freeze(datetime(2025, 2, 10, 10)):
        change = ops.record_subsidy_change(head, admission, field="welfare_status", value="mid_low",
                                           fact_date=date(2025, 1, 7), notified_on=date(2025, 2, 10),
                                           evidence="中低收證明")
        correction = ops.request_correction(head, admission, date(2025, 1, 6), {
            "attended": True, "kind": "half_day", "start_time": time(8), "end_time": time(12), "bath": False,
            "dinner": False}, reason="誤植為全日")
        carer = ops.save_carer(head, home.id, None, {"name": "本單位家托員", "role": "carer"})
        staff = ops.submit_staff_change(head, home.id, kind="add", person_out=None, person_in_name="新進家托員",
                                        person_in_role="carer", effective_on=date(2025, 4, 1), reason="增聘")
        ops.record_health_check(head, carer, checked_on=date(2025, 1, 20), items={"general": "2025-01-20"},
                                finding_route=None, finding_note="", clearance_on=None)
        ops.record_certificate(head, carer, kind="CPR", number="CPR-001", issued_on=date(2024, 3, 1),
                               expires_on=date(2026, 3, 1))
        pending_filing = ops.file_opening_hours(head, home.id, weekdays="012345", opens=time(8), closes=time(18),
                                                effective_from=date(2025, 4, 1))
    db.session.flush()
    world.own.update({f"billing.{k}": v for k, v in dict(
        home_id=home.id, admission_id=admission.id, change_id=change.id, correction_id=correction.id,
        declaration_id=declaration.id, carer_id=carer.id, filing_id=pending_filing.id,
        staff_change_id=staff.id).items()})
    world.own.update(SHARED)
