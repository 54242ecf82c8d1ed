/* SPDX-License-Identifier: MIT */
/* Events (CreateEvent, SetEvent, ResetEvent) and waits (WaitForSingleObject, WaitForMultipleObjects). */
#define _GNU_SOURCE
#include "waitable.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "condition.h"
#include "export.h"
#include "fltUser.h"
#include "handle_table.h"
#include "port.h"
#include "wake.h"
#include "win_error.h"

static pthread_mutex_t sync_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sync_changed;
static pthread_once_t sync_once = PTHREAD_ONCE_INIT;
/* Named events and semaphores (one namespace, as on Windows), guarded by sync_lock. */
static struct flt_waitable *named_events;

static void initialize_condition(void) { flt_cond_init_monotonic(&sync_changed); }

void flt_sync_lock(void) {
    pthread_once(&sync_once, initialize_condition);
    pthread_mutex_lock(&sync_lock);
}

void flt_sync_unlock(void) { pthread_mutex_unlock(&sync_lock); }

void flt_sync_broadcast(void) {
    pthread_cond_broadcast(&sync_changed);
    flt_wake_readers();
}

static uint64_t now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

uint64_t flt_deadline_after(uint32_t milliseconds) {
    return milliseconds == INFINITE ? UINT64_MAX : now_ms() + milliseconds;
}

bool flt_sync_wait(uint64_t deadline_ms) {
    if (deadline_ms == UINT64_MAX) {
        pthread_cond_wait(&sync_changed, &sync_lock);
        return true;
    }
    if (now_ms() >= deadline_ms) return false;
    struct timespec deadline = {.tv_sec = (time_t)(deadline_ms / 1000), .tv_nsec = (long)(deadline_ms % 1000) * 1000000};
    return pthread_cond_timedwait(&sync_changed, &sync_lock, &deadline) != ETIMEDOUT || now_ms() < deadline_ms;
}

void flt_waitable_signal(struct flt_waitable *waitable) {
    flt_sync_lock();
    waitable->signalled = true;
    flt_sync_broadcast();
    flt_sync_unlock();
}

void flt_waitable_feed(struct flt_waitable *event, struct flt_port *port) {
    flt_sync_lock();
    struct flt_port *previous = event->feeding_port;
    if (previous != port) {
        flt_object_retain((struct flt_object *)port);
        event->feeding_port = port;
    }
    flt_sync_unlock();
    if (previous != NULL && previous != port) flt_object_release((struct flt_object *)previous);
}

void flt_waitable_destroy(struct flt_waitable *waitable) {
    if (waitable->feeding_port != NULL) flt_object_release((struct flt_object *)waitable->feeding_port);
    if (waitable->name != NULL) {
        flt_sync_lock();
        for (struct flt_waitable **link = &named_events; *link != NULL; link = &(*link)->next_named) {
            if (*link == waitable) {
                *link = waitable->next_named;
                break;
            }
        }
        flt_sync_unlock();
        free(waitable->name);
    }
    free(waitable);
}

/* A reference to the named event or semaphore `name`, unless none is alive. Sync lock held. */
static struct flt_waitable *find_named(const wchar_t *name) {
    for (struct flt_waitable *event = named_events; event != NULL; event = event->next_named) {
        if (wcscmp(event->name, name) != 0) continue;
        /* An event whose last reference is going is being destroyed: it is not there any more. */
        unsigned references = atomic_load(&event->object.references);
        while (references > 0) {
            if (atomic_compare_exchange_weak(&event->object.references, &references, references + 1)) return event;
        }
    }
    return NULL;
}

static struct flt_waitable *lookup_named(const wchar_t *name) {
    flt_sync_lock();
    struct flt_waitable *found = find_named(name);
    flt_sync_unlock();
    return found;
}

static void give_name(struct flt_waitable *waitable, wchar_t *name) {
    waitable->name = name;
    flt_sync_lock();
    waitable->next_named = named_events;
    named_events = waitable;
    flt_sync_unlock();
}

wchar_t *flt_name_from_bytes(const char *name) {
    /* Each byte as the character of that value: an ASCII name is the same object under A and W. */
    size_t length = strlen(name);
    wchar_t *wide = malloc((length + 1) * sizeof *wide);
    if (wide == NULL) return NULL;
    for (size_t i = 0; i <= length; i++) wide[i] = (wchar_t)(unsigned char)name[i];
    return wide;
}

