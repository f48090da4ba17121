"""Changes to the county profile, the office calendar and settings — each logged."""
from flask import g

from portal import clock
from portal.auditlog.operations import log_change, snapshot
from portal.calendar import OfficeCalendar
from portal.extensions import db
from portal.kept import kept, kept_row
from portal.table_versions import note_read
from portal.settings.models import CountyProfile, OfficeDayOverride, Setting
from portal.settings.registry import forget_cached_settings, setting_definition

PROFILE_FIELDS = ("county_name", "bureau_name", "care_centre_name", "bureau_address", "bureau_phone", "rule_set")


def county_profile() -> CountyProfile:
    """Return the county profile (cached per request); a blank deployment gets the demo county."""
    note_read("county_profile")
    if "county_profile" not in g:
        # Every page's header shows it: each worker keeps it while the table is unchanged (issue 10).
        profile = kept_row("county_profile", "", lambda: db.session.execute(
            db.select(CountyProfile).order_by(CountyProfile.id).limit(1)).scalar_one_or_none(), now=clock.now(),
            from_session=False)
        if profile is None:
            profile = CountyProfile(county_name="示範縣", bureau_name="示範縣衛生局",
                                    care_centre_name="示範縣長期照顧管理中心", rule_set="generic")
        g.county_profile = profile
    return g.county_profile


def update_county_profile(actor, profile: CountyProfile, data: dict) -> None:
    before = snapshot(profile, PROFILE_FIELDS) if profile.id else None
    for field in PROFILE_FIELDS:
        if field in data:
            setattr(profile, field, data[field])
    db.session.add(profile)
    log_change(actor, profile, "county_profile.update", before=before, after=snapshot(profile, PROFILE_FIELDS))
    g.pop("county_profile", None)


def office_calendar() -> OfficeCalendar:
    """Return the office calendar with the bureau's overrides (cached per request)."""
    note_read("office_day_overrides")
    if "office_calendar" not in g:
        g.office_calendar = kept("office_calendar", "", _load_office_calendar, now=clock.now(), here=True,
                                 from_session=False)
    return g.office_calendar


def _load_office_calendar() -> OfficeCalendar:
    rows = db.session.execute(db.select(OfficeDayOverride)).scalars().all()
    return OfficeCalendar(
        office_days=frozenset(r.day for r in rows if r.is_office_day),
        days_off=frozenset(r.day for r in rows if not r.is_office_day),
        names={r.day: r.name for r in rows},
    )


def add_calendar_override(actor, day, is_office_day: bool, name: str) -> OfficeDayOverride:
    row = db.session.execute(db.select(OfficeDayOverride).filter_by(day=day)).scalar_one_or_none()
    before = snapshot(row, ("day", "is_office_day", "name")) if row else None
    if row is None:
        row = OfficeDayOverride(day=day, created_by_id=actor.id)
    row.is_office_day = is_office_day
    row.name = name
    db.session.add(row)
    log_change(actor, row, "calendar.override", before=before, after=snapshot(row, ("day", "is_office_day", "name")))
    g.pop("office_calendar", None)
    return row


def remove_calendar_override(actor, row: OfficeDayOverride) -> None:
    log_change(actor, row, "calendar.override_removed", before=snapshot(row, ("day", "is_office_day", "name")))
    db.session.delete(row)
    g.pop("office_calendar", None)


def change_setting(actor, key: str, raw_value) -> None:
    definition = setting_definition(key)
    value = definition.coerce(raw_value)
    row = db.session.get(Setting, key)
    before = row.value if row else None
    if row is None:
        row = Setting(key=key)
    row.value = definition.to_storage(value)
    row.updated_by_id = actor.id
    db.session.add(row)
    log_change(actor, None, "setting.change", entity_type="settings", entity_id=None,
               before={"key": key, "value": before}, after={"key": key, "value": row.value})
    forget_cached_settings()
