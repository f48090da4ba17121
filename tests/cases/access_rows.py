"""Who may do what in case management (portal/cases): rows of the access table (tests/access_table.py).

Own records: the home organisations' case (tests/cases/authz_data.py `cases_home`): the own client
referred to the home A unit, dispatched (home care) to the home B unit, with a suspension, a closure,
a change-of-provider draft and a pause request of the home A unit. Bureau roles see every case; the
centre (cm 照管專員, cs 照管督導) opens, refers, approves plans and decides suspensions and
closures; the A unit runs its own cases; a B unit sees only what was dispatched to it; the bureau
officers (off, chf) decide change-of-provider and pause requests. Auditors, guidance units and
applicants have no business here (403).
"""

TABLE = """
# route                                 adm      off      chf      cm       cs       aud      acm      ahd      bst      bhd      gui      app      anon

## case list, opening a case and referral to an A unit (case-management.md §3)
GET  cases.index                        200      200      200      200      200      403      200      200      403      403      403      403      login
GET  cases.new                          403      403      403      200      200      403      403      403      403      403      403      403      login
POST cases.new                          403      403      403      ok       ok       403      403      403      403      403      403      403      login
GET  cases.refer                        403      403      403      302      302      403      403      403      403      403      403      403      login
POST cases.refer                        403      403      403      ok       ok       403      403      403      403      403      403      403      login
GET  cases.show                         200      200      200      200      200      403      200/404  200/404  403      403      403      403      login
POST cases.accept_referral              403      403      403      403      403      403      ok/404   ok/404   403      403      403      403      login
POST cases.decline_referral             403      403      403      403      403      403      ok/404   ok/404   403      403      403      403      login
POST cases.change_manager               403      403      403      403      403      403      ok/404   ok/404   403      403      403      403      login
POST cases.add_visit                    403      403      403      403      403      403      ok/404   ok/404   403      403      403      403      login

## care plans (§8): drafted by the A unit, approved or returned by the centre
POST cases.start_plan                   403      403      403      403      403      403      ok/404   ok/404   403      403      403      403      login
GET  cases.plan                         200      200      200      200      200      403      200/404  200/404  403      403      403      403      login
GET  cases.plan_edit                    403      403      403      403      403      403      302/404  302/404  403      403      403      403      login
POST cases.plan_edit                    403      403      403      403      403      403      ok/404   ok/404   403      403      403      403      login
GET  cases.plan_row                     403      403      403      403      403      403      200/404  200/404  403      403      403      403      login
POST cases.plan_approve                 403      403      403      ok       ok       403      403      403      403      403      403      403      login
POST cases.plan_return                  403      403      403      ok       ok       403      403      403      403      403      403      403      login
GET  cases.plan_pdf                     200      200      200      200      200      403      200/404  200/404  403      403      403      403      login

## dispatch to B units (§7, §9): the A unit dispatches, the B unit answers and records the first service
GET  cases.recommend                    200      200      200      200      200      403      200/404  200/404  403      403      403      403      login
POST cases.recommend                    403      403      403      403      403      403      ok/404   ok/404   403      403      403      403      login
POST cases.preference                   403      403      403      403      403      403      ok/404   ok/404   403      403      403      403      login
GET  cases.dispatches                   200      200      200      200      200      403      200      200      200      200      403      403      login
GET  cases.dispatch                     200      200      200      200      200      403      200/404  200/404  200/404  200/404  403      403      login
POST cases.dispatch_accept              403      403      403      403      403      403      403      403      ok/404   ok/404   403      403      login
POST cases.dispatch_decline             403      403      403      403      403      403      403      403      ok/404   ok/404   403      403      login
POST cases.dispatch_first_service       403      403      403      403      403      403      ok/404   ok/404   ok/404   ok/404   403      403      login
POST cases.dispatch_change_notice       403      403      403      403      403      403      403      403      ok/404   ok/404   403      403      login

## change of provider (§10.3, 附件一): the A unit applies, the bureau decides
GET  cases.changes                      200      200      200      200      200      403      200      200      403      403      403      403      login
POST cases.change_start                 403      403      403      403      403      403      ok/404   ok/404   403      403      403      403      login
GET  cases.change_edit                  403      403      403      403      403      403      200/404  200/404  403      403      403      403      login
POST cases.change_edit                  403      403      403      403      403      403      ok/404   ok/404   403      403      403      403      login
GET  cases.change_candidate             403      403      403      403      403      403      302/404  302/404  403      403      403      403      login
POST cases.change_withdraw              403      403      403      403      403      403      ok/404   ok/404   403      403      403      403      login
GET  cases.change                       200      200      200      200      200      403      200/404  200/404  403      403      403      403      login
POST cases.change_submit                403      403      403      403      403      403      ok/404   ok/404   403      403      403      403      login
POST cases.change_decide                403      ok       ok       403      403      403      403      403      403      403      403      403      login
POST cases.change_complete              403      403      403      403      403      403      ok/404   ok/404   403      403      403      403      login
GET  cases.change_scan                  302      302      302      302      302      403      302/404  302/404  403      403      403      403      login
POST cases.change_scan                  403      403      403      403      403      403      ok/404   ok/404   403      403      403      403      login
GET  cases.change_pdf                   200      200      200      200      200      403      200/404  200/404  403      403      403      403      login

## suspension and closure (§11): B or A unit reports, the A unit forwards, the centre decides
GET  cases.suspension_new               403      403      403      403      403      403      200/404  200/404  200/404  200/404  403      403      login
POST cases.suspension_new               403      403      403      403      403      403      ok/404   ok/404   ok/404   ok/404   403      403      login
POST cases.suspension_forward           403      403      403      403      403      403      ok/404   ok/404   403      403      403      403      login
POST cases.suspension_decide            403      403      403      ok       ok       403      403      403      403      403      403      403      login
POST cases.suspension_end               403      403      403      ok       ok       403      ok/404   ok/404   403      403      403      403      login
GET  cases.closure_new                  403      403      403      200      200      403      200/404  200/404  200/404  200/404  403      403      login
POST cases.closure_new                  403      403      403      ok       ok       403      ok/404   ok/404   ok/404   ok/404   403      403      login
POST cases.closure_forward              403      403      403      403      403      403      ok/404   ok/404   403      403      403      403      login
POST cases.closure_decide               403      403      403      ok       ok       403      403      403      403      403      403      403      login
GET  cases.notice                       302/404  302/404  302/404  302/404  302/404  302/404  302/404  302/404  302/404  302/404  302/404  302/404  login

## A units: pause requests (§4), case-manager roster and capacity (§5); B-unit evaluations (§9)
GET  cases.pauses                       200      200      200      200      200      403      200      200      403      403      403      403      login
GET  cases.pause_new                    403      403      403      403      403      403      403      200      403      403      403      403      login
POST cases.pause_new                    403      403      403      403      403      403      403      ok       403      403      403      403      login
GET  cases.pause                        200      200      200      200      200      403      200/404  200/404  403      403      403      403      login
POST cases.pause_decide                 403      ok       ok       403      403      403      403      403      403      403      403      403      login
POST cases.pause_withdraw               403      403      403      403      403      403      403      ok/404   403      403      403      403      login
GET  cases.managers                     200      200      200      200      200      403      200      200      403      403      403      403      login
GET  cases.manager_edit                 200      200      403      403      403      403      403      200/404  403      403      403      403      login
POST cases.manager_edit                 ok       ok       403      403      403      403      403      ok/404   403      403      403      403      login
GET  cases.evaluations                  200      200      200      200      200      403      200      200      403      403      403      403      login
POST cases.evaluations                  403      403      403      403      403      403      ok       ok       403      403      403      403      login

## B-unit service capacity (Q08) and the service-code table (README §6.1)
GET  cases.provider_services            200      200      200      200      200      403      200      200      200      200      403      403      login
POST cases.provider_services            ok       ok       403      403      403      403      403      403      403      ok       403      403      login
POST cases.provider_service_delete      ok       ok       403      403      403      403      403      403      403      ok/404   403      403      login
GET  cases.service_code_list            200      200      403      403      403      403      403      403      403      403      403      403      login
POST cases.service_code_list            ok       ok       403      403      403      403      403      403      403      403      403      403      login
POST cases.service_code_edit            ok       ok       403      403      403      403      403      403      403      403      403      403      login
"""
