/* SPDX-License-Identifier: MIT */
/* The queue of calls blocked on a port (FilterGetMessage, FilterSendMessage, FilterReplyMessage), each with a
 * condition of its own. One thread at a time reads the socket for all of them (port.c's reader role); after each
 * read it wakes only the calls whose frames came, and hands the reading on to the call that has slept longest
 * when its own value came. A broadcast instead woke every blocked thread for every frame: with ten threads in
 * FilterGetMessage, nine ran only to sleep again, some eighteen thread switches per message. */
#include <stddef.h>

#include "port_internal.h"

void flt_port_add_sleeper(struct flt_port *port, struct flt_sleeper *sleeper, const struct waiter *waiter) {
    sleeper->next = NULL;
    sleeper->waiter = waiter;
    sleeper->awake = true;
    /* Never waited on with a timeout: the default clock will do. */
    pthread_cond_init(&sleeper->wake, NULL);
    if (port->first_sleeper != NULL) port->shared_by_threads = true;
    if (port->last_sleeper != NULL) port->last_sleeper->next = sleeper;
    else port->first_sleeper = sleeper;
    port->last_sleeper = sleeper;
}

void flt_port_remove_sleeper(struct flt_port *port, struct flt_sleeper *sleeper) {
    struct flt_sleeper *previous = NULL;
    for (struct flt_sleeper *each = port->first_sleeper; each != NULL; previous = each, each = each->next) {
        if (each != sleeper) continue;
        if (previous != NULL) previous->next = sleeper->next;
        else port->first_sleeper = sleeper->next;
        if (port->last_sleeper == sleeper) port->last_sleeper = previous;
        break;
    }
    pthread_cond_destroy(&sleeper->wake);
}

bool flt_port_sleeper_ready(const struct flt_port *port, const struct flt_sleeper *sleeper) {
    if (sleeper->waiter != NULL) return sleeper->waiter->done;
    /* Messages go to the gets in the order they came: the older gets take the older messages. */
    const struct message *message = port->first_message;
    for (const struct flt_sleeper *each = port->first_sleeper; each != sleeper && message != NULL; each = each->next) {
        if (each->waiter == NULL) message = message->next;
    }
    return message != NULL;
}

void flt_port_sleep(struct flt_port *port, struct flt_sleeper *sleeper) {
    sleeper->awake = false;
    while (!sleeper->awake) pthread_cond_wait(&sleeper->wake, &port->lock);
}

static void wake(struct flt_sleeper *sleeper) {
    if (sleeper->awake) return;
    sleeper->awake = true;
    pthread_cond_signal(&sleeper->wake);
}

void flt_port_wake_sleepers(struct flt_port *port) {
    const struct message *unclaimed = port->first_message;
    struct flt_sleeper *oldest_asleep = NULL;
    /* A call that is awake and has nothing yet reads (or sleeps again when another thread does). */
    bool reader_coming = port->reader_active;
    for (struct flt_sleeper *sleeper = port->first_sleeper; sleeper != NULL; sleeper = sleeper->next) {
        bool ready = port->failure != 0;
        if (sleeper->waiter != NULL) {
            ready = ready || sleeper->waiter->done;
        } else if (unclaimed != NULL) {
            ready = true;
            unclaimed = unclaimed->next;
        }
        if (ready) wake(sleeper);
        else if (sleeper->awake) reader_coming = true;
        else if (oldest_asleep == NULL) oldest_asleep = sleeper;
    }
    /* Nothing sleeps with nobody reading: the role goes to the call that has slept longest. */
    if (!reader_coming && oldest_asleep != NULL) wake(oldest_asleep);
}
