"""Clients: register, duplicate IDs, organisation scope, stale edits, PDF."""
import re
import subprocess

from portal.auth import roles
from portal.clients.models import Client
from portal.extensions import db
from tests.factories import FOREIGN_MARKER, valid_national_id


def _form(world, **over):
    data = {"name": "王大明", "national_id": valid_national_id(4242), "birth_date": "34/5/6", "sex": "M",
            "welfare_status": "general", "cms_level": "4", "service_area_id": world.areas[0].id,
            "contacts-0-name": "王小明", "contacts-0-relation": "兒子", "contacts-0-phone": "0912-000-000",
            "contacts-0-is_primary_caregiver": "y"}
    data.update(over)
    return data


def test_register_client_gives_own_unit_access(client, world, login, app_ctx):
    login(world.users[roles.A_CASE_MANAGER])
    response = client.post("/clients/new", data=_form(world))
    assert response.status_code == 303
    created = db.session.execute(db.select(Client).filter_by(name="王大明")).scalar_one()
    assert created.birth_date.year == 1945
    assert [c.name for c in created.contacts] == ["王小明"]
    assert client.get(f"/clients/{created.id}").status_code == 200
    login(world.other_users[roles.A_CASE_MANAGER])
    assert client.get(f"/clients/{created.id}").status_code == 404


def test_bad_input_errors_next_to_fields_and_input_kept(client, world, login):
    login(world.users[roles.CARE_MANAGER])
    page = client.post("/clients/new", data=_form(world, national_id="A123456788", birth_date="114/2/30",
                                                  dementia_diagnosed="y")).get_data(as_text=True)
    assert "檢查碼不符" in page and "日期不存在" in page and "診斷日期" in page
    assert 'value="王大明"' in page and 'value="114/2/30"' in page


def test_duplicate_national_id_links_to_existing(client, world, login):
    login(world.users[roles.CARE_MANAGER])
    own = world.clients["own"]
    page = client.post("/clients/new", data=_form(world, national_id=own.national_id)).get_data(as_text=True)
    assert "此身分證字號已建檔" in page and f"/clients/{own.id}" in page


def test_duplicate_outside_scope_does_not_leak(client, world, login):
    login(world.users[roles.B_HEAD])
    foreign = world.clients["foreign"]
    page = client.post("/clients/new", data=_form(world, national_id=foreign.national_id)).get_data(as_text=True)
    assert "此身分證字號已建檔" in page and f"/clients/{foreign.id}" not in page and FOREIGN_MARKER not in page


def test_list_is_scoped_and_masked(client, world, login):
    login(world.users[roles.B_STAFF])
    page = client.get("/clients").get_data(as_text=True)
    own = world.clients["own"]
    assert own.name in page and own.masked_id in page and own.national_id not in page
    assert FOREIGN_MARKER not in page
    login(world.users[roles.BUREAU_OFFICER])
    assert FOREIGN_MARKER in client.get("/clients").get_data(as_text=True)


def test_search_fragment(client, world, login):
    login(world.users[roles.BUREAU_OFFICER])
    own = world.clients["own"]
    response = client.get(f"/clients?q={own.national_id[-3:]}", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert "<html" not in body and own.name in body
    assert "HX-Request" in response.headers["Vary"]


def test_stale_edit_refused_and_input_kept(client, world, login, app_ctx):
    own = world.clients["own"]
    login(world.users[roles.BUREAU_OFFICER])
    stale_version = own.version
    assert client.post(f"/clients/{own.id}/edit", data=_form(world, national_id=own.national_id, name="第一人改",
                                                             version=stale_version)).status_code == 303
    page = client.post(f"/clients/{own.id}/edit", data=_form(world, national_id=own.national_id, name="第二人改",
                                                             version=stale_version)).get_data(as_text=True)
    assert "已被其他人更新" in page and 'value="第二人改"' in page
    db.session.expire_all()
    assert db.session.get(Client, own.id).name == "第一人改"


def test_guidance_cannot_edit(client, world, login):
    login(world.users[roles.GUIDANCE_STAFF])
    assert client.get("/clients/new").status_code == 403


def test_client_pdf_has_chinese_text_and_embedded_fonts(client, world, login, tmp_path):
    login(world.users[roles.BUREAU_OFFICER])
    response = client.get(f"/clients/{world.clients['own'].id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = tmp_path / "client.pdf"
    pdf.write_bytes(response.data)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "個案基本資料表" in text and "本單位個案" in text
    assert re.search(r"1\s*/\s*1", text)  # page n / N centred at the bottom
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = [line for line in fonts.splitlines()[2:] if line.strip()]
    assert rows and all(" yes " in row for row in rows), fonts  # every font embedded
    assert "UKai" in fonts and "Liberation-Serif" in fonts
