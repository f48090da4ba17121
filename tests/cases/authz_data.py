"""Another A unit's case, plan, dispatch, change request, suspension, closure, pause request,
evaluation, B-unit capacity and notice — for the access matrix (tests/test_access_matrix.py)."""
from datetime import date, timedelta

from portal.auth import roles
from portal.cases import operations as ops
from portal.cases.models import CaseNotice, ProviderService
from portal.extensions import db
from tests.authz import foreign_data
from tests.factories import FOREIGN_MARKER

D = date(2025, 3, 3)


@foreign_data
def cases(world):
    centre = world.users[roles.CARE_MANAGER]
    a_cm = world.other_users[roles.A_CASE_MANAGER]
    a_head = world.other_users[roles.A_UNIT_HEAD]
    b_head = world.other_users[roles.B_HEAD]
    client = world.clients["foreign"]
    case = ops.open_case(centre, client, {"consent": True, "consent_on": D, "families": ["B"],
                                          "assessment_note": FOREIGN_MARKER + "評估"})
    ops.refer_case(centre, case, world.orgs["a_other"], today=D)
    referral = case.pending_referral
    ops.accept_referral(a_cm, referral, a_cm, today=D)
    plan = ops.start_plan(a_cm, case)
    ops.save_plan(a_cm, plan, {"problems": FOREIGN_MARKER + "照顧問題", "goals": FOREIGN_MARKER + "目標"},
                  [{"code": "BA01", "quantity": 8}])
    ops.submit_plan(a_cm, plan)
    ops.approve_plan(centre, plan, today=D)
    from portal.cases import dispatch as dispatching
    from portal.settings.operations import office_calendar
    rec = dispatching.recommend(case, "home_care", today=D, cal=office_calendar(), rotation_cursor={})
    dispatch = ops.dispatch_b_unit(a_cm, case, "home_care", rec.proposal.org, seen_proposal_id=rec.proposal.org.id,
                                   override_reason=None, today=D)
    ops.record_first_service(b_head, dispatch, D, today=D)
    change = ops.start_change_request(a_cm, dispatch, today=D)
    ops.save_change_request(a_cm, change, {"reasons": FOREIGN_MARKER + "更換原因"}, today=D)
    ops.record_visit(a_cm, case, "phone", D, FOREIGN_MARKER + "電訪", today=D)
    susp = ops.report_suspension(b_head, case, {"reason": "S5", "starts_on": D, "details": FOREIGN_MARKER}, today=D)
    closure = ops.report_closure(b_head, case, {"reason": "X7", "event_on": D, "details": FOREIGN_MARKER}, today=D)
    pause = ops.submit_pause_request(a_head, "pause", {"reason": FOREIGN_MARKER + "暫停理由", "measures": "代理",
                                                       "requested_on": D + timedelta(days=14)}, today=D)
    ops.save_evaluation(a_cm, world.orgs["b_other"], "2025H1", 4, FOREIGN_MARKER + "評語")
    service = ProviderService(organisation_id=world.orgs["b_other"].id, service_type="respite", capacity=3,
                              note=FOREIGN_MARKER)
    notice = CaseNotice(organisation_id=world.orgs["b_other"].id, message=FOREIGN_MARKER + "通知")
    db.session.add_all([service, notice])
    db.session.flush()
    world.foreign.update(case_id=case.id, referral_id=referral.id, plan_id=plan.id, dispatch_id=dispatch.id,
                         change_id=change.id, suspension_id=susp.id, closure_id=closure.id, pause_id=pause.id,
                         service_id=service.id, notice_id=notice.id, cm_id=a_cm.id)
