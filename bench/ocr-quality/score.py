#!/usr/bin/env python3
"""Word recall of docrecon and of the tesseract CLI against the ground truth, per page and overall,
for the images bench/ocr-quality/run.sh made. Usage: score.py OUT_DIR OURS_SECONDS CLI_SECONDS

A true word counts as read when the same word (upper-cased, outer punctuation stripped) is among
the page's words as many times as it is in the truth (a multiset match). Pages are split as the
work was: `tune` pages were looked at while tuning the reading, `report` pages never were.
"""
import collections, json, os, re, sqlite3, sys

out, ours_s, cli_s = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])

def norm(t):
    t = t.upper().strip(".,:;()[]{}\"'|!*_-—–")
    return t

def recall(truth, got):
    tc = collections.Counter(norm(t) for t in truth if norm(t))
    gc = collections.Counter(norm(t) for t in got if norm(t))
    n = sum(tc.values())
    return sum(min(c, gc[w]) for w, c in tc.items()), n

def half(name):
    # our samples: pages of samples numbered 01-03 were tuned on; the CMS-1500 dev set: forms 00000-00017
    m = re.match(r"cms1500-(\d+)$", name)
    if m:
        return "tune" if int(m.group(1)) < 18 else "report"
    m = re.search(r"-(\d\d)-", name)
    return "tune" if m and int(m.group(1)) <= 3 else "report"

db = sqlite3.connect(f"{out}/ours.sqlite")
ours = collections.defaultdict(list)
status = {}
for name, text, st in db.execute("""SELECT d.original_name, w.text, p.status FROM documents d
                                     JOIN pages p ON p.document_id = d.id LEFT JOIN words w ON w.page_id = p.id"""):
    key = name.rsplit(".", 1)[0]
    status[key] = st
    if text is not None:
        ours[key].append(text)
for (name,) in db.execute("SELECT original_name FROM documents"):
    status.setdefault(name.rsplit(".", 1)[0], "no page")

rows = []
totals = collections.defaultdict(lambda: [0, 0, 0])  # half -> [ours, cli, n]
worse = []
empty = []
for fn in sorted(os.listdir(f"{out}/truth")):
    name = fn[:-4]
    truth = open(f"{out}/truth/{fn}").read().split()
    cli_path = f"{out}/cli/{name}.txt"
    cli = open(cli_path).read().split() if os.path.exists(cli_path) else []
    o, n = recall(truth, ours.get(name, []))
    c, _ = recall(truth, cli)
    h = half(name)
    t = totals[h]; t[0] += o; t[1] += c; t[2] += n
    rows.append((h, name, o / n * 100, c / n * 100, status.get(name, "rejected")))
    if o / n * 100 < c / n * 100 - 1:
        worse.append(name)
    if not ours.get(name) and status.get(name) == "ok":
        empty.append(name)

print(f"{'half':<7} {'page':<44} {'ours':>6} {'cli':>6}  status")
for h, name, o, c, st in rows:
    flag = "  <-- below cli-1" if o < c - 1 else ""
    print(f"{h:<7} {name:<44} {o:6.1f} {c:6.1f}  {st}{flag}")
print()
for h in ("tune", "report"):
    o, c, n = totals[h]
    if n:
        print(f"{h:>6}: ours {o / n * 100:5.1f}%  tesseract CLI {c / n * 100:5.1f}%  ({n} true words, {sum(1 for r in rows if r[0] == h)} pages)")
o = sum(t[0] for t in totals.values()); c = sum(t[1] for t in totals.values()); n = sum(t[2] for t in totals.values())
print(f"   all: ours {o / n * 100:5.1f}%  tesseract CLI {c / n * 100:5.1f}%  difference {(o - c) / n * 100:+.1f} points")
print(f"pages below the CLI's recall minus 1 point: {len(worse)} of {len(rows)}" + (f" ({', '.join(worse[:8])}{' ...' if len(worse) > 8 else ''})" if worse else ""))
print(f"pages silently empty (status ok, no words): {len(empty)}")
print(f"time: ours {ours_s:.1f} s, tesseract CLI {cli_s:.1f} s, ratio ours/cli {ours_s / cli_s:.2f}")
