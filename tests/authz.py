"""The access-matrix registry. Each area adds `tests/<area>/authz_data.py`:

    from tests.authz import foreign_data

    @foreign_data
    def incidents(world):
        mine = make_incident(world.orgs["b"], summary="本單位事件")
        theirs = make_incident(world.orgs["b_other"], summary=FOREIGN_MARKER + "…")
        world.own["incident_id"] = mine.id          # a record of the home organisations
        world.foreign["incident_id"] = theirs.id    # the same kind of record of another unit

Records that only the access matrix needs (the home organisations' records,
files, comments) go in a `@matrix_data` builder instead: it runs after the
world is built, in tests/test_access_matrix.py only, so area tests keep their
world unchanged.

Either way, every route with an `<int:incident_id>` is tried, for every role, with
the home organisations' record and with another unit's record (expected
answers: tests/access_table.py), and the marker text is searched for in every
answer a non-bureau user gets.

Keys are URL parameter names. When two areas use the same parameter name for
different tables (`report_id`, `home_id`…), qualify it with the blueprint:
`world.own["reports.report_id"]` is used for the `reports.*` routes before a
plain `report_id`. A value may be a function of the logged-in user
(`world.own["job_id"] = lambda user: …`) for records that belong to a person.
A parameter that is not organisation-scoped (a section key, an area) gets the
same value in both registries.
"""
_builders = []
_matrix_builders = []


def foreign_data(fn):
    _builders.append(fn)
    return fn


def run_foreign_builders(world):
    for fn in _builders:
        fn(world)


def matrix_data(fn):
    """Register a builder of records only the access matrix uses (run by `run_matrix_builders`)."""
    _matrix_builders.append(fn)
    return fn


def run_matrix_builders(world):
    for fn in _matrix_builders:
        fn(world)


def lookup(registry: dict, endpoint: str, param: str, user=None):
    """The value registered for `param` of `endpoint` (blueprint-qualified first), or KeyError."""
    blueprint = endpoint.split(".", 1)[0]
    for key in (f"{blueprint}.{param}", param):
        if key in registry:
            value = registry[key]
            return value(user) if callable(value) else value
    raise KeyError(param)
