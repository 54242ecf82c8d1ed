/* SPDX-License-Identifier: MIT */
/* I/O completion ports: a queue of packets (bytes, key, OVERLAPPED, status) that threads take in
 * GetQueuedCompletionStatus. Overlapped requests on an associated port handle post one as they complete. */
#ifndef FLTLIB_COMPLETION_H
#define FLTLIB_COMPLETION_H

#include <stdbool.h>
#include <stdint.h>

#include "object.h"

struct flt_completion;

/* Queues a packet; false when the completion port is closed (the packet is dropped) or memory ran out. */
bool flt_completion_post(struct flt_completion *completion, uint32_t bytes, uintptr_t key, void *overlapped,
                         uint32_t status);

struct flt_port;

/* The port handle associated with `completion` (the first one: a reference), whose socket a thread waiting in
 * GetQueuedCompletionStatus reads itself while nobody else does; flt_completion_unfeed lets go of it when the
 * port handle closes. */
void flt_completion_feed(struct flt_completion *completion, struct flt_port *port);
void flt_completion_unfeed(struct flt_completion *completion, struct flt_port *port);

/* CloseHandle: waiting threads return ERROR_ABANDONED_WAIT_0, queued packets are dropped. */
void flt_completion_close(struct flt_completion *completion);

void flt_completion_destroy(struct flt_completion *completion);

#endif
