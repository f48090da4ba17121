"""Two officers recording a unit's 3rd and 4th violation point at the same moment (PostgreSQL):
the contract is cancelled once, the next year is barred once, nobody sees a server error."""
from datetime import date

from portal import clock
from portal.auth import roles
from portal.contracts import rules
from portal.contracts.models import Contract, ContractAction, ContractIneligibility, ViolationPoint
from portal.contracts.operations import record_violation_point
from portal.extensions import db
from tests.concurrency import assert_no_server_errors, fresh, needs_postgres, race
from tests.contracts.factories import make_contract
from tests.factories import make_user


@needs_postgres
def test_two_officers_record_the_third_point_at_once(race_server, world):
    unit = world.orgs["b"]
    today = clock.today()
    contract = make_contract(unit, starts_on=date(today.year, 1, 1), ends_on=date(today.year, 12, 31))
    for n in range(2):
        record_violation_point(None, unit, occurred_on=date(today.year, 1, 1), clause="拒絕訪查輔導之行為。",
                               description=f"第{n + 1}點", today=today)
    officers = [world.users[roles.BUREAU_OFFICER]] + [
        make_user(roles.BUREAU_OFFICER, world.orgs["bureau"], username=f"t_off_race{n}") for n in range(3)]
    db.session.commit()
    browsers = race_server.browsers(officers)
    url = f"/contracts/units/{unit.id}/points/new"
    roc_today = f"{today.year - 1911}/{today.month}/{today.day}"
    calls = [lambda b=b, n=n: b.post(url, {"occurred_on": roc_today, "clause": "拒絕訪查輔導之行為。",
                                           "description": f"同時記點{n}", "submission_key": f"race-{n}"}, follow=True)
             for n, b in enumerate(browsers)]
    assert_no_server_errors(race(calls))
    assert fresh(Contract, contract.id).status == rules.CANCELLED
    cancels = db.session.execute(db.select(ContractAction).filter_by(contract_id=contract.id, action="cancel")).scalars().all()
    assert len(cancels) == 1
    bars = db.session.execute(db.select(ContractIneligibility).filter_by(organisation_id=unit.id)).scalars().all()
    assert [b.year for b in bars] == [today.year + 1]
    assert db.session.execute(db.select(db.func.count()).select_from(ViolationPoint)
                              .filter_by(organisation_id=unit.id)).scalar() == 6
