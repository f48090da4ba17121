"""Background jobs for the access matrix: the kind `POST /jobs/start/<kind>` is tried with.

The kind is not organisation-scoped (the same value for the home organisations and another unit);
the row in tests/access_table.py is the declarations export's roles (billing READERS). Each kind's
roles and the scoping of the ids in its form are tested in tests/jobs/test_*_exports.py.
"""
from tests.authz import foreign_data


@foreign_data
def job_kinds(world):
    world.own["jobs.kind"] = world.foreign["jobs.kind"] = "billing.declarations_xlsx"
