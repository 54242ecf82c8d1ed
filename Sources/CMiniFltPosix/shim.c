/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "CMiniFltPosix.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <sys/epoll.h>
#include <sys/fanotify.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/uio.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

_Static_assert(CMiniFltPosix_EPOLLIN == EPOLLIN, "EPOLLIN");
_Static_assert(CMiniFltPosix_EPOLLOUT == EPOLLOUT, "EPOLLOUT");
_Static_assert(CMiniFltPosix_EPOLLERR == EPOLLERR, "EPOLLERR");
_Static_assert(CMiniFltPosix_EPOLLHUP == EPOLLHUP, "EPOLLHUP");
_Static_assert(CMiniFltPosix_EPOLLRDHUP == EPOLLRDHUP, "EPOLLRDHUP");
_Static_assert(CMiniFltPosix_EPOLLONESHOT == (int)EPOLLONESHOT, "EPOLLONESHOT");
_Static_assert(CMiniFltPosix_EPOLLET == (int)EPOLLET, "EPOLLET");

int CMiniFltPosix_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int CMiniFltPosix_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event event = {.events = events, .data.u64 = data};
    return epoll_ctl(epfd, op, fd, &event);
}

int CMiniFltPosix_epoll_wait(int epfd, CMiniFltPosix_EpollEvent *events, int maxevents, int timeout_ms) {
    struct epoll_event raw[64];
    if (maxevents > 64) maxevents = 64;
    int count = epoll_wait(epfd, raw, maxevents, timeout_ms);
    for (int i = 0; i < count; i++) {
        events[i].events = raw[i].events;
        events[i].data = raw[i].data.u64;
    }
    return count;
}

int CMiniFltPosix_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

int CMiniFltPosix_timerfd(void) { return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC); }

int CMiniFltPosix_timerfd_arm(int fd, int64_t nanoseconds) {
    struct itimerspec spec;
    memset(&spec, 0, sizeof spec);
    spec.it_value.tv_sec = nanoseconds / 1000000000;
    spec.it_value.tv_nsec = nanoseconds % 1000000000;
    return timerfd_settime(fd, 0, &spec, NULL);
}

int CMiniFltPosix_accept(int fd) { return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC); }

int CMiniFltPosix_peer_credentials(int fd, CMiniFltPosix_PeerCredentials *out) {
    struct ucred cred;
    socklen_t length = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) return -1;
    out->pid = cred.pid;
    out->uid = cred.uid;
    out->gid = cred.gid;
    return 0;
}

int CMiniFltPosix_peer_groups(int fd, uint32_t *groups, int capacity) {
    socklen_t length = (socklen_t)(capacity * sizeof(gid_t));
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &length) != 0) return -1;
    return (int)(length / sizeof(gid_t));
}

static socklen_t abstract_address(struct sockaddr_un *address, const uint8_t *name, int length) {
    memset(address, 0, sizeof *address);
    address->sun_family = AF_UNIX;
    memcpy(address->sun_path + 1, name, (size_t)length);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)length);
}

int CMiniFltPosix_bind_abstract(int fd, const uint8_t *name, int length) {
    struct sockaddr_un address;
    if (length < 0 || length > (int)sizeof address.sun_path - 1) { errno = ENAMETOOLONG; return -1; }
    socklen_t size = abstract_address(&address, name, length);
    return bind(fd, (struct sockaddr *)&address, size);
}

int CMiniFltPosix_connect_abstract(int fd, const uint8_t *name, int length) {
    struct sockaddr_un address;
    if (length < 0 || length > (int)sizeof address.sun_path - 1) { errno = ENAMETOOLONG; return -1; }
    socklen_t size = abstract_address(&address, name, length);
    return connect(fd, (struct sockaddr *)&address, size);
}

static int path_address(struct sockaddr_un *address, const char *path) {
    size_t length = strlen(path);
    if (length == 0 || length > sizeof address->sun_path - 1) { errno = ENAMETOOLONG; return -1; }
    memset(address, 0, sizeof *address);
    address->sun_family = AF_UNIX;
    memcpy(address->sun_path, path, length);
    return 0;
}

