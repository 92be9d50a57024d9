#!/usr/bin/env bash
# SHA-256 as DocRecon computes it (swift-crypto since issue 16) against sha256sum (coreutils),
# on one file of SIZE_MB (default 1024) random bytes, each hashed twice after a warm-up read.
#   bench/hash/run.sh [SIZE_MB]
set -euo pipefail
cd "$(dirname "$0")/../.."
MB=${1:-1024}
swift build -c release --product docrecon-dev >&2
DEV="$(swift build -c release --show-bin-path)/docrecon-dev"
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
head -c $((MB << 20)) /dev/urandom > "$WORK/blob"
cat "$WORK/blob" > /dev/null
now() { date +%s.%N; }
best() { printf '%s\n' "$@" | sort -n | head -1; }
ours=(); peer=()
for _ in 1 2; do
  t0=$(now); o=$("$DEV" hash "$WORK/blob" | cut -d' ' -f1); t1=$(now); ours+=("$(echo "$t1 - $t0" | bc)")
  t0=$(now); p=$(sha256sum "$WORK/blob" | cut -d' ' -f1); t1=$(now); peer+=("$(echo "$t1 - $t0" | bc)")
done
[ "$o" = "$p" ] || { echo "digests differ: $o $p"; exit 1; }
o=$(best "${ours[@]}"); p=$(best "${peer[@]}")
echo "machine: $(nproc) cores, $(grep -m1 -o 'sha_ni' /proc/cpuinfo || echo 'no sha_ni'); file: $MB MiB"
printf 'docrecon (swift-crypto)  %6.2f s  %6.0f MB/s\n' "$o" "$(echo "$MB * 1.048576 / $o" | bc -l)"
printf 'sha256sum                %6.2f s  %6.0f MB/s\n' "$p" "$(echo "$MB * 1.048576 / $p" | bc -l)"
printf 'ratio sha256sum/docrecon %6.2f\n' "$(echo "$p / $o" | bc -l)"
