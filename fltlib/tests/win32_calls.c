/* SPDX-License-Identifier: MIT */
/* The kernel32 calls of fltWinBase.h on their own, with no server: events, waits, threads, completion ports,
 * CloseHandle, the last error, and the headers Windows programs include, as they write them. Prints one line
 * per check and "N failed"; exits 1 if any failed. Run by make fltlib-tests.
 *
 * It also defines a Sleep macro of its own before the includes, as a program with its own version would: the
 * header's declaration stands aside. */
#define _DEFAULT_SOURCE
#define Sleep(milliseconds) usleep((milliseconds) * 1000u)
#include <unistd.h>

#include <Windows.h>
#include <crtdbg.h>
#include <dontuse.h>
#include <fltuser.h>
#include <winioctl.h>

#include <stdio.h>
#include <string.h>

static int failures;

static void expect(const char *what, int condition) {
    printf("%s %s\n", condition ? "ok  " : "FAIL", what);
    failures += !condition;
}

/* SAL annotations are empty, as MinGW defines them. */
static _Check_return_ BOOL annotated(_In_reads_bytes_(size) const BYTE *bytes, _In_ ULONG size,
                                     _Out_opt_ ULONG *first, _Inout_ ULONG *count) {
    _Analysis_assume_(size > 0);
    if (first != NULL) *first = bytes[0];
    *count += size;
    return TRUE;
}

typedef struct {
    ULONGLONG header;
    OVERLAPPED overlapped;
} RECORD;

static DWORD WINAPI exit_with(LPVOID code) {
    _ASSERTE(code != NULL);
    if ((ULONG_PTR)code == 7) ExitThread(7);
    return (DWORD)(ULONG_PTR)code;
}

static HANDLE shared_event;

static DWORD WINAPI set_after_a_while(LPVOID unused) {
    (void)unused;
    usleep(50 * 1000);
    SetLastError(1234);
    SetEvent(shared_event);
    return GetLastError() == 1234 ? GetCurrentThreadId() : 0;
}

static HANDLE queue;

static DWORD WINAPI wait_on_queue(LPVOID unused) {
    (void)unused;
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED overlapped = (LPOVERLAPPED)1;
    BOOL taken = GetQueuedCompletionStatus(queue, &bytes, &key, &overlapped, INFINITE);
    return !taken && overlapped == NULL ? GetLastError() : 0;
}

