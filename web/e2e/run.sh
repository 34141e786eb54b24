#!/usr/bin/env bash
# End-to-end tests in headless Chromium: starts the local stack (moto, every
# function handler, the pagoPA simulator, the receipt worker) on free loopback
# ports, runs web/e2e/*.test.mjs with node's test runner, and always stops the
# stack. Exit code: node's.
#   make e2e                     (installs what is needed first)
#   web/e2e/run.sh [node --test args…]   e.g. --test-name-pattern=axe
#   DEVSTACK_BIN=path web/e2e/run.sh      uses that devstack binary, without building
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$CHROMIUM_PATH" ] || { echo "e2e: $CHROMIUM_PATH not found (apt-get install chromium, or make deps)" >&2; exit 1; }
[ -x .venv/bin/moto_server ] || { echo "e2e: .venv/bin/moto_server missing (make venv)" >&2; exit 1; }
[ -f web/public/.built ] || { echo "e2e: web/public not built (make assets)" >&2; exit 1; }
[ -z "$(find web/static -type f -newer web/public/.built)" ] || { echo "e2e: web/public is older than web/static (make assets)" >&2; exit 1; }
[ -d web/node_modules/playwright-core ] || { echo "e2e: web/node_modules missing (cd web && npm install)" >&2; exit 1; }

devstack="${DEVSTACK_BIN:-}"
if [ -z "$devstack" ]; then
  echo "e2e: building the devstack"
  cargo build -q -p devstack --bin devstack
  devstack=target/debug/devstack
fi

# shellcheck source=web/e2e/lib.sh
source web/e2e/lib.sh
take_port PORT
take_port SIMULATOR_PORT
take_port AWS_EMULATOR_PORT
export PORT SIMULATOR_PORT AWS_EMULATOR_PORT
export OPERATOR_API_KEY="${OPERATOR_API_KEY:-dev-operator-key}"

artifacts="$root/target/e2e"
rm -rf "$artifacts" && mkdir -p "$artifacts"
log="$artifacts/devstack.log"

# The stack runs in its own session (process group), so that one signal to the
# group also reaches moto, which the devstack spawns.
setsid "$devstack" >"$log" 2>&1 &
stack_pid=$!

node_pid=
stop_stack() {
  local rc=$?
  # Interrupted: stop the tests (node, its test files and their browsers) first.
  stop_group "$node_pid"
  stop_group "$stack_pid"
  exit "$rc"
}
trap stop_stack EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

portal="http://127.0.0.1:$PORT"
echo "e2e: starting the stack (portal $portal, simulator :$SIMULATOR_PORT, moto :$AWS_EMULATOR_PORT)"
wait_for "$portal/health" "the stack" "$stack_pid" "$log" e2e
echo "e2e: stack ready"

export PORTAL_URL="$portal"
export SIMULATOR_URL="http://127.0.0.1:$SIMULATOR_PORT"
export E2E_ARTIFACTS="$artifacts"
# In the background and its own process group, so that a signal to this script
# is handled at once (bash defers traps while a foreground command runs).
set +e
setsid node --test --test-concurrency=1 "$@" web/e2e/*.test.mjs &
node_pid=$!
wait "$node_pid"
rc=$?
node_pid=
set -e
if [ "$rc" -ne 0 ]; then
  echo "e2e: failed (exit $rc); screenshots and pages in $artifacts, stack log in $log" >&2
  exit "$rc"
fi

# The API against its description, on the same stack: no server error, no
# status, content type, header or body the document does not describe, no
# request the document forbids accepted. Bounded and reproducible (fixed seed).
if [ -x .venv-schemathesis/bin/schemathesis ]; then
  echo "e2e: schemathesis on docs/openapi.yaml"
  .venv-schemathesis/bin/schemathesis run docs/openapi.yaml --url "$portal" \
    -H "x-api-key: $OPERATOR_API_KEY" --max-examples 10 --seed 1 --no-color \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection \
    >"$artifacts/schemathesis.log" 2>&1 || rc=$?
  cases=$(grep -A1 '^Test cases:' "$artifacts/schemathesis.log" | tail -n 1)
  generated=$(echo "$cases" | grep -o '[0-9]* generated' | grep -o '[0-9]*' || echo 0)
  failures=$(echo "$cases" | grep -o '[0-9]* unique failures' | grep -o '[0-9]*' || echo 0)
  echo "schemathesis: $(( ${generated:-0} - ${failures:-0} )) passed, ${failures:-0} failed"
  if [ "$rc" -ne 0 ]; then
    grep -E '^(_{3,}|- ST[0-9]+|    (Received|Documented|curl))' "$artifacts/schemathesis.log" | head -n 40 >&2 || true
    echo "e2e: schemathesis found mismatches (see $artifacts/schemathesis.log)" >&2
  fi
fi
exit "$rc"
