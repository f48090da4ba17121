"""Builders for contract test data."""
from datetime import date

from portal.contracts.operations import create_contract


def make_contract(org, actor=None, *, year=2025, starts_on=None, ends_on=None, number=None):
    contract = create_contract(actor, org, number=number or f"測試特字第{org.id:03d}{year}號",
                               starts_on=starts_on or date(year, 1, 1), ends_on=ends_on or date(year, 12, 31))
    return contract
