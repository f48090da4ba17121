#!/usr/bin/env bash
# Make sure the local Redis (127.0.0.1:6379) answers; start it if not (used by job-queue tests).
set -euo pipefail
if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then exit 0; fi
if ! command -v redis-server >/dev/null; then
  echo "redis-server not installed; Redis tests will be skipped" >&2
  exit 0
fi
echo "Starting Redis…"
mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
  --dir /var/lib/redis --logfile /var/log/redis/ci.log
for _ in $(seq 1 20); do
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && exit 0
  sleep 0.5
done
echo "Redis did not start" >&2
exit 1
