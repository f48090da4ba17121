"""County profile, calendar overrides, settings registry, audit-log page."""
from datetime import date

from portal.auth import roles
from portal.extensions import db
from portal.settings.models import OfficeDayOverride
from portal.settings.operations import office_calendar
from portal.settings.registry import define_setting, get_setting

SAMPLE = define_setting("test.sample_limit", 150, kind="int", label="測試上限", spec="tests")


def test_calendar_override_changes_office_days(client, world, login, app_ctx):
    login(world.users[roles.BUREAU_OFFICER])
    response = client.post("/admin/calendar", data={"day": "114/7/7", "kind": "off", "name": "颱風停止上班"})
    assert response.status_code == 303
    row = db.session.execute(db.select(OfficeDayOverride)).scalar_one()
    assert row.day == date(2025, 7, 7) and not row.is_office_day
    assert not office_calendar().is_office_day(date(2025, 7, 7))
    page = client.get("/admin/calendar?year=2025").get_data(as_text=True)
    assert "颱風停止上班" in page and "114年7月7日" in page


def test_calendar_bad_date_error_next_to_field(client, world, login):
    login(world.users[roles.BUREAU_OFFICER])
    page = client.post("/admin/calendar", data={"day": "114/2/30", "kind": "off", "name": "x"}).get_data(as_text=True)
    assert "日期不存在" in page


def test_calendar_read_only_for_chief(client, world, login):
    login(world.users[roles.BUREAU_CHIEF])
    assert client.get("/admin/calendar").status_code == 200
    client.post("/admin/calendar", data={"day": "114/7/7", "kind": "off", "name": "x"})
    with client.application.app_context():
        assert db.session.execute(db.select(OfficeDayOverride)).first() is None


def test_setting_change_is_logged_and_applied(client, world, login, app_ctx):
    login(world.users[roles.ADMIN])
    assert client.post("/admin/settings/test.sample_limit", data={"value": "abc"}).status_code == 200
    assert client.post("/admin/settings/test.sample_limit", data={"value": "120"}).status_code == 303
    assert get_setting("test.sample_limit") == 120
    page = client.get("/admin/audit-log?action=setting").get_data(as_text=True)
    assert "setting.change" in page


def test_county_profile_used_in_header(client, world, login):
    login(world.users[roles.ADMIN])
    client.post("/admin/county", data={"county_name": "彰化縣", "bureau_name": "彰化縣衛生局",
                                       "care_centre_name": "彰化縣長期照顧管理中心", "rule_set": "changhua"})
    assert "彰化縣衛生局" in client.get("/").get_data(as_text=True)


def test_audit_log_is_append_only(app_ctx, world):
    import pytest
    from portal.auditlog.models import AppendOnlyError, AuditLogEntry
    from portal.auditlog.operations import log_change
    row = log_change(world.users[roles.ADMIN], world.orgs["a"], "test.action", after={"x": 1})
    db.session.commit()
    row.note = "changed"
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditLogEntry, row.id))
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()


def test_audit_log_filters(client, world, login):
    login(world.users[roles.BUREAU_CHIEF])
    page = client.get("/admin/audit-log?entity=users&from=100/1/1&to=200/1/1").get_data(as_text=True)
    assert "auth.login" in page
    assert client.get("/admin/audit-log", headers={"HX-Request": "true"}).get_data(as_text=True).lstrip().startswith("<p")