int CMiniFltPosix_bind_path(int fd, const char *path) {
    struct sockaddr_un address;
    if (path_address(&address, path) != 0) return -1;
    return bind(fd, (struct sockaddr *)&address, sizeof address);
}

int CMiniFltPosix_connect_path(int fd, const char *path) {
    struct sockaddr_un address;
    if (path_address(&address, path) != 0) return -1;
    return connect(fd, (struct sockaddr *)&address, sizeof address);
}

int CMiniFltPosix_abstract_name(int fd, uint8_t *name, int capacity) {
    struct sockaddr_un address;
    socklen_t size = sizeof address;
    memset(&address, 0, sizeof address);
    if (getsockname(fd, (struct sockaddr *)&address, &size) != 0) return -1;
    if (address.sun_family != AF_UNIX) return -2;
    size_t offset = offsetof(struct sockaddr_un, sun_path);
    if (size <= offset + 1 || address.sun_path[0] != '\0') return -2;
    int length = (int)(size - offset - 1);
    if (length > capacity) length = capacity;
    memcpy(name, address.sun_path + 1, (size_t)length);
    return length;
}

ssize_t CMiniFltPosix_send(int fd, const void *buffer, size_t length, int dontwait) {
    return send(fd, buffer, length, MSG_NOSIGNAL | (dontwait ? MSG_DONTWAIT : 0));
}

int CMiniFltPosix_errno(void) { return errno; }

void CMiniFltPosix_set_thread_name(const char *name) {
    char truncated[16];
    strncpy(truncated, name, sizeof truncated - 1);
    truncated[sizeof truncated - 1] = 0;
    pthread_setname_np(pthread_self(), truncated);
}

int CMiniFltPosix_datagram_listener_at(const char *path) {
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof address.sun_path) return 0;
    strcpy(address.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    int connected = connect(fd, (struct sockaddr *)&address, sizeof address) == 0;
    close(fd);
    return connected;
}

