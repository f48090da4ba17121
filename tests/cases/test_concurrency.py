"""Rotation fairness under concurrent dispatch (Q08): on PostgreSQL the cursor row of a
service area and service type is locked SELECT … FOR UPDATE, so two case managers who
both saw unit U1 as "next" never both get it."""
import threading
import time

import pytest

from portal.auth.models import User
from portal.cases import operations as ops
from portal.cases.models import Case, Dispatch, RotationTurn
from portal.errors import Refused
from portal.extensions import db
from portal.orgs.models import Organisation
from tests.cases.helpers import D, cm, new_case, second_family_care
from tests.conftest import USE_POSTGRES

pytestmark = [pytest.mark.postgres_only,
              pytest.mark.skipif(not USE_POSTGRES, reason="row locks need PostgreSQL")]


def test_two_case_managers_never_get_the_same_next_unit(app, world):
    twin = second_family_care(world, "並列家托")
    first, second = new_case(world, stage="approved"), new_case(world, stage="approved")
    from portal.cases.dispatch import lock_cursor
    lock_cursor(first.client.service_area_id, "family_care")   # the cursor row exists already
    db.session.commit()
    ids = {"first": first.id, "second": second.id, "b": world.orgs["b"].id, "cm": cm(world).id}
    locked, results = threading.Event(), {}

    def dispatch(name, case_id, wait_for=None, hold=0.0):
        with app.app_context():
            try:
                if wait_for is not None:
                    wait_for.wait(10)
                actor = db.session.get(User, ids["cm"])
                case = db.session.get(Case, case_id)
                unit = db.session.get(Organisation, ids["b"])
                # Both saw U1 ("甲家庭托顧", registered first) proposed by rotation.
                d = ops.dispatch_b_unit(actor, case, "family_care", unit, seen_proposal_id=ids["b"],
                                        override_reason=None, today=D)
                results[name] = ("ok", d.organisation_id, d.by_rotation)
                if hold:
                    locked.set()
                    time.sleep(hold)   # keep the row lock while the other CM tries
                db.session.commit()
            except Refused as exc:
                db.session.rollback()
                results[name] = ("refused", str(exc))
            finally:
                locked.set()
                db.session.remove()

    t1 = threading.Thread(target=dispatch, args=("first", ids["first"]), kwargs={"hold": 1.5})
    t2 = threading.Thread(target=dispatch, args=("second", ids["second"]), kwargs={"wait_for": locked})
    started = time.monotonic()
    t1.start(), t2.start()
    t1.join(20), t2.join(20)
    assert results["first"] == ("ok", ids["b"], True)
    assert results["second"][0] == "refused" and "並列家托" in results["second"][1]
    assert time.monotonic() - started >= 1.5     # the second one waited for the lock
    db.session.expire_all()
    assert db.session.execute(db.select(Dispatch).filter_by(case_id=ids["second"])).first() is None
    turns = db.session.execute(db.select(RotationTurn)).scalars().all()
    assert [t.organisation_id for t in turns] == [ids["b"]]
    # Retrying with the refreshed list gives the other unit.
    case = db.session.get(Case, ids["second"])
    d = ops.dispatch_b_unit(db.session.get(User, ids["cm"]), case, "family_care", twin, seen_proposal_id=twin.id,
                            override_reason=None, today=D)
    assert d.by_rotation and d.organisation_id == twin.id


def test_many_concurrent_dispatches_alternate_units(app, world):
    """Six CMs at once on a three-unit tie: each unit gets exactly two by rotation."""
    units = [world.orgs["b"], second_family_care(world, "家托二"), second_family_care(world, "家托三")]
    cases = [new_case(world, stage="approved") for _ in range(6)]
    db.session.commit()
    case_ids, actor_id = [c.id for c in cases], cm(world).id
    outcome, start = [], threading.Barrier(6)

    def worker(case_id):
        with app.app_context():
            try:
                start.wait(10)
                for _ in range(10):   # retry with a fresh list, as a CM would after the message
                    from portal.cases import dispatch as dispatching
                    from portal.settings.operations import office_calendar
                    case = db.session.get(Case, case_id)
                    rec = dispatching.recommend(case, "family_care", today=D, cal=office_calendar(),
                                                rotation_cursor=dispatching.peek_rotation(
                                                    case.client.service_area_id, "family_care"))
                    top = rec.proposal.org
                    try:
                        d = ops.dispatch_b_unit(db.session.get(User, actor_id), case, "family_care", top,
                                                seen_proposal_id=top.id, override_reason=None, today=D)
                        db.session.commit()
                        outcome.append(d.organisation_id)
                        return
                    except Refused:
                        db.session.rollback()
                        db.session.expire_all()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in case_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(outcome) == 6
    assert sorted(outcome.count(u.id) for u in units) == [2, 2, 2]
