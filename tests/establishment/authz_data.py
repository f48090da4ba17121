"""Another applicant's plan for the access matrix: no one outside the bureau may open it."""
from portal.establishment import operations as ops
from tests.authz import foreign_data
from tests.factories import FOREIGN_MARKER


@foreign_data
def establishment_plan(world):
    other = world.other_users["applicant"]
    plan = ops.create_plan(other, world.orgs["applicant_other"])
    ops.save_section(other, plan, "basic", {"applicant_type": "natural", "county": "測試縣",
                                            "distinctive": FOREIGN_MARKER, "name": "",
                                            "address": FOREIGN_MARKER + "路1號"}, seen_version=0)
    world.foreign["plan_id"] = plan.id
