/* SPDX-License-Identifier: MIT */
/* Overlapped requests the way Windows programs make them, against minifltd --watch DIR (run as root): the
 * opens that make the daemon send FLT_TO_USER come from child processes (the daemon lets its client's own
 * opens through). Prints one line per check and "N failed"; exits 1 if any failed.
 *
 *   flt_overlapped --port NAME MODE DIR
 *
 * seed        an event, WaitForSingleObject with a timeout loop, GetOverlappedResult, a reply that blocks
 * scanner     a completion port, 2 threads x 5 gets, CONTAINING_RECORD, a reply per message for 20 opens at
 *             once, then CloseHandle on the port handle with the 10 gets pending
 * cancel      CancelIoEx of one get, CancelIo of the calling thread's, another thread's get still served
 * disconnect  3 gets pending, prints "pending", and the test stops the daemon: each ends with 0x80070006
 * loop        10,000 overlapped gets (and 5,000 cancelled ones) answered in turn: no descriptor or heap growth
 * send        64 FilterSendMessageOverlapped in flight on a completion port, and one waited on without event
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <windows.h>
#include <fltuser.h>

#include "seed_messages.h"

/* The scanner's layout: the OVERLAPPED after the message, found again with CONTAINING_RECORD. */
typedef struct {
    FILTER_MESSAGE_HEADER header;
    FLT_TO_USER data;
    OVERLAPPED overlapped;
} MESSAGE;

typedef struct {
    FILTER_REPLY_HEADER header;
    FLT_TO_USER_REPLY data;
} REPLY;

static HANDLE port;
static const char *folder;
static volatile LONG failures;

static void expect(const char *what, int condition) {
    printf("%s %s\n", condition ? "ok  " : "FAIL", what);
    fflush(stdout);
    if (!condition) __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
}

static void expect_hresult(const char *what, HRESULT actual, HRESULT expected) {
    int ok = actual == expected;
    printf("%s %s: 0x%08x", ok ? "ok  " : "FAIL", what, (unsigned)actual);
    if (!ok) printf(" (expected 0x%08x; %s)", (unsigned)expected, FilterGetLastErrorText());
    printf("\n");
    fflush(stdout);
    if (!ok) __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
}

/* A child process that opens FOLDER/name `times` times; its exit status is the last open's errno (0: opened). */
static pid_t open_in_child(const char *name, int times) {
    char path[4096];
    snprintf(path, sizeof path, "%.3000s/%.100s", folder, name);
    pid_t child = fork();
    if (child != 0) return child;
    int error = 0;
    for (int i = 0; i < times; i++) {
        int fd = open(path, O_RDONLY);
        error = fd < 0 ? errno : 0;
        if (fd >= 0) close(fd);
    }
    _exit(error);
}

static int child_errno(pid_t child) {
    int status = 0;
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status)) return -1;
    return WEXITSTATUS(status);
}

static void create_file(const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%.3000s/%.100s", folder, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) close(fd);
}

static HRESULT reply_to(const FILTER_MESSAGE_HEADER *header, int block) {
    REPLY reply;
    ZeroMemory(&reply, sizeof reply);
    reply.header.MessageId = header->MessageId;
    reply.data.block = block ? TRUE : FALSE;
    return FilterReplyMessage(port, &reply.header, sizeof reply.header + sizeof reply.data);
}

static int open_descriptors(void) {
    int count = 0;
    DIR *directory = opendir("/proc/self/fd");
    if (directory == NULL) return -1;
    while (readdir(directory) != NULL) count++;
    closedir(directory);
    return count;
}

/* ---- seed: the seed's filterportuser_asyncio ------------------------------------------------------------ */

