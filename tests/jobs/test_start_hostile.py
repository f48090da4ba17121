"""`POST /jobs/start/<kind>` with hostile form values: a message or 404, never a 5xx, never a stray job."""
import pytest

from portal.auth import roles
from portal.extensions import db
from portal.jobs.models import Job
from tests.test_hostile_input import HOSTILE

FIELDS = ("year", "month", "home_id", "round_id", "plan_id", "version")
KINDS = ("billing.declarations_xlsx", "billing.month_pdfs", "audits.results_xlsx", "audits.round_score_sheets",
         "establishment.plan_pdf")


@pytest.mark.parametrize("kind", KINDS)
def test_hostile_values_never_break_the_start_route(client, world, login, monkeypatch, kind):
    started = []
    monkeypatch.setattr("portal.jobs.operations.dispatch", lambda job_id, app=None: started.append(job_id))
    login(world.users[roles.ADMIN])
    for i, value in enumerate(HOSTILE):
        for field in FIELDS:
            data = {f: (value if f == field else HOSTILE[(i + 3) % len(HOSTILE)]) for f in FIELDS}
            response = client.post(f"/jobs/start/{kind}", data=data)
            assert response.status_code in (303, 404), (kind, data, response.status_code)
    # whatever was queued names only ids the admin may see, with whole-number periods
    for job in db.session.execute(db.select(Job)).scalars():
        assert all(v is None or isinstance(v, int) for v in job.params.values()), job.params
