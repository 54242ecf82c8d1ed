/* SPDX-License-Identifier: MIT */
// A verdict client through libfltlib (fltUser.h) for minifltd --watch: THREADS threads on one connection,
// each getting FLT_TO_USER messages and answering FLT_TO_USER_REPLY {block = 0} after DELAY_US microseconds.
// Runs until killed; prints "ready" once connected.
//
//   bench_watch_client PORT THREADS DELAY_US
#define _GNU_SOURCE
#include <fltUser.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <wchar.h>

static HANDLE port;
static unsigned delay_us;

static void *answer(void *unused) {
    (void)unused;
    struct {
        FILTER_MESSAGE_HEADER header;
        uint8_t path[4096];
    } message;
    struct {
        FILTER_REPLY_HEADER header;
        uint32_t block;
    } reply;
    for (;;) {
        HRESULT result = FilterGetMessage(port, &message.header, sizeof message, NULL);
        if (FAILED(result)) {
            fprintf(stderr, "FilterGetMessage failed (HRESULT = 0x%x): %s\n", (unsigned)result, FilterGetLastErrorText());
            exit(1);
        }
        if (delay_us) usleep(delay_us);
        reply.header.Status = 0;
        reply.header.MessageId = message.header.MessageId;
        reply.block = 0;
        FilterReplyMessage(port, &reply.header, sizeof reply.header + sizeof reply.block);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: bench_watch_client PORT THREADS DELAY_US\n");
        return 2;
    }
    wchar_t name[256];
    mbstowcs(name, argv[1], 255);
    HRESULT result = FilterConnectCommunicationPort(name, 0, NULL, 0, NULL, &port);
    if (FAILED(result)) {
        fprintf(stderr, "FilterConnectCommunicationPort failed (HRESULT = 0x%x): %s\n", (unsigned)result, FilterGetLastErrorText());
        return 1;
    }
    delay_us = (unsigned)strtoul(argv[3], NULL, 10);
    int threads = atoi(argv[2]);
    for (int i = 0; i < threads; i++) {
        pthread_t thread;
        pthread_create(&thread, NULL, answer, NULL);
    }
    printf("ready\n");
    fflush(stdout);
    for (;;) pause();
}
