"""Foundation records for the access matrix (tests/access_table.py): accounts, organisations, jobs,
calendar overrides and settings, each registered for the home organisations (world.own) and for
another unit (world.foreign)."""
from datetime import date

from portal.auth import roles
from portal.extensions import db
from portal.jobs.models import Job
from portal.jobs.operations import storage_dir
from portal.settings.models import OfficeDayOverride
from portal.settings.registry import all_settings
from tests.authz import matrix_data
from tests.factories import FOREIGN_MARKER, make_user


def _finished_job(user, title):
    job = Job(kind="clients.export_csv", title=title, params={}, requested_by_id=user.id,
              organisation_id=user.organisation_id, state="done", progress=100,
              result_path=f"matrix-{user.id}.csv", result_name="個案名單.csv", result_mime="text/csv", result_size=3)
    db.session.add(job)
    db.session.flush()
    (storage_dir() / job.result_path).write_text(title + "\n", encoding="utf-8")
    return job


@matrix_data
def foundation(world):
    # A staff member of another unit whose name must never reach a user of a different unit.
    stranger = make_user(roles.B_STAFF, world.orgs["b_other"], username="t_matrix_stranger",
                         full_name=FOREIGN_MARKER + "職員")
    world.own["user_id"] = world.users[roles.B_STAFF].id
    world.foreign["user_id"] = stranger.id
    world.own["org_id"] = lambda user: user.organisation_id
    world.foreign["org_id"] = world.orgs["b_other"].id
    jobs = {}

    def own_job(user):  # a job belongs to the person who asked for it
        if user.id not in jobs:
            jobs[user.id] = _finished_job(user, "本人匯出").id
            db.session.commit()
        return jobs[user.id]
    world.own["job_id"] = own_job
    world.foreign["job_id"] = _finished_job(world.other_users[roles.B_HEAD], FOREIGN_MARKER + "匯出").id
    override = OfficeDayOverride(day=date(2099, 1, 2), is_office_day=False, name="矩陣測試停班")
    db.session.add(override)
    db.session.flush()
    shared = {"area_id": world.areas[0].id, "override_id": override.id, "settings.key": all_settings()[0].key}
    world.own.update(shared)
    world.foreign.update(shared)
