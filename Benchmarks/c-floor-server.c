/* SPDX-License-Identifier: MIT */
// The benchmark floor: a plain C epoll server on an abstract Unix socket that speaks minifltd's framing
// (docs/protocol.md section 2) with no permission check, no routines and no logging. It answers CONNECT with success
// and each SEND with "Hello, User" in UTF-16 when the output capacity is 4096, else with no bytes. With --push it
// also plays the filter that sends (FltSendMessage): after CONNECT_RESULT it sends a 16-byte MESSAGE awaiting a
// 4-byte reply, and after each REPLY its REPLY_RESULT and the next MESSAGE, for the get/reply benchmark.
//
//   cc -O2 -o c-floor-server c-floor-server.c && ./c-floor-server '\MiniFltBenchFloor' [--push]
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <ctype.h>
#include <stddef.h>

enum { HEADER = 16, LIMIT = 1 << 20 };

typedef struct {
    int fd;
    size_t used;
    uint8_t *buffer;
} client;

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

static int frame_with_head(int fd, uint16_t type, uint64_t id, uint32_t head, const uint8_t *payload, uint32_t length) {
    uint8_t frame[HEADER + 4 + 64];
    put32(frame, 4 + length);
    put16(frame + 4, type);
    put16(frame + 6, 0);
    memcpy(frame + 8, &id, 8);
    put32(frame + 16, head);
    memcpy(frame + 20, payload, length);
    return send(fd, frame, HEADER + 4 + length, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

static int reply(int fd, uint16_t type, uint64_t id, const uint8_t *payload, uint32_t length) {
    return frame_with_head(fd, type, id, 0, payload, length);
}

static const uint8_t pushed[16] = "a pushed message";

/* MESSAGE `id`: 16 bytes, a reply of up to 4 bytes awaited. */
static int push(int fd, uint64_t id) { return frame_with_head(fd, 5, id, 4, pushed, sizeof pushed); }

int main(int argc, char **argv) {
    const char *name = argc > 1 ? argv[1] : "\\MiniFltBenchFloor";
    int pushing = argc > 2 && strcmp(argv[2], "--push") == 0;
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    size_t length = strlen(name);
    for (size_t i = 0; i < length; i++) address.sun_path[1 + i] = (char)tolower((unsigned char)name[i]);
    int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (bind(listener, (struct sockaddr *)&address, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + length)) != 0 ||
        listen(listener, 256) != 0) {
        perror("bind/listen");
        return 1;
    }
    uint8_t hello[22];
    const char *text = "Hello, User";
    for (int i = 0; i < 11; i++) { hello[2 * i] = (uint8_t)text[i]; hello[2 * i + 1] = 0; }
    int epoll = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &event);
    struct epoll_event events[64];
    for (;;) {
        int count = epoll_wait(epoll, events, 64, -1);
        for (int i = 0; i < count; i++) {
            client *c = events[i].data.ptr;
            if (c == NULL) {
                int fd;
                while ((fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                    client *n = calloc(1, sizeof *n);
                    n->fd = fd;
                    n->buffer = malloc(LIMIT + HEADER);
                    struct epoll_event add = {.events = EPOLLIN, .data.ptr = n};
                    epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &add);
                }
                continue;
            }
            ssize_t got = recv(c->fd, c->buffer + c->used, LIMIT + HEADER - c->used, 0);
            if (got <= 0) {
                if (got < 0 && errno == EAGAIN) continue;
                close(c->fd);
                free(c->buffer);
                free(c);
                continue;
            }
            c->used += (size_t)got;
            size_t offset = 0;
            while (c->used - offset >= HEADER) {
                uint32_t body;
                uint16_t type;
                uint64_t id;
                memcpy(&body, c->buffer + offset, 4);
                memcpy(&type, c->buffer + offset + 4, 2);
                memcpy(&id, c->buffer + offset + 8, 8);
                if (body > LIMIT) { c->used = 0; offset = 0; break; }
                if (c->used - offset < HEADER + body) break;
                if (type == 1) {
                    reply(c->fd, 2, 0, NULL, 0);
                    if (pushing) push(c->fd, 1);
                } else if (type == 6 && pushing) {
                    reply(c->fd, 7, id, NULL, 0);
                    push(c->fd, id + 1);
                } else if (type == 3) {
                    uint32_t capacity;
                    memcpy(&capacity, c->buffer + offset + HEADER, 4);
                    reply(c->fd, 4, id, hello, capacity == 4096 ? 22 : 0);
                }
                offset += HEADER + body;
            }
            memmove(c->buffer, c->buffer + offset, c->used - offset);
            c->used -= offset;
        }
    }
}
