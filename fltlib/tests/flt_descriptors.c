/* SPDX-License-Identifier: MIT */
/* Descriptors with messages through libfltlib (docs/protocol.md section 12):
 *
 *   flt_descriptors send --port NAME FILE   against minifltd: FilterSendMessageWithDescriptors passes FILE's
 *                                           descriptor, the example routine answers its first bytes and hands a
 *                                           duplicate back; then the argument edges
 *   flt_descriptors get --port NAME         against a server that sends MESSAGEs with descriptors: each is
 *                                           taken with FilterGetMessageDescriptors, read, and passed back with
 *                                           FilterReplyMessageWithDescriptors, until the connection ends
 *   flt_descriptors limit-get --port NAME   against minifltd --watch --pass-descriptors, at the descriptor
 *                                           limit: prints "full", gets an open whose descriptor the kernel
 *                                           dropped (0x80070004), closes 4 descriptors and prints "freed", then
 *                                           gets the next open with its descriptor and reads through it
 *   flt_descriptors limit-send --port NAME FILE  the same with the example routine's SEND_RESULT
 *   flt_descriptors limit-cut --port NAME   against a server that, after a SEND, sends MESSAGE A with 2
 *                                           descriptors and then B with 1, with room for one: A's arrived
 *                                           descriptor is closed, 0x80070004; B gets its own after 4 are closed
 *
 * Prints one line per step; a failed step prints FAIL and the program exits 1. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <fltUser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "seed_messages.h"

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

/* Descriptors this process holds open to sit at its limit (docs/protocol.md section 12). */
static int fillers[64];
static int filler_count = 0;

