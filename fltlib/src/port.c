/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "port.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "completion.h"
#include "condition.h"
#include "fltUser.h"
#include "io_thread.h"
#include "last_error.h"
#include "object.h"
#include "overlapped.h"
#include "port_internal.h"
#include "port_name.h"
#include "server_identity.h"
#include "status.h"
#include "wire.h"

/* The read buffer's usual size; it grows for a larger frame and shrinks back once that frame is filed. */
#define READ_BUFFER_SIZE (64 * 1024)
/* The largest frame body accepted from a server: well above any limit minifltd allows. */
#define MAX_INCOMING_BODY (64u * 1024 * 1024)
/* The server's default --max-message-size; FLTLIB_MAX_MESSAGE_SIZE overrides it. */
#define DEFAULT_MAX_MESSAGE_SIZE (1024u * 1024)
#define HANDSHAKE_TIMEOUT_MS 30000

/* ---- Failure ------------------------------------------------------------------------------------------- */

static void update_event(struct flt_port *port);
static void fail_requests(struct flt_port *port);
static void watch(struct flt_port *port);

/* Ends the connection with `hresult` unless it already ended; every waiting and later call fails with it.
 * Lock held. */
__attribute__((format(printf, 3, 4))) static void set_failure(struct flt_port *port, int32_t hresult,
                                                              const char *format, ...) {
    if (port->failure != 0) return;
    port->failure = hresult;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(port->failure_text, sizeof port->failure_text, format, arguments);
    va_end(arguments);
    /* Wakes a thread blocked in recv, and tells the server. */
    shutdown(port->fd, SHUT_RDWR);
    update_event(port);
    fail_requests(port);
    /* The I/O thread lets go of the port at its next wake-up, which the shutdown makes immediate. */
    if (port->io.registered) watch(port);
    pthread_cond_broadcast(&port->changed);
    flt_port_wake_sleepers(port);
}

/* The failure as this call's result. Lock held. */
int32_t flt_port_fail_with_connection(struct flt_port *port) {
    return flt_fail(port->failure, "%s", port->failure_text);
}

/* What a person should do about a status the server sent. */
static const char *advice_for_status(uint32_t status) {
    const char *advice = flt_status_advice(status);
    return advice != NULL ? advice : "the server answered with that status";
}

/* ---- Overlapped requests ------------------------------------------------------------------------------- */

/* What a caller whose descriptors the kernel cut off (docs/protocol.md section 12) should do. */
#define DESCRIPTOR_LIMIT_ADVICE                                                                                  \
    "this process was at its descriptor limit (RLIMIT_NOFILE), so the kernel dropped them (any that came were " \
    "closed); close descriptors it no longer needs or raise the limit (ulimit -n, LimitNOFILE=). The "         \
    "connection and later messages are not affected"

/* Keeps the descriptors of a message a get took, for FilterGetMessageDescriptors; the oldest set is closed
 * when FLT_KEPT_DESCRIPTOR_SETS are kept already. Takes over `descriptors` (malloc'd); `cut` is the message's
 * descriptors_cut. Lock held. */
static void keep_got_descriptors(struct flt_port *port, uint64_t id, int *descriptors, uint32_t count,
                                 uint32_t cut) {
    if (port->got_count == FLT_KEPT_DESCRIPTOR_SETS) {
        flt_close_descriptors(port->got[0].descriptors, port->got[0].count);
        free(port->got[0].descriptors);
        memmove(&port->got[0], &port->got[1], sizeof port->got[0] * (FLT_KEPT_DESCRIPTOR_SETS - 1));
        port->got_count--;
    }
    port->got[port->got_count++] =
        (struct got_descriptors){.id = id, .descriptors = descriptors, .count = count, .cut = cut};
}

/* Writes `message` (header, then bytes) to `buffer` and frees it; the caller took it off the queue. Its
 * descriptors wait for FilterGetMessageDescriptors. Lock held. */
static uint32_t copy_message(struct flt_port *port, struct message *message, void *buffer) {
    FILTER_MESSAGE_HEADER header = {.ReplyLength = message->reply_length, .MessageId = message->id};
    memcpy(buffer, &header, sizeof header);
    memcpy((uint8_t *)buffer + sizeof header, message->bytes, message->length);
    uint32_t bytes = (uint32_t)sizeof header + message->length;
    if (message->descriptors != NULL || message->descriptors_cut > 0) {
        keep_got_descriptors(port, message->id, message->descriptors, message->descriptor_count,
                             message->descriptors_cut);
    }
    free(message);
    return bytes;
}

void flt_close_descriptors(const int *descriptors, uint32_t count) {
    for (uint32_t index = 0; index < count; index++) close(descriptors[index]);
}

int32_t flt_port_get_descriptors(struct flt_port *port, uint64_t message_id, int *descriptors, uint32_t capacity,
                                 uint32_t *count) {
    *count = 0;
    pthread_mutex_lock(&port->lock);
    int32_t result = 0;
    uint32_t index = 0;
    while (index < port->got_count && port->got[index].id != message_id) index++;
    if (index == port->got_count) {
        result = port->failure != 0 ? flt_port_fail_with_connection(port) : 0;
    } else if (port->got[index].cut > 0) {
        /* Reported once, as descriptors are taken once. */
        result = flt_fail(HRESULT_FROM_WIN32(ERROR_TOO_MANY_OPEN_FILES),
                          "the %u descriptor(s) of message %llu from %s did not reach this process: "
                          DESCRIPTOR_LIMIT_ADVICE, port->got[index].cut, (unsigned long long)message_id, port->address);
        memmove(&port->got[index], &port->got[index + 1], sizeof port->got[0] * (port->got_count - index - 1));
        port->got_count--;
    } else if (port->got[index].count > capacity) {
        *count = port->got[index].count;
        result = flt_fail(HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER),
                          "message %llu came with %u descriptors; the array of %u cannot take them (they stay kept)",
                          (unsigned long long)message_id, port->got[index].count, capacity);
    } else {
        *count = port->got[index].count;
        memcpy(descriptors, port->got[index].descriptors, sizeof(int) * port->got[index].count);
        free(port->got[index].descriptors);
        memmove(&port->got[index], &port->got[index + 1], sizeof port->got[0] * (port->got_count - index - 1));
        port->got_count--;
    }
    pthread_mutex_unlock(&port->lock);
    return result;
}