static void seed(void) {
    MESSAGE *message = calloc(1, sizeof *message);
    OVERLAPPED overlapped;
    ZeroMemory(&overlapped, sizeof overlapped);
    overlapped.hEvent = CreateEvent(NULL, FALSE, FALSE, L"Local\\flt_overlapped_seed");
    expect("CreateEvent", overlapped.hEvent != NULL);
    HANDLE same = CreateEvent(NULL, FALSE, FALSE, L"Local\\flt_overlapped_seed");
    expect("the same name again: the same event, ERROR_ALREADY_EXISTS",
           same != NULL && GetLastError() == ERROR_ALREADY_EXISTS);
    expect_hresult("FilterGetMessage with an OVERLAPPED",
                   FilterGetMessage(port, &message->header, sizeof message->header + sizeof message->data, &overlapped),
                   HRESULT_FROM_WIN32(ERROR_IO_PENDING));
    DWORD transferred = 0;
    expect("GetOverlappedResult(bWait FALSE) while pending: ERROR_IO_INCOMPLETE",
           !GetOverlappedResult(port, &overlapped, &transferred, FALSE) && GetLastError() == ERROR_IO_INCOMPLETE);
    expect("a wait that times out: WAIT_TIMEOUT", WaitForSingleObject(overlapped.hEvent, 100) == WAIT_TIMEOUT);
    pid_t child = open_in_child("test.txt", 1);
    int waits = 0;
    DWORD waited;
    while ((waited = WaitForSingleObject(overlapped.hEvent, 50)) == WAIT_TIMEOUT && waits < 400) waits++;
    expect("the event fires: WAIT_OBJECT_0", waited == WAIT_OBJECT_0);
    expect("an auto-reset event is reset by the wait", WaitForSingleObject(same, 0) == WAIT_TIMEOUT);
    BOOL done = GetOverlappedResult(port, &overlapped, &transferred, FALSE);
    expect("GetOverlappedResult: TRUE", done);
    expect("InternalHigh: the header and the message", transferred == overlapped.InternalHigh &&
                                                            transferred > sizeof(FILTER_MESSAGE_HEADER));
    expect("Internal: STATUS_SUCCESS", overlapped.Internal == 0);
    char expected[512];
    snprintf(expected, sizeof expected, "%s/test.txt", folder);
    char path[512] = "";
    FilterWidePathToBytes(message->data.path, path, sizeof path, NULL);
    expect("the message is the open of test.txt", strcmp(path, expected) == 0);
    printf("FilterGetMessage was finished!!! (%ls)\n", message->data.path);
    expect_hresult("FilterReplyMessage (block)", reply_to(&message->header, 1), S_OK);
    expect("the open fails with EPERM", child_errno(child) == EPERM);
    expect("CloseHandle on both event handles", CloseHandle(overlapped.hEvent) && CloseHandle(same));
    expect("CloseHandle on the port handle", CloseHandle(port));
    expect("CloseHandle again: ERROR_INVALID_HANDLE", !CloseHandle(port) && GetLastError() == ERROR_INVALID_HANDLE);
    free(message);
}

/* ---- scanner: Microsoft's scanner user program's pattern ------------------------------------------------- */

#define SCANNER_THREADS 2
#define SCANNER_REQUESTS 5
#define SCANNER_OPENS 20
#define SCANNER_KEY 0x5CA7

static HANDLE completion;
#define POSTED_KEY 0x9057
static LONG answered_count;
static LONG aborted_count;
static LONG posted_count;
/* Messages whose worker has replied and asked again: the opens end when the kernel has the verdict, which
 * comes before the worker's FilterReplyMessage returns, so main waits for this before it closes the port. */
static LONG rearmed_count;
static ULONGLONG answered_ids[SCANNER_OPENS * 2];
static LONG duplicate_answers;

