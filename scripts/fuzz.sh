#!/usr/bin/env bash
# make fuzz: coverage-guided fuzzing of DocRecon's readers (issue 21). Builds docrecon-fuzz with
# AddressSanitizer, SanitizerCoverage and libFuzzer's driver into .build-fuzz, then runs each
# target for FUZZ_SECONDS (default 600) on its corpus (.build-fuzz/fuzz/corpus/TARGET, seeded from
# Samples/, the tests' fixtures and the kept crashers; kept between runs). A crash, a leak-free
# timeout (an input that takes more than FUZZ_TIMEOUT s: a hang) or an out-of-memory is copied to
# Tests/Fuzz/Crashers/TARGET/, where FuzzCrasherTests replays it on every `make test`.
#
#   scripts/fuzz.sh [TARGET...]     FUZZ_SECONDS=60 FUZZ_JOBS=1 FUZZ_TIMEOUT=20 FUZZ_RSS_MB=2048
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${FUZZ_SECONDS:-600}
TIMEOUT=${FUZZ_TIMEOUT:-20}
RSS=${FUZZ_RSS_MB:-2048}
JOBS=${FUZZ_JOBS:-1}
SWIFTC=$(readlink -f "$(command -v swiftc)")
LIBFUZZER=$(ls "$(dirname "$SWIFTC")"/../lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-"$(uname -m)".a 2>/dev/null | head -1)
if [ -z "$LIBFUZZER" ]; then echo "fuzz: this Swift toolchain has no libclang_rt.fuzzer_no_main (needed for libFuzzer)" >&2; exit 1; fi

# ASan: a leak is not what this looks for (the C libraries keep caches for the process's life;
# and LeakSanitizer's exit would drop the buffered output of `list`).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1:handle_abort=1}
export DOCRECON_TODAY=${DOCRECON_TODAY:-2026-11-23} OMP_THREAD_LIMIT=1

BUILD=.build-fuzz
# -parse-as-library is not needed: main.swift calls libFuzzer's LLVMFuzzerRunDriver itself, so
# the archive without libFuzzer's main is linked (libclang_rt.fuzzer_no_main).
swift build -c release --product docrecon-fuzz --build-path "$BUILD" \
  -Xswiftc -DDOCRECON_LIBFUZZER -Xswiftc -sanitize=address \
  -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp \
  -Xlinker "$LIBFUZZER" -Xlinker -lstdc++ 2>&1 | grep -v "Cannot export local symbol" | grep -E "error|warning: unre|Compiling|Build" | tail -3
BIN="$(swift build -c release --build-path "$BUILD" --show-bin-path)/docrecon-fuzz"

TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then mapfile -t TARGETS < <("$BIN" list | awk '{print $1}'); fi


mkdir -p "$BUILD/fuzz"; printf '%-10s %8s %10s %8s %8s %6s  %s\n' target seconds execs exec/s cov ft found >"$BUILD/fuzz/summary.txt"
status=0
for t in "${TARGETS[@]}"; do
  # (not $BUILD/artifacts: SwiftPM keeps its own artifacts there and empties it on a build)
  corpus="$BUILD/fuzz/corpus/$t"; artifacts="$BUILD/fuzz/found/$t/"; log="$BUILD/fuzz/fuzz-$t.log"
  mkdir -p "$corpus" "$artifacts"
  [ -n "$(ls -A "$corpus")" ] || "$BIN" seed "$t" "$corpus" >/dev/null
  before=$(ls "$artifacts" | wc -l)
  echo "== $t: ${SECONDS_EACH}s"
  # libFuzzer stops at the first crash; -max_total_time bounds the whole run.
  "$BIN" fuzz "$t" -max_total_time="$SECONDS_EACH" -timeout="$TIMEOUT" -rss_limit_mb="$RSS" \
    -print_final_stats=1 -artifact_prefix="$artifacts" $([ "$JOBS" -gt 1 ] && echo "-fork=$JOBS") \
    "$corpus" >"$log" 2>&1 || true
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | awk '{s+=$2} END {print s+0}')
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | awk '{s+=$2} END {print s+0}')
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last"); ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  found=$(( $(ls "$artifacts" | wc -l) - before ))
  printf '%-10s %8s %10s %8s %8s %6s  %s\n' "$t" "$SECONDS_EACH" "$execs" "$rate" "${cov:-?}" "${ft:-?}" "$found" | tee -a "$BUILD/fuzz/summary.txt"
  if [ "$found" -gt 0 ]; then
    status=1
    mkdir -p "Tests/Fuzz/Crashers/$t"
    for a in $(ls -t "$artifacts" | head -n "$found"); do
      cp "$artifacts/$a" "Tests/Fuzz/Crashers/$t/$a"
      echo "   new: Tests/Fuzz/Crashers/$t/$a ($(grep -m1 -E 'ERROR: |==ERROR|Fatal error|timeout after' "$log" | head -c 200))"
    done
  fi
done
echo; cat "$BUILD/fuzz/summary.txt"
exit $status
