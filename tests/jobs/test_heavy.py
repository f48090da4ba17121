"""Requests over the 2 s budget offered as jobs: the establishment plan PDF (bench/documents.py)."""
import subprocess

import pytest

from portal.auth import roles
from portal.establishment import operations as ops
from portal.jobs import heavy
from portal.jobs.models import Job
from portal.extensions import db
from tests.factories import FOREIGN_MARKER
from tests.jobs.helpers import SyncJobs, result_bytes


@pytest.fixture
def jobs(monkeypatch):
    return SyncJobs(monkeypatch)


@pytest.fixture
def plan(world):
    author = world.users[roles.APPLICANT]
    plan = ops.create_plan(author, world.orgs["applicant"])
    ops.save_section(author, plan, "basic", {"applicant_type": "natural", "county": "測試縣", "distinctive": "安心",
                                             "name": "", "address": "測試路1號"}, seen_version=0)
    db.session.commit()
    return plan


def test_applicant_gets_the_plan_pdf_from_a_job(client, world, login, jobs, plan):
    login(world.users[roles.APPLICANT])
    page = client.get(f"/establishment/plans/{plan.id}").get_data(as_text=True)
    assert 'action="/jobs/start/establishment.plan_pdf"' in page
    response, job = jobs.start(client, "establishment.plan_pdf", {"plan_id": plan.id})
    assert response.status_code == 303 and job.result_mime == "application/pdf"
    text = subprocess.run(["pdftotext", "-", "-"], input=result_bytes(job), capture_output=True, check=True).stdout.decode()
    assert "測試路1號" in text and FOREIGN_MARKER not in text
    assert client.get(f"/jobs/{job.id}/download").status_code == 200


def test_another_applicants_plan_or_version_is_404(client, world, login, jobs, plan):
    login(world.users[roles.APPLICANT])
    for data in ({"plan_id": world.foreign["plan_id"]}, {"plan_id": "x"}, {"plan_id": plan.id, "version": "7"}):
        response, job = jobs.start(client, "establishment.plan_pdf", data)
        assert response.status_code == 404 and job is None
    login(world.other_users[roles.APPLICANT])
    response, job = jobs.start(client, "establishment.plan_pdf", {"plan_id": plan.id})
    assert response.status_code == 404 and job is None


@pytest.mark.parametrize("role", [roles.AUDITOR, roles.A_UNIT_HEAD, roles.CARE_MANAGER])
def test_roles_without_plans_get_403(client, world, login, jobs, plan, role):
    login(world.users[role])
    response, job = jobs.start(client, "establishment.plan_pdf", {"plan_id": plan.id})
    assert response.status_code == 403 and job is None


def test_plan_no_longer_visible_fails_plainly(world, app_ctx, plan):
    other = world.other_users[roles.APPLICANT]
    job = Job(kind="establishment.plan_pdf", title="t", params={"plan_id": plan.id, "version": None},
              requested_by_id=other.id, organisation_id=other.organisation_id)
    db.session.add(job)
    db.session.commit()
    from portal.errors import Refused
    with pytest.raises(Refused, match="無權限"):
        heavy.plan_pdf_job(job, dict(job.params), lambda *a: None)