static DWORD WINAPI scanner_worker(LPVOID context) {
    (void)context;
    for (;;) {
        DWORD bytes = 0;
        ULONG_PTR key = 0;
        LPOVERLAPPED overlapped = NULL;
        BOOL result = GetQueuedCompletionStatus(completion, &bytes, &key, &overlapped, INFINITE);
        if (!result) {
            DWORD error = GetLastError();
            if (overlapped != NULL && HRESULT_FROM_WIN32(error) == (HRESULT)0x80070006 && key == SCANNER_KEY) {
                __atomic_add_fetch(&aborted_count, 1, __ATOMIC_RELAXED);
                continue;
            }
            /* ERROR_ABANDONED_WAIT_0: main closed the completion port; anything else is a failure. */
            ExitThread(error == ERROR_ABANDONED_WAIT_0 && overlapped == NULL ? 0 : error);
        }
        if (key == POSTED_KEY) {
            __atomic_add_fetch(&posted_count, 1, __ATOMIC_RELAXED);
            continue;
        }
        MESSAGE *message = CONTAINING_RECORD(overlapped, MESSAGE, overlapped);
        if (key != SCANNER_KEY || bytes != overlapped->InternalHigh) {
            expect("a packet with the port's key and InternalHigh's bytes", 0);
        }
        ULONGLONG id = message->header.MessageId;
        LONG slot = __atomic_fetch_add(&answered_count, 1, __ATOMIC_RELAXED);
        for (LONG i = 0; i < slot && i < SCANNER_OPENS * 2; i++) {
            if (__atomic_load_n(&answered_ids[i], __ATOMIC_RELAXED) == id) __atomic_add_fetch(&duplicate_answers, 1, __ATOMIC_RELAXED);
        }
        if (slot < SCANNER_OPENS * 2) __atomic_store_n(&answered_ids[slot], id, __ATOMIC_RELAXED);
        int block = wcsstr(message->data.path, L"blocked") != NULL;
        if (FAILED(reply_to(&message->header, block))) expect("FilterReplyMessage from a worker", 0);
        memset(&message->overlapped, 0, sizeof(OVERLAPPED));
        HRESULT hr = FilterGetMessage(port, &message->header, FIELD_OFFSET(MESSAGE, overlapped), &message->overlapped);
        if (hr != HRESULT_FROM_WIN32(ERROR_IO_PENDING)) expect("the worker's next FilterGetMessage is pending", 0);
        __atomic_add_fetch(&rearmed_count, 1, __ATOMIC_RELEASE);
    }
}

