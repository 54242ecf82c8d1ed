/* SPDX-License-Identifier: MIT */
/*
 * fltWinBase.h: the kernel32 calls that programs written for fltlib make around it (events, waits, overlapped
 * results, I/O completion ports, threads, the last error), in libfltlib, where MinGW-w64 has them in winbase.h
 * and the headers it includes (synchapi.h, ioapiset.h, processthreadsapi.h). fltUser.h and windows.h include
 * it.
 *
 * Each call keeps Windows' signature and, where programs rely on it, its semantics (see fltlib(3), "Win32 calls").
 * What differs, on purpose:
 * - Handles are process-local; an event's name is looked up among this process's events only.
 * - Waitable objects are events and threads. Waits are not alertable: bAlertable is accepted and no APC runs,
 *   so WAIT_IO_COMPLETION is never returned.
 * - NumberOfConcurrentThreads of a completion port is recorded, not enforced: any thread waiting in
 *   GetQueuedCompletionStatus may take a packet (Windows' limit counts threads that do not block, which a
 *   library cannot see). Packets leave in the order they were queued.
 *
 * # Thread safety
 * Every call may be made from any thread, on any handle, at once. CloseHandle on a completion port releases the
 * threads waiting on it with ERROR_ABANDONED_WAIT_0.
 *
 * A program with versions of its own: a macro of one of these names defined before the include hides the
 * declaration (CreateEvent and the other A/W names are macros here too); FLTLIB_NO_WINBASE hides them all.
 */
#ifndef FLTLIB_FLTWINBASE_H
#define FLTLIB_FLTWINBASE_H

#include "fltWinTypes.h"

#ifndef FLTLIB_NO_WINBASE

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Macros (winnt.h, winbase.h, minwinbase.h) ------------------------------------------------------------ */

#ifndef INFINITE
#define INFINITE 0xFFFFFFFF
#endif
#ifndef FIELD_OFFSET
#define FIELD_OFFSET(type, field) ((LONG)offsetof(type, field))
#endif
#ifndef CONTAINING_RECORD
#define CONTAINING_RECORD(address, type, field) ((type *)((PCHAR)(address) - (ULONG_PTR)offsetof(type, field)))
#endif
#ifndef RtlEqualMemory
#define RtlEqualMemory(destination, source, length) (!memcmp((destination), (source), (length)))
#endif
#ifndef RtlCopyMemory
#define RtlCopyMemory(destination, source, length) memcpy((destination), (source), (length))
#endif
#ifndef RtlMoveMemory
#define RtlMoveMemory(destination, source, length) memmove((destination), (source), (length))
#endif
#ifndef RtlFillMemory
#define RtlFillMemory(destination, length, fill) memset((destination), (fill), (length))
#endif
#ifndef RtlZeroMemory
#define RtlZeroMemory(destination, length) memset((destination), 0, (length))
#endif
#ifndef EqualMemory
#define EqualMemory RtlEqualMemory
#endif
#ifndef MoveMemory
#define MoveMemory RtlMoveMemory
#endif
#ifndef FillMemory
#define FillMemory RtlFillMemory
#endif

#define WAIT_OBJECT_0 0x00000000L
#define WAIT_ABANDONED_0 0x00000080L
#define WAIT_IO_COMPLETION 0x000000C0L
#ifndef WAIT_TIMEOUT
#define WAIT_TIMEOUT 258L
#endif
#define WAIT_FAILED ((DWORD)0xFFFFFFFF)
#define MAXIMUM_WAIT_OBJECTS 64
#define STATUS_WAIT_0 ((DWORD)0x00000000L)
#define STATUS_PENDING ((DWORD)0x00000103L)
#define STATUS_CANCELLED ((DWORD)0xC0000120L)
#define STILL_ACTIVE STATUS_PENDING
#define CREATE_SUSPENDED 0x00000004
#define STACK_SIZE_PARAM_IS_A_RESERVATION 0x00010000

/* True once the request of an OVERLAPPED has completed (Internal is no longer STATUS_PENDING). */
#ifndef HasOverlappedIoCompleted
#define HasOverlappedIoCompleted(lpOverlapped) \
    (__atomic_load_n(&(lpOverlapped)->Internal, __ATOMIC_ACQUIRE) != STATUS_PENDING)