/* Opens /dev/null until EMFILE. */
static void fill_to_limit(void) {
    int descriptor;
    while (filler_count < 64 && (descriptor = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0) {
        fillers[filler_count++] = descriptor;
    }
    check(errno == EMFILE, "the descriptor table is full (EMFILE)", 0);
}

/* Lowers RLIMIT_NOFILE to 64 and fills the table: the next descriptor the kernel would hand this process has
 * no room. */
static void fill_descriptor_table(void) {
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = 64;
    check(setrlimit(RLIMIT_NOFILE, &limit) == 0, "lower RLIMIT_NOFILE to 64", 0);
    fill_to_limit();
    printf("full\n");
    fflush(stdout);
}

/* Closes `count` of the fillers and says so. */
static void free_descriptors(int count) {
    while (count-- > 0 && filler_count > 0) close(fillers[--filler_count]);
    printf("freed\n");
    fflush(stdout);
}

static int limit_get_mode(const char *name) {
    HANDLE port = connect_port(name, FLT_PORT_FLAG_DESCRIPTORS);
    if (port == NULL) return 1;
    fill_descriptor_table();
    for (int round = 0; round < 2; round++) {
        struct {
            FILTER_MESSAGE_HEADER header;
            FLT_TO_USER body;
        } message;
        HRESULT result = FilterGetMessage(port, &message.header, sizeof message, NULL);
        check(SUCCEEDED(result), round == 0 ? "the open's message arrives at the limit" : "the next open's message",
              result);
        if (FAILED(result)) break;
        int descriptors[4] = {-1, -1, -1, -1};
        DWORD count = 9;
        result = FilterGetMessageDescriptors(port, message.header.MessageId, descriptors, 4, &count);
        if (round == 0) {
            check(result == HRESULT_FROM_WIN32(ERROR_TOO_MANY_OPEN_FILES) && count == 0 &&
                      strstr(FilterGetLastErrorText(), "RLIMIT_NOFILE") != NULL,
                  "its descriptor was dropped: 0x80070004", result);
            printf("text %s\n", FilterGetLastErrorText());
            result = FilterGetMessageDescriptors(port, message.header.MessageId, descriptors, 4, &count);
            check(result == S_OK && count == 0, "reported once: then none", result);
        } else {
            check(SUCCEEDED(result) && count == 1, "the next open's descriptor", result);
            char through[16] = {0};
            if (count == 1 && pread(descriptors[0], through, sizeof through - 1, 0) > 0) printf("read %s", through);
            if (count == 1) close(descriptors[0]);
        }
        struct {
            FILTER_REPLY_HEADER header;
            FLT_TO_USER_REPLY body;
        } reply = {.header = {.Status = 0, .MessageId = message.header.MessageId}, .body = {.block = 0}};
        result = FilterReplyMessage(port, &reply.header, sizeof reply.header + sizeof reply.body);
        check(SUCCEEDED(result), "the connection lives on: reply", result);
        if (round == 0) free_descriptors(4);
    }
    free_descriptors(filler_count);
    FilterClose(port);
    printf("%d failed\n", failures);
    return failures == 0 ? 0 : 1;
}

static int limit_send_mode(const char *name, const char *path) {
    HANDLE port = connect_port(name, FLT_PORT_FLAG_DESCRIPTORS);
    if (port == NULL) return 1;
    int file = open(path, O_RDONLY | O_CLOEXEC);
    fill_descriptor_table();
    for (int round = 0; round < 2; round++) {
        char input[8] = "x", output[64] = {0};
        DWORD returned = 0, count = 9;
        int back[4] = {-1, -1, -1, -1};
        HRESULT result = FilterSendMessageWithDescriptors(port, input, sizeof input, &file, 1, output,
                                                          sizeof output, &returned, back, 4, &count);
        if (round == 0) {
            check(result == HRESULT_FROM_WIN32(ERROR_TOO_MANY_OPEN_FILES) && count == 0 &&
                      strstr(FilterGetLastErrorText(), "RLIMIT_NOFILE") != NULL,
                  "the result's descriptor was dropped: 0x80070004", result);
            printf("text %s\n", FilterGetLastErrorText());
            printf("output at the limit %.*s\n", (int)returned, output);
            free_descriptors(4);
        } else {
            check(SUCCEEDED(result) && count == 1, "the next send's descriptor comes back", result);
            char through[8] = {0};
            check(count == 1 && pread(back[0], through, 4, 0) == 4, "read through the returned descriptor", result);
            printf("through %s\n", through);
            if (count == 1) close(back[0]);
        }
    }
    free_descriptors(filler_count);
    close(file);
    FilterClose(port);
    printf("%d failed\n", failures);
    return failures == 0 ? 0 : 1;
}

/* Gets the next message; `expected` descriptors, or the cut (0x80070004) when it is 0. Prints what the first
 * reads, and closes them, or keeps the first in *kept when that is not NULL. */
static void get_cut_or_whole(HANDLE port, DWORD expected, const char *what, int *kept) {
    struct {
        FILTER_MESSAGE_HEADER header;
        char bytes[16];
    } message;
    HRESULT result = FilterGetMessage(port, &message.header, sizeof message, NULL);
    check(SUCCEEDED(result), what, result);
    if (FAILED(result)) return;
    int descriptors[4] = {-1, -1, -1, -1};
    DWORD count = 9;
    result = FilterGetMessageDescriptors(port, message.header.MessageId, descriptors, 4, &count);
    if (expected == 0) {
        check(result == HRESULT_FROM_WIN32(ERROR_TOO_MANY_OPEN_FILES) && count == 0, "cut: 0x80070004, none", result);
        return;
    }
    check(SUCCEEDED(result) && count == expected, "its own descriptors", result);
    char through[16] = {0};
    if (count >= 1 && pread(descriptors[0], through, sizeof through - 1, 0) > 0) printf("read %s\n", through);
    DWORD index = 0;
    if (kept != NULL && count >= 1) *kept = descriptors[index++];
    for (; index < count; index++) close(descriptors[index]);
}

static int limit_cut_mode(const char *name) {
    HANDLE port = connect_port(name, FLT_PORT_FLAG_DESCRIPTORS);
    if (port == NULL) return 1;
    fill_descriptor_table();
    free_descriptors(1);
    /* Tells the server this process has room for exactly one descriptor. */
    char output[8];
    DWORD returned = 0;
    HRESULT result = FilterSendMessage(port, "ready", 6, output, sizeof output, &returned);
    check(SUCCEEDED(result), "the SEND that says ready", result);
    get_cut_or_whole(port, 0, "message A arrives though its 2 descriptors did not fit", NULL);
    /* The one that fitted was closed, not kept: its place is free again. */
    int probe = open("/dev/null", O_RDONLY | O_CLOEXEC);
    check(probe >= 0, "the room for one descriptor is free again", 0);
    if (probe >= 0) close(probe);
    free_descriptors(4);
    get_cut_or_whole(port, 1, "message B arrives", NULL);
    /* Room for one again. G's descriptor takes it, with G's first bytes (a read ends after them); the server
     * sends G's last bytes and H at once, so after the pause one read brings both and H's descriptor is dropped:
     * G must take its own and stop before H's cut mark. G's is kept until H is got. */
    fill_to_limit();
    free_descriptors(1);
    result = FilterSendMessage(port, "again", 6, output, sizeof output, &returned);
    check(SUCCEEDED(result), "the SEND that says ready again", result);
    usleep(300 * 1000);
    int kept = -1;
    get_cut_or_whole(port, 1, "message G arrives with its descriptor", &kept);
    get_cut_or_whole(port, 0, "message H arrives without its", NULL);
    if (kept >= 0) close(kept);
    free_descriptors(filler_count);
    FilterClose(port);
    printf("%d failed\n", failures);
    return failures == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc >= 4 && strcmp(argv[1], "send") == 0 && strcmp(argv[2], "--port") == 0 && argc == 5) {
        return send_mode(argv[3], argv[4]);
    }
    if (argc == 4 && strcmp(argv[1], "get") == 0 && strcmp(argv[2], "--port") == 0) return get_mode(argv[3]);
    if (argc == 4 && strcmp(argv[1], "limit-get") == 0 && strcmp(argv[2], "--port") == 0) {
        return limit_get_mode(argv[3]);
    }
    if (argc == 5 && strcmp(argv[1], "limit-send") == 0 && strcmp(argv[2], "--port") == 0) {
        return limit_send_mode(argv[3], argv[4]);
    }
    if (argc == 4 && strcmp(argv[1], "limit-cut") == 0 && strcmp(argv[2], "--port") == 0) {
        return limit_cut_mode(argv[3]);
    }
    fprintf(stderr, "usage: flt_descriptors send --port NAME FILE | get --port NAME | limit-get --port NAME | "
            "limit-send --port NAME FILE | limit-cut --port NAME\n");
    return 2;
}
