import Foundation
import Testing
@testable import DocRecon

@Suite struct ExtractTemplateTests {
    static let good = """
    name: t
    doc_type: charge_sheet
    select:
      any: [patient]
    fields:
      patient_name:
        type: name
        find:
          - anchor: {labels: [Patient]}
    """

    @Test func shippedTemplatesLoad() throws {
        let ts = try ExtractFixtures.templates()
        #expect(Set(ts.map(\.name)) == ["charge-sheet", "cms1500"])
        let cs = ts.first { $0.name == "charge-sheet" }!
        #expect(cs.fields.map(\.name) == ["patient_name", "patient_dob", "account_number", "date_of_service", "facility",
                                          "place_of_service", "rendering_provider", "provider_npi", "diagnosis_codes", "total_charge"])
        #expect(cs.lines?.columns.first(where: \.required)?.name == "code")
    }

    @Test func minimalTemplateParses() throws {
        let t = try TemplateLoader.parse(Self.good, file: "t.yaml")
        #expect(t.fields.count == 1)
        #expect(t.fields[0].line == 6)
    }

    @Test(arguments: [
        // (yaml, line, what the message says)
        ("name: t\ndoc_type: x\nselect:\n  any: [a]\nfields:\n  f:\n    type: dat\n    find:\n      - anchor: {labels: [A]}\n",
         7, "unknown type 'dat'"),
        ("name: t\ndoc_type: x\nselect:\n  any: [a]\nfields:\n  f:\n    type: text\n    find:\n      - anchor: {labels: [A], wher: [right]}\n",
         9, "unknown key 'wher'"),
        ("name: t\ndoc_type: x\nselect:\n  any: [a]\nfields:\n  f:\n    type: text\n    find:\n      - pattern: \"([0-9\"\n",
         9, "not a valid regular expression"),
        ("name: t\ndoc_type: x\nselect:\n  any: [a]\nfields:\n  f:\n    type: text\n    find:\n      - region: [0.5, 0.1, 0.2, 0.3]\n",
         9, "x0 < x1"),
        ("name: t\ndoc_type: x\nselect:\n  any: [a]\nfields:\n  f:\n    type: text\n", 7, "has no 'find'"),
        ("name: t\ndoc_type: x\nselect:\n  any: [a]\nfields:\n  f:\n    type: date\n    formats: [QQ]\n    find:\n      - anchor: {labels: [A]}\n",
         8, "not a date format"),
        ("name: t\ndoc_type: x\nselect:\n  any: [a\nfields: {}\n", 5, "not valid YAML"),
        ("name: t\ndoc_type: x\nfields:\n  f:\n    type: text\n    find:\n      - anchor: {labels: [A]}\n", 1, "no 'select'"),
        ("name: t\ndoc_type: x\nselect:\n  any: [a]\nfields:\n  f:\n    type: text\n    find:\n      - anchor: {labels: []}\n",
         9, "must not be empty"),
        ("name: t\ndoc_type: x\nselect:\n  any: [a]\nfields: {}\nlines:\n  columns:\n    code: {type: code, labels: [CPT]}\n",
         7, "one column must be required"),
        ("name: t\ndoc_type: x\nreview_confidence: 2\nselect:\n  any: [a]\nfields: {}\n", 3, "review_confidence must be a number"),
    ])
    func brokenFilesNameFileLineAndProblem(yaml: String, line: Int, message: String) {
        do {
            _ = try TemplateLoader.parse(yaml, file: "broken.yaml")
            Issue.record("a broken template was accepted")
        } catch let e as TemplateError {
            #expect(e.file == "broken.yaml")
            #expect(e.line == line, "\(e)")
            #expect(e.message.contains(message), "\(e)")
            #expect(e.description.hasPrefix("broken.yaml line \(line): "))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func loadAllStopsAtTheBrokenFile() throws {
        let dir = try TestSupport.tempDir("tpl")
        try Self.good.write(to: dir.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        try "name: [\n".write(to: dir.appendingPathComponent("b.yaml"), atomically: true, encoding: .utf8)
        #expect(throws: TemplateError.self) { try TemplateLoader.loadAll(rulesDirectory: dir.path) }
        do { _ = try TemplateLoader.loadAll(rulesDirectory: dir.path) } catch let e as TemplateError { #expect(e.file == "b.yaml") }
    }

    @Test func selectsTemplateByKeywords() throws {
        let ts = try ExtractFixtures.templates()
        var p = PageBuilder()
        p.put("HEALTH INSURANCE CLAIM FORM", 100, 100)
        p.put("APPROVED BY NATIONAL UNIFORM CLAIM COMMITTEE (NUCC) 02/12", 100, 140)
        p.put("2. PATIENT'S NAME (Last Name, First Name, Middle Initial)", 100, 300)
        #expect(TemplateEngine.select(ts, page: p.page)?.template.name == "cms1500")
        var q = PageBuilder()
        q.put("SUPERBILL", 100, 100)
        q.put("Patient Name: DOE, JANE", 100, 200)
        q.put("Date of Service: 01/02/2025", 100, 260)
        q.put("CPT Units Charge", 100, 400)
        #expect(TemplateEngine.select(ts, page: q.page)?.template.name == "charge-sheet")
        var r = PageBuilder()
        r.put("Quarterly newsletter", 100, 100)
        #expect(TemplateEngine.select(ts, page: r.page) == nil)
    }
}
