/* SPDX-License-Identifier: MIT */
/* Checks the queue of blocked calls (fltlib/src/port_sleepers.c) as a state: after each change, which calls
 * flt_port_wake_sleepers wakes. A call marked asleep here is one that flt_port_sleep would have put to sleep;
 * no thread is needed to see whom a change wakes, and the threads themselves are exercised by flt_listen,
 * flt_threads and flt_api against the daemon.
 *
 *   port_sleepers
 */
#include <stdio.h>
#include <string.h>

#include "port_internal.h"

static int checks;
static int failures;

#define CHECK(condition, ...)                    \
    do {                                         \
        checks++;                                \
        if (!(condition)) {                      \
            fprintf(stderr, "FAIL: ");           \
            fprintf(stderr, __VA_ARGS__);        \
            fputc('\n', stderr);                 \
            failures++;                          \
        }                                        \
    } while (0)

/* A port with a thread reading for everyone, and `count` messages queued. */
static void reset(struct flt_port *port, struct message *messages, int count) {
    memset(port, 0, sizeof *port);
    port->reader_active = true;
    for (int index = 0; index < count; index++) {
        messages[index] = (struct message){.id = (uint64_t)index + 1};
        if (index > 0) messages[index - 1].next = &messages[index];
    }
    port->first_message = count > 0 ? &messages[0] : NULL;
    port->last_message = count > 0 ? &messages[count - 1] : NULL;
}

/* Queues a call (a get when `waiter` is NULL) and marks it asleep. */
static void sleep_on(struct flt_port *port, struct flt_sleeper *sleeper, const struct waiter *waiter) {
    flt_port_add_sleeper(port, sleeper, waiter);
    sleeper->awake = false;
}

static void a_result_wakes_only_its_call(void) {
    struct flt_port port;
    reset(&port, NULL, 0);
    struct waiter first = {.id = 1}, second = {.id = 2};
    struct flt_sleeper send_1, send_2, get;
    sleep_on(&port, &send_1, &first);
    sleep_on(&port, &send_2, &second);
    sleep_on(&port, &get, NULL);
    second.done = true;
    flt_port_wake_sleepers(&port);
    CHECK(!send_1.awake && send_2.awake && !get.awake, "a result woke %d %d %d, not only its send", send_1.awake,
          send_2.awake, get.awake);
    CHECK(flt_port_sleeper_ready(&port, &send_2) && !flt_port_sleeper_ready(&port, &send_1),
          "only the send whose result came is ready");
}

static void messages_go_to_the_oldest_gets(void) {
    struct flt_port port;
    struct message messages[2];
    reset(&port, messages, 2);
    struct waiter sent = {.id = 9};
    struct flt_sleeper get_1, send, get_2, get_3;
    sleep_on(&port, &get_1, NULL);
    sleep_on(&port, &send, &sent);
    sleep_on(&port, &get_2, NULL);
    sleep_on(&port, &get_3, NULL);
    flt_port_wake_sleepers(&port);
    CHECK(get_1.awake && get_2.awake && !get_3.awake && !send.awake,
          "two messages woke gets %d %d %d and the send %d: not the two oldest gets", get_1.awake, get_2.awake,
          get_3.awake, send.awake);
    CHECK(flt_port_sleeper_ready(&port, &get_2) && !flt_port_sleeper_ready(&port, &get_3),
          "the second message is the second get's, none the third's");
    /* The first get takes the first message: the second keeps its own. */
    flt_port_remove_sleeper(&port, &get_1);
    port.first_message = &messages[1];
    get_3.awake = false;
    flt_port_wake_sleepers(&port);
    CHECK(flt_port_sleeper_ready(&port, &get_2) && !get_3.awake, "the third get woke for the second's message");
}

static void a_message_left_queued_goes_to_the_next_get(void) {
    struct flt_port port;
    struct message messages[1];
    reset(&port, messages, 1);
    struct flt_sleeper get_1, get_2;
    sleep_on(&port, &get_1, NULL);
    sleep_on(&port, &get_2, NULL);
    flt_port_wake_sleepers(&port);
    CHECK(get_1.awake && !get_2.awake, "one message woke more than the oldest get");
    /* Its buffer was too small (0x8007007A): the message stays queued, and the next get is woken for it. */
    flt_port_remove_sleeper(&port, &get_1);
    flt_port_wake_sleepers(&port);
    CHECK(get_2.awake && flt_port_sleeper_ready(&port, &get_2), "the message left queued did not wake the next get");
}

static void the_reading_goes_to_the_oldest_sleeper(void) {
    struct flt_port port;
    reset(&port, NULL, 0);
    struct waiter mine = {.id = 1};
    struct flt_sleeper reader, sleeper_1, sleeper_2;
    flt_port_add_sleeper(&port, &reader, &mine);
    sleep_on(&port, &sleeper_1, NULL);
    sleep_on(&port, &sleeper_2, NULL);
    /* The reader let go of the role without its result: it reads again, and nobody else wakes. */
    port.reader_active = false;
    flt_port_wake_sleepers(&port);
    CHECK(!sleeper_1.awake && !sleeper_2.awake, "a sleeper woke while the reader goes on reading");
    /* Its result came: the call that has slept longest reads next, and only it. */
    mine.done = true;
    flt_port_wake_sleepers(&port);
    CHECK(sleeper_1.awake && !sleeper_2.awake, "the role went to %d %d, not to the oldest sleeper", sleeper_1.awake,
          sleeper_2.awake);
    /* While that one is on its way, nobody else is woken to read. */
    flt_port_remove_sleeper(&port, &reader);
    flt_port_wake_sleepers(&port);
    CHECK(!sleeper_2.awake, "a second sleeper woke to read");
}

static void a_failure_wakes_everyone(void) {
    struct flt_port port;
    reset(&port, NULL, 0);
    struct waiter sent = {.id = 1};
    struct flt_sleeper get, send;
    sleep_on(&port, &get, NULL);
    sleep_on(&port, &send, &sent);
    port.failure = (int32_t)0x80070006;
    flt_port_wake_sleepers(&port);
    CHECK(get.awake && send.awake, "a failure left a call asleep");
}

int main(void) {
    a_result_wakes_only_its_call();
    messages_go_to_the_oldest_gets();
    a_message_left_queued_goes_to_the_next_get();
    the_reading_goes_to_the_oldest_sleeper();
    a_failure_wakes_everyone();
    printf("port sleepers: %d checked, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
