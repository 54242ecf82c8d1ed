/* SPDX-License-Identifier: MIT */
/* Round-trip timing shared by the benchmark clients: each client thread records one latency per call, and
 * the summary line is what Benchmarks/bench.py parses:
 *   count N p50_us X p99_us Y rt_per_s Z */
#ifndef BENCH_LATENCY_H
#define BENCH_LATENCY_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline int64_t bench_now_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

/* One client thread's samples. */
typedef struct {
    int64_t *latencies;
    size_t count;
    size_t capacity;
} bench_samples;

static inline void bench_record(bench_samples *samples, int64_t latency) {
    if (samples->count == samples->capacity) {
        samples->capacity = samples->capacity ? samples->capacity * 2 : 65536;
        samples->latencies = realloc(samples->latencies, samples->capacity * sizeof(int64_t));
        if (!samples->latencies) {
            perror("realloc");
            exit(1);
        }
    }
    samples->latencies[samples->count++] = latency;
}

static int bench_compare(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* What a client thread gets: where to record, and when to stop (bench_now_ns). */
typedef struct {
    bench_samples samples;
    int64_t stop_at;
} bench_client;

static inline void bench_report(bench_client *clients, int count, int64_t elapsed_ns);

/* Runs `body` on `count` threads for `seconds`, each with a bench_client of its own, then prints the summary. */
static inline void bench_run(int count, double seconds, void *(*body)(void *)) {
    bench_client *clients = calloc((size_t)count, sizeof *clients);
    pthread_t *threads = calloc((size_t)count, sizeof *threads);
    int64_t start = bench_now_ns();
    for (int i = 0; i < count; i++) {
        clients[i].stop_at = start + (int64_t)(seconds * 1e9);
        pthread_create(&threads[i], NULL, body, &clients[i]);
    }
    for (int i = 0; i < count; i++) pthread_join(threads[i], NULL);
    bench_report(clients, count, bench_now_ns() - start);
}

/* Prints the summary over every thread's samples, for `elapsed_ns` of wall time. */
static inline void bench_report(bench_client *clients, int count, int64_t elapsed_ns) {
    size_t total = 0;
    for (int i = 0; i < count; i++) total += clients[i].samples.count;
    int64_t *all = malloc((total ? total : 1) * sizeof(int64_t));
    size_t at = 0;
    for (int i = 0; i < count; i++) {
        memcpy(all + at, clients[i].samples.latencies, clients[i].samples.count * sizeof(int64_t));
        at += clients[i].samples.count;
    }
    qsort(all, total, sizeof(int64_t), bench_compare);
    double p50 = total ? all[(total - 1) / 2] / 1000.0 : 0;
    double p99 = total ? all[total * 99 / 100 < total ? total * 99 / 100 : total - 1] / 1000.0 : 0;
    printf("count %zu p50_us %.1f p99_us %.1f rt_per_s %.0f\n", total, p50, p99, total * 1e9 / (double)elapsed_ns);
    free(all);
}

#endif