static struct message *dequeue_message(struct flt_port *port) {
    struct message *message = port->first_message;
    port->first_message = message->next;
    if (port->first_message == NULL) port->last_message = NULL;
    return message;
}

/* Ends a request that is off every list. Lock held: the event and the completion port have locks of their own,
 * taken after this one and never before it. */
void flt_port_complete_request(struct flt_port *port, struct flt_request *request, uint32_t status, uint32_t bytes) {
    flt_overlapped_deliver(&request->target, status, bytes);
    free(request);
    port->pending_requests--;
    /* GetOverlappedResult without an event waits on `changed`. */
    pthread_cond_broadcast(&port->changed);
}

static void unlink_waiter(struct waiter **list, struct waiter *waiter) {
    for (struct waiter **link = list; *link != NULL; link = &(*link)->next) {
        if (*link == waiter) {
            *link = waiter->next;
            return;
        }
    }
}

/* Hands queued messages to pending overlapped gets, oldest to oldest. A get whose buffer is too small ends with
 * ERROR_INSUFFICIENT_BUFFER and the message waits for the next. Lock held. */
void flt_port_dispatch_messages(struct flt_port *port) {
    while (port->first_message != NULL && port->first_get != NULL) {
        struct flt_request *request = port->first_get;
        port->first_get = request->next;
        if (port->first_get == NULL) port->last_get = NULL;
        if ((uint64_t)FLT_FRAME_HEADER_SIZE + port->first_message->length > request->size) {
            flt_port_complete_request(port, request, flt_status_from_hresult(HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER)), 0);
            continue;
        }
        uint32_t bytes = copy_message(port, dequeue_message(port), request->buffer);
        flt_port_complete_request(port, request, FLT_STATUS_SUCCESS, bytes);
    }
    update_event(port);
}

/* Ends every overlapped request with the connection's failure (0x80070006 from GetOverlappedResult after a
 * close or a disconnect). Lock held, failure set. */
static void fail_requests(struct flt_port *port) {
    uint32_t status = flt_status_from_hresult(port->failure);
    while (port->first_get != NULL) {
        struct flt_request *request = port->first_get;
        port->first_get = request->next;
        flt_port_complete_request(port, request, status, 0);
    }
    port->last_get = NULL;
    for (struct waiter **link = &port->sends; *link != NULL;) {
        struct waiter *waiter = *link;
        if (waiter->request == NULL) {
            link = &waiter->next;
            continue;
        }
        *link = waiter->next;
        flt_port_complete_request(port, waiter->request, status, 0);
    }
}

/* Has the I/O thread watch the socket once more (the first time, the registration takes a reference). Lock
 * held. */
static void watch(struct flt_port *port) {
    bool registered = port->io.registered;
    int error = flt_io_arm(&port->io);
    if (error == 0 && !registered) flt_object_retain(&port->object);
    if (error != 0) {
        set_failure(port, error == ENOMEM ? E_OUTOFMEMORY : HRESULT_FROM_WIN32(ERROR_NO_SYSTEM_RESOURCES),
                    "cannot wait for %s on libfltlib's I/O thread: %s", port->address, strerror(error));
    }
}

/* After a read: the I/O thread keeps watching while overlapped requests wait. Lock held. */
void flt_port_watch_if_waiting(struct flt_port *port) {
    if (port->pending_requests > 0 && !port->io.armed) watch(port);
}

/* ---- Reading ------------------------------------------------------------------------------------------- */

static void update_event(struct flt_port *port) {
    if (port->event_fd < 0) return;
    bool wanted = port->first_message != NULL || port->failure != 0;
    uint64_t value = 1;
    if (wanted && !port->event_signalled) {
        if (write(port->event_fd, &value, sizeof value) == sizeof value) port->event_signalled = true;
    } else if (!wanted && port->event_signalled) {
        if (read(port->event_fd, &value, sizeof value) == sizeof value) port->event_signalled = false;
    }
}

/* The waiter on `list` for message `id` that has no result yet; NULL when nobody waits (any more). */
static struct waiter *find_waiter(struct waiter *list, uint64_t id) {
    for (struct waiter *waiter = list; waiter != NULL; waiter = waiter->next) {
        if (waiter->id == id && !waiter->done) return waiter;
    }
    return NULL;
}

/* Files one frame and the `count` descriptors it announced (`descriptors`, now the library's: each goes to its
 * waiter or message, or is closed); `cut` instead of them when the kernel cut them off (their number). */
