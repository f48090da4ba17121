"""Entry point for gunicorn (`gunicorn wsgi:app`) and `flask` (FLASK_APP=wsgi:app)."""
import gc

from portal import create_app

app = create_app()

# What start-up built (the app, its routes and templates, the ORM's mappings) lives as long as the process. Out
# of the cyclic collector's reach, a full collection no longer walks it again: those collections made the
# allocation-heavy pages' slowest requests 3–4× their median (issue 10: the dispatch recommendation's p95
# 180 → 59 ms, the monthly declaration's 233 → 127 ms; docs/performance.md).
gc.collect()
gc.freeze()
