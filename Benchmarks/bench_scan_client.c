/* SPDX-License-Identifier: MIT */
// A scanner client through libfltlib for minifltscan (docs/protocol.md section 8, "The scanner"): one thread
// that gets each SCANNER_NOTIFICATION, looks for "foul" in the file's first 1,024 bytes and answers
// SCANNER_REPLY. In "copy" mode it scans the bytes the notification carries; in "fd" mode it connects with
// FLT_PORT_FLAG_DESCRIPTORS (minifltscan --pass-descriptors) and reads them with pread through the
// descriptor that comes with the message. Runs until killed; prints "ready" once connected.
//
//   bench_scan_client PORT copy|fd
#define _GNU_SOURCE
#include <fltUser.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#define CONTENTS_SIZE 1024

static int contains_foul(const uint8_t *bytes, size_t count) {
    return count >= 4 && memmem(bytes, count, "foul", 4) != NULL;
}

int main(int argc, char **argv) {
    if (argc != 3 || (strcmp(argv[2], "copy") != 0 && strcmp(argv[2], "fd") != 0)) {
        fprintf(stderr, "usage: bench_scan_client PORT copy|fd\n");
        return 2;
    }
    int descriptors = strcmp(argv[2], "fd") == 0;
    wchar_t name[256];
    mbstowcs(name, argv[1], 255);
    HANDLE port;
    HRESULT result =
        FilterConnectCommunicationPort(name, descriptors ? FLT_PORT_FLAG_DESCRIPTORS : 0, NULL, 0, NULL, &port);
    if (FAILED(result)) {
        fprintf(stderr, "FilterConnectCommunicationPort failed (HRESULT = 0x%x): %s\n", (unsigned)result,
                FilterGetLastErrorText());
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    struct {
        FILTER_MESSAGE_HEADER header;
        uint32_t bytes_to_scan;
        uint32_t reserved;
        uint8_t contents[CONTENTS_SIZE];
    } message;
    struct {
        FILTER_REPLY_HEADER header;
        uint8_t safe_to_open;
    } reply;
    uint8_t contents[CONTENTS_SIZE];
    for (;;) {
        result = FilterGetMessage(port, &message.header, sizeof message, NULL);
        if (FAILED(result)) {
            fprintf(stderr, "FilterGetMessage failed (HRESULT = 0x%x): %s\n", (unsigned)result, FilterGetLastErrorText());
            return 1;
        }
        int foul = 0;
        if (descriptors) {
            int fd = -1;
            DWORD count = 0;
            if (SUCCEEDED(FilterGetMessageDescriptors(port, message.header.MessageId, &fd, 1, &count)) && count == 1) {
                ssize_t got = pread(fd, contents, sizeof contents, 0);
                foul = got > 0 && contains_foul(contents, (size_t)got);
                close(fd);
            }
        } else {
            uint32_t count = message.bytes_to_scan <= CONTENTS_SIZE ? message.bytes_to_scan : CONTENTS_SIZE;
            foul = contains_foul(message.contents, count);
        }
        reply.header.Status = 0;
        reply.header.MessageId = message.header.MessageId;
        reply.safe_to_open = !foul;
        /* The header and the byte: the struct's tail padding would count against the 1-byte reply. */
        FilterReplyMessage(port, &reply.header, sizeof reply.header + sizeof reply.safe_to_open);
    }
}
