// SPDX-License-Identifier: MIT
import MiniFltPermissions
import MiniFltPosix
import Synchronization

/// The settings admission reads for each accepted connection and ``ServerPort/update(_:)`` may change: one
/// lock, taken once per accept and never on the message path.
struct AdmissionSettings: Sendable {
    var permissions: PermissionDescriptor
    var maxConnections: Int
    var maxPendingHandshakes: Int

    init(_ configuration: ServerPortConfiguration) {
        permissions = configuration.permissions
        maxConnections = configuration.maxConnections
        maxPendingHandshakes = configuration.maxPendingHandshakes
    }
}

extension PortEngine {
    /// The configuration the port was made with, with the admission settings now in force.
    var currentConfiguration: ServerPortConfiguration {
        let settings = admissionSettings.withLock { $0 }
        var current = configuration
        current.permissions = settings.permissions
        current.maxConnections = settings.maxConnections
        current.maxPendingHandshakes = settings.maxPendingHandshakes
        return current
    }

    func apply(_ update: ServerPortUpdate) {
        admissionSettings.withLock { settings in
            if let permissions = update.permissions { settings.permissions = permissions }
            if let limit = update.maxConnections { settings.maxConnections = max(1, limit) }
            if let limit = update.maxPendingHandshakes { settings.maxPendingHandshakes = max(1, limit) }
        }
    }
}
