"""Whether an organisation may receive new referrals/dispatches now.

Areas register blockers (a dispatch pause approved by the bureau, a contract
suspension, a 3-month dispatch stop for a violation). Referral and dispatch
code asks `referral_blockers(org, day)` and refuses with the reasons.
"""
_blockers = []


def referral_blocker(fn):
    """Register `fn(organisation, day) -> list[str]` (zh-TW reasons, empty when none)."""
    _blockers.append(fn)
    return fn


def referral_blockers(organisation, day) -> list[str]:
    reasons = []
    for fn in _blockers:
        reasons.extend(fn(organisation, day))
    return reasons


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
