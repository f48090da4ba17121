"""Incidents for the access matrix: another unit's incident, report, attachment and mediation file, and the
home organisations' (world.own)."""
from portal.extensions import db
from portal.incidents import operations as ops
from portal.auth import roles
from tests.authz import foreign_data, matrix_data
from tests.factories import FOREIGN_MARKER, make_user
from tests.incidents.helpers import make_incident


@foreign_data
def incidents(world):
    reporter = make_user(roles.B_HEAD, world.orgs["b_other"], username="t_incident_foreign_reporter")
    incident = make_incident(reporter, world.clients["foreign"], submit=True,
                             narrative=FOREIGN_MARKER + "他單位異常事件的事發經過，內容不可外流給其他單位。")
    followup = ops.start_report(reporter, incident, "followup", {
        "severity": "moderate", "content": FOREIGN_MARKER + "續報內容", "supervisor_name_title": "主管"})
    ops.submit_report(reporter, followup)
    officer = world.users[roles.BUREAU_OFFICER]
    dispute = ops.create_dispute(officer, {"applicant_name": "申請人", "subject": FOREIGN_MARKER + "爭議",
                                           "claim": "內容", "received_on": incident.occurred_at.date()},
                                 incident=incident)
    from flask import current_app
    evidence = ops.add_attachment(reporter, incident, filename=FOREIGN_MARKER + ".png",
                                  data=b"\x89PNG\r\n\x1a\n" + FOREIGN_MARKER.encode(), description=FOREIGN_MARKER,
                                  upload_dir=current_app.config["UPLOAD_DIR"])
    db.session.flush()
    # Qualified keys: report_id and attachment_id are also parameters of other areas' routes.
    world.foreign.update({"incidents.incident_id": incident.id, "incidents.report_id": followup.id,
                          "incidents.attachment_id": evidence.id, "incidents.dispute_id": dispute.id,
                          "incidents.route_id": incident.reports[0].routes[0].id})


@matrix_data
def own_incidents(world):
    """The home B unit's incident about the own client (the home A unit serves it): a submitted 初報 with
    its notification routes, a submitted 續報, an attachment and the bureau's mediation file."""
    from flask import current_app
    reporter = world.users[roles.B_HEAD]
    incident = make_incident(reporter, world.clients["own"], submit=True, narrative="本單位異常事件的事發經過，個案跌倒擦傷。")
    followup = ops.start_report(reporter, incident, "followup", {
        "severity": "moderate", "content": "本單位續報內容", "supervisor_name_title": "主管"})
    ops.submit_report(reporter, followup)  # submitted: its PDF is readable, edits are refused
    dispute = ops.create_dispute(world.users[roles.BUREAU_OFFICER],
                                 {"applicant_name": "申請人", "subject": "本單位爭議", "claim": "內容",
                                  "received_on": incident.occurred_at.date()}, incident=incident)
    evidence = ops.add_attachment(reporter, incident, filename="evidence.png", data=b"\x89PNG\r\n\x1a\nown",
                                  description="現場照片", upload_dir=current_app.config["UPLOAD_DIR"])
    db.session.flush()
    world.own.update({"incidents.incident_id": incident.id, "incidents.report_id": followup.id,
                      "incidents.attachment_id": evidence.id, "incidents.dispute_id": dispute.id,
                      "incidents.route_id": incident.reports[0].routes[0].id})