#endif

typedef DWORD(WINAPI *PTHREAD_START_ROUTINE)(LPVOID lpThreadParameter);
typedef PTHREAD_START_ROUTINE LPTHREAD_START_ROUTINE;

/* ---- The last error (errhandlingapi.h) ------------------------------------------------------------------- */

#ifndef GetLastError
/** The calling thread's last error, as the Win32 calls below set it (fltlib's Filter* calls return HRESULTs). */
DWORD WINAPI GetLastError(void);
#endif
#ifndef SetLastError
VOID WINAPI SetLastError(DWORD dwErrCode);
#endif

/* ---- Handles (handleapi.h) ------------------------------------------------------------------------------- */

#ifndef CloseHandle
/**
 * Closes a handle of any kind: a port handle (as FilterClose: its pending requests complete with
 * ERROR_INVALID_HANDLE), an event, a thread (the thread runs on) or a completion port (threads waiting on it
 * return FALSE with ERROR_ABANDONED_WAIT_0). FALSE with ERROR_INVALID_HANDLE for anything else.
 */
BOOL WINAPI CloseHandle(HANDLE hObject);
#endif

/* ---- Events and waits (synchapi.h) ----------------------------------------------------------------------- */

#ifndef CreateEventA
/** An event; a named one is shared with the events of the same name in this process (ERROR_ALREADY_EXISTS). */
HANDLE WINAPI CreateEventA(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset, BOOL bInitialState,
                           LPCSTR lpName);
#endif
#ifndef CreateEventW
HANDLE WINAPI CreateEventW(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset, BOOL bInitialState,
                           LPCWSTR lpName);
#endif
/* fltlib's API takes wide strings (a UNICODE build, as TEXT is). */
#ifndef CreateEvent
#define CreateEvent CreateEventW
#endif
#ifndef SetEvent
BOOL WINAPI SetEvent(HANDLE hEvent);
#endif
#ifndef ResetEvent
BOOL WINAPI ResetEvent(HANDLE hEvent);
#endif
#ifndef WaitForSingleObject
/** WAIT_OBJECT_0, WAIT_TIMEOUT, or WAIT_FAILED (GetLastError says why) for an event or a thread. */
DWORD WINAPI WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds);
#endif
#ifndef WaitForSingleObjectEx
DWORD WINAPI WaitForSingleObjectEx(HANDLE hHandle, DWORD dwMilliseconds, BOOL bAlertable);
#endif
#ifndef WaitForMultipleObjects
/** WAIT_OBJECT_0 + the lowest index signalled (or WAIT_OBJECT_0 once all are, with bWaitAll), WAIT_TIMEOUT or
 * WAIT_FAILED; nCount is 1 to MAXIMUM_WAIT_OBJECTS. */
DWORD WINAPI WaitForMultipleObjects(DWORD nCount, const HANDLE *lpHandles, BOOL bWaitAll, DWORD dwMilliseconds);
#endif
#ifndef WaitForMultipleObjectsEx
DWORD WINAPI WaitForMultipleObjectsEx(DWORD nCount, const HANDLE *lpHandles, BOOL bWaitAll, DWORD dwMilliseconds,
                                      BOOL bAlertable);
#endif
#ifndef Sleep
VOID WINAPI Sleep(DWORD dwMilliseconds);
#endif
#ifndef SleepEx
DWORD WINAPI SleepEx(DWORD dwMilliseconds, BOOL bAlertable);
#endif
#ifndef GetTickCount64
/** Milliseconds of CLOCK_MONOTONIC (since boot, as on Windows); GetTickCount wraps after 49.7 days. */
ULONGLONG WINAPI GetTickCount64(void);
#endif
#ifndef GetTickCount
DWORD WINAPI GetTickCount(void);
#endif

/* ---- Overlapped requests (ioapiset.h) -------------------------------------------------------------------- */

#ifndef GetOverlappedResult
/**
 * The result of an overlapped request on port handle hFile: TRUE with *lpNumberOfBytesTransferred once it
 * succeeded; FALSE with GetLastError() ERROR_IO_INCOMPLETE while it is pending and bWait is FALSE, or the
 * request's error (ERROR_INVALID_HANDLE after a close or a disconnect, ERROR_OPERATION_ABORTED after a cancel).
 * With bWait it waits on the OVERLAPPED's event, or on the request itself when hEvent is NULL.
 */
