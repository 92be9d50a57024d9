import GRDB

extension AppDatabase {
    /// Every schema change, in order. Never edit a shipped migration: add a new one.
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-intake") { db in
            try db.create(table: "documents") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("sha256", .text).notNull().unique()
                t.column("original_name", .text).notNull()
                t.column("original_path", .text).notNull()
                t.column("stored_path", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("byte_size", .integer).notNull()
                t.column("page_count", .integer).notNull()
                t.column("status", .text).notNull()
                t.column("error", .text)
                t.column("doc_type", .text)
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
            }
            try db.create(table: "pages") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("document_id", .integer).notNull().indexed().references("documents", onDelete: .cascade)
                t.column("number", .integer).notNull()
                t.column("width", .integer).notNull()
                t.column("height", .integer).notNull()
                t.column("dpi", .integer).notNull()
                t.column("source", .text).notNull()
                t.column("skew_angle", .double).notNull()
                t.column("orientation", .integer).notNull()
                t.column("ocr_seconds", .double).notNull()
                t.column("status", .text).notNull()
                t.column("error", .text)
                t.uniqueKey(["document_id", "number"])
            }
            try db.create(table: "words") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("page_id", .integer).notNull().indexed().references("pages", onDelete: .cascade)
                t.column("text", .text).notNull()
                t.column("x0", .integer).notNull()
                t.column("y0", .integer).notNull()
                t.column("x1", .integer).notNull()
                t.column("y1", .integer).notNull()
                t.column("confidence", .double).notNull()
                t.column("block", .integer).notNull()
                t.column("line", .integer).notNull()
                t.column("word_index", .integer).notNull()
            }
        }
        m.registerMigration("v2-charges") { db in
            try db.create(table: "charges") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("source", .text).notNull()
                t.column("import_id", .integer)
                t.column("row_number", .integer)
                t.column("document_id", .integer).references("documents", onDelete: .cascade)
                t.column("record_index", .integer)
                t.column("line_index", .integer)
                t.column("patient_name", .text).notNull()
                t.column("patient_dob", .text)
                t.column("date_of_service", .text)
                t.column("facility", .text).notNull()
                t.column("type_of_care", .text).notNull()
                t.column("type_of_visit", .text).notNull()
                t.column("servicing_provider", .text).notNull()
                t.column("provider_npi", .text)
                t.column("account_number", .text)
                t.column("cpt", .text).notNull()
                t.column("modifiers", .text).notNull()
                t.column("units", .integer).notNull()
                t.column("amount", .integer)
                t.column("diagnosis_codes", .text).notNull()
                t.column("columns_json", .text)
                t.column("created_at", .datetime).notNull()
            }
            try db.create(index: "charges_on_import", on: "charges", columns: ["import_id", "row_number"])
            try db.create(index: "charges_on_document", on: "charges", columns: ["document_id", "record_index", "line_index"])
        }
        m.registerMigration("v3-reconciliation") { db in
            try db.create(table: "recon_runs") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("run_date", .text).notNull().unique()
                t.column("input_hashes_json", .text).notNull()
                t.column("ebs_file", .text)
                t.column("ebs_sha256", .text)
                t.column("charges", .integer).notNull()
                t.column("billed", .integer).notNull()
                t.column("not_billed", .integer).notNull()
                t.column("encounters", .integer).notNull()
                t.column("added", .integer).notNull()
                t.column("updated", .integer).notNull()
                t.column("resolved", .integer).notNull()
                t.column("open_after", .integer).notNull()
                t.column("forced", .boolean).notNull()
                // Every encounter key the run found billed: sorted 32-byte SHA-256 keys, concatenated.
                t.column("billed_keys", .blob)
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
            }
            // One row per imported file (ICE export) or intake batch (paper charges later): the
            // file hash makes re-importing the same file a no-op; run_id is the reconciliation
            // run whose intake the batch belongs to (NULL until a run takes it).
            try db.create(table: "recon_imports") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("kind", .text).notNull()
                t.column("file_name", .text).notNull()
                t.column("sheet", .text)
                t.column("sha256", .text).notNull()
                t.column("headers_json", .text).notNull()
                t.column("row_count", .integer).notNull()
                t.column("rejected_count", .integer).notNull()
                t.column("run_id", .integer).references("recon_runs", onDelete: .setNull)
                t.column("imported_at", .datetime).notNull()
                t.uniqueKey(["kind", "sha256"])
            }
            try db.create(index: "recon_imports_on_run", on: "recon_imports", columns: ["run_id"])
            // The ledger as events: per run, each encounter key of its intake that was not billed
            // (and why), and each billed key that had a ledger entry; with recon_runs.billed_keys
            // the ledger's state is the fold of the runs in date order.
            try db.execute(sql: """
                CREATE TABLE ledger_events (
                  run_id INTEGER NOT NULL REFERENCES recon_runs(id) ON DELETE CASCADE,
                  key BLOB NOT NULL,
                  billed INTEGER NOT NULL,
                  source TEXT NOT NULL,
                  reason TEXT,
                  patient_name TEXT, patient_dob TEXT, date_of_service TEXT, facility TEXT, cpt TEXT,
                  type_of_care TEXT, type_of_visit TEXT, servicing_provider TEXT,
                  PRIMARY KEY (run_id, key)
                ) WITHOUT ROWID
                """)
            // The fold, materialised: one entry per encounter key ever not billed, with every
            // field the key is made of. Entries are resolved, never deleted.
            try db.create(table: "ledger_entries") { t in
                t.column("key", .text).primaryKey()
                t.column("patient_name", .text).notNull()
                t.column("patient_dob", .text)
                t.column("date_of_service", .text)
                t.column("facility", .text).notNull()
                t.column("cpt", .text).notNull()
                t.column("type_of_care", .text).notNull()
                t.column("type_of_visit", .text).notNull()
                t.column("servicing_provider", .text).notNull()
                t.column("source", .text).notNull()
                t.column("status", .text).notNull()
                t.column("reason", .text)
                t.column("first_seen", .text).notNull()
                t.column("last_attempt", .text).notNull()
                t.column("attempts", .integer).notNull()
                t.column("resolved_on", .text)
            }
            try db.create(index: "ledger_entries_on_status", on: "ledger_entries", columns: ["status"])
        }
        m.registerMigration("v4-extraction") { db in
            // Extracted record fields and service-line cells. A row with status `corrected` was
            // set by a reviewer: re-extraction never overwrites or deletes it.
            for table in ["fields", "lines"] {
                try db.create(table: table) { t in
                    t.autoIncrementedPrimaryKey("id")
                    t.column("document_id", .integer).notNull().references("documents", onDelete: .cascade)
                    t.column("record_index", .integer).notNull()
                    if table == "lines" { t.column("line_index", .integer).notNull() }
                    t.column("name", .text).notNull()
                    t.column("type", .text).notNull()
                    t.column("value", .text)
                    t.column("raw", .text).notNull()
                    t.column("page", .integer).notNull()
                    t.column("x0", .integer)
                    t.column("y0", .integer)
                    t.column("x1", .integer)
                    t.column("y1", .integer)
                    t.column("confidence", .double).notNull()
                    t.column("status", .text).notNull()
                    t.column("problem", .text)
                    t.column("template", .text).notNull()
                    t.column("rule", .text).notNull()
                    t.column("second_look", .text)
                    t.column("extracted_value", .text)
                    t.column("updated_at", .datetime).notNull()
                }
            }
            try db.create(index: "fields_key", on: "fields", columns: ["document_id", "record_index", "name"], unique: true)
            try db.create(index: "lines_key", on: "lines", columns: ["document_id", "record_index", "line_index", "name"], unique: true)
        }
        m.registerMigration("v5-matching") { db in
            // Matched sets (issue 5). A set's id is its smallest member charge id, so an
            // incremental update and a full recomputation give the same ids.
            try db.create(table: "match_sets") { t in
                t.primaryKey("id", .integer)
                t.column("status", .text).notNull()
                t.column("member_count", .integer).notNull()
                t.column("differences_json", .text).notNull()
                t.column("conflicts_json", .text).notNull()
            }
            try db.create(index: "match_sets_on_status", on: "match_sets", columns: ["status"])
            // Every charge the matcher has seen is in exactly one set (alone when nothing links it).
            // document_id/import_id are kept so deleted charges can still be found by their source;
            // fingerprint says which field values the set was computed from.
            try db.create(table: "match_set_members") { t in
                t.primaryKey("charge_id", .integer)
                t.column("set_id", .integer).notNull()
                t.column("kind", .text).notNull()
                t.column("document_id", .integer)
                t.column("import_id", .integer)
                t.column("fingerprint", .integer).notNull()
            }
            try db.create(index: "match_set_members_on_set", on: "match_set_members", columns: ["set_id"])
            try db.create(index: "match_set_members_on_document", on: "match_set_members", columns: ["document_id"])
            try db.create(index: "match_set_members_on_import", on: "match_set_members", columns: ["import_id"])
            try db.create(table: "match_links") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("set_id", .integer).notNull()
                t.column("rule", .text).notNull()
                t.column("a_kind", .text).notNull()
                t.column("a_id", .integer).notNull()
                t.column("b_kind", .text).notNull()
                t.column("b_id", .integer).notNull()
                t.column("a_code", .text)
                t.column("b_code", .text)
                t.column("score", .double).notNull()
                t.column("parent_rule", .text)
                t.column("parent_score", .double)
            }
            try db.create(index: "match_links_on_set", on: "match_links", columns: ["set_id"])
            // Hashed blocking keys of the encounter rules: an update finds the blocks a changed
            // charge was in (old keys) and is now in (new keys) without comparing all rows.
            try db.create(table: "match_keys") { t in
                t.column("charge_id", .integer).notNull()
                t.column("key", .integer).notNull()
                t.primaryKey(["charge_id", "key"])
            }
            try db.create(index: "match_keys_on_key", on: "match_keys", columns: ["key"])
            try db.create(table: "match_state") { t in
                t.primaryKey("id", .integer)
                t.column("rules_fingerprint", .text).notNull()
                t.column("updated_at", .datetime).notNull()
            }
        }
        m.registerMigration("v6-review") { db in
            // Reviewer corrections and acceptances (issue 6): an append-only audit trail (the
            // triggers refuse UPDATE and DELETE; no foreign key, so deleting a document cannot
            // cascade into it) and the fields each reviewer skipped in the review queue
            // (line_index -1 for a record field).
            try db.execute(sql: """
                CREATE TABLE audit (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  at TEXT NOT NULL,
                  reviewer TEXT NOT NULL,
                  action TEXT NOT NULL,
                  document_id INTEGER NOT NULL,
                  document_name TEXT NOT NULL,
                  document_sha256 TEXT NOT NULL,
                  record_index INTEGER NOT NULL,
                  line_index INTEGER,
                  field TEXT NOT NULL,
                  old TEXT,
                  new TEXT,
                  reason TEXT,
                  forced INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX audit_on_document ON audit (document_id, id);
                CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
                  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: rows cannot be changed'); END;
                CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
                  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: rows cannot be deleted'); END;
                CREATE TABLE review_skips (
                  reviewer TEXT NOT NULL,
                  document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
                  record_index INTEGER NOT NULL,
                  line_index INTEGER NOT NULL,
                  field TEXT NOT NULL,
                  skipped_at TEXT NOT NULL,
                  PRIMARY KEY (reviewer, document_id, record_index, line_index, field)
                ) WITHOUT ROWID;
                """)
        }
        m.registerMigration("v7-charge-cells") { db in
            // The original cells of an ICE row in the compact binary form of `RowCells` (a third
            // of the JSON's size: the cells equal to a typed column are only referenced). Rows
            // imported before keep their `columns_json`; new rows leave it NULL.
            try db.alter(table: "charges") { t in t.add(column: "columns_bin", .blob) }
        }
        m.registerMigration("v8-partial-document-index") { db in
            // ICE rows have no document: indexing their NULLs cost an index insert per imported
            // row for nothing. Every lookup is `document_id = ?` / `IN (…)` (and the cascade from
            // documents), which SQLite serves from the partial index.
            try db.execute(sql: """
                DROP INDEX charges_on_document;
                CREATE INDEX charges_on_document ON charges (document_id, record_index, line_index) WHERE document_id IS NOT NULL;
                """)
        }
        m.registerMigration("v9-imported-cells-immutable") { db in
            // An imported row's cells that equal one of its typed columns are stored only as a
            // reference to that column (RowCells): changing the column would silently change what
            // the export said. Nothing edits an imported (ICE) row; this makes sure nothing can
            // (writing a row back unchanged, as a full-record update does, stays allowed).
            let guarded = ["patient_name", "patient_dob", "date_of_service", "facility", "type_of_care", "type_of_visit",
                           "servicing_provider", "provider_npi", "cpt", "diagnosis_codes", "columns_bin", "columns_json"]
            try db.execute(sql: """
                CREATE TRIGGER charges_imported_cells_immutable
                BEFORE UPDATE OF \(guarded.joined(separator: ", ")) ON charges
                WHEN OLD.source = 'ice' AND OLD.columns_bin IS NOT NULL
                  AND (\(guarded.map { "OLD.\($0) IS NOT NEW.\($0)" }.joined(separator: " OR ")))
                BEGIN SELECT RAISE(ABORT, 'an imported row keeps the values of its export: it cannot be changed'); END;
                """)
        }
        m.registerMigration("v10-paper-charges-index") { db in
            // `reconcile` asks whether there are paper charges at all before each run; without an
            // index that walked every charge (~10 ms at 100,000 ICE rows). ICE rows are not in
            // this partial index: an import pays only the test of its condition per row.
            try db.execute(sql: "CREATE INDEX charges_paper ON charges (id) WHERE source = 'paper'")
        }
        // How a page registered against a template's printed form (issue 13): its mapping, the fit.
        m.registerMigration("v11-page-forms") { db in
            try db.create(table: "page_forms") { t in
                t.primaryKey("page_id", .integer).references("pages", onDelete: .cascade)
                t.column("template", .text).notNull()
                t.column("mapping", .text).notNull()
                t.column("residual", .double).notNull()
                t.column("inliers", .double).notNull()
                t.column("skew", .double).notNull()
                t.column("accepted", .boolean).notNull()
            }
        }
        m.registerMigration("v12-daily-runs") { db in
            // `docrecon run` / `watch` (Daily/): each run and what it did (its report as JSON, no
            // patient values), the EBS answer each date was reconciled with (asked once per date),
            // what each date's reconciliation was made of (a run with nothing new is a no-op), and
            // the workbooks waiting for or past delivery.
            try db.execute(sql: """
                CREATE TABLE daily_runs (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  kind TEXT NOT NULL,
                  run_date TEXT NOT NULL,
                  started_at TEXT NOT NULL,
                  finished_at TEXT,
                  status TEXT NOT NULL,
                  pid INTEGER NOT NULL,
                  report_json TEXT
                );
                CREATE INDEX daily_runs_on_date ON daily_runs (run_date, id);
                CREATE TABLE daily_ebs_answers (
                  run_date TEXT PRIMARY KEY,
                  source TEXT NOT NULL,
                  name TEXT NOT NULL,
                  body BLOB NOT NULL,
                  sha256 TEXT NOT NULL,
                  attempts INTEGER NOT NULL,
                  fetched_at TEXT NOT NULL
                );
                CREATE TABLE daily_reconciles (
                  run_date TEXT PRIMARY KEY,
                  fingerprint TEXT NOT NULL,
                  recon_run_id INTEGER,
                  daily_run_id INTEGER,
                  reconciled_at TEXT NOT NULL
                );
                CREATE TABLE daily_deliveries (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  run_date TEXT NOT NULL,
                  name TEXT NOT NULL,
                  sha256 TEXT NOT NULL,
                  status TEXT NOT NULL,
                  attempts INTEGER NOT NULL DEFAULT 0,
                  last_error TEXT,
                  destination TEXT,
                  queued_by_run INTEGER,
                  delivered_by_run INTEGER,
                  queued_at TEXT NOT NULL,
                  delivered_at TEXT
                );
                CREATE INDEX daily_deliveries_pending ON daily_deliveries (status, id);
                """)
        }
        m.registerMigration("v13-page-reading") { db in
            // How each page was read (issue 19): its resolution and why, what was cleaned up.
            try db.alter(table: "pages") { t in
                t.add(column: "resolution_basis", .text)
                t.add(column: "resolution_note", .text)
                t.add(column: "cleanup", .text)
            }
        }
        m.registerMigration("v14-audit-chain") { db in
            // Issue 21: the audit trail as a hash chain (AuditChain). Rows written before it get
            // their hashes now, with the append-only trigger lifted for this one transaction.
            try db.execute(sql: """
                ALTER TABLE audit ADD COLUMN prev_hash TEXT;
                ALTER TABLE audit ADD COLUMN row_hash TEXT;
                DROP TRIGGER audit_no_update;
                """)
            try AuditChain.backfill(db)
            try db.execute(sql: """
                CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
                  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: rows cannot be changed'); END;
                """)
        }
        m.registerMigration("v15-record-templates") { db in
            // Issue 13: which template read each record of a document and why (`fields` shows it):
            // several may apply, and the reading that validates best is kept.
            try db.create(table: "record_templates") { t in
                t.column("document_id", .integer).notNull().references("documents", onDelete: .cascade)
                t.column("record_index", .integer).notNull()
                t.column("template", .text).notNull()
                t.column("reason", .text).notNull()
                t.primaryKey(["document_id", "record_index"])
            }
        }
        return m
    }
}
