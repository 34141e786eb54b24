#!/usr/bin/env bash
# End-to-end login through a standard OpenID Connect provider: starts
# node-oidc-provider (tests/oidc-provider) and, for each of its clients (UserInfo
# as plain JSON, as a JWT signed RS256, as a JWT signed ES256), a local stack
# whose login goes through it (OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET),
# on free loopback ports; runs web/e2e/standard-oidc/*.test.mjs against each, and
# always stops the stacks and the provider. Run by `make e2e` after web/e2e/run.sh.
#   web/e2e/standard-oidc.sh [node --test args…]
#   DEVSTACK_BIN=path web/e2e/standard-oidc.sh   uses that devstack binary, without building
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$CHROMIUM_PATH" ] || { echo "e2e-oidc: $CHROMIUM_PATH not found (apt-get install chromium, or make deps)" >&2; exit 1; }
[ -x .venv/bin/moto_server ] || { echo "e2e-oidc: .venv/bin/moto_server missing (make venv)" >&2; exit 1; }
[ -f web/public/.built ] || { echo "e2e-oidc: web/public not built (make assets)" >&2; exit 1; }
[ -d web/node_modules/playwright-core ] || { echo "e2e-oidc: web/node_modules missing (cd web && npm install)" >&2; exit 1; }
[ -d tests/oidc-provider/node_modules/oidc-provider ] || { echo "e2e-oidc: tests/oidc-provider/node_modules missing (cd tests/oidc-provider && npm ci)" >&2; exit 1; }

devstack="${DEVSTACK_BIN:-}"
if [ -z "$devstack" ]; then
  echo "e2e-oidc: building the devstack"
  cargo build -q -p devstack --bin devstack
  devstack=target/debug/devstack
fi

CLIENTS=(portale-json portale-jwt portale-jwt-es)

# Distinct free ports: the provider's, then three per stack.
# shellcheck source=web/e2e/lib.sh
source web/e2e/lib.sh
take_port provider_port
declare -A portal_port sim_port aws_port
portals=()
for c in "${CLIENTS[@]}"; do
  take_port "portal_port[$c]"
  take_port "sim_port[$c]"
  take_port "aws_port[$c]"
  portals+=("http://127.0.0.1:${portal_port[$c]}")
done
issuer="http://127.0.0.1:$provider_port"

artifacts="$root/target/e2e-standard-oidc"
rm -rf "$artifacts" && mkdir -p "$artifacts"

provider_pid=
stack_pid=
node_pid=
stop_all() {
  local rc=$?
  stop_group "$node_pid"
  stop_group "$stack_pid"
  stop_group "$provider_pid"
  exit "$rc"
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "e2e-oidc: starting the OpenID Connect provider $issuer"
OIDC_PROVIDER_PORT="$provider_port" PORTAL_URL="$(IFS=,; echo "${portals[*]}")" \
  setsid node tests/oidc-provider/server.mjs >"$artifacts/oidc-provider.log" 2>&1 &
provider_pid=$!
wait_for "$issuer/.well-known/openid-configuration" "the provider" "$provider_pid" "$artifacts/oidc-provider.log" e2e-oidc

rc=0
for c in "${CLIENTS[@]}"; do
  log="$artifacts/devstack-$c.log"
  portal="http://127.0.0.1:${portal_port[$c]}"
  echo "e2e-oidc: stack for client $c (portal $portal)"
  PORT="${portal_port[$c]}" SIMULATOR_PORT="${sim_port[$c]}" AWS_EMULATOR_PORT="${aws_port[$c]}" \
    OPERATOR_API_KEY="${OPERATOR_API_KEY:-dev-operator-key}" \
    OIDC_ISSUER="$issuer" OIDC_CLIENT_ID="$c" OIDC_CLIENT_SECRET="$c-secret" \
    setsid "$devstack" >"$log" 2>&1 &
  stack_pid=$!
  wait_for "$portal/health" "the stack" "$stack_pid" "$log" e2e-oidc
  grep -q "login through the OpenID Connect provider $issuer" "$log" \
    || { echo "e2e-oidc: the stack does not say it uses $issuer" >&2; tail -n 40 "$log" >&2; exit 1; }

  set +e
  PORTAL_URL="$portal" SIMULATOR_URL="http://127.0.0.1:${sim_port[$c]}" E2E_ARTIFACTS="$artifacts" \
    OIDC_PROVIDER_URL="$issuer" OIDC_CLIENT_ID="$c" \
    setsid node --test --test-concurrency=1 "$@" web/e2e/standard-oidc/*.test.mjs &
  node_pid=$!
  wait "$node_pid"
  test_rc=$?
  node_pid=
  set -e
  stop_group "$stack_pid"
  stack_pid=
  if [ "$test_rc" -ne 0 ]; then
    echo "e2e-oidc: client $c failed (exit $test_rc); screenshots in $artifacts, logs $log and $artifacts/oidc-provider.log" >&2
    rc=$test_rc
  fi
done
exit "$rc"
