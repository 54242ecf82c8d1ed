// SPDX-License-Identifier: MIT
// Swift Testing is on the search path only when tests are built; a plain `swift build` skips this file.
#if canImport(Testing)
import MiniFltClient
public import MiniFltWire
public import Testing

/// Expects `body` to fail with a ``FilterPortError`` carrying `hresult`, as the fltlib call it mirrors would;
/// records `unexpected` when it succeeds instead, and any other error as one.
public func expectFailure<R>(
    _ hresult: HResult,
    _ unexpected: Comment,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> R
) {
    do {
        _ = try body()
        Issue.record(unexpected, sourceLocation: sourceLocation)
    } catch let error as FilterPortError {
        #expect(error.hresult == hresult, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("failed with \(error), not a FilterPortError", sourceLocation: sourceLocation)
    }
}
#endif
