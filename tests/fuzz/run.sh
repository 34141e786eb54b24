#!/usr/bin/env bash
# Coverage-guided fuzzing (AFL++ through cargo-afl, on stable Rust) of the
# parsers of untrusted input: paForNode requests, the JSON bodies of the
# operator and citizens' APIs, notice numbers, IUVs, fiscal codes, IBANs and
# e-mail addresses. Each target runs FUZZ_SECONDS (default 60) from the seeds in
# seeds/<target> (pagoPA's example messages among them). Prints executions and
# crashes per target and fails if any crashed; crashing inputs are kept in
# out/<target>/default/crashes, to become regression tests.
set -euo pipefail
cd "$(dirname "$0")"
command -v cargo-afl >/dev/null || cargo install cargo-afl --locked
# Builds AFL++ once per toolchain (an error here means it is built already).
cargo afl config --build >/dev/null 2>&1 || true
cargo afl build --release
secs="${FUZZ_SECONDS:-60}"
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
status=0
for t in soap_request json_bodies identifiers; do
  rm -rf "out/$t" && mkdir -p out
  cargo afl fuzz -i "seeds/$t" -o "out/$t" -V "$secs" "target/release/$t" >"out-$t.log" 2>&1 || true
  stats="out/$t/default/fuzzer_stats"
  if [ ! -f "$stats" ]; then echo "$t: did not run (see tests/fuzz/out-$t.log)"; status=1; continue; fi
  field() { awk -F: -v k="$1" '$1 ~ k {gsub(/ /, "", $2); print $2}' "$stats"; }
  echo "$t: $(field execs_done) executions in ${secs} s, $(field corpus_count) inputs, $(field saved_crashes) crashes"
  [ "$(field saved_crashes)" = 0 ] || status=1
done
exit $status
