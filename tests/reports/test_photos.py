"""Photos: content type checks, server-side resizing, EXIF stripped, scoped serving."""
import io

import pytest
from PIL import Image

from portal.auth import roles
from portal.errors import Refused
from portal.extensions import db
from portal.reports.photos import MAX_SIDE, process_image
from tests.factories import make_client
from tests.reports.helpers import days_for


def jpeg_bytes(size=(2400, 1200), exif=True, color=(200, 120, 40)):
    image = Image.new("RGB", size, color)
    out = io.BytesIO()
    kwargs = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "CameraMaker"     # Make
        data[0x0112] = 1                 # Orientation
        kwargs["exif"] = data.tobytes()
    image.save(out, "JPEG", quality=90, **kwargs)
    return out.getvalue()


def png_bytes(size=(300, 200)):
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 100, 200, 128)).save(out, "PNG")
    return out.getvalue()


def test_jpeg_resized_and_exif_stripped():
    result = process_image(jpeg_bytes())
    assert result["format"] == "JPEG" and (result["width"], result["height"]) == (MAX_SIDE, 800)
    with Image.open(io.BytesIO(result["photo"])) as image:
        assert image.size == (1600, 800)
        assert not image.getexif() and "exif" not in image.info
    with Image.open(io.BytesIO(result["thumb"])) as thumb:
        assert max(thumb.size) == 640


def test_exif_orientation_applied_before_stripping():
    image = Image.new("RGB", (400, 200), (0, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6   # rotate 90° when shown
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    result = process_image(out.getvalue())
    assert (result["width"], result["height"]) == (200, 400)


def test_png_kept_as_png_small_not_enlarged():
    result = process_image(png_bytes())
    assert result["format"] == "PNG" and (result["width"], result["height"]) == (300, 200)


@pytest.mark.parametrize("raw, message", [
    (b"", "請選擇"),
    (b"<html>not an image</html>", "只接受 JPEG 或 PNG"),
    (b"\xff\xd8\xff\xe0 truncated jpeg", "無法讀取"),
])
def test_bad_uploads_refused(raw, message):
    with pytest.raises(Refused) as exc:
        process_image(raw)
    assert message in str(exc.value)


def test_gif_refused_even_named_jpg():
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    with pytest.raises(Refused, match="只接受 JPEG 或 PNG"):
        process_image(out.getvalue())


def test_upload_view_serving_and_scope(client, world, login, billing, app):
    org = world.orgs["b"]
    billing.set(org, 2025, days_for(make_client([org]), "general", 2))
    db.session.commit()
    login(world.users[roles.B_STAFF])
    client.post("/reports/start", data={"year": 2025})
    from portal.reports.models import ResultReport
    report = db.session.execute(db.select(ResultReport).filter_by(organisation_id=org.id)).scalar_one()
    response = client.post(f"/reports/{report.id}/photos", headers={"HX-Request": "true"},
                           data={"ph-photo": (io.BytesIO(b"GIF89a fake"), "x.jpg"), "ph-caption": "壞檔"},
                           content_type="multipart/form-data")
    assert "只接受 JPEG 或 PNG" in response.get_data(as_text=True)
    response = client.post(f"/reports/{report.id}/photos", headers={"HX-Request": "true"},
                           data={"ph-photo": (io.BytesIO(jpeg_bytes()), "a.jpg"), "ph-caption": "手作課", "ph-month": "5"},
                           content_type="multipart/form-data")
    body = response.get_data(as_text=True)
    assert "照片已上傳" in body and "手作課" in body and "<html" not in body
    db.session.expire_all()
    photo = report.live_photos[0]
    assert photo.month == 5 and photo.width == 1600 and photo.mimetype == "image/jpeg"
    served = client.get(f"/reports/{report.id}/photos/{photo.id}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(served.data)).size == (1600, 800)
    assert client.get(f"/reports/{report.id}/photos/{photo.id}?size=thumb").status_code == 200
    login(world.other_users[roles.B_HEAD])
    assert client.get(f"/reports/{report.id}/photos/{photo.id}").status_code == 404
    login(world.users[roles.B_HEAD])
    assert client.post(f"/reports/{report.id}/photos/{photo.id}/delete").status_code == 303
    db.session.expire_all()
    assert report.live_photos == [] and photo.deleted_at is not None