static void file_frame(struct flt_port *port, const struct flt_frame_header *header, const uint8_t *body,
                       const int *descriptors, uint32_t count, uint32_t cut) {
    uint32_t head = flt_get_u32(body);
    const uint8_t *payload = body + 4;
    uint32_t payload_length = header->body_length - 4;
    switch (header->type) {
    case FLT_FRAME_CONNECT_RESULT:
        /* After the handshake a CONNECT_RESULT means nothing; ignored as the Swift client does. */
        if (!port->connect_answered) {
            port->connect_answered = true;
            port->connect_status = head;
        }
        break;
    case FLT_FRAME_SEND_RESULT: {
        struct waiter *waiter = find_waiter(port->sends, header->id);
        if (waiter == NULL || count > waiter->descriptor_capacity) {
            flt_close_descriptors(descriptors, count);
            if (waiter != NULL) waiter->descriptors_lost = true;
        } else if (count > 0) {
            memcpy(waiter->descriptors, descriptors, sizeof(int) * count);
            waiter->descriptor_count = count;
        }
        if (waiter == NULL) break;
        waiter->descriptors_cut = cut;
        if (payload_length > waiter->capacity) {
            /* The server must not send more than the capacity; refuse rather than truncate. */
            waiter->status = FLT_STATUS_BUFFER_OVERFLOW;
        } else {
            waiter->status = head;
            waiter->returned = payload_length;
            if (payload_length > 0) memcpy(waiter->output, payload, payload_length);
        }
        waiter->done = true;
        if (waiter->request != NULL) {
            unlink_waiter(&port->sends, waiter);
            flt_port_complete_request(port, waiter->request, waiter->status,
                             waiter->status == FLT_STATUS_SUCCESS ? waiter->returned : 0);
        }
        break;
    }
    case FLT_FRAME_MESSAGE: {
        struct message *message = malloc(sizeof *message + payload_length);
        int *kept = count > 0 ? malloc(sizeof(int) * count) : NULL;
        if (message == NULL || (count > 0 && kept == NULL)) {
            free(message);
            free(kept);
            flt_close_descriptors(descriptors, count);
            set_failure(port, E_OUTOFMEMORY, "out of memory for a %u-byte message from %s", payload_length,
                        port->address);
            break;
        }
        if (count > 0) memcpy(kept, descriptors, sizeof(int) * count);
        message->descriptors = kept;
        message->descriptor_count = count;
        message->descriptors_cut = cut;
        message->next = NULL;
        message->id = header->id;
        message->reply_length = head;
        message->length = payload_length;
        memcpy(message->bytes, payload, payload_length);
        if (port->last_message != NULL) port->last_message->next = message;
        else port->first_message = message;
        port->last_message = message;
        flt_port_dispatch_messages(port);
        break;
    }
    case FLT_FRAME_REPLY_RESULT: {
        struct waiter *waiter = find_waiter(port->replies, header->id);
        if (waiter == NULL) break;
        waiter->status = head;
        waiter->done = true;
        break;
    }
    default:
        /* The header check lets descriptors come only with SEND_RESULT and MESSAGE. */
        flt_close_descriptors(descriptors, count);
        break;
    }
    switch (header->type) {
    case FLT_FRAME_DISCONNECT: {
        /* The handle is spent either way: a status that is not an error (a confused server) reads as E_HANDLE. */
        int32_t hresult = flt_hresult_from_status(head);
        if (head == FLT_STATUS_PORT_DISCONNECTED || hresult >= 0) hresult = E_HANDLE;
        set_failure(port, hresult, "the server at %s ended the connection (status 0x%08x): %s", port->address, head,
                    advice_for_status(head));
        break;
    }
    }
}

/* Closes the descriptors received and not taken by a frame. */
static void drop_received(struct flt_port *port) {
    for (uint32_t index = 0; index < port->received_count; index++) {
        if (port->received[index] != FLT_DESCRIPTORS_CUT) close(port->received[index]);
    }
    port->received_count = 0;
}

/* Takes the descriptors of a frame that announced `count` off the front of the received queue into `taken`
 * (docs/protocol.md section 12, "Reading"): its own set, which ends early at a cut mark when the kernel could
 * not hand all of them over; then it takes the mark and closes what came, and *cut is `count`. A set that
 * ended without a mark is a whole one (a cut mark after it is a later frame's). False when fewer than `count`
 * came and no mark says why. */
static bool take_received(struct flt_port *port, uint32_t count, int *taken, uint32_t *cut) {
    uint32_t found = 0;
    while (found < count && found < port->received_count && port->received[found] != FLT_DESCRIPTORS_CUT) found++;
    bool was_cut = found < count && found < port->received_count;
    if (found < count && !was_cut) return false;
    memcpy(taken, port->received, sizeof(int) * found);
    uint32_t used = found + (was_cut ? 1 : 0);
    port->received_count -= used;
    memmove(port->received, port->received + used, sizeof(int) * port->received_count);
    *cut = 0;
    if (was_cut) {
        flt_close_descriptors(taken, found);
        *cut = count;
    }
    return true;
}

/* How many descriptors the partial frame at `start` may still claim (docs/protocol.md section 12). */
static uint32_t partial_frame_descriptors(const struct flt_port *port) {
    size_t pending = port->end - port->start;
    if (pending == 0) return 0;
    if (pending < FLT_FRAME_HEADER_SIZE) return FLT_MAX_FRAME_DESCRIPTORS;
    return flt_get_u16(port->buffer + port->start + 6) & 0xFF;
}

/* Files every complete frame in the read buffer, each with the descriptors it announced. Lock held. */
static void file_frames(struct flt_port *port) {
    port->wanted = 0;
    while (port->failure == 0 && port->end - port->start >= FLT_FRAME_HEADER_SIZE) {
        struct flt_frame_header header;
        flt_decode_header(port->buffer + port->start, &header);
        const char *wrong = flt_check_server_header_descriptors(&header, MAX_INCOMING_BODY,
                                                                port->accepts_descriptors);
        if (wrong != NULL) {
            set_failure(port, E_HANDLE, "the server at %s sent %s (type %u, flags 0x%x, body %u bytes); the "
                        "connection is closed", port->address, wrong, header.type, header.flags,
                        header.body_length);
            break;
        }
        size_t total = FLT_FRAME_HEADER_SIZE + (size_t)header.body_length;
        if (port->end - port->start < total) {
            port->wanted = total;
            break;
        }
        uint32_t count = header.flags & 0xFF;
        int taken[FLT_MAX_FRAME_DESCRIPTORS];
        uint32_t cut = 0;
        if (!take_received(port, count, taken, &cut)) {
            set_failure(port, E_HANDLE, "the server at %s announced %u descriptors with a frame and sent %u; the "
                        "connection is closed", port->address, count, port->received_count);
            break;
        }
        file_frame(port, &header, port->buffer + port->start + FLT_FRAME_HEADER_SIZE, taken, cut > 0 ? 0 : count,
                   cut);
        port->start += total;
    }
    if (port->failure == 0 && port->received_count > partial_frame_descriptors(port)) {
        set_failure(port, E_HANDLE, "the server at %s sent %u descriptors no frame announced; the connection is "
                    "closed", port->address, port->received_count);
    }
    if (port->failure != 0) drop_received(port);
    if (port->start == port->end) port->start = port->end = 0;
}

