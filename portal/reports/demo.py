"""Demo result reports: b1's 114年度 report submitted and returned with comments, b2's in draft,
and b1's 113年度 report approved (so the bureau's ZIP has something in it)."""
import io
import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask import current_app

from portal import clock
from portal.clients.models import ClientAccess
from portal.demo import demo_seeder
from portal.extensions import db
from portal.reports import operations as ops
from portal.reports import queries
from portal.reports.photos import store_photo
from portal.reports.settings import current_rules


class _DemoDay:
    """A service day shaped like billing's ServiceDayFigure (used only when billing has no records for the year)."""

    def __init__(self, client_id, day, fraction, status, price, copay):
        self.client_id, self.day, self.day_fraction = client_id, day, fraction
        self.welfare_status, self.declared_amount, self.copayment = status, price, copay


_RATIO = {"general": Decimal("0.16"), "mid_low": Decimal("0.05"), "low": Decimal(0)}


def _demo_days(org, year, rng):
    clients = db.session.execute(db.select(ClientAccess).filter_by(organisation_id=org.id, relation="b_unit")
                                 ).scalars().all()
    days = []
    for link in clients:
        client = link.client
        day = date(year, 1, 2)
        while day.year == year:
            if day.weekday() < 5 and rng.random() < 0.7:
                half = rng.random() < 0.1
                price = 565 if half else 1130
                copay = int(price * _RATIO[client.welfare_status])
                days.append(_DemoDay(client.id, day, Decimal("0.5") if half else Decimal(1), client.welfare_status,
                                     price, copay))
            day += timedelta(days=1)
    return days


def _figures(actor, report, rng):
    days, source = queries.year_service_days(report.organisation_id, report.service_year), "billing"
    if not days:   # billing's demo has no records for that year: made-up days, labelled as such
        days, source = _demo_days(report.organisation, report.service_year, rng), "demo"
    ops.refresh_figures(actor, report, days, queries.client_facts(d.client_id for d in days), **current_rules(),
                        source=source)


def _photo_bytes(seed: int) -> bytes:
    from PIL import Image, ImageDraw
    rng = random.Random(seed)
    image = Image.new("RGB", (1200, 800), (235, 228, 210))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 560, 1200, 800), fill=(170, 140, 100))                         # floor
    draw.rectangle((300, 420, 900, 600), fill=(120, 85, 50))                          # table
    for i in range(4):                                                                # four people around it
        x = 320 + i * 170
        colour = tuple(rng.randint(60, 200) for _ in range(3))
        draw.ellipse((x, 230, x + 90, 320), fill=(240, 205, 170))
        draw.rounded_rectangle((x - 15, 320, x + 105, 480), radius=30, fill=colour)
    for i in range(6):                                                                # craft items on the table
        x = 340 + i * 90
        draw.ellipse((x, 450, x + 50, 490), fill=tuple(rng.randint(100, 255) for _ in range(3)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _fill(actor, report, rng, *, complete=True, photos=2):
    sections = {
        "users": {"analysis": "服務對象以中度至重度失能長者為主，多數由子女照顧；失智長者需較多陪伴與引導。"},
        "courses": {"months": [
            {"month": m, "timetable": "週一 懷舊團體；週三 手作課程；週五 肌力運動",
             "activities": ["新春剪紙", "元宵燈籠", "植栽手作", "懷舊歌謠", "母親節卡片", "端午香包",
                            "桌遊認知", "父親節茶會", "中秋月餅", "重陽敬老", "健康講座", "聖誕手作"][m - 1],
             "participants": 3 + m % 2} for m in range(1, 13)]},
        "conclusion": {"conclusion": "本年度服務穩定，長者出席率高，家屬照顧負荷明顯減輕。",
                       "strengths": "小規模、家庭式的照顧環境讓長者有安全感；活動依長者興趣安排。",
                       "improvements": "戶外活動較少，明年將與社區據點合作增加外出活動。"},
        "satisfaction": {"survey_period": f"{report.roc_year}年11月，紙本問卷", "issued": 5, "returned": 5,
                         "very_satisfied": 3, "satisfied": 2, "neutral": 0, "dissatisfied": 0,
                         "very_dissatisfied": 0,
                         "qualitative": "家屬肯定照顧細心；有家屬希望增加接送時段的彈性，已調整為 8:00–8:30 彈性到托。"},
        "other": {"remarks": "無"},
        "signer": {"title": "負責人（家托員）", "name": actor.full_name,
                   "filled_on": date(report.service_year + 1, 1, 10).isoformat()},
    }
    keys = list(sections) if complete else ["conclusion", "other"]
    for key in keys:
        ops.save_section(actor, report, key, sections[key], seen_version=None)
    upload_dir = current_app.config["UPLOAD_DIR"]
    for i in range(photos):
        stored = store_photo(_photo_bytes(report.id * 10 + i), upload_dir, report.id)
        ops.add_photo(actor, report, month=[3, 10, 12][i % 3], caption=["植栽手作課程", "重陽敬老活動", "聖誕手作"][i % 3],
                      stored=stored)


def _at(year, month, day, hour=10):
    return datetime(year, month, day, hour, 0, tzinfo=clock.TAIPEI)


@demo_seeder(order=60)
def seed_reports(ctx):
    rng = random.Random(114)
    b1, b2 = ctx.orgs["b1"], ctx.orgs["b2"]
    b1head, b2head, officer = ctx.users["b1head"], ctx.users["b2head"], ctx.users["officer"]
    county = "示範縣"
    from portal.reports.views import deadline

    # b1, 113年度: submitted on time and approved.
    old = ops.start_report(b1head, b1, 2024, county_name=county)
    _figures(b1head, old, rng)
    _fill(b1head, old, rng, photos=1)
    ops.submit_report(b1head, old, now=_at(2025, 1, 8), deadline=deadline(2024))
    ops.accept_report(officer, old, "內容完整，准予核定。", now=_at(2025, 1, 20))

    # b1, 114年度: submitted, returned with comments per section.
    report = ops.start_report(b1head, b1, 2025, county_name=county)
    _figures(b1head, report, rng)
    _fill(b1head, report, rng, photos=2)
    ops.submit_report(b1head, report, now=_at(2026, 1, 12), deadline=deadline(2025))
    ops.return_report(officer, report, {
        "courses": "請補充 6 月至 8 月的活動照片，並說明活動人數的計算方式。",
        "satisfaction": "質化分析請摘要家屬的主要意見及單位的回應措施。",
    }, "請依各段落意見補正後再送出。", now=_at(2026, 1, 19, 14))

    # b2, 114年度: a draft with some sections done (now past the due date).
    draft = ops.start_report(b2head, b2, 2025, county_name=county)
    _figures(b2head, draft, rng)
    _fill(b2head, draft, rng, complete=False, photos=0)
