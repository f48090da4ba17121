"""Whether an organisation may receive new referrals/dispatches now.

Areas register blockers (a dispatch pause approved by the bureau, a contract
suspension, a 3-month dispatch stop for a violation). Referral and dispatch
code asks `referral_blockers(org, day)` and refuses with the reasons.
"""
from contextlib import contextmanager

from flask import g, has_app_context

_blockers = []
_batches = {}    # fn -> batch version of fn


def referral_blocker(fn=None, *, batch=None):
    """Register `fn(organisation, day) -> list[str]` (zh-TW reasons, empty when none).

    `batch(organisations, day) -> {org_id: [reasons]}`, when given, answers for many units in a few
    queries (lists that compare hundreds of units call `referral_blockers_for`); it must give the same
    reasons as `fn` for each unit.
    """
    def register(f):
        _blockers.append(f)
        if batch is not None:
            _batches[f] = batch
        return f
    return register(fn) if fn is not None else register


def referral_blockers(organisation, day) -> list[str]:
    reasons = []
    for fn in _blockers:
        reasons.extend(fn(organisation, day))
    return reasons


def referral_blockers_for(organisations, day) -> dict:
    """{org_id: reasons} for many units, in the order `referral_blockers` gives them."""
    organisations = list(organisations)
    result = {o.id: [] for o in organisations}
    for fn in _blockers:
        batch = _batches.get(fn)
        if batch is not None:
            found = batch(organisations, day)
            for o in organisations:
                result[o.id].extend(found.get(o.id, []))
        else:
            for o in organisations:
                result[o.id].extend(fn(o, day))
    return result


_summaries = []


def unit_summary(fn):
    """Register `fn(org_ids) -> dict[org_id, list[str]]`: short zh-TW facts about units
    (「最近查核：合格（114年3月1日）」, 「特約：暫停」) shown wherever units are compared,
    e.g. the dispatch recommendation list and the organisation page."""
    _summaries.append(fn)
    return fn


def unit_summaries(org_ids) -> dict:
    result = {org_id: [] for org_id in org_ids}
    for fn in _summaries:
        for org_id, facts in fn(list(org_ids)).items():
            result.setdefault(org_id, []).extend(facts)
    return result


# --- One pass over many units ---------------------------------------------------------------
# A list that compares hundreds of units (the dispatch recommendation) asks several areas about the same
# units: the referral blockers and the unit facts both read contracts, the ranking and the facts both read
# ratings. Inside `one_pass()` such per-unit loads are shared; outside, every call loads afresh.


@contextmanager
def one_pass():
    """Share per-unit loads (`per_unit`) until the block ends: read-only use, no writes in between."""
    previous = g.get("_unit_pass") if has_app_context() else None
    if has_app_context():
        g._unit_pass = {}
    try:
        yield
    finally:
        if has_app_context():
            g._unit_pass = previous


def per_unit(kind, org_ids, load) -> dict:
    """`load(org_ids) -> {org_id: value}`, reusing within `one_pass()` what an earlier call of the same
    kind loaded for these units (or more)."""
    memo = g.get("_unit_pass") if has_app_context() else None
    if memo is None:
        return load(list(org_ids))
    ids = set(org_ids)
    seen = memo.get(kind)
    if seen is not None and ids <= seen[0]:
        return {k: v for k, v in seen[1].items() if k in ids}
    found = load(list(org_ids))
    memo[kind] = (ids, found)
    return found


def organisations(org_ids) -> list:
    """The organisations with these ids, taken from the session when already loaded (one query for the
    others), so that unit facts asked about a list's units do not load them again."""
    from sqlalchemy import inspect
    from sqlalchemy.orm.util import identity_key

    from portal.extensions import db
    from portal.orgs.models import Organisation
    found, missing = [], []
    for org_id in org_ids:
        org = db.session.identity_map.get(identity_key(Organisation, org_id))
        # Expired columns would be reloaded one row at a time: load those with the missing ones.
        if org is None or inspect(org).expired_attributes & set(Organisation.__mapper__.column_attrs.keys()):
            missing.append(org_id)
        else:
            found.append(org)
    if missing:
        found.extend(db.session.execute(db.select(Organisation).where(Organisation.id.in_(missing))).scalars())
    return found
