#!/usr/bin/env bash
# Runs the cargo-fuzz targets one after another and prints the executions of each.
# FUZZ_SECONDS bounds each target (default 600), FUZZ_RUNS its executions (default: no bound),
# FUZZ_TARGETS picks targets (default: all). New inputs go to target/corpus/<t> (the committed
# seeds in corpus/<t> are only read); a crash stops the run with its input in artifacts/<t>/.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${FUZZ_SECONDS:-600}
runs=${FUZZ_RUNS:--1}
targets=${FUZZ_TARGETS:-token_response config_json config_toml jwt_claims cache_document}
nice=${FUZZ_NICE:-0}

cargo +nightly fuzz build >/dev/null 2>&1 || cargo +nightly fuzz build
mkdir -p target/logs
summary=()
for t in $targets; do
  mkdir -p "target/corpus/$t" "artifacts/$t"
  log="target/logs/$t.log"
  start=$(date +%s)
  status=0
  nice -n "$nice" cargo +nightly fuzz run "$t" "target/corpus/$t" "corpus/$t" -- \
    -max_total_time="$seconds" -runs="$runs" -print_final_stats=1 >"$log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  line="$t: ${execs:-?} executions in $(( $(date +%s) - start )) s"
  if [ "$status" -ne 0 ]; then
    grep -E "panicked|SUMMARY|Test unit written" "$log" >&2 || tail -20 "$log" >&2
    echo "fuzz: $line, FAILED (exit $status; input in fuzz/artifacts/$t/)" >&2
    exit 1
  fi
  echo "fuzz: $line, no crash"
  summary+=("$line")
done
printf 'fuzz summary: %s\n' "${summary[@]}"
