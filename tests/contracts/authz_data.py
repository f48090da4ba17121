"""Another unit's contract, contract action and violation point for the access matrix.

The contract stays in force (its dispatch pause has lapsed) so that other areas'
tests, which share this world, can still dispatch to the other unit.
"""
from datetime import timedelta

from portal import clock
from portal.contracts.operations import record_action, record_violation_point
from tests.authz import foreign_data
from tests.contracts.factories import make_contract
from tests.factories import FOREIGN_MARKER


@foreign_data
def contracts(world):
    org = world.orgs["b_other"]
    today = clock.today()
    start = today - timedelta(days=400)
    contract = make_contract(org, starts_on=start, ends_on=today + timedelta(days=400),
                             number=FOREIGN_MARKER + "契約")
    record_action(None, contract, "pause_dispatch", reason=FOREIGN_MARKER + "暫停派案理由", basis_code="art19",
                  effective_on=start, paused_until=start, today=today)
    point, _ = record_violation_point(None, org, occurred_on=start, clause="拒絕訪查輔導之行為。",
                                      description=FOREIGN_MARKER + "違約事實", today=today)
    world.foreign["contract_id"] = contract.id
    world.foreign["point_id"] = point.id
    world.foreign["unit_id"] = org.id
