"""The PDF laid out like 附件3 (text, table, photos, embedded fonts) and the ZIP of approved reports."""
import io
import re
import subprocess
import zipfile

from portal.auth import roles
from portal.extensions import db
from tests.reports.test_views import _submitted, home  # noqa: F401  (fixture)


def _text(pdf_bytes, tmp_path, name="r.pdf"):
    path = tmp_path / name
    path.write_bytes(pdf_bytes)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return path, text


def test_pdf_matches_the_form(client, world, login, home, tmp_path):  # noqa: F811
    report = _submitted(client, login, world)
    login(world.users[roles.BUREAU_OFFICER])
    response = client.get(f"/reports/{report.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    path, text = _text(response.data, tmp_path)
    for label in ("114年度", "長期照顧家庭托顧服務成果報告", "一、 單位名稱：", "二、 計畫案名稱：", "三、 執行期程：",
                  "四、 執行成效：", "服務人數及人次數：", "身份別", "一般戶", "中低收入戶", "低收入戶", "合計",
                  "申請服務補助金額", "五、 使用者分析（姓名、失能、失智、身分福利別、性別、年齡及障別）：",
                  "六、 課程安排（每月課程表、活動內容(課程規劃及名稱)、活動人數、活動照片）：",
                  "七、 結論與優缺點改善事項：", "八、 服務滿意度情形：(請呈現量化與質化分析資料)", "九、 其他說明及建議：",
                  "備註：成果報告請勿裝訂成冊。", "填表人職稱：負責人", "簽章：", "填具日期：中華民國115年1月10日",
                  "王阿水", "懷舊團體、手作課程"):
        assert label in text, label
    assert re.search(r"人數\s+1\s+0\s+1\s+2", text)
    assert re.search(r"申請服務補助金額\s+19,000\s+0\s+12,100\s+31,100", text)
    assert "114年1月1日至114年12月31日" in text
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = [line for line in fonts.splitlines()[2:] if line.strip()]
    assert rows and all(" yes " in row for row in rows) and "UKai" in fonts
    images = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True).stdout
    assert len([line for line in images.splitlines()[2:] if line.strip()]) == 1   # the one activity photo


def test_overridden_figure_printed_with_computed_value(client, world, login, home, tmp_path):  # noqa: F811
    from tests.reports.test_views import _start
    report = _start(client, login, world)
    client.post(f"/reports/{report.id}/overrides", data={"ov-key": "table.persons.general", "ov-value": "2",
                                                          "ov-reason": "含年底轉入個案"})
    _, text = _text(client.get(f"/reports/{report.id}.pdf").data, tmp_path)
    assert "人數－一般戶 系統計算 1，調整為 2（含年底轉入個案）" in text


def test_zip_of_approved_reports_is_a_background_job(client, world, login, home, tmp_path):  # noqa: F811
    """Issue 6 item 6: the bureau starts the ZIP, the job page shows progress, the file is the approved PDFs."""
    from tests.jobs.test_jobs import _wait
    report = _submitted(client, login, world)
    login(world.users[roles.BUREAU_OFFICER])
    page = client.post("/reports/year/2025/approved.zip", follow_redirects=True).get_data(as_text=True)
    assert "尚無已核定" in page
    client.post(f"/reports/{report.id}/accept")
    assert "產生已核定報告 ZIP" in client.get("/reports?year=2025").get_data(as_text=True)
    response = client.post("/reports/year/2025/approved.zip")
    assert response.status_code == 303 and "/jobs/" in response.headers["Location"]
    job_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    assert _wait(client.application, job_id) == "done"
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "114年度已核定成果報告（ZIP）" in page and "下載" in page
    download = client.get(f"/jobs/{job_id}/download")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    names = archive.namelist()
    assert names == [f"{world.orgs['b'].name}-114年度成果報告.pdf"]
    assert archive.read(names[0]).startswith(b"%PDF")
    _, text = _text(archive.read(names[0]), tmp_path)
    assert "長期照顧家庭托顧服務成果報告" in text and "王阿水" in text
    # Units may not start it, nor fetch the bureau's job.
    login(world.users[roles.B_HEAD])
    assert client.post("/reports/year/2025/approved.zip").status_code == 403
    assert client.get(f"/jobs/{job_id}/download").status_code == 404
    db.session.rollback()


def test_zip_job_refuses_a_year_without_approved_reports(app_ctx, world):
    from portal.jobs.models import Job
    from portal.jobs.operations import run_job
    officer = world.users[roles.BUREAU_OFFICER]
    job = Job(kind="reports.approved_zip", title="t", params={"year": 2025}, requested_by_id=officer.id,
              organisation_id=officer.organisation_id)
    db.session.add(job)
    db.session.commit()
    run_job(job.id)
    db.session.expire_all()
    assert db.session.get(Job, job.id).state == "failed"
