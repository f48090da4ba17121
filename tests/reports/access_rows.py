"""Expected answers of the result-report routes (成果報告): see tests/access_table.py for the format.

The own report is the home family-care B unit's, returned for correction (editable, with a submission).
The unit's staff edit it, only the unit head submits or declares 免交; the bureau (adm/off/chf) reads every
report, officers and chiefs review; care managers, auditors, A units and applicants have no business here.
A guidance unit reads, and comments on, the reports of the homes it guides (seed 003 §十五(四)): in the
access-matrix world the home guidance unit guides the home B unit (tests/guidance/authz_data.py), so it
reads the own report and gets 404 for the other unit's.
"""

TABLE = """
## annual result report (portal/reports)
GET  reports.index                      200      200      200      403      403      403      403      403      200      200      200      403      login
POST reports.start                      403      403      403      403      403      403      403      403      ok       ok       403      403      login
POST reports.not_required               403      403      403      403      403      403      403      403      403      ok       403      403      login
GET  reports.show                       200      200      200      403      403      403      403      403      200/404  200/404  200/404  403      login
POST reports.save_section               403      403      403      403      403      403      403      403      ok/404   ok/404   403      403      login
POST reports.recompute                  403      403      403      403      403      403      403      403      ok/404   ok/404   403      403      login
POST reports.override                   403      403      403      403      403      403      403      403      ok/404   ok/404   403      403      login
POST reports.clear_override             403      403      403      403      403      403      403      403      ok/404   ok/404   403      403      login
POST reports.upload_photo               403      403      403      403      403      403      403      403      ok/404   ok/404   403      403      login
GET  reports.photo                      200      200      200      403      403      403      403      403      200/404  200/404  200/404  403      login
POST reports.delete_photo               403      403      403      403      403      403      403      403      ok/404   ok/404   403      403      login
POST reports.submit                     403      403      403      403      403      403      403      403      403      ok/404   403      403      login
POST reports.return_report              403      ok       ok       403      403      403      403      403      403      403      403      403      login
POST reports.accept                     403      ok       ok       403      403      403      403      403      403      403      403      403      login
POST reports.comment                    403      ok       ok       403      403      403      403      403      403      403      ok/404   403      login
POST reports.reopen                     403      403      403      403      403      403      403      403      403      ok/404   403      403      login
GET  reports.submission                 200      200      200      403      403      403      403      403      200/404  200/404  200/404  403      login
GET  reports.pdf                        200      200      200      403      403      403      403      403      200/404  200/404  200/404  403      login
POST reports.receipt_date               403      ok       ok       403      403      403      403      403      403      403      403      403      login
POST reports.approved_zip               ok       ok       ok       403      403      403      403      403      403      403      403      403      login
"""

# The year a unit starts or declares 免交 for: without one the route answers 404 before the role checks.
POST_DATA = {
    "reports.start": {"year": "2024"},
    "reports.not_required": {"year": "2024"},
}
