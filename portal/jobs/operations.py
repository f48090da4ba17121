"""Enqueue, run, retry and recover jobs.

Two engines: with `REDIS_URL` set, jobs go to an RQ queue served by
`make worker` (`flask jobs-worker`); without it (the embedded default),
a small thread pool inside the app process runs them, so `make run` needs
nothing else. Either way the `jobs` table is the record of truth: a job
that was running when its worker died is retried once, then marked failed.
"""
import logging
import os
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from flask import current_app

from portal import clock
from portal.auditlog.operations import log_change
from portal.errors import Refused, TransitionNotAllowed
from portal.extensions import db
from portal.jobs.models import Job
from portal.jobs.registry import job_kind

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 2            # the first run and one retry
STALE_AFTER = timedelta(seconds=60)   # a running job without a heartbeat for this long has lost its worker
_local_pool = None
_local_lock = threading.Lock()
_local_pending = set()      # futures of the thread-pool engine, so tests (and shutdown) can wait for them


def storage_dir(app=None) -> Path:
    """The shared folder for job results (documented as shared storage for several app servers)."""
    app = app or current_app
    path = Path(app.config.get("JOB_STORAGE_DIR") or Path(app.config["UPLOAD_DIR"]) / "jobs")
    path.mkdir(parents=True, exist_ok=True)
    return path


def enqueue(actor, kind: str, params: dict, title: str) -> Job:
    """Record a job for `actor` and hand it to the engine.

    Commits: the worker (another thread or process) must see the row.
    """
    definition = job_kind(kind)
    if actor.role not in definition.roles:
        raise Refused("您的角色不能執行這項工作")
    job = Job(kind=kind, title=title, params=params, requested_by_id=actor.id, organisation_id=actor.organisation_id)
    db.session.add(job)
    log_change(actor, job, "job.enqueue", after={"kind": kind, "params": params})
    db.session.commit()
    dispatch(job.id)
    return job


def dispatch(job_id: int, app=None):
    app = app or current_app._get_current_object()
    redis_url = app.config.get("REDIS_URL")
    if redis_url:
        from portal.jobs.rq_engine import queue_for
        with app.app_context():
            timeout = job_kind(db.session.get(Job, job_id).kind).timeout
        queue_for(redis_url, app.config.get("JOB_QUEUE_NAME", "portal")).enqueue(
            "portal.jobs.rq_engine.run_in_worker", job_id, job_timeout=timeout)
    else:
        future = _pool().submit(_run_local, app, job_id)
        with _local_lock:
            _local_pending.add(future)
        future.add_done_callback(_forget)


def _forget(future):
    with _local_lock:
        _local_pending.discard(future)


def wait_for_local_jobs(timeout: float = 120) -> None:
    """Wait until jobs run by the in-process thread pool have finished (no-op with RQ).

    A job still reading tables while a test empties them deadlocks on PostgreSQL.
    """
    from concurrent.futures import wait
    with _local_lock:
        pending = list(_local_pending)
    if pending:
        wait(pending, timeout=timeout)


def _pool():
    global _local_pool
    with _local_lock:
        if _local_pool is None:
            _local_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="portal-job")
        return _local_pool


def _run_local(app, job_id):
    with app.app_context():
        try:
            run_job(job_id)
        finally:
            db.session.remove()


def _claim(job_id) -> Job | None:
    """Move a queued job to running (one claimer wins); return it, or None if someone else has it."""
    now = clock.utcnow()
    updated = db.session.execute(
        db.update(Job).where(Job.id == job_id, Job.state == "queued")
        .values(state="running", attempts=Job.attempts + 1, started_at=now, heartbeat_at=now,
                progress=0, progress_note="開始處理", error=None)
    ).rowcount
    db.session.commit()
    return db.session.get(Job, job_id) if updated else None


def _set_progress(job_id, percent, note, attempt=None):
    condition = [Job.id == job_id, Job.state == "running"]
    if attempt is not None:  # an orphaned run (its worker declared dead) must not move the new run's bar
        condition.append(Job.attempts == attempt)
    db.session.execute(db.update(Job).where(*condition).values(
        progress=max(0, min(100, int(percent))), progress_note=(note or "")[:200], heartbeat_at=clock.utcnow()))
    db.session.commit()


