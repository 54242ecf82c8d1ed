/* SPDX-License-Identifier: MIT */
/* The objects a thread can wait on, events, threads and semaphores, and the waits. One process-wide lock guards every
 * signalled state and one condition variable is broadcast whenever one becomes signalled: a wait on several
 * objects (all or any) then checks them in one place, and auto-reset events are consumed atomically. */
#ifndef FLTLIB_WAITABLE_H
#define FLTLIB_WAITABLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <wchar.h>

#include "object.h"

struct flt_waitable {
    struct flt_object object;
    /* Guarded by flt_sync_lock. */
    bool signalled;
    /* An auto-reset event (false) is reset by the wait it satisfies; a thread stays signalled. */
    bool manual_reset;
    /* Events and semaphores: the name (NULL when unnamed) and the next named object. */
    wchar_t *name;
    struct flt_waitable *next_named;
    /* Events: the port of the last overlapped request that reports to this event (a reference), whose socket a
     * thread waiting on the event reads itself while nobody else does. Guarded by flt_sync_lock. */
    struct flt_port *feeding_port;
    /* Threads (thread.c); guarded by flt_sync_lock. */
    uint32_t thread_id;
    uint32_t exit_code;
    uint32_t suspend_count;
    bool finished;
    void *start;
    void *parameter;
    /* Semaphores (semaphore.c): signalled while count > 0; guarded by flt_sync_lock. */
    int32_t count;
    int32_t maximum;
};

/* Locks the lock that guards every signalled state; broadcast flt_sync_changed after a change. */
void flt_sync_lock(void);
void flt_sync_unlock(void);
void flt_sync_broadcast(void);
/* Waits on the change condition until `deadline_ms` (CLOCK_MONOTONIC, in ms; UINT64_MAX for ever); false at the
 * deadline. Lock held. */
bool flt_sync_wait(uint64_t deadline_ms);
/* Now, in CLOCK_MONOTONIC milliseconds, and the deadline `milliseconds` from now (INFINITE: UINT64_MAX). */
uint64_t flt_deadline_after(uint32_t milliseconds);

struct flt_port;

/* Records that an overlapped request on `port` reports to `event`. */
void flt_waitable_feed(struct flt_waitable *event, struct flt_port *port);

/* SetEvent on an event object (the OVERLAPPED's, at completion). */
void flt_waitable_signal(struct flt_waitable *waitable);

/* CreateEvent's and CreateSemaphore's common part: a handle to the live object named `name` (malloc'd, taken; NULL
 * for none) with ERROR_ALREADY_EXISTS, or NULL with ERROR_INVALID_HANDLE when that name is another kind's; else a
 * handle to a new waitable of `kind` that `initialize` sets up from `arguments`, named `name`. A HANDLE, or NULL
 * with the last error set. */
void *flt_waitable_create(enum flt_object_kind kind, wchar_t *name,
                          void (*initialize)(struct flt_waitable *created, const void *arguments), const void *arguments);
/* An A call's name as wide text, each byte the character of its value (malloc'd); NULL when out of memory. */
wchar_t *flt_name_from_bytes(const char *name);

/* The last reference went: unlinks a named object and frees it. */
void flt_waitable_destroy(struct flt_waitable *waitable);

#endif
