/* SPDX-License-Identifier: MIT */
// The floor for watched opens: the least C that does what minifltd --watch does. fanotify (FAN_OPEN_PERM on a
// directory's files), then a Unix socket to a client process, then the verdict. Runs until killed; prints
// "ready" once the mark is made.
//
// Two floors. The bare one sends a 4-byte request over a SOCK_SEQPACKET pair and the client answers with a
// 4-byte verdict: the least any filter can do, though its client learns nothing of the file. With same-work,
// it does what minifltd's open costs beyond that: it looks the path up (readlink of /proc/self/fd/N, as a
// client needs a name), sends it in a 4,096-byte message (FLT_TO_USER's size) over a stream socket, and
// acknowledges the verdict with 4 bytes the client waits for (what FilterReplyMessage waits for).
//
//   bench_fanotify_floor DIR [same-work]
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/socket.h>
#include <unistd.h>

#define MESSAGE_SIZE 4096

static int receive_all(int fd, void *buffer, size_t size) {
    for (size_t got = 0; got < size;) {
        ssize_t count = recv(fd, (char *)buffer + got, size - got, 0);
        if (count <= 0) return -1;
        got += (size_t)count;
    }
    return 0;
}

static void client(int fd, int same_work) {
    static char message[MESSAGE_SIZE];
    uint32_t verdict = 0, acknowledgement;
    size_t size = same_work ? MESSAGE_SIZE : 4;
    for (;;) {
        if (receive_all(fd, message, size) < 0) exit(0);
        if (send(fd, &verdict, sizeof verdict, 0) != sizeof verdict) exit(1);
        if (same_work && receive_all(fd, &acknowledgement, sizeof acknowledgement) < 0) exit(0);
    }
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "same-work") != 0)) {
        fprintf(stderr, "usage: bench_fanotify_floor DIR [same-work]\n");
        return 2;
    }
    int same_work = argc == 3;
    int pair[2];
    if (socketpair(AF_UNIX, (same_work ? SOCK_STREAM : SOCK_SEQPACKET) | SOCK_CLOEXEC, 0, pair) < 0)
        return perror("socketpair"), 1;
    if (fork() == 0) {
        close(pair[0]);
        client(pair[1], same_work);
    }
    close(pair[1]);
    int group = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
    if (group < 0) return perror("fanotify_init"), 1;
    if (fanotify_mark(group, FAN_MARK_ADD, FAN_OPEN_PERM | FAN_EVENT_ON_CHILD, AT_FDCWD, argv[1]) < 0)
        return perror("fanotify_mark"), 1;
    printf("ready\n");
    fflush(stdout);
    char buffer[4096] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
    static char message[MESSAGE_SIZE];
    for (;;) {
        ssize_t length = read(group, buffer, sizeof buffer);
        if (length <= 0) return perror("read"), 1;
        struct fanotify_event_metadata *event = (struct fanotify_event_metadata *)buffer;
        for (; FAN_EVENT_OK(event, length); event = FAN_EVENT_NEXT(event, length)) {
            if (event->fd < 0) continue;
            size_t size = 4;
            if (same_work) {
                char link[32];
                snprintf(link, sizeof link, "/proc/self/fd/%d", event->fd);
                ssize_t path = readlink(link, message, MESSAGE_SIZE - 1);
                message[path < 0 ? 0 : path] = 0;
                size = MESSAGE_SIZE;
            }
            uint32_t verdict = 1;
            if (send(pair[0], message, size, 0) != (ssize_t)size || receive_all(pair[0], &verdict, sizeof verdict) < 0)
                verdict = 0;
            struct fanotify_response response = {.fd = event->fd, .response = verdict ? FAN_DENY : FAN_ALLOW};
            if (write(group, &response, sizeof response) != sizeof response) perror("write");
            if (same_work && send(pair[0], &verdict, sizeof verdict, 0) != sizeof verdict) perror("send");
            close(event->fd);
        }
    }
}
