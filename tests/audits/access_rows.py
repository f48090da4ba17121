"""Access rows of the audits blueprint (查核, issue 4), in the format of tests/access_table.py.

"Own" records (tests/audits/authz_data.py, per logged-in user): the auditor's own audit is an audit of the home
A unit in progress assigned to them (the bureau gets the same audit: it sees it but does not score it); A-unit
staff get their unit's finished (failed) audit, B-unit staff their family-care home's finished audit, guidance
staff the finished audit of a home their unit guides. "Foreign" is another A unit's finished audit scored by
another auditor. Template routes get a draft version (own) and the published version (foreign).
"""

TABLE = """
# route                                 adm      off      chf      cm       cs       aud      acm      ahd      bst      bhd      gui      app      anon

## the schedule, a unit's audits and the bureau's overview: units see their own results, guidance units their guided homes' finished audits, auditors their assignments only
GET  audits.index                       200      200      200      200      200      200      200      200      200      200      200      403      login
GET  audits.show                        200      200      200      200      200      200/404  200/404  200/404  200/404  200/404  200/404  403      login
GET  audits.audit_pdf                   200      200      200      200      200      200/404  200/404  200/404  200/404  200/404  200/404  403      login
GET  audits.photo                       200      200      200      200      200      200/404  200/404  200/404  200/404  200/404  200/404  403      login
GET  audits.unit                        200      200      200      200      200      403      200/404  200/404  200/404  200/404  200/404  403      login
GET  audits.unit_pdf                    200      200      200      200      200      403      200/404  200/404  200/404  200/404  200/404  403      login
GET  audits.overview                    200      200      200      200      200      403      403      403      403      403      403      403      login

## scoring on tablets: only the auditors assigned to the audit (the bureau is not, in the matrix world)
GET  audits.score                       403      403      403      403      403      200/404  403/404  403/404  403/404  403/404  403/404  403      login
GET  audits.item_fragment               403      403      403      403      403      302/404  403/404  403/404  403/404  403/404  403/404  403      login
GET  audits.finalise                    403      403      403      403      403      200/404  403/404  403/404  403/404  403/404  403/404  403      login
POST audits.score                       403      403      403      403      403      ok/404   403/404  403/404  403/404  403/404  403/404  403      login
POST audits.answer                      403      403      403      403      403      ok/404   403/404  403/404  403/404  403/404  403/404  403      login
POST audits.photo_upload                403      403      403      403      403      ok/404   403/404  403/404  403/404  403/404  403/404  403      login
POST audits.finalise                    403      403      403      403      403      ok/404   403/404  403/404  403/404  403/404  403/404  403      login

## the unit's corrections of failed items; the bureau reviews and amends finished audits
POST audits.correction_file             403      403      403      403      403      403      ok/404   ok/404   ok/404   ok/404   403      403      login
POST audits.correction_review           ok       ok       ok       403      403      403      403      403      403      403      403      403      login
POST audits.amend                       ok       ok       ok       403      403      403      403      403      403      403      403      403      login

## rounds, scheduling and consequences for the contract (bureau officers and chief)
GET  audits.round_new                   200      200      200      403      403      403      403      403      403      403      403      403      login
GET  audits.round_show                  200      200      200      403      403      403      403      403      403      403      403      403      login
GET  audits.round_pdf                   200      200      200      403      403      403      403      403      403      403      403      403      login
GET  audits.consequence                 200      200      200      403      403      403      403      403      403      403      403      403      login
POST audits.round_new                   ok       ok       ok       403      403      403      403      403      403      403      403      403      login
POST audits.round_show                  ok       ok       ok       403      403      403      403      403      403      403      403      403      login
POST audits.cancel                      ok       ok       ok       403      403      403      403      403      403      403      403      403      login
POST audits.reschedule                  ok       ok       ok       403      403      403      403      403      403      403      403      403      login
POST audits.consequence                 ok       ok       ok       403      403      403      403      403      403      403      403      403      login

## score-sheet templates: the bureau reads them, the administrator and officers edit drafts (published versions are frozen: 302/403)
GET  audits.templates                   200      200      200      403      403      403      403      403      403      403      403      403      login
GET  audits.template_new                200      200      403      403      403      403      403      403      403      403      403      403      login
GET  audits.template_version            200      200      200      403      403      403      403      403      403      403      403      403      login
GET  audits.template_item_new           200/302  200/302  403      403      403      403      403      403      403      403      403      403      login
GET  audits.template_item_edit          200/302  200/302  403      403      403      403      403      403      403      403      403      403      login
POST audits.templates_defaults          ok       ok       403      403      403      403      403      403      403      403      403      403      login
POST audits.template_new                ok       ok       403      403      403      403      403      403      403      403      403      403      login
POST audits.template_draft              ok       ok       403      403      403      403      403      403      403      403      403      403      login
POST audits.template_version            ok/403   ok/403   403      403      403      403      403      403      403      403      403      403      login
POST audits.template_section_add        ok       ok       403      403      403      403      403      403      403      403      403      403      login
POST audits.template_item_new           ok       ok       403      403      403      403      403      403      403      403      403      403      login
POST audits.template_item_edit          ok       ok       403      403      403      403      403      403      403      403      403      403      login
POST audits.template_item_op            ok       ok       403      403      403      403      403      403      403      403      403      403      login
POST audits.template_publish            ok       ok       403      403      403      403      403      403      403      403      403      403      login
"""
