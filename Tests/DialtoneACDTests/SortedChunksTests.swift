// SPDX-License-Identifier: GPL-2.0-or-later
@testable import DialtoneACD
import Testing

/// The ordered set behind every line and free-agent order, against a plain sorted array.
@Suite struct SortedChunksTests {
    @Test func matchesASortedArrayThroughSplitsAndMerges() {
        var set = SortedChunks<Int>()
        var reference: [Int] = []
        var rng = SplitMix(state: 5)
        for step in 0..<20_000 {
            let v = rng.below(5_000)
            if rng.below(3) == 0 || reference.count > 3_000 {
                let removed = set.remove(v)
                if let i = reference.firstIndex(of: v) { reference.remove(at: i); #expect(removed) } else { #expect(!removed) }
            } else if !reference.contains(v) {
                set.insert(v)
                reference.insert(v, at: reference.firstIndex { $0 > v } ?? reference.count)
            }
            if step % 500 == 0 {
                #expect(set.all == reference)
                #expect(set.count == reference.count)
                #expect(set.first == reference.first)
                if !reference.isEmpty {
                    let k = rng.below(reference.count)
                    #expect(set.element(at: k) == reference[k])
                    #expect(set.rank(of: reference[k]) == k)
                    #expect(set.first(notLessThan: reference[k] + 1) == reference.first { $0 > reference[k] })
                }
            }
        }
        #expect(set.chunks.count > 1)
    }
}
