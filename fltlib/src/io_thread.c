/* SPDX-License-Identifier: MIT */
#include "io_thread.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <unistd.h>

#define EVENTS_PER_WAIT 64

static pthread_once_t start_once = PTHREAD_ONCE_INIT;
static int epoll_fd = -1;
static int start_error;
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct flt_io_source *registry;

static void *run(void *unused) {
    (void)unused;
    struct epoll_event events[EVENTS_PER_WAIT];
    for (;;) {
        int count = epoll_wait(epoll_fd, events, EVENTS_PER_WAIT, -1);
        for (int i = 0; i < count; i++) {
            struct flt_io_source *source = events[i].data.ptr;
            source->ready(source);
        }
    }
    return NULL;
}

static void start(void) {
    epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd < 0) {
        start_error = errno;
        return;
    }
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    /* The program's signals go to its own threads, never to this one. */
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pthread_t thread;
    start_error = pthread_create(&thread, &attributes, run, NULL);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    pthread_attr_destroy(&attributes);
    if (start_error != 0) {
        close(epoll_fd);
        epoll_fd = -1;
    }
}

int flt_io_arm(struct flt_io_source *source) {
    if (source->armed) return 0;
    pthread_once(&start_once, start);
    if (epoll_fd < 0) return start_error;
    struct epoll_event event = {.events = EPOLLIN | EPOLLONESHOT, .data.ptr = source};
    if (epoll_ctl(epoll_fd, source->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, source->fd, &event) < 0) return errno;
    if (!source->registered) {
        pthread_mutex_lock(&registry_lock);
        source->previous = NULL;
        source->next = registry;
        if (registry != NULL) registry->previous = source;
        registry = source;
        pthread_mutex_unlock(&registry_lock);
    }
    source->registered = true;
    source->armed = true;
    return 0;
}

void flt_io_remove(struct flt_io_source *source) {
    if (!source->registered) return;
    epoll_ctl(epoll_fd, EPOLL_CTL_DEL, source->fd, NULL);
    pthread_mutex_lock(&registry_lock);
    if (source->previous != NULL) source->previous->next = source->next;
    else registry = source->next;
    if (source->next != NULL) source->next->previous = source->previous;
    pthread_mutex_unlock(&registry_lock);
    source->registered = false;
    source->armed = false;
}