/* recv that, on a port connected with FLT_PORT_FLAG_DESCRIPTORS, also takes descriptors (MSG_CMSG_CLOEXEC) onto
 * the received queue, followed by a cut mark when the kernel cut some off (MSG_CTRUNC: this process is at
 * RLIMIT_NOFILE, docs/protocol.md section 12); `*lost` is set for a control message other than SCM_RIGHTS or
 * descriptors that overflow the queue (violations). */
static ssize_t receive(struct flt_port *port, int flags, bool *lost) {
    /* Without the option nothing may bring descriptors, and a plain recv (cheaper than recvmsg) has the kernel
     * close any a server sends anyway (docs/protocol.md section 12, opting in). */
    if (!port->accepts_descriptors) return recv(port->fd, port->buffer + port->end, port->capacity - port->end, flags);
    union {
        char bytes[CMSG_SPACE(sizeof(int) * FLT_MAX_FRAME_DESCRIPTORS)];
        struct cmsghdr align;
    } control;
    struct iovec part = {port->buffer + port->end, port->capacity - port->end};
    struct msghdr message = {.msg_iov = &part, .msg_iovlen = 1, .msg_control = control.bytes,
                             .msg_controllen = sizeof control.bytes};
    ssize_t count = recvmsg(port->fd, &message, flags | MSG_CMSG_CLOEXEC);
    if (count < 0) return count;
    for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header != NULL; header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) {
            *lost = true;
            continue;
        }
        size_t found = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t index = 0; index < found; index++) {
            int descriptor;
            memcpy(&descriptor, CMSG_DATA(header) + index * sizeof(int), sizeof descriptor);
            if (port->received_count < sizeof port->received / sizeof port->received[0]) {
                port->received[port->received_count++] = descriptor;
            } else {
                close(descriptor);
                *lost = true;
            }
        }
    }
    if (message.msg_flags & MSG_CTRUNC) {
        if (port->received_count < sizeof port->received / sizeof port->received[0]) {
            port->received[port->received_count++] = FLT_DESCRIPTORS_CUT;
        } else {
            *lost = true;
        }
    }
    return count;
}

/* Makes room in the read buffer for the rest of the frame at its start. Reader role held. */
static bool make_room(struct flt_port *port) {
    size_t pending = port->end - port->start;
    if (port->start > 0) {
        memmove(port->buffer, port->buffer + port->start, pending);
        port->start = 0;
        port->end = pending;
    }
    size_t needed = port->wanted > READ_BUFFER_SIZE ? port->wanted : READ_BUFFER_SIZE;
    if (needed != port->capacity && (needed > port->capacity || pending <= READ_BUFFER_SIZE)) {
        uint8_t *resized = realloc(port->buffer, needed);
        if (resized == NULL) return false;
        port->buffer = resized;
        port->capacity = needed;
    }
    return true;
}

/* Waits until `fd` is readable (or closed, or failed); false when poll itself failed. */
static bool await_readable(int fd) {
    struct pollfd readable = {.fd = fd, .events = POLLIN};
    int ready;
    do ready = poll(&readable, 1, -1);
    while (ready < 0 && errno == EINTR);
    return ready > 0;
}

/* Reads the socket once for every waiter and files what came. Called with the lock held and the reader role
 * free; returns with the lock held. With MSG_DONTWAIT it returns at once when nothing is there.
 *
 * With `poll_first`, for a blocked call (which waits for its own result or for other threads'), it sleeps in
 * poll and then reads without blocking. A recvmsg asleep on a Unix stream socket is also woken when the server
 * reads what this side wrote (the kernel's write-space wake-up, which poll tells apart by its events): it then
 * ran only to find nothing and sleep again, a thread switch each way per FilterReplyMessage on a busy CPU. */
static void read_for_everyone(struct flt_port *port, int flags, bool poll_first) {
    port->reader_active = true;
    pthread_mutex_unlock(&port->lock);
    ssize_t count = -1;
    int error = ENOMEM;
    bool lost = false;
    if (make_room(port)) {
        if (poll_first && await_readable(port->fd)) flags |= MSG_DONTWAIT;
        do count = receive(port, flags, &lost);
        while (count < 0 && errno == EINTR);
        error = errno;
    }
    pthread_mutex_lock(&port->lock);
    port->reader_active = false;
    if (lost) {
        set_failure(port, E_HANDLE, "the server at %s sent more descriptors than frames can take, or control data "
                    "other than descriptors; the connection is closed", port->address);
        drop_received(port);
    } else if (count > 0) {
        port->end += (size_t)count;
        file_frames(port);
    } else if (count == 0) {
        set_failure(port, E_HANDLE, "the server at %s closed the connection; connect again", port->address);
    } else if (error == ENOMEM) {
        set_failure(port, E_OUTOFMEMORY, "out of memory for a %zu-byte frame from %s", port->wanted, port->address);
    } else if (error != EAGAIN && error != EWOULDBLOCK) {
        set_failure(port, E_HANDLE, "reading from the server at %s failed: %s", port->address, strerror(error));
    }
    if (port->failure == 0) flt_port_watch_if_waiting(port);
    flt_port_wake_sleepers(port);
}

