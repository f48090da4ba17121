"""Builders for case-management tests: walk a case through the real operations."""
from datetime import date

from portal.auth import roles
from portal.cases import operations as ops
from portal.cases.models import Case, ProviderService
from portal.extensions import db
from tests.factories import make_client, make_org

D = date(2025, 3, 3)   # a Monday (worked-examples calendar)


def centre(world):
    return world.users[roles.CARE_MANAGER]


def cm(world):
    return world.users[roles.A_CASE_MANAGER]


def b_head(world):
    return world.users[roles.B_HEAD]


def officer(world):
    return world.users[roles.BUREAU_OFFICER]


def offer(org, service_type, capacity=5, accepting=True, codes=None):
    db.session.add(ProviderService(organisation_id=org.id, service_type=service_type, capacity=capacity,
                                   accepting=accepting, codes=codes))
    db.session.flush()


def new_case(world, client=None, *, stage="accepted", families=("B",), today=D, items=(("BC01", 20),)):
    """A case of the home A unit at `stage`: opened, referred, accepted, planned, approved, dispatched."""
    client = client or make_client([], area=world.areas[0])
    case = ops.open_case(centre(world), client, {"consent": True, "consent_on": today, "families": list(families)})
    if stage == "opened":
        return case
    ops.refer_case(centre(world), case, world.orgs["a"], today=today)
    if stage == "referred":
        return case
    ops.accept_referral(cm(world), case.pending_referral, cm(world), today=today)
    if stage == "accepted":
        return case
    plan = ops.start_plan(cm(world), case)
    ops.save_plan(cm(world), plan, {"problems": "行動不便，白天獨居", "goals": "維持日常生活功能"},
                  [{"code": c, "quantity": q} for c, q in items])
    ops.submit_plan(cm(world), plan)
    if stage == "submitted":
        return case
    ops.approve_plan(centre(world), plan, today=today)
    if stage == "approved":
        return case
    service_type = plan.items[0].service_type
    from portal.cases import dispatch as dispatching
    from portal.settings.operations import office_calendar
    rec = dispatching.recommend(case, service_type, today=today, cal=office_calendar(), rotation_cursor={})
    ops.dispatch_b_unit(cm(world), case, service_type, rec.proposal.org, seen_proposal_id=rec.proposal.org.id,
                        override_reason=None, today=today)
    if stage == "dispatched":
        return case
    d = case.dispatches[-1]
    ops.accept_dispatch(b_user_for(world, d.organisation_id), d)
    ops.record_first_service(b_user_for(world, d.organisation_id), d, today, today=today)
    return case


def b_user_for(world, org_id):
    for user in list(world.users.values()) + list(world.other_users.values()):
        if user.organisation_id == org_id and user.role == roles.B_HEAD:
            return user
    from tests.factories import make_user
    org = db.session.get(type(world.orgs["b"]), org_id)
    return make_user(roles.B_HEAD, org)


def second_family_care(world, name="第二家托", base_area=None):
    return make_org(roles.B_UNIT, name, subtype="family_care", areas=[world.areas[0]],
                    base_area=base_area or world.areas[0])


def reload(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def cases_of(client):
    return db.session.execute(db.select(Case).filter_by(client_id=client.id)).scalars().all()
