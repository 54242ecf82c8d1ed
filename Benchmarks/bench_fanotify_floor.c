/* SPDX-License-Identifier: MIT */
// The floor for watched opens: the least C that does what minifltd --watch does. fanotify (FAN_OPEN_PERM on a
// directory's files), then a Unix socket to a client process, then the verdict. The client answers each
// 4-byte request with a 4-byte "allow". Runs until killed; prints "ready" once the mark is made.
//
//   bench_fanotify_floor DIR
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/fanotify.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: bench_fanotify_floor DIR\n");
        return 2;
    }
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) return perror("socketpair"), 1;
    pid_t client = fork();
    if (client == 0) {
        close(pair[0]);
        uint32_t request, verdict = 0;
        while (recv(pair[1], &request, sizeof request, 0) == sizeof request)
            if (send(pair[1], &verdict, sizeof verdict, 0) != sizeof verdict) return 1;
        return 0;
    }
    close(pair[1]);
    int group = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
    if (group < 0) return perror("fanotify_init"), 1;
    if (fanotify_mark(group, FAN_MARK_ADD, FAN_OPEN_PERM | FAN_EVENT_ON_CHILD, AT_FDCWD, argv[1]) < 0)
        return perror("fanotify_mark"), 1;
    printf("ready\n");
    fflush(stdout);
    char buffer[4096] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
    for (;;) {
        ssize_t length = read(group, buffer, sizeof buffer);
        if (length <= 0) return perror("read"), 1;
        struct fanotify_event_metadata *event = (struct fanotify_event_metadata *)buffer;
        for (; FAN_EVENT_OK(event, length); event = FAN_EVENT_NEXT(event, length)) {
            if (event->fd < 0) continue;
            uint32_t request = (uint32_t)event->fd, verdict = 1;
            if (send(pair[0], &request, sizeof request, 0) != sizeof request ||
                recv(pair[0], &verdict, sizeof verdict, 0) != sizeof verdict)
                verdict = 0;
            struct fanotify_response response = {.fd = event->fd, .response = verdict ? FAN_DENY : FAN_ALLOW};
            if (write(group, &response, sizeof response) != sizeof response) perror("write");
            close(event->fd);
        }
    }
}
