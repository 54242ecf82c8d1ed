/* SPDX-License-Identifier: MIT */
/* The seed's get/reply loop: receives each path the filter sends (FLT_TO_USER), answers FLT_TO_USER_REPLY
 * with block = 1 when the path contains SUBSTRING, and prints "PATH will be blocked" or "PATH".
 *
 *   flt_listen [--port NAME] [--threads N] [--poll] [--small-buffer-first] [--count-switches] [--block SUBSTRING]
 *              COUNT
 *
 * --threads N   N threads wait in FilterGetMessage on one handle at once (the scanner sample's pattern)
 * --poll        one thread waits in poll(2) on FilterGetPollDescriptor and takes with FilterTryGetMessage
 * --small-buffer-first  first asks with a buffer too small for the message: 0x8007007A, and it stays queued
 * --count-switches  sums the voluntary thread switches of the N threads (getrusage RUSAGE_THREAD) and fails when
 *               they reach N * COUNT / 2: with messages sent one at a time, a message must wake only the thread
 *               it goes to (and the one that reads next), not every thread waiting on the handle
 * Exits 0 after COUNT messages; threads still waiting are released by FilterClose. */
#define _GNU_SOURCE
#include <fltUser.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "seed_messages.h"

typedef struct {
    FILTER_MESSAGE_HEADER hdr;
    FLT_TO_USER data;
} FLT_TO_USER_WRAPPER;

typedef struct {
    FILTER_REPLY_HEADER hdr;
    FLT_TO_USER_REPLY data;
} FLT_TO_USER_REPLY_WRAPPER;

static HANDLE port;
static wchar_t block[256];
static int wanted;
static int use_poll;
static int small_buffer_first;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t finished = PTHREAD_COND_INITIALIZER;
static int answered;
static int failures;
static int count_switches;
static long switches;

/* This thread's voluntary switches so far. */
static long thread_switches(void) {
    struct rusage usage;
    getrusage(RUSAGE_THREAD, &usage);
    return usage.ru_nvcsw;
}

static void fail(const char *call, HRESULT result) {
    pthread_mutex_lock(&lock);
    fprintf(stderr, "%s failed (HRESULT = 0x%x)\n%s\n", call, (unsigned)result, FilterGetLastErrorText());
    failures++;
    pthread_cond_signal(&finished);
    pthread_mutex_unlock(&lock);
}

/* Waits for the next message; returns S_OK, or the failure. */
static HRESULT next_message(FLT_TO_USER_WRAPPER *message) {
    if (!use_poll) return FilterGetMessage(port, &message->hdr, sizeof *message, NULL);
    int descriptor;
    HRESULT result = FilterGetPollDescriptor(port, &descriptor);
    if (FAILED(result)) return result;
    for (;;) {
        struct pollfd readable = {.fd = descriptor, .events = POLLIN};
        if (poll(&readable, 1, 30000) <= 0) return HRESULT_FROM_WIN32(ERROR_SEM_TIMEOUT);
        result = FilterTryGetMessage(port, &message->hdr, sizeof *message);
        if (result != HRESULT_FROM_WIN32(ERROR_IO_PENDING)) return result;
    }
}

static void *listen_loop(void *unused) {
    FLT_TO_USER_WRAPPER *message = calloc(1, sizeof *message);
    FLT_TO_USER_REPLY_WRAPPER reply;
    long first_switches = thread_switches();
    for (;;) {
        if (small_buffer_first) {
            small_buffer_first = 0;
            HRESULT small = FilterGetMessage(port, &message->hdr, sizeof(FILTER_MESSAGE_HEADER) + 8, NULL);
            if (small != HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER)) {
                fail("FilterGetMessage with a small buffer (expected 0x8007007a)", small);
                break;
            }
        }
        ZeroMemory(message, sizeof *message);
        HRESULT result = next_message(message);
        if (FAILED(result)) {
            pthread_mutex_lock(&lock);
            int done = answered >= wanted;
            pthread_mutex_unlock(&lock);
            /* After the last message FilterClose releases waiting threads with E_HANDLE: that is the end. */
            if (!(done && result == E_HANDLE)) fail("FilterGetMessage", result);
            break;
        }
        ZeroMemory(&reply, sizeof reply);
        reply.hdr.MessageId = message->hdr.MessageId;
        int blocked = block[0] != 0 && wcsstr(message->data.path, block) != NULL;
        reply.data.block = blocked ? TRUE : FALSE;
        pthread_mutex_lock(&lock);
        printf("%ls%s\n", message->data.path, blocked ? " will be blocked" : "");
        fflush(stdout);
        pthread_mutex_unlock(&lock);
        /* The header and the 4-byte answer: not sizeof reply, whose tail padding exceeds the ReplyLength. */
        result = FilterReplyMessage(port, &reply.hdr, sizeof reply.hdr + sizeof reply.data);
        if (FAILED(result)) {
            fail("FilterReplyMessage", result);
            break;
        }
        pthread_mutex_lock(&lock);
        answered++;
        pthread_cond_signal(&finished);
        pthread_mutex_unlock(&lock);
    }
    free(message);
    pthread_mutex_lock(&lock);
    switches += thread_switches() - first_switches;
    pthread_mutex_unlock(&lock);
    return NULL;
}

int main(int argc, char **argv) {
    const char *port_name = "\\MiniFilterPort_Example";
    int thread_count = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) port_name = argv[++i];
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) thread_count = atoi(argv[++i]);
        else if (strcmp(argv[i], "--block") == 0 && i + 1 < argc) mbstowcs(block, argv[++i], ARRAYSIZE(block) - 1);
        else if (strcmp(argv[i], "--poll") == 0) use_poll = 1;
        else if (strcmp(argv[i], "--small-buffer-first") == 0) small_buffer_first = 1;
        else if (strcmp(argv[i], "--count-switches") == 0) count_switches = 1;
        else wanted = atoi(argv[i]);
    }
    if (wanted < 1 || thread_count < 1 || thread_count > 64) {
        fprintf(stderr, "usage: flt_listen [--port NAME] [--threads N] [--poll] [--small-buffer-first] "
                        "[--count-switches] [--block SUBSTRING] COUNT\n");
        return 2;
    }
    wchar_t wide_name[256];
    mbstowcs(wide_name, port_name, ARRAYSIZE(wide_name) - 1);
    HRESULT result = FilterConnectCommunicationPort(wide_name, 0, NULL, 0, NULL, &port);
    if (FAILED(result)) {
        fail("FilterConnectCommunicationPort", result);
        return 1;
    }
    printf("listening\n");
    fflush(stdout);

    pthread_t threads[64];
    for (int i = 0; i < thread_count; i++) pthread_create(&threads[i], NULL, listen_loop, NULL);
    pthread_mutex_lock(&lock);
    while (answered < wanted && failures == 0) pthread_cond_wait(&finished, &lock);
    pthread_mutex_unlock(&lock);
    FilterClose(port);
    for (int i = 0; i < thread_count; i++) pthread_join(threads[i], NULL);
    if (count_switches) {
        printf("%d threads made %ld voluntary switches for %d messages\n", thread_count, switches, wanted);
        if (switches >= (long)thread_count * wanted / 2) {
            fprintf(stderr, "each message woke most of the %d threads waiting in FilterGetMessage\n", thread_count);
            failures++;
        }
    }
    return failures == 0 ? 0 : 1;
}
