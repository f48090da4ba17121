"""Establishment plans: registration, autosave, stale edits, scope, submission and review, PDF format."""
import io
import re

import pytest

from portal.auth import roles
from portal.auth.models import User
from portal.establishment import models as m
from portal.establishment import operations as ops
from portal.establishment.demo_content import fill_plan, plan_content
from portal.extensions import db
from tests.factories import FOREIGN_MARKER


def _register_data(**over):
    data = {"organisation_name": "測試縣私立安心居家長照機構（籌設中）", "full_name": "王小明", "job_title": "",
            "email": "wang@example.invalid", "phone": "0912-345-678", "username": "wang01", "password": "abc12345",
            "confirm": "abc12345", "real_name": "y", "website": ""}
    data.update(over)
    return data


def test_registration_creates_applicant_org_user_and_plan(client, app_ctx, world):
    response = client.post("/establishment/register", data=_register_data())
    assert response.status_code == 303
    user = db.session.execute(db.select(User).filter_by(username="wang01")).scalar_one()
    assert user.role == roles.APPLICANT and user.organisation.kind == roles.APPLICANT_ORG
    plan = db.session.execute(db.select(m.EstablishmentPlan).filter_by(organisation_id=user.organisation_id)).scalar_one()
    assert plan.status == m.DRAFT
    assert client.get("/establishment").status_code == 200  # logged in


def test_registration_refuses_weak_password_taken_names_and_robots(client, app_ctx, world):
    page = client.post("/establishment/register", data=_register_data(password="abcdefgh", confirm="abcdefgh"))
    assert "英文字母與數字" in page.get_data(as_text=True)
    taken = client.post("/establishment/register", data=_register_data(username=world.users[roles.APPLICANT].username))
    assert "此帳號或電子郵件已被使用" in taken.get_data(as_text=True)
    assert client.post("/establishment/register", data=_register_data(website="http://spam")).status_code == 400
    assert db.session.execute(db.select(User).filter_by(username="wang01")).scalar_one_or_none() is None


def test_registration_is_throttled_per_address(client, app_ctx, world):
    for i in range(5):
        assert client.post("/establishment/register", data=_register_data(
            username=f"u{i}x", email=f"u{i}@example.invalid", organisation_name=f"籌設中機構第{i}號")).status_code == 303
        client.post("/logout")
    page = client.post("/establishment/register", data=_register_data(username="u9x", email="u9@example.invalid",
                                                                       organisation_name="籌設中機構第9號"))
    assert "已達上限" in page.get_data(as_text=True)


@pytest.fixture
def plan(world, app_ctx):
    user = world.users[roles.APPLICANT]
    p = ops.create_plan(user, world.orgs["applicant"])
    db.session.commit()
    return p


