"""Access rows of the guidance area (portal/guidance): guidance units, officers, homes in development and
guided homes, capacity assessments, guidance plans, visits, yearly targets, grants (seed 003 §六, §十五, §十六).

Own records: the home guidance unit (world.orgs["guidance"]) guides the home family-care unit
(world.orgs["b"]) through a contracted guided home; foreign records belong to another guidance unit
(tests/guidance/authz_data.py). Who may do what:
- the bureau (adm/off/chf, and the care-management centre cm/cs, which is part of it) reads every unit's
  records and progress; adm/off keep the units' data, the pipeline, the business fee and the year-end
  settlement; adm/off/chf check officers' qualifications and decide grants;
- a guidance unit (gui) reads and writes only its own unit, officers, homes, plans, visits and grants
  (another unit's: 404); it cannot enter its own business fee, settle its year, decide grants or verify
  its officers (403);
- a guided home (bst/bhd) reads its own guidance record (home, plan, assessments, visits) read-only and
  nothing else of the unit (officers, grants, years: 403);
- A units, auditors and applicants have no business here (403).
"""

TABLE = """
# route                                 adm      off      chf      cm       cs       aud      acm      ahd      bst      bhd      gui      app      anon

## guidance units, officers, yearly targets (bureau reads all; a unit its own)
GET  guidance.index                     200      200      200      200      200      403      403      403      302      302      302      403      login
GET  guidance.unit                      200      200      200      200      200      403      403      403      403      403      200/404  403      login
GET  guidance.unit_profile              200      200      403      403      403      403      403      403      403      403      200/404  403      login
POST guidance.unit_profile              ok       ok       403      403      403      403      403      403      403      403      ok/404   403      login
GET  guidance.officer                   200      200      200      200      200      403      403      403      403      403      200/404  403      login
GET  guidance.officer_new               200      200      403      403      403      403      403      403      403      403      200/404  403      login
POST guidance.officer_new               ok       ok       403      403      403      403      403      403      403      403      ok/404   403      login
GET  guidance.officer_edit              200      200      403      403      403      403      403      403      403      403      200/404  403      login
POST guidance.officer_edit              ok       ok       403      403      403      403      403      403      403      403      ok/404   403      login
POST guidance.officer_verify            ok       ok       ok       403      403      403      403      403      403      403      403      403      login
GET  guidance.year                      200      200      200      200      200      403      403      403      403      403      200/404  403      login
POST guidance.year                      ok       ok       403      403      403      403      403      403      403      403      403/404  403      login
POST guidance.year_settle               ok       ok       403      403      403      403      403      403      403      403      403      403      login
GET  guidance.summary_pdf               200      200      200      200      200      403      403      403      403      403      200/404  403      login

## homes in development and guided homes (the home itself reads its own record, read-only)
GET  guidance.home_new                  403      403      403      403      403      403      403      403      403      403      200      403      login
POST guidance.home_new                  403      403      403      403      403      403      403      403      403      403      ok       403      login
GET  guidance.home                      200      200      200      200      200      403      403      403      200/404  200/404  200/404  403      login
GET  guidance.home_edit                 200      200      403      403      403      403      403      403      403      403      200/404  403      login
POST guidance.home_edit                 ok       ok       403      403      403      403      403      403      403      403      ok/404   403      login
POST guidance.home_advance              ok       ok       403      403      403      403      403      403      403      403      ok/404   403      login
GET  guidance.home_drop                 200      200      403      403      403      403      403      403      403      403      200/404  403      login
POST guidance.home_drop                 ok       ok       403      403      403      403      403      403      403      403      ok/404   403      login

## capacity assessments, guidance plans, visits (written by the guidance unit only)
GET  guidance.assessment                200      200      200      200      200      403      403      403      200/404  200/404  200/404  403      login
GET  guidance.assessment_new            403      403      403      403      403      403      403      403      403      403      200/404  403      login
POST guidance.assessment_new            403      403      403      403      403      403      403      403      403      403      ok/404   403      login
GET  guidance.plan                      200      200      200      200      200      403      403      403      200/404  200/404  200/404  403      login
POST guidance.plan                      403      403      403      403      403      403      403      403      403/404  403/404  ok/404   403      login
GET  guidance.plan_pdf                  200      200      200      200      200      403      403      403      200/404  200/404  200/404  403      login
GET  guidance.visit                     200      200      200      200      200      403      403      403      200/404  200/404  200/404  403      login
GET  guidance.visit_new                 403      403      403      403      403      403      403      403      403      403      200/404  403      login
POST guidance.visit_new                 403      403      403      403      403      403      403      403      403      403      ok/404   403      login

## grant applications (the unit applies, the bureau decides)
GET  guidance.grants                    200      200      200      200      200      403      403      403      403      403      200      403      login
GET  guidance.grant_new                 403      403      403      403      403      403      403      403      403      403      200      403      login
POST guidance.grant_new                 403      403      403      403      403      403      403      403      403      403      ok       403      login
GET  guidance.grant                     200      200      200      200      200      403      403      403      403      403      200/404  403      login
POST guidance.grant_decide              ok       ok       ok       403      403      403      403      403      403      403      403      403      login
POST guidance.grant_withdraw            403      403      403      403      403      403      403      403      403      403      ok/404   403      login
"""
