/* SPDX-License-Identifier: MIT */
/* Descriptors with messages through libfltlib (docs/protocol.md section 12):
 *
 *   flt_descriptors send --port NAME FILE   against minifltd: FilterSendMessageWithDescriptors passes FILE's
 *                                           descriptor, the example routine answers its first bytes and hands a
 *                                           duplicate back; then the argument edges
 *   flt_descriptors get --port NAME         against a server that sends MESSAGEs with descriptors: each is
 *                                           taken with FilterGetMessageDescriptors, read, and passed back with
 *                                           FilterReplyMessageWithDescriptors, until the connection ends
 *
 * Prints one line per step; a failed step prints FAIL and the program exits 1. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <fltUser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures = 0;

static void check(int ok, const char *what, HRESULT result) {
    if (ok) {
        printf("ok %s\n", what);
    } else {
        printf("FAIL %s (HRESULT 0x%08x: %s)\n", what, (unsigned)result, FilterGetLastErrorText());
        failures++;
    }
    fflush(stdout);
}

static HANDLE connect_port(const char *name, DWORD options) {
    wchar_t wide[256];
    if (mbstowcs(wide, name, 256) >= 256) return NULL;
    HANDLE port = NULL;
    HRESULT result = FilterConnectCommunicationPort(wide, options, NULL, 0, NULL, &port);
    check(SUCCEEDED(result), "connect", result);
    return SUCCEEDED(result) ? port : NULL;
}

static int send_mode(const char *name, const char *path) {
    HANDLE port = connect_port(name, FLT_PORT_FLAG_DESCRIPTORS);
    if (port == NULL) return 1;
    int file = open(path, O_RDONLY | O_CLOEXEC);
    char input[8] = "x", output[64] = {0};
    DWORD returned = 0, count = 0;
    int back[4] = {-1, -1, -1, -1};
    HRESULT result = FilterSendMessageWithDescriptors(port, input, sizeof input, &file, 1, output, sizeof output,
                                                      &returned, back, 4, &count);
    check(SUCCEEDED(result) && count == 1, "send with a descriptor, one back", result);
    printf("output %.*s\n", (int)returned, output);
    char through[8] = {0};
    check(count == 1 && pread(back[0], through, 4, 0) == 4, "read through the returned descriptor", result);
    printf("through %s\n", through);
    if (count == 1) close(back[0]);

    result = FilterSendMessageWithDescriptors(port, input, sizeof input, &file, 1, output, sizeof output, &returned,
                                              NULL, 0, &count);
    check(result == HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER) && count == 0,
          "a result with more descriptors than the array: 0x8007007A, closed", result);

    int many[254];
    for (int index = 0; index < 254; index++) many[index] = file;
    result = FilterSendMessageWithDescriptors(port, input, sizeof input, many, 254, output, sizeof output, &returned,
                                              NULL, 0, &count);
    check(result == E_INVALIDARG, "254 descriptors: E_INVALIDARG", result);
    result = FilterSendMessageWithDescriptors(port, input, sizeof input, many, 253, output, sizeof output, &returned,
                                              back, 4, &count);
    check(SUCCEEDED(result) && count == 1, "253 descriptors", result);
    if (count == 1) close(back[0]);
    result = FilterGetMessageDescriptors(port, 12345, back, 4, &count);
    check(result == S_OK && count == 0, "descriptors of a message never got: none", result);
    FilterClose(port);

    HANDLE plain = connect_port(name, 0);
    if (plain == NULL) return 1;
    result = FilterSendMessageWithDescriptors(plain, input, sizeof input, &file, 1, output, sizeof output, &returned,
                                              back, 4, &count);
    check(result == E_INVALIDARG, "descriptors without FLT_PORT_FLAG_DESCRIPTORS: E_INVALIDARG", result);
    result = FilterSendMessage(plain, input, sizeof input, output, sizeof output, &returned);
    check(SUCCEEDED(result), "plain FilterSendMessage on the same daemon", result);
    FilterClose(plain);
    close(file);
    printf("%d failed\n", failures);
    return failures == 0 ? 0 : 1;
}

static int get_mode(const char *name) {
    HANDLE port = connect_port(name, FLT_PORT_FLAG_DESCRIPTORS);
    if (port == NULL) return 1;
    for (;;) {
        struct {
            FILTER_MESSAGE_HEADER header;
            char bytes[64];
        } message;
        HRESULT result = FilterGetMessage(port, &message.header, sizeof message, NULL);
        if (FAILED(result)) {
            printf("get ended 0x%08x\n", (unsigned)result);
            break;
        }
        int descriptors[4];
        DWORD count = 0;
        result = FilterGetMessageDescriptors(port, message.header.MessageId, descriptors, 0, &count);
        check(result == HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER) && count == 1,
              "no room: 0x8007007A and the count", result);
        result = FilterGetMessageDescriptors(port, message.header.MessageId, descriptors, 4, &count);
        check(SUCCEEDED(result) && count == 1, "the message's descriptor", result);
        char through[16] = {0};
        if (count == 1 && pread(descriptors[0], through, sizeof through - 1, 0) > 0) printf("read %s\n", through);
        struct {
            FILTER_REPLY_HEADER header;
            char bytes[4];
        } reply = {.header = {.Status = 0, .MessageId = message.header.MessageId}, .bytes = "ok"};
        int many[254];
        for (int index = 0; index < 254; index++) many[index] = count == 1 ? descriptors[0] : -1;
        result = FilterReplyMessageWithDescriptors(port, &reply.header, sizeof reply, many, 254);
        check(result == E_INVALIDARG, "a reply with 254 descriptors: E_INVALIDARG, nothing sent", result);
        result = FilterReplyMessageWithDescriptors(port, &reply.header, sizeof reply, descriptors, count);
        check(SUCCEEDED(result), "reply with the descriptor", result);
        for (DWORD index = 0; index < count; index++) close(descriptors[index]);
    }
    FilterClose(port);
    printf("%d failed\n", failures);
    return failures == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc >= 4 && strcmp(argv[1], "send") == 0 && strcmp(argv[2], "--port") == 0 && argc == 5) {
        return send_mode(argv[3], argv[4]);
    }
    if (argc == 4 && strcmp(argv[1], "get") == 0 && strcmp(argv[2], "--port") == 0) return get_mode(argv[3]);
    fprintf(stderr, "usage: flt_descriptors send --port NAME FILE | get --port NAME\n");
    return 2;
}
