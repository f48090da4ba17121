"""Expected answers of the incidents routes (異常事件通報 and 爭議調處): see tests/access_table.py for the format.

Incident data is visible only to the reporting unit, the client's A unit, the care management centre and the
bureau (incidents.md §7): the own incident is the home B unit's, about the own client whom the home A unit
serves. The reporting unit writes and extends its reports; the A unit reads and confirms its notification
route; the receiving authority (衛生局 officer/chief, 照管中心 cm/cs) records receipt and handling. Mediation
files (爭議調處) are the bureau's and the centre's. Auditors, guidance units and applicants have no business here.
The own 續報 is submitted: the reporting unit's edit is refused or redirected, its PDF is readable.
"""

TABLE = """
## incidents (portal/incidents): list, report form, the chain of reports, the authority's records
GET  incidents.index                    200      200      200      200      200      403      200      200      200      200      403      403      login
GET  incidents.new                      403      403      403      200      200      403      200      200      200      200      403      403      login
POST incidents.new                      403      403      403      ok       ok       403      ok       ok       ok       ok       403      403      login
GET  incidents.show                     200      200      200      200      200      403      200/404  200/404  200/404  200/404  403      403      login
GET  incidents.edit                     403      403      403      403      403      403      403/404  403/404  302/404  302/404  403      403      login
POST incidents.edit                     403      403      403      403      403      403      403/404  403/404  ok/404   ok/404   403      403      login
GET  incidents.pdf                      200      200      200      200      200      403      200/404  200/404  200/404  200/404  403      403      login
GET  incidents.report_pdf               200      200      200      200      200      403      200/404  200/404  200/404  200/404  403      403      login
GET  incidents.attachment               200      200      200      200      200      403      200/404  200/404  200/404  200/404  403      403      login
POST incidents.upload                   403      ok       ok       ok       ok       403      403/404  403/404  ok/404   ok/404   403      403      login
POST incidents.notify                   403      403      403      403      403      403      403/404  403/404  ok/404   ok/404   403      403      login
POST incidents.platform                 403      403      403      403      403      403      403/404  403/404  ok/404   ok/404   403      403      login
POST incidents.submit                   403      403      403      403      403      403      403/404  403/404  ok/404   ok/404   403      403      login
POST incidents.withdraw                 403      403      403      403      403      403      403/404  403/404  ok/404   ok/404   403      403      login
GET  incidents.new_report               403      403      403      403      403      403      403/404  403/404  200/404  200/404  403      403      login
POST incidents.new_report               403      403      403      403      403      403      403/404  403/404  ok/404   ok/404   403      403      login
GET  incidents.edit_report              403      403      403      403      403      403      403/404  403/404  302/404  302/404  403      403      login
POST incidents.edit_report              403      403      403      403      403      403      403/404  403/404  ok/404   ok/404   403      403      login
POST incidents.submit_report            403      403      403      403      403      403      403/404  403/404  ok/404   ok/404   403      403      login
POST incidents.discard_report           403      403      403      403      403      403      403/404  403/404  ok/404   ok/404   403      403      login
POST incidents.acknowledge              403      403      403      403      403      403      ok/404   ok/404   403/404  403/404  403      403      login
POST incidents.receipt                  403      ok       ok       ok       ok       403      403      403      403      403      403      403      login
POST incidents.handling                 403      ok       ok       ok       ok       403      403      403      403      403      403      403      login
POST incidents.close                    403      ok       ok       ok       ok       403      403      403      403      403      403      403      login
POST incidents.return_closing           403      ok       ok       ok       ok       403      403      403      403      403      403      403      login
POST incidents.deadline                 403      ok       ok       ok       ok       403      403      403      403      403      403      403      login

## the bureau's board and monthly statistics
GET  incidents.board                    200      200      200      200      200      403      403      403      403      403      403      403      login
GET  incidents.stats                    200      200      200      200      200      403      403      403      403      403      403      403      login
GET  incidents.stats_export             200      200      200      200      200      403      403      403      403      403      403      403      login
POST incidents.stats_export_xlsx        ok       ok       ok       ok       ok       403      403      403      403      403      403      403      login

## dispute mediation (爭議調處): the bureau's and the centre's files
GET  incidents.disputes                 403      200      200      200      200      403      403      403      403      403      403      403      login
GET  incidents.new_dispute              403      200      200      200      200      403      403      403      403      403      403      403      login
POST incidents.new_dispute              403      ok       ok       ok       ok       403      403      403      403      403      403      403      login
GET  incidents.dispute                  403      200      200      200      200      403      403      403      403      403      403      403      login
GET  incidents.edit_dispute             403      200      200      200      200      403      403      403      403      403      403      403      login
POST incidents.edit_dispute             403      ok       ok       ok       ok       403      403      403      403      403      403      403      login
POST incidents.schedule_dispute         403      ok       ok       ok       ok       403      403      403      403      403      403      403      login
POST incidents.conclude_dispute         403      ok       ok       ok       ok       403      403      403      403      403      403      403      login
"""
