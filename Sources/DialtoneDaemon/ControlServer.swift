// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSpans
import DialtoneSwitch
import Foundation
import Glibc
import Logging

/// What a request gets: one reply, or a stream of lines (`events`).
enum ControlResponse: Sendable {
    /// One JSON document and a newline; then the connection closes.
    case reply(Data)
    /// `body` runs in a Task and hands each line (JSON and a newline) to
    /// `emit`, which returns false once the client is gone or was cut off
    /// (the body should return then; its Task is cancelled too). When the
    /// body returns, the lines handed over are written and the connection closes.
    case stream(@Sendable (_ emit: @escaping @Sendable (Data) -> Bool) async -> Void)
}

/// The daemon's local control socket: one request line in (`spans`, `calls`,
/// `call hold ID`, …), one JSON document out, then the connection closes;
/// or, for `events`, JSON lines for as long as the client stays. The
/// framing, limits and errors are in docs/control-socket.md.
///
/// One thread runs an event loop over the listening socket, non-blocking
/// client sockets and a wake-up socket pair: it reads request lines, hands
/// each to a Task (the answers are actor calls on the switch core), and
/// writes the reply when the Task hands it back, never blocking on a
/// client. A stream's Task hands its lines over the same way; the loop
/// writes them as the client takes them, and cuts off a client that lets
/// more than ``Limits/maxStreamBacklog`` bytes pile up. A client can only
/// ever cost a slot (at most ``Limits/maxConnections``) and, while the
/// daemon waits on it, at most ``Limits/idleTimeout``; a stream that the
/// client keeps up with is not idle.
final class ControlServer: @unchecked Sendable {
    struct Limits: Sendable {
        /// Clients connected at once; the next one gets an error and is closed.
        var maxConnections = 64
        /// The longest request line, in bytes.
        var maxRequestBytes = 4096
        /// How long a client may take to send its request line, and to take
        /// a reply off the socket (per write that makes no progress).
        var idleTimeout: Duration = .seconds(10)
        /// A stream's lines not yet taken by its client, in bytes; past
        /// this the client is told it fell behind and is closed.
        var maxStreamBacklog = 1 << 20
    }

    /// Answers one request line: a complete reply (JSON and a newline) or a stream.
    typealias Answer = @Sendable (String) async -> ControlResponse

    let path: String
    let limits: Limits
    private let logger: Logger
    private let answer: Answer
    private let listenFD: Int32
    /// Tasks and ``close()`` wake the loop by writing a byte to `wakeFD`;
    /// the loop polls `wakeReadFD` (a socket pair).
    private let wakeFD: Int32
    private let wakeReadFD: Int32
    /// The socket file this server made, so stopping never unlinks another's.
    private let socketInode: ino_t

    // Shared with the answering Tasks and close(), under `lock`.
    private let lock = NSLock()
    private var replies: [(id: UInt64, response: ControlResponse)] = []
    /// Streams' lines on their way from their Tasks to the loop, by connection.
    private var feeds: [UInt64: Feed] = [:]
    private var stopping = false
    private var wakeClosed = false
    private let stopped = DispatchSemaphore(value: 0)

    // Owned by the loop thread.
    private var connections: [UInt64: Connection] = [:]
    private var nextID: UInt64 = 0
    private var acceptPausedUntil: ContinuousClock.Instant?
    private var lastRefusalLog: ContinuousClock.Instant?
    private let clock = ContinuousClock()

    /// A stream's lines handed over by its Task and not yet taken by the loop.
    private struct Feed {
        var task: Task<Void, Never>?
        var lines: [Data] = []
        var bytes = 0
        /// Lines refused because the loop's side was full already.
        var dropped = 0
        /// The body returned: no more lines.
        var ended = false
        var hasNews: Bool { !lines.isEmpty || dropped > 0 || ended }
    }

    private struct Connection {
        enum Phase { case reading, answering, writing, streaming }
        let fd: Int32
        var phase = Phase.reading
        var framer: ControlRequestFramer
        var output: [UInt8] = []
        var written = 0
        /// The client shut down its sending side: nothing more to read (or poll for).
        var inputEnded = false
        /// Reading: when the request must be complete. Writing (and
        /// streaming with lines unsent): when the client must have taken more.
        var deadline: ContinuousClock.Instant

