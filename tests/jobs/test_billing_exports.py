"""Declarations as background jobs: a year's/month's xlsx and a month's 附件2 + 附件1 PDFs (issue 12 §3)."""
import io
import subprocess
import zipfile
from datetime import date, datetime

import pytest

from portal import clock
from portal.auth import roles
from portal.billing import exports
from portal.billing import operations as ops
from portal.errors import Refused
from portal.extensions import db
from portal.jobs.models import Job
from portal.orgs.models import OrganisationLink
from portal.settings.operations import office_calendar
from tests.billing.conftest import admit, home, record, weekdays  # noqa: F401  (home is a fixture)
from tests.billing.test_declarations import APRIL_3, MARCH, _prices
from tests.jobs.helpers import SyncJobs, flat, result_bytes, xlsx_sheets

FOREIGN_HOME = "乙家庭托顧（他單位）"   # tests/billing/authz_data.py: a returned December 2024 declaration


@pytest.fixture
def jobs(monkeypatch):
    return SyncJobs(monkeypatch)


@pytest.fixture
def declared(world, home):
    """The home's March 2025 declaration: one 一般戶 client, five full days, submitted on 3 April."""
    _prices(world)
    admission = admit(world, welfare_status="general", cms_level=6)
    for day in weekdays(MARCH, 5):
        record(world, admission, day)
    with clock.freeze(APRIL_3):
        declaration = ops.submit_declaration(world.users[roles.B_HEAD], home.id, MARCH, cal=office_calendar())
    db.session.commit()
    return declaration


def test_bureau_exports_a_year_of_every_home(client, world, login, jobs, declared):
    login(world.users[roles.BUREAU_OFFICER])
    response, job = jobs.start(client, "billing.declarations_xlsx", {"year": "114"})   # 民國年 accepted
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/jobs/{job.id}")
    assert job.title == "申報資料匯出（xlsx）・全部單位・114年" and job.result_name == "家托申報-114年.xlsx"
    sheets = xlsx_sheets(result_bytes(job))
    summary = sheets["申報總表"]
    heads = summary[3]
    rows = {row[1]: dict(zip(heads, row)) for row in summary[4:] if len(row) > 1 and row[1]}
    assert set(rows) == {"甲家庭托顧"}   # the other home declared nothing in 114
    own = rows["甲家庭托顧"]
    t = declared.totals
    assert own["費用月份"] == "114/03" and own["狀態"] == "已申報" and own["申報版本"] == "1"
    assert int(own["合計(1)-(2)+(3)"]) == t["total"] and int(own["部分負擔(2)"]) == t["copay"]
    assert int(own["申報費用(含部分負擔)(1)"]) == t["declared"] > 0
    assert summary[-1][0] == "總計"
    # the month sheet sums the declarations of each month; the item list has every line, full IDs for the bureau
    assert [r[0] for r in sheets["各月合計"][1:]] == ["114年03月"]
    # every home's declarations of the year, whichever unit: the other home's December 113
    _, earlier = jobs.start(client, "billing.declarations_xlsx", {"year": "113"})
    summary = xlsx_sheets(result_bytes(earlier))["申報總表"]
    assert {row[1] for row in summary[4:] if len(row) > 1 and row[1]} == {FOREIGN_HOME}
    items = flat(sheets["服務費用項目清冊"])
    assert declared.organisation.name in items and "BC11" in items
    assert all("*" not in row[4] for row in sheets["服務費用項目清冊"][1:])   # the bureau sees full IDs


def test_a_home_exports_only_its_own_year(client, world, login, jobs, declared):
    login(world.users[roles.B_STAFF])
    response, job = jobs.start(client, "billing.declarations_xlsx", {"year": "2025"})
    assert job.title == "申報資料匯出（xlsx）・甲家庭托顧・114年"
    text = flat(sum(xlsx_sheets(result_bytes(job)).values(), []))
    assert "甲家庭托顧" in text and FOREIGN_HOME not in text
    # another home's id in the form is refused, nothing is queued
    response, job = jobs.start(client, "billing.declarations_xlsx",
                               {"year": "2025", "home_id": world.orgs["home_other"].id})
    assert response.status_code == 404 and job is None


def test_guidance_unit_exports_its_guided_homes_with_masked_ids(client, world, login, jobs, declared):
    guide = world.users[roles.GUIDANCE_STAFF]
    db.session.add(OrganisationLink(from_org_id=guide.organisation_id, to_org_id=declared.organisation_id,
                                    relation="guides"))
    db.session.commit()
    login(guide)
    _, job = jobs.start(client, "billing.declarations_xlsx", {"year": "2025", "month": "3"})
    sheets = xlsx_sheets(result_bytes(job))
    text = flat(sum(sheets.values(), []))
    assert FOREIGN_HOME not in text and "甲家庭托顧" in text
    ids = [row[4] for row in sheets["服務費用項目清冊"][1:]]
    assert ids and all("*" in i for i in ids), ids   # masked, never the full ID


@pytest.mark.parametrize("kind, role", [
    ("billing.declarations_xlsx", roles.AUDITOR), ("billing.declarations_xlsx", roles.A_UNIT_HEAD),
    ("billing.declarations_xlsx", roles.APPLICANT), ("billing.month_pdfs", roles.B_HEAD),
    ("billing.month_pdfs", roles.GUIDANCE_STAFF), ("billing.month_pdfs", roles.CARE_MANAGER),
])
def test_roles_without_business_get_403(client, world, login, jobs, kind, role):
    login(world.users[role])
    response, job = jobs.start(client, kind, {"year": "2025", "month": "3"})
    assert response.status_code == 403 and job is None


