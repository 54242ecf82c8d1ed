/* SPDX-License-Identifier: MIT */
/* The overlapped calls on a connection: FilterGetMessage and FilterSendMessageOverlapped with an OVERLAPPED,
 * CancelIo(Ex), GetOverlappedResult's waits and CreateIoCompletionPort's association. The requests complete in
 * port.c, where messages and results are filed. */
#define _GNU_SOURCE
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "completion.h"
#include "fltUser.h"
#include "handle_table.h"
#include "last_error.h"
#include "port_internal.h"
#include "waitable.h"

/* Captures where `overlapped`'s request reports (its event, reset now as Windows resets it, and the associated
 * completion port unless hEvent's low bit is set) and marks it pending. Returns 0 or E_HANDLE for an hEvent
 * that is not an event. */
static int32_t prepare(struct flt_port *port, OVERLAPPED *overlapped, struct flt_request *request) {
    request->target.overlapped = overlapped;
    request->thread_id = GetCurrentThreadId();
    uintptr_t event = (uintptr_t)overlapped->hEvent;
    if (event != 0) {
        struct flt_object *object = flt_handle_acquire(event & ~(uintptr_t)1, FLT_OBJECT_EVENT);
        if (object == NULL) {
            return flt_fail(E_HANDLE, "the OVERLAPPED's hEvent %p is not an event handle (CreateEvent)",
                            overlapped->hEvent);
        }
        request->target.event = (struct flt_waitable *)object;
        flt_sync_lock();
        request->target.event->signalled = false;
        flt_sync_unlock();
        flt_waitable_feed(request->target.event, port);
    }
    pthread_mutex_lock(&port->lock);
    if (port->completion != NULL && (event & 1) == 0) {
        request->target.completion = port->completion;
        flt_object_retain((struct flt_object *)port->completion);
        request->target.key = port->completion_key;
    }
    pthread_mutex_unlock(&port->lock);
    __atomic_store_n(&overlapped->InternalHigh, (ULONG_PTR)0, __ATOMIC_RELAXED);
    __atomic_store_n(&overlapped->Internal, (ULONG_PTR)STATUS_PENDING, __ATOMIC_RELEASE);
    return 0;
}

/* A request that could not start: the call fails at once, and nothing is signalled or queued. */
static int32_t abandon(struct flt_request *request, int32_t hresult) {
    flt_overlapped_forget(&request->target);
    free(request);
    return hresult;
}

int32_t flt_port_get_overlapped(struct flt_port *port, void *buffer, uint32_t buffer_size, OVERLAPPED *overlapped) {
    struct flt_request *request = calloc(1, sizeof *request);
    if (request == NULL) return flt_fail(E_OUTOFMEMORY, "out of memory for an overlapped FilterGetMessage");
    int32_t result = prepare(port, overlapped, request);
    if (result != 0) return abandon(request, result);
    request->buffer = buffer;
    request->size = buffer_size;
    pthread_mutex_lock(&port->lock);
    if (port->failure != 0) {
        result = flt_port_fail_with_connection(port);
        pthread_mutex_unlock(&port->lock);
        return abandon(request, result);
    }
    if (port->last_get != NULL) port->last_get->next = request;
    else port->first_get = request;
    port->last_get = request;
    port->pending_requests++;
    flt_port_dispatch_messages(port);
    /* A message the socket already holds completes the request here, without a wake-up of the I/O thread. */
    if (port->first_get != NULL && port->first_message == NULL && !port->reader_active) {
        flt_port_read_for_everyone(port, MSG_DONTWAIT);
    }
    flt_port_watch_if_waiting(port);
    pthread_mutex_unlock(&port->lock);
    return flt_fail(HRESULT_FROM_WIN32(ERROR_IO_PENDING), "the overlapped FilterGetMessage is pending");
}

