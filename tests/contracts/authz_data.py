"""Another unit's contract, contract action and violation point for the access matrix.

The contract stays in force (its dispatch pause has lapsed) so that other areas'
tests, which share this world, can still dispatch to the other unit.
"""
from datetime import timedelta

from portal import clock
from portal.contracts.operations import record_action, record_finding, record_violation_point
from tests.authz import foreign_data, matrix_data
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
    finding = record_finding(None, org, kind="other", found_on=start, description=FOREIGN_MARKER + "查證事實",
                             today=today)
    world.foreign["finding_id"] = finding.id
    world.foreign["contract_id"] = contract.id
    world.foreign["point_id"] = point.id
    world.foreign["unit_id"] = org.id
    # Blueprint-qualified keys: other areas use the same parameter names for their own tables.
    world.foreign.update({"contracts.finding_id": finding.id, "contracts.contract_id": contract.id,
                          "contracts.point_id": point.id, "contracts.unit_id": org.id})


@matrix_data
def contracts_home(world):
    """The home organisations' contracts, findings and points: each user gets their own unit's record
    (A staff the A unit's, B staff the B unit's, guidance staff a home their unit guides, the bureau the A unit's)."""
    from portal.auth import roles as r
    from tests.contracts.factories import guided_home
    today = clock.today()
    start = today - timedelta(days=200)
    units = {"a": world.orgs["a"], "b": world.orgs["b"], "guided": guided_home(world)}
    records = {}
    for key, org in units.items():
        contract = make_contract(org, starts_on=start, ends_on=today + timedelta(days=400), number=f"本縣特約{key}")
        point, _ = record_violation_point(None, org, occurred_on=today - timedelta(days=30),
                                          clause="拒絕訪查輔導之行為。", description="本單位違約事實", today=today)
        finding = record_finding(None, org, kind="other", found_on=today - timedelta(days=10),
                                 description="本單位查證事實", today=today)
        records[key] = {"contract_id": contract.id, "point_id": point.id, "finding_id": finding.id, "unit_id": org.id}

    def which(user):
        if user.role in r.B_ROLES:
            return "b"
        if user.role == r.GUIDANCE_STAFF:
            return "guided"
        return "a"

    for name in ("contract_id", "point_id", "finding_id", "unit_id"):
        world.own[f"contracts.{name}"] = (lambda n: lambda user: records[which(user)][n])(name)
    world.own["contracts.action"] = world.foreign["contracts.action"] = "pause_dispatch"