int CMiniFltPosix_datagram_connect(const char *address, int length, int nonblocking) {
    struct sockaddr_un target = {.sun_family = AF_UNIX};
    if (length <= 0 || (size_t)length > sizeof target.sun_path) {
        errno = EINVAL;
        return -1;
    }
    memcpy(target.sun_path, address, (size_t)length);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
    if (fd < 0) return -1;
    // A path is NUL-terminated in sun_path (as systemd passes it); an abstract name has its exact length.
    socklen_t size = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)length);
    if (connect(fd, (struct sockaddr *)&target, size) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

_Static_assert(CMiniFltPosix_FANOTIFY_READ_EVENTS == 4096 / sizeof(struct fanotify_event_metadata),
               "the most events one read of 4,096 bytes returns");

int CMiniFltPosix_fanotify_read(int fanotify_fd, CMiniFltPosix_FileEvent *events, int capacity) {
    char buffer[4096] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
    ssize_t length = read(fanotify_fd, buffer, sizeof buffer);
    if (length < 0) return -1;
    int count = 0;
    struct fanotify_event_metadata *metadata = (struct fanotify_event_metadata *)buffer;
    while (FAN_EVENT_OK(metadata, length) && count < capacity) {
        if (metadata->vers == FANOTIFY_METADATA_VERSION && metadata->fd >= 0) {
            events[count].fd = metadata->fd;
            events[count].pid = metadata->pid;
            events[count].mask = metadata->mask;
            count++;
        } else if (metadata->fd >= 0) {
            close(metadata->fd);
        }
        metadata = FAN_EVENT_NEXT(metadata, length);
    }
    return count;
}

long CMiniFltPosix_descriptor_path(int fd, char *buffer, size_t capacity) {
    char link[32];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    return (long)readlink(link, buffer, capacity);
}

int CMiniFltPosix_fanotify_init_filter(void) {
    unsigned int flags = FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK;
    int fd = fanotify_init(flags, O_RDONLY | O_LARGEFILE | O_CLOEXEC | O_NOATIME);
    /* O_NOATIME is refused on some kernels for event_f_flags: without it, only atime differs. */
    if (fd < 0 && errno == EINVAL) fd = fanotify_init(flags, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
    return fd;
}

int CMiniFltPosix_fanotify_mark(int fanotify_fd, unsigned int flags, uint64_t mask, int dirfd, const char *path) {
    return fanotify_mark(fanotify_fd, flags, mask, dirfd, path);
}

uint64_t CMiniFltPosix_FAN_OPEN_PERM(void) { return FAN_OPEN_PERM; }
uint64_t CMiniFltPosix_FAN_OPEN_EXEC_PERM(void) { return FAN_OPEN_EXEC_PERM; }
uint64_t CMiniFltPosix_FAN_ACCESS_PERM(void) { return FAN_ACCESS_PERM; }
uint64_t CMiniFltPosix_FAN_CLOSE_WRITE(void) { return FAN_CLOSE_WRITE; }
uint64_t CMiniFltPosix_FAN_EVENT_ON_CHILD(void) { return FAN_EVENT_ON_CHILD; }
unsigned int CMiniFltPosix_FAN_MARK_ADD(void) { return FAN_MARK_ADD; }
unsigned int CMiniFltPosix_FAN_MARK_REMOVE(void) { return FAN_MARK_REMOVE; }
unsigned int CMiniFltPosix_FAN_MARK_MOUNT(void) { return FAN_MARK_MOUNT; }
unsigned int CMiniFltPosix_FAN_MARK_FILESYSTEM(void) { return FAN_MARK_FILESYSTEM; }
unsigned int CMiniFltPosix_FAN_MARK_IGNORED_MASK(void) { return FAN_MARK_IGNORED_MASK; }
unsigned int CMiniFltPosix_FAN_MARK_ONLYDIR(void) { return FAN_MARK_ONLYDIR; }

int CMiniFltPosix_fanotify_answer(int fanotify_fd, int event_fd, int allow) {
    struct fanotify_response response = {.fd = event_fd, .response = allow ? FAN_ALLOW : FAN_DENY};
    return write(fanotify_fd, &response, sizeof response) == sizeof response ? 0 : -1;
}

int64_t CMiniFltPosix_process_uid(int pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *file = fopen(path, "re");
    if (!file) return -1;
    char line[256];
    int64_t uid = -1;
    while (fgets(line, sizeof line, file)) {
        unsigned long real, effective;
        if (sscanf(line, "Uid:\t%lu\t%lu", &real, &effective) == 2) {
            uid = (int64_t)effective;
            break;
        }
    }
    fclose(file);
    return uid;
}

int CMiniFltPosix_file_handle(int fd, void *buffer, int capacity, int *mount_id) {
    if (capacity < (int)sizeof(struct file_handle)) {
        errno = EINVAL;
        return -1;
    }
    struct file_handle *handle = buffer;
    handle->handle_bytes = (unsigned int)(capacity - (int)sizeof(struct file_handle));
    if (name_to_handle_at(fd, "", handle, mount_id, AT_EMPTY_PATH) < 0) return -1;
    return (int)(sizeof(struct file_handle) + handle->handle_bytes);
}

int CMiniFltPosix_open_parent_directory(int fd) {
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t length = readlink(link, path, sizeof path - 1);
    if (length <= 0) return -1;
    path[length] = '\0';
    char *slash = strrchr(path, '/');
    if (!slash) {
        errno = ENOENT;
        return -1;
    }
    if (slash == path) slash++;
    *slash = '\0';
    return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int CMiniFltPosix_open_handle(int mount_fd, const void *handle) {
    return open_by_handle_at(mount_fd, (struct file_handle *)handle, O_PATH | O_CLOEXEC);
}

int CMiniFltPosix_set_malloc_thresholds(size_t mmap_threshold, size_t trim_threshold) {
    if (mmap_threshold > INT_MAX || trim_threshold > INT_MAX) return -1;
    return mallopt(M_MMAP_THRESHOLD, (int)mmap_threshold) == 1 && mallopt(M_TRIM_THRESHOLD, (int)trim_threshold) == 1 ? 0 : -1;
}

static int signal_pipe_write_end = -1;

static void signal_pipe_handler(int number) {
    int saved = errno;
    unsigned char byte = (unsigned char)number;
    // Non-blocking: a flood of signals while the reader is busy loses repeats, never blocks the handler.
    ssize_t written = write(signal_pipe_write_end, &byte, 1);
    (void)written;
    errno = saved;
}

int CMiniFltPosix_signal_pipe(const int *numbers, int count) {
    int ends[2];
    if (pipe2(ends, O_CLOEXEC) < 0) return -1;
    if (fcntl(ends[1], F_SETFL, O_NONBLOCK) < 0) {
        int saved = errno;
        close(ends[0]);
        close(ends[1]);
        errno = saved;
        return -1;
    }
    signal_pipe_write_end = ends[1];
    struct sigaction action = {.sa_handler = signal_pipe_handler, .sa_flags = SA_RESTART};
    sigemptyset(&action.sa_mask);
    for (int i = 0; i < count; i++) {
        if (sigaction(numbers[i], &action, NULL) < 0) return -1;
    }
    return ends[0];
}

int CMiniFltPosix_sigrtmin(void) { return SIGRTMIN; }

int CMiniFltPosix_sigrtmax(void) { return SIGRTMAX; }

const char *CMiniFltPosix_signal_abbreviation(int number) { return sigabbrev_np(number); }

int CMiniFltPosix_trim_malloc(void) {
    return malloc_trim(0);
}

ssize_t CMiniFltPosix_send_descriptors(int fd, const void *buffer, size_t length, const int *descriptors, int count,
                                       int dontwait) {
    if (count < 0 || count > CMiniFltPosix_SCM_MAX_FD) {
        errno = EINVAL;
        return -1;
    }
    struct iovec vector = {.iov_base = (void *)buffer, .iov_len = length};
    union {
        char bytes[CMSG_SPACE(sizeof(int) * CMiniFltPosix_SCM_MAX_FD)];
        struct cmsghdr align;
    } control;
    struct msghdr message = {.msg_iov = &vector, .msg_iovlen = 1};
    if (count > 0) {
        memset(&control, 0, sizeof control);
        message.msg_control = control.bytes;
        message.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)count);
        struct cmsghdr *header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_RIGHTS;
        header->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)count);
        memcpy(CMSG_DATA(header), descriptors, sizeof(int) * (size_t)count);
    }
    return sendmsg(fd, &message, MSG_NOSIGNAL | (dontwait ? MSG_DONTWAIT : 0));
}