static void scanner(void) {
    char names[SCANNER_OPENS][32];
    for (int i = 0; i < SCANNER_OPENS; i++) {
        snprintf(names[i], sizeof names[i], i % 3 == 0 ? "blocked-%d.txt" : "clean-%d.txt", i);
    }
    completion = CreateIoCompletionPort(port, NULL, SCANNER_KEY, SCANNER_THREADS);
    expect("CreateIoCompletionPort associates the port handle", completion != NULL);
    expect("a second association is refused: ERROR_INVALID_PARAMETER",
           CreateIoCompletionPort(port, completion, 1, 0) == NULL && GetLastError() == ERROR_INVALID_PARAMETER);
    MESSAGE *messages = calloc(SCANNER_THREADS * SCANNER_REQUESTS, sizeof *messages);
    HANDLE threads[SCANNER_THREADS];
    DWORD ids[SCANNER_THREADS];
    for (int i = 0; i < SCANNER_THREADS; i++) {
        threads[i] = CreateThread(NULL, 0, scanner_worker, NULL, i == 0 ? CREATE_SUSPENDED : 0, &ids[i]);
        for (int j = 0; j < SCANNER_REQUESTS; j++) {
            MESSAGE *message = &messages[i * SCANNER_REQUESTS + j];
            HRESULT hr = FilterGetMessage(port, &message->header, FIELD_OFFSET(MESSAGE, overlapped), &message->overlapped);
            if (hr != HRESULT_FROM_WIN32(ERROR_IO_PENDING)) expect_hresult("FilterGetMessage pending", hr, HRESULT_FROM_WIN32(ERROR_IO_PENDING));
        }
    }
    expect("CreateThread with CREATE_SUSPENDED gives an id; ResumeThread returns 1",
           threads[0] != NULL && ids[0] != 0 && ResumeThread(threads[0]) == 1);
    pid_t children[SCANNER_OPENS];
    for (int i = 0; i < SCANNER_OPENS; i++) children[i] = open_in_child(names[i], 1);
    int right = 0;
    for (int i = 0; i < SCANNER_OPENS; i++) right += child_errno(children[i]) == (i % 3 == 0 ? EPERM : 0);
    expect("20 opens at once: each answered as its name says (blocked-*.txt fail with EPERM)", right == SCANNER_OPENS);
    for (int i = 0; i < 500 && __atomic_load_n(&rearmed_count, __ATOMIC_ACQUIRE) < SCANNER_OPENS; i++) Sleep(10);
    expect("20 messages answered, none twice, each worker asking again after its reply",
           __atomic_load_n(&answered_count, __ATOMIC_RELAXED) == SCANNER_OPENS && duplicate_answers == 0 &&
               __atomic_load_n(&rearmed_count, __ATOMIC_ACQUIRE) == SCANNER_OPENS);
    /* The workers poll the port's socket in GetQueuedCompletionStatus; a posted packet wakes them all the same. */
    for (int i = 0; i < SCANNER_THREADS; i++) PostQueuedCompletionStatus(completion, 0, POSTED_KEY, NULL);
    for (int i = 0; i < 200 && __atomic_load_n(&posted_count, __ATOMIC_RELAXED) < SCANNER_THREADS; i++) Sleep(10);
    expect("PostQueuedCompletionStatus reaches the waiting workers",
           __atomic_load_n(&posted_count, __ATOMIC_RELAXED) == SCANNER_THREADS);
    expect("CloseHandle on the port handle with 10 gets pending", CloseHandle(port));
    for (int i = 0; i < 200 && __atomic_load_n(&aborted_count, __ATOMIC_RELAXED) < SCANNER_THREADS * SCANNER_REQUESTS; i++) Sleep(10);
    expect("each pending get ends with 0x80070006 and its completion packet",
           __atomic_load_n(&aborted_count, __ATOMIC_RELAXED) == SCANNER_THREADS * SCANNER_REQUESTS);
    expect("the workers still wait: WaitForMultipleObjects times out",
           WaitForMultipleObjects(SCANNER_THREADS, threads, FALSE, 50) == WAIT_TIMEOUT);
    expect("CloseHandle on the completion port", CloseHandle(completion));
    expect("the workers end (ERROR_ABANDONED_WAIT_0): WaitForMultipleObjectsEx(bWaitAll) WAIT_OBJECT_0",
           WaitForMultipleObjectsEx(SCANNER_THREADS, threads, TRUE, 10000, FALSE) == WAIT_OBJECT_0);
    DWORD code = 99;
    expect("ExitThread's code: 0", GetExitCodeThread(threads[0], &code) && code == 0);
    for (int i = 0; i < SCANNER_THREADS; i++) CloseHandle(threads[i]);
    free(messages);
}

/* ---- cancel -------------------------------------------------------------------------------------------- */

static MESSAGE other_thread_message;

static DWORD WINAPI get_from_another_thread(LPVOID event) {
    other_thread_message.overlapped.hEvent = event;
    HRESULT hr = FilterGetMessage(port, &other_thread_message.header, FIELD_OFFSET(MESSAGE, overlapped),
                                  &other_thread_message.overlapped);
    return hr == HRESULT_FROM_WIN32(ERROR_IO_PENDING) ? 0 : 1;
}

static DWORD WINAPI set_later(LPVOID event) {
    Sleep(100);
    return SetEvent(event) ? 0 : 1;
}

