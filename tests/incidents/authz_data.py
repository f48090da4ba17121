"""Another unit's incident, report and mediation file for the access matrix."""
from portal.extensions import db
from portal.incidents import operations as ops
from portal.auth import roles
from tests.authz import foreign_data
from tests.factories import FOREIGN_MARKER, make_user
from tests.incidents.helpers import make_incident


@foreign_data
def incidents(world):
    reporter = make_user(roles.B_HEAD, world.orgs["b_other"], username="t_incident_foreign_reporter")
    incident = make_incident(reporter, world.clients["foreign"], submit=True,
                             narrative=FOREIGN_MARKER + "他單位異常事件的事發經過，內容不可外流給其他單位。")
    followup = ops.start_report(reporter, incident, "followup", {
        "severity": "moderate", "content": FOREIGN_MARKER + "續報內容", "supervisor_name_title": "主管"})
    officer = world.users[roles.BUREAU_OFFICER]
    dispute = ops.create_dispute(officer, {"applicant_name": "申請人", "subject": FOREIGN_MARKER + "爭議",
                                           "claim": "內容", "received_on": incident.occurred_at.date()},
                                 incident=incident)
    db.session.flush()
    world.foreign["incident_id"] = incident.id
    world.foreign["report_id"] = followup.id
    world.foreign["dispute_id"] = dispute.id
    world.foreign["route_id"] = incident.reports[0].routes[0].id
