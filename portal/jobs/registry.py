"""Job kinds. An area registers a handler for each long task:

    @job_handler("billing.declarations_xlsx", roles=(BUREAU_OFFICER,))
    def declarations_xlsx(job, params, progress):
        ...
        progress(40, "已處理 40／100 份")
        return JobResult("申報總表.xlsx", XLSX_MIME, data=bytes_)   # or path=Path(...) of a file written

Handlers run inside an app context, as the requesting user (`job.requested_by`),
and must apply the same organisation scope as the page that started them
(`portal.jobs.context.acting_as(user)` gives them a request context in which
`current_user` is the requester, so the area's scoping helpers and PDF templates
work unchanged).

A kind that pages start through the generic `POST /jobs/start/<kind>` route also
declares `start=`: a function `(user, form) -> (params, title)` that reads and
checks the form (raise `portal.errors.Refused` with a zh-TW message for bad input;
`abort(404)` for an id the user may not see). The route checks the role first.
A refusal is shown on 我的匯出, or on the kind's own start page when it declares
`page=` (an endpoint). `timeout=` (seconds, default an hour) bounds a run on RQ.
"""
from dataclasses import dataclass
from pathlib import Path


@dataclass
class JobResult:
    filename: str
    mime: str
    data: bytes | None = None
    path: Path | None = None


@dataclass(frozen=True)
class JobKind:
    name: str
    handler: object
    roles: frozenset
    label: str
    start: object = None
    page: str | None = None
    timeout: int = 3600


_kinds: dict[str, JobKind] = {}


def job_handler(name: str, *, roles, label: str = "", start=None, page=None, timeout=3600):
    def decorator(fn):
        _kinds[name] = JobKind(name, fn, frozenset(roles), label or name, start, page, timeout)
        return fn
    return decorator


def job_kind(name: str) -> JobKind:
    return _kinds[name]


def find_kind(name: str) -> JobKind | None:
    return _kinds.get(name)


def all_kinds() -> list[JobKind]:
    return list(_kinds.values())


def form_id(value) -> int | None:
    """A record id typed into a start form: a positive whole number that fits a database integer, else None."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None
