"""The Redis/RQ engine for jobs (used when REDIS_URL is set). `flask jobs-worker` runs a worker."""
from functools import lru_cache

from redis import Redis
from rq import Queue

_app = None


@lru_cache(maxsize=4)
def _connection(url):
    return Redis.from_url(url)


def queue_for(url, name="portal") -> Queue:
    return Queue(name, connection=_connection(url))


def run_in_worker(job_id: int):
    """Entry point RQ calls in the worker process."""
    from portal.extensions import db
    from portal.jobs.operations import run_job
    app = _worker_app()
    with app.app_context():
        try:
            run_job(job_id)
        finally:
            db.session.remove()


def _worker_app():
    global _app
    if _app is None:
        from portal import create_app
        _app = create_app()
    return _app


def work(app, burst=False):
    """Run an RQ worker for the portal queue; recover jobs whose worker died first."""
    from rq import Worker
    global _app
    _app = app
    from portal.jobs.operations import recover_stale_jobs
    with app.app_context():
        recover_stale_jobs()
    connection = _connection(app.config["REDIS_URL"])
    queue = Queue(app.config.get("JOB_QUEUE_NAME", "portal"), connection=connection)
    Worker([queue], connection=connection).work(burst=burst)
