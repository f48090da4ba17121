"""Builders for contract test data."""
from datetime import date

from portal.contracts.operations import create_contract


def make_contract(org, actor=None, *, year=2025, starts_on=None, ends_on=None, number=None):
    contract = create_contract(actor, org, number=number or f"測試特字第{org.id:03d}{year}號",
                               starts_on=starts_on or date(year, 1, 1), ends_on=ends_on or date(year, 12, 31))
    return contract


def guided_home(world):
    """A family-care home the world's guidance unit guides (read-only oversight, seed 003 §十五(四)); made once.

    Used by the audits and contracts access-matrix builders: the home organisations' guidance unit
    reads this home's finished audits and contract standing.
    """
    from portal.auth import roles
    from portal.extensions import db
    from portal.orgs.models import OrganisationLink
    from tests.factories import make_org
    if "guided_home" not in world.orgs:
        home = make_org(roles.B_UNIT, "受輔導家庭托顧", subtype="family_care")
        db.session.add(OrganisationLink(from_org_id=world.orgs["guidance"].id, to_org_id=home.id, relation="guides",
                                        read_only=True))
        db.session.flush()
        world.orgs["guided_home"] = home
    return world.orgs["guided_home"]