static void cancel(void) {
    MESSAGE *first = calloc(2, sizeof *first), *second = first + 1;
    HANDLE events[3];
    for (int i = 0; i < 3; i++) events[i] = CreateEventW(NULL, TRUE, FALSE, NULL);
    first->overlapped.hEvent = events[0];
    second->overlapped.hEvent = events[1];
    FilterGetMessage(port, &first->header, FIELD_OFFSET(MESSAGE, overlapped), &first->overlapped);
    FilterGetMessage(port, &second->header, FIELD_OFFSET(MESSAGE, overlapped), &second->overlapped);
    HANDLE thread = CreateThread(NULL, 0, get_from_another_thread, events[2], 0, NULL);
    expect("another thread's get is pending", WaitForSingleObject(thread, 5000) == WAIT_OBJECT_0);
    expect("CancelIoEx(first)", CancelIoEx(port, &first->overlapped));
    expect("the first's event fires: WaitForMultipleObjects gives WAIT_OBJECT_0 + 0",
           WaitForMultipleObjects(3, events, FALSE, 1000) == WAIT_OBJECT_0 + 0);
    DWORD transferred = 1;
    expect("GetOverlappedResult: ERROR_OPERATION_ABORTED",
           !GetOverlappedResult(port, &first->overlapped, &transferred, FALSE) &&
               GetLastError() == ERROR_OPERATION_ABORTED && transferred == 0);
    ResetEvent(events[0]);
    expect("CancelIo: this thread's other get", CancelIo(port));
    expect("its event fires: WAIT_OBJECT_0 + 1", WaitForMultipleObjects(3, events, FALSE, 1000) == WAIT_OBJECT_0 + 1);
    expect("... aborted", !GetOverlappedResult(port, &second->overlapped, &transferred, TRUE) &&
                               GetLastError() == ERROR_OPERATION_ABORTED);
    expect("the other thread's get is still pending", !HasOverlappedIoCompleted(&other_thread_message.overlapped));
    /* events[1] reported a request on this port, so a wait on it polls the port's socket: SetEvent from another
     * thread still ends it at once. */
    ResetEvent(events[1]);
    HANDLE setter = CreateThread(NULL, 0, set_later, events[1], 0, NULL);
    ULONGLONG before = GetTickCount64();
    expect("SetEvent from another thread ends a wait that polls the port",
           WaitForSingleObject(events[1], 5000) == WAIT_OBJECT_0 && GetTickCount64() - before < 2000);
    WaitForSingleObject(setter, INFINITE);
    CloseHandle(setter);
    pid_t child = open_in_child("other.txt", 1);
    expect("a message goes to the get left: WAIT_OBJECT_0 + 2",
           WaitForMultipleObjectsEx(1, &events[2], FALSE, 10000, TRUE) == WAIT_OBJECT_0 &&
               GetOverlappedResult(port, &other_thread_message.overlapped, &transferred, TRUE));
    expect_hresult("FilterReplyMessage (allow)", reply_to(&other_thread_message.header, 0), S_OK);
    expect("the open succeeds", child_errno(child) == 0);
    expect("CancelIoEx with nothing pending: ERROR_NOT_FOUND",
           !CancelIoEx(port, NULL) && GetLastError() == ERROR_NOT_FOUND);
    for (int i = 0; i < 3; i++) CloseHandle(events[i]);
    CloseHandle(thread);
    CloseHandle(port);
    free(first);
}

/* ---- disconnect ---------------------------------------------------------------------------------------- */

static void disconnect(void) {
    MESSAGE *messages = calloc(3, sizeof *messages);
    HANDLE events[3];
    HANDLE queue = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
    expect("a completion port of its own, then associated", queue != NULL && CreateIoCompletionPort(port, queue, 7, 0) == queue);
    for (int i = 0; i < 3; i++) {
        events[i] = CreateEventA(NULL, FALSE, FALSE, NULL);
        messages[i].overlapped.hEvent = events[i];
        FilterGetMessage(port, &messages[i].header, FIELD_OFFSET(MESSAGE, overlapped), &messages[i].overlapped);
    }
    printf("pending\n");
    fflush(stdout);
    expect("the server goes: every event fires", WaitForMultipleObjects(3, events, TRUE, 30000) == WAIT_OBJECT_0);
    int right = 0;
    for (int i = 0; i < 3; i++) {
        DWORD transferred;
        right += !GetOverlappedResult(port, &messages[i].overlapped, &transferred, FALSE) &&
                 HRESULT_FROM_WIN32(GetLastError()) == (HRESULT)0x80070006;
    }
    expect("each get ends with 0x80070006", right == 3);
    int packets = 0;
    DWORD bytes;
    ULONG_PTR key;
    LPOVERLAPPED overlapped;
    while (!GetQueuedCompletionStatus(queue, &bytes, &key, &overlapped, 0) && overlapped != NULL &&
           GetLastError() == ERROR_INVALID_HANDLE && key == 7) {
        packets++;
    }
    expect("and each its completion packet (then WAIT_TIMEOUT)", packets == 3 && overlapped == NULL &&
                                                                     GetLastError() == WAIT_TIMEOUT);
    expect_hresult("a new get fails at once", FilterGetMessage(port, &messages[0].header, sizeof(MESSAGE) - sizeof(OVERLAPPED),
                                                               &messages[0].overlapped), E_HANDLE);
    for (int i = 0; i < 3; i++) CloseHandle(events[i]);
    CloseHandle(queue);
    CloseHandle(port);
    free(messages);
}

