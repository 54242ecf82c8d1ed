/* SPDX-License-Identifier: MIT */
/* Threads (CreateThread, ResumeThread, ExitThread, GetExitCodeThread, GetCurrentThreadId) and Sleep, on pthreads.
 * A thread object is waitable (waitable.h): it is signalled when the thread ends. The running thread holds a
 * reference to it, the handle another, so either may go first; the pthread is detached. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "export.h"
#include "fltUser.h"
#include "handle_table.h"
#include "waitable.h"
#include "win_error.h"

/* The thread object of a thread CreateThread started; NULL in others. */
static __thread struct flt_waitable *current_thread;

/* Marks the thread finished with `code` and drops its own reference. */
static void finish(struct flt_waitable *thread, DWORD code) {
    flt_sync_lock();
    thread->exit_code = code;
    thread->finished = true;
    thread->signalled = true;
    flt_sync_broadcast();
    flt_sync_unlock();
    current_thread = NULL;
    flt_object_release(&thread->object);
}

static void *run(void *argument) {
    struct flt_waitable *thread = argument;
    current_thread = thread;
    flt_sync_lock();
    thread->thread_id = (uint32_t)gettid();
    flt_sync_broadcast();
    /* CREATE_SUSPENDED: the body starts once ResumeThread brings the count to 0. */
    while (thread->suspend_count > 0) flt_sync_wait(UINT64_MAX);
    flt_sync_unlock();
    LPTHREAD_START_ROUTINE start = (LPTHREAD_START_ROUTINE)thread->start;
    DWORD code = start(thread->parameter);
    finish(thread, code);
    return NULL;
}

EXPORT HANDLE WINAPI CreateThread(LPSECURITY_ATTRIBUTES lpThreadAttributes, SIZE_T dwStackSize,
                                  LPTHREAD_START_ROUTINE lpStartAddress, LPVOID lpParameter, DWORD dwCreationFlags,
                                  LPDWORD lpThreadId) {
    (void)lpThreadAttributes;
    if (lpStartAddress == NULL) return (HANDLE)(uintptr_t)flt_win32_fail(ERROR_INVALID_PARAMETER);
    struct flt_waitable *thread = calloc(1, sizeof *thread);
    if (thread == NULL) return (HANDLE)(uintptr_t)flt_win32_fail(ERROR_NOT_ENOUGH_MEMORY);
    flt_object_init(&thread->object, FLT_OBJECT_THREAD);
    thread->manual_reset = true;
    thread->start = (void *)lpStartAddress;
    thread->parameter = lpParameter;
    thread->exit_code = STILL_ACTIVE;
    thread->suspend_count = (dwCreationFlags & CREATE_SUSPENDED) != 0 ? 1 : 0;
    /* One reference for the handle, one for the running thread. */
    flt_object_retain(&thread->object);
    uintptr_t handle = flt_handle_register(&thread->object);
    if (handle == 0) {
        free(thread);
        return (HANDLE)(uintptr_t)flt_win32_fail(ERROR_NOT_ENOUGH_MEMORY);
    }
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    if (dwStackSize > 0) {
        size_t size = dwStackSize < (size_t)PTHREAD_STACK_MIN ? (size_t)PTHREAD_STACK_MIN : dwStackSize;
        pthread_attr_setstacksize(&attributes, size);
    }
    pthread_t pthread;
    int error = pthread_create(&pthread, &attributes, run, thread);
    pthread_attr_destroy(&attributes);
    if (error != 0) {
        flt_object_release(flt_handle_remove(handle));
        flt_object_release(&thread->object);
        return (HANDLE)(uintptr_t)flt_win32_fail(error == EAGAIN ? ERROR_NOT_ENOUGH_MEMORY : ERROR_INVALID_PARAMETER);
    }
    /* Windows gives the id at once: wait for the thread to publish it. */
    flt_sync_lock();
    while (thread->thread_id == 0) flt_sync_wait(UINT64_MAX);
    DWORD id = thread->thread_id;
    flt_sync_unlock();
    if (lpThreadId != NULL) *lpThreadId = id;
    flt_set_win32_error(ERROR_SUCCESS);
    return (HANDLE)handle;
}

EXPORT DWORD WINAPI ResumeThread(HANDLE hThread) {
    struct flt_object *object = flt_handle_acquire((uintptr_t)hThread, FLT_OBJECT_THREAD);
    if (object == NULL) {
        flt_set_win32_error(ERROR_INVALID_HANDLE);
        return (DWORD)-1;
    }
    struct flt_waitable *thread = (struct flt_waitable *)object;
    flt_sync_lock();
    DWORD previous = thread->suspend_count;
    if (previous > 0 && --thread->suspend_count == 0) flt_sync_broadcast();
    flt_sync_unlock();
    flt_object_release(object);
    return previous;
}

EXPORT __attribute__((noreturn)) VOID WINAPI ExitThread(DWORD dwExitCode) {
    if (current_thread != NULL) finish(current_thread, dwExitCode);
    pthread_exit(NULL);
}

EXPORT BOOL WINAPI GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode) {
    struct flt_object *object = flt_handle_acquire((uintptr_t)hThread, FLT_OBJECT_THREAD);
    if (object == NULL) return flt_win32_fail(ERROR_INVALID_HANDLE);
    if (lpExitCode == NULL) {
        flt_object_release(object);
        return flt_win32_fail(ERROR_INVALID_PARAMETER);
    }
    flt_sync_lock();
    *lpExitCode = ((struct flt_waitable *)object)->exit_code;
    flt_sync_unlock();
    flt_object_release(object);
    return TRUE;
}

EXPORT DWORD WINAPI GetCurrentThreadId(void) { return (DWORD)gettid(); }

EXPORT DWORD WINAPI GetCurrentProcessId(void) { return (DWORD)getpid(); }

EXPORT VOID WINAPI Sleep(DWORD dwMilliseconds) {
    if (dwMilliseconds == INFINITE) {
        for (;;) pause();
    }
    struct timespec remaining = {.tv_sec = dwMilliseconds / 1000, .tv_nsec = (long)(dwMilliseconds % 1000) * 1000000};
    while (nanosleep(&remaining, &remaining) < 0 && errno == EINTR) {
    }
}

EXPORT ULONGLONG WINAPI GetTickCount64(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (ULONGLONG)now.tv_sec * 1000 + (ULONGLONG)now.tv_nsec / 1000000;
}

EXPORT DWORD WINAPI GetTickCount(void) { return (DWORD)GetTickCount64(); }

EXPORT DWORD WINAPI SleepEx(DWORD dwMilliseconds, BOOL bAlertable) {
    (void)bAlertable;
    Sleep(dwMilliseconds);
    return 0;
}
