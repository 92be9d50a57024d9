import CCurl
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A transfer that did not go through, in the terms the daily run reports: what kind of failure
/// (a connection problem is worth retrying, a refused login is not) and curl's own words.
public struct TransferFailure: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable, Codable {
        /// The host could not be resolved or reached, or the connection broke off.
        case connection
        /// No answer (or no end of the transfer) within the time allowed.
        case timeout
        /// The server refused the user or the key / password.
        case login
        /// The server's host key is not the one in known_hosts (or it is missing there).
        case hostKey = "host_key"
        /// TLS could not be set up (certificate, protocol).
        case tls
        /// The server refused an operation (a folder that does not exist, the rename, a recipient).
        case refused
        case other
    }
    public var kind: Kind
    /// libcurl's CURLcode.
    public var code: Int
    public var detail: String
    public var description: String { detail }
}

/// The one owner of libcurl in DocRecon: one easy handle, reused for the transfers of one
/// thread (not Sendable: create it on the thread that uses it). HTTP(S) requests, SFTP uploads
/// and SMTP messages; every protocol is libcurl's, none is written here. Nothing above this file
/// sees a pointer. Credentials pass through memory only: nothing here logs or prints them.
final class CurlSession {
    struct Response: Sendable {
        var status: Int
        var body: Data
    }

    /// Key authentication of an SFTP upload.
    struct SSHLogin {
        var privateKeyFile: String
        /// Empty: libssh2 derives the public key from the private one.
        var publicKeyFile: String = ""
        var passphrase: String?
        /// known_hosts of the server: a host key not listed there is refused.
        var knownHostsFile: String
    }

    private let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>

    init() throws {
        guard docrecon_curl_load() != 0 else {
            throw TransferFailure(kind: .other, code: -1, detail: String(cString: docrecon_curl_load_error()))
        }
        _ = CurlSession.globalInit
        guard let h = docrecon_curl_easy_init() else {
            throw TransferFailure(kind: .other, code: -1, detail: "libcurl could not start a transfer")
        }
        handle = h
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        docrecon_curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// curl_global_init, once per process, before the first handle (thread-safe: a lazy global).
    private static let globalInit: Bool = docrecon_curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    /// The libcurl version line (`libcurl/7.88.1 OpenSSL/3.0 ... libssh2/1.10.0`).
    static var version: String { String(cString: docrecon_curl_version()) }

    // MARK: - Transfers

    /// One HTTP request. A transfer failure throws; any HTTP status (4xx, 5xx included) returns.
    func http(method: String, url: String, headers: [String] = [], body: Data? = nil, timeout: Double,
              connectTimeout: Double? = nil, maxResponseBytes: Int = 64 << 20) throws -> Response {
        let sink = Sink(limit: maxResponseBytes)
        // No "Expect: 100-continue" on a POST (a server that does not answer it costs a second).
        let list = StringList(method == "POST" ? headers + ["Expect:"] : headers)
        let upload = body.map { Source(data: $0) }
        try withExtendedLifetime((sink, list, upload)) {
            reset(timeout: timeout, connectTimeout: connectTimeout ?? min(timeout, 10))
            set(CURLOPT_URL, url)
            set(CURLOPT_PROTOCOLS_STR, "http,https")
            set(CURLOPT_FOLLOWLOCATION, 0)
            set(CURLOPT_ACCEPT_ENCODING, "")  // any encoding libcurl can decode
            if let h = list.head { _ = docrecon_curl_set_list(handle, CURLOPT_HTTPHEADER, h) }
            sink.attach(to: handle)
            switch method {
            case "GET": set(CURLOPT_HTTPGET, 1)
            case "POST":
                set(CURLOPT_POST, 1)
                if let upload {
                    _ = docrecon_curl_set_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(upload.data.count))
                    upload.attach(to: handle)
                }
            default:
                set(CURLOPT_CUSTOMREQUEST, method)
            }
            try perform(sink: sink)
        }
        var status = 0
        _ = docrecon_curl_get_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return Response(status: status, body: sink.data)
    }

