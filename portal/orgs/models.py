"""Organisations (衛生局, A, B, 輔導單位) and service areas (鄉鎮市)."""
from sqlalchemy import true

from portal import clock
from portal.auth import roles
from portal.dbtypes import UTCDateTime
from portal.extensions import db

organisation_service_areas = db.Table(
    "organisation_service_areas",
    db.Column("organisation_id", db.ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
    db.Column("service_area_id", db.ForeignKey("service_areas.id", ondelete="CASCADE"), primary_key=True),
)


class ServiceArea(db.Model):
    """A township (鄉鎮市) of the county; the unit of referral and dispatch."""

    __tablename__ = "service_areas"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(40), nullable=False, unique=True)
    code = db.Column(db.String(20), nullable=False, unique=True)
    sort_order = db.Column(db.Integer, nullable=False, default=0)
    active = db.Column(db.Boolean, nullable=False, default=True, server_default=true())

    def __repr__(self):
        return f"<ServiceArea {self.name}>"


class Organisation(db.Model):
    """An organisation; every person belongs to exactly one."""

    __tablename__ = "organisations"
    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(20), nullable=False, index=True)
    subtype = db.Column(db.String(20))  # B units: family_care, home_care, …
    name = db.Column(db.String(120), nullable=False, unique=True)
    short_name = db.Column(db.String(40))
    code = db.Column(db.String(30), unique=True)  # 特約代碼 / 機構代碼
    head_name = db.Column(db.String(60))          # 負責人
    phone = db.Column(db.String(40))
    address = db.Column(db.String(200))
    base_area_id = db.Column(db.ForeignKey("service_areas.id"), index=True)
    active = db.Column(db.Boolean, nullable=False, default=True, server_default=true())
    created_at = db.Column(UTCDateTime, nullable=False, default=clock.utcnow)

    base_area = db.relationship(ServiceArea, foreign_keys=[base_area_id])
    service_areas = db.relationship(ServiceArea, secondary=organisation_service_areas,
                                    order_by=ServiceArea.sort_order)

    @property
    def kind_label(self):
        return roles.ORG_KIND_LABELS.get(self.kind, self.kind)

    @property
    def subtype_label(self):
        return roles.B_SUBTYPE_LABELS.get(self.subtype or "", "")

    @property
    def display_name(self):
        return self.short_name or self.name

    @classmethod
    def visible_to(cls, user):
        """Everyone may see the list of organisations (names are public); details are scoped in views."""
        return true()

    def __repr__(self):
        return f"<Organisation {self.kind} {self.name}>"


class OrganisationLink(db.Model):
    """A standing relation between two organisations, e.g. a guidance unit guiding a
    family-care home (read-only oversight, seed 003 §十五(四)), or an A unit's partner B units."""

    __tablename__ = "organisation_links"
    id = db.Column(db.Integer, primary_key=True)
    from_org_id = db.Column(db.ForeignKey("organisations.id"), nullable=False, index=True)
    to_org_id = db.Column(db.ForeignKey("organisations.id"), nullable=False, index=True)
    relation = db.Column(db.String(20), nullable=False)   # "guides", "partner"
    read_only = db.Column(db.Boolean, nullable=False, default=True)
    started_on = db.Column(db.Date)
    ended_on = db.Column(db.Date)

    from_org = db.relationship(Organisation, foreign_keys=[from_org_id])
    to_org = db.relationship(Organisation, foreign_keys=[to_org_id])


def overseen_org_ids(user, relation="guides"):
    """SQL select of the organisation ids `user`'s organisation oversees (read-only) today."""
    return db.select(OrganisationLink.to_org_id).where(
        OrganisationLink.from_org_id == user.organisation_id,
        OrganisationLink.relation == relation,
        OrganisationLink.ended_on.is_(None),
    )
