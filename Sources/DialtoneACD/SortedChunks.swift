// SPDX-License-Identifier: GPL-2.0-or-later

/// An ordered set of distinct values kept as a list of sorted chunks (at most
/// `maxChunk` values each): insert, remove, rank and first in O(√n)-ish with
/// small constants, no per-node allocation. Used for each queue's line, its
/// waiting items and its free agents.
struct SortedChunks<Element: Comparable>: Sendable where Element: Sendable {
    private(set) var chunks: [[Element]] = []
    private(set) var count = 0
    private static var maxChunk: Int { 512 }

    var isEmpty: Bool { count == 0 }
    var first: Element? { chunks.first?.first }

    /// The index of the chunk that holds (or would hold) `e`.
    private func chunkIndex(_ e: Element) -> Int {
        var lo = 0, hi = chunks.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if chunks[mid][chunks[mid].count - 1] < e { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    private static func lowerBound(_ a: [Element], _ e: Element) -> Int {
        var lo = 0, hi = a.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if a[mid] < e { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    mutating func insert(_ e: Element) {
        count += 1
        if chunks.isEmpty { chunks = [[e]]; return }
        let c = chunkIndex(e)
        let i = Self.lowerBound(chunks[c], e)
        chunks[c].insert(e, at: i)
        if chunks[c].count > Self.maxChunk {
            let tail = Array(chunks[c][(Self.maxChunk / 2)...])
            chunks[c].removeSubrange((Self.maxChunk / 2)...)
            chunks.insert(tail, at: c + 1)
        }
    }

    /// Removes `e`; false if it was not there.
    @discardableResult
    mutating func remove(_ e: Element) -> Bool {
        guard !chunks.isEmpty else { return false }
        let c = chunkIndex(e)
        let i = Self.lowerBound(chunks[c], e)
        guard i < chunks[c].count, chunks[c][i] == e else { return false }
        count -= 1
        chunks[c].remove(at: i)
        if chunks[c].isEmpty { chunks.remove(at: c) }
        return true
    }

    func contains(_ e: Element) -> Bool {
        guard !chunks.isEmpty else { return false }
        let c = chunkIndex(e)
        let i = Self.lowerBound(chunks[c], e)
        return i < chunks[c].count && chunks[c][i] == e
    }

    /// How many values are less than `e`.
    func rank(of e: Element) -> Int {
        guard !chunks.isEmpty else { return 0 }
        let c = chunkIndex(e)
        var r = 0
        for k in 0..<c { r += chunks[k].count }
        return r + Self.lowerBound(chunks[c], e)
    }

    /// The first value not less than `e`.
    func first(notLessThan e: Element) -> Element? {
        guard !chunks.isEmpty else { return nil }
        let c = chunkIndex(e)
        let i = Self.lowerBound(chunks[c], e)
        if i < chunks[c].count { return chunks[c][i] }
        return c + 1 < chunks.count ? chunks[c + 1][0] : nil
    }

    /// The value at `index` in order (0-based).
    func element(at index: Int) -> Element {
        var k = index
        for chunk in chunks {
            if k < chunk.count { return chunk[k] }
            k -= chunk.count
        }
        preconditionFailure("SortedChunks index \(index) out of range (\(count))")
    }

    /// All values in order.
    var all: [Element] { chunks.flatMap { $0 } }
}