    /// Uploads the file at `localPath` to `url` (sftp://user@host:port/path/name) with key
    /// authentication, then runs `postQuote` on the server (SFTP commands: `rename a b`, `rm a`;
    /// a leading `*` lets the next one run if that one fails).
    func sftpUpload(localPath: String, url: String, login: SSHLogin, postQuote: [String], createFolders: Bool,
                    timeout: Double, connectTimeout: Double = 20, maxBytesPerSecond: Int64 = 0) throws {
        let fd = open(localPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw TransferFailure(kind: .other, code: -1, detail: "\((localPath as NSString).lastPathComponent) cannot be read")
        }
        defer { close(fd) }
        var st = stat()
        fstat(fd, &st)
        let source = Source(fd: fd)
        let quote = StringList(postQuote)
        let sink = Sink(limit: 1 << 20)
        try withExtendedLifetime((source, quote, sink)) {
            reset(timeout: timeout, connectTimeout: connectTimeout)
            set(CURLOPT_URL, url)
            set(CURLOPT_PROTOCOLS_STR, "sftp")
            set(CURLOPT_UPLOAD, 1)
            _ = docrecon_curl_set_off(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(st.st_size))
            if maxBytesPerSecond > 0 {
                _ = docrecon_curl_set_off(handle, CURLOPT_MAX_SEND_SPEED_LARGE, curl_off_t(maxBytesPerSecond))
                // libcurl paces between buffers: smaller ones keep the pace smoother.
                set(CURLOPT_UPLOAD_BUFFERSIZE, Int(min(65536, max(16384, maxBytesPerSecond / 4))))  // (libcurl: 16 KB at least)
            }
            set(CURLOPT_SSH_AUTH_TYPES, Int(CURLSSH_AUTH_PUBLICKEY))
            set(CURLOPT_SSH_PRIVATE_KEYFILE, login.privateKeyFile)
            set(CURLOPT_SSH_PUBLIC_KEYFILE, login.publicKeyFile)
            if let p = login.passphrase { set(CURLOPT_KEYPASSWD, p) }
            set(CURLOPT_SSH_KNOWNHOSTS, login.knownHostsFile)
            set(CURLOPT_FTP_CREATE_MISSING_DIRS, createFolders ? 1 : 0)
            set(CURLOPT_NEW_FILE_PERMS, 0o600)  // owner-only on the server too (libcurl: 0644)
            set(CURLOPT_NEW_DIRECTORY_PERMS, 0o700)
            if let q = quote.head { _ = docrecon_curl_set_list(handle, CURLOPT_POSTQUOTE, q) }
            source.attach(to: handle)
            sink.attach(to: handle)
            try perform(sink: sink)
        }
    }

    /// Sends one message (RFC 5322 text, headers included) through an SMTP server.
    func smtpSend(url: String, from: String, to: [String], message: Data, username: String?, password: String?,
                  tls: SMTPTLS, timeout: Double) throws {
        let rcpt = StringList(to.map { "<\($0)>" })
        let source = Source(data: message)
        let sink = Sink(limit: 1 << 20)
        try withExtendedLifetime((rcpt, source, sink)) {
            reset(timeout: timeout, connectTimeout: min(timeout, 20))
            set(CURLOPT_URL, url)
            set(CURLOPT_PROTOCOLS_STR, "smtp,smtps")
            set(CURLOPT_MAIL_FROM, "<\(from)>")
            if let r = rcpt.head { _ = docrecon_curl_set_list(handle, CURLOPT_MAIL_RCPT, r) }
            set(CURLOPT_UPLOAD, 1)
            _ = docrecon_curl_set_off(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(message.count))
            switch tls {
            case .none: set(CURLOPT_USE_SSL, Int(CURLUSESSL_NONE.rawValue))
            case .try: set(CURLOPT_USE_SSL, Int(CURLUSESSL_TRY.rawValue))
            case .required: set(CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue))
            }
            if let u = username { set(CURLOPT_USERNAME, u) }
            if let p = password { set(CURLOPT_PASSWORD, p) }
            source.attach(to: handle)
            sink.attach(to: handle)
            try perform(sink: sink)
        }
    }

    enum SMTPTLS: String, Sendable { case none, `try`, required }

    // MARK: - The handle

    private func reset(timeout: Double, connectTimeout: Double) {
        docrecon_curl_easy_reset(handle)
        errorBuffer[0] = 0
        _ = docrecon_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        set(CURLOPT_NOSIGNAL, 1)
        set(CURLOPT_NOPROGRESS, 1)
        set(CURLOPT_TIMEOUT_MS, max(1, Int(timeout * 1000)))
        set(CURLOPT_CONNECTTIMEOUT_MS, max(1, Int(connectTimeout * 1000)))
    }

    private func set(_ option: CURLoption, _ value: Int) { _ = docrecon_curl_set_long(handle, option, value) }
    private func set(_ option: CURLoption, _ value: String) { _ = docrecon_curl_set_string(handle, option, value) }

    private func perform(sink: Sink) throws {
        let rc = docrecon_curl_easy_perform(handle)
        guard rc != CURLE_OK else { return }
        let buffer = String(cString: errorBuffer)
        let words = buffer.isEmpty ? String(cString: docrecon_curl_easy_strerror(rc)) : buffer
        throw TransferFailure(kind: CurlSession.kind(of: rc), code: Int(rc.rawValue), detail: words)
    }

    static func kind(of rc: CURLcode) -> TransferFailure.Kind {
        switch rc {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT, CURLE_SEND_ERROR, CURLE_RECV_ERROR,
             CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE:
            return .connection
        case CURLE_OPERATION_TIMEDOUT: return .timeout
        case CURLE_LOGIN_DENIED, CURLE_AUTH_ERROR: return .login
        case CURLE_PEER_FAILED_VERIFICATION: return .hostKey
        case CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_USE_SSL_FAILED:
            return .tls
        case CURLE_QUOTE_ERROR, CURLE_REMOTE_ACCESS_DENIED, CURLE_REMOTE_FILE_NOT_FOUND, CURLE_UPLOAD_FAILED,
             CURLE_REMOTE_DISK_FULL, CURLE_REMOTE_FILE_EXISTS:
            return .refused
        default: return .other
        }
    }
}

