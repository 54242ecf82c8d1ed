import Logging
import MiniFltPermissions
import MiniFltWire

extension Logger {
    /// Logs one port event with its kind, the client's identity and the status as metadata: the one place
    /// that names those keys, so that a journald handler can map them to fields.
    func event(
        _ level: Logger.Level,
        _ event: PortEvent,
        _ message: @autoclosure () -> String,
        peer: PeerIdentity? = nil,
        status: NTStatus? = nil
    ) {
        guard logLevel <= level else { return }
        var metadata: Logger.Metadata = [PortEvent.metadataKey: "\(event.rawValue)"]
        if let peer {
            metadata[PortMetadataKey.clientPID] = "\(peer.pid)"
            metadata[PortMetadataKey.clientUID] = "\(peer.uid)"
            metadata[PortMetadataKey.clientGID] = "\(peer.gid)"
        }
        if let status { metadata[PortMetadataKey.status] = "\(status)" }
        log(level: level, "\(message())", metadata: metadata)
    }
}
