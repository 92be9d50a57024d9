#!/usr/bin/env bash
# bench/ocr/memory.sh — resident memory over a long batch: memory must stay flat.
# Ingests PAGES pages (default 1000: copies of the scanned samples with distinct bytes) with
# --jobs 2 and samples VmRSS every 5 s against the number of pages committed.
# Usage: bench/ocr/memory.sh [PAGES]
set -euo pipefail
cd "$(dirname "$0")/../.."
PAGES=${1:-1000}
swift build -c release >/dev/null
BIN=$(swift build -c release --show-bin-path)/docrecon
OUT=bench/out/memory
rm -rf "$OUT"; mkdir -p "$OUT/in"
n=0; r=0
while [ "$n" -lt "$PAGES" ]; do
  r=$((r + 1))
  for f in Samples/sheets/clean-*.pdf Samples/sheets/degraded-*.pdf; do
    [ "$n" -ge "$PAGES" ] && break
    { cat "$f"; printf '%% copy %s\n' "$r"; } > "$OUT/in/$(basename "$f" .pdf)-r$r.pdf"
    case "$f" in *2page*) n=$((n + 2));; *) n=$((n + 1));; esac
  done
done
echo "batch: $(ls "$OUT/in" | wc -l) PDFs, $n pages"
"$BIN" --db "$OUT/db.sqlite" ingest --jobs 2 "$OUT/in" --json > "$OUT/summary.json" &
pid=$!
# the binary re-executes itself once (OMP_THREAD_LIMIT); the pid stays the same across exec.
printf '%8s %8s %10s\n' "seconds" "pages" "rss_MB"
start=$(date +%s)
: > "$OUT/rss.txt"
while kill -0 "$pid" 2>/dev/null; do
  rss=$(awk '/VmRSS/ {print int($2/1024)}' /proc/$pid/status 2>/dev/null || echo 0)
  pages=$(sqlite3 "file:$OUT/db.sqlite?mode=ro" "SELECT count(*) FROM pages" 2>/dev/null || echo 0)
  [ -n "$rss" ] && [ "$rss" != 0 ] && { printf '%8d %8d %10d\n' $(( $(date +%s) - start )) "$pages" "$rss" | tee -a "$OUT/rss.txt"; }
  sleep 5
done
wait "$pid" || true
python3 - "$OUT/rss.txt" <<'PY'
import sys
rows = [tuple(map(int, l.split())) for l in open(sys.argv[1]) if l.strip()]
rows = [r for r in rows if r[1] > 0]
if len(rows) >= 4:
    q = len(rows) // 4
    early = max(r[2] for r in rows[:q]); late = max(r[2] for r in rows[-q:])
    print(f"peak RSS first quarter {early} MB, last quarter {late} MB, overall peak {max(r[2] for r in rows)} MB "
          f"(growth {late - early:+d} MB over {rows[-1][1]} pages)")
PY
