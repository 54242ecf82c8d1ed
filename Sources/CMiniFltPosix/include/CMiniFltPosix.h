/* SPDX-License-Identifier: MIT */
// Linux interfaces that Swift's Glibc module does not import, wrapped as plain functions.
// Names carry the CMiniFltPosix_ prefix so they never collide with libc symbols.
#ifndef CMINIFLTPOSIX_H
#define CMINIFLTPOSIX_H

#include <stdint.h>
#include <sys/types.h>

/// The peer's credentials as of connect() or listen() (SO_PEERCRED).
typedef struct {
    int32_t pid;
    uint32_t uid;
    uint32_t gid;
} CMiniFltPosix_PeerCredentials;

/// One ready descriptor from epoll_wait.
typedef struct {
    uint32_t events;
    uint64_t data;
} CMiniFltPosix_EpollEvent;

enum {
    CMiniFltPosix_EPOLLIN = 0x001,
    CMiniFltPosix_EPOLLOUT = 0x004,
    CMiniFltPosix_EPOLLERR = 0x008,
    CMiniFltPosix_EPOLLHUP = 0x010,
    CMiniFltPosix_EPOLLRDHUP = 0x2000,
    CMiniFltPosix_EPOLLONESHOT = 0x40000000,
    CMiniFltPosix_EPOLLET = (int)0x80000000u,
};

int CMiniFltPosix_epoll_create(void);
/// op: 1 add, 2 delete, 3 modify (EPOLL_CTL_*).
int CMiniFltPosix_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);
int CMiniFltPosix_epoll_wait(int epfd, CMiniFltPosix_EpollEvent *events, int maxevents, int timeout_ms);

/// A non-blocking, close-on-exec eventfd.
int CMiniFltPosix_eventfd(void);
/// A non-blocking, close-on-exec CLOCK_MONOTONIC timerfd.
int CMiniFltPosix_timerfd(void);
/// Arms the timer to fire once after `nanoseconds` (0 disarms it).
int CMiniFltPosix_timerfd_arm(int fd, int64_t nanoseconds);

/// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC.
int CMiniFltPosix_accept(int fd);
int CMiniFltPosix_peer_credentials(int fd, CMiniFltPosix_PeerCredentials *out);
/// Supplementary groups of the peer (SO_PEERGROUPS); returns the count, or -1 with errno (ERANGE: *count says how many).
int CMiniFltPosix_peer_groups(int fd, uint32_t *groups, int capacity);

/// A stream socket bound to (or connected to) an abstract address of exactly `length` name bytes.
int CMiniFltPosix_bind_abstract(int fd, const uint8_t *name, int length);
int CMiniFltPosix_connect_abstract(int fd, const uint8_t *name, int length);
/// Writes the socket's local address name (without the leading NUL for abstract names) into `name`;
/// returns the name length, -2 if the address is not abstract, -1 with errno on failure.
int CMiniFltPosix_abstract_name(int fd, uint8_t *name, int capacity);
/// A stream socket bound to (or connected to) the socket file at `path` (NUL-terminated, at most 107 bytes).
int CMiniFltPosix_bind_path(int fd, const char *path);
int CMiniFltPosix_connect_path(int fd, const char *path);

/// True when a datagram socket at the file-system `path` accepts a connection (something listens there;
/// a socket file left by a stopped process refuses).
int CMiniFltPosix_datagram_listener_at(const char *path);

/// A close-on-exec datagram socket connected to `address` (`length` bytes: a file-system path, or an
/// abstract name whose first byte is '\0'), blocking unless `nonblocking`; -1 with errno.
int CMiniFltPosix_datagram_connect(const char *address, int length, int nonblocking);

/// One fanotify permission event: the opened file (an fd to answer with and close) and the opener's pid.
typedef struct {
    int32_t fd;
    int32_t pid;
    uint64_t mask;
} CMiniFltPosix_FileEvent;

/// Reads permission events into `events`; returns how many, or -1 with errno. One read takes at most
/// CMiniFltPosix_FANOTIFY_READ_EVENTS events (what fits its 4,096-byte buffer).
int CMiniFltPosix_fanotify_read(int fanotify_fd, CMiniFltPosix_FileEvent *events, int capacity);
#define CMiniFltPosix_FANOTIFY_READ_EVENTS 170

/// The path of the file open at `fd` (readlink of /proc/self/fd/N) in `buffer`, not terminated: its length,
/// or -1 with errno.
long CMiniFltPosix_descriptor_path(int fd, char *buffer, size_t capacity);

