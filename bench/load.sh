#!/usr/bin/env bash
# Load test (issue 10 §3): gunicorn (workers = 2 × cores) on PostgreSQL, driven from a second process on
# loopback by bench/load.py (50 concurrent users, a bounded number of requests and seconds).
# Runs once with one instance, then with two instances (users spread over both, as behind a proxy).
#
#   DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench bench/load.sh [requests] [seconds]
#
# The database must already hold the data (bench/seed_county.py --fresh). Never point it at a test database.
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS=${1:-9000}
SECONDS_MAX=${2:-60}
USERS=${USERS:-50}
PORTS=(${PORTS:-5107 6107})
PY=${PY:-.venv/bin/python}
GUNICORN=${GUNICORN:-.venv/bin/gunicorn}
[[ -x $PY ]] || PY=/work/main/.venv/bin/python
[[ -x $GUNICORN ]] || GUNICORN=/work/main/.venv/bin/gunicorn
: "${DATABASE_URL:?set DATABASE_URL to the PostgreSQL benchmark database}"
case "$DATABASE_URL" in postgresql*) ;; *) echo "note: not PostgreSQL — the issue's figures are taken on PostgreSQL" >&2;; esac
WORKERS=$(( 2 * $(nproc) ))
# As deployed (docs/deploy.md): Redis holds the kept results shared by every worker and instance.
if [[ -z ${REDIS_URL+x} ]] && "$PY" -c "import redis; redis.Redis(socket_timeout=1).ping()" 2>/dev/null; then
  export REDIS_URL=redis://127.0.0.1:6379/15
fi
export DATABASE_URL SECRET_KEY=${SECRET_KEY:-bench-only-secret} PYTHONPATH=$PWD
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

start_instance() {   # port
  "$GUNICORN" --workers "$WORKERS" --bind "127.0.0.1:$1" --log-level warning --access-logfile /dev/null wsgi:app &
  PIDS+=($!)
  for _ in $(seq 1 120); do
    if "$PY" -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$1/healthz', timeout=2)" 2>/dev/null; then
      return 0
    fi
    sleep 0.5
  done
  echo "instance on port $1 did not start" >&2; exit 1
}

echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "gunicorn: $WORKERS workers per instance; $USERS users; at most $REQUESTS requests or $SECONDS_MAX s per run"
echo "kept results: ${REDIS_URL:-in each worker (no REDIS_URL)}"
echo
echo "== one instance"
start_instance "${PORTS[0]}"
"$PY" bench/load.py --targets "127.0.0.1:${PORTS[0]}" --users "$USERS" --requests "$REQUESTS" --seconds "$SECONDS_MAX" --by-path
echo
echo "== two instances"
start_instance "${PORTS[1]}"
"$PY" bench/load.py --targets "127.0.0.1:${PORTS[0]},127.0.0.1:${PORTS[1]}" --users "$USERS" --requests "$REQUESTS" \
  --seconds "$SECONDS_MAX"
