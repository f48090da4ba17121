"""Background jobs: embedded thread engine, progress, retry, recovery, and RQ on Redis with a killed worker."""
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from portal import clock
from portal.auth import roles
from portal.extensions import db
from portal.jobs.models import Job
from portal.jobs.operations import recover_stale_jobs, run_job, storage_dir
from tests.factories import FOREIGN_MARKER


def _wait(app, job_id, states=("done", "failed"), timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with app.app_context():
            job = db.session.get(Job, job_id)
            if job.state in states:
                return job.state
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not reach {states}")


def test_client_export_runs_in_background_with_scope(client, world, login, app):
    login(world.users[roles.B_HEAD])
    response = client.post("/clients/export", data={"q": ""})
    assert response.status_code == 303
    job_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    assert _wait(app, job_id) == "done"
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "下載" in page and "hx-trigger" not in page  # no more polling once done
    data = client.get(f"/jobs/{job_id}/download").data.decode("utf-8-sig")
    assert "本單位個案" in data and FOREIGN_MARKER not in data
    assert world.clients["own"].national_id not in data and world.clients["own"].masked_id in data


def test_other_users_cannot_see_a_job(client, world, login, app):
    login(world.users[roles.B_HEAD])
    job_id = int(client.post("/clients/export", data={}).headers["Location"].split("/")[-1])
    _wait(app, job_id)
    login(world.other_users[roles.B_HEAD])
    assert client.get(f"/jobs/{job_id}").status_code == 404
    assert client.get(f"/jobs/{job_id}/download").status_code == 404


def test_progress_fragment_polls_while_running(client, world, login, app_ctx):
    job = Job(kind="system.selftest", title="t", params={}, requested_by_id=world.users[roles.ADMIN].id,
              organisation_id=world.users[roles.ADMIN].organisation_id, state="running", progress=40,
              progress_note="第 2／5 步")
    db.session.add(job)
    db.session.commit()
    login(world.users[roles.ADMIN])
    fragment = client.get(f"/jobs/{job.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and 'hx-trigger="every 1500ms"' in fragment and 'value="40"' in fragment
    assert "第 2／5 步" in fragment


def test_failed_job_can_be_retried(client, world, login, app_ctx, monkeypatch):
    from portal.jobs import builtin
    admin = world.users[roles.ADMIN]
    job = Job(kind="system.selftest", title="t", params={"seconds": "not a number"}, requested_by_id=admin.id,
              organisation_id=admin.organisation_id)
    db.session.add(job)
    db.session.commit()
    run_job(job.id)
    db.session.expire_all()
    assert db.session.get(Job, job.id).state == "failed"
    assert "請稍後重試" in db.session.get(Job, job.id).error
    login(admin)
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "重試" in page
    job.params = {"seconds": 1, "step_seconds": 0}
    db.session.commit()
    client.post(f"/jobs/{job.id}/retry")
    assert _wait(client.application, job.id) == "done"


def test_recovery_retries_once_then_fails(app_ctx, world):
    admin = world.users[roles.ADMIN]
    old = clock.utcnow() - timedelta(minutes=5)
    job = Job(kind="system.selftest", title="t", params={"seconds": 1, "step_seconds": 0}, requested_by_id=admin.id,
              organisation_id=admin.organisation_id, state="running", attempts=1, heartbeat_at=old)
    dead = Job(kind="system.selftest", title="t", params={}, requested_by_id=admin.id,
               organisation_id=admin.organisation_id, state="running", attempts=2, heartbeat_at=old)
    db.session.add_all([job, dead])
    db.session.commit()
    assert recover_stale_jobs() == [job.id]
    assert _wait(app_ctx, job.id) == "done"
    db.session.expire_all()
    assert db.session.get(Job, dead.id).state == "failed"
    assert db.session.get(Job, job.id).attempts == 2


def _redis_available():
    try:
        import redis
        return redis.Redis.from_url("redis://127.0.0.1:6379/0").ping()
    except Exception:
        return False


def _children(pid):
    """Process ids whose parent is `pid` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.skipif(not _redis_available(), reason="needs Redis on 127.0.0.1:6379")
def test_rq_worker_killed_mid_job_is_retried_once(app, world, database_url, tmp_path):
    """A worker dies in the middle of a job: the job is retried once and finishes once, one file."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    redis_url = "redis://127.0.0.1:6379/0"
    storage = tmp_path / "jobs"
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "PORTAL_JOB_QUEUE": queue,
           "PORTAL_JOB_STORAGE_DIR": str(storage), "FLASK_APP": "wsgi:app"}
    flask_bin = str(Path(sys.executable).with_name("flask"))
    app.config.update(REDIS_URL=redis_url, JOB_QUEUE_NAME=queue, JOB_STORAGE_DIR=str(storage))
    try:
        with app.test_request_context():
            from portal.jobs.operations import enqueue
            job = enqueue(world.users[roles.ADMIN], "system.selftest", {"seconds": 20, "step_seconds": 0.5}, "t")
            job_id = job.id
        worker = subprocess.Popen([flask_bin, "jobs-worker"], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            _wait(app, job_id, states=("running",), timeout=60)
            deadline = time.time() + 30
            while time.time() < deadline:  # let it make some progress, then kill it hard
                with app.app_context():
                    if db.session.get(Job, job_id).progress >= 20:
                        break
                time.sleep(0.2)
        finally:
            # RQ runs each job in a forked "work horse" that calls setpgrp(): kill it too, or the job
            # would go on running in the background and finish its first attempt.
            for child in _children(worker.pid):
                os.killpg(child, signal.SIGKILL)
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
        with app.app_context():
            assert db.session.get(Job, job_id).state == "running"  # orphaned
            requeued = recover_stale_jobs(now=clock.utcnow() + timedelta(minutes=5))
            assert requeued == [job_id]
        subprocess.run([flask_bin, "jobs-worker", "--burst"], env=env, check=True, timeout=120,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with app.app_context():
            job = db.session.get(Job, job_id)
            assert job.state == "done" and job.attempts == 2
            files = list((storage / f"{job_id:08d}").iterdir())
            assert [f.name for f in files] == ["selftest.txt"]
            assert "第 2 次執行" in files[0].read_text("utf-8")
    finally:
        app.config.update(REDIS_URL=None, JOB_QUEUE_NAME="portal", JOB_STORAGE_DIR=None)


def test_an_orphaned_run_does_not_finish_a_job_another_run_holds(app_ctx, world):
    """A run whose worker was declared dead (the job requeued and claimed again) finishes after the new run
    started: it must not mark the job done or move its progress bar."""
    from portal.jobs.registry import JobResult, job_handler

    @job_handler("test.orphan", roles=(roles.ADMIN,))
    def orphan(job, params, progress):
        # meanwhile recovery requeued the job and another worker claimed it (attempt 2)
        db.session.execute(db.update(Job).where(Job.id == job.id).values(attempts=2, progress=10,
                                                                         progress_note="第二次執行"))
        db.session.commit()
        progress(90, "舊的執行")
        return JobResult("x.txt", "text/plain", data=b"old")

    admin = world.users[roles.ADMIN]
    job = Job(kind="test.orphan", title="t", params={}, requested_by_id=admin.id,
              organisation_id=admin.organisation_id)
    db.session.add(job)
    db.session.commit()
    run_job(job.id)
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert (job.state, job.attempts, job.progress, job.progress_note) == ("running", 2, 10, "第二次執行")
