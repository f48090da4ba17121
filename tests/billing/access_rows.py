"""Access rows of the family-care billing routes (portal/billing), loaded by tests/access_table.py.

Who: the bureau (adm/off/chf) and the care-management centre (cm/cs) read every home; the deciders
(adm/off) review declarations, corrections, staff changes and opening hours, and keep the rate
tables; a home's own staff (bst/bhd) keep its records, only the head declares and requests payment;
the guidance unit reads the homes it guides and never writes (seed 003 §十五(四), R-GU-04);
A units, auditors and applicants have no business here. Another unit's record answers 404.
Ids: tests/billing/authz_data.py (the home family-care unit world.orgs["b"], guided by the home
guidance unit; the foreign home is another family-care unit).
"""

TABLE = """
## family-care operations and monthly billing (portal/billing)
GET  billing.index                      200      200      200      200      200      403      403      403      302      302      200      403      login
GET  billing.home                       200      200      200      200      200      403      403      403      200/404  200/404  200/404  403      login
GET  billing.review                     200      200      200      403      403      403      403      403      403      403      403      403      login
GET  billing.rates                      200      200      200      200      200      403      403      403      200      200      200      403      login
POST billing.rates                      ok       ok       403      403      403      403      403      403      403      403      403      403      login
GET  billing.profile                    200      200      200      200      200      403      403      403      200/404  200/404  200/404  403      login
POST billing.profile                    403      403      403      403      403      403      403      403      ok/404   ok/404   403/404  403      login
GET  billing.opening_hours              200      200      200      200      200      403      403      403      200/404  200/404  200/404  403      login
POST billing.opening_hours              403      403      403      403      403      403      403      403      ok/404   ok/404   403/404  403      login
POST billing.opening_hours_decide       ok       ok       403      403      403      403      403      403      403/404  403/404  403/404  403      login

## admissions and subsidy changes
GET  billing.admission_new              403      403      403      403      403      403      403      403      200/404  200/404  403/404  403      login
POST billing.admission_new              403      403      403      403      403      403      403      403      ok/404   ok/404   403/404  403      login
GET  billing.admission                  200      200      200      200      200      403      403      403      200/404  200/404  200/404  403      login
GET  billing.admission_edit             403      403      403      403      403      403      403      403      200/404  200/404  403/404  403      login
POST billing.admission_edit             403      403      403      403      403      403      403      403      ok/404   ok/404   403/404  403      login
POST billing.admission_end              403      403      403      403      403      403      403      403      ok/404   ok/404   403/404  403      login
GET  billing.client_file_pdf            200      200      200      200      200      403      403      403      200/404  200/404  200/404  403      login
GET  billing.change_new                 200      200      403      403      403      403      403      403      200/404  200/404  403/404  403      login
POST billing.change_new                 ok       ok       403      403      403      403      403      403      ok/404   ok/404   403/404  403      login
POST billing.change_cancel              ok       ok       403      403      403      403      403      403      ok/404   ok/404   403/404  403      login

## daily service records, the lock, corrections
GET  billing.day_sheet                  200      200      200      200      200      403      403      403      200/404  200/404  200/404  403      login
POST billing.save_row                   403      403      403      403      403      403      403      403      ok/404   ok/404   403/404  403      login
POST billing.save_family                403      403      403      403      403      403      403      403      ok/404   ok/404   403/404  403      login
GET  billing.correction_new             403      403      403      403      403      403      403      403      200/404  200/404  403/404  403      login
POST billing.correction_new             403      403      403      403      403      403      403      403      ok/404   ok/404   403/404  403      login
GET  billing.corrections                200      200      200      200      200      403      403      403      200      200      200      403      login
GET  billing.correction                 200      200      200      200      200      403      403      403      200/404  200/404  200/404  403      login
POST billing.correction                 ok       ok       403      403      403      403      403      403      403/404  403/404  403/404  403      login

## declarations (申報), receipts, documents
GET  billing.declarations               200      200      200      200      200      403      403      403      200/404  200/404  200/404  403      login
GET  billing.declaration_month          200      200      200      200      200      403      403      403      200/404  200/404  200/404  403      login
POST billing.declaration_month          403      403      403      403      403      403      403      403      403/404  ok/404   403/404  403      login
GET  billing.declaration                200      200      200      200      200      403      403      403      200/404  200/404  200/404  403      login
POST billing.declaration_action         ok       ok       403      403      403      403      403      403      403/404  403/404  403/404  403      login
GET  billing.summary_pdf                200      200      200      200      200      403      403      403      200/404  200/404  200/404  403      login
GET  billing.items_pdf                  200      200      200      200      200      403      403      403      200/404  200/404  200/404  403      login
GET  billing.receipt_pdf                200      200      200      200      200      403      403      403      200/404  200/404  200/404  403      login
GET  billing.declaration_xlsx           200      200      200      200      200      403      403      403      200/404  200/404  200/404  403      login
GET  billing.draft_summary_pdf          200      200      200      200      200      403      403      403      200/404  200/404  200/404  403      login
GET  billing.draft_items_pdf            200      200      200      200      200      403      403      403      200/404  200/404  200/404  403      login
GET  billing.draft_xlsx                 200      200      200      200      200      403      403      403      200/404  200/404  200/404  403      login
GET  billing.letter_pdf                 200      200      200      200      200      403      403      403      200/404  200/404  200/404  403      login
GET  billing.client_receipts_pdf        200      200      200      200      200      403      403      403      200/404  200/404  200/404  403      login
GET  billing.client_receipt_pdf         200      200      200      200      200      403      403      403      200/404  200/404  200/404  403      login

## carer compliance and staff changes
GET  billing.compliance_overview        200      200      200      200      200      403      403      403      200      200      200      403      login
GET  billing.compliance                 200      200      200      200      200      403      403      403      200/404  200/404  200/404  403      login
GET  billing.carer_new                  403      403      403      403      403      403      403      403      200/404  200/404  403/404  403      login
POST billing.carer_new                  403      403      403      403      403      403      403      403      ok/404   ok/404   403/404  403      login
GET  billing.carer                      200      200      200      200      200      403      403      403      200/404  200/404  200/404  403      login
POST billing.carer                      403      403      403      403      403      403      403      403      ok/404   ok/404   403/404  403      login
GET  billing.carer_edit                 403      403      403      403      403      403      403      403      200/404  200/404  403/404  403      login
POST billing.carer_edit                 403      403      403      403      403      403      403      403      ok/404   ok/404   403/404  403      login
GET  billing.staff_change_new           403      403      403      403      403      403      403      403      200/404  200/404  403/404  403      login
POST billing.staff_change_new           403      403      403      403      403      403      403      403      ok/404   ok/404   403/404  403      login
GET  billing.staff_change               200      200      200      200      200      403      403      403      200/404  200/404  200/404  403      login
POST billing.staff_change               ok       ok       403      403      403      403      403      403      403/404  403/404  403/404  403      login
GET  billing.staff_change_letter_pdf    200      200      200      200      200      403      403      403      200/404  200/404  200/404  403      login
GET  billing.opening_hours_letter_pdf   200      200      200      200      200      403      403      403      200/404  200/404  200/404  403      login
"""

# The decisions are what the rows are about: a unit (or the guidance unit) must never approve its own
# correction or staff change; the bureau's deciders reach the action.
POST_DATA = {
    "billing.correction": {"action": "approve"},
    "billing.staff_change": {"action": "approve"},
}