void *flt_waitable_create(enum flt_object_kind kind, wchar_t *name,
                          void (*initialize)(struct flt_waitable *created, const void *arguments), const void *arguments) {
    struct flt_waitable *waitable = name != NULL ? lookup_named(name) : NULL;
    if (waitable != NULL) {
        free(name);
        /* One namespace: the name is another kind's. */
        if (waitable->object.kind != kind) {
            flt_object_release(&waitable->object);
            return (HANDLE)(uintptr_t)flt_win32_fail(ERROR_INVALID_HANDLE);
        }
        uintptr_t handle = flt_handle_register(&waitable->object);
        if (handle == 0) {
            flt_object_release(&waitable->object);
            return (HANDLE)(uintptr_t)flt_win32_fail(ERROR_NOT_ENOUGH_MEMORY);
        }
        flt_set_win32_error(ERROR_ALREADY_EXISTS);
        return (HANDLE)handle;
    }
    if ((waitable = calloc(1, sizeof *waitable)) == NULL) {
        free(name);
        return (HANDLE)(uintptr_t)flt_win32_fail(ERROR_NOT_ENOUGH_MEMORY);
    }
    flt_object_init(&waitable->object, kind);
    initialize(waitable, arguments);
    uintptr_t handle = flt_handle_register(&waitable->object);
    if (handle == 0) {
        free(name);
        free(waitable);
        return (HANDLE)(uintptr_t)flt_win32_fail(ERROR_NOT_ENOUGH_MEMORY);
    }
    if (name != NULL) give_name(waitable, name);
    flt_set_win32_error(ERROR_SUCCESS);
    return (HANDLE)handle;
}

struct event_state {
    BOOL manual_reset;
    BOOL initial_state;
};

static void initialize_event(struct flt_waitable *event, const void *arguments) {
    const struct event_state *state = arguments;
    event->manual_reset = state->manual_reset != FALSE;
    event->signalled = state->initial_state != FALSE;
}

static HANDLE create_event(BOOL manual_reset, BOOL initial_state, wchar_t *name) {
    struct event_state state = {.manual_reset = manual_reset, .initial_state = initial_state};
    return flt_waitable_create(FLT_OBJECT_EVENT, name, initialize_event, &state);
}

EXPORT HANDLE WINAPI CreateEventW(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset, BOOL bInitialState,
                                  LPCWSTR lpName) {
    (void)lpEventAttributes;
    wchar_t *name = NULL;
    if (lpName != NULL && (name = wcsdup(lpName)) == NULL) {
        return (HANDLE)(uintptr_t)flt_win32_fail(ERROR_NOT_ENOUGH_MEMORY);
    }
    return create_event(bManualReset, bInitialState, name);
}

EXPORT HANDLE WINAPI CreateEventA(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset, BOOL bInitialState,
                                  LPCSTR lpName) {
    (void)lpEventAttributes;
    wchar_t *name = NULL;
    if (lpName != NULL && (name = flt_name_from_bytes(lpName)) == NULL) {
        return (HANDLE)(uintptr_t)flt_win32_fail(ERROR_NOT_ENOUGH_MEMORY);
    }
    return create_event(bManualReset, bInitialState, name);
}

static BOOL set_event_state(HANDLE hEvent, bool signalled) {
    struct flt_object *object = flt_handle_acquire((uintptr_t)hEvent, FLT_OBJECT_EVENT);
    if (object == NULL) return flt_win32_fail(ERROR_INVALID_HANDLE);
    struct flt_waitable *event = (struct flt_waitable *)object;
    flt_sync_lock();
    event->signalled = signalled;
    if (signalled) flt_sync_broadcast();
    flt_sync_unlock();
    flt_object_release(object);
    return TRUE;
}

EXPORT BOOL WINAPI SetEvent(HANDLE hEvent) { return set_event_state(hEvent, true); }

EXPORT BOOL WINAPI ResetEvent(HANDLE hEvent) { return set_event_state(hEvent, false); }

