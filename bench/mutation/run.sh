#!/usr/bin/env bash
# Mutation campaign: hostile mutated copies of the ICE and EBS exports under Samples/ fed to the
# built docrecon binary; reports crashes, hangs and bad error messages.
#
#   bench/mutation/run.sh [RUNS] [TIMEOUT_S] [JOBS]        defaults: 5000 30 2
#
# Environment:
#   DOCRECON_BIN=/path/docrecon  the binary (default: $(swift build --show-bin-path)/docrecon, the
#                                debug build; this script never builds). It is copied into the work
#                                folder first, so a rebuild during the campaign cannot mix binaries.
#   SEED=1                       mutation seed (same seed, same mutants: see mutate.py)
#   MAX_SECONDS=0                wall budget for the runs (0: none); runs not started by then are
#                                counted as "skipped" and reported as such
#   MEM_LIMIT_KB=8388608         ulimit -v for each run (a run that blows past it crashes: kept)
#   KEEP_FOUND=1                 add to bench/mutation/found/ instead of emptying it first
#   MUT_WORK=/tmp/...            work folder (default: a fresh mktemp -d, removed at the end)
#
# Every run is bounded (timeout -s KILL TIMEOUT_S), the number of runs is fixed, so the campaign
# ends by itself. The last line is `RESULT runs=… crashes=… hangs=… bad_messages=…`.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

