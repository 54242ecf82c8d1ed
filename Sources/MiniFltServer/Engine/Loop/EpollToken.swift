// SPDX-License-Identifier: MIT
/// What an epoll event of the port is about: the event's 64-bit data word, typed.
///
/// The data word holds a connection's id shifted left by three, with the low bit set for its write
/// registration, or a source's id (``PortEngine/addSource(_:onReadable:)``) shifted the same way with the
/// second bit set; ids start at 1, so the words below 8 are free for the port's own descriptors.
enum EpollToken: Hashable {
    case listener
    case timer
    case wake
    case probe
    case read(connection: UInt64)
    case write(connection: UInt64)
    case source(UInt64)

    /// The data word registered with epoll.
    var rawValue: UInt64 {
        switch self {
        case .listener: 2
        case .timer: 3
        case .wake: 4
        case .probe: 5
        case .read(let id): id << 3
        case .write(let id): id << 3 | 1
        case .source(let id): id << 3 | 2
        }
    }

    /// The token of a data word epoll returned; nil for a word the port never registered.
    init?(rawValue: UInt64) {
        switch rawValue {
        case 2: self = .listener
        case 3: self = .timer
        case 4: self = .wake
        case 5: self = .probe
        case 8...:
            switch rawValue & 7 {
            case 0: self = .read(connection: rawValue >> 3)
            case 1: self = .write(connection: rawValue >> 3)
            case 2: self = .source(rawValue >> 3)
            default: return nil
            }
        default: return nil
        }
    }
}
