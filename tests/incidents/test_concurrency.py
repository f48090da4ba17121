"""Two officers record the receipt of one report at the same moment (PostgreSQL row locks)."""
import threading

import pytest

from portal import clock
from portal.auth import roles
from portal.errors import TransitionNotAllowed
from portal.extensions import db
from portal.incidents import operations as ops
from portal.incidents.models import IncidentReport
from tests.conftest import USE_POSTGRES
from tests.incidents.helpers import make_incident

pytestmark = [pytest.mark.postgres_only,
              pytest.mark.skipif(not USE_POSTGRES, reason="row locks need PostgreSQL")]


def test_second_receipt_waits_for_the_first_and_is_refused(app, world):
    incident = make_incident(world.users[roles.B_HEAD], world.clients["own"], submit=True)
    db.session.commit()
    report_id = incident.reports[0].id
    officer_ids = (world.users[roles.BUREAU_OFFICER].id, world.users[roles.CARE_SUPERVISOR].id)
    first_locked, results = threading.Event(), {}

    def receive(user_id, hold):
        from portal.auth.models import User
        with app.app_context():
            user = db.session.get(User, user_id)
            report = db.session.get(IncidentReport, report_id)
            try:
                ops.record_receipt(user, report, channel="phone", channel_other=None, receiver_name=user.full_name,
                                   received_at=clock.now())
                if hold:
                    first_locked.set()
                    threading.Event().wait(1.0)  # keep the row locked while the other one tries
                db.session.commit()
                results[user_id] = "ok"
            except TransitionNotAllowed as exc:
                db.session.rollback()
                results[user_id] = str(exc)
            finally:
                first_locked.set()
                db.session.remove()

    first = threading.Thread(target=receive, args=(officer_ids[0], True))
    first.start()
    first_locked.wait(10)
    second = threading.Thread(target=receive, args=(officer_ids[1], False))
    second.start()
    first.join(20)
    second.join(20)
    assert results[officer_ids[0]] == "ok"
    assert "不會重複登錄" in results[officer_ids[1]]
    db.session.expire_all()
    assert db.session.get(IncidentReport, report_id).receipt_recorded_by_id == officer_ids[0]
