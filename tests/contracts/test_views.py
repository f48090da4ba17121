"""Contracts: unit standing, actions with legal basis, two officers, violation points, PDF."""
import re
import subprocess
from datetime import date, datetime

from portal import clock
from portal.auth import roles
from portal.contracts import rules
from portal.contracts.models import Contract, ContractAction, ContractIneligibility, ViolationPoint
from portal.contracts.operations import record_violation_point, stop_dispatch
from portal.extensions import db
from portal.orgs.standing import referral_blockers, unit_summaries
from tests.contracts.factories import make_contract
from tests.factories import FOREIGN_MARKER

TODAY = datetime(2025, 6, 20, 10, 0)


def _contract(world, key="b", **kw):
    contract = make_contract(world.orgs[key], world.users[roles.BUREAU_OFFICER], **kw)
    db.session.commit()
    return contract


def _act(client, contract, action, **over):
    data = {"effective_on": "114/6/20", "basis_code": rules.ACTIONS[action].default_basis,
            "reason": "連續3次查核不合格", "version": contract.version, "submission_key": over.pop("key", action)}
    data.update(over)
    return client.post(f"/contracts/{contract.id}/actions/{action}", data=data)


def test_bureau_list_and_unit_page(client, world, login):
    _contract(world)
    login(world.users[roles.BUREAU_OFFICER])
    with clock.freeze(TODAY):
        page = client.get("/contracts").get_data(as_text=True)
        assert "甲家庭托顧" in page and "有效" in page and "尚未登錄" in page  # the A unit has no contract yet
        page = client.get(f"/contracts/units/{world.orgs['b'].id}").get_data(as_text=True)
    assert "家庭托顧服務特約" in page and "可接受新案" in page and "暫停特約" in page


def test_unit_sees_only_its_own_standing(client, world, login):
    _contract(world)
    login(world.users[roles.B_STAFF])
    response = client.get("/contracts")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/contracts/units/{world.orgs['b'].id}")
    page = client.get(f"/contracts/units/{world.orgs['b'].id}").get_data(as_text=True)
    assert "目前特約狀態" in page and "暫停特約</a>" not in page  # no action buttons for the unit
    assert client.get(f"/contracts/units/{world.orgs['b_other'].id}").status_code == 404
    assert FOREIGN_MARKER not in page
    login(world.users[roles.AUDITOR])
    assert client.get("/contracts").status_code == 403


def test_create_contract_refuses_overlap_and_is_idempotent(client, world, login, app_ctx):
    login(world.users[roles.BUREAU_OFFICER])
    unit = world.orgs["a"]
    form = {"number": "甲特字第1號", "starts_on": "114/1/1", "ends_on": "114/12/31", "submission_key": "k1"}
    assert client.post(f"/contracts/units/{unit.id}/new", data=form).status_code == 303
    assert client.post(f"/contracts/units/{unit.id}/new", data=form).status_code == 303  # double submit
    assert db.session.execute(db.select(db.func.count()).select_from(Contract).filter_by(organisation_id=unit.id)).scalar() == 1
    page = client.post(f"/contracts/units/{unit.id}/new", data={**form, "submission_key": "k2", "starts_on": "114/7/1",
                                                                "ends_on": "115/6/30"}).get_data(as_text=True)
    assert "重疊" in page and 'value="114/7/1"' in page
    page = client.post(f"/contracts/units/{unit.id}/new", data={**form, "submission_key": "k3", "starts_on": "116/7/1",
                                                                "ends_on": "116/6/30"}).get_data(as_text=True)
    assert "迄日不可早於起日" in page
    contract = db.session.execute(db.select(Contract).filter_by(organisation_id=unit.id)).scalar_one()
    assert contract.contract_type == "a_unit" and contract.actions[0].action == "create"


def test_suspend_stops_referrals_and_shows_on_unit_page(client, world, login, app_ctx):
    contract = _contract(world)
    login(world.users[roles.BUREAU_OFFICER])
    with clock.freeze(TODAY):
        page = client.get(f"/contracts/{contract.id}/actions/suspend").get_data(as_text=True)
        assert "連續3次查核為不合格之單位，暫停特約" in page  # the legal basis text is shown beside the decision
        assert _act(client, contract, "suspend", letter_ref="示衛長字第1號").status_code == 303
        db.session.expire_all()
        action = db.session.execute(db.select(ContractAction).filter_by(action="suspend")).scalar_one()
        assert action.basis_code == "audit" and "暫停特約" in action.basis_text and action.decided_by_name
        assert referral_blockers(world.orgs["b"], date(2025, 6, 21)) == ["暫停特約（自114年6月20日起）"]
        assert "特約：暫停特約（自114年6月20日起）" in unit_summaries([world.orgs["b"].id])[world.orgs["b"].id]
        page = client.get(f"/contracts/units/{world.orgs['b'].id}").get_data(as_text=True)
    assert "不可派案" in page and "示衛長字第1號" in page and "恢復特約" in page