void flt_port_read_for_everyone(struct flt_port *port, int flags) {
    read_for_everyone(port, flags, false);
}

/* The I/O thread's wake-up: the socket is readable (or closed). Runs on the I/O thread, which holds a reference
 * while the port is registered. */
static void port_ready(struct flt_io_source *source) {
    struct flt_port *port = (struct flt_port *)((uint8_t *)source - offsetof(struct flt_port, io));
    pthread_mutex_lock(&port->lock);
    port->io.armed = false;
    if (port->failure == 0 && !port->reader_active) flt_port_read_for_everyone(port, MSG_DONTWAIT);
    /* While another thread holds the reader role, it re-arms the source when it is done (flt_port_read_for_everyone). */
    bool release = port->failure != 0 && port->io.registered;
    if (release) flt_io_remove(&port->io);
    pthread_mutex_unlock(&port->lock);
    if (release) flt_object_release(&port->object);
}

/* Waits, lock held, for `waiter`'s result, or for a message when `waiter` is NULL, until it comes or the
 * connection fails, reading the socket for every waiting call while no other thread does. The reader sleeps in
 * poll first (read_for_everyone's poll_first) when it waits for the result of its own write, or when other
 * threads use the handle: the reader role passes between the calls, so the reader is often not the thread whose
 * frame the server just read. A lone thread's get skips it: everything it wrote was read before its result came,
 * so nothing wakes its recv early, and the poll would be a system call per message for nothing. Returns 0 or the
 * failure's HRESULT; the caller takes what came and then calls flt_port_wake_sleepers, for the calls after it. */
static int32_t wait_until(struct flt_port *port, const struct waiter *waiter) {
    struct flt_sleeper sleeper;
    flt_port_add_sleeper(port, &sleeper, waiter);
    int32_t result = 0;
    while (!flt_port_sleeper_ready(port, &sleeper)) {
        result = port->failure;
        if (result != 0) break;
        if (port->reader_active) flt_port_sleep(port, &sleeper);
        else read_for_everyone(port, 0, waiter != NULL || port->shared_by_threads);
    }
    flt_port_remove_sleeper(port, &sleeper);
    return result;
}

/* ---- Writing ------------------------------------------------------------------------------------------- */

/* Writes one frame: `head` (header and fixed fields) and then `payload`. A write that fails because the
 * server went away is left to the read side, which reports why (a DISCONNECT may still be readable). */
void flt_port_write_frame(struct flt_port *port, const uint8_t *head, size_t head_length, const void *payload,
                        size_t payload_length) {
    flt_port_write_frame_descriptors(port, head, head_length, payload, payload_length, NULL, 0);
}

void flt_port_write_frame_descriptors(struct flt_port *port, const uint8_t *head, size_t head_length,
                                      const void *payload, size_t payload_length, const int *descriptors,
                                      uint32_t count) {
    struct iovec parts[2] = {{(void *)head, head_length}, {(void *)payload, payload_length}};
    struct msghdr message = {.msg_iov = parts, .msg_iovlen = payload_length > 0 ? 2 : 1};
    union {
        char bytes[CMSG_SPACE(sizeof(int) * FLT_MAX_FRAME_DESCRIPTORS)];
        struct cmsghdr align;
    } control;
    if (count > 0) {
        /* With the frame's first byte (docs/protocol.md section 12): the first sendmsg carries them. */
        memset(&control, 0, sizeof control);
        message.msg_control = control.bytes;
        message.msg_controllen = CMSG_SPACE(sizeof(int) * count);
        struct cmsghdr *header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_RIGHTS;
        header->cmsg_len = CMSG_LEN(sizeof(int) * count);
        memcpy(CMSG_DATA(header), descriptors, sizeof(int) * count);
    }
    pthread_mutex_lock(&port->write_lock);
    int error = 0;
    while (message.msg_iovlen > 0) {
        ssize_t written = sendmsg(port->fd, &message, MSG_NOSIGNAL);
        if (written < 0) {
            if (errno == EINTR) continue;
            error = errno;
            break;
        }
        message.msg_control = NULL;
        message.msg_controllen = 0;
        while (message.msg_iovlen > 0 && (size_t)written >= message.msg_iov->iov_len) {
            written -= (ssize_t)message.msg_iov->iov_len;
            message.msg_iov++;
            message.msg_iovlen--;
        }
        if (message.msg_iovlen > 0) {
            message.msg_iov->iov_base = (uint8_t *)message.msg_iov->iov_base + written;
            message.msg_iov->iov_len -= (size_t)written;
        }
    }
    pthread_mutex_unlock(&port->write_lock);
    if (error != 0 && error != EPIPE && error != ECONNRESET) {
        pthread_mutex_lock(&port->lock);
        set_failure(port, E_HANDLE, "writing to the server at %s failed: %s", port->address, strerror(error));
        pthread_mutex_unlock(&port->lock);
    }
}

/* Writes a request whose `waiter` is already on `*list`, waits for its result, and takes the waiter off the
 * list. Called without the lock; returns with it held: 0 when the result came (in `waiter`), else the
 * connection's failure. */
static int32_t exchange(struct flt_port *port, struct waiter **list, struct waiter *waiter, const uint8_t *head,
                        size_t head_length, const void *payload, size_t payload_length, const int *descriptors,
                        uint32_t count) {
    flt_port_write_frame_descriptors(port, head, head_length, payload, payload_length, descriptors, count);
    pthread_mutex_lock(&port->lock);
    int32_t result = wait_until(port, waiter);
    for (struct waiter **link = list; *link != NULL; link = &(*link)->next) {
        if (*link == waiter) {
            *link = waiter->next;
            break;
        }
    }
    flt_port_wake_sleepers(port);
    return result != 0 ? flt_port_fail_with_connection(port) : 0;
}

