// docrecon-fuzz: the project's fuzz targets (Targets.swift), for developers, not the clerk's binary.
//
//   docrecon-fuzz list                         the targets
//   docrecon-fuzz seed TARGET DIR              writes TARGET's seed corpus into DIR
//   docrecon-fuzz run TARGET FILE|DIR...       each input once (a crasher's regression check)
//   docrecon-fuzz fuzz TARGET [libFuzzer args] coverage-guided fuzzing (the `make fuzz` build only)
//
// `make fuzz` builds this with AddressSanitizer, SanitizerCoverage and libFuzzer's driver
// (`-D DOCRECON_LIBFUZZER`); the ordinary build has the same targets without the driver.
import DocRecon
import Foundation

#if DOCRECON_LIBFUZZER
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// The target libFuzzer drives (set once, before the driver starts).
nonisolated(unsafe) var selected: FuzzTarget?
#endif

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("docrecon-fuzz: \(message)\n".utf8))
    exit(64)
}

func target(named name: String) -> FuzzTarget {
    guard let t = targets.first(where: { $0.name == name }) else {
        fail("no target \(name); targets: \(targets.map(\.name).joined(separator: ", "))")
    }
    return t
}

/// Files under `path` (itself when it is a file), sorted, hidden ones left out.
func files(under path: String) -> [String] {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { return [] }
    guard isDir.boolValue else { return [path] }
    let walker = FileManager.default.enumerator(atPath: path)
    var out: [String] = []
    while let rel = walker?.nextObject() as? String {
        let full = path + "/" + rel
        var d: ObjCBool = false
        if !(rel as NSString).lastPathComponent.hasPrefix("."), FileManager.default.fileExists(atPath: full, isDirectory: &d), !d.boolValue {
            out.append(full)
        }
    }
    return out.sorted()
}

var args = Array(CommandLine.arguments.dropFirst())
// libFuzzer's -jobs/-fork children are started as `argv[0] FLAGS…`: the target comes with them
// in the environment.
if args.first.map({ $0.hasPrefix("-") }) ?? true, let t = ProcessInfo.processInfo.environment["DOCRECON_FUZZ_TARGET"] {
    args = ["fuzz", t] + args
}
switch args.first {
case "list":
    for t in targets { print("\(t.name.padding(toLength: 10, withPad: " ", startingAt: 0)) \(t.summary)") }
case "seed":
    guard args.count == 3 else { fail("usage: docrecon-fuzz seed TARGET DIR") }
    let t = target(named: args[1])
    let dir = args[2]
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    guard let root = ProjectPaths.checkoutRoot() else { fail("cannot find the checkout (run from it)") }
    var inputs = t.generated
    for folder in t.seeds {
        for f in files(under: root + "/" + folder)
        where t.extensions.isEmpty || t.extensions.contains((f as NSString).pathExtension.lowercased()) {
            if let d = FileManager.default.contents(atPath: f) { inputs.append(d) }
        }
    }
    for (i, d) in inputs.enumerated() {
        try d.write(to: URL(fileURLWithPath: String(format: "%@/seed-%03d", dir, i)))
    }
    print("\(t.name): \(inputs.count) seeds in \(dir)")
case "run":
    guard args.count >= 3 else { fail("usage: docrecon-fuzz run TARGET FILE|DIR...") }
    let t = target(named: args[1])
    var refused = 0, read = 0
    for path in args.dropFirst(2) {
        for f in files(under: path) {
            guard let data = FileManager.default.contents(atPath: f) else { fail("\(f): cannot be read") }
            do { try t.run(data); read += 1 } catch {
                refused += 1
                print("\(f): refused: \(error)".replacingOccurrences(of: "\n", with: " "))
            }
        }
    }
    print("\(t.name): \(read + refused) inputs, \(read) read, \(refused) refused, none crashed")
case "fuzz":
    guard args.count >= 2 else { fail("usage: docrecon-fuzz fuzz TARGET [libFuzzer options] [CORPUS...]") }
    #if DOCRECON_LIBFUZZER
    selected = target(named: args[1])
    setenv("DOCRECON_FUZZ_TARGET", args[1], 1)
    // libFuzzer sees argv[0] and what follows the target's name.
    var cArgs: [UnsafeMutablePointer<CChar>?] = ([CommandLine.arguments[0]] + args.dropFirst(2)).map { strdup($0) } + [nil]
    var argc = CInt(cArgs.count - 1)
    let status = cArgs.withUnsafeMutableBufferPointer { buf -> CInt in
        var argv = buf.baseAddress!
        return LLVMFuzzerRunDriver(&argc, &argv) { bytes, count in
            let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
            _ = try? selected!.run(data)
            return 0
        }
    }
    exit(status)
    #else
    fail("this build has no libFuzzer driver: use `make fuzz` (or `run` to replay inputs)")
    #endif
default:
    fail("usage: docrecon-fuzz list | seed TARGET DIR | run TARGET FILE|DIR... | fuzz TARGET [libFuzzer args]")
}
