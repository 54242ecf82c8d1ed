/* SPDX-License-Identifier: MIT */
/* fltlib's contract at its edges, against a running minifltd (--max-connections 2 or more, no --watch):
 * bad arguments, made-up and closed handles, a cancelled OVERLAPPED get, polling, late replies, FilterClose while another
 * thread waits. Prints one line per check; exits 1 if any failed.
 *
 *   flt_api [--port NAME]
 */
#define _DEFAULT_SOURCE
#include <fltUser.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;

static void expect(const char *what, HRESULT actual, HRESULT expected) {
    int ok = actual == expected;
    printf("%s %s: 0x%08x", ok ? "ok  " : "FAIL", what, (unsigned)actual);
    if (!ok) printf(" (expected 0x%08x; %s)", (unsigned)expected, FilterGetLastErrorText());
    printf("\n");
    failures += !ok;
}

static void expect_true(const char *what, int condition) {
    printf("%s %s\n", condition ? "ok  " : "FAIL", what);
    failures += !condition;
}

struct waiting_get {
    HANDLE port;
    HRESULT result;
};

static void *get_until_closed(void *argument) {
    struct waiting_get *get = argument;
    FILTER_MESSAGE_HEADER buffer[4];
    get->result = FilterGetMessage(get->port, buffer, sizeof buffer, NULL);
    return NULL;
}

int main(int argc, char **argv) {
    wchar_t name[256] = L"\\MiniFilterPort_Example";
    if (argc == 3 && strcmp(argv[1], "--port") == 0) mbstowcs(name, argv[2], ARRAYSIZE(name) - 1);
    HANDLE port = NULL;
    BYTE buffer[64];
    DWORD returned = 0;

    expect("NULL hPort", FilterConnectCommunicationPort(name, 0, NULL, 0, NULL, NULL), E_INVALIDARG);
    expect("NULL port name", FilterConnectCommunicationPort(NULL, 0, NULL, 0, NULL, &port), E_INVALIDARG);
    expect_true("a failed connect leaves INVALID_HANDLE_VALUE", port == INVALID_HANDLE_VALUE);
    expect("a name without a backslash", FilterConnectCommunicationPort(L"MiniFilterPort_Example", 0, NULL, 0, NULL,
                                                                        &port), HRESULT_FROM_WIN32(ERROR_INVALID_NAME));
    expect_true("the failure explains itself", strstr(FilterGetLastErrorText(), "backslash") != NULL);
    expect("unknown option bits", FilterConnectCommunicationPort(name, 0x2, NULL, 0, NULL, &port), E_INVALIDARG);
    expect("a context size without a context", FilterConnectCommunicationPort(name, 0, NULL, 4, NULL, &port),
           E_INVALIDARG);
    expect("send on a made-up handle", FilterSendMessage((HANDLE)0x1234, NULL, 0, NULL, 0, &returned), E_HANDLE);
    expect("FilterClose(NULL)", FilterClose(NULL), E_HANDLE);
    expect("FilterClose(INVALID_HANDLE_VALUE)", FilterClose(INVALID_HANDLE_VALUE), E_HANDLE);

    static const char context[] = "context";
    HRESULT connected = FilterConnectCommunicationPort(name, FLT_PORT_FLAG_SYNC_HANDLE, context, sizeof context, NULL,
                                                       &port);
    expect("connect with FLT_PORT_FLAG_SYNC_HANDLE and a context", connected, S_OK);
    if (FAILED(connected)) return 1;

    OVERLAPPED overlapped;
    ZeroMemory(&overlapped, sizeof overlapped);
    expect("FilterGetMessage with an OVERLAPPED is pending", FilterGetMessage(port, (PFILTER_MESSAGE_HEADER)buffer,
                                                                              sizeof buffer, &overlapped),
           HRESULT_FROM_WIN32(ERROR_IO_PENDING));
    DWORD transferred = 99;
    expect_true("... GetOverlappedResult without waiting: ERROR_IO_INCOMPLETE",
                !GetOverlappedResult(port, &overlapped, &transferred, FALSE) && GetLastError() == ERROR_IO_INCOMPLETE);
    expect_true("... CancelIoEx ends it", CancelIoEx(port, &overlapped));
    expect_true("... with ERROR_OPERATION_ABORTED and 0 bytes",
                !GetOverlappedResult(port, &overlapped, &transferred, TRUE) &&
                    GetLastError() == ERROR_OPERATION_ABORTED && transferred == 0);
    expect_true("... and nothing is left to cancel", !CancelIoEx(port, NULL) && GetLastError() == ERROR_NOT_FOUND);
    expect("a buffer smaller than the header", FilterGetMessage(port, (PFILTER_MESSAGE_HEADER)buffer, 8, NULL),
           E_INVALIDARG);
    int descriptor = -1;
    expect("FilterGetPollDescriptor", FilterGetPollDescriptor(port, &descriptor), S_OK);
    struct pollfd readable = {.fd = descriptor, .events = POLLIN};
    expect_true("nothing to poll while no message is queued", poll(&readable, 1, 50) == 0);
    expect("FilterTryGetMessage with nothing queued", FilterTryGetMessage(port, (PFILTER_MESSAGE_HEADER)buffer,
                                                                          sizeof buffer),
           HRESULT_FROM_WIN32(ERROR_IO_PENDING));

    expect("send with a NULL input of 10 bytes", FilterSendMessage(port, NULL, 10, NULL, 0, &returned), E_INVALIDARG);
    size_t huge_size = 2u << 20;
    void *huge = calloc(1, huge_size);
    expect("send of 2 MiB (over the 1 MiB limit)", FilterSendMessage(port, huge, (DWORD)huge_size, NULL, 0, &returned),
           E_INVALIDARG);
    free(huge);
    expect("send with NULL buffers (the connection lives on)", FilterSendMessage(port, NULL, 0, NULL, 0, NULL), S_OK);

    FILTER_REPLY_HEADER reply = {.Status = 0, .MessageId = 999};
    expect("a reply buffer smaller than the header", FilterReplyMessage(port, &reply, 8), E_INVALIDARG);
    expect("a reply nobody waits for", FilterReplyMessage(port, &reply, sizeof reply), ERROR_FLT_NO_WAITER_FOR_REPLY);

    struct waiting_get get = {.port = port, .result = S_OK};
    pthread_t thread;
    pthread_create(&thread, NULL, get_until_closed, &get);
    usleep(100 * 1000);
    expect("FilterClose while another thread waits", FilterClose(port), S_OK);
    pthread_join(thread, NULL);
    expect("... ends that thread's FilterGetMessage", get.result, E_HANDLE);
    expect("send on the closed handle", FilterSendMessage(port, NULL, 0, NULL, 0, &returned), E_HANDLE);
    expect("FilterClose again", FilterClose(port), E_HANDLE);

    HANDLE again = NULL;
    expect("connect again", FilterConnectCommunicationPort(name, 0, NULL, 0, NULL, &again), S_OK);
    expect_true("the new handle is not the old value", again != port);
    expect("the old handle stays closed", FilterSendMessage(port, NULL, 0, NULL, 0, &returned), E_HANDLE);
    expect("FilterClose on the new handle", FilterClose(again), S_OK);

    printf("%d failed\n", failures);
    return failures == 0 ? 0 : 1;
}