int32_t flt_port_send_overlapped(struct flt_port *port, const void *input, uint32_t input_length, void *output,
                                 uint32_t output_capacity, OVERLAPPED *overlapped) {
    int32_t too_large = flt_port_check_input_length(port, input_length);
    if (too_large != 0) return too_large;
    struct flt_request *request = calloc(1, sizeof *request);
    if (request == NULL) return flt_fail(E_OUTOFMEMORY, "out of memory for an overlapped FilterSendMessage");
    int32_t result = prepare(port, overlapped, request);
    if (result != 0) return abandon(request, result);
    request->waiter = (struct waiter){.request = request, .output = output, .capacity = output_capacity};
    pthread_mutex_lock(&port->lock);
    if (port->failure != 0) {
        result = flt_port_fail_with_connection(port);
        pthread_mutex_unlock(&port->lock);
        return abandon(request, result);
    }
    uint64_t id = port->next_id++;
    request->waiter.id = id;
    request->waiter.next = port->sends;
    port->sends = &request->waiter;
    port->pending_requests++;
    flt_port_watch_if_waiting(port);
    pthread_mutex_unlock(&port->lock);
    /* The request may complete (and be freed) from here on: only `id` is used. */
    uint8_t head[FLT_FRAME_HEADER_SIZE + 4];
    size_t head_length = flt_encode_send(head, id, output_capacity, input_length);
    flt_port_write_frame(port, head, head_length, input, input_length);
    return flt_fail(HRESULT_FROM_WIN32(ERROR_IO_PENDING), "the overlapped FilterSendMessage is pending");
}

unsigned flt_port_cancel(struct flt_port *port, const OVERLAPPED *overlapped, uint32_t thread_id) {
    unsigned cancelled = 0;
    pthread_mutex_lock(&port->lock);
    struct flt_request *kept = NULL, *last_kept = NULL;
    while (port->first_get != NULL) {
        struct flt_request *request = port->first_get;
        port->first_get = request->next;
        request->next = NULL;
        if ((overlapped == NULL || request->target.overlapped == overlapped) &&
            (thread_id == 0 || request->thread_id == thread_id)) {
            flt_port_complete_request(port, request, STATUS_CANCELLED, 0);
            cancelled++;
        } else {
            if (last_kept != NULL) last_kept->next = request;
            else kept = request;
            last_kept = request;
        }
    }
    port->first_get = kept;
    port->last_get = last_kept;
    /* A cancelled send's frame is already out; its result, when it comes, finds no waiter and is dropped. */
    for (struct waiter **link = &port->sends; *link != NULL;) {
        struct waiter *waiter = *link;
        struct flt_request *request = waiter->request;
        if (request != NULL && (overlapped == NULL || request->target.overlapped == overlapped) &&
            (thread_id == 0 || request->thread_id == thread_id)) {
            *link = waiter->next;
            flt_port_complete_request(port, request, STATUS_CANCELLED, 0);
            cancelled++;
        } else {
            link = &waiter->next;
        }
    }
    pthread_mutex_unlock(&port->lock);
    return cancelled;
}

bool flt_port_read_while_waiting(struct flt_port *port, int wake_fd, uint64_t deadline_ms) {
    pthread_mutex_lock(&port->lock);
    if (port->reader_active || port->failure != 0 || port->pending_requests == 0) {
        pthread_mutex_unlock(&port->lock);
        return false;
    }
    port->reader_active = true;
    pthread_mutex_unlock(&port->lock);
    int timeout = -1;
    if (deadline_ms != UINT64_MAX) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        uint64_t now_ms = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
        timeout = deadline_ms > now_ms ? (int)(deadline_ms - now_ms < INT32_MAX ? deadline_ms - now_ms : INT32_MAX) : 0;
    }
    struct pollfd readable[2] = {{.fd = port->fd, .events = POLLIN}, {.fd = wake_fd, .events = POLLIN}};
    int ready = poll(readable, 2, timeout);
    pthread_mutex_lock(&port->lock);
    port->reader_active = false;
    if (ready > 0 && readable[0].revents != 0) {
        flt_port_read_for_everyone(port, MSG_DONTWAIT);
    } else {
        /* Someone else's turn to read: the I/O thread again, or a thread waiting for the reader role. */
        if (port->failure == 0) flt_port_watch_if_waiting(port);
        flt_port_wake_sleepers(port);
    }
    pthread_mutex_unlock(&port->lock);
    return true;
}

void flt_port_wait_overlapped(struct flt_port *port, const OVERLAPPED *overlapped) {
    pthread_mutex_lock(&port->lock);
    while (!HasOverlappedIoCompleted(overlapped)) pthread_cond_wait(&port->changed, &port->lock);
    pthread_mutex_unlock(&port->lock);
}

bool flt_port_associate(struct flt_port *port, struct flt_completion *completion, uintptr_t key) {
    pthread_mutex_lock(&port->lock);
    bool free_to_associate = port->completion == NULL && port->failure == 0;
    if (free_to_associate) {
        port->completion = completion;
        port->completion_key = key;
    }
    pthread_mutex_unlock(&port->lock);
    if (free_to_associate) flt_completion_feed(completion, port);
    return free_to_associate;
}
