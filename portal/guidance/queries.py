"""Read helpers of the guidance area: counts and sums the rules need, scoped by the caller."""
from datetime import date

from sqlalchemy import func

from portal.auth import roles
from portal.extensions import db
from portal.guidance.models import (GrantApplication, GuidanceOfficer, GuidanceYear, GuidedHome, counted_amount)
from portal.orgs.models import Organisation


def new_homes_count(org_id: int, year: int) -> int:
    """Return how many homes the unit brought to a completed contract in `year` (seed 003 §十五(十))."""
    return db.session.execute(db.select(func.count(GuidedHome.id)).where(
        GuidedHome.guidance_org_id == org_id, GuidedHome.stage == "contracted",
        GuidedHome.contracted_on >= date(year, 1, 1), GuidedHome.contracted_on <= date(year, 12, 31),
    )).scalar_one()


def new_homes_by_unit(year: int) -> dict:
    """Return {guidance org id: homes contracted in `year`} for every unit with at least one."""
    rows = db.session.execute(db.select(GuidedHome.guidance_org_id, func.count(GuidedHome.id)).where(
        GuidedHome.stage == "contracted",
        GuidedHome.contracted_on >= date(year, 1, 1), GuidedHome.contracted_on <= date(year, 12, 31),
    ).group_by(GuidedHome.guidance_org_id)).all()
    return dict(rows)


def home_grant_used(home_id: int, year: int, exclude_id: int | None = None) -> int:
    """Return what is approved or pending for one home in `year` (counts against its cap)."""
    stmt = db.select(func.coalesce(func.sum(counted_amount()), 0)).where(
        GrantApplication.kind == "home", GrantApplication.home_id == home_id, GrantApplication.year == year,
        GrantApplication.status.in_(("submitted", "approved")))
    if exclude_id:
        stmt = stmt.where(GrantApplication.id != exclude_id)
    return int(db.session.execute(stmt).scalar_one())


def development_used(org_id: int, year: int, month: int | None = None, exclude_id: int | None = None) -> int:
    """Return what is approved or pending of a unit's development grant in `year` (or one month)."""
    stmt = db.select(func.coalesce(func.sum(counted_amount()), 0)).where(
        GrantApplication.kind == "development", GrantApplication.organisation_id == org_id,
        GrantApplication.year == year, GrantApplication.status.in_(("submitted", "approved")))
    if month is not None:
        stmt = stmt.where(GrantApplication.month == month)
    if exclude_id:
        stmt = stmt.where(GrantApplication.id != exclude_id)
    return int(db.session.execute(stmt).scalar_one())


def approved_grants_by_unit(year: int) -> dict:
    rows = db.session.execute(db.select(GrantApplication.organisation_id,
                                        func.coalesce(func.sum(GrantApplication.approved_amount), 0))
                              .where(GrantApplication.year == year, GrantApplication.status == "approved")
                              .group_by(GrantApplication.organisation_id)).all()
    return {org_id: int(total) for org_id, total in rows}


def guidance_units():
    """Every guidance organisation, active first."""
    return db.session.execute(db.select(Organisation).where(Organisation.kind == roles.GUIDANCE)
                              .order_by(Organisation.active.desc(), Organisation.name)).scalars().all()


def year_row(org_id: int, year: int) -> GuidanceYear | None:
    return db.session.execute(db.select(GuidanceYear).filter_by(organisation_id=org_id, year=year)
                              ).scalar_one_or_none()


def active_officers(org_id: int):
    return db.session.execute(db.select(GuidanceOfficer).where(
        GuidanceOfficer.organisation_id == org_id, GuidanceOfficer.ended_on.is_(None))
        .order_by(GuidanceOfficer.name)).scalars().all()


def homes_of(org_id: int, *, include_dropped=True, options=()):
    stmt = db.select(GuidedHome).where(GuidedHome.guidance_org_id == org_id).options(*options)
    if not include_dropped:
        stmt = stmt.where(GuidedHome.stage != "dropped")
    return db.session.execute(stmt.order_by(GuidedHome.found_on.desc(), GuidedHome.id.desc())).scalars().all()


def clients_served_by(org_id: int):
    """The clients a guided home serves now — shown read-only to its guidance unit (seed 003 §十五(四))."""
    from portal.clients.models import Client, ClientAccess
    return db.session.execute(db.select(Client).join(ClientAccess, ClientAccess.client_id == Client.id).where(
        ClientAccess.organisation_id == org_id, ClientAccess.relation == "b_unit", ClientAccess.ended_at.is_(None))
        .order_by(Client.name)).scalars().all()


def contracts_on_record(org_ids) -> dict:
    """{B unit id: its first contract} from the bureau's contract register (portal/contracts), for the homes
    whose 「完成特約」 counts towards the yearly target (seed 003 §十五(十)): the bureau sees whether the
    contract the guidance unit reports is on record. Units without a contract are left out."""
    ids = [i for i in set(org_ids) if i]
    if not ids:
        return {}
    from portal.contracts.models import Contract
    first = {}
    for row in db.session.execute(db.select(Contract).where(Contract.organisation_id.in_(ids))
                                  .order_by(Contract.starts_on, Contract.id)).scalars():
        first.setdefault(row.organisation_id, row)
    return first


def exit_row(org_id: int) -> GuidanceYear | None:
    """The settled year in which the unit was told to exit (seed 003 §十五(十一)), if any (the first such year)."""
    return db.session.execute(db.select(GuidanceYear).where(
        GuidanceYear.organisation_id == org_id, GuidanceYear.exit_flag.is_(True), GuidanceYear.settled_at.is_not(None))
        .order_by(GuidanceYear.year).limit(1)).scalar_one_or_none()
