/* SPDX-License-Identifier: MIT */
// A scanner client through libfltlib for minifltscan (docs/protocol.md section 8, "The scanner"): one thread
// that gets each SCANNER_NOTIFICATION, looks for "foul" in the file's first 1,024 bytes and answers
// SCANNER_REPLY. In "copy" mode it scans the bytes the notification carries (at most the first 1,024: all
// a copy can hold); in "fd" mode it connects with FLT_PORT_FLAG_DESCRIPTORS (minifltscan --pass-descriptors)
// and reads those same first 1,024 bytes with pread through the descriptor that comes with the message; in
// "fd-all" mode it reads the WHOLE file through the descriptor, 64 KiB per pread, as a real scanner would.
// Runs until killed; prints "ready" once connected.
//
//   bench_scan_client PORT copy|fd|fd-all
#define _GNU_SOURCE
#include <fltUser.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#define CONTENTS_SIZE 1024

#define CHUNK_SIZE 65536

static int contains_foul(const uint8_t *bytes, size_t count) {
    return count >= 4 && memmem(bytes, count, "foul", 4) != NULL;
}

/* The whole file through its descriptor, to the end; the last 3 bytes of a chunk go before the next, so that
 * "foul" across two chunks is found. */
static int whole_file_foul(int fd) {
    static uint8_t buffer[3 + CHUNK_SIZE];
    size_t carried = 0;
    off_t offset = 0;
    for (;;) {
        ssize_t got = pread(fd, buffer + carried, CHUNK_SIZE, offset);
        if (got <= 0) return 0;
        offset += got;
        size_t count = carried + (size_t)got;
        if (contains_foul(buffer, count)) return 1;
        carried = count < 3 ? count : 3;
        memmove(buffer, buffer + count - carried, carried);
    }
}

int main(int argc, char **argv) {
    if (argc != 3 || (strcmp(argv[2], "copy") != 0 && strcmp(argv[2], "fd") != 0 && strcmp(argv[2], "fd-all") != 0)) {
        fprintf(stderr, "usage: bench_scan_client PORT copy|fd|fd-all\n");
        return 2;
    }
    int whole = strcmp(argv[2], "fd-all") == 0;
    int descriptors = whole || strcmp(argv[2], "fd") == 0;
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
                if (whole) {
                    foul = whole_file_foul(fd);
                } else {
                    ssize_t got = pread(fd, contents, sizeof contents, 0);
                    foul = got > 0 && contains_foul(contents, (size_t)got);
                }
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