def test_two_officers_deciding_the_same_suspension(client, world, login, app_ctx):
    contract = _contract(world)
    version = contract.version
    login(world.users[roles.BUREAU_OFFICER])
    with clock.freeze(TODAY):
        assert _act(client, contract, "suspend", key="first", version=version).status_code == 303
        login(world.users[roles.BUREAU_CHIEF])
        response = _act(client, contract, "suspend", key="second", version=version)
        assert response.status_code == 303
        page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "您的處分未重複登錄" in page
    assert db.session.execute(db.select(db.func.count()).select_from(ContractAction).filter_by(action="suspend")).scalar() == 1


def test_stale_form_refused_and_input_kept(client, world, login, app_ctx):
    contract = _contract(world)
    version = contract.version
    login(world.users[roles.BUREAU_OFFICER])
    with clock.freeze(TODAY):
        assert _act(client, contract, "pause_dispatch", key="a", version=version).status_code == 303
        page = _act(client, contract, "terminate", key="b", version=version, reason="第二位承辦人的理由").get_data(as_text=True)
    assert "請重新載入" in page and "第二位承辦人的理由" in page
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).status == rules.DISPATCH_PAUSED


def test_double_submit_of_an_action_records_it_once(client, world, login, app_ctx):
    contract = _contract(world)
    login(world.users[roles.BUREAU_OFFICER])
    with clock.freeze(TODAY):
        for _ in range(2):
            assert _act(client, contract, "pause_dispatch", key="same").status_code == 303
    assert db.session.execute(db.select(db.func.count()).select_from(ContractAction).filter_by(
        action="pause_dispatch", contract_id=contract.id)).scalar() == 1


def test_wrong_transition_refused(client, world, login, app_ctx):
    contract = _contract(world)
    login(world.users[roles.BUREAU_OFFICER])
    with clock.freeze(TODAY):
        page = client.get(f"/contracts/{contract.id}/actions/reinstate").get_data(as_text=True)
        assert "不能「恢復特約」" in page
        response = _act(client, contract, "reinstate")
        assert response.status_code == 303
        assert "不能「恢復特約」" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_units_cannot_decide(client, world, login):
    contract = _contract(world)
    login(world.users[roles.B_HEAD])
    assert _act(client, contract, "terminate").status_code == 403
    assert client.post(f"/contracts/units/{world.orgs['b'].id}/points/new", data={}).status_code == 403


def test_three_month_dispatch_stop_we15(world, app_ctx):
    contract = make_contract(world.orgs["a"], year=2025)
    stop_dispatch(world.users[roles.BUREAU_OFFICER], contract, start=date(2025, 6, 17), today=date(2025, 6, 17),
                  reason="服務紀錄登打不實，屆期未改善")
    assert contract.paused_until == date(2025, 9, 16)
    assert referral_blockers(world.orgs["a"], date(2025, 9, 16)) == ["暫停派案（114年6月17日起至114年9月16日止）"]
    assert referral_blockers(world.orgs["a"], date(2025, 9, 17)) == []
    assert contract.status_label(date(2025, 9, 17)) == "有效"


def test_lapsed_pause_is_recorded_before_the_next_decision(world, app_ctx):
    from portal.contracts.operations import record_action
    contract = make_contract(world.orgs["a"], year=2025)
    officer = world.users[roles.BUREAU_OFFICER]
    stop_dispatch(officer, contract, start=date(2025, 1, 10), today=date(2025, 1, 10), reason="停止派案")
    record_action(officer, contract, "suspend", reason="查核", basis_code="audit", effective_on=date(2025, 6, 1),
                  today=date(2025, 6, 1))
    assert [a.action for a in contract.actions] == ["create", "pause_dispatch", "resume_dispatch", "suspend"]
    assert contract.actions[2].decided_by_name == "系統" and contract.actions[2].effective_on == date(2025, 4, 10)


def _point(client, unit, day, key):
    return client.post(f"/contracts/units/{unit.id}/points/new", data={
        "occurred_on": day, "clause": "拒絕訪查輔導之行為。", "description": "拒絕訪查", "submission_key": key})