int main(void) {
    ULONG first = 0, count = 0;
    BYTE bytes[3] = {9, 8, 7};
    expect("SAL annotations compile away", annotated(bytes, 3, &first, &count) && first == 9 && count == 3);
    expect("ULONGLONG is unsigned long long", sizeof(ULONGLONG) == sizeof(unsigned long long) && (ULONGLONG)-1 > 0);
    expect("OVERLAPPED is 32 bytes", sizeof(OVERLAPPED) == 32);
    RECORD record;
    expect("FIELD_OFFSET and CONTAINING_RECORD",
           FIELD_OFFSET(RECORD, overlapped) == 8 && CONTAINING_RECORD(&record.overlapped, RECORD, overlapped) == &record);
    expect("RtlEqualMemory", RtlEqualMemory("foul", "foul", 4) && !RtlEqualMemory("foul", "fowl", 4));
    expect("CTL_CODE", CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS) == 0x222000);
    expect("INFINITE", INFINITE == 0xFFFFFFFFu);

    /* Events and waits. */
    HANDLE manual = CreateEventW(NULL, TRUE, FALSE, NULL);
    HANDLE automatic = CreateEventA(NULL, FALSE, TRUE, "flt-win32-calls");
    expect("CreateEvent: a new name is not ERROR_ALREADY_EXISTS", automatic != NULL && GetLastError() == ERROR_SUCCESS);
    HANDLE again = CreateEventW(NULL, FALSE, FALSE, L"flt-win32-calls");
    expect("the same name (A, then W): ERROR_ALREADY_EXISTS", again != NULL && GetLastError() == ERROR_ALREADY_EXISTS);
    expect("an initially set auto-reset event: WAIT_OBJECT_0, once", WaitForSingleObject(again, 0) == WAIT_OBJECT_0 &&
                                                                         WaitForSingleObject(automatic, 0) == WAIT_TIMEOUT);
    expect("a timeout of 0 on an unset event: WAIT_TIMEOUT", WaitForSingleObject(manual, 0) == WAIT_TIMEOUT);
    expect("SetEvent, then a manual-reset event stays set", SetEvent(manual) && WaitForSingleObject(manual, 0) == WAIT_OBJECT_0 &&
                                                               WaitForSingleObject(manual, 0) == WAIT_OBJECT_0);
    HANDLE both[2] = {automatic, manual};
    expect("WaitForMultipleObjects: the lowest set index, WAIT_OBJECT_0 + 1",
           WaitForMultipleObjects(2, both, FALSE, 0) == WAIT_OBJECT_0 + 1);
    expect("bWaitAll with one unset: WAIT_TIMEOUT after 30 ms", WaitForMultipleObjects(2, both, TRUE, 30) == WAIT_TIMEOUT);
    SetEvent(automatic);
    expect("bWaitAll with both set: WAIT_OBJECT_0, and the auto-reset one is consumed",
           WaitForMultipleObjects(2, both, TRUE, 0) == WAIT_OBJECT_0 && WaitForSingleObject(automatic, 0) == WAIT_TIMEOUT);
    expect("ResetEvent", ResetEvent(manual) && WaitForSingleObject(manual, 0) == WAIT_TIMEOUT);
    expect("a wait on a made-up handle: WAIT_FAILED, ERROR_INVALID_HANDLE",
           WaitForSingleObject((HANDLE)0x1234, 0) == WAIT_FAILED && GetLastError() == ERROR_INVALID_HANDLE);
    expect("65 handles: ERROR_INVALID_PARAMETER", WaitForMultipleObjects(65, both, FALSE, 0) == WAIT_FAILED &&
                                                       GetLastError() == ERROR_INVALID_PARAMETER);

    /* Threads, and waits that another thread ends. */
    shared_event = manual;
    DWORD id = 0;
    HANDLE setter = CreateThread(NULL, 0, set_after_a_while, NULL, 0, &id);
    expect("WaitForSingleObject(INFINITE) returns when another thread sets the event",
           WaitForSingleObject(manual, INFINITE) == WAIT_OBJECT_0);
    DWORD code = 0;
    expect("a thread handle is signalled at its end; its code is its return value (its own id: GetLastError is per thread)",
           WaitForSingleObject(setter, 5000) == WAIT_OBJECT_0 && GetExitCodeThread(setter, &code) && code == id && id != 0);
    expect("GetLastError is the main thread's own", GetLastError() != 1234);
    HANDLE suspended = CreateThread(NULL, 0, exit_with, (LPVOID)7, CREATE_SUSPENDED, NULL);
    expect("CREATE_SUSPENDED: not started, STILL_ACTIVE",
           WaitForSingleObject(suspended, 50) == WAIT_TIMEOUT && GetExitCodeThread(suspended, &code) && code == STILL_ACTIVE);
    expect("ResumeThread returns the previous count, 1", ResumeThread(suspended) == 1);
    expect("ExitThread(7): the code", WaitForSingleObjectEx(suspended, 5000, FALSE) == WAIT_OBJECT_0 &&
                                          GetExitCodeThread(suspended, &code) && code == 7);
    expect("ResumeThread on a running or ended thread: 0", ResumeThread(suspended) == 0);
    ULONGLONG ticks = GetTickCount64();
    Sleep(1);
    SleepEx(20, FALSE);
    expect("SleepEx(20): GetTickCount64 moves on by about 20", GetTickCount64() - ticks >= 19 &&
                                                                 (DWORD)(GetTickCount() - (DWORD)ticks) >= 19);
    expect("GetCurrentThreadId is the main thread's id here", GetCurrentThreadId() == (DWORD)getpid());

    /* Completion ports. */
    queue = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    expect("CreateIoCompletionPort creates one", queue != NULL);
    expect("associating an event: ERROR_INVALID_HANDLE",
           CreateIoCompletionPort(manual, queue, 1, 0) == NULL && GetLastError() == ERROR_INVALID_HANDLE);
    DWORD transferred;
    ULONG_PTR key;
    LPOVERLAPPED overlapped;
    expect("GetQueuedCompletionStatus times out: FALSE, NULL, WAIT_TIMEOUT",
           !GetQueuedCompletionStatus(queue, &transferred, &key, &overlapped, 20) && overlapped == NULL &&
               GetLastError() == WAIT_TIMEOUT);
    OVERLAPPED posted[3];
    for (int i = 0; i < 3; i++) PostQueuedCompletionStatus(queue, (DWORD)i * 10, (ULONG_PTR)i + 100, &posted[i]);
    int in_order = 0;
    for (int i = 0; i < 3; i++) {
        in_order += GetQueuedCompletionStatus(queue, &transferred, &key, &overlapped, 0) && overlapped == &posted[i] &&
                    key == (ULONG_PTR)i + 100 && transferred == (DWORD)i * 10;
    }
    expect("PostQueuedCompletionStatus: packets come out in order with their bytes and keys", in_order == 3);
    HANDLE waiter = CreateThread(NULL, 0, wait_on_queue, NULL, 0, NULL);
    usleep(50 * 1000);
    expect("CloseHandle on a completion port", CloseHandle(queue));
    expect("a thread waiting on it gets ERROR_ABANDONED_WAIT_0",
           WaitForSingleObject(waiter, 5000) == WAIT_OBJECT_0 && GetExitCodeThread(waiter, &code) &&
               code == ERROR_ABANDONED_WAIT_0);
    expect("then the handle is gone: ERROR_INVALID_HANDLE",
           !GetQueuedCompletionStatus(queue, &transferred, &key, &overlapped, 0) && GetLastError() == ERROR_INVALID_HANDLE);
    expect("GetOverlappedResult on a port that is not a handle",
           !CancelIoEx((HANDLE)0x1234, NULL) && GetLastError() == ERROR_INVALID_HANDLE);

    /* CloseHandle of each kind. */
    expect("CloseHandle on events and threads (a thread's handle outlives nothing it needs)",
           CloseHandle(manual) && CloseHandle(automatic) && CloseHandle(again) && CloseHandle(setter) &&
               CloseHandle(suspended) && CloseHandle(waiter));
    expect("CloseHandle twice: ERROR_INVALID_HANDLE", !CloseHandle(manual) && GetLastError() == ERROR_INVALID_HANDLE);
    expect("CloseHandle(INVALID_HANDLE_VALUE): ERROR_INVALID_HANDLE",
           !CloseHandle(INVALID_HANDLE_VALUE) && GetLastError() == ERROR_INVALID_HANDLE);
    SetLastError(ERROR_MORE_DATA);
    expect("SetLastError, GetLastError", GetLastError() == ERROR_MORE_DATA);

    printf("%d failed\n", failures);
    return failures == 0 ? 0 : 1;
}
