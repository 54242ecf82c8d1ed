/* SPDX-License-Identifier: MIT */
// Benchmark client for the get/reply round trip through libfltlib: one thread takes each MESSAGE the server
// pushes (c-floor-server --push) and answers it with FilterReplyMessage, for SECONDS, then one summary line
// (bench_latency.h). MODE is how it takes the message:
//   sync        FilterGetMessage with no OVERLAPPED (the thread reads the socket itself)
//   overlapped  FilterGetMessage with an OVERLAPPED and an event, WaitForSingleObject, GetOverlappedResult
//   completion  FilterGetMessage with an OVERLAPPED on a handle associated with a completion port,
//               GetQueuedCompletionStatus
//
//   bench_fltlib_get PORT MODE SECONDS
#define _GNU_SOURCE
#include <windows.h>
#include <fltUser.h>
#include <wchar.h>

#include "bench_latency.h"

typedef struct {
    FILTER_MESSAGE_HEADER header;
    uint8_t bytes[64];
    OVERLAPPED overlapped;
} MESSAGE;

typedef struct {
    FILTER_REPLY_HEADER header;
    uint32_t answer;
} REPLY;

static wchar_t port_name[256];
static const char *mode;

static void fail(const char *call, HRESULT result) {
    fprintf(stderr, "%s failed (HRESULT = 0x%x): %s\n", call, (unsigned)result, FilterGetLastErrorText());
    exit(1);
}

/* Takes the next message into `message` as MODE says. */
static void get(HANDLE port, HANDLE event, HANDLE completion, MESSAGE *message) {
    if (strcmp(mode, "sync") == 0) {
        HRESULT result = FilterGetMessage(port, &message->header, FIELD_OFFSET(MESSAGE, overlapped), NULL);
        if (FAILED(result)) fail("FilterGetMessage", result);
        return;
    }
    ZeroMemory(&message->overlapped, sizeof message->overlapped);
    message->overlapped.hEvent = event;
    HRESULT result = FilterGetMessage(port, &message->header, FIELD_OFFSET(MESSAGE, overlapped), &message->overlapped);
    if (result != HRESULT_FROM_WIN32(ERROR_IO_PENDING)) fail("FilterGetMessage (overlapped)", result);
    DWORD bytes;
    if (completion != NULL) {
        ULONG_PTR key;
        LPOVERLAPPED done;
        if (!GetQueuedCompletionStatus(completion, &bytes, &key, &done, INFINITE) || done != &message->overlapped) {
            fail("GetQueuedCompletionStatus", HRESULT_FROM_WIN32(GetLastError()));
        }
        return;
    }
    if (WaitForSingleObject(event, INFINITE) != WAIT_OBJECT_0 || !GetOverlappedResult(port, &message->overlapped, &bytes, FALSE)) {
        fail("WaitForSingleObject and GetOverlappedResult", HRESULT_FROM_WIN32(GetLastError()));
    }
}

static void *client(void *argument) {
    bench_client *self = argument;
    HANDLE port;
    HRESULT result = FilterConnectCommunicationPort(port_name, 0, NULL, 0, NULL, &port);
    if (FAILED(result)) fail("FilterConnectCommunicationPort", result);
    HANDLE event = strcmp(mode, "overlapped") == 0 ? CreateEvent(NULL, FALSE, FALSE, NULL) : NULL;
    HANDLE completion = strcmp(mode, "completion") == 0 ? CreateIoCompletionPort(port, NULL, 1, 1) : NULL;
    MESSAGE message;
    REPLY reply = {.header = {.Status = 0}, .answer = 1};
    while (bench_now_ns() < self->stop_at) {
        int64_t before = bench_now_ns();
        get(port, event, completion, &message);
        reply.header.MessageId = message.header.MessageId;
        result = FilterReplyMessage(port, &reply.header, sizeof reply.header + sizeof reply.answer);
        if (FAILED(result)) fail("FilterReplyMessage", result);
        bench_record(&self->samples, bench_now_ns() - before);
    }
    CloseHandle(port);
    if (event != NULL) CloseHandle(event);
    if (completion != NULL) CloseHandle(completion);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4 || (strcmp(argv[2], "sync") != 0 && strcmp(argv[2], "overlapped") != 0 &&
                      strcmp(argv[2], "completion") != 0)) {
        fprintf(stderr, "usage: bench_fltlib_get PORT sync|overlapped|completion SECONDS\n");
        return 2;
    }
    mbstowcs(port_name, argv[1], 255);
    mode = argv[2];
    bench_run(1, atof(argv[3]), client);
    return 0;
}
