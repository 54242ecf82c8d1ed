/* SPDX-License-Identifier: MIT */
// Benchmark client with sends in flight: one connection over a raw socket (docs/protocol.md sections 2-4)
// keeps DEPTH SENDs of SIZE input bytes and a 4096-byte output capacity outstanding for SECONDS, writing a
// new one as each SEND_RESULT arrives, then prints the summary line bench.py parses. Latency is from a
// SEND's write to its result, so it includes the wait behind the others in flight.
//
//   bench_pipelined PORT SIZE DEPTH SECONDS
#define _GNU_SOURCE
#include <ctype.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bench_latency.h"

enum { HEADER = 16, CONNECT = 1, CONNECT_RESULT = 2, SEND = 3, SEND_RESULT = 4, MAX_DEPTH = 1024 };

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static void write_all(int fd, const uint8_t *bytes, size_t length) {
    while (length > 0) {
        ssize_t written = send(fd, bytes, length, MSG_NOSIGNAL);
        if (written <= 0) {
            perror("bench_pipelined: send");
            exit(1);
        }
        bytes += written;
        length -= (size_t)written;
    }
}

static void read_all(int fd, uint8_t *bytes, size_t length) {
    while (length > 0) {
        ssize_t count = recv(fd, bytes, length, 0);
        if (count <= 0) {
            fprintf(stderr, "bench_pipelined: the server closed the connection\n");
            exit(1);
        }
        bytes += count;
        length -= (size_t)count;
    }
}

/* Reads one frame; returns its type, and its id and status through the pointers. */
static uint16_t read_frame(int fd, uint64_t *id, int32_t *status) {
    static uint8_t body[1 << 20];
    uint8_t header[HEADER];
    read_all(fd, header, HEADER);
    uint32_t length;
    uint16_t type;
    memcpy(&length, header, 4);
    memcpy(&type, header + 4, 2);
    memcpy(id, header + 8, 8);
    if (length > sizeof body || length < 4) {
        fprintf(stderr, "bench_pipelined: a frame of %u bytes\n", length);
        exit(1);
    }
    read_all(fd, body, length);
    memcpy(status, body, 4);
    return type;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: bench_pipelined PORT SIZE DEPTH SECONDS\n");
        return 2;
    }
    size_t size = strtoul(argv[2], NULL, 10);
    int depth = atoi(argv[3]);
    double seconds = atof(argv[4]);
    if (depth < 1 || depth > MAX_DEPTH) {
        fprintf(stderr, "bench_pipelined: DEPTH must be 1 to %d\n", MAX_DEPTH);
        return 2;
    }

    // The abstract address: the port name lowercased (ASCII names only here), exact length.
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    size_t name_length = strlen(argv[1]);
    if (name_length + 1 > sizeof address.sun_path) return 2;
    for (size_t i = 0; i < name_length; i++) address.sun_path[1 + i] = (char)tolower((unsigned char)argv[1][i]);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&address, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + name_length)) < 0) {
        perror("bench_pipelined: connect");
        return 1;
    }
    uint8_t hello[HEADER + 8] = {0};
    put32(hello, 8);
    put16(hello + 4, CONNECT);
    put16(hello + HEADER, 1);      // version
    put16(hello + HEADER + 2, 2);  // wchar size: UTF-16
    write_all(fd, hello, sizeof hello);
    uint64_t id;
    int32_t status;
    if (read_frame(fd, &id, &status) != CONNECT_RESULT || status != 0) {
        fprintf(stderr, "bench_pipelined: CONNECT refused (0x%08x)\n", (unsigned)status);
        return 1;
    }

    uint8_t *frame = calloc(1, HEADER + 4 + size);
    put32(frame, (uint32_t)(4 + size));
    put16(frame + 4, SEND);
    put32(frame + HEADER, 4096);
    int64_t sent_at[MAX_DEPTH];
    uint64_t next = 1;
    bench_client self = {.stop_at = bench_now_ns() + (int64_t)(seconds * 1e9)};
    int64_t start = bench_now_ns();
    for (int i = 0; i < depth; i++, next++) {
        memcpy(frame + 8, &next, 8);
        sent_at[next % MAX_DEPTH] = bench_now_ns();
        write_all(fd, frame, HEADER + 4 + size);
    }
    int outstanding = depth;
    while (outstanding > 0) {
        if (read_frame(fd, &id, &status) != SEND_RESULT || status != 0) {
            fprintf(stderr, "bench_pipelined: SEND %llu failed (0x%08x)\n", (unsigned long long)id, (unsigned)status);
            return 1;
        }
        int64_t now = bench_now_ns();
        bench_record(&self.samples, now - sent_at[id % MAX_DEPTH]);
        outstanding--;
        if (now < self.stop_at) {
            memcpy(frame + 8, &next, 8);
            sent_at[next % MAX_DEPTH] = now;
            write_all(fd, frame, HEADER + 4 + size);
            next++;
            outstanding++;
        }
    }
    bench_report(&self, 1, bench_now_ns() - start);
    close(fd);
    free(frame);
    return 0;
}