ssize_t CMiniFltPosix_receive_descriptors(int fd, void *buffer, size_t length, int *descriptors, int *count,
                                          int *truncated) {
    struct iovec vector = {.iov_base = buffer, .iov_len = length};
    union {
        char bytes[CMSG_SPACE(sizeof(int) * CMiniFltPosix_SCM_MAX_FD)];
        struct cmsghdr align;
    } control;
    struct msghdr message = {
        .msg_iov = &vector, .msg_iovlen = 1, .msg_control = control.bytes, .msg_controllen = sizeof control.bytes};
    *count = 0;
    *truncated = 0;
    ssize_t received = recvmsg(fd, &message, MSG_CMSG_CLOEXEC);
    if (received < 0) return received;
    if (message.msg_flags & MSG_CTRUNC) *truncated |= CMiniFltPosix_CUT_BY_KERNEL;
    for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header; header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) {
            *truncated |= CMiniFltPosix_FOREIGN_CONTROL;
            continue;
        }
        size_t bytes = header->cmsg_len - CMSG_LEN(0);
        int found = (int)(bytes / sizeof(int));
        for (int index = 0; index < found && *count < CMiniFltPosix_SCM_MAX_FD; index++) {
            memcpy(&descriptors[*count], CMSG_DATA(header) + sizeof(int) * (size_t)index, sizeof(int));
            *count += 1;
        }
    }
    return received;
}