BOOL WINAPI GetOverlappedResult(HANDLE hFile, LPOVERLAPPED lpOverlapped, LPDWORD lpNumberOfBytesTransferred,
                                BOOL bWait);
#endif
#ifndef CancelIo
/** Cancels the calling thread's pending requests on hFile: each completes with ERROR_OPERATION_ABORTED. */
BOOL WINAPI CancelIo(HANDLE hFile);
#endif
#ifndef CancelIoEx
/** Cancels the request of lpOverlapped on hFile, or all of them (any thread's) when it is NULL; FALSE with
 * ERROR_NOT_FOUND when there is none. */
BOOL WINAPI CancelIoEx(HANDLE hFile, LPOVERLAPPED lpOverlapped);
#endif
#ifndef CreateIoCompletionPort
/**
 * With FileHandle INVALID_HANDLE_VALUE, creates a completion port. With a port handle, associates it with
 * ExistingCompletionPort (or a new one when that is NULL) and CompletionKey: each of its overlapped requests
 * then queues a packet there as it completes, unless the low bit of the OVERLAPPED's hEvent is set. Returns the
 * completion port, or NULL (GetLastError says why).
 */
HANDLE WINAPI CreateIoCompletionPort(HANDLE FileHandle, HANDLE ExistingCompletionPort, ULONG_PTR CompletionKey,
                                     DWORD NumberOfConcurrentThreads);
#endif
#ifndef GetQueuedCompletionStatus
/**
 * Takes the oldest packet: TRUE for a request that succeeded (or a posted packet); FALSE with *lpOverlapped set
 * for one that failed (GetLastError is its error); FALSE with *lpOverlapped NULL and WAIT_TIMEOUT after
 * dwMilliseconds, or ERROR_ABANDONED_WAIT_0 when the completion port is closed while waiting.
 */
BOOL WINAPI GetQueuedCompletionStatus(HANDLE CompletionPort, LPDWORD lpNumberOfBytesTransferred,
                                      PULONG_PTR lpCompletionKey, LPOVERLAPPED *lpOverlapped, DWORD dwMilliseconds);
#endif
#ifndef PostQueuedCompletionStatus
BOOL WINAPI PostQueuedCompletionStatus(HANDLE CompletionPort, DWORD dwNumberOfBytesTransferred,
                                       ULONG_PTR dwCompletionKey, LPOVERLAPPED lpOverlapped);
#endif

/* ---- Threads (processthreadsapi.h) ----------------------------------------------------------------------- */

#ifndef CreateThread
/** A thread running lpStartAddress(lpParameter); with CREATE_SUSPENDED it starts at ResumeThread. The handle is
 * signalled when the thread ends; dwStackSize 0 takes the default. */
HANDLE WINAPI CreateThread(LPSECURITY_ATTRIBUTES lpThreadAttributes, SIZE_T dwStackSize,
                           LPTHREAD_START_ROUTINE lpStartAddress, LPVOID lpParameter, DWORD dwCreationFlags,
                           LPDWORD lpThreadId);
#endif
#ifndef ResumeThread
/** The previous suspend count, or (DWORD)-1 with GetLastError; the thread starts when it reaches 0. */
DWORD WINAPI ResumeThread(HANDLE hThread);
#endif
#ifndef ExitThread
__attribute__((noreturn)) VOID WINAPI ExitThread(DWORD dwExitCode);
#endif
#ifndef GetExitCodeThread
BOOL WINAPI GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode);
#endif
#ifndef GetCurrentThreadId
/** The kernel's thread id (gettid), the value CreateThread gives in *lpThreadId. */
DWORD WINAPI GetCurrentThreadId(void);
#endif
#ifndef GetCurrentProcessId
DWORD WINAPI GetCurrentProcessId(void);
#endif

#ifdef __cplusplus
}
#endif

#endif /* FLTLIB_NO_WINBASE */

#endif /* FLTLIB_FLTWINBASE_H */
