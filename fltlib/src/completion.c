/* SPDX-License-Identifier: MIT */
/* CreateIoCompletionPort, GetQueuedCompletionStatus and PostQueuedCompletionStatus. Association with a port
 * handle is the port's (port.c): this file keeps the queue. */
#define _GNU_SOURCE
#include "completion.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "condition.h"
#include "export.h"
#include "fltUser.h"
#include "handle_table.h"
#include "overlapped.h"
#include "port.h"
#include "waitable.h"
#include "wake.h"
#include "win_error.h"

struct packet {
    struct packet *next;
    uint32_t bytes;
    uint32_t status;
    uintptr_t key;
    void *overlapped;
};

struct flt_completion {
    struct flt_object object;
    pthread_mutex_t lock;
    pthread_cond_t posted;
    /* Guarded by `lock`. */
    struct packet *first;
    struct packet *last;
    bool closed;
    /* NumberOfConcurrentThreads: recorded only (fltWinBase.h says why). */
    uint32_t concurrency;
    /* flt_completion_feed's port (a reference) and how many threads poll its socket. */
    struct flt_port *feeding_port;
    unsigned polling;
};

/* Wakes the threads that poll a port's socket in GetQueuedCompletionStatus. Lock held: a thread that saw no
 * packet registered its wake-up before letting go of it. */
static void wake_pollers(struct flt_completion *completion) {
    if (completion->polling == 0) return;
    flt_sync_lock();
    flt_wake_readers();
    flt_sync_unlock();
}

void flt_completion_feed(struct flt_completion *completion, struct flt_port *port) {
    pthread_mutex_lock(&completion->lock);
    bool first = completion->feeding_port == NULL && !completion->closed;
    if (first) {
        flt_object_retain((struct flt_object *)port);
        completion->feeding_port = port;
    }
    pthread_mutex_unlock(&completion->lock);
}

void flt_completion_unfeed(struct flt_completion *completion, struct flt_port *port) {
    pthread_mutex_lock(&completion->lock);
    bool fed = completion->feeding_port == port;
    if (fed) completion->feeding_port = NULL;
    pthread_mutex_unlock(&completion->lock);
    if (fed) flt_object_release((struct flt_object *)port);
}

static void drop_packets(struct flt_completion *completion) {
    for (struct packet *packet = completion->first; packet != NULL;) {
        struct packet *next = packet->next;
        free(packet);
        packet = next;
    }
    completion->first = completion->last = NULL;
}

bool flt_completion_post(struct flt_completion *completion, uint32_t bytes, uintptr_t key, void *overlapped,
                         uint32_t status) {
    struct packet *packet = malloc(sizeof *packet);
    if (packet == NULL) return false;
    *packet = (struct packet){.bytes = bytes, .status = status, .key = key, .overlapped = overlapped};
    pthread_mutex_lock(&completion->lock);
    bool open = !completion->closed;
    if (open) {
        if (completion->last != NULL) completion->last->next = packet;
        else completion->first = packet;
        completion->last = packet;
        pthread_cond_signal(&completion->posted);
        wake_pollers(completion);
    }
    pthread_mutex_unlock(&completion->lock);
    if (!open) free(packet);
    return open;
}

void flt_completion_close(struct flt_completion *completion) {
    pthread_mutex_lock(&completion->lock);
    completion->closed = true;
    drop_packets(completion);
    pthread_cond_broadcast(&completion->posted);
    wake_pollers(completion);
    struct flt_port *port = completion->feeding_port;
    completion->feeding_port = NULL;
    pthread_mutex_unlock(&completion->lock);
    if (port != NULL) flt_object_release((struct flt_object *)port);
}

void flt_completion_destroy(struct flt_completion *completion) {
    drop_packets(completion);
    if (completion->feeding_port != NULL) flt_object_release((struct flt_object *)completion->feeding_port);
    pthread_cond_destroy(&completion->posted);
    pthread_mutex_destroy(&completion->lock);
    free(completion);
}

static struct flt_completion *new_completion(DWORD concurrency) {
    struct flt_completion *completion = calloc(1, sizeof *completion);
    if (completion == NULL) return NULL;
    flt_object_init(&completion->object, FLT_OBJECT_COMPLETION);
    long processors = sysconf(_SC_NPROCESSORS_ONLN);
    completion->concurrency = concurrency > 0 ? concurrency : (uint32_t)(processors > 0 ? processors : 1);
    pthread_mutex_init(&completion->lock, NULL);
    flt_cond_init_monotonic(&completion->posted);
    return completion;
}