def run_job(job_id: int) -> None:
    """Run one job to the end; never raises (the failure is recorded on the job)."""
    job = _claim(job_id)
    if job is None:
        return
    definition = job_kind(job.kind)
    attempt = job.attempts
    beat = _Heartbeat(current_app._get_current_object(), job_id)
    beat.start()
    try:
        result = definition.handler(job, dict(job.params or {}),
                                    lambda p, note="": _set_progress(job_id, p, note, attempt))
        relative = f"{job_id:08d}/{_safe_name(result.filename)}"
        target = storage_dir() / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write to a temporary name and rename: a retried job replaces, never duplicates, its file.
        temporary = target.with_name(target.name + ".part")
        if result.path is not None:
            os.replace(result.path, temporary)
        else:
            temporary.write_bytes(result.data or b"")
        os.replace(temporary, target)
        db.session.rollback()
        # Finish only the run that still holds the job: a run whose worker was declared dead (and the job
        # requeued) may still be alive somewhere; it must not mark the job done under the new run.
        finished = db.session.execute(db.update(Job).where(
            Job.id == job_id, Job.state == "running", Job.attempts == attempt).values(
            state="done", progress=100, progress_note="完成", result_path=relative, result_name=result.filename,
            result_mime=result.mime, result_size=target.stat().st_size, finished_at=clock.utcnow())).rowcount
        db.session.commit()
        if not finished:
            log.warning("job %s attempt %s finished after it was handed to another run; result left to that run",
                        job_id, attempt)
    except Exception as exc:  # record, never crash the worker
        db.session.rollback()
        log.exception("job %s failed", job_id)
        db.session.execute(db.update(Job).where(Job.id == job_id, Job.state == "running", Job.attempts == attempt)
                           .values(state="failed", error=_user_message(exc), progress_note="失敗",
                                   finished_at=clock.utcnow()))
        db.session.commit()
        current_app.logger.debug(traceback.format_exc())
    finally:
        beat.stop()


class _Heartbeat(threading.Thread):
    """Touch `heartbeat_at` every few seconds while a handler works, so recovery knows the worker lives."""

    def __init__(self, app, job_id, every=10.0):
        super().__init__(daemon=True, name=f"job-heartbeat-{job_id}")
        self.app, self.job_id, self.every = app, job_id, every
        self._stop = threading.Event()

    def run(self):
        while not self._stop.wait(self.every):
            with self.app.app_context():
                try:
                    db.session.execute(db.update(Job).where(Job.id == self.job_id, Job.state == "running")
                                       .values(heartbeat_at=clock.utcnow()))
                    db.session.commit()
                except Exception:  # a missed beat is harmless
                    db.session.rollback()
                finally:
                    db.session.remove()

    def stop(self):
        self._stop.set()


def _user_message(exc) -> str:
    if isinstance(exc, (Refused, TransitionNotAllowed)):
        return str(exc)
    return "處理時發生錯誤，請稍後重試；若一再失敗，請聯絡系統管理員。"


def _safe_name(name: str) -> str:
    keep = "".join(c for c in name if c not in '/\\:*?"<>|\0').strip() or "result"
    return keep[:150]


def retry(actor, job: Job) -> Job:
    """Run a failed job again (the user pressed 重試)."""
    if job.state != "failed":
        raise TransitionNotAllowed("只有失敗的工作可以重試")
    job.state, job.attempts, job.error, job.progress, job.progress_note = "queued", 0, None, 0, "重新排隊"
    log_change(actor, job, "job.retry")
    db.session.commit()
    dispatch(job.id)
    return job


def recover_stale_jobs(now=None) -> list[int]:
    """Requeue jobs whose worker died (no heartbeat), once; fail them after that. Return requeued ids."""
    now = now or clock.utcnow()
    stale = db.session.execute(db.select(Job).where(
        Job.state == "running", Job.heartbeat_at < now - STALE_AFTER)).scalars().all()
    requeued = []
    for job in stale:
        if job.attempts < MAX_ATTEMPTS:
            job.state, job.progress_note = "queued", "工作中斷，自動重試"
            requeued.append(job.id)
        else:
            job.state, job.finished_at = "failed", now
            job.error = "工作執行中斷且重試仍未完成，請按「重試」或聯絡系統管理員。"
        log_change(None, job, "job.recovered", after={"state": job.state, "attempts": job.attempts})
    db.session.commit()
    for job_id in requeued:
        dispatch(job_id)
    return requeued
