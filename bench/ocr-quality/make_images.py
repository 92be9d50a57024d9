#!/usr/bin/env python3
"""Page images for bench/ocr-quality, made from our samples' 300-dpi renderings (pages/*.png and
their ground-truth JSON): each page degraded the way scans from elsewhere are, saved *without*
resolution metadata, with its true words beside it (truth/NAME.txt, one word per line).

Variants (seeded, so every run makes the same images):
  dpi100, dpi150, dpi200  downsampled, light noise
  border                  200 dpi on a dark scanner bed (50-90 px of near-black around the page)
  skew                    200 dpi, rotated 1-3.5 degrees
  fax                     204x196-like: 200 dpi, binarised, speckles, a dropped row here and there
  photo                   150 dpi, uneven light, slight blur, gray
Usage: make_images.py RENDERED_DIR SAMPLES_DIR OUT_DIR
"""
import json, os, random, sys
from PIL import Image, ImageFilter, ImageOps
import numpy as np

src, samples, out = sys.argv[1:4]
os.makedirs(out + "/img", exist_ok=True); os.makedirs(out + "/truth", exist_ok=True)

def truth_words(sample_json, page):
    d = json.load(open(sample_json))
    for p in d["pages"]:
        if p["page"] == page:
            return [w["text"] for w in p["words"]]
    return []

def noisy(a, sigma, rng):
    return np.clip(a + rng.normal(0, sigma, a.shape), 0, 255)

def save(img, name, words):
    img.save(f"{out}/img/{name}.png")  # PIL writes no pHYs unless asked: no resolution metadata
    with open(f"{out}/truth/{name}.txt", "w") as f:
        f.write("\n".join(words) + "\n")

for fn in sorted(os.listdir(src)):
    if not fn.endswith(".png"):
        continue
    base = fn[:-4]                      # e.g. clean-01-superbill-p1
    stem, page = base.rsplit("-p", 1)
    sj = f"{samples}/{stem}.json"
    if not os.path.exists(sj):
        continue
    words = truth_words(sj, int(page))
    if not words:
        continue
    seed = sum(map(ord, base))
    rng = np.random.default_rng(seed); r = random.Random(seed)
    im = Image.open(f"{src}/{fn}").convert("L")
    W, H = im.size
    def at(dpi):
        return im.resize((W * dpi // 300, H * dpi // 300), Image.LANCZOS)
    for dpi in (100, 150, 200):
        a = noisy(np.asarray(at(dpi), dtype=np.float32), 6, rng)
        save(Image.fromarray(a.astype(np.uint8)), f"{base}-dpi{dpi}", words)
    # dark border: the page on a near-black bed
    p = at(200); m = r.randint(50, 90)
    bed = Image.fromarray(noisy(np.full((p.height + 2 * m, p.width + 2 * m), 25, np.float32), 8, rng).astype(np.uint8))
    bed.paste(p, (m + r.randint(-10, 10), m + r.randint(-10, 10)))
    save(bed, f"{base}-border", words)
    # skew
    angle = r.choice([-1, 1]) * r.uniform(1.0, 3.5)
    save(at(200).rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=255), f"{base}-skew", words)
    # fax
    a = np.asarray(at(200), dtype=np.float32)
    b = np.where(noisy(a, 25, rng) < 150, 0, 255).astype(np.uint8)
    specks = rng.random(b.shape) < 0.002
    b[specks] = 0
    for y in rng.choice(b.shape[0], size=b.shape[0] // 150, replace=False):
        b[y, :] = 255
    save(Image.fromarray(b), f"{base}-fax", words)
    # phone photo: light falling off to one corner, blur
    p = at(150).filter(ImageFilter.GaussianBlur(0.8))
    a = np.asarray(p, dtype=np.float32)
    yy, xx = np.mgrid[0:a.shape[0], 0:a.shape[1]]
    light = 1.0 - 0.45 * (xx / a.shape[1] * 0.6 + yy / a.shape[0] * 0.4)
    a = noisy(a * light, 5, rng)
    save(Image.fromarray(a.astype(np.uint8)), f"{base}-photo", words)
