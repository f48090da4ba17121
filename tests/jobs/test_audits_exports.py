"""Audits as background jobs: a round's or a year's results as xlsx, every score sheet of a round as one PDF."""
import io
import subprocess
from datetime import date

import pytest
from pypdf import PdfReader

from portal.audits import exports
from portal.audits import operations as ops
from portal.auth import roles
from portal.extensions import db
from portal.jobs.models import Job
from tests.audits.factories import make_audit, score
from tests.factories import FOREIGN_MARKER
from tests.jobs.helpers import SyncJobs, flat, result_bytes, xlsx_sheets


@pytest.fixture
def jobs(monkeypatch):
    return SyncJobs(monkeypatch)


@pytest.fixture
def round_(world):
    """A round with the A unit's audit finalised (item 2 failed) and the home's audit still scheduled."""
    lead = world.users[roles.AUDITOR]
    round_ = ops.create_round(None, title="114年第1次查核", starts_on=date(2025, 4, 1), ends_on=date(2025, 4, 30))
    done = make_audit(world.orgs["a"], lead, on=date(2025, 4, 8), round_=round_)
    score(done, lead, fails=(2,))
    ops.finalise(lead, done, summary_note="整體良好")
    make_audit(world.orgs["b"], lead, on=date(2025, 4, 15), round_=round_)
    db.session.commit()
    return round_


def _rows(sheet):
    heads = sheet[3]
    return [dict(zip(heads, row)) for row in sheet[4:] if len(row) > 2]


def test_round_results_xlsx(client, world, login, jobs, round_):
    login(world.users[roles.BUREAU_OFFICER])
    response, job = jobs.start(client, "audits.results_xlsx", {"round_id": round_.id})
    assert response.status_code == 303 and job.title == "查核結果匯出（xlsx）・114年第1次查核"
    sheets = xlsx_sheets(result_bytes(job))
    rows = _rows(sheets["查核結果"])
    assert [r["受查單位"] for r in rows] == ["甲區A單位", "甲家庭托顧"]
    done, pending = rows
    total = int(done["總題數"])
    assert done["結果"] == "合格" and int(done["合格題數"]) == total - 1 and done["不合格題數"] == "1"
    assert done["綜合意見"] == "整體良好" and done["梯次"] == "114年第1次查核"
    assert pending["結果"] == "尚未送出" and pending["合格題數"] == ""
    answers = sheets["各題評分"][1:]
    assert len(answers) == total and {a[1] for a in answers} == {"甲區A單位"}   # only submitted audits' answers
    assert [a[7] for a in answers if a[3] == "2"] == ["不合格"]
    assert FOREIGN_MARKER not in flat(sum(sheets.values(), []))


def test_year_results_xlsx_has_every_round_of_the_year(client, world, login, jobs, round_):
    login(world.users[roles.BUREAU_CHIEF])
    _, job = jobs.start(client, "audits.results_xlsx", {"year": "114"})
    assert job.result_name == "查核結果-114年.xlsx"
    rows = _rows(xlsx_sheets(result_bytes(job))["查核結果"])
    # the bureau sees every unit: the other A unit's March audit (tests/audits/authz_data.py) is there too
    assert [r["受查單位"] for r in rows] == ["乙區A單位", "甲區A單位", "甲家庭托顧"]
    _, job = jobs.start(client, "audits.results_xlsx", {"year": "2024"})
    assert "此範圍沒有查核。" in flat(xlsx_sheets(result_bytes(job))["查核結果"])


def test_round_score_sheets_one_pdf_in_order_with_bookmarks(client, world, login, jobs, round_):
    login(world.users[roles.BUREAU_OFFICER])
    _, job = jobs.start(client, "audits.round_score_sheets", {"round_id": round_.id})
    assert job.result_mime == "application/pdf" and job.result_name == "查核評分表-114年第1次查核.pdf"
    data = result_bytes(job)
    reader = PdfReader(io.BytesIO(data))
    top = [item["/Title"] for item in reader.outline if not isinstance(item, list)]
    assert top == ["114年4月8日 甲區A單位", "114年4月15日 甲家庭托顧"]
    text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
    assert text.index("甲區A單位") < text.index("甲家庭托顧")
    # each sheet keeps its own footer (record and page numbers): one 「查核 n」 per sheet
    audits = sorted(a.id for a in round_.audits)
    assert all(f"查核 {audit_id}" in text for audit_id in audits)


def test_round_score_sheets_progress_per_sheet(world, app_ctx, round_):
    officer = world.users[roles.BUREAU_OFFICER]
    job = Job(kind="audits.round_score_sheets", title="t", params={"round_id": round_.id},
              requested_by_id=officer.id, organisation_id=officer.organisation_id)
    db.session.add(job)
    db.session.commit()
    notes = []
    exports.round_score_sheets(job, dict(job.params), lambda percent, note="": notes.append((percent, note)))
    assert notes == [(0, "正在產生第 1／2 份評分表（甲區A單位）"), (48, "已產生 1／2 份評分表（甲區A單位）"),
                     (48, "正在產生第 2／2 份評分表（甲家庭托顧）"), (97, "已產生 2／2 份評分表（甲家庭托顧）")]


@pytest.mark.parametrize("kind", ["audits.results_xlsx", "audits.round_score_sheets"])
@pytest.mark.parametrize("role", [roles.AUDITOR, roles.A_UNIT_HEAD, roles.B_HEAD, roles.GUIDANCE_STAFF,
                                  roles.CARE_MANAGER])
def test_only_the_bureau_starts_audit_exports(client, world, login, jobs, round_, kind, role):
    login(world.users[role])
    response, job = jobs.start(client, kind, {"round_id": round_.id, "year": "2025"})
    assert response.status_code == 403 and job is None


def test_unknown_round_is_404_and_bad_year_a_message(client, world, login, jobs):
    login(world.users[roles.BUREAU_OFFICER])
    for kind, data in (("audits.round_score_sheets", {"round_id": "999999"}), ("audits.round_score_sheets", {}),
                       ("audits.results_xlsx", {"round_id": "x1"})):
        response, job = jobs.start(client, kind, data)
        assert response.status_code == 404 and job is None, (kind, data)
    response, job = jobs.start(client, "audits.results_xlsx", {"year": "1990"})
    assert job is None and "請選擇要匯出的查核年度" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_round_without_printable_sheets_fails_plainly(client, world, login, jobs):
    round_ = ops.create_round(None, title="空梯次", starts_on=date(2025, 5, 1), ends_on=date(2025, 5, 31))
    db.session.commit()
    login(world.users[roles.BUREAU_OFFICER])
    _, job = jobs.start(client, "audits.round_score_sheets", {"round_id": round_.id})
    assert job.state == "failed" and job.error == "此梯次沒有可列印的評分表。"


def test_buttons_on_round_and_schedule_pages(client, world, login, round_):
    login(world.users[roles.BUREAU_OFFICER])
    page = client.get(f"/audits/rounds/{round_.id}").get_data(as_text=True)
    assert 'action="/jobs/start/audits.round_score_sheets"' in page and 'action="/jobs/start/audits.results_xlsx"' in page
    assert f'name="round_id" value="{round_.id}"' in page
    page = client.get("/audits").get_data(as_text=True)
    assert 'formaction="/jobs/start/audits.results_xlsx"' in page
    login(world.users[roles.A_UNIT_HEAD])
    assert "/jobs/start/" not in client.get("/audits").get_data(as_text=True)
