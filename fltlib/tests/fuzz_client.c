/* SPDX-License-Identifier: MIT */
/* libFuzzer target: libfltlib reading what a hostile server sends, with the input format of the Swift
 * client's target (Fuzz/Targets/ClientFramesFuzzing.swift), whose corpus it shares (Fuzz/Corpus/client-frames).
 *
 * A listener thread in this process takes the connection, reads CONNECT and writes the input as the server's
 * side of the stream, then closes its write side. Bit 7 of the first byte: the input is the whole answer to
 * CONNECT; otherwise the listener answers success first. Bit 6: the client connects with FLT_PORT_FLAG_DESCRIPTORS
 * and the listener passes the low 2 bits' worth of copies of a pipe's write end with the stream's first byte
 * (docs/protocol.md section 12). The rest of the first byte picks the FilterGetMessage buffer size. The client sends once, then gets and answers messages until a call fails.
 * Checked, besides what AddressSanitizer checks: no hang (libFuzzer's -timeout), a message never overflows
 * the buffer, once the stream has ended every call fails, and after FilterClose the pipe's read end sees end of
 * file: the library closed every copy it received.
 *
 * Built with -fsanitize=fuzzer by `make fuzz`; built with FLTLIB_FUZZ_REPLAY (a main that runs each file
 * named on the command line once) by `make fltlib-tests`, which replays the corpus and kept crashes. */
#define _GNU_SOURCE
#include <fltUser.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <sys/un.h>
#include <unistd.h>

#define FLT_MAX_DESCRIPTORS_IN_TEST 253

static int listener = -1;
static wchar_t port_name[64];

static void fail(const char *what) {
    fprintf(stderr, "fuzz_client: %s\n", what);
    abort();
}

static void start_listener(void) {
    char name[64];
    snprintf(name, sizeof name, "\\fltlibfuzz-%d", (int)getpid());
    mbstowcs(port_name, name, 63);
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    size_t length = strlen(name);
    memcpy(address.sun_path + 1, name, length); /* already lowercase */
    listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (bind(listener, (struct sockaddr *)&address, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + length)) != 0 ||
        listen(listener, 16) != 0)
        fail("cannot listen");
    /* The listener runs as this process's uid: trust it as the server. */
    char uid[16];
    snprintf(uid, sizeof uid, "%u", (unsigned)getuid());
    setenv("FLTLIB_SERVER_UIDS", uid, 1);
}

struct stream {
    const uint8_t *bytes;
    size_t length;
    int passed;
    int write_end;
};