/* ---- loop ---------------------------------------------------------------------------------------------- */

#define LOOP_GETS 10000
#define LOOP_WARM_UP 1000

static void loop(void) {
    MESSAGE *message = calloc(2, sizeof *message), *spare = message + 1;
    HANDLE event = CreateEvent(NULL, FALSE, FALSE, NULL);
    pid_t child = open_in_child("loop.txt", LOOP_GETS);
    int descriptors = 0, failed = 0, cancelled = 0;
    size_t heap = 0;
    for (int i = 0; i < LOOP_GETS; i++) {
        if (i == LOOP_WARM_UP) {
            descriptors = open_descriptors();
            heap = mallinfo2().uordblks;
        }
        ZeroMemory(&message->overlapped, sizeof(OVERLAPPED));
        message->overlapped.hEvent = event;
        HRESULT hr = FilterGetMessage(port, &message->header, FIELD_OFFSET(MESSAGE, overlapped), &message->overlapped);
        if (i % 2 == 0) {
            ZeroMemory(&spare->overlapped, sizeof(OVERLAPPED));
            FilterGetMessage(port, &spare->header, FIELD_OFFSET(MESSAGE, overlapped), &spare->overlapped);
            DWORD none;
            cancelled += CancelIoEx(port, &spare->overlapped) &&
                         !GetOverlappedResult(port, &spare->overlapped, &none, TRUE) &&
                         GetLastError() == ERROR_OPERATION_ABORTED;
        }
        DWORD transferred;
        if (hr != HRESULT_FROM_WIN32(ERROR_IO_PENDING) || WaitForSingleObject(event, 10000) != WAIT_OBJECT_0 ||
            !GetOverlappedResult(port, &message->overlapped, &transferred, FALSE) ||
            FAILED(reply_to(&message->header, 0))) {
            failed++;
            break;
        }
    }
    int descriptors_after = open_descriptors();
    size_t heap_after = mallinfo2().uordblks;
    expect("10,000 overlapped gets, each answered", failed == 0);
    expect("5,000 more cancelled", cancelled == LOOP_GETS / 2);
    expect("the opener saw every open succeed", child_errno(child) == 0);
    printf("     descriptors %d -> %d, heap in use %zu -> %zu bytes\n", descriptors, descriptors_after, heap,
           heap_after);
    expect("no descriptor growth", descriptors_after == descriptors);
#if defined(__SANITIZE_ADDRESS__)
    /* AddressSanitizer's allocator keeps freed memory in quarantine, and mallinfo2 does not see it; its leak
     * checker looks at exit instead. */
    expect("no heap growth (left to LeakSanitizer)", 1);
#else
    expect("no heap growth (under 64 KiB)", heap_after < heap + 65536);
#endif
    CloseHandle(event);
    CloseHandle(port);
    free(message);
}

/* ---- send ---------------------------------------------------------------------------------------------- */

#define SENDS 64

typedef struct {
    wchar_t msg[BUFFER_SIZE / sizeof(wchar_t)];
} USER_TO_FLT;

typedef struct {
    OVERLAPPED overlapped;
    USER_TO_FLT reply;
    int seen;
} SEND;