        var unsent: Int { output.count - written }
        /// Waiting on the client: a deadline applies. A stream with nothing
        /// to send waits on the daemon, as does a request being answered.
        var waitsOnClient: Bool {
            switch phase {
            case .reading, .writing: true
            case .answering: false
            case .streaming: unsent > 0
            }
        }
    }

    /// Creates the socket at `path` (``ControlSocketFile/bind(path:mode:group:logger:)``)
    /// and starts the loop thread.
    init(path: String, mode: UInt32, group: String?, limits: Limits = .init(), logger: Logger,
         answer: @escaping Answer) throws {
        // A client that hangs up before its reply must never kill the daemon;
        // every send below also says MSG_NOSIGNAL.
        signal(SIGPIPE, SIG_IGN)
        self.path = path
        self.limits = limits
        self.logger = logger
        self.answer = answer
        (listenFD, socketInode) = try ControlSocketFile.bind(path: path, mode: mode, group: group, logger: logger)
        var pair: [Int32] = [-1, -1]
        do {
            _ = try systemCall("socketpair") {
                socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair)
            }
            (wakeReadFD, wakeFD) = (pair[0], pair[1])
        } catch {
            Glibc.close(listenFD)
            ControlSocketFile.remove(path, inode: socketInode)
            throw ControlSocketError(.system, path: path, detail: "\(error)")
        }
        let thread = Thread { [self] in run() }
        thread.name = "dialtone.control"
        thread.start()
    }

    /// Stops the loop: closes every client and the socket, removes the socket
    /// file. Replies still being worked out are dropped.
    func close() {
        let first = lock.withLock {
            defer { stopping = true }
            if !stopping { wake() }
            return !stopping
        }
        if first { stopped.wait() }
    }

    /// Called under `lock`.
    private func wake() {
        guard !wakeClosed else { return }
        var one: UInt8 = 1  // a full pipe (EAGAIN) is fine: the loop is woken already
        _ = try? systemCall("send") { send(wakeFD, &one, 1, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT)) }
    }

    /// A Task's reply, handed to the loop.
    private func complete(_ id: UInt64, _ response: ControlResponse) {
        lock.withLock {
            replies.append((id, response))
            wake()
        }
    }

    /// A stream's line, handed to the loop; false once the connection is gone or cut off.
    private func emit(_ id: UInt64, _ line: Data) -> Bool {
        lock.withLock {
            guard var feed = feeds[id], feed.dropped == 0 else { return false }
            // The loop takes the lines each round; a backlog here means the
            // loop's side is full too (or about to be told so).
            if feed.bytes + line.count > limits.maxStreamBacklog {
                feed.dropped += 1
            } else {
                feed.lines.append(line)
                feed.bytes += line.count
            }
            if !feeds[id]!.hasNews { wake() }
            feeds[id] = feed
            return true
        }
    }

    /// A stream's body returned.
    private func streamEnded(_ id: UInt64) {
        lock.withLock {
            guard feeds[id] != nil else { return }
            if !feeds[id]!.hasNews { wake() }
            feeds[id]!.ended = true
        }
    }

    /// Forgets a stream's feed and cancels its Task.
    private func endFeed(_ id: UInt64) {
        let task = lock.withLock { feeds.removeValue(forKey: id)?.task }
        task?.cancel()
    }

    // MARK: - The loop

    private func run() {
        var fds: [pollfd] = []
        var ids: [UInt64] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let now = clock.now
            fds.removeAll(keepingCapacity: true)
            ids.removeAll(keepingCapacity: true)
            fds.append(pollfd(fd: wakeReadFD, events: Int16(POLLIN), revents: 0))
            if let until = acceptPausedUntil, now >= until { acceptPausedUntil = nil }
            // poll(2) skips a negative descriptor: no accepting while paused.
            fds.append(pollfd(fd: acceptPausedUntil == nil ? listenFD : -1, events: Int16(POLLIN), revents: 0))
            var next = acceptPausedUntil ?? now.advanced(by: .seconds(1))
            for (id, c) in connections {
                let events = switch c.phase {
                case .reading: POLLIN
                case .answering: Int32(0)  // POLLHUP still says the client left
                case .writing: POLLOUT | (c.inputEnded ? 0 : POLLIN)
                case .streaming: (c.unsent > 0 ? POLLOUT : 0) | (c.inputEnded ? 0 : POLLIN)
                }
                fds.append(pollfd(fd: c.fd, events: Int16(events), revents: 0))
                ids.append(id)
                if c.waitsOnClient { next = min(next, c.deadline) }
            }
            let wait = max(Duration.zero, next - now)
            let timeout = Int32(wait.components.seconds * 1000 + wait.components.attoseconds / 1_000_000_000_000_000) + 1
            do {
                _ = try systemCall("poll") { poll(&fds, nfds_t(fds.count), timeout) }
            } catch {
                logger.error("control socket: poll failed", metadata: ["error": "\(error)"])
                Thread.sleep(forTimeInterval: 0.1)
                continue
            }
            if fds[0].revents != 0 {
                while let n = try? systemCall("read", { read(wakeReadFD, &buffer, buffer.count) }), n > 0 {}
            }
            let (done, fed, stop) = lock.withLock {
                defer { replies.removeAll() }
                var fed: [(id: UInt64, feed: Feed)] = []
                for id in feeds.keys where feeds[id]!.hasNews {
                    fed.append((id, feeds[id]!))
                    feeds[id]!.lines.removeAll()
                    feeds[id]!.bytes = 0
                }
                return (replies, fed, stopping)
            }
            if stop { break }
            for (id, response) in done { deliver(id, response) }
            for (id, feed) in fed { take(id, feed) }
            if fds[1].revents != 0 { acceptClients() }
            for (i, id) in ids.enumerated() where fds[i + 2].revents != 0 {
                service(id, revents: Int32(fds[i + 2].revents), buffer: &buffer)
            }
            expire()
        }
        for id in Array(connections.keys) {
            if connections[id]?.phase == .streaming { endStream(id) }
            drop(id)
        }
        Glibc.close(listenFD)
        ControlSocketFile.remove(path, inode: socketInode)
        lock.withLock {
            wakeClosed = true
            Glibc.close(wakeFD)
            Glibc.close(wakeReadFD)
        }
        stopped.signal()
    }

    private func acceptClients() {
        while true {
            let fd: Int32
            do {
                fd = try systemCall("accept") { accept(listenFD, nil, nil) }
            } catch {
                if error.wouldBlock { return }
                if error.errno == ECONNABORTED || error.errno == EPROTO { continue }
                // Out of descriptors or memory: the listening socket stays
                // readable, so stop polling it for a moment rather than spin.
                logger.warning("control socket: accept failed; pausing 100 ms", metadata: ["error": "\(error)"])
                acceptPausedUntil = clock.now.advanced(by: .milliseconds(100))
                return
            }
            do {  // Glibc does not export accept4 to Swift: the flags one by one
                _ = try systemCall("fcntl") { fcntl(fd, F_SETFD, FD_CLOEXEC) }
                _ = try systemCall("fcntl") { fcntl(fd, F_SETFL, O_NONBLOCK) }
            } catch {
                logger.warning("control socket: cannot make a client non-blocking", metadata: ["error": "\(error)"])
                Glibc.close(fd)
                continue
            }
            if connections.count >= limits.maxConnections { reapHungUp() }
            guard connections.count < limits.maxConnections else {
                refuse(fd)
                continue
            }
            nextID += 1
            connections[nextID] = Connection(fd: fd, framer: ControlRequestFramer(limit: limits.maxRequestBytes),
                                             deadline: clock.now.advanced(by: limits.idleTimeout))
        }
    }

    /// Drops clients that have hung up but whose POLLHUP the loop has not
    /// seen yet (a burst of connect-send-close), so they do not hold slots.
    private func reapHungUp() {
        let entries = Array(connections)
        var fds = entries.map { pollfd(fd: $0.value.fd, events: 0, revents: 0) }
        let ids = entries.map(\.key)
        guard (try? systemCall("poll", { poll(&fds, nfds_t(fds.count), 0) })) != nil else { return }
        for (i, id) in ids.enumerated() where Int32(fds[i].revents) & (POLLHUP | POLLERR) != 0 { drop(id) }
    }

    /// Over the connection limit: a one-shot error (if the socket takes it at once), then closed.
    private func refuse(_ fd: Int32) {
        let reply = ControlReply.error("too many control connections (\(limits.maxConnections) open); try again later")
        _ = reply.withUnsafeBytes { raw in try? systemCall("send") { send(fd, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT)) } }
        Glibc.close(fd)  // never retried: on Linux the descriptor is gone even after EINTR
        let now = clock.now
        if lastRefusalLog.map({ now - $0 >= .seconds(10) }) ?? true {
            lastRefusalLog = now
            logger.warning("control socket: connection limit reached; refusing clients", metadata: ["limit": "\(limits.maxConnections)"])
        }
    }

    private func service(_ id: UInt64, revents: Int32, buffer: inout [UInt8]) {
        guard let c = connections[id] else { return }  // closed earlier in this round
        switch c.phase {
        case .reading:
            readRequest(id, buffer: &buffer)
            // Closed both ways already: nobody is left to read an answer.
            if revents & POLLHUP != 0, connections[id]?.phase == .answering { drop(id) }
        case .answering:
            if revents & (POLLHUP | POLLERR) != 0 { drop(id) }  // gone; its reply will be dropped
        case .writing:
            if revents & POLLIN != 0 { discardInput(id) }
            if revents & (POLLOUT | POLLHUP | POLLERR) != 0 { flush(id) }
        case .streaming:
            // Closed both ways (or reset): the client left. A half-close
            // (end of input only) is no reason to stop: it may still read.
            if revents & (POLLHUP | POLLERR) != 0 { drop(id); return }
            if revents & POLLIN != 0 { discardInput(id) }
            if revents & POLLOUT != 0 { _ = sendQueued(id) }
        }
    }

    private func readRequest(_ id: UInt64, buffer: inout [UInt8]) {
        guard var c = connections[id] else { return }
        while true {
            let n: Int
            do {
                n = try systemCall("read") { read(c.fd, &buffer, buffer.count) }
            } catch {
                if error.wouldBlock { connections[id] = c; return }
                drop(id)  // ECONNRESET and the like
                return
            }
            if n == 0 {  // the client shut down its side: what it sent is the request
                guard let request = c.framer.endOfInput() else { drop(id); return }
                connections[id] = c
                start(id, request)
                return
            }
            switch c.framer.feed(buffer[0..<n]) {
            case .needMore:
                continue
            case .request(let request):
                connections[id] = c
                start(id, request)
                return
            case .tooLong:
                connections[id] = c
                reply(id, ControlReply.error("request line longer than \(limits.maxRequestBytes) bytes"))
                return
            }
        }
    }

    /// Hands the request to a Task; the loop goes on.
    private func start(_ id: UInt64, _ request: String) {
        connections[id]?.phase = .answering
        let answer = self.answer
        Task { [self] in complete(id, await answer(request)) }
    }

    /// A reply or a stream from a Task, if its client is still there.
    private func deliver(_ id: UInt64, _ response: ControlResponse) {
        guard connections[id]?.phase == .answering else { return }
        switch response {
        case .reply(let data):
            reply(id, data)
        case .stream(let body):
            connections[id]?.phase = .streaming
            connections[id]?.output = []
            connections[id]?.written = 0
            lock.withLock { feeds[id] = Feed() }
            // The Task ends when the body returns; a drop or close() cancels it.
            let task = Task { [self] in
                await body { line in self.emit(id, line) }
                streamEnded(id)
            }
            lock.withLock { feeds[id]?.task = task }
        }
    }

    /// A stream's lines from its Task: queued for the client, unless that
    /// would leave more than the backlog limit unsent.
    private func take(_ id: UInt64, _ feed: Feed) {
        guard var c = connections[id], c.phase == .streaming else { return }
        for (i, line) in feed.lines.enumerated() {
            guard c.unsent + line.count <= limits.maxStreamBacklog else {
                connections[id] = c
                cutOff(id, dropped: feed.lines.count - i + feed.dropped)
                return
            }
            if c.unsent == 0 {
                // Nothing was waiting: the client has the idle timeout from now to take this.
                c.deadline = clock.now.advanced(by: limits.idleTimeout)
            }
            if c.written >= 65536 || c.unsent == 0 {
                // What was sent goes, so the buffer stays within the backlog (and a little).
                c.output.removeFirst(c.written)
                c.written = 0
            }
            c.output.append(contentsOf: line)
        }
        connections[id] = c
        if feed.dropped > 0 { cutOff(id, dropped: feed.dropped); return }
        guard sendQueued(id) else { return }
        if feed.ended { endStream(id) }
    }

    /// The stream is over (its body returned, or the server stops): what
    /// is queued is written, then the connection closes.
    private func endStream(_ id: UInt64) {
        endFeed(id)
        guard var c = connections[id] else { return }
        c.phase = .writing
        c.deadline = clock.now.advanced(by: limits.idleTimeout)
        connections[id] = c
        flush(id)
    }

    /// A client that fell behind: the lines it has not started on are
    /// dropped, it is told how many events it lost, and it is closed once
    /// it takes that (or after the idle timeout).
    private func cutOff(_ id: UInt64, dropped: Int) {
        endFeed(id)
        guard var c = connections[id] else { return }
        // Keep the line being sent whole, so the client still reads JSON lines.
        var cut = c.written
        if cut > 0 && c.output[cut - 1] != 0x0A {
            cut = (c.output[cut...].firstIndex(of: 0x0A) ?? c.output.count - 1) + 1
        }
        let discarded = c.output[cut...].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        c.output.removeSubrange(cut...)
        let total = dropped + discarded
        c.output.append(contentsOf: EventLine.fellBehind(dropped: total))
        connections[id] = c
        logger.warning("control socket: event stream client fell behind; closing it",
                       metadata: ["dropped": "\(total)", "backlog": "\(limits.maxStreamBacklog)"])
        endStream(id)
    }

    private func reply(_ id: UInt64, _ data: Data) {
        guard var c = connections[id] else { return }
        c.phase = .writing
        c.output = Array(data)
        c.written = 0
        c.deadline = clock.now.advanced(by: limits.idleTimeout)
        connections[id] = c
        flush(id)
    }

    /// Writes what the socket takes now; closes once the reply is out (or the client is gone).
    private func flush(_ id: UInt64) {
        guard sendQueued(id), connections[id]!.unsent == 0 else { return }
        discardInput(id)  // unread input would turn the close into a reset under the reply
        drop(id)
    }

    /// Writes what the socket takes now; false (and closed) when the client is gone.
    private func sendQueued(_ id: UInt64) -> Bool {
        guard var c = connections[id] else { return false }
        while c.written < c.output.count {
            let written = c.written, fd = c.fd
            let result = c.output.withUnsafeBytes { raw in
                Result { () throws(SystemCallError) -> Int in
                    try systemCall("send") {
                        send(fd, raw.baseAddress! + written, raw.count - written, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
                    }
                }
            }
            switch result {
            case .success(let n):
                c.written += n
            case .failure(let error):
                if error.wouldBlock { connections[id] = c; return true }
                drop(id)  // EPIPE, ECONNRESET: the client left
                return false
            }
            c.deadline = clock.now.advanced(by: limits.idleTimeout)
        }
        connections[id] = c
        return true
    }

    /// Input after the request line (an over-long line's rest) is read and
    /// thrown away, so closing does not reset the connection under the reply.
    private func discardInput(_ id: UInt64) {
        guard let fd = connections[id]?.fd else { return }
        let ended = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4096) { buffer in
            for _ in 0..<16 {
                guard let n = try? systemCall("read", { read(fd, buffer.baseAddress, buffer.count) }) else { return false }
                if n == 0 { return true }
            }
            return false
        }
        if ended { connections[id]?.inputEnded = true }
    }

    /// Closes clients that are past their deadline.
    private func expire() {
        let now = clock.now
        for (id, c) in connections where c.waitsOnClient && now >= c.deadline {
            if c.phase == .reading {
                let note = ControlReply.error("no complete request line within \(limits.idleTimeout); closing")
                _ = note.withUnsafeBytes { raw in
                    try? systemCall("send") { send(c.fd, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT)) }
                }
            }
            logger.debug("control socket: client timed out", metadata: ["phase": "\(c.phase)"])
            drop(id)
        }
    }

    private func drop(_ id: UInt64) {
        guard let c = connections.removeValue(forKey: id) else { return }
        if c.phase == .streaming { endFeed(id) }
        Glibc.close(c.fd)  // never retried: on Linux the descriptor is gone even after EINTR
    }
}

/// The reply to `kernel-spans`/`rescan`.
public struct KernelSpans: Codable, Sendable {
    public var spans: [DAHDISpanInfo]
    public var events: [String]
    public var absent: String?
}