def test_unknown_or_unstartable_kinds_are_404(client, world, login, jobs):
    login(world.users[roles.ADMIN])
    assert client.post("/jobs/start/nope").status_code == 404
    assert client.post("/jobs/start/system.selftest").status_code == 404   # started by its own button only


@pytest.mark.parametrize("data, message", [
    ({}, "請選擇要匯出的年度"), ({"year": "abc"}, "請選擇要匯出的年度"), ({"year": "1999"}, "請選擇要匯出的年度"),
    ({"year": "2025", "month": "13"}, "請選擇月份"),
])
def test_bad_period_is_a_plain_message_and_queues_nothing(client, world, login, jobs, data, message):
    login(world.users[roles.BUREAU_OFFICER])
    response, job = jobs.start(client, "billing.declarations_xlsx", data)
    assert response.status_code == 303 and job is None
    assert message in client.get(response.headers["Location"]).get_data(as_text=True)
    assert db.session.execute(db.select(db.func.count(Job.id))).scalar_one() == 0


def _pdf_text(data):
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def test_month_pdfs_zip_has_summary_and_receipt_per_home(client, world, login, jobs, declared, app_ctx):
    login(world.users[roles.BUREAU_OFFICER])
    response, job = jobs.start(client, "billing.month_pdfs", {"year": "2025", "month": "3"})
    assert job.result_name == "家托申報列印-114年3月.zip" and job.result_mime == "application/zip"
    with zipfile.ZipFile(io.BytesIO(result_bytes(job))) as z:
        names = z.namelist()
        assert names == ["甲家庭托顧-11403-附件2申報總表.pdf", "甲家庭托顧-11403-附件1領款收據.pdf"]
        summary, receipt = (_pdf_text(z.read(n)) for n in names)
    assert "申報總表" in summary and f"{declared.totals['total']:,}" in summary
    assert f"領款收據｜申報 {declared.id}｜第 1 版" in receipt and f"申報 {declared.id}｜第 1 版" in summary


def test_month_pdfs_progress_is_reported_per_document(world, app_ctx, declared):
    officer = world.users[roles.BUREAU_OFFICER]
    job = Job(kind="billing.month_pdfs", title="t", params={"year": 2024, "month": 12, "home_id": None},
              requested_by_id=officer.id, organisation_id=officer.organisation_id)
    db.session.add(job)
    db.session.commit()
    notes = []
    exports.month_pdfs(job, dict(job.params), lambda percent, note="": notes.append((percent, note)))
    assert notes == [(0, f"正在產生第 1／2 份文件（{FOREIGN_HOME}附件2）"), (49, f"已產生 1／2 份文件（{FOREIGN_HOME}）"),
                     (49, f"正在產生第 2／2 份文件（{FOREIGN_HOME}附件1）"), (98, f"已產生 2／2 份文件（{FOREIGN_HOME}）")]


def test_month_without_declarations_fails_with_a_plain_message(client, world, login, jobs, declared):
    login(world.users[roles.BUREAU_OFFICER])
    _, job = jobs.start(client, "billing.month_pdfs", {"year": "2025", "month": "2"})
    assert job.state == "failed" and job.error == "114年2月沒有已申報的家庭托顧申報可列印。"
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "114年2月沒有已申報的家庭托顧申報可列印。" in page and "重試" in page


def test_month_pdfs_need_a_month(client, world, login, jobs):
    login(world.users[roles.BUREAU_OFFICER])
    response, job = jobs.start(client, "billing.month_pdfs", {"year": "2025"})
    assert job is None
    assert "列印以一個月的申報為單位" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_scope_is_applied_again_when_the_job_runs(world, app_ctx, declared):
    """A job queued with another home's id (e.g. a forged row) still exports only what its requester reads."""
    head = world.users[roles.B_HEAD]
    job = Job(kind="billing.declarations_xlsx", title="t", requested_by_id=head.id, organisation_id=head.organisation_id,
              params={"year": 2025, "month": None, "home_id": world.orgs["home_other"].id})
    db.session.add(job)
    db.session.commit()
    result = exports.declarations_xlsx(job, dict(job.params), lambda *a: None)
    assert FOREIGN_HOME not in flat(sum(xlsx_sheets(result.data).values(), []))


def test_period_parsing():
    today = date(2026, 11, 25)
    assert exports.parse_period({"year": "115", "month": "11"}, today=today) == (2026, 11)
    assert exports.parse_period({"year": "2025", "month": ""}, today=today) == (2025, None)
    with pytest.raises(Refused, match="尚未開始"):
        exports.parse_period({"year": "2026", "month": "12"}, today=today)
    with pytest.raises(Refused):
        exports.parse_period({"year": "2027"}, today=today)


def test_buttons_on_the_declaration_pages(client, world, login, home):
    login(world.users[roles.BUREAU_OFFICER])
    page = client.get("/billing/").get_data(as_text=True)
    assert 'formaction="/jobs/start/billing.declarations_xlsx"' in page
    assert 'formaction="/jobs/start/billing.month_pdfs"' in page
    page = client.get(f"/billing/homes/{home.id}/declarations").get_data(as_text=True)
    assert 'formaction="/jobs/start/billing.declarations_xlsx"' in page and f'name="home_id" value="{home.id}"' in page
    guide = world.users[roles.GUIDANCE_STAFF]
    login(guide)
    page = client.get("/billing/").get_data(as_text=True)
    assert "billing.declarations_xlsx" in page and "billing.month_pdfs" not in page
    login(world.users[roles.B_HEAD])
    page = client.get(f"/billing/homes/{home.id}/declarations").get_data(as_text=True)
    assert "匯出本單位申報（xlsx）" in page
