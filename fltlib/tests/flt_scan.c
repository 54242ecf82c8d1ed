/* SPDX-License-Identifier: MIT */
/* A scanner client in the way Windows scanner services are written, against minifltscan (run as root): a
 * completion port, 4 threads with 4 overlapped FilterGetMessage calls outstanding each, CONTAINING_RECORD, and
 * a SCANNER_REPLY per SCANNER_NOTIFICATION: SafeToOpen is 0 when the bytes contain "foul". The opens it checks
 * come from child processes (the scanner does not scan its client's own opens). Prints one line per check and
 * "N failed"; exits 1 if any failed.
 *
 * With --descriptors it connects with FLT_PORT_FLAG_DESCRIPTORS (minifltscan --pass-descriptors): each
 * notification has BytesToScan 0 and carries the opened file's descriptor, taken with
 * FilterGetMessageDescriptors and read with pread (docs/protocol.md section 8, "The scanner").
 *
 *   flt_scan [--descriptors] --port NAME DIR
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <windows.h>
#include <fltuser.h>

/* docs/protocol.md section 8, "The scanner". */
#define CONTENTS_SIZE 1024
typedef struct {
    ULONG BytesToScan;
    ULONG Reserved;
    UCHAR Contents[CONTENTS_SIZE];
} NOTIFICATION;

typedef struct {
    BOOLEAN SafeToOpen;
} VERDICT;

typedef struct {
    FILTER_MESSAGE_HEADER header;
    NOTIFICATION notification;
    OVERLAPPED overlapped;
} REQUEST;

typedef struct {
    FILTER_REPLY_HEADER header;
    VERDICT verdict;
} ANSWER;

#define THREADS 4
#define GETS_PER_THREAD 4
#define PORT_KEY 0x5CA7

static HANDLE port;
static HANDLE completion;
static const char *folder;
static volatile LONG failures;
static volatile LONG scanned;
static volatile LONG found_foul;
static int use_descriptors;
/* Set before main closes the port: a reply to the last rescan (asynchronous) may then fail, and that is fine. */
static volatile LONG closing;

static void expect(const char *what, int condition) {
    printf("%s %s\n", condition ? "ok  " : "FAIL", what);
    fflush(stdout);
    if (!condition) __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
}

static int contains_foul(const UCHAR *bytes, ULONG count) {
    static const char word[] = "foul";
    for (ULONG i = 0; i + sizeof word - 1 <= count; i++) {
        if (memcmp(bytes + i, word, sizeof word - 1) == 0) return 1;
    }
    return 0;
}

static DWORD WINAPI worker(LPVOID context) {
    (void)context;
    for (;;) {
        DWORD bytes = 0;
        ULONG_PTR key = 0;
        LPOVERLAPPED overlapped = NULL;
        if (!GetQueuedCompletionStatus(completion, &bytes, &key, &overlapped, INFINITE)) {
            /* The port closed under the pending gets, or main closed the completion port: done. */
            if (overlapped != NULL) continue;
            return 0;
        }
        REQUEST *request = CONTAINING_RECORD(overlapped, REQUEST, overlapped);
        ULONG count = request->notification.BytesToScan;
        if (key != PORT_KEY || count > CONTENTS_SIZE || request->header.ReplyLength != sizeof(VERDICT)) {
            expect("a notification of at most 1,024 bytes with a 1-byte reply length", 0);
            count = count > CONTENTS_SIZE ? CONTENTS_SIZE : count;
        }
        int foul;
        if (use_descriptors) {
            /* The file itself: its first 1,024 bytes, read through the descriptor that came with the message. */
            int fd = -1;
            DWORD carried = 0;
            HRESULT taken = FilterGetMessageDescriptors(port, request->header.MessageId, &fd, 1, &carried);
            if (FAILED(taken) || carried != 1 || count != 0) {
                expect("a notification of BytesToScan 0 with one descriptor", 0);
                if (SUCCEEDED(taken) && carried == 1) close(fd);
                fd = -1;
            }
            UCHAR contents[CONTENTS_SIZE];
            ssize_t got = fd >= 0 ? pread(fd, contents, sizeof contents, 0) : -1;
            if (fd >= 0 && got < 0) expect("pread through the passed descriptor", 0);
            if (fd >= 0) close(fd);
            foul = got > 0 && contains_foul(contents, (ULONG)got);
        } else {
            foul = contains_foul(request->notification.Contents, count);
        }
        __atomic_add_fetch(&scanned, 1, __ATOMIC_RELAXED);
        if (foul) __atomic_add_fetch(&found_foul, 1, __ATOMIC_RELAXED);
        ANSWER answer;
        ZeroMemory(&answer, sizeof answer);
        answer.header.MessageId = request->header.MessageId;
        answer.verdict.SafeToOpen = !foul;
        /* The struct's tail padding would count against the 1-byte ReplyLength: send the header and the byte. */
        HRESULT hr = FilterReplyMessage(port, &answer.header, sizeof answer.header + sizeof answer.verdict);
        if (FAILED(hr) && !__atomic_load_n(&closing, __ATOMIC_RELAXED)) expect("FilterReplyMessage", 0);
        memset(&request->overlapped, 0, sizeof request->overlapped);
        hr = FilterGetMessage(port, &request->header, FIELD_OFFSET(REQUEST, overlapped), &request->overlapped);
        if (hr != HRESULT_FROM_WIN32(ERROR_IO_PENDING)) return 0;
    }
}

