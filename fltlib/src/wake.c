/* SPDX-License-Identifier: MIT */
#include "wake.h"

#include <pthread.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* The registered threads' eventfds, guarded by the sync lock (waitable.h). */
struct wake {
    int fd;
    struct wake *previous;
    struct wake *next;
};

static struct wake *registered;
static __thread struct wake own = {.fd = -1};
static pthread_key_t closer;
static pthread_once_t closer_once = PTHREAD_ONCE_INIT;

static void close_own(void *unused) {
    (void)unused;
    if (own.fd >= 0) close(own.fd);
    own.fd = -1;
}

static void make_closer(void) { pthread_key_create(&closer, close_own); }

int flt_wake_register(void) {
    if (own.fd < 0) {
        pthread_once(&closer_once, make_closer);
        own.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (own.fd < 0) return -1;
        /* Closes the eventfd when the thread ends. */
        pthread_setspecific(closer, &own);
    }
    uint64_t value;
    while (read(own.fd, &value, sizeof value) > 0) {
    }
    own.previous = NULL;
    own.next = registered;
    if (registered != NULL) registered->previous = &own;
    registered = &own;
    return own.fd;
}

void flt_wake_unregister(void) {
    if (own.previous != NULL) own.previous->next = own.next;
    else if (registered == &own) registered = own.next;
    if (own.next != NULL) own.next->previous = own.previous;
    own.previous = own.next = NULL;
}

void flt_wake_readers(void) {
    uint64_t one = 1;
    for (struct wake *wake = registered; wake != NULL; wake = wake->next) {
        if (write(wake->fd, &one, sizeof one) < 0) {
            /* A full counter already wakes the thread. */
        }
    }
}