/// What a transfer received (bounded: a server that sends without end is cut off).
private final class Sink {
    var data = Data()
    let limit: Int
    init(limit: Int) { self.limit = limit }

    func attach(to handle: UnsafeMutableRawPointer) {
        _ = docrecon_curl_set_data_fn(handle, CURLOPT_WRITEFUNCTION) { ptr, size, count, user in
            let sink = Unmanaged<Sink>.fromOpaque(user!).takeUnretainedValue()
            let n = size * count
            if sink.data.count + n > sink.limit { return 0 }  // libcurl stops with CURLE_WRITE_ERROR
            if let ptr, n > 0 { sink.data.append(UnsafeRawPointer(ptr).assumingMemoryBound(to: UInt8.self), count: n) }
            return n
        }
        _ = docrecon_curl_set_pointer(handle, CURLOPT_WRITEDATA, Unmanaged.passUnretained(self).toOpaque())
    }
}

/// What a transfer sends: bytes in memory or an open file.
private final class Source {
    let data: Data
    let fd: Int32
    var offset = 0
    init(data: Data) { self.data = data; fd = -1 }
    init(fd: Int32) { self.fd = fd; data = Data() }

    func attach(to handle: UnsafeMutableRawPointer) {
        _ = docrecon_curl_set_data_fn(handle, CURLOPT_READFUNCTION) { ptr, size, count, user in
            let source = Unmanaged<Source>.fromOpaque(user!).takeUnretainedValue()
            guard let ptr else { return 0 }
            let room = size * count
            if source.fd >= 0 {
                while true {
                    let n = read(source.fd, ptr, room)
                    if n < 0 && errno == EINTR { continue }
                    return n < 0 ? Int(CURL_READFUNC_ABORT) : n
                }
            }
            let n = min(room, source.data.count - source.offset)
            if n > 0 {
                source.data.withUnsafeBytes { raw in
                    UnsafeMutableRawPointer(ptr).copyMemory(from: raw.baseAddress! + source.offset, byteCount: n)
                }
                source.offset += n
            }
            return n
        }
        _ = docrecon_curl_set_pointer(handle, CURLOPT_READDATA, Unmanaged.passUnretained(self).toOpaque())
    }
}

/// A curl_slist, freed with its owner.
private final class StringList {
    private(set) var head: UnsafeMutablePointer<curl_slist>?
    init(_ items: [String]) {
        for s in items { head = docrecon_curl_slist_append(head, s) }
    }
    deinit { docrecon_curl_slist_free_all(head) }
}
