/* SPDX-License-Identifier: MIT */
/* The one I/O thread of the process: it waits in epoll on the sockets of the ports with overlapped requests
 * pending, and calls each one's `ready` when its socket is readable. Sources are armed one-shot: a source
 * fires once per arm, and its owner re-arms it while it still has requests waiting. The thread starts with the
 * first overlapped request and then stays, blocked in epoll_wait. */
#ifndef FLTLIB_IO_THREAD_H
#define FLTLIB_IO_THREAD_H

#include <stdbool.h>

struct flt_io_source {
    int fd;
    /* Runs on the I/O thread, once per arm. */
    void (*ready)(struct flt_io_source *source);
    /* Guarded by the owner's lock. */
    bool registered;
    bool armed;
    /* The registry (guarded by the I/O thread's lock), which also keeps registered sources reachable. */
    struct flt_io_source *previous;
    struct flt_io_source *next;
};

/* Registers or re-arms `source` for one readiness; starts the thread the first time. Owner's lock held.
 * Returns 0 or an errno. */
int flt_io_arm(struct flt_io_source *source);

/* Unregisters `source`; no `ready` call follows unless it is armed again. Owner's lock held. */
void flt_io_remove(struct flt_io_source *source);

#endif
