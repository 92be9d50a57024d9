#!/usr/bin/env bash
# bench/ocr-quality — word recall of `docrecon ingest` against the plain `tesseract` CLI (psm 3),
# in one run, on the same images: our samples degraded as scans from elsewhere are (100-200 dpi
# without resolution metadata, dark borders, skew, fax, phone light; make_images.py) and the
# third-party CMS-1500 dev set (its values as the truth). Prints recall per page and overall, for the
# pages tuned on and those held out, and the ratio of the two sides' times.
# Usage: bench/ocr-quality/run.sh     (peers and PIL are installed for the benchmark only)
set -euo pipefail
cd "$(dirname "$0")/../.."
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
for p in tesseract-ocr python3-pil python3-numpy; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || {
    echo "installing $p (benchmark only)"; $SUDO apt-get install -y -qq "$p" >/dev/null; }
done
swift build -c release >/dev/null
BIN=$(swift build -c release --show-bin-path)/docrecon
DEV=$(swift build -c release --show-bin-path)/docrecon-dev
OUT=bench/out/ocr-quality
DEV=${CMS1500_DEV:-../shared/data/cms1500/dev}
rm -rf "$OUT"; mkdir -p "$OUT/rendered" "$OUT/cli"
"$DEV" render-pages $(ls Samples/sheets/{clean,degraded}-*.pdf | grep -v cms1500) --out "$OUT/rendered" >/dev/null
/usr/bin/python3 bench/ocr-quality/make_images.py "$OUT/rendered" Samples/sheets "$OUT"
if [ -d "$DEV" ]; then
  # The dev set: the typed values of the boxes the template reads are the truth.
  /usr/bin/python3 - "$DEV" "$OUT" <<'PY'
import json, os, re, shutil, sys
dev, out = sys.argv[1:3]
rules = re.split(r"\n(?:form|  boxes):", open("Rules/templates/cms1500.yaml").read())[0]
boxes = set()
for b in re.finditer(r"boxes?:\s*(\[[^\]]*\]|\S+)", rules):
    boxes |= set(re.findall(r"[A-Za-z_][A-Za-z_0-9{}]*", b.group(1)))
for line in open(f"{dev}/manifest.jsonl"):
    m = json.loads(line)
    d = json.load(open(f"{dev}/{m['json']}"))
    keep = []
    for k, v in d["fields"].items():
        pattern = re.sub(r"\d+", "{n}", k)
        if (k in boxes or pattern in boxes) and isinstance(v, str):
            keep += v.split()
    name = f"cms1500-{m['sample_id']}"
    shutil.copy(f"{dev}/{m['image']}", f"{out}/img/{name}.png")
    open(f"{out}/truth/{name}.txt", "w").write("\n".join(keep) + "\n")
PY
fi
PAGES=$(ls "$OUT"/img/*.png | wc -l)
echo "corpus: $PAGES page images; $(nproc --all) cores; load $(cut -d' ' -f1 /proc/loadavg)"
now() { date +%s.%N; }
export OMP_THREAD_LIMIT=1
# Ours: the pages read as the product reads them (forms registered, the rest as whole pages), one job.
t0=$(now); "$BIN" --db "$OUT/ours.sqlite" ingest --jobs 1 --no-extract "$OUT/img" > "$OUT/ours.log" 2>&1 || true; t1=$(now)
OURS_S=$(python3 -c "print($t1 - $t0)")
t0=$(now)
for f in "$OUT"/img/*.png; do tesseract "$f" "$OUT/cli/$(basename "$f" .png)" >/dev/null 2>&1 || true; done
t1=$(now); CLI_S=$(python3 -c "print($t1 - $t0)")
python3 bench/ocr-quality/score.py "$OUT" "$OURS_S" "$CLI_S" | tee "$OUT/result.txt"