static void path_of(char *path, size_t size, const char *name) {
    snprintf(path, size, "%.3000s/%.100s", folder, name);
}

static void write_file(const char *name, const char *text) {
    char path[4096];
    path_of(path, sizeof path, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        if (write(fd, text, strlen(text)) < 0) expect("write", 0);
        close(fd);
    }
}

/* The errno of an open of FOLDER/name in a child process (0: it opened). */
static int open_errno_in_child(const char *name) {
    char path[4096];
    path_of(path, sizeof path, name);
    pid_t child = fork();
    if (child == 0) {
        int fd = open(path, O_RDONLY);
        if (fd >= 0) close(fd);
        _exit(fd < 0 ? errno : 0);
    }
    int status = 0;
    if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status)) return -1;
    return WEXITSTATUS(status);
}

/* A child that writes `text` into FOLDER/name and closes it: the scanner rescans it on that close. */
static void write_in_child(const char *name, const char *text) {
    pid_t child = fork();
    if (child == 0) {
        write_file(name, text);
        _exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
}

int main(int argc, char **argv) {
    wchar_t name[256] = L"\\ScannerPort";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--descriptors") == 0) use_descriptors = 1;
        else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) mbstowcs(name, argv[++i], ARRAYSIZE(name) - 1);
        else folder = argv[i];
    }
    if (folder == NULL) {
        fprintf(stderr, "usage: flt_scan [--descriptors] [--port NAME] DIR\n");
        return 2;
    }
    /* Written before the connect: the client's own opens are not scanned, but the test's folder is fresh. */
    write_file("clean.txt", "nothing to see here\n");
    write_file("foul.txt", "this text is foul\n");
    write_file("foul.dat", "foul, but not a scanned extension\n");
    HRESULT hr = FilterConnectCommunicationPort(name, use_descriptors ? FLT_PORT_FLAG_DESCRIPTORS : 0, NULL, 0, NULL,
                                                &port);
    if (FAILED(hr)) {
        fprintf(stderr, "FilterConnectCommunicationPort failed (HRESULT = 0x%x)\n%s\n", (unsigned)hr,
                FilterGetLastErrorText());
        return 1;
    }
    completion = CreateIoCompletionPort(port, NULL, PORT_KEY, THREADS);
    expect("CreateIoCompletionPort", completion != NULL);
    REQUEST *requests = calloc(THREADS * GETS_PER_THREAD, sizeof *requests);
    HANDLE threads[THREADS];
    for (int i = 0; i < THREADS; i++) {
        threads[i] = CreateThread(NULL, 0, worker, NULL, 0, NULL);
        for (int j = 0; j < GETS_PER_THREAD; j++) {
            REQUEST *request = &requests[i * GETS_PER_THREAD + j];
            hr = FilterGetMessage(port, &request->header, FIELD_OFFSET(REQUEST, overlapped), &request->overlapped);
            if (hr != HRESULT_FROM_WIN32(ERROR_IO_PENDING)) expect("FilterGetMessage is pending", 0);
        }
    }
    expect("a file that contains \"foul\" cannot be opened: EPERM", open_errno_in_child("foul.txt") == EPERM);
    expect("a clean file opens", open_errno_in_child("clean.txt") == 0);
    expect("a file of an extension the scanner skips opens, whatever it holds", open_errno_in_child("foul.dat") == 0);
    LONG before = __atomic_load_n(&found_foul, __ATOMIC_RELAXED);
    write_in_child("later.txt", "clean at first, and now foul\n");
    /* The rescan at close is asynchronous: wait until this client has answered it. */
    for (int i = 0; i < 500 && __atomic_load_n(&found_foul, __ATOMIC_RELAXED) == before; i++) Sleep(10);
    expect("the close after a write was scanned", __atomic_load_n(&found_foul, __ATOMIC_RELAXED) > before);
    expect("a file written with \"foul\" and closed is denied on the next open", open_errno_in_child("later.txt") == EPERM);
    /* As on Windows, an unsafe file cannot be opened to be mended (that open is denied too); it can be removed. */
    char later[4096];
    path_of(later, sizeof later, "later.txt");
    expect("an unsafe file can be removed", unlink(later) == 0);
    write_in_child("later.txt", "clean this time\n");
    expect("a clean file of the same name opens", open_errno_in_child("later.txt") == 0);
    printf("%ld scanned, %ld foul\n", (long)scanned, (long)found_foul);
    __atomic_store_n(&closing, 1, __ATOMIC_RELAXED);
    expect("CloseHandle on the port handle", CloseHandle(port));
    Sleep(50);
    expect("CloseHandle on the completion port", CloseHandle(completion));
    expect("the workers end", WaitForMultipleObjects(THREADS, threads, TRUE, 10000) == WAIT_OBJECT_0);
    for (int i = 0; i < THREADS; i++) CloseHandle(threads[i]);
    free(requests);
    printf("%d failed\n", (int)failures);
    return failures == 0 ? 0 : 1;
}
