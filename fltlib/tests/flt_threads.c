/* SPDX-License-Identifier: MIT */
/* Several threads share one handle, each with its own sends in flight; every result must reach the thread
 * that sent it. Half the threads give a 4096-byte reply buffer (the example filter answers "Hello, User"),
 * half a 100-byte one (it answers nothing), so a result handed to the wrong thread shows.
 *
 *   flt_threads [--port NAME] THREADS SENDS-PER-THREAD
 */
#include <fltUser.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUFFER_SIZE 4096

static HANDLE port;
static int sends_per_thread;

struct worker {
    pthread_t thread;
    int index;
    int failures;
};

static void *work(void *argument) {
    struct worker *worker = argument;
    static const wchar_t expected[] = L"Hello, User";
    DWORD capacity = worker->index % 2 == 0 ? BUFFER_SIZE : 100;
    wchar_t *sent = calloc(1, BUFFER_SIZE);
    wchar_t *reply = calloc(1, BUFFER_SIZE);
    for (int i = 0; i < sends_per_thread; i++) {
        swprintf(sent, BUFFER_SIZE / sizeof(wchar_t), L"thread %d message %d", worker->index, i);
        ZeroMemory(reply, BUFFER_SIZE);
        DWORD returned = 12345;
        HRESULT result = FilterSendMessage(port, sent, BUFFER_SIZE, reply, capacity, &returned);
        int wanted = capacity == BUFFER_SIZE ? (int)(wcslen(expected) * sizeof(wchar_t)) : 0;
        if (FAILED(result) || (int)returned != wanted || (wanted > 0 && wcscmp(reply, expected) != 0)) {
            fprintf(stderr, "thread %d send %d: HRESULT 0x%x, %u bytes (%s)\n", worker->index, i, (unsigned)result,
                    (unsigned)returned, FilterGetLastErrorText());
            worker->failures++;
        }
    }
    free(sent);
    free(reply);
    return NULL;
}

int main(int argc, char **argv) {
    const wchar_t *name = L"\\MiniFilterPort_Example";
    wchar_t wide_name[256];
    int first = 1;
    if (argc > 2 && strcmp(argv[1], "--port") == 0) {
        mbstowcs(wide_name, argv[2], ARRAYSIZE(wide_name) - 1);
        name = wide_name;
        first = 3;
    }
    if (argc != first + 2) {
        fprintf(stderr, "usage: flt_threads [--port NAME] THREADS SENDS-PER-THREAD\n");
        return 2;
    }
    int thread_count = atoi(argv[first]);
    sends_per_thread = atoi(argv[first + 1]);
    if (thread_count < 1 || thread_count > 256 || sends_per_thread < 1) return 2;

    HRESULT result = FilterConnectCommunicationPort(name, 0, NULL, 0, NULL, &port);
    if (FAILED(result)) {
        fprintf(stderr, "FilterConnectCommunicationPort failed (HRESULT = 0x%x)\n%s\n", (unsigned)result,
                FilterGetLastErrorText());
        return 1;
    }
    struct worker *workers = calloc((size_t)thread_count, sizeof *workers);
    for (int i = 0; i < thread_count; i++) {
        workers[i].index = i;
        pthread_create(&workers[i].thread, NULL, work, &workers[i]);
    }
    int failures = 0;
    for (int i = 0; i < thread_count; i++) {
        pthread_join(workers[i].thread, NULL);
        failures += workers[i].failures;
    }
    free(workers);
    FilterClose(port);
    printf("%d threads x %d sends on one handle: %d failed\n", thread_count, sends_per_thread, failures);
    return failures == 0 ? 0 : 1;
}
