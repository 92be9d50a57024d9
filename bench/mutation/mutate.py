#!/usr/bin/env python3
"""Writes hostile mutated copies of one spreadsheet export (.xlsx or .csv), deterministically.

    mutate.py SEED_FILE COUNT SEED OUT_DIR [--prefix NAME] [--start K]

Mutant number i (K <= i < K + COUNT) is derived from (SEED, the seed file's base name, i) alone,
so a campaign of 200 holds the first mutants of a campaign of 5000, and any one mutant can be
written again from its name:  mutate.py SEED_FILE 1 SEED OUT --prefix NAME --start i

Kinds, in rotation (i modulo the number of kinds of the file's type):
  .xlsx: bitflip, zipflip-<member>, truncate, repeat, xmledit-<edit>
  .csv:  bitflip, truncate, repeat, quote, bigfield, nul, cronly, dupheader, wide
File names record kind and index: <prefix>_<kind>_<iiii>.<ext>. OUT_DIR/manifest.tsv gets one
line per mutant (name, kind, what exactly was done) appended.

Standard library only (zipfile, zlib, random, struct).
"""
import argparse
import io
import os
import random
import re
import struct
import sys
import zipfile
import zlib

XLSX_KINDS = ["bitflip", "zipflip", "truncate", "repeat", "xmledit"]
CSV_KINDS = ["bitflip", "truncate", "repeat", "quote", "bigfield", "nul", "cronly", "dupheader", "wide"]

# Zip members whose compressed data (zipflip) or XML (xmledit) is attacked, when present.
# (member, weight): the parts the reader parses most get most of the attacks.
XLSX_MEMBERS = [("xl/worksheets/sheet1.xml", 3), ("xl/sharedStrings.xml", 3), ("xl/styles.xml", 2), ("xl/workbook.xml", 2),
                ("[Content_Types].xml", 1), ("xl/_rels/workbook.xml.rels", 1), ("_rels/.rels", 1)]
XML_EDITS = ["delclose", "dupelem", "deepnest", "entity", "numattr", "ctrlchar", "sstindex"]


# ---------------------------------------------------------------- byte-level kinds (any file)

def bitflip(rng, data, lo=0, hi=None):
    """1-16 single-bit flips in data[lo:hi]."""
    b = bytearray(data)
    hi = len(b) if hi is None else hi
    if hi <= lo:
        return bytes(b), "nothing to flip"
    flips = []
    for _ in range(rng.randint(1, 16)):
        at = rng.randrange(lo, hi)
        bit = rng.randrange(8)
        b[at] ^= 1 << bit
        flips.append(f"{at}:{bit}")
    return bytes(b), "flips " + ",".join(flips)


def truncate(rng, data):
    n = rng.randrange(0, max(1, len(data)))
    return data[:n], f"cut to {n} of {len(data)} bytes"


def repeat(rng, data):
    b = bytes(data)
    done = []
    for _ in range(rng.randint(1, 4)):
        size = min(len(b), rng.randint(16, 4096))
        src = rng.randrange(0, len(b) - size + 1)
        dst = rng.randrange(0, len(b) + 1)
        b = b[:dst] + b[src:src + size] + b[dst:]
        done.append(f"{size}B@{src}->{dst}")
    return b, "repeat " + ",".join(done)


# ---------------------------------------------------------------- zip kinds

def member_short(name):
    """xl/worksheets/sheet1.xml -> sheet1 (for file names)."""
    base = name.rsplit("/", 1)[-1]
    base = base.replace("[", "").replace("]", "")
    for ext in (".xml.rels", ".rels", ".xml"):
        if base.endswith(ext):
            base = base[: -len(ext)] + ("-rels" if "rels" in ext and base[: -len(ext)] else "")
            break
    return re.sub(r"[^A-Za-z0-9-]", "", base) or "rels"


def pick_member(rng, names):
    present = [(m, w) for m, w in XLSX_MEMBERS if m in names]
    if not present:
        return rng.choice(sorted(names))
    return rng.choices([m for m, _ in present], weights=[w for _, w in present])[0]


def zipflip(rng, data):
    """Flips inside the compressed data of one member; central directory left as it is."""
    z = zipfile.ZipFile(io.BytesIO(data))
    infos = {i.filename: i for i in z.infolist()}
    name = pick_member(rng, list(infos))
    info = infos[name]
    off = info.header_offset
    sig, = struct.unpack_from("<I", data, off)
    if sig != 0x04034B50:
        raise ValueError(f"{name}: no local header at {off}")
    name_len, extra_len = struct.unpack_from("<HH", data, off + 26)
    start = off + 30 + name_len + extra_len
    out, what = bitflip(rng, data, start, start + info.compress_size)
    return out, name, f"{name} data {start}..{start + info.compress_size}: {what}"