EXPORT HANDLE WINAPI CreateIoCompletionPort(HANDLE FileHandle, HANDLE ExistingCompletionPort, ULONG_PTR CompletionKey,
                                            DWORD NumberOfConcurrentThreads) {
    struct flt_port *port = NULL;
    if (FileHandle != INVALID_HANDLE_VALUE) {
        struct flt_object *object = flt_handle_acquire((uintptr_t)FileHandle, FLT_OBJECT_PORT);
        if (object == NULL) return (HANDLE)(uintptr_t)flt_win32_fail(ERROR_INVALID_HANDLE);
        port = (struct flt_port *)object;
    } else if (ExistingCompletionPort != NULL) {
        return (HANDLE)(uintptr_t)flt_win32_fail(ERROR_INVALID_PARAMETER);
    }
    struct flt_completion *completion;
    uintptr_t handle;
    if (ExistingCompletionPort != NULL) {
        struct flt_object *object = flt_handle_acquire((uintptr_t)ExistingCompletionPort, FLT_OBJECT_COMPLETION);
        if (object == NULL) {
            flt_object_release((struct flt_object *)port);
            return (HANDLE)(uintptr_t)flt_win32_fail(ERROR_INVALID_HANDLE);
        }
        completion = (struct flt_completion *)object;
        handle = (uintptr_t)ExistingCompletionPort;
    } else {
        completion = new_completion(NumberOfConcurrentThreads);
        if (completion == NULL) {
            if (port != NULL) flt_object_release((struct flt_object *)port);
            return (HANDLE)(uintptr_t)flt_win32_fail(ERROR_NOT_ENOUGH_MEMORY);
        }
        /* The handle takes one reference; the caller's below is the association's, or dropped. */
        flt_object_retain(&completion->object);
        handle = flt_handle_register(&completion->object);
        if (handle == 0) {
            flt_completion_destroy(completion);
            if (port != NULL) flt_object_release((struct flt_object *)port);
            return (HANDLE)(uintptr_t)flt_win32_fail(ERROR_NOT_ENOUGH_MEMORY);
        }
    }
    if (port != NULL) {
        /* The association takes over our reference to the completion port. */
        bool associated = flt_port_associate(port, completion, CompletionKey);
        flt_object_release((struct flt_object *)port);
        if (!associated) {
            if (ExistingCompletionPort == NULL) flt_completion_close(completion);
            if (ExistingCompletionPort == NULL) flt_object_release(flt_handle_remove(handle));
            flt_object_release(&completion->object);
            return (HANDLE)(uintptr_t)flt_win32_fail(ERROR_INVALID_PARAMETER);
        }
    } else {
        flt_object_release(&completion->object);
    }
    flt_set_win32_error(ERROR_SUCCESS);
    return (HANDLE)handle;
}

EXPORT BOOL WINAPI GetQueuedCompletionStatus(HANDLE CompletionPort, LPDWORD lpNumberOfBytesTransferred,
                                             PULONG_PTR lpCompletionKey, LPOVERLAPPED *lpOverlapped,
                                             DWORD dwMilliseconds) {
    if (lpNumberOfBytesTransferred == NULL || lpCompletionKey == NULL || lpOverlapped == NULL) {
        return flt_win32_fail(ERROR_INVALID_PARAMETER);
    }
    *lpOverlapped = NULL;
    struct flt_object *object = flt_handle_acquire((uintptr_t)CompletionPort, FLT_OBJECT_COMPLETION);
    if (object == NULL) return flt_win32_fail(ERROR_INVALID_HANDLE);
    struct flt_completion *completion = (struct flt_completion *)object;
    uint64_t deadline = flt_deadline_after(dwMilliseconds);
    struct timespec until = {.tv_sec = (time_t)(deadline / 1000), .tv_nsec = (long)(deadline % 1000) * 1000000};
    pthread_mutex_lock(&completion->lock);
    int waited = 0;
    /* Another thread reads the feeding port: sleep until a packet comes, then try again. */
    bool reader_busy = false;
    while (completion->first == NULL && !completion->closed && waited != ETIMEDOUT) {
        if (dwMilliseconds == 0) {
            waited = ETIMEDOUT;
            break;
        }
        /* Read the associated port's socket here rather than sleep until the I/O thread does (one thread
         * wake-up less per packet); a post or a close wakes the poll (wake.h). */
        struct flt_port *port = reader_busy ? NULL : completion->feeding_port;
        if (port != NULL && (deadline == UINT64_MAX || flt_deadline_after(0) < deadline)) {
            flt_object_retain((struct flt_object *)port);
            flt_sync_lock();
            int wake_fd = flt_wake_register();
            flt_sync_unlock();
            completion->polling++;
            pthread_mutex_unlock(&completion->lock);
            bool read = wake_fd >= 0 && flt_port_read_while_waiting(port, wake_fd, deadline);
            flt_object_release((struct flt_object *)port);
            flt_sync_lock();
            flt_wake_unregister();
            flt_sync_unlock();
            pthread_mutex_lock(&completion->lock);
            completion->polling--;
            reader_busy = !read;
            continue;
        }
        reader_busy = false;
        if (deadline == UINT64_MAX) pthread_cond_wait(&completion->posted, &completion->lock);
        else waited = pthread_cond_timedwait(&completion->posted, &completion->lock, &until);
    }
    struct packet *packet = completion->closed ? NULL : completion->first;
    bool closed = completion->closed;
    if (packet != NULL) {
        completion->first = packet->next;
        if (completion->first == NULL) completion->last = NULL;
    }
    pthread_mutex_unlock(&completion->lock);
    flt_object_release(object);
    if (packet == NULL) return flt_win32_fail(closed ? ERROR_ABANDONED_WAIT_0 : WAIT_TIMEOUT);
    *lpNumberOfBytesTransferred = packet->bytes;
    *lpCompletionKey = packet->key;
    *lpOverlapped = packet->overlapped;
    uint32_t status = packet->status;
    free(packet);
    if (status != 0) return flt_win32_fail(flt_win32_error_from_status(status));
    flt_set_win32_error(ERROR_SUCCESS);
    return TRUE;
}

EXPORT BOOL WINAPI PostQueuedCompletionStatus(HANDLE CompletionPort, DWORD dwNumberOfBytesTransferred,
                                              ULONG_PTR dwCompletionKey, LPOVERLAPPED lpOverlapped) {
    struct flt_object *object = flt_handle_acquire((uintptr_t)CompletionPort, FLT_OBJECT_COMPLETION);
    if (object == NULL) return flt_win32_fail(ERROR_INVALID_HANDLE);
    bool posted = flt_completion_post((struct flt_completion *)object, dwNumberOfBytesTransferred, dwCompletionKey,
                                      lpOverlapped, 0);
    flt_object_release(object);
    return posted ? TRUE : flt_win32_fail(ERROR_NOT_ENOUGH_MEMORY);
}
