"""Activity photos: checked by content (JPEG/PNG only), resized on the server, EXIF stripped.

Files live under UPLOAD_DIR/reports/<report_id>/ with random names and are
served only through the report's scoped view, never as static files.
"""
import hashlib
import io
import os
import uuid
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from portal.errors import Refused

MAX_SIDE = 1600          # longest side of the stored photo
THUMB_SIDE = 640         # screen thumbnails and the PDF (4 photos a page)
MAX_UPLOAD_BYTES = 12 * 1024 * 1024
MAX_PIXELS = 60_000_000  # refuse decompression bombs before decoding
ALLOWED = {"JPEG": "image/jpeg", "PNG": "image/png"}


def report_dir(upload_dir: str, report_id: int) -> Path:
    return Path(upload_dir) / "reports" / str(int(report_id))


def _encode(image: Image.Image, fmt: str, side: int) -> tuple[bytes, tuple[int, int]]:
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if fmt == "PNG":
        copy.save(out, "PNG", optimize=True)
    else:
        copy.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    return out.getvalue(), copy.size


def process_image(raw: bytes) -> dict:
    """Check and re-encode an uploaded image; return bytes of the photo and its thumbnail.

    Raise Refused (zh-TW) for anything that is not a readable JPEG or PNG.
    """
    if not raw:
        raise Refused("請選擇要上傳的照片。", field="photo")
    if len(raw) > MAX_UPLOAD_BYTES:
        raise Refused("照片檔案太大（上限 12 MB），請縮小後再上傳。", field="photo")
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            fmt = probe.format
            if fmt not in ALLOWED:
                raise Refused("只接受 JPEG 或 PNG 格式的照片。", field="photo")
            if probe.width * probe.height > MAX_PIXELS:
                raise Refused("照片像素過大，請縮小後再上傳。", field="photo")
            probe.verify()
        with Image.open(io.BytesIO(raw)) as image:
            image.load()
            image = ImageOps.exif_transpose(image)   # keep the orientation the camera meant, then drop EXIF
            has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
            mode = "RGBA" if fmt == "PNG" and has_alpha else ("L" if image.mode in ("L", "1") else "RGB")
            image = image.convert(mode)
            # Rebuild from pixels only, so no metadata (EXIF, GPS, comments, profiles) survives.
            clean = Image.new(mode, image.size)
            clean.paste(image)
    except Refused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        raise Refused("無法讀取這個檔案；只接受 JPEG 或 PNG 格式的照片。", field="photo") from None
    photo, size = _encode(clean, fmt, MAX_SIDE)
    thumb, _ = _encode(clean, fmt, THUMB_SIDE)
    return {"format": fmt, "photo": photo, "thumb": thumb, "width": size[0], "height": size[1]}


def store_photo(raw: bytes, upload_dir: str, report_id: int) -> dict:
    """Process and write a photo; return the ReportPhoto column values."""
    processed = process_image(raw)
    folder = report_dir(upload_dir, report_id)
    folder.mkdir(parents=True, exist_ok=True)
    ext = "png" if processed["format"] == "PNG" else "jpg"
    name = uuid.uuid4().hex
    stored_name, thumb_name = f"{name}.{ext}", f"{name}-t.{ext}"
    (folder / stored_name).write_bytes(processed["photo"])
    (folder / thumb_name).write_bytes(processed["thumb"])
    return {"stored_name": stored_name, "thumb_name": thumb_name, "mimetype": ALLOWED[processed["format"]],
            "width": processed["width"], "height": processed["height"], "size_bytes": len(processed["photo"]),
            "sha256": hashlib.sha256(processed["photo"]).hexdigest()}


def remove_files(upload_dir: str, report_id: int, stored: dict) -> None:
    """Remove the files of a photo whose database row was never committed."""
    folder = report_dir(upload_dir, report_id)
    for key in ("stored_name", "thumb_name"):
        try:
            os.remove(folder / stored[key])
        except OSError:
            pass


def photo_path(upload_dir: str, report_id: int, name: str) -> Path:
    """Return the path of a stored file; names come from the database, never from the URL."""
    return report_dir(upload_dir, report_id) / Path(name).name
