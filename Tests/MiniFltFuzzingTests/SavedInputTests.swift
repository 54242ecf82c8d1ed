// SPDX-License-Identifier: MIT
import Foundation
import MiniFltFuzzing
import Testing

/// Every input the fuzzers keep (the seed corpus, and each crash they found, in `Fuzz/Regressions`) runs
/// through its target in an ordinary build: a fixed finding stays fixed.
@Suite("Fuzz targets over their saved inputs")
struct SavedInputTests {
    @Test("each target has a seed corpus", arguments: FuzzTarget.allCases)
    func corpusExists(target: FuzzTarget) throws {
        #expect(try FuzzReplay.savedInputs(of: target).count >= 5)
    }

    @Test("every saved input passes its target's checks", arguments: FuzzTarget.allCases)
    func savedInputsPass(target: FuzzTarget) throws {
        for input in try FuzzReplay.savedInputs(of: target) {
            target.run(try [UInt8](Data(contentsOf: input)))
        }
    }
}
