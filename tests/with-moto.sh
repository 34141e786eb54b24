#!/usr/bin/env bash
# Runs a command with a fresh moto server on a free loopback port, and stops it
# afterwards. The command sees AWS_ENDPOINT_URL and dummy credentials.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
moto="${MOTO_SERVER:-$root/.venv/bin/moto_server}"
port="${AWS_EMULATOR_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
log="$(mktemp -t moto.XXXXXX.log)"
"$moto" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 300); do
  if curl -sf "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1; then break; fi
  if ! kill -0 $pid 2>/dev/null; then echo "moto failed to start:" >&2; cat "$log" >&2; exit 1; fi
  sleep 0.1
done
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
       AWS_REGION=eu-south-1 AWS_EC2_METADATA_DISABLED=true
"$@"
