"""County profile, office calendar and bureau settings (系統設定)."""
from datetime import date, timedelta

import json

from flask import Blueprint, abort, flash, request, url_for
from flask_login import current_user

from portal import clock
from portal.auth import roles
from portal.auth.access import roles_required
from portal.extensions import db
from portal.htmx import redirect_to, render
from portal.nav import register_nav
from portal.settings.forms import CalendarOverrideForm, CountyProfileForm, SettingForm
from portal.settings.models import CountyProfile, OfficeDayOverride, Setting
from portal.settings.operations import (add_calendar_override, change_setting, county_profile, office_calendar,
                                        remove_calendar_override, update_county_profile)
from portal.settings.registry import all_settings, get_setting, setting_definition

bp = Blueprint("settings", __name__, url_prefix="/admin")
CALENDAR_EDITORS = (roles.ADMIN, roles.BUREAU_OFFICER)
register_nav("辦公日曆", "settings.calendar", CALENDAR_EDITORS + (roles.BUREAU_CHIEF,), order=920)
register_nav("系統設定", "settings.index", [roles.ADMIN], order=930)


@bp.route("/settings")
@roles_required(roles.ADMIN)
def index():
    stored = {row.key: row for row in db.session.execute(db.select(Setting)).scalars()}
    items = [{"definition": d, "value": get_setting(d.key), "stored": stored.get(d.key)} for d in all_settings()]
    return render("settings/index.html", items=items, profile=county_profile())


@bp.route("/settings/<key>", methods=["GET", "POST"])
@roles_required(roles.ADMIN)
def edit(key):
    try:
        definition = setting_definition(key)
    except KeyError:
        abort(404)
    form = SettingForm()
    if request.method == "GET":
        value = get_setting(key)
        form.value.data = value if definition.kind != "json" else json.dumps(value, ensure_ascii=False)
    if form.validate_on_submit():
        try:
            change_setting(current_user, key, form.value.data)
        except ValueError as exc:
            form.value.errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"已更新設定「{definition.label}」。", "success")
            return redirect_to(url_for("settings.index"))
    return render("settings/edit.html", form=form, definition=definition)


@bp.route("/county", methods=["GET", "POST"])
@roles_required(roles.ADMIN)
def county():
    profile = county_profile()
    form = CountyProfileForm(obj=profile)
    if form.validate_on_submit():
        if profile.id is None:
            profile = CountyProfile()
        update_county_profile(current_user, profile, {f: getattr(form, f).data for f in
                                                      ("county_name", "bureau_name", "care_centre_name",
                                                       "bureau_address", "bureau_phone", "rule_set")})
        db.session.commit()
        flash("縣市資料已更新。", "success")
        return redirect_to(url_for("settings.index"))
    return render("settings/county.html", form=form)


@bp.route("/calendar", methods=["GET", "POST"])
@roles_required(*CALENDAR_EDITORS, roles.BUREAU_CHIEF)
def calendar():
    year = request.args.get("year", clock.today().year, type=int)
    year = min(max(year, 2000), 2100)
    form = CalendarOverrideForm()
    can_edit = current_user.role in CALENDAR_EDITORS
    if can_edit and form.validate_on_submit():
        add_calendar_override(current_user, form.day.data, form.kind.data == "on", form.name.data.strip())
        db.session.commit()
        flash("辦公日曆已更新。", "success")
        return redirect_to(url_for("settings.calendar", year=form.day.data.year))
    cal = office_calendar()
    overrides = db.session.execute(db.select(OfficeDayOverride).where(
        OfficeDayOverride.day.between(date(year, 1, 1), date(year, 12, 31))).order_by(OfficeDayOverride.day)).scalars().all()
    # The year's special days: holidays on weekdays, make-up days, overrides.
    special = []
    day = date(year, 1, 1)
    while day.year == year:
        name = cal.day_name(day)
        office = cal.is_office_day(day)
        if name and (office == (day.weekday() >= 5) or day in cal.names):
            special.append({"day": day, "name": name, "office": office})
        day += timedelta(days=1)
    rest_days = sum(1 for i in range((date(year + 1, 1, 1) - date(year, 1, 1)).days)
                    if not cal.is_office_day(date(year, 1, 1) + timedelta(days=i)))
    return render("settings/calendar.html", form=form, year=year, special=special, overrides=overrides,
                  rest_days=rest_days, can_edit=can_edit)


@bp.route("/calendar/<int:override_id>/delete", methods=["POST"])
@roles_required(*CALENDAR_EDITORS)
def calendar_delete(override_id):
    row = db.get_or_404(OfficeDayOverride, override_id)
    year = row.day.year
    remove_calendar_override(current_user, row)
    db.session.commit()
    flash("已刪除此筆調整。", "success")
    return redirect_to(url_for("settings.calendar", year=year))