/* ---- Life cycle ---------------------------------------------------------------------------------------- */

void flt_port_destroy(struct flt_port *port) {
    if (port->completion != NULL) flt_object_release((struct flt_object *)port->completion);
    close(port->fd);
    if (port->poll_fd >= 0) close(port->poll_fd);
    if (port->event_fd >= 0) close(port->event_fd);
    for (struct message *message = port->first_message; message != NULL;) {
        struct message *next = message->next;
        if (message->descriptors != NULL) flt_close_descriptors(message->descriptors, message->descriptor_count);
        free(message->descriptors);
        free(message);
        message = next;
    }
    for (uint32_t index = 0; index < port->got_count; index++) {
        flt_close_descriptors(port->got[index].descriptors, port->got[index].count);
        free(port->got[index].descriptors);
    }
    drop_received(port);
    free(port->buffer);
    pthread_cond_destroy(&port->changed);
    pthread_mutex_destroy(&port->lock);
    pthread_mutex_destroy(&port->write_lock);
    free(port);
}

void flt_port_close(struct flt_port *port) {
    pthread_mutex_lock(&port->lock);
    set_failure(port, E_HANDLE, "the handle to %s was closed (FilterClose)", port->address);
    struct flt_completion *completion = port->completion;
    if (completion != NULL) flt_object_retain((struct flt_object *)completion);
    pthread_mutex_unlock(&port->lock);
    /* The completion port lets go of the port, which holds it: neither keeps the other alive. */
    if (completion != NULL) {
        flt_completion_unfeed(completion, port);
        flt_object_release((struct flt_object *)completion);
    }
}

/* Reads FLTLIB_MAX_MESSAGE_SIZE; returns false when it is set to something that is not a size. */
static bool max_message_size(uint32_t *size) {
    const char *text = getenv("FLTLIB_MAX_MESSAGE_SIZE");
    *size = DEFAULT_MAX_MESSAGE_SIZE;
    if (text == NULL || *text == 0) return true;
    char *end;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno != 0 || *end != 0 || value < 8 || value > MAX_INCOMING_BODY) return false;
    *size = (uint32_t)value;
    return true;
}

static struct flt_port *new_port(int fd, const uint8_t *address, int address_length, int is_file) {
    struct flt_port *port = calloc(1, sizeof *port);
    if (port == NULL) return NULL;
    port->buffer = malloc(READ_BUFFER_SIZE);
    if (port->buffer == NULL) {
        free(port);
        return NULL;
    }
    port->capacity = READ_BUFFER_SIZE;
    flt_object_init(&port->object, FLT_OBJECT_PORT);
    port->fd = fd;
    port->io.fd = fd;
    port->io.ready = port_ready;
    /* An abstract address shows as ss -xl prints it (@name); a socket file as its path. */
    port->address[0] = '@';
    memcpy(port->address + (is_file ? 0 : 1), address, (size_t)address_length);
    port->next_id = 1;
    port->poll_fd = -1;
    port->event_fd = -1;
    pthread_mutex_init(&port->write_lock, NULL);
    pthread_mutex_init(&port->lock, NULL);
    flt_cond_init_monotonic(&port->changed);
    return port;
}

/* Sends CONNECT and reads the answer. Returns an HRESULT; the caller owns `port` either way. */
static int32_t handshake(struct flt_port *port, const struct flt_connect_request *request, const char *name) {
    uint8_t head[FLT_FRAME_HEADER_SIZE + 8];
    size_t head_length = flt_encode_connect(head, sizeof(wchar_t), request->options, request->context_length);
    flt_port_write_frame(port, head, head_length, request->context, request->context_length);

    struct timespec now, deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += HANDSHAKE_TIMEOUT_MS / 1000;
    pthread_mutex_lock(&port->lock);
    while (!port->connect_answered && port->failure == 0) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        long remaining = (deadline.tv_sec - now.tv_sec) * 1000 + (deadline.tv_nsec - now.tv_nsec) / 1000000;
        struct pollfd readable = {.fd = port->fd, .events = POLLIN};
        pthread_mutex_unlock(&port->lock);
        int ready = remaining > 0 ? poll(&readable, 1, (int)remaining) : 0;
        pthread_mutex_lock(&port->lock);
        if (ready == 0) {
            pthread_mutex_unlock(&port->lock);
            return flt_fail(HRESULT_FROM_WIN32(258), "the port %s did not answer CONNECT within %d s", name,
                            HANDSHAKE_TIMEOUT_MS / 1000);
        }
        if (ready > 0) flt_port_read_for_everyone(port, MSG_DONTWAIT);
    }
    int32_t result = 0;
    if (port->connect_answered && port->connect_status != FLT_STATUS_SUCCESS) {
        result = flt_fail(flt_failure_from_status(port->connect_status),
                          "FilterConnectCommunicationPort on port %s failed (status 0x%08x): %s", name,
                          port->connect_status, advice_for_status(port->connect_status));
    } else if (!port->connect_answered) {
        result = flt_fail(port->failure, "FilterConnectCommunicationPort on port %s failed: %s", name,
                          port->failure_text);
    }
    pthread_mutex_unlock(&port->lock);
    return result;
}

