"""The access-matrix registry. Each area adds `tests/<area>/authz_data.py`:

    from tests.authz import foreign_data

    @foreign_data
    def incidents(world):
        incident = make_incident(world.orgs["b_other"], summary=FOREIGN_MARKER + "…")
        world.foreign["incident_id"] = incident.id

so that every route with an `<int:incident_id>` is tried, for every role, with
another unit's record (expecting 403/404, never the data), and the marker text
is searched for in every page a non-bureau user can open.
"""
_builders = []


def foreign_data(fn):
    _builders.append(fn)
    return fn


def run_foreign_builders(world):
    for fn in _builders:
        fn(world)
