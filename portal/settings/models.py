"""County profile, office-calendar overrides and bureau settings — data, not code (decisions Q01, Q02)."""
from sqlalchemy import JSON

from portal import clock
from portal.dbtypes import UTCDateTime
from portal.extensions import db


class CountyProfile(db.Model):
    """The county this deployment serves (Q01). One row."""

    __tablename__ = "county_profile"
    id = db.Column(db.Integer, primary_key=True)
    county_name = db.Column(db.String(20), nullable=False)          # 示範縣 / 彰化縣 / 金門縣
    bureau_name = db.Column(db.String(40), nullable=False)          # 「本局」 = 示範縣衛生局
    care_centre_name = db.Column(db.String(60), nullable=False)     # 長期照顧管理中心
    bureau_address = db.Column(db.String(200))
    bureau_phone = db.Column(db.String(40))
    rule_set = db.Column(db.String(20), nullable=False, default="generic")  # kinmen / changhua / generic
    updated_at = db.Column(UTCDateTime, default=clock.utcnow, onupdate=clock.utcnow)


class OfficeDayOverride(db.Model):
    """A bureau override of the built-in office calendar; it wins (README §4.3)."""

    __tablename__ = "office_day_overrides"
    id = db.Column(db.Integer, primary_key=True)
    day = db.Column(db.Date, nullable=False, unique=True)
    is_office_day = db.Column(db.Boolean, nullable=False)
    name = db.Column(db.String(60), nullable=False)   # 颱風停止上班 / 補行上班 / …
    created_by_id = db.Column(db.ForeignKey("users.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)


class Setting(db.Model):
    """A value a bureau administrator may change without a release (spec: *(setting)*)."""

    __tablename__ = "settings"
    key = db.Column(db.String(80), primary_key=True)
    value = db.Column(JSON)
    updated_by_id = db.Column(db.ForeignKey("users.id"))
    updated_at = db.Column(UTCDateTime, default=clock.utcnow, onupdate=clock.utcnow)
