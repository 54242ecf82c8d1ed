/* SPDX-License-Identifier: MIT */
/* Critical sections (InitializeCriticalSection and the rest) on recursive pthread mutexes: a critical section's
 * owner may enter it again, and must leave it as often. */
#define _GNU_SOURCE
#include "fltUser.h"

#include "export.h"

static void initialize(LPCRITICAL_SECTION section) {
    pthread_mutexattr_t attributes;
    pthread_mutexattr_init(&attributes);
    pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&section->Mutex, &attributes);
    pthread_mutexattr_destroy(&attributes);
}

EXPORT VOID WINAPI InitializeCriticalSection(LPCRITICAL_SECTION lpCriticalSection) { initialize(lpCriticalSection); }

EXPORT BOOL WINAPI InitializeCriticalSectionAndSpinCount(LPCRITICAL_SECTION lpCriticalSection, DWORD dwSpinCount) {
    initialize(lpCriticalSection);
    return TRUE;
}

EXPORT VOID WINAPI EnterCriticalSection(LPCRITICAL_SECTION lpCriticalSection) {
    pthread_mutex_lock(&lpCriticalSection->Mutex);
}

EXPORT BOOL WINAPI TryEnterCriticalSection(LPCRITICAL_SECTION lpCriticalSection) {
    return pthread_mutex_trylock(&lpCriticalSection->Mutex) == 0;
}

EXPORT VOID WINAPI LeaveCriticalSection(LPCRITICAL_SECTION lpCriticalSection) {
    pthread_mutex_unlock(&lpCriticalSection->Mutex);
}

EXPORT VOID WINAPI DeleteCriticalSection(LPCRITICAL_SECTION lpCriticalSection) {
    pthread_mutex_destroy(&lpCriticalSection->Mutex);
}
