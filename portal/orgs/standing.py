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
