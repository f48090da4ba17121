"""Access rows of the contracts blueprint (特約, issue 8 items 1, 6, 8), in the format of tests/access_table.py.

"Own" records (tests/contracts/authz_data.py, per logged-in user): B-unit staff get their home's contract,
point and finding; guidance staff those of a home their unit guides; everyone else the home A unit's.
"Foreign" is another B unit's.
"""

TABLE = """
# route                                 adm      off      chf      cm       cs       aud      acm      ahd      bst      bhd      gui      app      anon

## a unit's contract standing, history PDF and violation findings: units read their own, guidance units their guided homes', read-only; auditors have no business here
GET  contracts.index                    200      200      200      200      200      403      302      302      302      302      200      403      login
GET  contracts.unit                     200      200      200      200      200      403      200/404  200/404  200/404  200/404  200/404  403      login
GET  contracts.show                     200      200      200      200      200      403      200/404  200/404  200/404  200/404  200/404  403      login
GET  contracts.pdf                      200      200      200      200      200      403      200/404  200/404  200/404  200/404  200/404  403      login
GET  contracts.finding                  200      200      200      200      200      403      200/404  200/404  200/404  200/404  200/404  403      login

## contract actions with legal basis, violation points and findings (bureau officers and chief)
GET  contracts.new                      200      200      200      403      403      403      403      403      403      403      403      403      login
GET  contracts.act                      200      200      200      403      403      403      403      403      403      403      403      403      login
GET  contracts.point_new                200      200      200      403      403      403      403      403      403      403      403      403      login
GET  contracts.finding_new              200      200      200      403      403      403      403      403      403      403      403      403      login
POST contracts.new                      ok       ok       ok       403      403      403      403      403      403      403      403      403      login
POST contracts.act                      ok       ok       ok       403      403      403      403      403      403      403      403      403      login
POST contracts.point_new                ok       ok       ok       403      403      403      403      403      403      403      403      403      login
POST contracts.point_revoke             ok       ok       ok       403      403      403      403      403      403      403      403      403      login
POST contracts.finding_new              ok       ok       ok       403      403      403      403      403      403      403      403      403      login
POST contracts.finding_step             ok       ok       ok       403      403      403      403      403      403      403      403      403      login
"""
