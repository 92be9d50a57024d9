#!/usr/bin/env bash
# Matcher benchmark: 100,000 ICE rows × 20,000 paper charges (matching + grouping ≤ 3 s), how time
# grows from 10k to 100k to 1M ICE rows (near-linear thanks to blocking), and the peer side by side:
# a naive all-pairs matcher with the same rules on the small size (same sets, and the ratio).
# Data is generated in memory (seeded, synthetic names); the SQLite round trip uses a temp file.
#   bench/match/run.sh [--ice N] [--paper N] [--growth 10000,100000,1000000] [--naive N] [--no-database]
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product docrecon-dev >&2
bin="$(swift build -c release --show-bin-path)/docrecon-dev"
echo "machine: $(nproc) cores, $(uname -m); release build"
"$bin" bench-match "$@"
