"""Builders for incident tests."""
from datetime import datetime, timedelta

from portal import clock
from portal.extensions import db
from portal.incidents import operations as ops


def taipei(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=clock.TAIPEI)


def form_data(client_id, occurred=None, **over):
    """A valid 通報單 post for `client_id` (moderate care accident during service, an hour ago)."""
    occurred = occurred or (clock.now() - timedelta(hours=1))
    local = occurred.astimezone(clock.TAIPEI)
    data = {
        "client_id": client_id, "submission_key": over.pop("submission_key", "key-" + str(local.timestamp())),
        "period": "service", "occurred_date": f"{local.year - 1911}/{local.month}/{local.day}",
        "occurred_time": f"{local:%H:%M}", "place": "home", "severity": "moderate",
        "provider_unit_name": "甲家庭托顧", "staff_types": ["home_carer"], "categories_service": ["care_accident"],
        "narrative": "個案於上午協助如廁時不慎滑倒，右手肘擦傷並疑似骨折，已立即送醫檢查。",
        "interventions": ["medical", "comfort"], "reporter_title": "家托員",
        "supervisor_name_title": "王主任（負責人）",
    }
    data.update(over)
    return data


def incident_data(occurred=None, **over):
    """Keyword data for `ops.create_incident` (no form)."""
    occurred = occurred or (clock.now() - timedelta(hours=1))
    data = {
        "period": "service", "occurred_at": occurred, "learned_at": None, "place": "home", "severity": "moderate",
        "staff_types": ["home_carer"], "categories": ["care_accident"],
        "narrative": "個案於上午協助如廁時不慎滑倒，右手肘擦傷並疑似骨折，已立即送醫檢查。",
        "no_intervention": [], "interventions": ["medical"], "reporter_title": "家托員",
        "supervisor_name_title": "王主任（負責人）", "unit_caused": False,
    }
    data.update(over)
    return data


def make_incident(user, client, *, submit=False, notify=True, **over):
    """Record an incident as `user`; optionally notify the authority and submit the 初報."""
    incident = ops.create_incident(user, client, incident_data(**over))
    if submit:
        if notify and incident.severity in ("moderate", "severe", "extreme", "death"):
            ops.record_notification(user, incident, notified_at=incident.occurred_at + timedelta(minutes=30),
                                    channel="phone", channel_other=None, contacted="衛生局長照科",
                                    notifier_name="王主任")
        ops.submit_initial(user, incident)
    db.session.flush()
    return incident
