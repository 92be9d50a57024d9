#!/usr/bin/env python3
"""The peer of bench/recon: a straightforward Python + openpyxl reconciliation, written the way
such a daily tool usually is. Reads the ICE export, evaluates the same billing rules, keeps the
Master Missing ledger in a JSON file, writes the same two workbooks (Data + Summary, and the open
ledger with aging), with bold frozen headers, autofilter and fitted column widths.

usage: peer.py ICE.xlsx --date yyyy-MM-dd --out DIR [--ledger ledger.json]
"""
import argparse, datetime, hashlib, json, os, re, sys
import openpyxl
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

ALIASES = {
    "patient_name": ["patient name", "patient", "name"], "patient_dob": ["dob", "date of birth"],
    "date_of_service": ["date of service", "dos", "service date"], "type_of_care": ["type of care"],
    "type_of_visit": ["type of visit"], "facility": ["facility", "facility name"],
    "assessment": ["assessment", "assestment", "diagnosis", "dx"], "cpt": ["cpt", "cpt code"],
    "servicing_provider": ["servicing provider", "rendering provider", "provider"], "export_date": ["export date"],
}
REQUIRED = ["patient_name", "patient_dob", "date_of_service", "type_of_care", "type_of_visit", "facility", "cpt",
            "servicing_provider", "export_date"]
DATE_FIELDS = ["patient_dob", "date_of_service", "export_date"]
CPT_RE = re.compile(r"^(\d{5}|\d{4}[FT]|[A-V]\d{4})(-[A-Z0-9]{2})*$")


