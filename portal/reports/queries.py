"""Where the report's figures come from: billing's daily service records and the clients' facts."""
from portal.clients.models import Client
from portal.extensions import db
from portal.reports.rules import ClientFacts


def service_days_source():
    """Return the source of the year's service days: billing's `year_service_days(organisation_id, year)`
    (portal/billing/queries.py). Tests replace it with a fake."""
    from portal.billing.queries import year_service_days as billing_year_service_days
    return billing_year_service_days


def year_service_days(organisation_id: int, year: int):
    """Return the unit's service days of the year (objects like billing's ServiceDayFigure), or None."""
    source = service_days_source()
    if source is None:
        return None
    return list(source(organisation_id, year))


def client_facts(client_ids) -> dict:
    """Return {client_id: ClientFacts} for the user analysis (section 五)."""
    ids = sorted(set(client_ids))
    if not ids:
        return {}
    rows = db.session.execute(db.select(Client).where(Client.id.in_(ids))).scalars().all()
    return {c.id: ClientFacts(client_id=c.id, name=c.name, sex=c.sex, birth_date=c.birth_date, cms_level=c.cms_level,
                              dementia=bool(c.dementia_diagnosed),
                              disability_category=c.disability_category if c.disability_certificate else None,
                              disability_degree=c.disability_degree if c.disability_certificate else None)
            for c in rows}
