"""Read-only figures other areas take from family-care records. Keep these signatures stable.

The annual result report (seed 003 §十三, 附件3; decisions.md Q16) counts persons,
person-days and the subsidy claimed per welfare status from the service days of a
year; `year_service_days` gives it one row per client per service day.
"""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from portal.billing import pricing, rules
from portal.billing import settings as billing_settings


@dataclass(frozen=True)
class ServiceDayFigure:
    """One client's family-care service day, priced as it is (or would be) declared.

    - `client_id`: the client (clients.id).
    - `day`: the service date.
    - `day_fraction`: Decimal 1 for a full day (全日), Decimal 0.5 for a half day (半日) (Q16: 人日數).
    - `welfare_status`: the client's welfare status in effect that day ("general", "mid_low", "low"),
      after subsidy changes effective from their fact date (§九(二)).
    - `declared_amount`: NTD declared to the bureau for that day's service lines (family-care day,
      bath, dinner) including the co-payment; 0 for days not subsidised (the carer's family,
      not eligible, over the quota).
    - `copayment`: NTD of that amount paid by the client (部分負擔). declared_amount − copayment
      is the subsidy claimed (申請服務補助金額, Q16). With per-month flooring (Q11) each day
      carries its share of the month's floored total, so a year's days add up exactly.
    """

    client_id: int
    day: date
    day_fraction: Decimal
    welfare_status: str
    declared_amount: int
    copayment: int


def year_service_days(organisation_id: int, year: int) -> list[ServiceDayFigure]:
    """Return one figure per client per attended service day of `year` at the home, in date order.

    Each month is priced with the settings its declaration was submitted with (or today's
    settings for months not yet declared), against the dated rate tables and the subsidy
    facts in effect on each day.
    """
    book = pricing.RateBook.load()
    first, last = date(year, 1, 1), date(year, 12, 31)
    # the year's days, declarations and settings read once (issue 10), then each month priced in memory
    declarations = pricing.declarations_by_month(organisation_id, first, last)
    records = pricing.days_by_month(pricing.service_days_between(organisation_id, first, last))
    policy, excluded = billing_settings.eligibility_policy(), billing_settings.excluded_relations()
    figures = []
    for month in sorted(records):
        days = records[month]
        options = pricing.options_of(declarations.get(month))
        kinds = {(d.client_id, d.day): d.kind for d in days}
        per_day = {}
        for priced, _ in pricing.price_days(days, options, book, policy, excluded):
            unit = priced.unit
            key = (unit.client_id, unit.day)
            amount, copay, status = per_day.get(key, (0, 0, unit.welfare_status))
            per_day[key] = (amount + priced.declared, copay + priced.copay, status)
        for (client_id, day), (amount, copay, status) in sorted(per_day.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            figures.append(ServiceDayFigure(client_id, day, rules.DAY_FRACTION[kinds[(client_id, day)]], status,
                                            amount, copay))
    return figures
