#!/usr/bin/env python
"""Screenshot pages of a running portal at desktop and tablet sizes, logged in as a demo user.

    .venv/bin/python scripts/screenshot.py --base http://127.0.0.1:5000 --user officer /admin/calendar /clients

PNGs go to screenshots/<user>-<path>-<viewport>.png. Uses Debian's Chromium (never `playwright install`).
"""
import argparse
import re
from pathlib import Path

from playwright.sync_api import sync_playwright

VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "tablet": {"width": 810, "height": 1080}}
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--base", default="http://127.0.0.1:5000")
    parser.add_argument("--user", default="officer")
    parser.add_argument("--password", default="demo1234")
    parser.add_argument("--out", default="screenshots")
    parser.add_argument("--only", choices=list(VIEWPORTS))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for name, viewport in VIEWPORTS.items():
            if args.only and name != args.only:
                continue
            context = browser.new_context(viewport=viewport, locale="zh-TW", timezone_id="Asia/Taipei")
            page = context.new_page()
            page.goto(args.base + "/login")
            page.fill("#username", args.user)
            page.fill("#password", args.password)
            page.click("button[type=submit]")
            page.wait_for_load_state()
            if "/login" in page.url:
                raise SystemExit(f"login as {args.user} failed")
            for path in args.paths:
                page.goto(args.base + path)
                slug = re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_") or "home"
                target = out / f"{args.user}-{slug}-{name}.png"
                page.screenshot(path=str(target), full_page=True)
                print(target)
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
