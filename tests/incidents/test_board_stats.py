"""The bureau's board (overdue first), dashboard items, monthly statistics with SVG charts, CSV/xlsx."""
import io
import zipfile
from datetime import timedelta
from xml.etree import ElementTree

from portal import clock
from portal.auditlog.models import AuditLogEntry
from portal.auth import roles
from portal.extensions import db
from tests.factories import FOREIGN_MARKER
from tests.incidents.helpers import make_incident


def _three(world):
    b = world.users[roles.B_HEAD]
    own = world.clients["own"]
    overdue = make_incident(b, own, occurred_at=clock.now() - timedelta(hours=6), narrative="逾期事件" * 6)
    soon = make_incident(b, own, occurred_at=clock.now() - timedelta(hours=3, minutes=30), narrative="將到期事件" * 5)
    mild = make_incident(b, own, severity="mild", occurred_at=clock.now() - timedelta(hours=1),
                         narrative="輕度事件內容" * 4)
    db.session.commit()
    return overdue, soon, mild


def test_board_lists_open_incidents_overdue_first(client, world, login, app_ctx):
    overdue, soon, mild = _three(world)
    login(world.users[roles.BUREAU_OFFICER])
    page = client.get("/incidents/board").get_data(as_text=True)
    positions = [page.index(f"/incidents/{i.id}\"") for i in (overdue, soon, mild)]
    assert positions == sorted(positions)
    assert "row-overdue" in page and "data-deadline=" in page
    fragment = client.get("/incidents/board?only=overdue", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and f"/incidents/{overdue.id}\"" in fragment
    assert f"/incidents/{mild.id}\"" not in fragment


def test_board_is_for_the_bureau_only(client, world, login):
    for role in (roles.B_HEAD, roles.A_UNIT_HEAD, roles.GUIDANCE_STAFF):
        login(world.users[role])
        assert client.get("/incidents/board").status_code == 403
        assert client.get("/incidents/stats").status_code == 403


def test_dashboard_items_for_the_unit_the_authority_and_the_a_unit(client, world, login, app_ctx):
    overdue, soon, mild = _three(world)
    login(world.users[roles.B_HEAD])
    home = client.get("/").get_data(as_text=True)
    assert "先行通報主管機關" in home and "已逾期" in home
    login(world.users[roles.CARE_SUPERVISOR])
    assert overdue.ref_no in client.get("/").get_data(as_text=True)
    submitted = make_incident(world.users[roles.B_HEAD], world.clients["own"], submit=True,
                              narrative="已遞交的事件內容" * 4)
    db.session.commit()
    login(world.users[roles.A_CASE_MANAGER])
    assert f"{submitted.ref_no}" in client.get("/").get_data(as_text=True) and "請確認" in client.get("/").get_data(
        as_text=True)
    login(world.users[roles.BUREAU_OFFICER])
    assert "待登錄受理情形" in client.get("/").get_data(as_text=True)
    login(world.other_users[roles.B_HEAD])
    assert overdue.ref_no not in client.get("/").get_data(as_text=True)


def _month_text():
    today = clock.today()
    return f"{today.year - 1911}/{today.month:02d}"


def test_monthly_statistics_with_svg_charts(client, world, login, app_ctx):
    _three(world)
    login(world.users[roles.BUREAU_CHIEF])
    page = client.get(f"/incidents/stats?month={_month_text()}").get_data(as_text=True)
    assert page.count("<svg") == 4 and "照顧意外事件" in page and "中度" in page
    assert "甲家庭托顧" in page
    bad = client.get("/incidents/stats?month=abc").get_data(as_text=True)
    assert "年月格式不正確" in bad


def test_csv_export_has_a_bom_and_is_logged(client, world, login, app_ctx):
    _three(world)
    login(world.users[roles.BUREAU_OFFICER])
    response = client.get(f"/incidents/stats/export?month={_month_text()}&format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    text = response.data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("事件編號,通報單位,個案姓名")
    assert len(text.strip().splitlines()) >= 4 and "甲家庭托顧" in text
    assert world.clients["own"].national_id not in text  # masked
    summary = client.get(f"/incidents/stats/export?month={_month_text()}&format=csv&table=summary")
    assert "照顧意外事件" in summary.data.decode("utf-8-sig")
    assert db.session.execute(db.select(AuditLogEntry).filter_by(action="incident.exported")).scalars().first()


def _xlsx_job(client, data):
    from tests.jobs.test_jobs import _wait
    response = client.post("/incidents/stats/export.xlsx", data=data)
    assert response.status_code == 303 and "/jobs/" in response.headers["Location"]
    job_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    assert _wait(client.application, job_id) == "done"
    return job_id


def test_xlsx_export_is_a_background_job_and_a_valid_workbook(client, world, login, app_ctx):
    """Issue 12 item 3: the Excel export runs as a job; its page has the progress bar, then the download."""
    _three(world)
    login(world.users[roles.BUREAU_OFFICER])
    page = client.get(f"/incidents/stats?month={_month_text()}").get_data(as_text=True)
    assert 'action="/incidents/stats/export.xlsx"' in page
    job_id = _xlsx_job(client, {"month": _month_text(), "period": "month"})
    assert "下載" in client.get(f"/jobs/{job_id}").get_data(as_text=True)
    response = client.get(f"/jobs/{job_id}/download")
    assert response.status_code == 200 and "spreadsheetml" in response.mimetype
    with zipfile.ZipFile(io.BytesIO(response.data)) as z:
        names = set(z.namelist())
        assert {"[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml",
                "xl/styles.xml", "_rels/.rels", "xl/_rels/workbook.xml.rels"} <= names
        for name in names:
            ElementTree.fromstring(z.read(name))  # every part is well-formed XML
        sheet = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
        workbook = z.read("xl/workbook.xml").decode("utf-8")
    assert "事件清冊" in workbook and "統計" in workbook
    assert "事件編號" in sheet and "甲家庭托顧" in sheet and FOREIGN_MARKER in sheet   # the bureau sees all
    assert world.clients["own"].national_id not in sheet
    db.session.expire_all()
    assert db.session.execute(db.select(AuditLogEntry).filter_by(action="incident.exported")).scalars().first()
    # The old direct download is gone; units may not start the export.
    assert client.get(f"/incidents/stats/export?month={_month_text()}&format=xlsx").status_code == 404
    login(world.users[roles.B_HEAD])
    assert client.post("/incidents/stats/export.xlsx", data={"month": _month_text()}).status_code == 403


def test_xlsx_export_of_a_whole_year(client, world, login, app_ctx):
    b = world.users[roles.B_HEAD]
    now = clock.now().astimezone(clock.TAIPEI)
    earlier = now.replace(month=1, day=15) if now.month > 1 else now.replace(day=20)
    make_incident(b, world.clients["own"], occurred_at=earlier, narrative="年初事件內容" * 5)
    make_incident(b, world.clients["own"], narrative="本月事件內容" * 5)
    db.session.commit()
    login(world.users[roles.BUREAU_OFFICER])
    job_id = _xlsx_job(client, {"month": _month_text(), "period": "year"})
    with zipfile.ZipFile(io.BytesIO(client.get(f"/jobs/{job_id}/download").data)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
        summary = z.read("xl/worksheets/sheet2.xml").decode("utf-8")
    assert sheet.count("本單位個案") == 2
    assert "合計" in summary


def test_statistics_count_only_the_month(client, world, login, app_ctx):
    b = world.users[roles.B_HEAD]
    make_incident(b, world.clients["own"], occurred_at=clock.now() - timedelta(days=70), narrative="舊事件內容" * 5)
    db.session.commit()
    login(world.users[roles.BUREAU_OFFICER])
    text = client.get(f"/incidents/stats/export?month={_month_text()}&format=csv").data.decode("utf-8-sig")
    assert "舊事件" not in text