def test_autosave_saves_and_updates_checks_live(client, world, login, plan):
    login(world.users[roles.APPLICANT])
    url = f"/establishment/plans/{plan.id}/sections/basic"
    response = client.post(url, headers={"HX-Request": "true"}, data={
        "version": "0", "f_applicant_type": "natural", "f_county": "金門縣", "f_distinctive": "安心"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "已自動儲存" in body
    assert "金門縣私立安心居家長照機構" in body and 'id="sec-version" value="1"' in body and 'id="outline"' in body
    bad = client.post(url, headers={"HX-Request": "true"}, data={
        "version": "1", "f_applicant_type": "natural", "f_name": "金門縣安心居家長照機構"}).get_data(as_text=True)
    assert "缺少「私立」" in bad


def test_stale_edit_refused(client, world, login, plan, app_ctx):
    login(world.users[roles.APPLICANT])
    url = f"/establishment/plans/{plan.id}/sections/motive_reason"
    assert client.post(url, data={"version": "0", "f_body": "第一版"}).status_code == 303
    page = client.post(url, data={"version": "0", "f_body": "另一視窗的內容"}).get_data(as_text=True)
    assert "未儲存" in page and "另一視窗的內容" in page
    db.session.expire_all()
    assert db.session.get(m.EstablishmentPlan, plan.id).section_data("motive_reason")["body"] == "第一版"


def test_bad_numbers_not_saved_and_input_kept(client, world, login, plan):
    login(world.users[roles.APPLICANT])
    url = f"/establishment/plans/{plan.id}/sections/capital"
    page = client.post(url, data={"version": "0", "f_capital": "兩百萬", "f_body": "說明"})
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert "請填整數" in text and 'value="兩百萬"' in text


def test_budget_rows_added_and_totals(client, world, login, plan, app_ctx):
    login(world.users[roles.APPLICANT])
    url = f"/establishment/plans/{plan.id}/sections/budget"
    page = client.get(url).get_data(as_text=True)
    assert "行政人員薪資" in page and "總經費需求" in page
    data = {"version": "0", "t_budget_n": "9", "action": "add_row:budget:equipment"}
    for i in range(9):
        data[f"t_budget_{i}__fixed"] = str(i)
    data.update({"t_budget_0_prep_qty": "2", "t_budget_0_prep_price": "30000", "t_budget_0_year1_qty": "12",
                 "t_budget_0_year1_price": "30000", "t_budget_0_year2_qty": "12", "t_budget_0_year2_price": "31000",
                 "t_budget_4_prep_qty": "3", "t_budget_4_prep_price": "15000", "t_budget_4_year1_qty": "12",
                 "t_budget_4_year1_price": "15000", "t_budget_4_year2_qty": "12", "t_budget_4_year2_price": "15000"})
    body = client.post(url, data=data, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "1,197,000" in body  # WE-39
    db.session.expire_all()
    rows = db.session.get(m.EstablishmentPlan, plan.id).section_data("budget")["budget"]
    assert len(rows) == 10 and [r["group"] for r in rows].index("consumables") == 8  # new row inside 設備費


def test_other_applicant_cannot_see_or_edit(client, world, login, plan):
    login(world.other_users[roles.APPLICANT])
    assert client.get(f"/establishment/plans/{plan.id}").status_code == 404
    assert client.post(f"/establishment/plans/{plan.id}/sections/motive_reason",
                       data={"version": "0", "f_body": "x"}).status_code == 404
    login(world.users[roles.BUREAU_OFFICER])
    assert client.get(f"/establishment/plans/{world.foreign['plan_id']}").status_code == 200
    login(world.users[roles.APPLICANT])
    assert FOREIGN_MARKER not in client.get("/establishment").get_data(as_text=True)


def test_upload_rejects_wrong_type(client, world, login, plan, app_ctx):
    login(world.users[roles.APPLICANT])
    client.post(f"/establishment/plans/{plan.id}/uploads/id_front",
                data={"file": (io.BytesIO(b"%PDF-1.4 x"), "id.pdf")}, content_type="multipart/form-data")
    db.session.expire_all()
    assert not db.session.get(m.EstablishmentPlan, plan.id).live_attachments()


def _complete(world, plan):
    fill_plan(world.users[roles.APPLICANT], plan, plan_content([world.areas[0].id], "測試縣"))
    db.session.commit()


def test_submit_refused_until_complete(client, world, login, plan, app_ctx):
    login(world.users[roles.APPLICANT])
    client.post(f"/establishment/plans/{plan.id}/submit")
    db.session.expire_all()
    assert db.session.get(m.EstablishmentPlan, plan.id).status == m.DRAFT


def test_review_flow_with_comments_versions_and_second_decision(client, world, login, plan, app_ctx):
    _complete(world, plan)
    applicant, officer, chief = world.users[roles.APPLICANT], world.users[roles.BUREAU_OFFICER], world.users[roles.BUREAU_CHIEF]
    login(applicant)
    assert client.post(f"/establishment/plans/{plan.id}/submit").status_code == 303
    client.post(f"/establishment/plans/{plan.id}/submit")  # double submit: refused, nothing duplicated
    db.session.expire_all()
    p = db.session.get(m.EstablishmentPlan, plan.id)
    assert p.status == m.SUBMITTED and len(p.submissions) == 1
    login(officer)
    client.post(f"/establishment/plans/{plan.id}/receive", data={"case_number": "設立-114-0001",
                                                                  "received_on": "114/11/20", "version": p.version})
    client.post(f"/establishment/plans/{plan.id}/comments", data={"section_key": "duties", "body": "請補照服員工作項目"})
    db.session.expire_all()
    version = db.session.get(m.EstablishmentPlan, plan.id).version
    assert client.post(f"/establishment/plans/{plan.id}/decide",
                       data={"decision": "return", "note": "請補正", "version": version}).status_code == 303
    login(chief)  # a second reviewer who opened the page before: clear message, nothing changes
    page = client.post(f"/establishment/plans/{plan.id}/decide", data={"decision": "accept", "version": version},
                       follow_redirects=True).get_data(as_text=True)
    assert "退回補件" in page and "不能再審查通過" in page
    login(applicant)
    section = client.get(f"/establishment/plans/{plan.id}/sections/duties").get_data(as_text=True)
    assert "請補照服員工作項目" in section
    home = client.get("/").get_data(as_text=True)
    assert "退回補件" in home
    data = plan_content([world.areas[0].id], "測試縣")["motive_reason"]
    ops.save_section(applicant, db.session.get(m.EstablishmentPlan, plan.id), "motive_reason",
                     {"body": data["body"] + "\n新增一段說明。"}, seen_version=None)
    db.session.commit()
    client.post(f"/establishment/plans/{plan.id}/submit")
    db.session.expire_all()
    p = db.session.get(m.EstablishmentPlan, plan.id)
    assert p.status == m.RECEIVED and p.submission_count == 2  # already numbered: straight back to review
    diff = client.get(f"/establishment/plans/{plan.id}/versions?a=1&b=2").get_data(as_text=True)
    assert "申請動機" in diff and "<ins>" in diff
    login(officer)
    assert "設立計畫書待審查" in client.get("/").get_data(as_text=True)
    client.post(f"/establishment/plans/{plan.id}/decide", data={"decision": "accept", "version": p.version})
    db.session.expire_all()
    p = db.session.get(m.EstablishmentPlan, plan.id)
    client.post(f"/establishment/plans/{plan.id}/site-visit", data={"visited_on": "114/12/1", "result": "pass",
                                                                     "note": "", "version": p.version})
    db.session.expire_all()
    assert db.session.get(m.EstablishmentPlan, plan.id).status == m.VISITED


def test_population_table_loads_into_demand(client, world, login, plan, app_ctx):
    login(world.users[roles.BUREAU_OFFICER])
    area = world.areas[0]
    assert client.post(f"/establishment/population/{area.id}", data={
        "age_65_plus": "21345", "age_50_64": "28410", "disabled_male_50_64": "812", "disabled_female_50_64": "655",
        "disabled_male_under_50": "1034", "disabled_female_under_50": "876", "indigenous_55_64": "37",
        "source": "測試", "is_demo": "y"}).status_code == 303
    login(world.users[roles.APPLICANT])
    client.post(f"/establishment/plans/{plan.id}/sections/areas", data={"version": "0", "f_area_ids": str(area.id)})
    body = client.post(f"/establishment/plans/{plan.id}/sections/demand", headers={"HX-Request": "true"},
                       data={"version": "0", "action": "load_population", "t_population_n": "1",
                             "t_population_0_area_id": str(area.id)}).get_data(as_text=True)
    assert "4,713" in body and "21,345×12.7%" in body  # WE-37 甲區


# --- the PDF in the seed's format -------------------------------------------------------------

CM = 72 / 2.54


def _plan_pdf(client, world, login, plan, tmp_path):
    _complete(world, plan)
    login(world.users[roles.APPLICANT])
    response = client.get(f"/establishment/plans/{plan.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    path = tmp_path / "plan.pdf"
    path.write_bytes(response.data)
    return path


def test_plan_pdf_format(client, world, login, plan, app_ctx, tmp_path):
    import pdfplumber
    path = _plan_pdf(client, world, login, plan, tmp_path)
    with pdfplumber.open(path) as pdf:
        assert len(pdf.pages) >= 30
        for page in pdf.pages:
            # A4 either way round; the seed's margins on every page, landscape ones included
            assert sorted((round(page.width), round(page.height))) == [595, 842], page.page_number
            body = [c for c in page.chars if c["top"] < page.height - 2.5 * CM + 2]
            if not body:
                continue
            left = min(c["x0"] for c in body)
            right = max(c["x1"] for c in body)
            top = min(c["top"] for c in body)
            assert left >= 3 * CM - 1.5, (page.page_number, left)
            assert right <= page.width - 2 * CM + 1.5, (page.page_number, right)
            assert top >= 2.5 * CM - 1.5, (page.page_number, top)
            # page number centred at the bottom, nothing else in the footer
            foot = [c for c in page.chars if c["top"] > page.height - 2.5 * CM]
            assert "".join(c["text"] for c in foot).strip() == str(page.page_number)
            mid = (min(c["x0"] for c in foot) + max(c["x1"] for c in foot)) / 2
            assert abs(mid - (3 * CM + (page.width - 5 * CM) / 2)) < 3, page.page_number
        cover = pdf.pages[0]
        lines = {}
        for c in cover.chars:
            lines.setdefault(round(c["top"]), []).append(c)
        title = next(line for line in lines.values() if "".join(c["text"] for c in line).strip() == "設立計畫書")
        assert title and all(abs(c["size"] - 20) < 0.2 for c in title)  # title 20 pt
        mid = (min(c["x0"] for c in title) + max(c["x1"] for c in title)) / 2
        assert abs(mid - (3 * CM + (cover.width - 5 * CM) / 2)) < 3  # centred in the text area
        body_page = pdf.pages[4]
        sizes = {round(c["size"], 1) for c in body_page.chars if c["top"] < body_page.height - 2.5 * CM}
        assert 14.0 in sizes  # body 14 pt
        fonts = {c["fontname"].split("+")[-1] for p in pdf.pages[:6] for c in p.chars}
        assert any("UKai" in f for f in fonts) and any("Liberation-Serif" in f for f in fonts)
    _check_orientation_and_toc(path)
    _check_body_typography(path)


def _check_body_typography(path):
    """Seed 004 壹、三(三): body 14 pt, line spacing 1.25 (17.5 pt from line to line), 0.5 line (8.75 pt) before
    and after each paragraph (26.25 pt from a paragraph's last line to the next one's first), justified;
    Chinese in the Kai font's traditional face, Latin in the Times-metric serif."""
    import pdfplumber
    from pypdf import PdfReader
    reader = PdfReader(path)
    first = reader.get_destination_page_number(reader.named_destinations["s-q_s1"])
    last = reader.get_destination_page_number(reader.named_destinations["s-fees"])

    def body_lines(page):
        lines = {}
        for c in page.chars:
            if abs(c["size"] - 14) < 0.2 and c["top"] < page.height - 2.5 * CM:
                lines.setdefault(round(c["bottom"], 1), []).append(c)
        return lines
    with pdfplumber.open(path) as pdf:
        # the fullest page of running text among the quality documents
        page = max(pdf.pages[first:last], key=lambda p: len(body_lines(p)))
        lines = body_lines(page)
        kai = sorted(b for b, chars in lines.items() if any("UKai" in c["fontname"] for c in chars))
        gaps = [round(b - a, 2) for a, b in zip(kai, kai[1:]) if b - a < 40]  # (not across the 12 pt 訂定日期)
        assert gaps and all(abs(g - 17.5) < 0.2 or abs(g - 26.25) < 0.2 for g in gaps), gaps
        assert sum(abs(g - 17.5) < 0.2 for g in gaps) >= 10 and any(abs(g - 26.25) < 0.2 for g in gaps)
        right = page.width - 2 * CM
        ends = [max(c["x1"] for c in page.chars if abs(c["bottom"] - b) < 3) for b in kai]
        flush = sum(1 for x in ends if right - x < 1.5)
        assert flush >= len(ends) / 4, (flush, len(ends))  # full lines reach the right margin (justified)
        fonts = {}
        for p in pdf.pages:
            for c in p.chars:
                if c["text"].strip() and c["top"] < p.height - 2.5 * CM:
                    kind = "latin" if c["text"].isascii() else "cjk"
                    fonts.setdefault(kind, set()).add(c["fontname"].split("+")[-1])
        assert fonts["cjk"] <= {"AR-PL-UKai-TW", "DejaVu-Sans"}, fonts["cjk"]  # ☐/☑ only from DejaVu
        assert fonts["latin"] == {"Liberation-Serif"}, fonts["latin"]


def _check_orientation_and_toc(path):
    """Wide tables on landscape pages (forms-and-pdfs.md §7.4: the budget table), every other page
    portrait; every TOC entry links to the page with its heading and prints that page's number."""
    import pdfplumber
    from pypdf import PdfReader

    from portal.establishment.outline import OUTLINE
    reader = PdfReader(path)
    dest_page = {name: reader.get_destination_page_number(d) for name, d in reader.named_destinations.items()}
    entries = [n for n in OUTLINE if n.section.level >= 2]
    assert {f"s-{n.key}" for n in entries} <= set(dest_page)
    with pdfplumber.open(path) as pdf:
        budget_pages = {dest_page["s-budget"]}
        # the budget section runs until the next section starts
        nxt = dest_page["s-funding"]
        budget_pages |= set(range(dest_page["s-budget"], nxt))
        for index, page in enumerate(pdf.pages):
            landscape = page.width > page.height
            assert landscape == (index in budget_pages), (index + 1, landscape)
        assert dest_page["s-projection"] not in budget_pages  # a four-column table: portrait (spec §7 names only the budget)
        printed = {}
        for page in [p for p in pdf.pages[1:4] if p.annots]:
            for annot in page.annots:
                name = (annot.get("data") or {}).get("Dest")
                name = name.decode() if isinstance(name, bytes) else str(name or "").lstrip("/")
                if name not in dest_page:
                    continue
                # the number printed at the right end of the entry (a long entry wraps: its last line)
                line = [c for c in page.chars if abs(c["bottom"] - annot["bottom"]) < 3 and c["x0"] >= annot["x0"] - 1]
                number = re.search(r"\.(\d+)$", "".join(c["text"] for c in sorted(line, key=lambda c: c["x0"])))
                if number:
                    printed.setdefault(name, set()).add(int(number.group(1)))
        assert printed == {f"s-{n.key}": {dest_page[f"s-{n.key}"] + 1} for n in entries}
        for n in entries:
            target = pdf.pages[dest_page[f"s-{n.key}"]].extract_text().replace(" ", "").replace("\n", "")
            assert (n.number + n.section.title).replace(" ", "") in target, n.key


def test_org_chart_drawn_from_staff_tables_on_screen_and_in_pdf(client, world, login, plan, app_ctx, tmp_path):
    import subprocess
    _complete(world, plan)
    login(world.users[roles.APPLICANT])
    page = client.get(f"/establishment/plans/{plan.id}/sections/org_chart").get_data(as_text=True)
    assert "<svg" in page and "組織架構圖（依職掌表及名冊自動繪製）" in page and "兼居服督導" in page
    assert "style=" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]  # CSP: presentation attributes only
    path = tmp_path / "plan.pdf"
    path.write_bytes(client.get(f"/establishment/plans/{plan.id}.pdf").data)
    text = subprocess.run(["pdftotext", "-f", "4", "-l", "7", str(path), "-"], capture_output=True, text=True).stdout
    assert "兼居服督導" in text and "業務負責人" in text
