// SPDX-License-Identifier: MIT
public import Logging
public import MiniFltPermissions
public import MiniFltWire

extension Logger {
    /// Logs one port event with its kind, the client's identity and the status as metadata: the one place
    /// that names those keys, so that a journald handler can map them to fields. Routines use it too, so
    /// that their lines carry the same fields.
    public func event(
        _ level: Logger.Level,
        _ event: PortEvent,
        _ message: @autoclosure () -> String,
        peer: PeerIdentity? = nil,
        status: NTStatus? = nil,
        file: String = #fileID,
        function: String = #function,
        line: UInt = #line
    ) {
        guard logLevel <= level else { return }
        var metadata: Logger.Metadata = [PortEvent.metadataKey: "\(event.rawValue)"]
        if let peer {
            metadata[PortMetadataKey.clientPID] = "\(peer.pid)"
            metadata[PortMetadataKey.clientUID] = "\(peer.uid)"
            metadata[PortMetadataKey.clientGID] = "\(peer.gid)"
        }
        if let status { metadata[PortMetadataKey.status] = "\(status.hex)" }
        log(level: level, "\(message())", metadata: metadata, file: file, function: function, line: line)
    }
}