def parse_date(v):
    if isinstance(v, datetime.datetime):
        return v.date()
    if isinstance(v, datetime.date):
        return v
    if isinstance(v, (int, float)):
        return (datetime.datetime(1899, 12, 30) + datetime.timedelta(days=int(v))).date()
    s = str(v or "").strip().split(" ")[0]
    for fmt in ("%m-%d-%Y", "%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.datetime.strptime(s, fmt).date()
        except ValueError:
            pass
    return None


def norm(s):
    return " ".join(str(s or "").upper().split())


def key_of(r):
    cpts = ",".join(sorted(c for c in re.split(r"[,;\s|]+", str(r["cpt"] or "").upper()) if c))
    raw = "\x1f".join([norm(r["patient_name"]), r["patient_dob"].isoformat(), r["date_of_service"].isoformat(),
                       norm(r["facility"]), cpts])
    return hashlib.sha256(raw.encode()).hexdigest()


def reason_of(r):
    if not str(r.get("assessment") or "").strip():
        return "Missing DX"
    if not str(r["cpt"] or "").strip():
        return "Missing CPT"
    codes = [c for c in re.split(r"[,;\s|]+", str(r["cpt"]).upper()) if c]
    if not codes or not all(CPT_RE.match(c) for c in codes):
        return "Invalid CPT"
    if not str(r["facility"] or "").strip():
        return "Invalid Facility"
    if not str(r["servicing_provider"] or "").strip():
        return "Provider validation failed"
    return None


def fit_columns(ws):
    for col in ws.columns:
        width = max(len(str(c.value)) if c.value is not None else 0 for c in col)
        ws.column_dimensions[get_column_letter(col[0].column)].width = min(width + 2, 62)


def header(ws, titles):
    ws.append(titles)
    for c in ws[1]:
        c.font = Font(bold=True)
    ws.freeze_panes = "A2"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ice")
    ap.add_argument("--date", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--ledger", default=None)
    a = ap.parse_args()
    run_date = datetime.date.fromisoformat(a.date)
    os.makedirs(a.out, exist_ok=True)
    ledger_path = a.ledger or os.path.join(a.out, "ledger.json")
    ledger = json.load(open(ledger_path)) if os.path.exists(ledger_path) else {}

    wb = openpyxl.load_workbook(a.ice)
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    headers = [str(h or "").strip() for h in next(rows)]
    pos = {}
    for i, h in enumerate(headers):
        for f, names in ALIASES.items():
            if h.lower() in names and f not in pos:
                pos[f] = i
    missing = [f for f in REQUIRED if f not in pos]
    if missing:
        print(f"{a.ice}: missing required columns {missing}", file=sys.stderr)
        return 2
    data = []
    for n, row in enumerate(rows, start=2):
        r = {f: row[i] if i < len(row) else None for f, i in pos.items()}
        bad = False
        for f in DATE_FIELDS:
            d = parse_date(r[f])
            if d is None:
                print(f"{a.ice} row {n}: {headers[pos[f]]} '{r[f]}' is not a date", file=sys.stderr)
                bad = True
                break
            r[f] = d
        if bad:
            continue
        r["_row"] = list(row)
        r["_reason"] = reason_of(r)
        r["_key"] = key_of(r)
        data.append(r)

    out = openpyxl.Workbook()
    ds = out.active
    ds.title = "Data"
    header(ds, headers + ["Billed", "Reason for not billed"])
    summary = {}
    for r in data:
        cells = list(r["_row"]) + [None] * (len(headers) - len(r["_row"]))
        for f in DATE_FIELDS:
            cells[pos[f]] = r[f]
        ds.append(cells + ["No" if r["_reason"] else "Yes", r["_reason"]])
        k = (r["date_of_service"], str(r["facility"] or ""), str(r["servicing_provider"] or ""), str(r["type_of_care"] or ""))
        s = summary.setdefault(k, [0, 0])
        if not r["_reason"]:
            s[0] += 1
            s[1] += len([c for c in re.split(r"[,;\s|]+", str(r["cpt"]).upper()) if c])
    for row in ds.iter_rows(min_row=2):
        for c in row:
            if isinstance(c.value, datetime.date):
                c.number_format = "mm/dd/yyyy"
    ds.auto_filter.ref = ds.dimensions
    fit_columns(ds)
    ss = out.create_sheet("Summary")
    header(ss, ["Date", "Facility", "Provider", "Type of Care", "PRM Billing", "CPTs"])
    for k in sorted(summary):
        if summary[k][0] > 0:  # groups with billed encounters only
            ss.append(list(k) + summary[k])
    ss.auto_filter.ref = ss.dimensions
    fit_columns(ss)
    mmdd = run_date.strftime("%m-%d-%Y")
    out.save(os.path.join(a.out, f"General Reconciliation {mmdd}.xlsx"))

    # Ledger: add, update, resolve.
    for r in data:
        e = ledger.get(r["_key"])
        if r["_reason"]:
            if e is None:
                ledger[r["_key"]] = {"patient_name": r["patient_name"], "dob": r["patient_dob"].isoformat(),
                                     "dos": r["date_of_service"].isoformat(), "type_of_care": r["type_of_care"],
                                     "type_of_visit": r["type_of_visit"], "facility": r["facility"], "cpt": r["cpt"],
                                     "status": "open", "reason": r["_reason"], "first_seen": a.date,
                                     "last_attempt": a.date, "resolved_on": None}
            elif e["status"] == "open":
                e["last_attempt"] = a.date
                e["reason"] = r["_reason"]
        elif e is not None and e["status"] == "open":
            e["status"] = "resolved"
            e["resolved_on"] = a.date
    json.dump(ledger, open(ledger_path, "w"))

    mw = openpyxl.Workbook()
    ms = mw.active
    ms.title = "Master Missing"
    header(ms, ["Patient Name", "DOB", "Date of Service", "Type of Care", "Type of Visit", "Facility", "CPT",
                "Last Attempt to Process", "Billed", "Reason for not billed", "First Seen", "Days Outstanding", "Aging"])
    for e in sorted((e for e in ledger.values() if e["status"] == "open"), key=lambda e: (e["first_seen"], e["dos"], e["patient_name"])):
        dos = datetime.date.fromisoformat(e["dos"])
        days = (run_date - dos).days
        aging = "0-30" if days <= 30 else "31-60" if days <= 60 else "61-90" if days <= 90 else "91-120" if days <= 120 else "120+"
        ms.append([e["patient_name"], datetime.date.fromisoformat(e["dob"]), dos, e["type_of_care"], e["type_of_visit"],
                   e["facility"], e["cpt"], datetime.date.fromisoformat(e["last_attempt"]), "No", e["reason"],
                   datetime.date.fromisoformat(e["first_seen"]), days, aging])
    ms.auto_filter.ref = ms.dimensions
    fit_columns(ms)
    mw.save(os.path.join(a.out, f"Master Missing to {mmdd}.xlsx"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
