"""The 通報單 PDF: verbatim layout text, the whole chain, embedded fonts, draft watermark, logged."""
import re
import subprocess

from portal.auditlog.models import AuditLogEntry
from portal.auth import roles
from portal.extensions import db
from portal.incidents import operations as ops
from tests.incidents.helpers import make_incident


def _text(tmp_path, data, name="x.pdf"):
    pdf = tmp_path / name
    pdf.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    return text, fonts


def test_pdf_with_the_chain(client, world, login, app_ctx, tmp_path):
    user = world.users[roles.B_HEAD]
    incident = make_incident(user, world.clients["own"], submit=True)
    followup = ops.start_report(user, incident, "followup", {
        "severity": "severe", "content": "個案住院開刀治療中。", "supervisor_name_title": "王主任",
        "change_known_at": incident.occurred_at, "interventions": ["comfort"]})
    ops.submit_report(user, followup)
    ops.record_receipt(world.users[roles.BUREAU_OFFICER], incident.reports[0], channel="fax", channel_other=None,
                       receiver_name="李承辦", received_at=incident.reports[0].submitted_at)
    ops.add_handling(world.users[roles.CARE_MANAGER], incident, "已電訪家屬確認個案狀況。")
    db.session.commit()
    login(world.users[roles.A_CASE_MANAGER])
    response = client.get(f"/incidents/{incident.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text, fonts = _text(tmp_path, response.data)
    squashed = re.sub(r"\s+", "", text)
    for verbatim in ("長期照顧個案異常事件通報單", "一、個案基本資料：", "事件發生後對個案的影響程度：",
                     "重度：除需要額外的探視、評估或觀察外，還需住院或延長住院時間作特殊的處理。",
                     "不限服務時段，知悉時即通報", "此事件發生後的立即處理(可複選)：", "已通報自殺防治中心",
                     "主管及職稱：", "(親簽名)", "受理情形：", "通報受理人：", "(全名)", "案件處理情形：",
                     "照顧管理專員", "照顧管理督導", "負責承辦人員", "科長", "不當利益往來"):
        assert verbatim in squashed, verbatim
    assert "初報" in text and "續報（第1次）" in text and "個案住院開刀治療中" in squashed
    assert "☑傳真" in squashed and "李承辦" in text and "已電訪家屬確認個案狀況" in squashed
    assert "☑中度" in squashed and "☑重度" in squashed  # the 初報 and the 續報 each show their severity
    assert re.search(r"1\s*/\s*\d", text)
    rows = [line for line in fonts.splitlines()[2:] if line.strip()]
    assert rows and all(" yes " in row for row in rows), fonts
    assert "UKai" in fonts
    assert db.session.execute(db.select(AuditLogEntry).filter_by(action="incident.pdf_viewed",
                                                                 entity_id=incident.id)).scalars().first()
    one = client.get(f"/incidents/{incident.id}/reports/{followup.id}.pdf")
    text, _ = _text(tmp_path, one.data, "one.pdf")
    assert "續報（第1次）" in text and "初報" not in text.split("事件編號")[0]


def test_draft_pdf_is_marked(client, world, login, app_ctx, tmp_path):
    incident = make_incident(world.users[roles.B_HEAD], world.clients["own"])
    db.session.commit()
    login(world.users[roles.B_HEAD])
    text, _ = _text(tmp_path, client.get(f"/incidents/{incident.id}.pdf").data)
    assert "初報（草稿）" in text and "草" in text


def test_report_pdf_of_another_incident_is_not_found(client, world, login, app_ctx):
    mine = make_incident(world.users[roles.B_HEAD], world.clients["own"], submit=True)
    db.session.commit()
    login(world.users[roles.BUREAU_OFFICER])
    foreign_report = world.foreign["incidents.report_id"]
    assert client.get(f"/incidents/{mine.id}/reports/{foreign_report}.pdf").status_code == 404
