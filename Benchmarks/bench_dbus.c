/* SPDX-License-Identifier: MIT */
// The incumbent for the benchmark: a D-Bus method call through sd-bus, answered like the port's hello
// (an `ay` in, "Hello, User" in UTF-16 as an `ay` out).
//
//   bench_dbus serve-p2p NAME                  one sd-event loop serving peer-to-peer buses on @NAME
//   bench_dbus serve-bus ADDRESS               the same object on a dbus-daemon at ADDRESS
//   bench_dbus call ADDRESS p2p|bus SIZE CLIENTS SECONDS
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "bench_latency.h"

#define OBJECT "/org/minifltd/Bench"
#define INTERFACE "org.minifltd.Bench"
#define SERVICE "org.minifltd.Bench"

static const uint8_t hello_user[22] = {'H', 0, 'e', 0, 'l', 0, 'l', 0, 'o', 0, ',', 0, ' ', 0,
                                       'U', 0, 's', 0, 'e', 0, 'r', 0};

static void check(int result, const char *what) {
    if (result < 0) {
        fprintf(stderr, "bench_dbus: %s: %s\n", what, strerror(-result));
        exit(1);
    }
}

static int hello(sd_bus_message *call, void *userdata, sd_bus_error *error) {
    const void *input;
    size_t length;
    (void)userdata;
    (void)error;
    int result = sd_bus_message_read_array(call, 'y', &input, &length);
    if (result < 0) return result;
    sd_bus_message *reply = NULL;
    result = sd_bus_message_new_method_return(call, &reply);
    if (result >= 0) result = sd_bus_message_append_array(reply, 'y', hello_user, sizeof hello_user);
    if (result >= 0) result = sd_bus_send(NULL, reply, NULL);
    sd_bus_message_unref(reply);
    return result;
}

static const sd_bus_vtable vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("Hello", "ay", "ay", hello, 0),
    SD_BUS_VTABLE_END,
};

static int accept_peer(sd_event_source *source, int listener, uint32_t events, void *userdata) {
    (void)events;
    (void)userdata;
    int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return 0;
    sd_bus *bus = NULL;
    sd_id128_t id;
    check(sd_id128_randomize(&id), "sd_id128_randomize");
    check(sd_bus_new(&bus), "sd_bus_new");
    check(sd_bus_set_fd(bus, fd, fd), "sd_bus_set_fd");
    check(sd_bus_set_server(bus, 1, id), "sd_bus_set_server");
    check(sd_bus_add_object_vtable(bus, NULL, OBJECT, INTERFACE, vtable, NULL), "sd_bus_add_object_vtable");
    check(sd_bus_start(bus), "sd_bus_start");
    check(sd_bus_attach_event(bus, sd_event_source_get_event(source), 0), "sd_bus_attach_event");
    return 0;
}

static int serve_p2p(const char *name) {
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    size_t length = strlen(name);
    memcpy(address.sun_path + 1, name, length);
    int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (bind(listener, (struct sockaddr *)&address, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + length)) != 0 ||
        listen(listener, 256) != 0) {
        perror("bench_dbus: bind/listen");
        return 1;
    }
    sd_event *event = NULL;
    check(sd_event_default(&event), "sd_event_default");
    check(sd_event_add_io(event, NULL, listener, EPOLLIN, accept_peer, NULL), "sd_event_add_io");
    return sd_event_loop(event) < 0;
}

static int serve_bus(const char *address) {
    sd_bus *bus = NULL;
    check(sd_bus_new(&bus), "sd_bus_new");
    check(sd_bus_set_address(bus, address), "sd_bus_set_address");
    check(sd_bus_set_bus_client(bus, 1), "sd_bus_set_bus_client");
    check(sd_bus_start(bus), "sd_bus_start");
    check(sd_bus_add_object_vtable(bus, NULL, OBJECT, INTERFACE, vtable, NULL), "sd_bus_add_object_vtable");
    check(sd_bus_request_name(bus, SERVICE, 0), "sd_bus_request_name");
    printf("ready\n");
    fflush(stdout);
    int result;
    do {
        result = sd_bus_process(bus, NULL);
        if (result == 0) result = sd_bus_wait(bus, UINT64_MAX);
    } while (result >= 0);
    check(result, "serving the bus");
    return 1;
}

static const char *call_address;
static int through_daemon;
static size_t message_size;

static void *client(void *argument) {
    bench_client *self = argument;
    sd_bus *bus = NULL;
    check(sd_bus_new(&bus), "sd_bus_new");
    check(sd_bus_set_address(bus, call_address), "sd_bus_set_address");
    check(sd_bus_set_bus_client(bus, through_daemon), "sd_bus_set_bus_client");
    check(sd_bus_start(bus), "sd_bus_start");
    uint8_t *input = calloc(1, message_size ? message_size : 1);
    while (bench_now_ns() < self->stop_at) {
        int64_t before = bench_now_ns();
        sd_bus_message *call = NULL, *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        check(sd_bus_message_new_method_call(bus, &call, through_daemon ? SERVICE : NULL, OBJECT, INTERFACE, "Hello"), "new_method_call");
        check(sd_bus_message_append_array(call, 'y', input, message_size), "append_array");
        int result = sd_bus_call(bus, call, 0, &error, &reply);
        if (result < 0) {
            fprintf(stderr, "bench_dbus: call: %s\n", error.message ? error.message : strerror(-result));
            exit(1);
        }
        const void *output;
        size_t length;
        check(sd_bus_message_read_array(reply, 'y', &output, &length), "read_array");
        sd_bus_message_unref(call);
        sd_bus_message_unref(reply);
        bench_record(&self->samples, bench_now_ns() - before);
    }
    sd_bus_flush_close_unref(bus);
    free(input);
    return NULL;
}

static int call(char **argv) {
    call_address = argv[2];
    through_daemon = strcmp(argv[3], "bus") == 0;
    message_size = strtoul(argv[4], NULL, 10);
    bench_run(atoi(argv[5]), atof(argv[6]), client);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "serve-p2p") == 0) return serve_p2p(argv[2]);
    if (argc == 3 && strcmp(argv[1], "serve-bus") == 0) return serve_bus(argv[2]);
    if (argc == 7 && strcmp(argv[1], "call") == 0) return call(argv);
    fprintf(stderr, "usage: bench_dbus serve-p2p NAME | serve-bus ADDRESS | call ADDRESS p2p|bus SIZE CLIENTS SECONDS\n");
    return 2;
}