int32_t flt_port_connect(const wchar_t *name, const struct flt_connect_request *request, struct flt_port **result) {
    char printable[256];
    flt_port_name_utf8(name, printable, sizeof printable);
    uint8_t address[FLT_MAX_ADDRESS_LENGTH];
    const char *why = NULL;
    int address_length = flt_port_address(name, address, &why);
    if (address_length < 0) {
        return flt_fail(HRESULT_FROM_WIN32(ERROR_INVALID_NAME), "port name '%s' %s", printable, why);
    }
    uint32_t max_size;
    if (!max_message_size(&max_size)) {
        return flt_fail(E_INVALIDARG, "FLTLIB_MAX_MESSAGE_SIZE is '%s'; set it to the server's "
                        "--max-message-size in bytes (8 to %u), or unset it for 1 MiB",
                        getenv("FLTLIB_MAX_MESSAGE_SIZE"), MAX_INCOMING_BODY);
    }
    struct flt_server_identity identity;
    int32_t hresult = flt_server_identity_from_environment(&identity);
    if (hresult != 0) return hresult;

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return flt_fail(errno == ENOMEM || errno == ENOBUFS ? E_OUTOFMEMORY : HRESULT_FROM_WIN32(ERROR_NO_SYSTEM_RESOURCES),
                        "cannot create a socket for port %s: %s", printable, strerror(errno));
    }
    /* An abstract address is a NUL and the name's exact bytes; a socket file's path is NUL-terminated. */
    int is_file = flt_port_socket_path(name) != NULL;
    const char *at = is_file ? "" : "@";
    struct sockaddr_un socket_address = {.sun_family = AF_UNIX};
    memcpy(socket_address.sun_path + (is_file ? 0 : 1), address, (size_t)address_length);
    socklen_t socket_address_length =
        (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (is_file ? 0 : 1) + (size_t)address_length);
    int connected;
    do connected = connect(fd, (struct sockaddr *)&socket_address, socket_address_length);
    while (connected < 0 && errno == EINTR);
    if (connected < 0) {
        int error = errno;
        close(fd);
        if (error == ECONNREFUSED || error == ENOENT) {
            return flt_fail(HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND),
                            "no port %s is listening at %s%.*s; is minifltd running with --port '%s'?", printable,
                            at, address_length, (const char *)address, printable);
        }
        if (error == EACCES) {
            return flt_fail(HRESULT_FROM_WIN32(ERROR_ACCESS_DENIED),
                            "the socket file %.*s (or its directory) does not let this user connect; ask its admin",
                            address_length, (const char *)address);
        }
        if (error == EAGAIN) {
            return flt_fail(HRESULT_FROM_WIN32(ERROR_NO_SYSTEM_RESOURCES),
                            "the port %s has too many connections waiting to be accepted; try again", printable);
        }
        return flt_fail(HRESULT_FROM_WIN32(ERROR_GEN_FAILURE), "cannot connect to %s%.*s: %s", at, address_length,
                        (const char *)address, strerror(error));
    }
    hresult = flt_server_identity_check(&identity, fd, printable);
    if (hresult != 0) {
        close(fd);
        return hresult;
    }
    struct flt_port *port = new_port(fd, address, address_length, is_file);
    if (port == NULL) {
        close(fd);
        return flt_fail(E_OUTOFMEMORY, "out of memory connecting to port %s", printable);
    }
    port->max_message_size = max_size;
    port->accepts_descriptors = (request->options & FLT_OPTION_DESCRIPTORS) != 0;
    hresult = handshake(port, request, printable);
    if (hresult != 0) {
        flt_object_release(&port->object);
        return hresult;
    }
    *result = port;
    return 0;
}

/* ---- Calls --------------------------------------------------------------------------------------------- */

/* E_INVALIDARG for a send the server would refuse as too large, else 0. */
int32_t flt_port_check_input_length(const struct flt_port *port, uint32_t input_length) {
    if ((uint64_t)input_length + 4 <= port->max_message_size) return 0;
    return flt_fail(E_INVALIDARG, "the input is %u bytes; the port takes at most %u per message "
                    "(set FLTLIB_MAX_MESSAGE_SIZE to the server's --max-message-size)", input_length,
                    port->max_message_size - 4);
}

int32_t flt_port_send(struct flt_port *port, const void *input, uint32_t input_length, void *output,
                      uint32_t output_capacity, uint32_t *returned, const struct flt_descriptor_exchange *exchanged) {
    *returned = 0;
    if (exchanged != NULL) *exchanged->out_count = 0;
    int32_t too_large = flt_port_check_input_length(port, input_length);
    if (too_large != 0) return too_large;
    uint32_t in_count = exchanged != NULL ? exchanged->in_count : 0;
    if (in_count > 0 && !port->accepts_descriptors) {
        return flt_fail(E_INVALIDARG, "descriptors need a port connected with FLT_PORT_FLAG_DESCRIPTORS (0x100)");
    }
    struct waiter waiter = {.output = output, .capacity = output_capacity};
    if (exchanged != NULL) {
        waiter.descriptors = exchanged->out;
        waiter.descriptor_capacity = exchanged->out_capacity;
    }
    pthread_mutex_lock(&port->lock);
    if (port->failure != 0) {
        int32_t failure = flt_port_fail_with_connection(port);
        pthread_mutex_unlock(&port->lock);
        return failure;
    }
    waiter.id = port->next_id++;
    waiter.next = port->sends;
    port->sends = &waiter;
    pthread_mutex_unlock(&port->lock);

    uint8_t head[FLT_FRAME_HEADER_SIZE + 4];
    size_t head_length = flt_encode_send(head, waiter.id, output_capacity, input_length);
    head[6] = (uint8_t)in_count;
    int32_t result = exchange(port, &port->sends, &waiter, head, head_length, input, input_length,
                              exchanged != NULL ? exchanged->in : NULL, in_count);
    if (result == 0 && waiter.status == FLT_STATUS_SUCCESS && waiter.descriptors_cut > 0) {
        /* The output came whole: the caller gets it with the error. */
        *returned = waiter.returned;
        result = flt_fail(HRESULT_FROM_WIN32(ERROR_TOO_MANY_OPEN_FILES),
                          "FilterSendMessage on %s: the %u descriptor(s) of the result did not reach this process "
                          "(its %u bytes of output did): " DESCRIPTOR_LIMIT_ADVICE, port->address,
                          waiter.descriptors_cut, waiter.returned);
    } else if (result == 0 && waiter.status == FLT_STATUS_SUCCESS && waiter.descriptors_lost) {
        result = flt_fail(HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER),
                          "FilterSendMessageWithDescriptors on %s: the result came with more descriptors than the "
                          "array of %u holds; they were closed", port->address, waiter.descriptor_capacity);
    } else if (result == 0 && waiter.status != FLT_STATUS_SUCCESS) {
        result = flt_fail(flt_failure_from_status(waiter.status),
                          "FilterSendMessage on %s failed (status 0x%08x): %s", port->address, waiter.status,
                          advice_for_status(waiter.status));
    } else if (result == 0) {
        *returned = waiter.returned;
        if (exchanged != NULL) *exchanged->out_count = waiter.descriptor_count;
    }
    if (result != 0) flt_close_descriptors(waiter.descriptors, waiter.descriptor_count);
    pthread_mutex_unlock(&port->lock);
    return result;
}

