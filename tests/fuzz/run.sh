#!/usr/bin/env bash
# Builds the fuzz targets (the fuzz preset) and runs each for a while, starting from its seed
# corpus. Exits 1 when any target found a crash, a leak, a timeout or a broken property.
#   tests/fuzz/run.sh [seconds-per-target] [target...]     e.g. tests/fuzz/run.sh 60 json_event
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-600}
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(json_event cbor_event ledger journal mark_file index_lines posting_file config
           event_text query_syntax manifest)
fi

launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  # ccache does not know that the sanitizer ignore list changes the objects.
  export CCACHE_EXTRAFILES=$PWD/tests/fuzz/ubsan_ignorelist.txt
fi
cmake --preset fuzz "${launcher[@]}" >/dev/null
cmake --build --preset fuzz -j "$(nproc)" >/dev/null

build=build-fuzz
found=0
printf '%-14s %8s %12s  %s\n' target seconds executions result
for name in "${targets[@]}"; do
  seeds=tests/fuzz/corpus/$name
  corpus=$build/fuzz-corpus/$name      # what the runs add; the seed corpus stays as committed
  findings=$build/fuzz-findings/$name
  log=$build/fuzz-logs/$name.log
  mkdir -p "$corpus" "$findings" "$(dirname "$log")"
  status=0
  "$build/fuzz/${name}_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$findings/" "$corpus" "$seeds" >"$log" 2>&1 || status=$?
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if ((status != 0)); then
    found=1
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    printf '%-14s %8s %12s  FINDING (exit %d) %s\n' "$name" "$seconds" "${executions:-?}" \
      "$status" "$artifact"
    grep -E -m 12 'ERROR|SUMMARY|property violated|#[0-9]+ 0x|terminate|what\(\)' "$log" | sed 's/^/    /' || true
    echo "    full log: $log"
  else
    printf '%-14s %8s %12s  ok\n' "$name" "$seconds" "${executions:-?}"
  fi
done
exit "$found"