def read_members(data):
    z = zipfile.ZipFile(io.BytesIO(data))
    return [(i, z.read(i.filename)) for i in z.infolist()]


def rezip(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info, body in members:
            zi = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = info.external_attr
            z.writestr(zi, body)
    return buf.getvalue()


# ---------------------------------------------------------------- XML edits

HUGE_NUMBERS = ["99999999999999999999999999", "18446744073709551616", "9223372036854775808",
                "9223372036854775807", "4294967296", "2147483648", "2147483647", "1048577", "16385"]
BAD_NUMBERS = ["-1", "-9223372036854775808", "-0", "", " ", "1e309", "NaN", "inf", "0x10", "1.5", "３",
               "1 2", "\u00a0", "&#x31;", "A", "XFE1048577", "B0", "AAAAAAAAAAAAAAAAAAAA1", "$B$12", "\u0661"]


def _text_positions(x):
    """Offsets just after a '>' that is followed by text (not another tag)."""
    return [m.start() + 1 for m in re.finditer(rb">[^<]", x)]


def edit_delclose(rng, x):
    tags = list(re.finditer(rb"</[A-Za-z_:][^>]*>", x))
    if not tags:
        return None
    m = rng.choice(tags)
    return x[:m.start()] + x[m.end():], f"deleted {m.group().decode(errors='replace')} at {m.start()}"


def edit_dupelem(rng, x):
    opens = list(re.finditer(rb"<([A-Za-z_][A-Za-z0-9_:.-]*)(\s[^>]*)?>", x))
    rng.shuffle(opens)
    for m in opens[:50]:
        if m.group().endswith(b"/>"):
            elem = m.group()
            end = m.end()
        else:
            close = x.find(b"</" + m.group(1) + b">", m.end())
            if close < 0:
                continue
            end = close + len(m.group(1)) + 3
            elem = x[m.start():end]
        times = rng.choice([1, 1, 2, 10, 100]) if len(elem) < 20000 else 1
        return x[:end] + elem * times + x[end:], f"duplicated <{m.group(1).decode()}> ({len(elem)} B) x{times}"
    return None


def edit_deepnest(rng, x):
    gts = [m.end() for m in re.finditer(rb">", x)]
    if not gts:
        return None
    at = rng.choice(gts)
    depth = 10000
    closed = rng.random() < 0.5
    run = b"<a>" * depth + (b"</a>" * depth if closed else b"")
    return x[:at] + run + x[at:], f"{depth} nested <a> at {at}{' closed' if closed else ' unclosed'}"


def edit_entity(rng, x):
    choice = rng.randrange(4)
    if choice == 0:    # billion laughs
        decl = b'<!DOCTYPE r [<!ENTITY l0 "lol">' + b"".join(
            b'<!ENTITY l%d "%s">' % (i, b"&l%d;" % (i - 1) * 10) for i in range(1, 10)) + b"]>"
        ref = b"&l9;"
    elif choice == 1:  # external entity
        decl = b'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        ref = b"&xxe;"
    elif choice == 2:  # plain internal entity
        decl = b'<!DOCTYPE r [<!ENTITY e "Abernathy, Margaret">]>'
        ref = b"&e;"
    else:              # undefined entity, no declaration; or a parameter entity
        decl = rng.choice([b"", b'<!DOCTYPE r [<!ENTITY % p "<!ENTITY q \'x\'>"> %p;]>'])
        ref = rng.choice([b"&undefined;", b"&q;", b"&#0;", b"&#xD800;", b"&#99999999;", b"&amp", b"&"])
    decl_at = x.find(b"?>") + 2 if x.startswith(b"<?xml") else 0
    y = x[:decl_at] + decl + x[decl_at:]
    spots = _text_positions(y)
    n = 0
    for _ in range(rng.randint(1, 20)):
        if not spots:
            break
        at = rng.choice(spots)
        y = y[:at] + ref + y[at:]
        spots = [s + len(ref) if s > at else s for s in spots]
        n += 1
    return y, f"DOCTYPE variant {choice}, {n} x {ref.decode()}"


def edit_numattr(rng, x):
    attrs = list(re.finditer(rb'(?<=\s)(r|s|numFmtId|count|uniqueCount|sheetId|xfId|ySplit|min|max)="([^"]*)"', x))
    if not attrs:
        return None
    m = rng.choice(attrs)
    new = rng.choice(HUGE_NUMBERS + BAD_NUMBERS + ["-" + rng.choice(HUGE_NUMBERS)])
    if m.group(1) == b"r" and rng.random() < 0.5:
        new = rng.choice(["A", "ZZZZ", "XFD", "XFE", "A" * 40]) + rng.choice(["0", "1048577", "99999999999999999999", ""])
    rep = m.group(1) + b'="' + new.encode() + b'"'
    return x[:m.start()] + rep + x[m.end():], f'{m.group().decode()} -> {rep.decode()}'


def edit_ctrlchar(rng, x):
    spots = _text_positions(x) or [len(x) // 2]
    at = rng.choice(spots)
    ch = rng.choice([b"\x00", b"\x01", b"\x07", b"\x08", b"\x0b", b"\x0c", b"\x1b", b"\x7f", b"\x00" * 100,
                     b"\xc0\x80", b"\xed\xa0\x80", b"\xff\xfe", b"\r", b"\x1f"])
    return x[:at] + ch + x[at:], f"inserted {ch[:8]!r}{'...' if len(ch) > 8 else ''} at {at}"


def edit_sstindex(rng, x):
    cells = list(re.finditer(rb'(<c\b[^>]*\bt="s"[^>]*>\s*<v>)([^<]*)(</v>)', x))
    if not cells:
        return None
    m = rng.choice(cells)
    new = rng.choice(HUGE_NUMBERS + ["-1", "-2147483649", "1.0", "1e3", "", " 3", "0x1", "2 ", "+1"])
    y = x[:m.start(2)] + new.encode() + x[m.end(2):]
    return y, f"shared-string index {m.group(2).decode()} -> '{new}' at {m.start(2)}"


EDITS = {"delclose": edit_delclose, "dupelem": edit_dupelem, "deepnest": edit_deepnest, "entity": edit_entity,
         "numattr": edit_numattr, "ctrlchar": edit_ctrlchar, "sstindex": edit_sstindex}


def xmledit(rng, data, index):
    members = read_members(data)
    names = [i.filename for i, _ in members]
    edit = XML_EDITS[(index // len(XLSX_KINDS)) % len(XML_EDITS)]  # every edit in turn
    if edit == "sstindex":
        member = next((n for n in names if n.startswith("xl/worksheets/")), None) or pick_member(rng, names)
    else:
        member = pick_member(rng, names)
    for attempt in [edit] + [e for e in XML_EDITS if e != edit]:
        pos = names.index(member)
        res = EDITS[attempt](rng, members[pos][1])
        if res is not None:
            body, what = res
            members[pos] = (members[pos][0], body)
            return rezip(members), attempt, f"{member}: {what}"
    raise ValueError("no XML edit applies")


# ---------------------------------------------------------------- CSV kinds

def csv_lines(data):
    return data.split(b"\n")


def csv_quote(rng, data):
    b = bytearray(data)
    seps = [i for i, c in enumerate(b) if c in (0x2C, 0x0A)]
    mode = rng.randrange(3)
    if mode == 0 and seps:      # a field that opens a quote and never closes it
        at = rng.choice(seps) + 1
        b[at:at] = b'"'
        what = f"opening quote at {at}"
    else:
        quotes = [i for i, c in enumerate(b) if c == 0x22]
        if mode == 1 and quotes:  # a quote removed (pairs shift)
            at = rng.choice(quotes)
            del b[at]
            what = f"quote at {at} removed"
        else:                     # a stray quote inside an unquoted field
            at = rng.randrange(len(b) + 1)
            b[at:at] = b'"'
            what = f"stray quote at {at}"
    return bytes(b), what


def csv_bigfield(rng, data):
    lines = csv_lines(data)
    li = rng.randrange(len(lines))
    fields = lines[li].split(b",")
    fi = rng.randrange(len(fields))
    size = 1 << 20
    style = rng.randrange(3)
    if style == 0:
        big = b"A" * size
    elif style == 1:   # quoted, with commas and newlines inside
        big = b'"' + (b"x,y\n\"\"z " * (size // 10)) + b'"'
    else:              # digits (a CPT or a date column that is 1 MB long)
        big = b"9" * size
    fields[fi] = big
    lines[li] = b",".join(fields)
    return b"\n".join(lines), f"row {li + 1} field {fi + 1}: {len(big)} B (style {style})"


def csv_nul(rng, data):
    b = bytearray(data)
    spots = []
    for _ in range(rng.randint(1, 16)):
        at = rng.randrange(len(b) + 1)
        n = rng.choice([1, 1, 1, 4, 1000])
        b[at:at] = b"\x00" * n
        spots.append(f"{n}@{at}")
    return bytes(b), "NUL " + ",".join(spots)


def csv_cronly(rng, data):
    d = data.replace(b"\r\n", b"\n")
    if rng.random() < 0.5:
        return d.replace(b"\n", b"\r"), "all line ends CR"
    lines = d.split(b"\n")
    seps = [rng.choice([b"\r", b"\n", b"\r\n", b"\n\r", b"\r\r"]) for _ in lines[:-1]]
    out = b"".join(l + s for l, s in zip(lines, seps)) + lines[-1]
    return out, "mixed CR / LF / CRLF / LFCR line ends"


def csv_dupheader(rng, data):
    lines = csv_lines(data)
    header = lines[0]
    times = rng.choice([1, 2, 50])
    done = []
    for _ in range(times):
        at = rng.randrange(0, len(lines) + 1)
        lines.insert(at, header)
        done.append(str(at))
    return b"\n".join(lines), f"header row inserted at lines {','.join(done[:10])}{'...' if times > 10 else ''}"


def csv_wide(rng, data):
    lines = csv_lines(data)
    cols = 5000
    extra_header = b"," + b",".join(b"Col%d" % i for i in range(cols))
    style = rng.randrange(3)
    if style == 0:     # header and every row that has text
        lines = [l + (extra_header if i == 0 else b"," * cols + b"x") if l else l for i, l in enumerate(lines)]
        what = "5000 extra columns on every row"
    elif style == 1:   # one row only
        li = rng.randrange(len(lines))
        lines[li] = lines[li] + b"," * cols + b"x"
        what = f"row {li + 1}: 5000 extra columns"
    else:              # header only, names repeated (duplicate headers)
        lines[0] = lines[0] + (b"," + lines[0]) * (cols // max(1, lines[0].count(b",") + 1))
        what = "header repeated to 5000 columns"
    return b"\n".join(lines), what


CSV_FUNCS = {"quote": csv_quote, "bigfield": csv_bigfield, "nul": csv_nul, "cronly": csv_cronly,
             "dupheader": csv_dupheader, "wide": csv_wide}


# ---------------------------------------------------------------- driver

def mutate_one(data, ext, seed, base, index):
    rng = random.Random(f"{seed}:{base}:{index}")
    if ext == "xlsx":
        kind = XLSX_KINDS[index % len(XLSX_KINDS)]
        if kind == "bitflip":
            out, what = bitflip(rng, data)
        elif kind == "truncate":
            out, what = truncate(rng, data)
        elif kind == "repeat":
            out, what = repeat(rng, data)
        elif kind == "zipflip":
            out, member, what = zipflip(rng, data)
            kind = "zipflip-" + member_short(member)
        else:
            out, edit, what = xmledit(rng, data, index)
            kind = "xmledit-" + edit
    else:
        kind = CSV_KINDS[index % len(CSV_KINDS)]
        if kind == "bitflip":
            out, what = bitflip(rng, data)
        elif kind == "truncate":
            out, what = truncate(rng, data)
        elif kind == "repeat":
            out, what = repeat(rng, data)
        else:
            out, what = CSV_FUNCS[kind](rng, data)
    return kind, out, what


def default_prefix(path):
    stem = os.path.splitext(os.path.basename(path))[0]
    return re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("seed_file")
    ap.add_argument("count", type=int)
    ap.add_argument("seed", type=int)
    ap.add_argument("out_dir")
    ap.add_argument("--prefix", help="file-name prefix (default: the seed file's name, slugged)")
    ap.add_argument("--start", type=int, default=0, help="first mutant index (default 0)")
    a = ap.parse_args(argv)
    ext = a.seed_file.rsplit(".", 1)[-1].lower()
    if ext not in ("xlsx", "csv"):
        sys.exit(f"mutate.py: {a.seed_file}: not an .xlsx or .csv file")
    with open(a.seed_file, "rb") as f:
        data = f.read()
    base = os.path.basename(a.seed_file)
    prefix = a.prefix or default_prefix(a.seed_file)
    os.makedirs(a.out_dir, exist_ok=True)
    with open(os.path.join(a.out_dir, "manifest.tsv"), "a", encoding="utf-8") as manifest:
        for i in range(a.start, a.start + a.count):
            kind, out, what = mutate_one(data, ext, a.seed, base, i)
            name = f"{prefix}_{kind}_{i:04d}.{ext}"
            with open(os.path.join(a.out_dir, name), "wb") as f:
                f.write(out)
            what = what.replace("\t", " ").replace("\n", "\\n").replace("\r", "\\r")
            manifest.write(f"{name}\t{kind}\t{len(out)}\tcrc32={zlib.crc32(out):08x}\t{what}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