# ------------------------------------------------------------------------------------------------
# One run (called by xargs as `run.sh --one NAME`; everything else comes in MUT_* variables).
# Writes one line to $MUT_WORK/results/NAME: name class rc seconds bad-message-reason first-stderr-line.
one_run() {
    local name=$1
    local mutant="$MUT_WORK/mutants/$name" res="$MUT_WORK/results/$name"
    if [ "$MUT_DEADLINE" != 0 ] && [ "$(date +%s)" -ge "$MUT_DEADLINE" ]; then
        printf '%s\tskipped\t-\t0\t\n' "$name" >"$res"; return 0
    fi
    local rd; rd="$(mktemp -d "$MUT_WORK/runs/r.XXXXXX")"
    local cmd role
    case "$name" in
        ebs-*)
            # EBS exports are read only by `reconcile --ebs` (docrecon --help / reconcile --help: no
            # other command takes one), and reconcile needs charges: every run dir starts from a
            # copy of a database into which the clean ICE sample was imported once (the same state
            # as `import-ice <clean ICE sample>` in that dir, without 5000 more imports). The run
            # date is DOCRECON_TODAY (no --date), after the ICE export's date, as a clerk's would be.
            role=ebs
            cp -a "$MUT_WORK/template/." "$rd/"
            cmd=("$MUT_BIN" --db "$rd/db.sqlite" reconcile --ebs "$mutant" --out "$rd/out") ;;
        *)
            role=ice
            cmd=("$MUT_BIN" --db "$rd/db.sqlite" import-ice "$mutant") ;;
    esac
    local t0 t1 rc
    t0=$(date +%s%N)
    (
        ulimit -v "$MUT_MEM_KB" 2>/dev/null
        cd "$MUT_ROOT" && exec env DOCRECON_TODAY=2026-11-23 OMP_THREAD_LIMIT=1 SWIFT_BACKTRACE="$MUT_BACKTRACE" \
            timeout --verbose -s KILL "$MUT_TIMEOUT" "${cmd[@]}"
    ) >"$rd/stdout" 2>"$rd/stderr.raw" </dev/null
    rc=$?
    t1=$(date +%s%N)
    local secs; secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    # timeout's own line ("timeout: sending signal KILL to command '…'") marks our kill.
    local hung=0
    if grep -aq "^timeout: sending signal KILL" "$rd/stderr.raw"; then hung=1; fi
    grep -av "^timeout: sending signal KILL" "$rd/stderr.raw" >"$rd/stderr"

    local class bad=""
    if [ $hung = 1 ]; then
        class=hang
    elif [ $rc -ge 128 ] || grep -aqE "Fatal error|Segmentation|Illegal instruction|Program crashed" "$rd/stderr"; then
        class=crash
    elif [ $rc = 0 ]; then
        class=ok
    elif [ $rc = 2 ] || [ $rc = 1 ]; then
        class=rejected
        bad=$(bad_message "$name" "$role" "$rd")
    else
        class=other   # an exit code the CLI does not document (3-127)
    fi
    # The first stderr line (200 characters at most) goes with the result, for reading later.
    local first; first=$(grep -a -m1 . "$rd/stderr" | head -c 200 | tr '\t\r' '  ' | LC_ALL=C tr -d '\000-\010\013-\037')
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$class" "$rc" "$secs" "$bad" "$first" >"$res"

    local keep=""
    case $class in crash|hang|other) keep=$class ;; esac
    if [ -z "$keep" ] && [ -n "$bad" ]; then keep=badmsg; fi
    if [ -n "$keep" ]; then
        mkdir -p "$MUT_FOUND/$keep"
        cp "$mutant" "$MUT_FOUND/$keep/$name"
        cp "$rd/stderr" "$MUT_FOUND/$keep/$name.stderr"
        {
            printf 'class: %s%s\nexit: %s\nseconds: %s\n' "$keep" "${bad:+ ($bad)}" "$rc" "$secs"
            printf 'command (from %s):' "$MUT_ROOT"
            local a; for a in "${cmd[@]}"; do case $a in "$MUT_BIN") a=docrecon ;; "$rd"/*) a="RUNDIR${a#"$rd"}" ;; "$mutant") a="$name" ;; esac; printf ' %q' "$a"; done
            printf '\nmutation: '; grep -F "$name"$'\t' "$MUT_WORK/mutants/manifest.tsv" | cut -f2- || true
            printf -- '--- stdout\n'; head -c 4000 "$rd/stdout"
        } >"$MUT_FOUND/$keep/$name.info"
    fi
    rm -rf "$rd"
}

# Why a rejected run's stderr is not a good message (empty when it is): every file the command
# refuses gets exactly one line beginning with the file's name; rows refused inside an accepted
# file get a line each, beginning with the file's name too. No line over 400 characters, no SQL.
bad_message() {
    local name=$1 role=$2 rd=$3
    local err="$rd/stderr" n
    n=$(grep -ac . "$err")
    if [ "$n" = 0 ]; then echo "no message"; return; fi
    if awk 'length($0) > 400 { f = 1 } END { exit !f }' "$err"; then echo "line over 400 chars"; return; fi
    if grep -aqiE "INSERT INTO|UPDATE [a-z_]+ SET|SELECT .* FROM|DELETE FROM|SQLite error|while executing" "$err"; then
        echo "SQL text"; return
    fi
    local line
    if [ -s "$rd/stdout" ]; then
        # The command went through (its summary is on stdout): row lines, each naming the file.
        while IFS= read -r line; do
            [ -z "$line" ] && continue
            [[ "$line" == "$name "* ]] || { echo "line not naming the file"; return; }
        done <"$err"
    else
        # The file was refused whole: one line. reconcile's refusals end the command with exit 1
        # through ArgumentParser, which puts "Error: " before every such message: allowed there.
        if [ "$n" != 1 ]; then echo "$n lines for one refused file"; return; fi
        line=$(grep -a . "$err")
        [ "$role" = ebs ] && line=${line#"Error: "}
        [[ "$line" == "$name: "* || "$line" == "$name row "* ]] || { echo "line not naming the file"; return; }
    fi
}

if [ "${1:-}" = "--one" ]; then one_run "$2"; exit 0; fi

# ------------------------------------------------------------------------------------------------
RUNS=${1:-5000}
TIMEOUT_S=${2:-30}
JOBS=${3:-2}
SEED=${SEED:-1}
MAX_SECONDS=${MAX_SECONDS:-0}
cd "$ROOT"
T_START=$(date +%s%N)

if [ -n "${DOCRECON_BIN:-}" ]; then SRC_BIN=$DOCRECON_BIN
else SRC_BIN="$(swift build --show-bin-path)/docrecon"; fi
[ -x "$SRC_BIN" ] || { echo "run.sh: no binary at $SRC_BIN (build it first, or set DOCRECON_BIN)" >&2; exit 1; }

if [ -n "${MUT_WORK:-}" ]; then mkdir -p "$MUT_WORK"; OWN_WORK=0
else MUT_WORK="$(mktemp -d /tmp/docrecon-mutation.XXXXXX)"; OWN_WORK=1; fi
cleanup() {
    [ -n "${PROGRESS_PID:-}" ] && kill "$PROGRESS_PID" 2>/dev/null
    if [ "$OWN_WORK" = 1 ]; then rm -rf "$MUT_WORK"; else rm -rf "$MUT_WORK/runs" "$MUT_WORK/template" "$MUT_WORK/mutants"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$MUT_WORK/mutants" "$MUT_WORK/results" "$MUT_WORK/runs" "$MUT_WORK/bin" "$MUT_WORK/template"
rm -f "$MUT_WORK/results/"*
cp "$SRC_BIN" "$MUT_WORK/bin/docrecon"
BIN="$MUT_WORK/bin/docrecon"

MUT_FOUND="$HERE/found"
[ "${KEEP_FOUND:-0}" = 1 ] || rm -rf "$MUT_FOUND"
mkdir -p "$MUT_FOUND"

# Crash reports: the Swift runtime's backtracer, fast and without prompting (a full symbolication
# can take many seconds per crash). An unknown setting would be reported on every run's stderr.
MUT_BACKTRACE=${SWIFT_BACKTRACE:-enable=yes,interactive=no,color=no,symbolicate=fast,threads=crashed,limit=40,timeout=10s}
if SWIFT_BACKTRACE="$MUT_BACKTRACE" "$BIN" --help 2>&1 >/dev/null | grep -q "swift runtime"; then
    echo "run.sh: SWIFT_BACKTRACE='$MUT_BACKTRACE' is refused by the runtime" >&2; exit 1
fi

# Seed files: every .xlsx and .csv under Samples/; EBS exports are the ones named EBS*.
mapfile -d '' SEEDS < <(find Samples \( -name '*.xlsx' -o -name '*.csv' \) -print0 | sort -z)
[ ${#SEEDS[@]} -gt 0 ] || { echo "run.sh: no .xlsx or .csv under Samples/" >&2; exit 1; }
declare -A USED=()
PREFIXES=()
CLEAN_ICE=""
for f in "${SEEDS[@]}"; do
    b=$(basename "$f"); ext=${b##*.}; ext=${ext,,}
    case "${b,,}" in ebs*) role=ebs ;; *) role=ice ;; esac
    p="$role-$ext"; k=2
    while [ -n "${USED[$p]:-}" ]; do p="$role-$ext$k"; k=$((k + 1)); done
    USED[$p]=1; PREFIXES+=("$p")
    if [ "$role" = ice ] && [ "$ext" = xlsx ] && [ -z "$CLEAN_ICE" ]; then CLEAN_ICE=$f; fi
done
[ -n "$CLEAN_ICE" ] || CLEAN_ICE=$(printf '%s\n' "${SEEDS[@]}" | grep -v '/EBS' | head -1)

echo "docrecon mutation campaign: $RUNS runs, timeout ${TIMEOUT_S}s, $JOBS jobs, seed $SEED"
echo "binary: $SRC_BIN (sha256 $(sha256sum "$BIN" | cut -c1-16)…, copied to the work folder)"
echo "work folder: $MUT_WORK"

# Mutants, spread evenly over the seed files.
NSEEDS=${#SEEDS[@]}
for i in "${!SEEDS[@]}"; do
    count=$((RUNS / NSEEDS + (i < RUNS % NSEEDS ? 1 : 0)))
    printf '  seed %-52s -> %-9s %5d mutants\n' "${SEEDS[$i]}" "${PREFIXES[$i]}" "$count"
    [ "$count" -gt 0 ] || continue
    python3 "$HERE/mutate.py" "${SEEDS[$i]}" "$count" "$SEED" "$MUT_WORK/mutants" --prefix "${PREFIXES[$i]}" \
        || { echo "run.sh: mutate.py failed on ${SEEDS[$i]}" >&2; exit 1; }
done
T_MUTANTS=$(date +%s%N)

# The database every EBS run starts from: the clean ICE sample imported once.
env DOCRECON_TODAY=2026-11-23 OMP_THREAD_LIMIT=1 "$BIN" --db "$MUT_WORK/template/db.sqlite" import-ice "$CLEAN_ICE" \
    >"$MUT_WORK/template.log" 2>&1
trc=$?
if [ $trc -gt 2 ] || [ ! -s "$MUT_WORK/template/db.sqlite" ]; then
    echo "run.sh: importing the clean ICE sample failed (exit $trc):" >&2; cat "$MUT_WORK/template.log" >&2; exit 1
fi
rm -f "$MUT_WORK/template/db.sqlite-wal" "$MUT_WORK/template/db.sqlite-shm"
echo "EBS runs start from: import-ice '$CLEAN_ICE' (exit $trc: $(head -1 "$MUT_WORK/template.log"))"

# Baseline: the unmutated seed files, the same way (their class is what an unharmful mutant gets).
echo "baseline (unmutated seeds):"
for i in "${!SEEDS[@]}"; do
    b=$(basename "${SEEDS[$i]}"); ext=${b##*.}
    cp "${SEEDS[$i]}" "$MUT_WORK/mutants/${PREFIXES[$i]}_clean_base.$ext"
    MUT_WORK=$MUT_WORK MUT_BIN=$BIN MUT_TIMEOUT=$TIMEOUT_S MUT_DEADLINE=0 MUT_FOUND="$MUT_WORK/baseline-found" \
        MUT_MEM_KB=${MEM_LIMIT_KB:-8388608} MUT_ROOT=$ROOT MUT_BACKTRACE=$MUT_BACKTRACE \
        "$0" --one "${PREFIXES[$i]}_clean_base.$ext"
    printf '  %-28s %s\n' "${PREFIXES[$i]}_clean_base.$ext" "$(cut -f2,3,5 "$MUT_WORK/results/${PREFIXES[$i]}_clean_base.$ext" | tr '\t' ' ')"
    rm -f "$MUT_WORK/results/${PREFIXES[$i]}_clean_base.$ext" "$MUT_WORK/mutants/${PREFIXES[$i]}_clean_base.$ext"
done

# Run order: by mutant index, seeds interleaved, so a run cut short by MAX_SECONDS still covers
# every seed and kind about evenly.
find "$MUT_WORK/mutants" -maxdepth 1 -type f ! -name manifest.tsv -printf '%f\n' \
    | awk '{ n = $0; sub(/\.[^.]*$/, "", n); k = split(n, a, "_"); printf "%s\t%s\n", a[k], $0 }' \
    | sort -t$'\t' -k1,1 -k2,2 | cut -f2 >"$MUT_WORK/order.txt"
TOTAL=$(wc -l <"$MUT_WORK/order.txt")

export MUT_WORK MUT_BIN="$BIN" MUT_TIMEOUT="$TIMEOUT_S" MUT_FOUND MUT_ROOT="$ROOT" MUT_BACKTRACE
export MUT_MEM_KB=${MEM_LIMIT_KB:-8388608}
if [ "$MAX_SECONDS" != 0 ]; then export MUT_DEADLINE=$(( $(date +%s) + MAX_SECONDS )); else export MUT_DEADLINE=0; fi

( while sleep 60 >/dev/null 2>&1; do   # (sleep not holding our stdout: the caller's pipe closes at the end)
      printf '  … %d/%d runs done (%s)\n' "$(find "$MUT_WORK/results" -type f | wc -l)" "$TOTAL" "$(date +%H:%M:%S)" >&2
  done ) &
PROGRESS_PID=$!
T_RUNS=$(date +%s%N)
tr '\n' '\0' <"$MUT_WORK/order.txt" | xargs -0 -P "$JOBS" -n 1 "$HERE/run.sh" --one
T_END=$(date +%s%N)
kill "$PROGRESS_PID" 2>/dev/null; wait "$PROGRESS_PID" 2>/dev/null; PROGRESS_PID=""

cat "$MUT_WORK/results/"* 2>/dev/null | sort >"$MUT_WORK/results.tsv"
cp "$MUT_WORK/results.tsv" "$MUT_FOUND/results.tsv"
cp "$MUT_WORK/mutants/manifest.tsv" "$MUT_FOUND/manifest.tsv"

# ------------------------------------------------------------------------------------------------
# Summary: per seed and kind, then totals.
awk -F'\t' -v total="$TOTAL" -v t0="$T_START" -v tm="$T_MUTANTS" -v tr="$T_RUNS" -v te="$T_END" -v jobs="$JOBS" '
function kindof(n,   a, k, s) { s = n; sub(/\.[^.]*$/, "", s); k = split(s, a, "_"); return a[1] "_" a[2] }
{
    g = kindof($1); groups[g] = 1
    c[g, $2]++; c["ALL", $2]++; c[g, "runs"]++
    if ($2 != "skipped") { c["ALL", "runs"]++; secs += $4; if ($4 > maxs) { maxs = $4; maxn = $1 } }
    if ($5 != "") { c[g, "bad"]++; c["ALL", "bad"]++; reasons[$5]++ }
}
END {
    printf "\n%-34s %6s %6s %8s %7s %6s %6s %6s %8s\n", "seed_kind", "runs", "ok", "rejected", "crashes", "hangs", "badmsg", "other", "skipped"
    for (g in groups)
        printf "%-34s %6d %6d %8d %7d %6d %6d %6d %8d\n", g, c[g, "runs"], c[g, "ok"], c[g, "rejected"], c[g, "crash"], c[g, "hang"], c[g, "bad"], c[g, "other"], c[g, "skipped"] | "sort"
    close("sort")
    g = "ALL"
    printf "%-34s %6d %6d %8d %7d %6d %6d %6d %8d\n", "TOTAL (runs executed)", c[g, "runs"], c[g, "ok"], c[g, "rejected"], c[g, "crash"], c[g, "hang"], c[g, "bad"], c[g, "other"], c[g, "skipped"]
    for (r in reasons) printf "  bad message: %-40s %d\n", r, reasons[r]
    wall = (te - t0) / 1e9; runwall = (te - tr) / 1e9
    printf "\n%-28s %s\n", "runs executed", c[g, "runs"] " of " total
    printf "%-28s %d\n", "ok", c[g, "ok"]
    printf "%-28s %d\n", "rejected", c[g, "rejected"]
    printf "%-28s %d\n", "crashes", c[g, "crash"]
    printf "%-28s %d\n", "hangs", c[g, "hang"]
    printf "%-28s %d\n", "bad messages", c[g, "bad"]
    printf "%-28s %d\n", "other exit codes", c[g, "other"]
    printf "%-28s %d\n", "skipped (MAX_SECONDS)", c[g, "skipped"]
    printf "%-28s %.1f (%d jobs; %.3f s mean per run; slowest %.2f s: %s)\n", "executions per second", (runwall > 0 ? c[g, "runs"] / runwall : 0), jobs, (c[g, "runs"] ? secs / c[g, "runs"] : 0), maxs, maxn
    printf "%-28s %.1f s (mutants %.1f s, runs %.1f s)\n", "wall time", wall, (tm - t0) / 1e9, runwall
    printf "RESULT runs=%d crashes=%d hangs=%d bad_messages=%d\n", c[g, "runs"], c[g, "crash"], c[g, "hang"], c[g, "bad"]
}' "$MUT_WORK/results.tsv" >"$MUT_WORK/summary.txt"
sed '$d' "$MUT_WORK/summary.txt"
echo "kept in bench/mutation/found/: $(find "$MUT_FOUND" -mindepth 2 -type f ! -name '*.stderr' ! -name '*.info' | wc -l) mutants (crash/ hang/ badmsg/ other/), with results.tsv and manifest.tsv"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
tail -1 "$MUT_WORK/summary.txt"
