/* SPDX-License-Identifier: MIT */
/* The connection's state, shared by port.c (connecting, reading, the synchronous calls) and port_overlapped.c
 * (the overlapped calls), and the helpers they share. Not for other files: they use port.h. */
#ifndef FLTLIB_PORT_INTERNAL_H
#define FLTLIB_PORT_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io_thread.h"
#include "object.h"
#include "overlapped.h"
#include "port.h"
#include "port_name.h"
#include "wire.h"

struct flt_request;

/* A FilterSendMessage waiting for its SEND_RESULT, or a FilterReplyMessage for its REPLY_RESULT; lives on the
 * caller's stack (or in the request of an overlapped send), on the port's list for its kind. */
struct waiter {
    struct waiter *next;
    /* The overlapped send this waiter belongs to; NULL for a caller waiting on the stack. */
    struct flt_request *request;
    uint64_t id;
    /* Where a SEND_RESULT's output goes, and how much fits; a reply has neither. */
    void *output;
    uint32_t capacity;
    uint32_t returned;
    uint32_t status;
    bool done;
    /* Where a SEND_RESULT's descriptors go (docs/protocol.md section 12), how many fit, and how many came;
     * descriptors that do not fit are closed and `descriptors_lost` set. */
    int *descriptors;
    uint32_t descriptor_capacity;
    uint32_t descriptor_count;
    bool descriptors_lost;
    /* The result announced this many descriptors and the kernel could not hand them all to this process
     * (MSG_CTRUNC: it was at RLIMIT_NOFILE); those that came were closed. 0 otherwise. */
    uint32_t descriptors_cut;
};

/* An overlapped FilterGetMessage or FilterSendMessage, pending until a message, a result, a cancel or the end of
 * the connection completes it. */
struct flt_request {
    /* The next pending overlapped get (gets only). */
    struct flt_request *next;
    struct flt_overlapped_target target;
    /* Who issued it, for CancelIo. */
    uint32_t thread_id;
    /* A get's buffer and its size. */
    void *buffer;
    uint32_t size;
    /* A send's place on the port's list of sends. */
    struct waiter waiter;
};

/* A FilterGetMessage, FilterSendMessage or FilterReplyMessage blocked on the port: on the port's queue of sleepers,
 * oldest first, from the call's first wait to its end, awake or asleep, so that a frame wakes only the call it is
 * for (port_sleepers.c). Lives on the caller's stack. */
struct flt_sleeper {
    struct flt_sleeper *next;
    /* The result a send or a reply waits for; NULL for a get, which waits for a message. */
    const struct waiter *waiter;
    /* Signalled once per wake-up; only this call's thread waits on it. */
    pthread_cond_t wake;
    /* Running, or woken and about to run; false while asleep on `wake`. */
    bool awake;
};

/* A MESSAGE no FilterGetMessage has taken yet. */
struct message {
    struct message *next;
    uint64_t id;
    uint32_t reply_length;
    uint32_t length;
    /* The descriptors that came with it (malloc'd, NULL without any): the port's until a get hands them over. */
    int *descriptors;
    uint32_t descriptor_count;
    /* As waiter.descriptors_cut: the message came without the descriptors it announced. */
    uint32_t descriptors_cut;
    uint8_t bytes[];
};

/* The descriptors of a message a FilterGetMessage took, kept for FilterGetMessageDescriptors. */
struct got_descriptors {
    uint64_t id;
    int *descriptors;
    uint32_t count;
    /* The message's descriptors_cut: FilterGetMessageDescriptors reports ERROR_TOO_MANY_OPEN_FILES. */
    uint32_t cut;
};

/* How many got messages' descriptors wait for FilterGetMessageDescriptors; older ones are closed. */
#define FLT_KEPT_DESCRIPTOR_SETS 64

struct flt_port {
    struct flt_object object;
    int fd;
    /* "@" and the abstract address, for messages. */
    char address[FLT_MAX_ADDRESS_LENGTH + 2];
    uint32_t max_message_size;

    /* Keeps frames from interleaving on the socket. */
    pthread_mutex_t write_lock;

    /* Guards everything below, except the read buffer, which belongs to the thread holding the reader role. */
    pthread_mutex_t lock;
    /* Broadcast when an overlapped request completes or the connection fails: GetOverlappedResult without an
     * event waits on it. Blocked calls sleep on a condition of their own instead (`first_sleeper`). */
    pthread_cond_t changed;
    uint64_t next_id;
    struct waiter *sends;
    struct waiter *replies;
    struct message *first_message;
    struct message *last_message;
    /* A thread is reading the socket for everyone; blocked calls that need a frame sleep meanwhile. */
    bool reader_active;
    /* The blocked calls, oldest first (port_sleepers.c). */
    struct flt_sleeper *first_sleeper;
    struct flt_sleeper *last_sleeper;
    /* Two calls have been blocked at once: other threads use the handle, and may write while one reads. */
    bool shared_by_threads;
    bool connect_answered;
    uint32_t connect_status;
    /* 0 while connected; then the HRESULT every call fails with, and why. */
    int32_t failure;
    char failure_text[320];
    /* FilterGetPollDescriptor's epoll set and the eventfd in it that says "a message is queued or the
     * connection has ended"; -1 until asked for. */
    int poll_fd;
    int event_fd;
    bool event_signalled;

