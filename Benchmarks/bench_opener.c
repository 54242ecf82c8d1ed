/* SPDX-License-Identifier: MIT */
// Opens and closes FILE for SECONDS in PROCESSES processes at once, timing each open, then prints one line:
//   count N p50_us X p99_us Y rt_per_s Z hist A B C D E F
// where p50/p99 are the first process's, rt_per_s counts every process's opens, and the histogram counts
// every open's latency: <= 50 us, <= 100 us, <= 500 us, <= 1 ms, <= 10 ms, > 10 ms.
//
//   bench_opener FILE SECONDS PROCESSES
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_latency.h"

static const int64_t bucket_limits_ns[] = {50000, 100000, 500000, 1000000, 10000000};
#define BUCKETS 6

typedef struct {
    int64_t count, p50, p99;
    int64_t histogram[BUCKETS];
} opener_result;

static opener_result run(const char *file, double seconds) {
    bench_samples samples = {0};
    int64_t stop_at = bench_now_ns() + (int64_t)(seconds * 1e9);
    opener_result result = {0};
    while (bench_now_ns() < stop_at) {
        int64_t before = bench_now_ns();
        int fd = open(file, O_RDONLY | O_CLOEXEC);
        int64_t latency = bench_now_ns() - before;
        if (fd < 0) {
            perror("open");
            exit(1);
        }
        close(fd);
        bench_record(&samples, latency);
        int bucket = 0;
        while (bucket < BUCKETS - 1 && latency > bucket_limits_ns[bucket]) bucket++;
        result.histogram[bucket]++;
    }
    qsort(samples.latencies, samples.count, sizeof(int64_t), bench_compare);
    result.count = (int64_t)samples.count;
    if (samples.count) {
        result.p50 = samples.latencies[samples.count / 2];
        result.p99 = samples.latencies[samples.count * 99 / 100];
    }
    free(samples.latencies);
    return result;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: bench_opener FILE SECONDS PROCESSES\n");
        return 2;
    }
    double seconds = atof(argv[2]);
    int processes = atoi(argv[3]);
    int pipes[64][2];
    if (processes < 1 || processes > 64) return 2;
    for (int i = 0; i < processes; i++) {
        if (pipe(pipes[i]) < 0) return perror("pipe"), 1;
        if (fork() == 0) {
            opener_result result = run(argv[1], seconds);
            if (write(pipes[i][1], &result, sizeof result) != sizeof result) _exit(1);
            _exit(0);
        }
        close(pipes[i][1]);
    }
    opener_result total = {0}, first = {0};
    for (int i = 0; i < processes; i++) {
        opener_result result;
        if (read(pipes[i][0], &result, sizeof result) != sizeof result) return fprintf(stderr, "an opener failed\n"), 1;
        if (i == 0) first = result;
        total.count += result.count;
        for (int b = 0; b < BUCKETS; b++) total.histogram[b] += result.histogram[b];
    }
    while (wait(NULL) > 0) {}
    printf("count %lld p50_us %.1f p99_us %.1f rt_per_s %.0f hist", (long long)total.count, first.p50 / 1000.0,
           first.p99 / 1000.0, total.count / seconds);
    for (int b = 0; b < BUCKETS; b++) printf(" %lld", (long long)total.histogram[b]);
    printf("\n");
    return 0;
}
