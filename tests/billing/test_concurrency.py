"""Two officers deciding the same payment request at the same moment (PostgreSQL row locks)."""
import threading
from datetime import date, datetime

import pytest

from portal import clock
from portal.auth import roles
from portal.billing import operations as ops
from portal.billing.models import Declaration
from portal.errors import TransitionNotAllowed
from portal.extensions import db
from tests.billing.conftest import admit, record, weekdays
from tests.conftest import USE_POSTGRES

pytestmark = [pytest.mark.postgres_only,
              pytest.mark.skipif(not USE_POSTGRES, reason="row locks are a PostgreSQL behaviour")]


def test_two_officers_approve_and_return_at_once(app, world, home, app_ctx):
    admission = admit(world)
    for day in weekdays(date(2025, 3, 1), 5):
        record(world, admission, day)
    with clock.freeze(datetime(2025, 4, 2, 9)):
        declaration = ops.submit_declaration(world.users[roles.B_HEAD], home.id, date(2025, 3, 1))
        ops.request_payment(world.users[roles.B_HEAD], declaration, receipt_date=date(2025, 4, 2))
    db.session.commit()
    ids = {"declaration": declaration.id, "officer": world.users[roles.BUREAU_OFFICER].id,
           "admin": world.users[roles.ADMIN].id}
    seen = declaration.version
    barrier = threading.Barrier(2)
    outcomes = {}

    def decide(who):
        with app.app_context():
            from portal.auth.models import User
            actor = db.session.get(User, ids[who])
            target = db.session.get(Declaration, ids["declaration"])
            barrier.wait()
            try:
                if who == "officer":
                    ops.approve_declaration(actor, target, amount=target.totals["total"], seen_version=seen)
                else:
                    ops.return_declaration(actor, target, reason="同時退回", seen_version=seen)
                db.session.commit()
                outcomes[who] = "done"
            except TransitionNotAllowed as exc:
                db.session.rollback()
                outcomes[who] = str(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=decide, args=(who,)) for who in ("officer", "admin")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(v == "done" for v in outcomes.values()) == [False, True]
    loser = next(v for v in outcomes.values() if v != "done")
    assert "您的決定未儲存" in loser
    db.session.expire_all()
    final = db.session.get(Declaration, ids["declaration"])
    assert final.status in ("approved", "returned") and len([v for v in final.versions if v.outcome]) == 1
