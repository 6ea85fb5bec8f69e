// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneSpans

/// N-party conferences: each member's pipeline decodes what it receives into
/// its seat's buffer (the newest frame of the tick counts); once every
/// channel has run, each conference sends every member the sum of the others
/// (N−1 mixing, saturated, in the member's own law). Buffers are allocated
/// with the engine; mixing neither allocates nor locks.
struct ConferenceMixer {
    static let maxConferences = 64
    static let maxMembers = 32
    private let members: UnsafeMutablePointer<MediaEngine.Endpoint>  // [conf × maxMembers + seat]
    private let laws: UnsafeMutablePointer<G711Law>
    private let sizes: UnsafeMutablePointer<Int>
    private let fresh: UnsafeMutablePointer<Bool>           // a frame arrived this tick
    private let linear: UnsafeMutablePointer<Int16>         // [(conf × maxMembers + seat) × frameBytes]
    private let sum: UnsafeMutablePointer<Int32>

    init() {
        let seats = ConferenceMixer.maxConferences * ConferenceMixer.maxMembers
        members = .allocate(capacity: seats)
        members.initialize(repeating: MediaEngine.Endpoint(span: 0, channel: 0), count: seats)
        laws = .allocate(capacity: seats)
        laws.initialize(repeating: .alaw, count: seats)
        sizes = .allocate(capacity: ConferenceMixer.maxConferences)
        sizes.initialize(repeating: 0, count: ConferenceMixer.maxConferences)
        fresh = .allocate(capacity: seats)
        fresh.initialize(repeating: false, count: seats)
        linear = .allocate(capacity: seats * frameBytes)
        linear.initialize(repeating: 0, count: seats * frameBytes)
        sum = .allocate(capacity: frameBytes)
    }

    func deallocate() {
        members.deallocate()
        laws.deallocate()
        sizes.deallocate()
        fresh.deallocate()
        linear.deallocate()
        sum.deallocate()
    }

    func size(_ c: Int) -> Int { sizes[c] }
    func member(_ c: Int, _ seat: Int) -> MediaEngine.Endpoint { members[c * ConferenceMixer.maxMembers + seat] }

    /// Seats `e` in conference `c`; its seat, nil when the conference is full.
    func join(_ c: Int, _ e: MediaEngine.Endpoint, law: G711Law) -> Int? {
        guard sizes[c] < ConferenceMixer.maxMembers else { return nil }
        let seat = sizes[c], i = c * ConferenceMixer.maxMembers + seat
        members[i] = e
        laws[i] = law
        fresh[i] = false
        sizes[c] += 1
        return seat
    }

    /// Removes the member in `seat`; the last member moves into it. True
    /// when one moved (``member(_:_:)`` of `seat` then tells who: its route must follow).
    func leave(_ c: Int, seat: Int) -> Bool {
        let base = c * ConferenceMixer.maxMembers, last = sizes[c] - 1
        sizes[c] = last
        guard seat != last else { return false }
        members[base + seat] = members[base + last]
        laws[base + seat] = laws[base + last]
        fresh[base + seat] = fresh[base + last]
        (linear + (base + seat) * frameBytes).update(from: linear + (base + last) * frameBytes, count: frameBytes)
        return true
    }

    /// Where a seat's received frame is decoded to (receive stage 4, `.conference`).
    @inline(__always)
    func buffer(_ c: Int, _ seat: Int) -> UnsafeMutablePointer<Int16> {
        linear + (c * ConferenceMixer.maxMembers + seat) * frameBytes
    }

    /// A frame of `count` samples is in the seat's buffer: the rest of it is silence.
    @inline(__always)
    func received(_ c: Int, _ seat: Int, count: Int) {
        if count < frameBytes { (buffer(c, seat) + count).update(repeating: 0, count: frameBytes - count) }
        fresh[c * ConferenceMixer.maxMembers + seat] = true
    }

    /// Sends every member of conference `c` the others' sum (members that
    /// sent nothing this tick count as silence). `out` is one frame of scratch.
    func mix(_ c: Int, spans: [any SpanDriver], tables: G711Tables, out: UnsafeMutableRawBufferPointer) {
        let n = sizes[c], base = c * ConferenceMixer.maxMembers
        for k in 0..<frameBytes { sum[k] = 0 }
        for m in 0..<n {
            let own = linear + (base + m) * frameBytes
            if !fresh[base + m] { own.update(repeating: 0, count: frameBytes) }
            fresh[base + m] = false
            for k in 0..<frameBytes { sum[k] &+= Int32(own[k]) }
        }
        let bytes = out.baseAddress!.assumingMemoryBound(to: UInt8.self)
        for m in 0..<n {
            let e = members[base + m], law = laws[base + m]
            let own = linear + (base + m) * frameBytes
            for k in 0..<frameBytes { bytes[k] = tables.encode(Int16(clamping: sum[k] - Int32(own[k])), law) }
            _ = spans[e.span].writeFrame(channel: e.channel, from: UnsafeRawBufferPointer(out))
        }
    }
}
