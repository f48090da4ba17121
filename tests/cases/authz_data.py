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
    ids = dict(case_id=case.id, referral_id=referral.id, plan_id=plan.id, dispatch_id=dispatch.id,
               change_id=change.id, suspension_id=susp.id, closure_id=closure.id, pause_id=pause.id,
               service_id=service.id, notice_id=notice.id, cm_id=a_cm.id)
    world.foreign.update(ids)
    # Other areas use some of these names too (change_id: billing; plan_id: establishment).
    world.foreign.update({f"cases.{k}": v for k, v in ids.items()})


# --- for the access matrix only (tests/access_table.py, tests/cases/access_rows.py) ----------------
from portal.cases import codes as service_codes  # noqa: E402
from portal.cases.models import ServiceCode  # noqa: E402
from tests.authz import matrix_data  # noqa: E402

# Parameter names other areas also use (change_id: billing; plan_id: establishment…) are registered
# blueprint-qualified, so the cases.* routes get a case-management record whatever the others register.
QUALIFIED = ("case_id", "referral_id", "plan_id", "dispatch_id", "change_id", "suspension_id", "closure_id",
             "pause_id", "service_id", "notice_id", "cm_id", "code_id", "service_type")


@matrix_data
def cases_home(world):
    """The home organisations' case: the centre refers the own client to the home A unit, which plans
    and dispatches home care to the home B unit; the B unit reports a suspension and a closure; the A
    unit asks for a change of provider and the home A unit's head for a pause of referrals."""
    centre = world.users[roles.CARE_MANAGER]
    a_cm = world.users[roles.A_CASE_MANAGER]
    a_head = world.users[roles.A_UNIT_HEAD]
    b_head = world.users[roles.B_HEAD]
    # The home B unit (a family-care unit) also declares home care, so the own case can be dispatched to it.
    service = ProviderService(organisation_id=world.orgs["b"].id, service_type="home_care", capacity=5,
                              note="本單位居家服務")
    db.session.add(service)
    db.session.flush()
    case = ops.open_case(centre, world.clients["own"], {"consent": True, "consent_on": D, "families": ["B"],
                                                         "assessment_note": "本單位評估"})
    ops.refer_case(centre, case, world.orgs["a"], today=D)
    referral = case.pending_referral
    ops.accept_referral(a_cm, referral, a_cm, today=D)
    plan = ops.start_plan(a_cm, case)
    ops.save_plan(a_cm, plan, {"problems": "本單位照顧問題", "goals": "本單位目標"}, [{"code": "BA01", "quantity": 8}])
    ops.submit_plan(a_cm, plan)
    ops.approve_plan(centre, plan, today=D)
    from portal.cases import dispatch as dispatching
    from portal.settings.operations import office_calendar
    rec = dispatching.recommend(case, "home_care", today=D, cal=office_calendar(), rotation_cursor={})
    assert rec.proposal is not None and rec.proposal.org.id == world.orgs["b"].id, "the home B unit is proposed"
    dispatch = ops.dispatch_b_unit(a_cm, case, "home_care", rec.proposal.org, seen_proposal_id=rec.proposal.org.id,
                                   override_reason=None, today=D)
    ops.record_first_service(b_head, dispatch, D, today=D)
    change = ops.start_change_request(a_cm, dispatch, today=D)
    ops.save_change_request(a_cm, change, {"reasons": "本單位更換原因"}, today=D)
    susp = ops.report_suspension(b_head, case, {"reason": "S5", "starts_on": D, "details": "本單位暫停"}, today=D)
    closure = ops.report_closure(b_head, case, {"reason": "X7", "event_on": D, "details": "本單位結案"}, today=D)
    pause = ops.submit_pause_request(a_head, "pause", {"reason": "本單位暫停理由", "measures": "代理",
                                                       "requested_on": D + timedelta(days=14)}, today=D)
    db.session.flush()
    notices = {}

    def own_notice(user):  # a notice belongs to the organisation it was left for
        if user.organisation_id not in notices:
            row = CaseNotice(organisation_id=user.organisation_id, message="本單位通知")
            db.session.add(row)
            db.session.commit()
            notices[user.organisation_id] = row.id
        return notices[user.organisation_id]

    own = dict(case_id=case.id, referral_id=referral.id, plan_id=plan.id, dispatch_id=dispatch.id,
               change_id=change.id, suspension_id=susp.id, closure_id=closure.id, pause_id=pause.id,
               service_id=service.id, notice_id=own_notice, cm_id=a_cm.id)
    # Not organisation-scoped: the same value both ways (the service-code table is the bureau's).
    service_codes.ensure_default_codes()
    code = db.session.execute(db.select(ServiceCode).filter_by(code="BA01")).scalar_one()
    shared = {"code_id": code.id, "service_type": "home_care"}
    own.update(shared)
    foreign = {**{k: world.foreign[f"cases.{k}"] for k in QUALIFIED if f"cases.{k}" in world.foreign}, **shared}
    world.own.update({f"cases.{k}": v for k, v in own.items()})
    world.foreign.update({f"cases.{k}": v for k, v in foreign.items()})