def test_third_point_in_a_year_cancels_contract_and_bars_next_year_we33(client, world, login, app_ctx):
    unit = world.orgs["b"]
    contract = _contract(world, year=2025)
    login(world.users[roles.BUREAU_OFFICER])
    with clock.freeze(datetime(2025, 11, 25, 9, 0)):
        assert _point(client, unit, "113/12/20", "p0").status_code == 303  # last year: does not count
        assert _point(client, unit, "114/2/10", "p1").status_code == 303
        assert _point(client, unit, "114/6/5", "p2").status_code == 303
        assert _point(client, unit, "114/6/5", "p2").status_code == 303      # double submit
        db.session.expire_all()
        assert db.session.get(Contract, contract.id).status == rules.ACTIVE
        page = client.get(f"/contracts/units/{unit.id}/points/new").get_data(as_text=True)
        assert "本次記點後將達 3 點" in page
        response = _point(client, unit, "114/11/20", "p3")
        assert response.status_code == 303
        flashed = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "已解除114年度特約" in flashed and "取消115年度特約資格" in flashed
        db.session.expire_all()
        contract = db.session.get(Contract, contract.id)
        assert contract.status == rules.CANCELLED and contract.actions[-1].basis_code == "points"
        assert db.session.execute(db.select(ContractIneligibility).filter_by(organisation_id=unit.id)).scalar_one().year == 2026
        assert referral_blockers(unit, date(2025, 11, 26)) == ["已解除特約（自114年11月25日起）"]
        # no contract for 115
        page = client.post(f"/contracts/units/{unit.id}/new", data={"starts_on": "115/1/1", "ends_on": "115/12/31",
                                                                    "submission_key": "n"}).get_data(as_text=True)
        assert "已取消115年度特約資格" in page
        # a point that cost the contract cannot be withdrawn
        point = db.session.execute(db.select(ViolationPoint).filter_by(submission_key="p3")).scalar_one()
        response = client.post(f"/contracts/points/{point.id}/revoke", data={"reason": "誤登"})
        assert "不能撤銷" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert db.session.execute(db.select(db.func.count()).select_from(ViolationPoint).filter_by(
        year=2025, organisation_id=unit.id)).scalar() == 3


def test_revoke_point_before_cancellation(client, world, login, app_ctx):
    unit = world.orgs["b"]
    _contract(world, year=2025)
    point, _ = record_violation_point(world.users[roles.BUREAU_OFFICER], unit, occurred_on=date(2025, 3, 1),
                                      clause="x", description="y", today=date(2025, 3, 1))
    db.session.commit()
    login(world.users[roles.BUREAU_OFFICER])
    client.post(f"/contracts/points/{point.id}/revoke", data={"reason": "登錄錯誤"})
    db.session.expire_all()
    point = db.session.get(ViolationPoint, point.id)
    assert not point.active and point.revoke_reason == "登錄錯誤"
    response = client.post(f"/contracts/points/{point.id}/revoke", data={"reason": "再一次"})
    assert "已於先前" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_points_bad_input(client, world, login):
    _contract(world)
    login(world.users[roles.BUREAU_OFFICER])
    with clock.freeze(TODAY):
        page = client.post(f"/contracts/units/{world.orgs['b'].id}/points/new", data={
            "occurred_on": "114/7/1", "clause": "拒絕訪查輔導之行為。", "description": "未來日期"}).get_data(as_text=True)
    assert "記點日期不可晚於今天" in page and "未來日期" in page


def test_contract_history_pdf(client, world, login, tmp_path):
    contract = _contract(world)
    login(world.users[roles.BUREAU_OFFICER])
    with clock.freeze(TODAY):
        _act(client, contract, "suspend", letter_ref="示衛長字第9號")
        response = client.get(f"/contracts/{contract.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = tmp_path / "contract.pdf"
    pdf.write_bytes(response.data)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    raw = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = re.sub(r"\s+", "", raw)
    assert "特約歷程表" in flat and "甲家庭托顧" in flat and "☑暫停特約" in flat and "示衛長" in flat
    assert re.search(r"1\s*/\s*1", text)
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert all(" yes " in row for row in fonts.splitlines()[2:] if row.strip())
    login(world.users[roles.B_HEAD])
    assert client.get(f"/contracts/{contract.id}.pdf").status_code == 200
    login(world.users[roles.A_UNIT_HEAD])
    assert client.get(f"/contracts/{contract.id}.pdf").status_code == 404