static void *serve_one(void *argument) {
    const struct stream *stream = argument;
    struct pollfd ready = {.fd = listener, .events = POLLIN};
    if (poll(&ready, 1, 5000) != 1) return NULL;
    int client = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    if (client < 0) return NULL;
    uint8_t scratch[4096];
    (void)recv(client, scratch, 24, MSG_WAITALL);
    int nulls[4];
    int opened = 0;
    for (int index = 0; index < stream->passed && index < 4; index++) nulls[opened++] = stream->write_end;
    union {
        char bytes[CMSG_SPACE(sizeof nulls)];
        struct cmsghdr align;
    } control;
    for (size_t sent = 0; sent < stream->length;) {
        struct iovec part = {(void *)(stream->bytes + sent), stream->length - sent};
        struct msghdr message = {.msg_iov = &part, .msg_iovlen = 1};
        if (sent == 0 && opened > 0) {
            memset(&control, 0, sizeof control);
            message.msg_control = control.bytes;
            message.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)opened);
            struct cmsghdr *header = CMSG_FIRSTHDR(&message);
            header->cmsg_level = SOL_SOCKET;
            header->cmsg_type = SCM_RIGHTS;
            header->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)opened);
            memcpy(CMSG_DATA(header), nulls, sizeof(int) * (size_t)opened);
        }
        ssize_t count = sendmsg(client, &message, MSG_NOSIGNAL);
        if (count <= 0) break;
        sent += (size_t)count;
    }
    shutdown(client, SHUT_WR);
    while (recv(client, scratch, sizeof scratch, 0) > 0) {}
    close(client);
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    if (listener < 0) start_listener();
    static const DWORD sizes[] = {16, 17, 20, 64, 4096, 1 << 20};
    int answers_handshake = (data[0] & 0x80) != 0;
    int descriptors = (data[0] & 0x40) != 0;
    DWORD buffer_size = sizes[(data[0] & 0x3F) % 6];
    int ends[2];
    if (pipe2(ends, O_CLOEXEC) != 0) fail("no pipe");
    static const uint8_t success[20] = {4, 0, 0, 0, 2, 0};
    size_t prefix = answers_handshake ? 0 : sizeof success;
    uint8_t *bytes = malloc(prefix + size - 1);
    memcpy(bytes, success, prefix);
    memcpy(bytes + prefix, data + 1, size - 1);
    struct stream stream = {bytes, prefix + size - 1, descriptors ? data[0] & 3 : 0, ends[1]};
    pthread_t server;
    pthread_create(&server, NULL, serve_one, &stream);

    HANDLE port = INVALID_HANDLE_VALUE;
    HRESULT result = FilterConnectCommunicationPort(port_name, descriptors ? FLT_PORT_FLAG_DESCRIPTORS : 0, NULL, 0,
                                                    NULL, &port);
    if (result != S_OK) {
        if (!answers_handshake) fail("the handshake failed though the listener answered CONNECT with success");
        if (!FAILED(result)) fail("a failed connect returned an HRESULT that FAILED() reads as success");
        if (port != INVALID_HANDLE_VALUE) fail("a failed connect left a handle");
    } else {
        uint8_t output[4096];
        DWORD returned = 0;
        result = FilterSendMessage(port, "Hi", 2, output, sizeof output, &returned);
        if (result != S_OK && !FAILED(result)) fail("FilterSendMessage returned an HRESULT that is neither S_OK nor a failure");
        if (returned > sizeof output) fail("FilterSendMessage returned more than the output buffer");
        size_t capacity = (size_t)1 << 20;
        uint8_t *buffer = malloc(capacity);
        for (size_t round = 0; round <= size / 20 + 1; round++) {
            result = FilterGetMessage(port, (PFILTER_MESSAGE_HEADER)buffer, buffer_size, NULL);
            if (result == (HRESULT)0x8007007A /* HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER) */) {
                buffer_size = (DWORD)capacity; /* the message stays queued: take it with a buffer it fits */
                continue;
            }
            if (FAILED(result)) break;
            FILTER_MESSAGE_HEADER *header = (FILTER_MESSAGE_HEADER *)buffer;
            int got[FLT_MAX_DESCRIPTORS_IN_TEST];
            DWORD got_count = 0;
            if (SUCCEEDED(FilterGetMessageDescriptors(port, header->MessageId, got, FLT_MAX_DESCRIPTORS_IN_TEST,
                                                      &got_count))) {
                if (got_count > FLT_MAX_DESCRIPTORS_IN_TEST) fail("more descriptors than the array holds");
                for (DWORD index = 0; index < got_count; index++) close(got[index]);
            }
            struct {
                FILTER_REPLY_HEADER header;
                uint8_t bytes[4];
            } reply = {{0, header->MessageId}, {0}};
            DWORD length = header->ReplyLength < 4 ? header->ReplyLength : 4;
            (void)FilterReplyMessage(port, &reply.header, (DWORD)sizeof reply.header + length);
        }
        /* The listener has closed its side, so whatever the stream held, the handle is spent by now. */
        if (!FAILED(FilterGetMessage(port, (PFILTER_MESSAGE_HEADER)buffer, (DWORD)capacity, NULL)))
            fail("FilterGetMessage did not fail after the stream had ended");
        free(buffer);
        FilterClose(port);
    }
    pthread_join(server, NULL);
    free(bytes);
    close(ends[1]);
    struct pollfd readable = {.fd = ends[0], .events = POLLIN};
    char byte;
    if (poll(&readable, 1, 0) != 1 || read(ends[0], &byte, 1) != 0) fail("a descriptor passed to the client was kept");
    close(ends[0]);
    return 0;
}

#ifdef FLTLIB_FUZZ_REPLAY
int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        FILE *file = fopen(argv[i], "rb");
        if (file == NULL) {
            perror(argv[i]);
            return 1;
        }
        uint8_t *data = malloc(1 << 22);
        size_t size = fread(data, 1, 1 << 22, file);
        fclose(file);
        LLVMFuzzerTestOneInput(data, size);
        free(data);
    }
    printf("fuzz_client: %d saved inputs replayed\n", argc - 1);
    return 0;
}
#endif
