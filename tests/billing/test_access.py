"""Who may act on family-care records (the rows of tests/billing/access_rows.py), beyond the matrix:
readers (the chief, care managers, the guidance unit) are refused whatever they post, and nothing
changes; the home's head declares; a correction stored before every record field existed still
applies (seed 003 §十五(四) R-GU-04; family-care.md §9, §10.2)."""
from datetime import date, datetime, time

from portal import clock
from portal.auditlog.models import AuditLogEntry
from portal.auth import roles
from portal.billing import operations as ops
from portal.billing.models import CorrectionRequest, Declaration, ServiceDay, StaffChange
from portal.extensions import db
from portal.orgs.models import OrganisationLink
from tests.billing.conftest import admit, record

MON = date(2025, 3, 3)


def _audit_rows():
    return db.session.execute(db.select(db.func.count(AuditLogEntry.id))).scalar_one()


def _guide(world, home):
    guide = world.users[roles.GUIDANCE_STAFF]
    db.session.add(OrganisationLink(from_org_id=guide.organisation_id, to_org_id=home.id, relation="guides",
                                    read_only=True))
    db.session.commit()
    return guide


def _correction(world, admission):
    with clock.freeze(datetime(2025, 4, 8, 10)):
        correction = ops.request_correction(world.users[roles.B_HEAD], admission, MON, {
            "attended": True, "kind": "half_day", "start_time": time(8), "end_time": time(12)},
            reason="誤植為全日")
    db.session.commit()
    return correction


def test_guidance_reads_billing_of_its_guided_home_but_never_posts(client, world, home, login, app_ctx):
    admission = admit(world)
    record(world, admission, MON)
    correction = _correction(world, admission)
    with clock.freeze(datetime(2025, 2, 1, 10)):
        change = ops.submit_staff_change(world.users[roles.B_HEAD], home.id, kind="add", person_out=None,
                                         person_in_name="新人", person_in_role="carer",
                                         effective_on=date(2025, 4, 1), reason="增聘")
    db.session.commit()
    login(_guide(world, home))
    for url in (f"/billing/homes/{home.id}", f"/billing/homes/{home.id}/days/{MON.isoformat()}",
                f"/billing/homes/{home.id}/declarations/2025-03", f"/billing/corrections/{correction.id}",
                f"/billing/staff-changes/{change.id}", f"/billing/admissions/{admission.id}"):
        assert client.get(url).status_code == 200, url
    before = _audit_rows()
    for url, data in ((f"/billing/corrections/{correction.id}", {"action": "withdraw"}),
                      (f"/billing/corrections/{correction.id}", {"action": "approve"}),
                      (f"/billing/corrections/{correction.id}", {}),
                      (f"/billing/staff-changes/{change.id}", {"action": "withdraw"}),
                      (f"/billing/staff-changes/{change.id}", {}),
                      (f"/billing/homes/{home.id}/declarations/2025-03", {}),
                      (f"/billing/homes/{home.id}/days/{MON.isoformat()}/clients/{admission.id}", {})):
        assert client.post(url, data=data).status_code == 403, (url, data)
    assert _audit_rows() == before
    assert db.session.get(CorrectionRequest, correction.id).status == "submitted"
    assert db.session.get(StaffChange, change.id).status == "submitted"


def test_chief_and_care_manager_read_but_do_not_decide(client, world, home, login, app_ctx):
    admission = admit(world)
    record(world, admission, MON)
    correction = _correction(world, admission)
    for role in (roles.BUREAU_CHIEF, roles.CARE_MANAGER):
        login(world.users[role])
        assert client.get(f"/billing/corrections/{correction.id}").status_code == 200
        assert client.post(f"/billing/corrections/{correction.id}", data={"action": "approve"}).status_code == 403
    assert db.session.get(CorrectionRequest, correction.id).status == "submitted"
    # the home's own staff still withdraw their request
    login(world.users[roles.B_STAFF])
    assert client.post(f"/billing/corrections/{correction.id}",
                       data={"action": "withdraw", "version": correction.version}).status_code == 303
    assert db.session.get(CorrectionRequest, correction.id).status == "withdrawn"


def test_only_the_head_declares_even_a_month_already_declared(client, world, home, login, app_ctx):
    admission = admit(world)
    record(world, admission, MON)
    with clock.freeze(datetime(2025, 4, 2, 10)):
        declaration = ops.submit_declaration(world.users[roles.B_HEAD], home.id, date(2025, 3, 1))
    db.session.commit()
    url = f"/billing/homes/{home.id}/declarations/2025-03"
    for role in (roles.BUREAU_OFFICER, roles.B_STAFF):
        login(world.users[role])
        assert client.get(url).status_code == 303       # the page shows the declared month
        assert client.post(url).status_code == 403      # posting is the head's alone, declared or not
    login(world.users[roles.B_HEAD])
    assert client.post(url).status_code == 303
    count = db.select(db.func.count(Declaration.id)).filter_by(organisation_id=home.id)
    assert db.session.execute(count).scalar_one() == 1
    assert declaration.status == "submitted"


def test_correction_with_a_short_proposal_applies(world, home, app_ctx):
    """A proposal stored with only some fields (e.g. 「did not attend」) is completed, never a 500."""
    admission = admit(world)
    record(world, admission, MON, bath=True)
    correction = CorrectionRequest(organisation_id=home.id, admission_id=admission.id, client_id=admission.client_id,
                                   day=MON, proposed={"attended": False}, reason="當日未到")
    db.session.add(correction)
    db.session.commit()
    with clock.freeze(datetime(2025, 4, 8, 10)):
        ops.decide_correction(world.users[roles.BUREAU_OFFICER], correction, approve=True)
    db.session.commit()
    row = db.session.execute(db.select(ServiceDay).filter_by(client_id=admission.client_id, day=MON)).scalar_one()
    assert row.attended is False and row.start_time == time(8) and row.revisions[-1].correction_id == correction.id
