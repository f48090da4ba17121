"""Whether an organisation may receive new referrals/dispatches now.

Areas register blockers (a dispatch pause approved by the bureau, a contract
suspension, a 3-month dispatch stop for a violation). Referral and dispatch
code asks `referral_blockers(org, day)` and refuses with the reasons.
"""
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