/// fanotify_init for a filter group (FAN_CLASS_CONTENT, close-on-exec, non-blocking reads): the event
/// descriptors it hands out are O_RDONLY | O_LARGEFILE | O_CLOEXEC | O_NOATIME where allowed, and reading
/// them raises no new events. -1 with errno.
int CMiniFltPosix_fanotify_init_filter(void);
/// fanotify_mark with the caller's flags, mask and object: `path` relative to `dirfd` (AT_FDCWD), or the
/// file of `dirfd` itself when `path` is NULL. -1 with errno.
int CMiniFltPosix_fanotify_mark(int fanotify_fd, unsigned int flags, uint64_t mask, int dirfd, const char *path);
/// The fanotify event bits the library uses, so Swift need not spell the kernel's macros.
uint64_t CMiniFltPosix_FAN_OPEN_PERM(void);
uint64_t CMiniFltPosix_FAN_OPEN_EXEC_PERM(void);
uint64_t CMiniFltPosix_FAN_ACCESS_PERM(void);
uint64_t CMiniFltPosix_FAN_CLOSE_WRITE(void);
uint64_t CMiniFltPosix_FAN_EVENT_ON_CHILD(void);
unsigned int CMiniFltPosix_FAN_MARK_ADD(void);
unsigned int CMiniFltPosix_FAN_MARK_REMOVE(void);
unsigned int CMiniFltPosix_FAN_MARK_MOUNT(void);
unsigned int CMiniFltPosix_FAN_MARK_FILESYSTEM(void);
unsigned int CMiniFltPosix_FAN_MARK_IGNORED_MASK(void);
unsigned int CMiniFltPosix_FAN_MARK_ONLYDIR(void);
/// Answers one permission event by its fd: allow (1) or deny (0). -1 with errno (ENOENT: no such event
/// waits, which a late answer after the group already answered it would meet).
int CMiniFltPosix_fanotify_answer(int fanotify_fd, int event_fd, int allow);
/// The effective uid of process `pid` from /proc/PID/status; -1 when it cannot be read (it exited).
int64_t CMiniFltPosix_process_uid(int pid);
/// The file handle of the file open at `fd` (name_to_handle_at with AT_EMPTY_PATH) into `buffer`
/// (`capacity` bytes: a struct file_handle and its bytes) and its mount id; the handle's total size, or -1
/// with errno.
int CMiniFltPosix_file_handle(int fd, void *buffer, int capacity, int *mount_id);
/// A read-only descriptor of the directory that holds the file open at `fd`: open_by_handle_at's mount
/// descriptor (it takes no O_PATH one). Opening a directory raises no fanotify event unless FAN_ONDIR is
/// marked. -1 with errno.
int CMiniFltPosix_open_parent_directory(int fd);
/// Opens the file a handle names (open_by_handle_at, O_PATH, on the mount of `mount_fd`); -1 with errno.
int CMiniFltPosix_open_handle(int mount_fd, const void *handle);

/// Sends without raising SIGPIPE (MSG_NOSIGNAL), optionally MSG_DONTWAIT.
ssize_t CMiniFltPosix_send(int fd, const void *buffer, size_t length, int dontwait);

/// The most descriptors one SCM_RIGHTS message carries (SCM_MAX_FD).
enum { CMiniFltPosix_SCM_MAX_FD = 253 };
/// The bits of CMiniFltPosix_receive_descriptors's `*truncated`.
enum { CMiniFltPosix_CUT_BY_KERNEL = 1, CMiniFltPosix_FOREIGN_CONTROL = 2 };
/// sendmsg of `buffer` with `count` descriptors in one SCM_RIGHTS message (none when `count` is 0), with
/// MSG_NOSIGNAL, and MSG_DONTWAIT when `dontwait` is not 0 (docs/protocol.md section 12).
ssize_t CMiniFltPosix_send_descriptors(int fd, const void *buffer, size_t length, const int *descriptors, int count,
                                       int dontwait);
/// recvmsg with MSG_CMSG_CLOEXEC and room for 253 descriptors: the data count (0 at end of stream, -1 with
/// errno), the received descriptors in `descriptors` (253 places) and their count in `*count`. `*truncated` has
/// CMiniFltPosix_CUT_BY_KERNEL when the kernel cut control data (MSG_CTRUNC: the process is at RLIMIT_NOFILE)
/// and CMiniFltPosix_FOREIGN_CONTROL when a control message was not SCM_RIGHTS; the descriptors that did arrive
/// are still returned, for the caller to close.
ssize_t CMiniFltPosix_receive_descriptors(int fd, void *buffer, size_t length, int *descriptors, int *count,
                                          int *truncated);

int CMiniFltPosix_errno(void);

/// Fixes glibc malloc's thresholds (mallopt M_MMAP_THRESHOLD and M_TRIM_THRESHOLD, which otherwise move
/// with the program's behaviour); 0 on success.
int CMiniFltPosix_set_malloc_thresholds(size_t mmap_threshold, size_t trim_threshold);

/// SIGRTMIN and SIGRTMAX (macros that call into glibc, so not imported).
int CMiniFltPosix_sigrtmin(void);
int CMiniFltPosix_sigrtmax(void);
/// Catches each of `numbers` with a handler that writes the signal's number (one byte) to a pipe, and
/// returns the pipe's blocking, close-on-exec read end (-1 with errno). One pipe serves every signal: a
/// Dispatch signal source costs a signalfd each. Call once.
int CMiniFltPosix_signal_pipe(const int *numbers, int count);

/// The signal's abbreviation without "SIG" ("HUP"), or NULL for a number glibc does not name.
const char *CMiniFltPosix_signal_abbreviation(int number);
/// Gives the free pages of every malloc arena back to the kernel (malloc_trim(0)); 1 if any went back.
int CMiniFltPosix_trim_malloc(void);

/// Names the calling thread (at most 15 bytes show in `top -H`).
void CMiniFltPosix_set_thread_name(const char *name);

#endif
