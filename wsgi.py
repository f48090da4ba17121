"""Entry point for gunicorn (`gunicorn wsgi:app`) and `flask` (FLASK_APP=wsgi:app)."""
import gc

from portal import create_app

GC_YOUNG_THRESHOLD = 10_000

app = create_app()

# What start-up built (the app, its routes and templates, the ORM's mappings) lives as long as the process. Out
# of the cyclic collector's reach, a full collection no longer walks it again: those collections made the
# allocation-heavy pages' slowest requests 3–4× their median (issue 10: the dispatch recommendation's p95
# 180 → 59 ms, the monthly declaration's 233 → 127 ms; docs/performance.md).
gc.collect()
gc.freeze()
# A page allocates tens of thousands of short-lived objects (rows, ORM objects, template output; the monthly
# declaration ~100,000): collecting the youngest generation every 700 allocations (the default) ran ~30 times a
# request and promoted what the request still held. Every 10,000: 5–6% less CPU on the case list and the
# declaration (issue 10, docs/performance.md). Reference counting still frees everything that is not a cycle.
gc.set_threshold(GC_YOUNG_THRESHOLD, 10, 10)
