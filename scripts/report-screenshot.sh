#!/usr/bin/env bash
# Takes headless-Chromium screenshots of the HTML report, to look at it as a person would:
# the overview and one document page (with its page image and field boxes).
#
# usage: scripts/report-screenshot.sh [REPORT_DIR] [OUT_DIR]
#   REPORT_DIR  a folder written by `docrecon report --out DIR` (default: demo-out/report;
#               when it is missing, a report is built from demo-out/docrecon.sqlite)
#   OUT_DIR     where the PNGs go (default: bench/report-screenshot/out)
# Installs Debian's chromium when it is missing (not part of `make deps`).
set -euo pipefail
cd "$(dirname "$0")/.."
REPORT=${1:-demo-out/report}
OUT=${2:-bench/report-screenshot/out}
BIN=${DOCRECON_BIN:-.build/debug/docrecon}

if [ ! -f "$REPORT/index.html" ]; then
  [ -f demo-out/docrecon.sqlite ] || { echo "no report at $REPORT and no demo-out/docrecon.sqlite: run docrecon demo first" >&2; exit 1; }
  "$BIN" --db demo-out/docrecon.sqlite report --out "$REPORT" >/dev/null
fi

CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROME" ]; then
  echo "installing chromium (Debian package)…" >&2
  apt-get install -y chromium >/dev/null
  CHROME=$(command -v chromium)
fi

mkdir -p "$OUT"
OUT=$(realpath "$OUT")
# The document page to show: the one with the most values needing review, else the first.
DOC=$(grep -o 'href="doc-[0-9]*\.html"' "$REPORT/index.html" | head -1 | sed 's/href="//; s/"//')
if [ -f demo-out/docrecon.sqlite ] && command -v sqlite3 >/dev/null; then
  ID=$(sqlite3 demo-out/docrecon.sqlite "SELECT document_id FROM (SELECT document_id, status FROM fields UNION ALL SELECT document_id, status FROM lines) WHERE status='needs_review' GROUP BY document_id ORDER BY count(*) DESC LIMIT 1" 2>/dev/null || true)
  [ -n "$ID" ] && [ -f "$REPORT/doc-$ID.html" ] && DOC="doc-$ID.html"
fi

shot() { # page, png, width, height
  "$CHROME" --headless=new --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --disable-extensions \
    --disable-background-networking --user-data-dir="$(mktemp -d)" \
    --window-size="$3,$4" --screenshot="$2" "file://$(realpath "$REPORT/$1")" >/dev/null 2>&1
  [ -s "$2" ] || { echo "chromium wrote no screenshot of $1" >&2; exit 1; }
  echo "$2"
}
shot index.html "$OUT/overview.png" 1400 1200
shot "$DOC" "$OUT/document.png" 1400 1800
