/* SPDX-License-Identifier: MIT */
// Benchmark client through libfltlib (fltUser.h): CLIENTS threads, each with its own connection, call
// FilterSendMessage with SIZE input bytes and a 4096-byte output buffer for SECONDS, then one summary line.
//
//   bench_fltlib PORT SIZE CLIENTS SECONDS
#define _GNU_SOURCE
#include <fltUser.h>
#include <wchar.h>

#include "bench_latency.h"

static wchar_t port_name[256];
static size_t message_size;
static void *client(void *argument) {
    bench_client *self = argument;
    HANDLE port;
    HRESULT result = FilterConnectCommunicationPort(port_name, 0, NULL, 0, NULL, &port);
    if (FAILED(result)) {
        fprintf(stderr, "FilterConnectCommunicationPort failed (HRESULT = 0x%x): %s\n", (unsigned)result, FilterGetLastErrorText());
        exit(1);
    }
    uint8_t *input = calloc(1, message_size ? message_size : 1);
    uint8_t output[4096];
    while (bench_now_ns() < self->stop_at) {
        DWORD returned = 0;
        int64_t before = bench_now_ns();
        result = FilterSendMessage(port, input, (DWORD)message_size, output, sizeof output, &returned);
        if (FAILED(result)) {
            fprintf(stderr, "FilterSendMessage failed (HRESULT = 0x%x): %s\n", (unsigned)result, FilterGetLastErrorText());
            exit(1);
        }
        bench_record(&self->samples, bench_now_ns() - before);
    }
    FilterClose(port);
    free(input);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: bench_fltlib PORT SIZE CLIENTS SECONDS\n");
        return 2;
    }
    mbstowcs(port_name, argv[1], 255);
    message_size = strtoul(argv[2], NULL, 10);
    bench_run(atoi(argv[3]), atof(argv[4]), client);
    return 0;
}