    /* Overlapped gets waiting for a message, oldest first, and how many overlapped requests (gets and sends) are
     * pending. While there are any, the I/O thread watches the socket (`io`, which holds a reference). */
    struct flt_request *first_get;
    struct flt_request *last_get;
    unsigned pending_requests;
    struct flt_io_source io;
    /* CreateIoCompletionPort's association (a reference), and its key. */
    struct flt_completion *completion;
    uintptr_t completion_key;

    /* The read buffer: bytes [start, end) are received and not yet filed; `wanted` is the size of the frame
     * at `start` when it is incomplete. */
    uint8_t *buffer;
    size_t capacity;
    size_t start;
    size_t end;
    size_t wanted;

    /* Descriptors (docs/protocol.md section 12): whether CONNECT asked for them; those received and not yet
     * taken by a frame, oldest first (reader role); and those of got messages, oldest first (lock). */
    bool accepts_descriptors;
    /* FLT_DESCRIPTORS_CUT marks where the kernel cut a read's descriptors off; at most two frames' sets (and
     * their marks) wait here at once. */
    int received[2 * FLT_MAX_FRAME_DESCRIPTORS + 2];
    uint32_t received_count;
    struct got_descriptors got[FLT_KEPT_DESCRIPTOR_SETS];
    uint32_t got_count;
};

/* In the received queue: the kernel cut the descriptors of the read before it off (docs/protocol.md section 12). */
#define FLT_DESCRIPTORS_CUT (-1)

/* Closes `count` descriptors. */
void flt_close_descriptors(const int *descriptors, uint32_t count);

/* The failure as this call's result. Lock held. */
int32_t flt_port_fail_with_connection(struct flt_port *port);

/* Ends a request that is off every list, and frees it. Lock held. */
void flt_port_complete_request(struct flt_port *port, struct flt_request *request, uint32_t status, uint32_t bytes);

/* Hands queued messages to pending overlapped gets, oldest to oldest. Lock held. */
void flt_port_dispatch_messages(struct flt_port *port);

/* Reads the socket once for every waiter and files what came. Lock held, reader role free; returns with the
 * lock held. With MSG_DONTWAIT it returns at once when nothing is there. */
void flt_port_read_for_everyone(struct flt_port *port, int flags);

/* Puts a blocked call at the end of the queue of sleepers, awake. Lock held. */
void flt_port_add_sleeper(struct flt_port *port, struct flt_sleeper *sleeper, const struct waiter *waiter);

/* Takes a call off the queue of sleepers; call flt_port_wake_sleepers once what it came for is taken. Lock
 * held. */
void flt_port_remove_sleeper(struct flt_port *port, struct flt_sleeper *sleeper);

/* Whether what `sleeper` waits for is there: its result, or a message that the gets ahead of it leave to it. Lock
 * held. */
bool flt_port_sleeper_ready(const struct flt_port *port, const struct flt_sleeper *sleeper);

/* Sleeps until flt_port_wake_sleepers wakes this call. Lock held (released while asleep). */
void flt_port_sleep(struct flt_port *port, struct flt_sleeper *sleeper);

/* After frames were filed, a message or the reader role was taken or let go, or the connection failed: wakes the
 * calls whose result or message is there, and, when nobody reads and nobody awake will, the oldest sleeper to
 * read; after a failure, every one. Lock held. */
void flt_port_wake_sleepers(struct flt_port *port);

/* After a read: the I/O thread keeps watching while overlapped requests wait. Lock held. */
void flt_port_watch_if_waiting(struct flt_port *port);

/* E_INVALIDARG for a send the server would refuse as too large, else 0. */
int32_t flt_port_check_input_length(const struct flt_port *port, uint32_t input_length);

/* Writes one frame: `head` (header and fixed fields) and then `payload`. Lock not held. */
void flt_port_write_frame(struct flt_port *port, const uint8_t *head, size_t head_length, const void *payload,
                          size_t payload_length);

/* flt_port_write_frame with `count` descriptors in SCM_RIGHTS with the frame's first byte; the header must
 * announce them. The caller keeps its descriptors (the kernel passes duplicates). */
void flt_port_write_frame_descriptors(struct flt_port *port, const uint8_t *head, size_t head_length,
                                      const void *payload, size_t payload_length, const int *descriptors,
                                      uint32_t count);

#endif
