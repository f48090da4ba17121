#!/usr/bin/env python
"""County-sized data set for the benchmarks (issue 10 §1).

Builds, in the configured database (DATABASE_URL; SQLite or PostgreSQL), on top of the demo county:
60,000 clients, 40 A units, 400 B units of which 120 family-care homes, two years of daily service
records for the homes (and their monthly declarations), monthly case-management visits for the other
clients, 3,000 incidents, 2,400 audits, 3,000 change-of-provider requests and 1,000 result reports.
The demo users (officer, a1cm, b1head, …) belong to units of the county, so their pages carry a
county's share of the load.

The seeding code is `portal/jobs/bench_seed.py`, shared with the administrator's background job
「縣規模效能測試資料」 (/jobs/bench-seed), which writes into BENCH_DATABASE_URL instead (docs/deploy.md).

Use a database of its own, never a test database:

    createdb -h 127.0.0.1 -U postgres portal_bench
    export DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench
    .venv/bin/python bench/seed_county.py --fresh          # migrate, demo data, then the county
    .venv/bin/python bench/seed_county.py --fresh --scale 0.1   # a tenth of it, for a quick look

It prints the rows added per table and the time taken.
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from portal import create_app  # noqa: E402
from portal.jobs.bench_seed import MissingTemplate, build  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fresh", action="store_true", help="migrate and seed the demo county first")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the county (default 1)")
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--units", type=float, default=1.0,
                        help="fraction of the 40 A / 400 B units (default 1; tests use a few units)")
    args = parser.parse_args()
    app = create_app()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if "test" in url.rsplit("/", 1)[-1]:
        raise SystemExit(f"refusing to seed what looks like a test database: {url}")
    with app.app_context():
        try:
            summary = build(scale=args.scale, seed=args.seed, units=args.units, fresh=args.fresh)
        except MissingTemplate as exc:
            raise SystemExit(str(exc))
        print("\n".join(summary.lines()))


if __name__ == "__main__":
    main()