static void send_many(void) {
    static USER_TO_FLT hello;
    wcscpy(hello.msg, L"Hello, MiniFilter");
    SEND *sends = calloc(SENDS + 1, sizeof *sends);
    HANDLE queue = CreateIoCompletionPort(port, NULL, 42, 0);
    int pending = 0;
    for (int i = 0; i < SENDS; i++) {
        DWORD returned = 5;
        HRESULT hr = FilterSendMessageOverlapped(port, &hello, sizeof hello, &sends[i].reply, sizeof sends[i].reply,
                                                 &returned, &sends[i].overlapped);
        pending += hr == HRESULT_FROM_WIN32(ERROR_IO_PENDING) && returned == 0;
    }
    expect("64 overlapped sends pending", pending == SENDS);
    int right = 0, twice = 0;
    for (int i = 0; i < SENDS; i++) {
        DWORD bytes;
        ULONG_PTR key;
        LPOVERLAPPED overlapped;
        if (!GetQueuedCompletionStatus(queue, &bytes, &key, &overlapped, 10000)) break;
        SEND *send = CONTAINING_RECORD(overlapped, SEND, overlapped);
        twice += send->seen++ > 0;
        right += key == 42 && bytes == 11 * sizeof(wchar_t) && wcsncmp(send->reply.msg, L"Hello, User", 11) == 0;
    }
    expect("each completes once with Hello, User (44 bytes) and the key", right == SENDS && twice == 0);
    /* No event: GetOverlappedResult waits on the request itself; the packet still goes to the completion port. */
    SEND *last = &sends[SENDS];
    DWORD bytes = 0;
    FilterSendMessageOverlapped(port, &hello, sizeof hello, &last->reply, sizeof last->reply, NULL, &last->overlapped);
    expect("GetOverlappedResult(bWait TRUE) with no event", GetOverlappedResult(port, &last->overlapped, &bytes, TRUE) &&
                                                                bytes == 11 * sizeof(wchar_t));
    ULONG_PTR key;
    LPOVERLAPPED overlapped;
    expect("its packet too", GetQueuedCompletionStatus(queue, &bytes, &key, &overlapped, 1000) &&
                                 overlapped == &last->overlapped);
    CloseHandle(port);
    CloseHandle(queue);
    free(sends);
}

int main(int argc, char **argv) {
    wchar_t name[256] = L"\\MiniFilterPort_Example";
    const char *mode = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) mbstowcs(name, argv[++i], ARRAYSIZE(name) - 1);
        else if (mode == NULL) mode = argv[i];
        else folder = argv[i];
    }
    if (mode == NULL || (folder == NULL && strcmp(mode, "send") != 0 && strcmp(mode, "disconnect") != 0)) {
        fprintf(stderr, "usage: flt_overlapped [--port NAME] seed|scanner|cancel|disconnect|loop|send [DIR]\n");
        return 2;
    }
    if (folder != NULL) {
        create_file("test.txt");
        create_file("other.txt");
        create_file("loop.txt");
        for (int i = 0; i < SCANNER_OPENS; i++) {
            char file[32];
            snprintf(file, sizeof file, i % 3 == 0 ? "blocked-%d.txt" : "clean-%d.txt", i);
            create_file(file);
        }
    }
    HRESULT hr = FilterConnectCommunicationPort(name, 0, NULL, 0, NULL, &port);
    if (FAILED(hr)) {
        fprintf(stderr, "FilterConnectCommunicationPort failed (HRESULT = 0x%x)\n%s\n", (unsigned)hr,
                FilterGetLastErrorText());
        return 1;
    }
    if (strcmp(mode, "seed") == 0) seed();
    else if (strcmp(mode, "scanner") == 0) scanner();
    else if (strcmp(mode, "cancel") == 0) cancel();
    else if (strcmp(mode, "disconnect") == 0) disconnect();
    else if (strcmp(mode, "loop") == 0) loop();
    else if (strcmp(mode, "send") == 0) send_many();
    else {
        fprintf(stderr, "flt_overlapped: unknown mode %s\n", mode);
        return 2;
    }
    printf("%d failed\n", (int)failures);
    return failures == 0 ? 0 : 1;
}
