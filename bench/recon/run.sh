#!/usr/bin/env bash
# Benchmark: docrecon import-ice + reconcile against bench/recon/peer.py (Python + openpyxl),
# on generated ICE exports (no real data). Prints both times, the ratio and our peak memory.
#   bench/recon/run.sh                 sizes 5000 100000 1000000
#   SIZES="5000 100000" bench/recon/run.sh
#   PEER_MAX=100000 (default): the peer is not run above this size (openpyxl needs many minutes).
#   BENCH_BIN=/path/to/docrecon: time that binary instead of building this checkout's.
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZES=${SIZES:-"5000 100000 1000000"}
PEER_MAX=${PEER_MAX:-100000}
WORK=${BENCH_DIR:-/tmp/docrecon-bench-recon}
mkdir -p "$WORK"
PY=python3
if /usr/bin/python3 -c 'import openpyxl' 2>/dev/null; then PY=/usr/bin/python3; fi
$PY -c 'import openpyxl' || { echo "python3-openpyxl is missing: make deps"; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing (Debian package time): make deps"; exit 1; }

if [ -n "${BENCH_BIN:-}" ]; then BIN=$BENCH_BIN   # another build, for A/B runs
else
  swift build -c release >&2
  BIN="$(swift build -c release --show-bin-path)/docrecon"
fi
# The exports are made by the developer tools (docrecon-dev generate-ice), always this checkout's.
swift build -c release --product docrecon-dev >&2
DEV="$(swift build -c release --show-bin-path)/docrecon-dev"
DATE=2026-11-20

now() { date +%s.%N; }
# peak RSS in MB, and CPU seconds (user + system), from a /usr/bin/time -v log
rss() { awk -F: '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$1"; }
cpu() { awk -F: '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$1"; }

printf "%-9s %9s %9s %9s %9s %8s %9s %9s %8s %8s\n" rows import_s recon_s ours_s ours_cpu peak_MB peer_s peer_cpu ratio cpu_ratio
for n in $SIZES; do
  ice="$WORK/Export PRM 11-20-2026 Completed-$n.xlsx"
  [ -s "$ice" ] || "$DEV" generate-ice "$ice" --rows "$n" --seed 7 --export-date $DATE
  rm -rf "$WORK/ours-$n" "$WORK/peer-$n"; mkdir -p "$WORK/ours-$n"
  db="$WORK/ours-$n/db.sqlite"
  t0=$(now)
  /usr/bin/time -v -o "$WORK/ours-$n/import.time" "$BIN" --db "$db" import-ice "$ice" >/dev/null
  t1=$(now)
  /usr/bin/time -v -o "$WORK/ours-$n/recon.time" "$BIN" --db "$db" reconcile --date $DATE --out "$WORK/ours-$n/out" >/dev/null
  t2=$(now)
  imp=$(echo "$t1 - $t0" | bc -l); rec=$(echo "$t2 - $t1" | bc -l); ours=$(echo "$t2 - $t0" | bc -l)
  peak=$(( $(rss "$WORK/ours-$n/import.time") > $(rss "$WORK/ours-$n/recon.time") ? $(rss "$WORK/ours-$n/import.time") : $(rss "$WORK/ours-$n/recon.time") ))
  ourcpu=$(echo "$(cpu "$WORK/ours-$n/import.time") + $(cpu "$WORK/ours-$n/recon.time")" | bc -l)
  # The one-step path (`reconcile --ice FILE`: import and reconcile in one process), beside the
  # two commands (the target is measured on the two commands).
  rm -rf "$WORK/ones-$n"; mkdir -p "$WORK/ones-$n"
  t5=$(now)
  /usr/bin/time -v -o "$WORK/ones-$n/one.time" "$BIN" --db "$WORK/ones-$n/db.sqlite" reconcile --ice "$ice" --date $DATE --out "$WORK/ones-$n/out" >/dev/null 2>&1
  t6=$(now)
  onestep="$n one-step (reconcile --ice): $(printf "%.2f" "$(echo "$t6 - $t5" | bc -l)") s wall, $(cpu "$WORK/ones-$n/one.time") CPU-s, $(rss "$WORK/ones-$n/one.time") MB"
  if [ "$n" -le "$PEER_MAX" ]; then
    mkdir -p "$WORK/peer-$n"
    t3=$(now)
    /usr/bin/time -v -o "$WORK/peer-$n/peer.time" $PY bench/recon/peer.py "$ice" --date $DATE --out "$WORK/peer-$n" 2>/dev/null
    t4=$(now)
    peer=$(echo "$t4 - $t3" | bc -l); ratio=$(echo "$peer / $ours" | bc -l)
    peercpu=$(cpu "$WORK/peer-$n/peer.time"); cratio=$(echo "$peercpu / $ourcpu" | bc -l)
    printf "%-9s %9.2f %9.2f %9.2f %9.2f %8s %9.2f %9.2f %7.1fx %7.1fx\n" "$n" "$imp" "$rec" "$ours" "$ourcpu" "$peak" "$peer" "$peercpu" "$ratio" "$cratio"
  else
    printf "%-9s %9.2f %9.2f %9.2f %9.2f %8s %9s %9s %8s %8s\n" "$n" "$imp" "$rec" "$ours" "$ourcpu" "$peak" "-" "-" "-" "-"
  fi
  echo "  $onestep"
done
echo "ours = import-ice + reconcile (release build, fresh database), wall seconds; *_cpu = user + system CPU seconds"
echo "peak_MB = max RSS of our two processes; ratio = peer wall / ours wall; cpu_ratio = peer CPU / ours CPU"
echo "load average while running: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (the wall ratio suffers on a busy machine)"
echo "peer = bench/recon/peer.py (Python $($PY -c 'import sys; print(sys.version.split()[0])'), openpyxl $($PY -c 'import openpyxl; print(openpyxl.__version__)'))"
