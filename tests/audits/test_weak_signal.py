"""Scoring on a weak connection (issue 4 §3): re-sends of an answer whose reply was lost, retries that
overtake their first copy, keys reused by mistake. Nothing is applied twice and nothing answers 5xx."""
from datetime import date

import pytest

from portal.audits.models import AuditAnswer, AuditAnswerChange
from portal.auth import roles
from portal.extensions import db
from tests.audits.factories import make_audit, score
from tests.concurrency import assert_no_server_errors, needs_postgres, race
from tests.factories import make_user

HX = {"HX-Request": "true"}


@pytest.fixture
def team(world):
    lead = world.users[roles.AUDITOR]
    second = make_user(roles.AUDITOR, world.orgs["bureau"], username="t_auditor_ws", full_name="第二委員")
    audit = make_audit(world.orgs["a"], lead, others=[second], on=date(2025, 3, 10))
    db.session.commit()
    return {"lead": lead, "second": second, "audit": audit, "items": audit.template_version.items}


def _post(client, audit, item, outcome, key, rev=0, note=""):
    return client.post(f"/audits/{audit.id}/items/{item.id}/answer",
                       data={f"outcome-{item.id}": outcome, f"rev-{item.id}": rev, f"note-{item.id}": note,
                             "client_key": key}, headers=HX)


def _changes(audit):
    return db.session.execute(db.select(AuditAnswerChange).join(AuditAnswer).where(
        AuditAnswer.audit_id == audit.id)).scalars().all()


def test_resend_after_the_lead_submitted_is_acknowledged_not_refused(client, login, team, app_ctx):
    """The reply to the last tap was lost; the lead submitted meanwhile; the retry arrives: it was saved."""
    audit, items = team["audit"], team["items"]
    login(team["second"])
    assert _post(client, audit, items[0], "fail", "lost-reply", note="缺失").headers["X-Answer-Status"] == "saved"
    score(audit, team["lead"], fails=(1,))  # the lead answers the rest (item 1 unchanged) and submits
    from portal.audits import operations as ops
    ops.finalise(team["lead"], audit)
    db.session.commit()
    again = _post(client, audit, items[0], "fail", "lost-reply", note="缺失")
    assert again.status_code == 200 and again.headers["X-Answer-Status"] == "duplicate"
    assert "✓ 已儲存" in again.get_data(as_text=True)
    late = _post(client, audit, items[0], "pass", "a-new-tap")          # a new answer is refused, as before
    assert late.status_code == 409 and "已由" in late.get_data(as_text=True)


def test_same_key_on_another_item_is_refused_not_applied(client, login, team, app_ctx):
    audit, items = team["audit"], team["items"]
    login(team["lead"])
    assert _post(client, audit, items[0], "pass", "k-reused").headers["X-Answer-Status"] == "saved"
    wrong = _post(client, audit, items[1], "fail", "k-reused")
    assert wrong.status_code == 422 and "識別碼" in wrong.get_data(as_text=True)
    db.session.expire_all()
    assert [c.client_key for c in _changes(audit)] == ["k-reused"]
    second = db.session.execute(db.select(AuditAnswer).filter_by(audit_id=audit.id, item_id=items[1].id)).scalar_one()
    assert second.revision == 0 and second.outcome is None


def test_many_resends_in_a_row_store_one_change(client, login, team, app_ctx):
    """A flaky link: the tablet re-sends one answer five times (each reply lost) — one change, one revision."""
    audit, item = team["audit"], team["items"][3]
    login(team["lead"])
    states = [_post(client, audit, item, "fail", "flaky", note="抽查逾期").headers["X-Answer-Status"]
              for _ in range(5)]
    assert states == ["saved"] + ["duplicate"] * 4
    db.session.expire_all()
    answer = db.session.execute(db.select(AuditAnswer).filter_by(audit_id=audit.id, item_id=item.id)).scalar_one()
    assert answer.revision == 1 and len(_changes(audit)) == 1


@needs_postgres
def test_simultaneous_copies_of_one_answer_apply_once(race_server, team):
    """A retry that overtakes its slow first copy: both reach the server at once; one change is stored,
    every copy answers 200 (saved or duplicate), none 5xx (row lock, then the key is checked again)."""
    audit, item = team["audit"], team["items"][5]
    tablets = [race_server.browser(team["lead"]) for _ in range(6)]
    url = f"/audits/{audit.id}/items/{item.id}/answer"
    data = {f"outcome-{item.id}": "fail", f"rev-{item.id}": 0, f"note-{item.id}": "同時重送", "client_key": "dup"}
    replies = race([lambda b=b: b.post(url, data, headers=HX) for b in tablets])
    assert_no_server_errors(replies)
    states = sorted(r.headers.get("X-Answer-Status") for r in replies)
    assert states.count("saved") == 1 and states.count("duplicate") == 5, states
    db.session.expire_all()
    answer = db.session.execute(db.select(AuditAnswer).filter_by(audit_id=audit.id, item_id=item.id)).scalar_one()
    assert answer.revision == 1 and len(_changes(audit)) == 1
