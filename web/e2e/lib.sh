# Shell helpers of the browser-test runners (sourced by run.sh and
# standard-oidc.sh): free loopback ports, waiting for a service, stopping a
# process group.

# take_port NAME: sets the variable NAME (an array element too) to a free
# loopback port none of the earlier calls gave (not in a subshell: the ports
# given are remembered in `used`).
used=()
take_port() {
  local p
  while :; do
    p="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    [[ " ${used[*]-} " == *" $p "* ]] || break
  done
  used+=("$p")
  printf -v "$1" '%s' "$p"
}

# wait_for URL WHAT PID LOG PREFIX: until URL answers 200; gives up (exit 1,
# showing the log's end) when PID exits or after 120 s.
wait_for() {
  local deadline=$(( $(date +%s) + 120 ))
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" 2>/dev/null)" = 200 ]; do
    if ! kill -0 "$3" 2>/dev/null; then
      echo "$5: $2 exited before it was ready:" >&2; tail -n 40 "$4" >&2; exit 1
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "$5: $2 did not answer 200 within 120 s:" >&2; tail -n 40 "$4" >&2; exit 1
    fi
    sleep 0.3
  done
}

# stop_group PID: TERM its process group, wait up to 5 s, then KILL.
stop_group() {
  local pid=$1
  [ -n "$pid" ] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  fi
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
