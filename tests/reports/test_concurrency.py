"""Two officers deciding the same report at the same moment (PostgreSQL row lock)."""
import threading
import time as time_module

import pytest

from portal import clock
from portal.auth import roles
from portal.errors import TransitionNotAllowed
from portal.extensions import db
from portal.reports import operations as ops
from portal.reports.models import ResultReport
from tests.conftest import USE_POSTGRES
from tests.reports.test_views import _submitted, home  # noqa: F401  (fixture)

pytestmark = pytest.mark.skipif(not USE_POSTGRES, reason="row locks need PostgreSQL")


def test_second_decision_waits_then_sees_the_first(app, client, world, login, home):  # noqa: F811
    report_id = _submitted(client, login, world).id
    officer_id, chief_id = world.users[roles.BUREAU_OFFICER].id, world.users[roles.BUREAU_CHIEF].id
    first_locked, results = threading.Event(), {}

    def accept():
        with app.app_context():
            from portal.auth.models import User
            report = db.session.get(ResultReport, report_id)
            ops.accept_report(db.session.get(User, officer_id), report, "", now=clock.now())
            first_locked.set()
            time_module.sleep(0.5)       # hold the row lock a moment before committing
            db.session.commit()
            results["first"] = "accepted"

    def return_():
        first_locked.wait(5)
        with app.app_context():
            from portal.auth.models import User
            report = db.session.get(ResultReport, report_id)
            try:
                ops.return_report(db.session.get(User, chief_id), report, {"other": "補正"}, "", now=clock.now())
                db.session.commit()
                results["second"] = "returned"
            except TransitionNotAllowed as exc:
                db.session.rollback()
                results["second"] = str(exc)

    threads = [threading.Thread(target=accept), threading.Thread(target=return_)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)
    assert results["first"] == "accepted"
    assert "已核定" in results["second"] and "未做任何變更" in results["second"]
    db.session.expire_all()
    assert db.session.get(ResultReport, report_id).state == "accepted"
