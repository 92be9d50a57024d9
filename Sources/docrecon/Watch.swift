import ArgumentParser
import DocRecon
import Foundation

struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stay running: take files into the inboxes as they settle; reconcile and deliver at the config's reconcile_at.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "The daily run's config (YAML).") var config: String

    func run() async throws {
        let cfg = try DailyCLI.loadConfig(config)
        guard cfg.reconcileAt != nil else {
            throw CLIError.failure("\(cfg.file): watch needs reconcile_at: \"HH:mm\" (when to reconcile and deliver each day)")
        }
        // The lock is taken for each pass, not for the life of the process (a `run` may come in between).
        let setup = try DailyCLI.open(global, cfg, what: "watch", wait: nil)
        // Refused at start when another watch (or run) holds the database now.
        do { try setup.lock.acquire(wait: .no, what: "watch") } catch { throw CLIError.failure("watch: \(error)") }
        setup.lock.release()
        let watcher = DailyWatcher(config: cfg, lock: setup.lock) { try setup.makeRun(false) }
        watcher.onPass = { r in
            guard !r.nothingNew else { return }
            printError(DailyCLI.describe(r))
        }
        let code: Int32
        do { code = try watcher.run() } catch { throw CLIError.failure("watch: \(error)") }
        if code != 0 { throw ExitCode(code) }
    }
}