int32_t flt_port_get(struct flt_port *port, void *buffer, uint32_t buffer_size, int blocking) {
    pthread_mutex_lock(&port->lock);
    int32_t result = 0;
    if (blocking) {
        result = wait_until(port, NULL);
    } else if (port->first_message == NULL && port->failure == 0 && !port->reader_active) {
        flt_port_read_for_everyone(port, MSG_DONTWAIT);
    }
    struct message *message = port->first_message;
    if (message == NULL) {
        result = port->failure != 0 ? flt_port_fail_with_connection(port)
                                    : flt_fail(HRESULT_FROM_WIN32(ERROR_IO_PENDING), "no message is queued yet");
    } else if ((uint64_t)FLT_FRAME_HEADER_SIZE + message->length > buffer_size) {
        result = flt_fail(HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER),
                          "the message is %u bytes and a 16-byte header; a buffer of %u bytes cannot take it (it "
                          "stays queued)", message->length, buffer_size);
    } else {
        copy_message(port, dequeue_message(port), buffer);
        update_event(port);
        result = 0;
    }
    /* A message this call left or took changes which get the next one is for. */
    flt_port_wake_sleepers(port);
    pthread_mutex_unlock(&port->lock);
    return result;
}

int32_t flt_port_reply(struct flt_port *port, int32_t status, uint64_t message_id, const void *reply,
                       uint32_t reply_length, const int *descriptors, uint32_t count) {
    if (count > 0 && !port->accepts_descriptors) {
        return flt_fail(E_INVALIDARG, "descriptors need a port connected with FLT_PORT_FLAG_DESCRIPTORS (0x100)");
    }
    if ((uint64_t)reply_length + 4 > port->max_message_size) {
        return flt_fail(E_INVALIDARG, "the reply is %u bytes; the port takes at most %u per message",
                        reply_length, port->max_message_size - 4);
    }
    struct waiter waiter = {.id = message_id};
    pthread_mutex_lock(&port->lock);
    int32_t result = port->failure != 0 ? flt_port_fail_with_connection(port) : 0;
    if (result == 0 && find_waiter(port->replies, message_id) != NULL) {
        result = flt_fail(E_INVALIDARG, "a reply to message %llu is already waiting for its result",
                          (unsigned long long)message_id);
    }
    if (result != 0) {
        pthread_mutex_unlock(&port->lock);
        return result;
    }
    waiter.next = port->replies;
    port->replies = &waiter;
    pthread_mutex_unlock(&port->lock);

    uint8_t head[FLT_FRAME_HEADER_SIZE + 4];
    size_t head_length = flt_encode_reply(head, message_id, status, reply_length);
    head[6] = (uint8_t)count;
    result = exchange(port, &port->replies, &waiter, head, head_length, reply, reply_length, descriptors, count);
    if (result == 0 && waiter.status != FLT_STATUS_SUCCESS) {
        result = flt_fail(flt_failure_from_status(waiter.status),
                          "FilterReplyMessage to message %llu on %s failed (status 0x%08x): %s",
                          (unsigned long long)message_id, port->address, waiter.status,
                          advice_for_status(waiter.status));
    }
    pthread_mutex_unlock(&port->lock);
    return result;
}

int32_t flt_port_poll_descriptor(struct flt_port *port, int *descriptor) {
    pthread_mutex_lock(&port->lock);
    int32_t result = 0;
    if (port->poll_fd < 0) {
        int event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        int poll_fd = epoll_create1(EPOLL_CLOEXEC);
        struct epoll_event socket_event = {.events = EPOLLIN, .data.fd = port->fd};
        struct epoll_event queue_event = {.events = EPOLLIN, .data.fd = event_fd};
        if (event_fd < 0 || poll_fd < 0 || epoll_ctl(poll_fd, EPOLL_CTL_ADD, port->fd, &socket_event) < 0 ||
            epoll_ctl(poll_fd, EPOLL_CTL_ADD, event_fd, &queue_event) < 0) {
            int error = errno;
            if (event_fd >= 0) close(event_fd);
            if (poll_fd >= 0) close(poll_fd);
            int32_t hresult = error == EMFILE || error == ENFILE ? HRESULT_FROM_WIN32(ERROR_TOO_MANY_OPEN_FILES)
                                                                  : E_OUTOFMEMORY;
            result = flt_fail(hresult,
                              "cannot create the poll descriptor for %s: %s", port->address, strerror(error));
        } else {
            port->event_fd = event_fd;
            port->poll_fd = poll_fd;
            update_event(port);
        }
    }
    if (result == 0) *descriptor = port->poll_fd;
    pthread_mutex_unlock(&port->lock);
    return result;
}