/* Consumes what a satisfied wait takes: an auto-reset event's signal, one of a semaphore's count. Sync lock held. */
static void satisfy(struct flt_waitable *waitable) {
    if (waitable->object.kind == FLT_OBJECT_EVENT && !waitable->manual_reset) waitable->signalled = false;
    if (waitable->object.kind == FLT_OBJECT_SEMAPHORE) waitable->signalled = --waitable->count > 0;
}

static DWORD wait_for(DWORD count, const HANDLE *handles, BOOL wait_all, DWORD milliseconds) {
    if (count == 0 || count > MAXIMUM_WAIT_OBJECTS || handles == NULL) {
        flt_set_win32_error(ERROR_INVALID_PARAMETER);
        return WAIT_FAILED;
    }
    struct flt_waitable *objects[MAXIMUM_WAIT_OBJECTS];
    for (DWORD i = 0; i < count; i++) {
        struct flt_object *object = flt_handle_acquire((uintptr_t)handles[i], FLT_OBJECT_ANY);
        if (object != NULL && object->kind != FLT_OBJECT_EVENT && object->kind != FLT_OBJECT_THREAD &&
            object->kind != FLT_OBJECT_SEMAPHORE) {
            flt_object_release(object);
            object = NULL;
        }
        if (object == NULL) {
            for (DWORD j = 0; j < i; j++) flt_object_release(&objects[j]->object);
            flt_set_win32_error(ERROR_INVALID_HANDLE);
            return WAIT_FAILED;
        }
        objects[i] = (struct flt_waitable *)object;
    }
    uint64_t deadline = flt_deadline_after(milliseconds);
    DWORD result = WAIT_TIMEOUT;
    /* Another thread reads the feeding port: sleep until a state changes, then try again. */
    bool reader_busy = false;
    flt_sync_lock();
    for (;;) {
        if (wait_all) {
            DWORD signalled = 0;
            while (signalled < count && objects[signalled]->signalled) signalled++;
            if (signalled == count) {
                for (DWORD i = 0; i < count; i++) satisfy(objects[i]);
                result = WAIT_OBJECT_0;
                break;
            }
        } else {
            DWORD i = 0;
            while (i < count && !objects[i]->signalled) i++;
            if (i < count) {
                satisfy(objects[i]);
                result = WAIT_OBJECT_0 + i;
                break;
            }
        }
        /* One event fed by a port: read its socket here rather than sleep until the I/O thread does (one thread
         * wake-up less per completion). Any change of a signalled state wakes the poll (wake.h). */
        struct flt_port *port = count == 1 && !reader_busy && now_ms() < deadline ? objects[0]->feeding_port : NULL;
        if (port != NULL) {
            flt_object_retain((struct flt_object *)port);
            int wake_fd = flt_wake_register();
            flt_sync_unlock();
            bool read = wake_fd >= 0 && flt_port_read_while_waiting(port, wake_fd, deadline);
            flt_object_release((struct flt_object *)port);
            flt_sync_lock();
            flt_wake_unregister();
            /* The states may have changed while the lock was free: check them before sleeping. */
            reader_busy = !read;
            continue;
        }
        reader_busy = false;
        if (!flt_sync_wait(deadline)) break;
    }
    flt_sync_unlock();
    for (DWORD i = 0; i < count; i++) flt_object_release(&objects[i]->object);
    return result;
}

EXPORT DWORD WINAPI WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds) {
    return wait_for(1, &hHandle, FALSE, dwMilliseconds);
}

EXPORT DWORD WINAPI WaitForSingleObjectEx(HANDLE hHandle, DWORD dwMilliseconds, BOOL bAlertable) {
    (void)bAlertable;
    return wait_for(1, &hHandle, FALSE, dwMilliseconds);
}

EXPORT DWORD WINAPI WaitForMultipleObjects(DWORD nCount, const HANDLE *lpHandles, BOOL bWaitAll, DWORD dwMilliseconds) {
    return wait_for(nCount, lpHandles, bWaitAll, dwMilliseconds);
}

EXPORT DWORD WINAPI WaitForMultipleObjectsEx(DWORD nCount, const HANDLE *lpHandles, BOOL bWaitAll,
                                             DWORD dwMilliseconds, BOOL bAlertable) {
    (void)bAlertable;
    return wait_for(nCount, lpHandles, bWaitAll, dwMilliseconds);
}
